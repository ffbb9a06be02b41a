"""The bulk generator behind the benchmarks: its customers must be as valid as
those an operator creates, or the benchmarks measure something else."""

from __future__ import annotations

from io import StringIO

import phonenumbers
import pytest
from django.core.management import call_command
from stdnum.es import dni

from callcenter.search import search_everything
from customers.contacts import display_phone
from customers.management.commands.generate_customers import nif_for, phone_for
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    CustomerEvent,
    Interaction,
    ServiceUser,
    fold,
)
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def generate(**options) -> str:
    errors = StringIO()
    call_command("generate_customers", stdout=StringIO(), stderr=errors, **options)
    return errors.getvalue()


def test_it_generates_customers_with_consecutive_numbers():
    generate(count=200, chunk_size=64)

    numbers = list(Customer.objects.order_by("number").values_list("number", flat=True))
    assert numbers == [f"C{value:08d}" for value in range(1, 201)]


def test_it_generates_valid_unique_documents_phones_and_emails():
    generate(count=200)

    customers = list(Customer.objects.prefetch_related("contacts"))
    assert len(customers) == 200
    documents = [customer.document_number for customer in customers]
    assert all(dni.is_valid(document) for document in documents)
    assert len(set(documents)) == 200
    phones, emails = [], []
    for customer in customers:
        kinds = sorted(contact.kind for contact in customer.contacts.all())
        assert kinds == ["email", "phone"]
        for contact in customer.contacts.all():
            (phones if contact.kind == "phone" else emails).append(contact.value)
    for phone in phones:
        number = phonenumbers.parse(phone, None)
        assert phonenumbers.is_valid_number(number)
        assert phone == phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    assert all(email == email.lower() and "@" in email for email in emails)
    assert len(set(phones)) == len(set(emails)) == 200


def test_it_stores_the_search_name_the_model_computes():
    generate(count=200)

    for customer in Customer.objects.all():
        assert customer.search_name == fold(
            " ".join((customer.given_name, customer.family_name, customer.organisation_name))
        )
        stored = customer.search_name
        customer.refresh_search_name()
        assert customer.search_name == stored


def test_it_generates_rows_that_pass_model_validation():
    generate(count=30, interactions_for=2, interactions_each=5)

    for model in (Customer, ContactPoint, ServiceUser, Address, BillingAccount, Interaction):
        rows = list(model.objects.all())
        assert rows, model
        for row in rows:
            row.full_clean()


def test_it_gives_long_histories_to_the_customers_asked_for():
    generate(count=30, interactions_for=2, interactions_each=5)

    with_history = Customer.objects.filter(interactions__isnull=False).distinct()
    assert with_history.count() == 2
    for customer in with_history:
        assert customer.status == "active"
        assert customer.interactions.count() == 5
        assert customer.billing_accounts.count() == 2
        assert customer.service_users.count() == 3
        assert customer.addresses.count() == 2
        assert CustomerEvent.objects.filter(customer=customer, kind="created").count() == 1
    accounts = sorted(BillingAccount.objects.values_list("number", flat=True))
    assert accounts == ["A00000001", "A00000002", "A00000003", "A00000004"]


def test_it_adds_to_existing_customers(operator):
    make_customer(actor=operator, given_name="Alice", family_name="Liddell",
                  document_number="12345678Z")

    generate(count=20)
    generate(count=10)

    numbers = list(Customer.objects.order_by("number").values_list("number", flat=True))
    assert numbers == [f"C{value:08d}" for value in range(1, 32)]


def test_it_moves_aside_documents_and_phones_held_by_typed_customers(operator):
    # The typed customer takes C00000001, so the generator starts at 2: give
    # her the document and phone that number 2 would get.
    typed = make_customer(actor=operator, given_name="Alice", family_name="Liddell",
                          document_number=nif_for(2), phone=phone_for(2))

    generate(count=5)

    second = Customer.objects.get(number="C00000002")
    assert second.document_number != typed.document_number
    assert dni.is_valid(second.document_number)
    assert second.contacts.get(kind="phone").value != phone_for(2)
    assert Customer.objects.count() == 6


def test_it_makes_customers_the_desk_search_finds(operator):
    generate(count=200)
    customer = Customer.objects.get(number="C00000123")
    phone = customer.contacts.get(kind="phone").value
    email = customer.contacts.get(kind="email").value

    queries = {
        "number": customer.number,
        "short number": "123",
        "document": customer.document_number.lower(),
        "phone": display_phone(phone),
        "email": email.upper(),
        "name": f"{customer.given_name} {customer.family_name}",
        "prefixes": f"{customer.given_name[:3]} {customer.family_name[:3]}",
    }
    for label, query in queries.items():
        result = search_everything(query=query, actor=operator, limit=200)
        titles = [hit.title for hit in result.hits]
        assert any(title.startswith(customer.number) for title in titles), (label, query)


def test_it_refuses_a_count_below_one():
    with pytest.raises(Exception, match="--count must be at least 1"):
        generate(count=0)
