"""Celery tasks of the inventory app: thin, re-fetching, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from inventory import services


@shared_task(name="default.goods_receipt_process", acks_late=True, ignore_result=True)
def goods_receipt_process_task(receipt_id: int) -> str:
    receipt = services.goods_receipt_process(receipt_id=receipt_id)
    return str(receipt.status)


@shared_task(name="default.goods_receipt_sweep", ignore_result=True)
def goods_receipt_sweep_task() -> int:
    return len(services.goods_receipt_sweep())
