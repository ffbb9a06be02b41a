"""Money is Decimal, never float.

Amounts carry 2 decimals, rates up to 6. There is one rounding rule for the
whole system: half-up, applied once per invoice line (and anywhere else an
amount is derived from a rate)."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.db import models
from django.utils import formats
from django.utils.translation import get_language

CENT = Decimal("0.01")
RATE_QUANTUM = Decimal("0.000001")
AMOUNT_MAX_DIGITS = 14
RATE_MAX_DIGITS = 12

CURRENCY_SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}


class MoneyError(ValueError):
    """A value that cannot be an amount of money."""


def to_decimal(value: Decimal | int | str) -> Decimal:
    """Convert without ever passing through float."""
    if isinstance(value, float):
        raise MoneyError("Money must never be a float; pass a Decimal, int or str.")
    if isinstance(value, bool):
        raise MoneyError("A boolean is not an amount.")
    try:
        result = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise MoneyError(f"{value!r} is not a number.")
    if not result.is_finite():
        raise MoneyError(f"{value!r} is not a finite number.")
    return result


def round_amount(value: Decimal | int | str) -> Decimal:
    """Round to cents, half-up: the system's one rounding rule."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def round_rate(value: Decimal | int | str) -> Decimal:
    return to_decimal(value).quantize(RATE_QUANTUM, rounding=ROUND_HALF_UP)


def apply_rate(amount: Decimal | int | str, rate: Decimal | int | str) -> Decimal:
    """amount × rate rounded once, e.g. a tax or a discount on one line."""
    return round_amount(to_decimal(amount) * round_rate(rate))


def allocate(total: Decimal | int | str, weights: list[Decimal | int]) -> list[Decimal]:
    """Split a total into parts proportional to weights, in cents, so the parts
    always add up to the total exactly (largest remainder goes first)."""
    total_cents = int(round_amount(total) * 100)
    weight_values = [to_decimal(weight) for weight in weights]
    weight_sum = sum(weight_values, Decimal(0))
    if not weight_values or weight_sum <= 0:
        raise MoneyError("Weights must be positive and not empty.")
    raw = [Decimal(total_cents) * weight / weight_sum for weight in weight_values]
    cents = [int(part) for part in raw]
    remainder = total_cents - sum(cents)
    order = sorted(range(len(raw)), key=lambda index: raw[index] - cents[index], reverse=True)
    for index in order[: abs(remainder)]:
        cents[index] += 1 if remainder > 0 else -1
    return [Decimal(cent) / 100 for cent in cents]


def format_money(amount: Decimal | int | str | None, currency: str = "EUR") -> str:
    """An amount with its currency, in the active language's number format."""
    if amount is None:
        return ""
    value = round_amount(amount)
    number = formats.number_format(value, decimal_pos=2, use_l10n=True, force_grouping=True)
    symbol = CURRENCY_SYMBOLS.get(currency, currency)
    if (get_language() or "en").startswith("es"):
        return f"{number}\u00a0{symbol}"
    if value < 0:
        return f"-{symbol}{number.lstrip('-')}"
    return f"{symbol}{number}"


class AmountField(models.DecimalField):
    """An amount of money: 2 decimals."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", AMOUNT_MAX_DIGITS)
        kwargs.setdefault("decimal_places", 2)
        super().__init__(*args, **kwargs)


class RateField(models.DecimalField):
    """A rate or a unit price with up to 6 decimals."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_digits", RATE_MAX_DIGITS)
        kwargs.setdefault("decimal_places", 6)
        super().__init__(*args, **kwargs)
