import pytest
from django.core.exceptions import ValidationError

from customers.banking import mask_iban, normalise_iban
from customers.contacts import display_phone, looks_like_phone, normalise_email, normalise_phone
from customers.documents import normalise_document


def error_of(call) -> tuple[str, str, str]:
    with pytest.raises(ValidationError) as raised:
        call()
    field, items = next(iter(raised.value.error_dict.items()))
    return field, items[0].code, items[0].messages[0]


@pytest.mark.parametrize(
    ("document_type", "raw", "expected"),
    [
        ("nif", "12345678z", "12345678Z"),
        ("nif", "12.345.678-Z", "12345678Z"),
        ("nie", "x1234567l", "X1234567L"),
        ("cif", "A58818501", "A58818501"),
    ],
)
def test_it_normalises_valid_spanish_documents(document_type, raw, expected):
    assert normalise_document(document_type, raw, "FR") == (expected, "ES")


def test_it_names_the_expected_check_letter_of_a_nif():
    field, code, message = error_of(lambda: normalise_document("nif", "12345678A", "ES"))
    assert (field, code) == ("document_number", "invalid_check_digit")
    assert message == "This NIF has a wrong check letter; expected Z."


def test_it_names_the_expected_check_letter_of_a_nie():
    field, code, message = error_of(lambda: normalise_document("nie", "X1234567A", "ES"))
    assert code == "invalid_check_digit"
    assert message.endswith("expected L.")


def test_it_explains_a_malformed_nif():
    field, code, message = error_of(lambda: normalise_document("nif", "1234", "ES"))
    assert code == "invalid_document"
    assert "12345678Z" in message


def test_it_requires_the_issuing_country_of_a_passport():
    assert normalise_document("passport", "ab 123456", "gb") == ("AB123456", "GB")
    field, code, _ = error_of(lambda: normalise_document("passport", "AB123456", "XX"))
    assert (field, code) == ("document_country", "invalid_country")
    field, code, _ = error_of(lambda: normalise_document("foreign_id", "A!", "FR"))
    assert (field, code) == ("document_number", "invalid_document")


def test_it_requires_a_number():
    field, code, _ = error_of(lambda: normalise_document("nif", "  ", "ES"))
    assert (field, code) == ("document_number", "required")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [("600 111 222", "+34600111222"), ("+34 600-111-222", "+34600111222"),
     ("+44 20 7946 0958", "+442079460958"), ("0034 600 111 222", "+34600111222")],
)
def test_it_stores_phones_in_e164(raw, expected):
    assert normalise_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12", "abc", "600 111", "+34 000 000 000", ""])
def test_it_refuses_invalid_phones(raw):
    field, code, _ = error_of(lambda: normalise_phone(raw, field="phone"))
    assert (field, code) == ("phone", "invalid_phone")


def test_it_recognises_phones_typed_in_the_search_box():
    assert looks_like_phone("600111222") == "+34600111222"
    assert looks_like_phone("C00000012") is None
    assert looks_like_phone("12345") is None
    assert display_phone("+34600111222") == "600 11 12 22"
    assert display_phone("+442079460958") == "+44 20 7946 0958"


def test_it_lowercases_emails_and_refuses_bad_ones():
    assert normalise_email("  Alice@Example.COM ") == "alice@example.com"
    field, code, _ = error_of(lambda: normalise_email("alice@", field="email"))
    assert (field, code) == ("email", "invalid_email")


def test_it_validates_and_masks_ibans():
    iban = normalise_iban("es91 2100 0418 4502 0005 1332")
    assert iban == "ES9121000418450200051332"
    assert mask_iban(iban) == "ES91 **** **** **** **** 1332"
    assert mask_iban("") == ""
    _, code, _ = error_of(lambda: normalise_iban("ES9121000418450200051333"))
    assert code in {"invalid_iban_checksum", "invalid_iban"}
    _, code, _ = error_of(lambda: normalise_iban("hello"))
    assert code == "invalid_iban"
