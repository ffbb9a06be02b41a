"""Gap-free number series.

`series_next` must run inside the transaction that stores the numbered
document: the series row stays locked until that transaction ends, so a
rollback returns the number and no two documents share one."""

from __future__ import annotations

from django.db import transaction
from django.db.models import F

from sesmu.models import NumberSeries

DEFAULT_SERIES = {
    "customer": {"prefix": "C", "padding": 8},
    "billing_account": {"prefix": "A", "padding": 8},
    "stock_transfer": {"prefix": "T", "padding": 8},
    "goods_receipt": {"prefix": "R", "padding": 8},
    "work_order": {"prefix": "W", "padding": 8},
    "subscription": {"prefix": "S", "padding": 8},
    "subscription_order": {"prefix": "O", "padding": 8},
}


def _series_locked(name: str) -> NumberSeries:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("Number series must be used inside the document's transaction.")
    defaults = DEFAULT_SERIES.get(name, {"prefix": "", "padding": 8})
    NumberSeries.objects.get_or_create(name=name, defaults=defaults)
    return NumberSeries.objects.select_for_update().get(name=name)


def series_next(*, name: str) -> str:
    """The next number of a series, e.g. "C00000042"."""
    return series_reserve(name=name, count=1)[0]


def series_reserve(*, name: str, count: int) -> list[str]:
    """`count` consecutive numbers at once, formatted."""
    series, values = series_reserve_range(name=name, count=count)
    return [series.format(value) for value in values]


def series_reserve_range(*, name: str, count: int) -> tuple[NumberSeries, range]:
    """`count` consecutive values at once, unformatted: a bulk load of a
    million documents needs the integers (and `series.format(value)` for each)
    rather than a million strings built up front."""
    if count < 1:
        raise ValueError("count must be at least 1")
    series = _series_locked(name)
    first = series.next_value
    NumberSeries.objects.filter(pk=series.pk).update(next_value=F("next_value") + count)
    return series, range(first, first + count)
