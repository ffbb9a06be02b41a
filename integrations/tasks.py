"""Celery tasks of the integrations app: thin, re-fetching, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from integrations import services


@shared_task(name="provisioning.outbox_deliver", acks_late=True, ignore_result=True)
def outbox_deliver_task(message_id: int) -> str | None:
    status = services.outbox_deliver(message_id=message_id)
    return str(status) if status else None


@shared_task(name="provisioning.outbox_sweep", ignore_result=True)
def outbox_sweep_task() -> dict:
    return services.outbox_sweep()


@shared_task(name="default.inbound_process", acks_late=True, ignore_result=True)
def inbound_process_task(message_id: int) -> str | None:
    status = services.inbound_process(message_id=message_id)
    return str(status) if status else None


@shared_task(name="default.inbound_sweep", ignore_result=True)
def inbound_sweep_task() -> int:
    return services.inbound_sweep()
