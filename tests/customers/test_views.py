"""Operator pages that create and change customers and what hangs from them:
who may use each, what a mistake looks like (422, the message next to the
field, nothing saved) and what a good form does (back to the 360 page)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from customers import services
from customers.models import Address, BillingAccount, ContactPoint, Customer, ServiceUser
from tests.factories import valid_nif
from tests.pages import (
    ALICE_IBAN,
    ALICE_IBAN_MASKED,
    ANONYMOUS,
    CALLERS,
    AliceFile,
    client_for,
    database_snapshot,
    field_block,
    field_errors,
    give_alice_everything,
    login_url,
)

# Every test here uses the database, some only through fixtures looked up at
# run time (client_for): marking them all keeps pytest-django running them
# before the transactional tests that flush the roles the migrations made.
pytestmark = pytest.mark.django_db

EDITORS = frozenset({"cc_operator", "cc_supervisor", "backoffice_admin"})
ACCOUNT_EDITORS = EDITORS | {"billing_agent"}


def customer_url(customer) -> str:
    return f"/desk/customers/{customer.pk}/"


@pytest.fixture
def alice_file(operator, alice_customer) -> AliceFile:
    return give_alice_everything(operator=operator, customer=alice_customer)


def customer_data(**overrides) -> dict[str, str]:
    data = {
        "kind": "person", "given_name": "Carla", "family_name": "Campos Cruz",
        "organisation_name": "", "document_type": "nif", "document_number": valid_nif(7),
        "document_country": "ES", "birth_date": "", "phone": "", "email": "",
        "language": "es", "segment": "residential", "notes": "",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def alice_data(**overrides) -> dict[str, str]:
    """Alice's details as her edit form posts them back."""
    data = customer_data(given_name="Alice", family_name="Liddell Pleasance",
                         document_number="12345678Z", language="en", phone=None, email=None)
    data.update(overrides)
    return data


def service_user_data(**overrides) -> dict[str, str]:
    data = {"relationship": "family", "given_name": "Edith", "family_name": "Liddell",
            "email": "", "phone": "", "language": "en", "is_active": "on"}
    data.update(overrides)
    return data


def address_data(**overrides) -> dict[str, str]:
    data = {"purpose": "service", "street": "Calle Mayor", "street_number": "1",
            "details": "", "postal_code": "28013", "city": "Madrid", "province": "Madrid",
            "country": "ES", "is_active": "on"}
    data.update(overrides)
    return data


def account_data(**overrides) -> dict[str, str]:
    data = {"name": "Second account", "currency": "EUR", "bill_language": "en",
            "bill_format": "pdf", "detail_level": "summary", "delivery_method": "email",
            "delivery_email": "alice@example.com", "billing_address": "",
            "payment_method": "direct_debit", "iban": "ES7921000813610123456789",
            "bill_day": "5"}
    data.update(overrides)
    return data


# Who may use which page -------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    path: Callable[[AliceFile], str]
    allowed: frozenset[str]
    data: Callable[[AliceFile], dict] = field(default=lambda alice_file: {})

    @property
    def status(self) -> int:
        """What an allowed caller gets: the form, or back to the 360 page."""
        return 200 if self.method == "get" else 302


def _base(alice_file: AliceFile) -> str:
    return customer_url(alice_file.customer)


