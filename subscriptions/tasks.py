"""Celery tasks of the subscriptions app: thin, re-fetching, safe to run twice."""

from __future__ import annotations

from celery import shared_task

from subscriptions.services import catalog, lifecycle


@shared_task(name="default.subscription_orders_due", ignore_result=True)
def subscription_orders_due_task() -> int:
    """Carry out the orders whose date has come (holiday ends, cancellations
    after notice, changes at the next cycle)."""
    return len(lifecycle.orders_run_due())


@shared_task(name="default.offer_versions_retire_expired", ignore_result=True)
def offer_versions_retire_expired_task() -> int:
    """Versions whose last day of sale has passed are retired."""
    return len(catalog.offer_versions_retire_expired())
