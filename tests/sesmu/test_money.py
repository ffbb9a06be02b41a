from decimal import Decimal

import pytest
from django.utils import translation

from sesmu.money import MoneyError, allocate, apply_rate, format_money, round_amount, to_decimal


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("0.005", "0.01"),  # half-up, not banker's rounding
        ("0.015", "0.02"),
        ("0.025", "0.03"),
        ("-0.005", "-0.01"),
        ("2.674999", "2.67"),
        (3, "3.00"),
    ],
)
def test_it_rounds_half_up_to_cents(value, expected):
    assert round_amount(value) == Decimal(expected)


def test_it_refuses_floats_and_non_numbers():
    with pytest.raises(MoneyError):
        to_decimal(0.1)
    with pytest.raises(MoneyError):
        to_decimal("abc")
    with pytest.raises(MoneyError):
        to_decimal("NaN")
    with pytest.raises(MoneyError):
        to_decimal(True)


def test_it_applies_a_rate_once_per_line():
    # 21% VAT on 9.99 is 2.0979, rounded once to 2.10.
    assert apply_rate("9.99", "0.21") == Decimal("2.10")
    assert apply_rate("0.05", "0.07") == Decimal("0.00")


def test_it_allocates_a_total_without_losing_a_cent():
    parts = allocate("100.00", [1, 1, 1])
    assert parts == [Decimal("33.34"), Decimal("33.33"), Decimal("33.33")]
    assert sum(parts) == Decimal("100.00")
    assert sum(allocate("-10.00", [3, 7])) == Decimal("-10.00")
    with pytest.raises(MoneyError):
        allocate("1", [])


def test_it_formats_money_in_the_active_language():
    with translation.override("en"):
        assert format_money(Decimal("1234.5"), "EUR") == "€1,234.50"
        assert format_money(Decimal("-3"), "GBP") == "-£3.00"
    with translation.override("es"):
        # Django's Spanish format groups thousands with a (non-breaking) space.
        assert format_money(Decimal("1234.5"), "EUR") == "1\u00a0234,50\u00a0€"
    assert format_money(None) == ""