CUSTOMER_PAGES = [
    Page("customer_create_form", "get", lambda f: "/desk/customers/new/", EDITORS),
    Page("customer_create", "post", lambda f: "/desk/customers/new/", EDITORS,
         lambda f: customer_data()),
    Page("customer_edit_form", "get", lambda f: f"{_base(f)}edit/", EDITORS),
    Page("customer_edit", "post", lambda f: f"{_base(f)}edit/", EDITORS,
         lambda f: alice_data(notes="Prefers e-mail.")),
    Page("customer_activate", "post", lambda f: f"{_base(f)}status/activate/", EDITORS,
         lambda f: {"reason": "Signed the contract."}),
    Page("service_user_create_form", "get", lambda f: f"{_base(f)}service-users/new/", EDITORS),
    Page("service_user_create", "post", lambda f: f"{_base(f)}service-users/new/", EDITORS,
         lambda f: service_user_data()),
    Page("service_user_edit_form", "get",
         lambda f: f"{_base(f)}service-users/{f.service_user.pk}/", EDITORS),
    Page("service_user_edit", "post",
         lambda f: f"{_base(f)}service-users/{f.service_user.pk}/", EDITORS,
         lambda f: service_user_data(given_name="Lory", phone="600 999 888")),
    Page("contact_create_form", "get", lambda f: f"{_base(f)}contacts/new/", EDITORS),
    Page("contact_create", "post", lambda f: f"{_base(f)}contacts/new/", EDITORS,
         lambda f: {"kind": "phone", "value": "910 000 111", "label": "home"}),
    Page("contact_remove", "post", lambda f: f"{_base(f)}contacts/{f.email.pk}/remove/",
         EDITORS),
    Page("address_create_form", "get", lambda f: f"{_base(f)}addresses/new/", EDITORS),
    Page("address_create", "post", lambda f: f"{_base(f)}addresses/new/", EDITORS,
         lambda f: address_data()),
    Page("address_edit_form", "get", lambda f: f"{_base(f)}addresses/{f.address.pk}/", EDITORS),
    Page("address_edit", "post", lambda f: f"{_base(f)}addresses/{f.address.pk}/", EDITORS,
         lambda f: address_data(street="Calle de Alcalá", street_number="44",
                                postal_code="28014")),
    Page("account_create_form", "get", lambda f: f"{_base(f)}accounts/new/", ACCOUNT_EDITORS),
    Page("account_create", "post", lambda f: f"{_base(f)}accounts/new/", ACCOUNT_EDITORS,
         lambda f: account_data()),
    Page("account_edit_form", "get", lambda f: f"{_base(f)}accounts/{f.account.pk}/",
         ACCOUNT_EDITORS),
    Page("account_edit", "post", lambda f: f"{_base(f)}accounts/{f.account.pk}/",
         ACCOUNT_EDITORS, lambda f: account_data(name="Household", iban="")),
    Page("account_close", "post", lambda f: f"{_base(f)}accounts/{f.account.pk}/close/",
         ACCOUNT_EDITORS, lambda f: {"reason": "Moved abroad."}),
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("page", CUSTOMER_PAGES, ids=lambda page: page.name)
def test_it_answers_each_caller_of_a_customer_page_as_their_role_allows(page, caller,
                                                                        alice_file, request):
    # Given Alice's file and a caller
    client, _user = client_for(caller, request)
    path = page.path(alice_file)
    before = database_snapshot()

    # When the caller opens or posts the page
    response = getattr(client, page.method)(path, data=page.data(alice_file))

    # Then anonymous callers log in first, allowed roles get the form or the
    # change, and everyone else a 403 that changed nothing
    if caller == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == login_url(path)
    elif caller in page.allowed:
        assert response.status_code == page.status
        if page.method == "post":
            assert response["Location"].startswith("/desk/customers/")
            assert database_snapshot() != before
        return
    else:
        assert response.status_code == 403
    assert database_snapshot() == before


@pytest.mark.parametrize("path", [
    "/desk/customers/999999/edit/", "/desk/customers/999999/service-users/new/",
    "/desk/customers/999999/contacts/new/", "/desk/customers/999999/addresses/new/",
    "/desk/customers/999999/accounts/new/",
])
def test_it_answers_not_found_for_a_customer_that_does_not_exist(client, operator, path):
    client.force_login(operator)

    response = client.get(path)

    assert response.status_code == 404


@pytest.mark.parametrize(("method", "kind"), [
    ("get", "service-users/{service_user}/"), ("post", "service-users/{service_user}/"),
    ("get", "addresses/{address}/"), ("post", "addresses/{address}/"),
    ("get", "accounts/{account}/"), ("post", "accounts/{account}/"),
    ("post", "accounts/{account}/close/"), ("post", "contacts/{contact}/remove/"),
])
def test_it_does_not_reach_bobs_records_through_alices_page(client, operator, alice_customer,
                                                            bob_customer, method, kind):
    # Given Bob's service user, address, account and contact
    bobs = give_alice_everything(operator=operator, customer=bob_customer)
    client.force_login(operator)
    path = customer_url(alice_customer) + kind.format(
        service_user=bobs.service_user.pk, address=bobs.address.pk, account=bobs.account.pk,
        contact=bobs.phone.pk,
    )
    before = database_snapshot()

    # When the operator reaches them through Alice's page
    response = getattr(client, method)(path, data=address_data())

    # Then they are not found there and nothing changed
    assert response.status_code == 404
    assert database_snapshot() == before


@pytest.mark.parametrize("path", ["status/activate/", "contacts/1/remove/",
                                  "accounts/1/close/"])
def test_it_refuses_a_get_on_a_page_that_changes_things(client, operator, alice_file, path):
    client.force_login(operator)
    before = database_snapshot()

    response = client.get(customer_url(alice_file.customer) + path)

    assert response.status_code == 405
    assert database_snapshot() == before


# Creating a customer ----------------------------------------------------------


def test_it_creates_a_customer_and_opens_their_page(client, operator):
    # Given an operator on the new customer form
    client.force_login(operator)

    # When they fill it in well
    response = client.post("/desk/customers/new/", customer_data(
        given_name="  Carla ", phone="611 222 333", email="Carla@Example.com",
        consent_marketing_email="on", notes="Called about TV.",
    ), follow=True)

    # Then the prospect exists with its first contacts and its page opens
    customer = Customer.objects.get(document_number=valid_nif(7))
    assert response.redirect_chain == [(customer_url(customer), 302)]
    assert (customer.given_name, customer.family_name, customer.status, customer.created_by,
            customer.consent_marketing_email) == ("Carla", "Campos Cruz", "prospect",
                                                  operator, True)
    assert sorted(customer.contacts.values_list("kind", "value")) == [
        ("email", "carla@example.com"), ("phone", "+34611222333"),
    ]
    page = response.content.decode()
    assert "Customer created." in page
    assert '<h1 id="customer-name">Carla Campos Cruz</h1>' in page
    assert "<strong>611 22 23 33</strong>" in page


def test_it_creates_an_organisation_with_a_cif(client, operator):
    client.force_login(operator)

    response = client.post("/desk/customers/new/", customer_data(
        kind="organisation", given_name="", family_name="", organisation_name="Acme Ibérica SL",
        document_type="cif", document_number="a58818501", segment="small_business",
    ))

    customer = Customer.objects.get(document_number="A58818501")
    assert response.status_code == 302
    assert response["Location"] == customer_url(customer)
    assert (customer.kind, customer.display_name) == ("organisation", "Acme Ibérica SL")


@pytest.mark.parametrize(("overrides", "field_name", "message"), [
    ({"document_number": "12345678A"}, "document_number",
     "This NIF has a wrong check letter; expected Z."),
    ({"document_number": "1234"}, "document_number",
     "This is not a valid NIF; it should look like 12345678Z."),
    ({"document_number": ""}, "document_number", "This field is required."),
    ({"phone": "12"}, "phone",
     "This is not a valid phone number. Write it with its country code if it is not Spanish, "
     "e.g. +44 20 7946 0958."),
    ({"email": "carla@"}, "email", "Enter a valid e-mail address, like name@example.com."),
    ({"family_name": "  "}, "family_name", "Enter the family names."),
    ({"given_name": ""}, "given_name", "Enter the given name."),
    ({"kind": "organisation", "given_name": "", "family_name": ""}, "organisation_name",
     "Enter the organisation's name."),
    ({"document_type": "cif", "document_number": "A58818501"}, "document_type",
     "A CIF identifies an organisation; for a person choose NIF, NIE or passport."),
    ({"birth_date": "2999-01-01"}, "birth_date", "The date of birth cannot be in the future."),
    ({"birth_date": "31/02/1990"}, "birth_date", "Enter a valid date."),
    ({"document_type": "passport", "document_number": "X-1", "document_country": "FR"},
     "document_number", "Use 4 to 30 letters and digits, as printed on the document."),
], ids=["nif_check_letter", "nif_format", "no_document", "phone", "email", "family_name",
        "given_name", "organisation_name", "cif_for_person", "future_birth", "bad_date",
        "passport_format"])
def test_it_refuses_a_new_customer_with_a_mistake_and_says_so_next_to_the_field(
    client, operator, overrides, field_name, message
):
    # Given an operator on the new customer form
    client.force_login(operator)
    before = database_snapshot()

    # When they post it with one mistake
    response = client.post("/desk/customers/new/", customer_data(**overrides))

    # Then the form comes back with the error next to that field only, what
    # was typed kept, and nothing was saved
    assert response.status_code == 422
    page = response.content.decode()
    assert field_errors(page, field_name) == [message]
    assert 'class="field has-error' in field_block(page, field_name)
    assert page.count('<ul class="errorlist"') == 1
    assert "Nothing was saved. Please correct the fields marked below." in page
    assert database_snapshot() == before


def test_it_shows_every_mistake_of_a_new_customer_at_once(client, operator):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post("/desk/customers/new/", customer_data(
        family_name="", document_number="12345678A", phone="12", email="carla@",
    ))

    assert response.status_code == 422
    page = response.content.decode()
    assert field_errors(page, "family_name") == ["Enter the family names."]
    assert field_errors(page, "document_number") == [
        "This NIF has a wrong check letter; expected Z."
    ]
    assert len(field_errors(page, "phone")) == 1
    assert field_errors(page, "email") == ["Enter a valid e-mail address, like name@example.com."]
    assert 'value="12345678A"' in field_block(page, "document_number")
    assert database_snapshot() == before


@pytest.mark.parametrize("document_number", ["12345678Z", "12345678-z", " 12.345.678 Z "])
def test_it_refuses_a_document_another_customer_has_and_names_them(client, operator,
                                                                   alice_customer,
                                                                   document_number):
    # Given Alice with NIF 12345678Z
    client.force_login(operator)
    before = database_snapshot()

    # When a new customer is given the same NIF, however it is typed
    response = client.post("/desk/customers/new/",
                           customer_data(document_number=document_number))

    # Then the form says who has it, and nothing was saved
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "document_number") == [
        f"Customer {alice_customer.number} already has this document."
    ]
    assert database_snapshot() == before


