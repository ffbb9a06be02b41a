"""Identity documents: normalisation and validation with python-stdnum."""

from __future__ import annotations

import re

import pycountry
from django.utils.translation import gettext as _
from stdnum.es import cif, dni, nie
from stdnum.exceptions import InvalidChecksum, InvalidComponent, InvalidFormat, InvalidLength

from customers.choices import DocumentType
from sesmu.errors import field_error

SPANISH_TYPES = {DocumentType.NIF, DocumentType.NIE, DocumentType.CIF}
_GENERIC_DOCUMENT = re.compile(r"^[A-Z0-9]{4,30}$")


def compact(number: str) -> str:
    return re.sub(r"[\s\-./]", "", number or "").upper()


def validate_country(country: str) -> str:
    code = (country or "").strip().upper()
    if pycountry.countries.get(alpha_2=code) is None:
        raise field_error(
            "document_country",
            _("Choose the country that issued the document."),
            code="invalid_country",
        )
    return code


def normalise_document(document_type: str, number: str, country: str) -> tuple[str, str]:
    """Return (number, country) in their stored form or raise ValidationError
    on the field at fault, saying what would be right."""
    value = compact(number)
    if not value:
        raise field_error("document_number", _("Enter the document number."), code="required")
    if document_type in SPANISH_TYPES:
        return _validate_spanish(document_type, value), "ES"
    if document_type not in DocumentType.values:
        raise field_error(
            "document_type", _("Choose a document type."), code="invalid_document_type"
        )
    country_code = validate_country(country)
    if not _GENERIC_DOCUMENT.match(value):
        raise field_error(
            "document_number",
            _("Use 4 to 30 letters and digits, as printed on the document."),
            code="invalid_document",
        )
    return value, country_code


def _validate_spanish(document_type: str, value: str) -> str:
    module = {DocumentType.NIF: dni, DocumentType.NIE: nie, DocumentType.CIF: cif}[document_type]
    try:
        return module.validate(value)
    except InvalidChecksum:
        raise field_error(
            "document_number",
            _wrong_check_message(document_type, value),
            code="invalid_check_digit",
        )
    except (InvalidFormat, InvalidLength, InvalidComponent):
        examples = {
            DocumentType.NIF: "12345678Z",
            DocumentType.NIE: "X1234567L",
            DocumentType.CIF: "A58818501",
        }
        raise field_error(
            "document_number",
            _("This is not a valid %(type)s; it should look like %(example)s.")
            % {"type": DocumentType(document_type).name, "example": examples[document_type]},
            code="invalid_document",
        )


def _wrong_check_message(document_type: str, value: str) -> str:
    expected = ""
    try:
        if document_type == DocumentType.NIF:
            expected = dni.calc_check_digit(value[:-1])
        elif document_type == DocumentType.NIE:
            expected = nie.calc_check_digit(value[:-1])
        elif document_type == DocumentType.CIF:
            expected = "/".join(cif.calc_check_digits(value[:-1]))
    except Exception:  # noqa: BLE001 - a malformed body has no expected check digit
        expected = ""
    label = DocumentType(document_type).name
    if expected:
        return _("This %(type)s has a wrong check letter; expected %(expected)s.") % {
            "type": label,
            "expected": expected,
        }
    return _("This %(type)s has a wrong check letter.") % {"type": label}
