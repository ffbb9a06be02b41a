"""What the tests of operator pages share: a customer with one of everything,
the people who may call a page, what a page says next to a field, and a
snapshot of every row a refused request must leave alone."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import pytest
from django.test import Client

from callcenter.models import CallCenter, OperatorProfile
from customers import services
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    CustomerEvent,
    Interaction,
    PortalAccount,
    ServiceUser,
)
from sesmu.models import AuditEvent, NumberSeries, User
from sesmu.roles import Role

ALICE_IBAN = "ES9121000418450200051332"
ALICE_IBAN_MASKED = "ES91 **** **** **** **** 1332"

# Who may call a page: anonymous visitors, a portal customer, a staff user
# with no role, and a staff user of each role.
ANONYMOUS = "anonymous"
PORTAL = "portal"
NO_ROLE = "no_role"
ROLES = list(Role.values)
CALLERS = [ANONYMOUS, PORTAL, NO_ROLE, *ROLES]


@dataclass(frozen=True)
class AliceFile:
    """Alice's customer with one of everything hanging from it."""

    customer: Customer
    service_user: ServiceUser
    phone: ContactPoint
    email: ContactPoint
    address: Address
    account: BillingAccount


def give_alice_everything(*, operator: User, customer: Customer) -> AliceFile:
    service_user = services.service_user_create(
        actor=operator, customer=customer, given_name="Lorina", family_name="Liddell",
        relationship="family", phone="600 999 888", language="en",
    )
    address = services.address_create(
        actor=operator, customer=customer, street="Calle de Alcalá", street_number="42",
        details="3º B", postal_code="28014", city="Madrid", province="Madrid",
    )
    account = services.billing_account_create(
        actor=operator, customer=customer, name="Main account", bill_language="en",
        delivery_email="alice@example.com", iban=ALICE_IBAN,
    )
    return AliceFile(
        customer=customer,
        service_user=service_user,
        phone=customer.contacts.get(kind="phone"),
        email=customer.contacts.get(kind="email"),
        address=address,
        account=account,
    )


def client_for(caller: str, request: pytest.FixtureRequest) -> tuple[Client, User | None]:
    """A test client logged in as the caller, and the caller's user."""
    client = Client()
    if caller == ANONYMOUS:
        return client, None
    if caller == PORTAL:
        user = request.getfixturevalue("alice")
    else:
        make = request.getfixturevalue("user_with_role")
        user = make(None if caller == NO_ROLE else caller)
    client.force_login(user)
    return client, user


def login_url(path: str) -> str:
    """Where staff pages send anonymous visitors."""
    return f"/login/?next={quote(path, safe='/')}"


def field_block(page: str, name: str) -> str:
    """The text of the `<div class="field">` holding the control named `name`,
    unescaped: its label, its control, its help and its errors."""
    control = re.search(rf'name="{re.escape(name)}"', page)
    assert control is not None, f"no control named {name!r} on the page"
    start = page.rfind('<div class="field', 0, control.start())
    end = page.find("</div>", control.end())
    assert start != -1 and end != -1, f"the control {name!r} is not inside a field div"
    return html.unescape(page[start:end])


def field_errors(page: str, name: str) -> list[str]:
    """The error messages shown next to the control named `name`."""
    block = field_block(page, name)
    lists = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', block, re.DOTALL)
    return [item for errors in lists for item in re.findall(r"<li>(.*?)</li>", errors, re.DOTALL)]


def hidden_value(page: str, name: str) -> str:
    match = re.search(rf'<input type="hidden" name="{re.escape(name)}" value="([^"]*)"', page)
    assert match is not None, f"no hidden input named {name!r}"
    return html.unescape(match.group(1))


SNAPSHOT_MODELS = [
    Customer, CustomerEvent, ServiceUser, ContactPoint, Address, BillingAccount, Interaction,
    PortalAccount, AuditEvent, NumberSeries, User, CallCenter, OperatorProfile,
]


def database_snapshot() -> dict[str, list[dict[str, Any]]]:
    """Every row a page of the desk could change, to compare before and after.
    Logins touch `last_login` only, so it is left out."""
    snapshot = {}
    for model in SNAPSHOT_MODELS:
        rows = list(model.objects.order_by("pk").values())
        for row in rows:
            row.pop("last_login", None)
        snapshot[model._meta.label] = rows
    return snapshot