# Changing a customer ----------------------------------------------------------


def test_it_shows_the_customers_details_in_the_edit_form(client, operator, alice_customer):
    client.force_login(operator)

    page = client.get(f"{customer_url(alice_customer)}edit/").content.decode()

    assert 'value="Alice"' in field_block(page, "given_name")
    assert 'value="12345678Z"' in field_block(page, "document_number")
    assert 'name="phone"' not in page
    assert 'name="email"' not in page


def test_it_saves_a_customers_new_details_and_shows_them(client, operator, alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}edit/",
                           alice_data(family_name="Liddell", is_vip="on", segment="corporate"),
                           follow=True)

    assert response.redirect_chain == [(customer_url(alice_customer), 302)]
    page = response.content.decode()
    assert "Customer details saved." in page
    assert '<h1 id="customer-name">Alice Liddell</h1>' in page
    assert "★ VIP" in page
    assert "<dt>Segment</dt><dd>Corporate</dd>" in page
    alice_customer.refresh_from_db()
    assert (alice_customer.family_name, alice_customer.is_vip) == ("Liddell", True)


def test_it_refuses_to_give_a_customer_anothers_document(client, operator, alice_customer,
                                                         bob_customer):
    # Given Bob, whose operator types Alice's NIF by mistake
    client.force_login(operator)
    before = database_snapshot()

    # When the edit is saved
    response = client.post(f"{customer_url(bob_customer)}edit/", alice_data(
        given_name="Bob", family_name="Builder Brown",
    ))

    # Then the form names Alice's number and Bob is unchanged
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "document_number") == [
        f"Customer {alice_customer.number} already has this document."
    ]
    assert database_snapshot() == before


