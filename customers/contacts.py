"""Phones are stored in E.164 (phonenumbers), e-mails in lower case."""

from __future__ import annotations

import phonenumbers
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from sesmu.errors import field_error


def normalise_phone(value: str, *, field: str = "value", region: str | None = None) -> str:
    raw = (value or "").strip()
    region = region or settings.SESMU_DEFAULT_PHONE_REGION
    try:
        number = phonenumbers.parse(raw, region)
    except phonenumbers.NumberParseException:
        number = None
    if number is None or not phonenumbers.is_valid_number(number):
        raise field_error(
            field,
            _(
                "This is not a valid phone number. Write it with its country code "
                "if it is not Spanish, e.g. +44 20 7946 0958."
            ),
            code="invalid_phone",
        )
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def looks_like_phone(value: str) -> str | None:
    """The E.164 form of a search text that is a phone number, else None."""
    raw = (value or "").strip()
    digits = [character for character in raw if character.isdigit()]
    if len(digits) < 6 or any(c.isalpha() for c in raw):
        return None
    try:
        return normalise_phone(raw)
    except ValidationError:
        return None


def display_phone(value: str) -> str:
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        return value
    region = settings.SESMU_DEFAULT_PHONE_REGION
    if phonenumbers.region_code_for_number(number) == region:
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.NATIONAL)
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.INTERNATIONAL)


def normalise_email(value: str, *, field: str = "value") -> str:
    email = (value or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise field_error(
            field, _("Enter a valid e-mail address, like name@example.com."), code="invalid_email"
        )
    return email
