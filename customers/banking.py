"""Bank accounts: IBANs validated by schwifty and never shown in full."""

from __future__ import annotations

from django.utils.translation import gettext as _
from schwifty import IBAN
from schwifty.exceptions import InvalidChecksumDigits, SchwiftyException

from sesmu.errors import field_error


def normalise_iban(value: str, *, field: str = "iban") -> str:
    try:
        return IBAN(value or "").compact
    except InvalidChecksumDigits:
        raise field_error(
            field,
            _("This IBAN has wrong check digits; check it was typed correctly."),
            code="invalid_iban_checksum",
        )
    except SchwiftyException:
        raise field_error(
            field,
            _("This is not a valid IBAN, e.g. ES91 2100 0418 4502 0005 1332."),
            code="invalid_iban",
        )


def mask_iban(value: str) -> str:
    """ES91 **** **** **** **** 1332: country, check digits and last four."""
    if not value:
        return ""
    hidden = "*" * (len(value) - 8)
    masked = value[:4] + hidden + value[-4:]
    return " ".join(masked[index : index + 4] for index in range(0, len(masked), 4))