def test_it_refuses_an_edit_with_a_mistake_and_changes_nothing(client, operator,
                                                              alice_customer):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}edit/",
                           alice_data(kind="organisation"))

    assert response.status_code == 422
    assert field_errors(response.content.decode(), "organisation_name") == [
        "Enter the organisation's name."
    ]
    assert database_snapshot() == before


def test_it_activates_a_prospect_and_shows_the_new_status(client, operator, alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}status/activate/",
                           {"reason": "Signed."}, follow=True)

    assert response.redirect_chain == [(customer_url(alice_customer), 302)]
    page = response.content.decode()
    assert "Customer status changed." in page
    assert '<span class="badge active">Active</span>' in page
    alice_customer.refresh_from_db()
    assert alice_customer.status == "active"


def test_it_refuses_a_transition_the_status_does_not_allow(client, operator, alice_customer):
    # Given Alice, a prospect
    client.force_login(operator)
    before = database_snapshot()

    # When the operator tries to make her a former customer
    response = client.post(f"{customer_url(alice_customer)}status/make-former/")

    # Then nothing changed and her page says why
    assert response.status_code == 302
    assert response["Location"] == customer_url(alice_customer)
    assert database_snapshot() == before
    page = client.get(customer_url(alice_customer)).content.decode()
    assert "A customer who is prospect cannot make this change." in page


