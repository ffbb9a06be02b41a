"""Celery tasks of the subscriptions app: thin, re-fetching, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from subscriptions.services import lifecycle


@shared_task(name="default.subscription_orders_due", ignore_result=True)
def subscription_orders_due_task() -> int:
    """Carry out the orders whose date has come (holiday ends, cancellations
    after notice, changes at the next cycle)."""
    return len(lifecycle.orders_run_due())