def test_it_does_not_know_other_transitions(client, operator, alice_customer):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}status/delete/")

    assert response.status_code == 404
    assert database_snapshot() == before


# Service users ----------------------------------------------------------------


def test_it_adds_a_service_user_and_shows_them(client, operator, alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}service-users/new/",
                           service_user_data(phone="600 123 456", email="Edith@Example.com"),
                           follow=True)

    assert response.redirect_chain == [(customer_url(alice_customer), 302)]
    page = response.content.decode()
    assert "Service user added." in page
    assert "<strong>Edith Liddell</strong>" in page
    service_user = ServiceUser.objects.get(customer=alice_customer)
    assert (service_user.phone, service_user.email) == ("+34600123456", "edith@example.com")


@pytest.mark.parametrize(("overrides", "field_name", "message"), [
    ({"given_name": " "}, "given_name", "Enter the given name."),
    ({"phone": "99"}, "phone",
     "This is not a valid phone number. Write it with its country code if it is not Spanish, "
     "e.g. +44 20 7946 0958."),
    ({"email": "edith@@example.com"}, "email",
     "Enter a valid e-mail address, like name@example.com."),
])
def test_it_refuses_a_service_user_with_a_mistake(client, operator, alice_customer, overrides,
                                                  field_name, message):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}service-users/new/",
                           service_user_data(**overrides))

    assert response.status_code == 422
    assert field_errors(response.content.decode(), field_name) == [message]
    assert database_snapshot() == before


def test_it_changes_a_service_user(client, operator, alice_file):
    client.force_login(operator)

    response = client.post(
        f"{customer_url(alice_file.customer)}service-users/{alice_file.service_user.pk}/",
        service_user_data(given_name="Lorina", is_active=""),
    )

    assert response.status_code == 302
    alice_file.service_user.refresh_from_db()
    assert (alice_file.service_user.given_name, alice_file.service_user.is_active) == (
        "Lorina", False
    )


def test_it_refuses_a_service_user_change_with_a_mistake(client, operator, alice_file):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(
        f"{customer_url(alice_file.customer)}service-users/{alice_file.service_user.pk}/",
        service_user_data(phone="12"),
    )

    assert response.status_code == 422
    assert len(field_errors(response.content.decode(), "phone")) == 1
    assert database_snapshot() == before


# Contacts ---------------------------------------------------------------------


def test_it_adds_a_phone_and_shows_it(client, operator, alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}contacts/new/",
                           {"kind": "phone", "value": "+44 20 7946 0958", "label": "work"},
                           follow=True)

    assert response.redirect_chain == [(customer_url(alice_customer), 302)]
    page = response.content.decode()
    assert "Contact added." in page
    assert "<strong>+44 20 7946 0958</strong>" in page
    assert alice_customer.contacts.filter(value="+442079460958", label="work").count() == 1


@pytest.mark.parametrize(("data", "message"), [
    ({"kind": "phone", "value": "12345"},
     "This is not a valid phone number. Write it with its country code if it is not Spanish, "
     "e.g. +44 20 7946 0958."),
    ({"kind": "email", "value": "alice.example.com"},
     "Enter a valid e-mail address, like name@example.com."),
    ({"kind": "email", "value": "ALICE@example.com"}, "This customer already has this contact."),
    ({"kind": "phone", "value": "600 111 222"}, "This customer already has this contact."),
    ({"kind": "phone", "value": ""}, "This field is required."),
], ids=["phone", "email", "duplicate_email", "duplicate_phone", "empty"])
def test_it_refuses_a_contact_with_a_mistake(client, operator, alice_customer, data, message):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}contacts/new/",
                           {"label": "mobile", **data})

    assert response.status_code == 422
    assert field_errors(response.content.decode(), "value") == [message]
    assert database_snapshot() == before


def test_it_removes_a_contact(client, operator, alice_file):
    client.force_login(operator)

    response = client.post(
        f"{customer_url(alice_file.customer)}contacts/{alice_file.email.pk}/remove/", follow=True
    )

    assert response.redirect_chain == [(customer_url(alice_file.customer), 302)]
    page = response.content.decode()
    assert "Contact removed." in page
    assert "<strong>alice@example.com</strong>" not in page
    assert not ContactPoint.objects.filter(pk=alice_file.email.pk).exists()


# Addresses --------------------------------------------------------------------


def test_it_adds_an_address_and_shows_it(client, operator, alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}addresses/new/",
                           address_data(details="2º A"), follow=True)

    assert response.redirect_chain == [(customer_url(alice_customer), 302)]
    page = response.content.decode()
    assert "Address added." in page
    assert "Calle Mayor 1, 2º A<br>" in page


@pytest.mark.parametrize(("overrides", "field_name", "message"), [
    ({"postal_code": "99999"}, "postal_code",
     "A Spanish postal code has 5 digits, from 01000 to 52999."),
    ({"postal_code": "2801"}, "postal_code",
     "A Spanish postal code has 5 digits, from 01000 to 52999."),
    ({"postal_code": "00100"}, "postal_code",
     "A Spanish postal code has 5 digits, from 01000 to 52999."),
    ({"street": ""}, "street", "This field is required."),
    ({"country": "XX"}, "country", "Choose a country."),
], ids=["postal_code_99999", "postal_code_short", "postal_code_00", "street", "country"])
def test_it_refuses_an_address_with_a_mistake(client, operator, alice_customer, overrides,
                                              field_name, message):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}addresses/new/",
                           address_data(**overrides))

    assert response.status_code == 422
    assert field_errors(response.content.decode(), field_name) == [message]
    assert database_snapshot() == before


def test_it_accepts_a_foreign_postal_code(client, operator, alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}addresses/new/",
                           address_data(country="GB", postal_code="SW1A 1AA", city="London",
                                        province=""))

    assert response.status_code == 302
    assert Address.objects.get(customer=alice_customer).postal_code == "SW1A 1AA"


def test_it_changes_an_address(client, operator, alice_file):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_file.customer)}addresses/{alice_file.address.pk}/",
                           address_data(street_number="44", postal_code="28014"), follow=True)

    assert "Address saved." in response.content.decode()
    alice_file.address.refresh_from_db()
    assert (alice_file.address.street, alice_file.address.street_number) == ("Calle Mayor", "44")


def test_it_refuses_an_address_change_with_a_mistake(client, operator, alice_file):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_file.customer)}addresses/{alice_file.address.pk}/",
                           address_data(postal_code="99999"))

    assert response.status_code == 422
    assert field_errors(response.content.decode(), "postal_code") == [
        "A Spanish postal code has 5 digits, from 01000 to 52999."
    ]
    assert database_snapshot() == before


# Billing accounts -------------------------------------------------------------


def test_it_offers_a_new_account_prefilled_from_the_customer(client, operator, alice_customer):
    client.force_login(operator)

    page = client.get(f"{customer_url(alice_customer)}accounts/new/").content.decode()

    assert 'value="Main account"' in field_block(page, "name")
    assert 'value="alice@example.com"' in field_block(page, "delivery_email")
    assert '<option value="en" selected>' in field_block(page, "bill_language")


def test_it_opens_a_billing_account_and_shows_it_masked(client, operator, alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}accounts/new/",
                           account_data(iban="es91 2100 0418 4502 0005 1332"), follow=True)

    assert response.redirect_chain == [(customer_url(alice_customer), 302)]
    page = response.content.decode()
    assert "Billing account opened." in page
    account = BillingAccount.objects.get(customer=alice_customer)
    assert (account.iban, account.bill_day) == (ALICE_IBAN, 5)
    assert f"<strong>{account.number}</strong>" in page
    assert ALICE_IBAN_MASKED in page
    assert ALICE_IBAN not in page


@pytest.mark.parametrize(("overrides", "field_name", "message"), [
    ({"iban": "ES91 2100"}, "iban",
     "This is not a valid IBAN, e.g. ES91 2100 0418 4502 0005 1332."),
    ({"iban": "ES9221000418450200051332"}, "iban",
     "This IBAN has wrong check digits; check it was typed correctly."),
    ({"iban": ""}, "iban", "Direct debit needs the IBAN of the account to charge."),
    ({"delivery_email": ""}, "delivery_email", "Bills sent by e-mail need an e-mail address."),
    ({"delivery_email": "alice@"}, "delivery_email",
     "Enter a valid e-mail address, like name@example.com."),
    ({"delivery_method": "post"}, "billing_address", "Bills sent by post need a billing address."),
    ({"bill_day": "29"}, "bill_day", "Ensure this value is less than or equal to 28."),
    ({"name": ""}, "name", "This field is required."),
], ids=["iban_format", "iban_checksum", "direct_debit_without_iban", "no_delivery_email",
        "delivery_email", "post_without_address", "bill_day", "name"])
def test_it_refuses_an_account_with_a_mistake(client, operator, alice_customer, overrides,
                                              field_name, message):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}accounts/new/",
                           account_data(**overrides))

    assert response.status_code == 422
    page = response.content.decode()
    assert field_errors(page, field_name) == [message]
    assert page.count('<ul class="errorlist"') == 1
    assert database_snapshot() == before


def test_it_refuses_a_billing_address_of_another_customer(client, operator, alice_customer,
                                                          bob_customer):
    bobs_address = services.address_create(actor=operator, customer=bob_customer,
                                           street="Calle Bob", postal_code="28001",
                                           city="Madrid")
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}accounts/new/",
                           account_data(delivery_method="post",
                                        billing_address=str(bobs_address.pk)))

    assert response.status_code == 422
    assert field_errors(response.content.decode(), "billing_address") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert "Calle Bob" not in response.content.decode()
    assert database_snapshot() == before


def test_it_never_shows_the_saved_iban_in_the_edit_form(client, operator, alice_file):
    client.force_login(operator)

    page = client.get(
        f"{customer_url(alice_file.customer)}accounts/{alice_file.account.pk}/"
    ).content.decode()

    assert ALICE_IBAN not in page
    assert ALICE_IBAN[4:12] not in page
    assert f"Saved: {ALICE_IBAN_MASKED}. Leave empty to keep it." in field_block(page, "iban")


def test_it_keeps_the_saved_iban_when_left_empty(client, operator, alice_file):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_file.customer)}accounts/{alice_file.account.pk}/",
                           account_data(name="Household", iban=""), follow=True)

    assert "Billing account saved." in response.content.decode()
    alice_file.account.refresh_from_db()
    assert (alice_file.account.name, alice_file.account.iban) == ("Household", ALICE_IBAN)


def test_it_does_not_echo_the_saved_iban_when_an_edit_fails(client, operator, alice_file):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_file.customer)}accounts/{alice_file.account.pk}/",
                           account_data(iban="", bill_day="40"))

    assert response.status_code == 422
    page = response.content.decode()
    assert field_errors(page, "bill_day") == ["Ensure this value is less than or equal to 28."]
    assert ALICE_IBAN not in page
    assert database_snapshot() == before


def test_it_closes_an_account_and_shows_it_closed(client, operator, alice_file):
    client.force_login(operator)

    response = client.post(
        f"{customer_url(alice_file.customer)}accounts/{alice_file.account.pk}/close/",
        {"reason": "Moved."}, follow=True,
    )

    assert response.redirect_chain == [(customer_url(alice_file.customer), 302)]
    page = response.content.decode()
    assert "Billing account closed." in page
    assert '<span class="badge closed">Closed</span>' in page
    alice_file.account.refresh_from_db()
    assert alice_file.account.status == "closed"


def test_it_refuses_to_close_a_closed_account_and_says_why(client, operator, alice_file):
    # Given Alice's account, already closed
    services.billing_account_close(actor=operator, account=alice_file.account)
    client.force_login(operator)
    before = database_snapshot()

    # When the operator closes it again
    response = client.post(
        f"{customer_url(alice_file.customer)}accounts/{alice_file.account.pk}/close/"
    )

    # Then nothing changed and her page says why
    assert response.status_code == 302
    assert database_snapshot() == before
    page = client.get(customer_url(alice_file.customer)).content.decode()
    assert "This billing account is already closed." in page


def test_it_refuses_to_change_a_closed_account(client, operator, alice_file):
    services.billing_account_close(actor=operator, account=alice_file.account)
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(
        f"{customer_url(alice_file.customer)}accounts/{alice_file.account.pk}/",
        account_data(name="Reopened", iban=""),
    )

    assert response.status_code == 422
    assert "This billing account is closed." in response.content.decode()
    assert database_snapshot() == before


# The form page ----------------------------------------------------------------


def test_it_links_each_help_and_error_to_its_field(client, operator):
    client.force_login(operator)

    response = client.post("/desk/customers/new/", customer_data(phone="12"))

    block = field_block(response.content.decode(), "phone")
    assert 'aria-invalid="true"' in block
    assert 'id="id_phone_error"' in block
    assert '<label for="id_phone">Phone</label>' in block


def test_it_goes_back_to_the_customer_from_a_form(client, operator, alice_customer):
    client.force_login(operator)

    page = client.get(f"{customer_url(alice_customer)}addresses/new/").content.decode()

    assert f'<a href="{customer_url(alice_customer)}">Cancel</a>' in page

