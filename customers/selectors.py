"""Read paths of the customers app. Every list starts from what the actor may
see; nothing here is reached through `Model.objects.all()` by a view."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Prefetch, Q, QuerySet
from django.utils.translation import gettext as _

from customers.contacts import looks_like_phone
from customers.documents import compact
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
from sesmu.choices import UserKind
from sesmu.errors import NotFound, field_error
from sesmu.models import User

CUSTOMER_NUMBER = re.compile(r"^C?(\d{1,12})$", re.IGNORECASE)
ACCOUNT_NUMBER = re.compile(r"^A(\d{1,12})$", re.IGNORECASE)
DOCUMENT_LIKE = re.compile(r"^(?=.*\d)(?=.*[A-Z])[A-Z0-9]{5,30}$|^\d{8}[A-Z]$")
NAME_TOKEN = re.compile(r"[a-z0-9]+")


def customer_list_visible_to(*, actor: User) -> QuerySet[Customer]:
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Customer.objects.none()
    if actor.kind == UserKind.PORTAL:
        return Customer.objects.filter(portal_accounts__user=actor)
    if actor.has_perm("customers.view_customer"):
        return Customer.objects.all()
    return Customer.objects.none()


def access_customer(*, actor: User, customer_id: Any, for_desk: bool = False) -> Customer:
    """The customer, if the actor may see it; not found alike otherwise.

    `for_desk` prefetches what the 360 page shows of the customer itself, so
    the page costs the same queries whatever the customer has."""
    try:
        customer_id = int(customer_id)
    except (TypeError, ValueError):
        raise NotFound
    queryset = customer_list_visible_to(actor=actor).filter(pk=customer_id)
    if for_desk:
        queryset = queryset.prefetch_related(
            Prefetch("service_users", queryset=ServiceUser.objects.order_by("-is_active", "id")),
            Prefetch(
                "contacts", queryset=ContactPoint.objects.order_by("kind", "-is_primary", "id")
            ),
            Prefetch("addresses", queryset=Address.objects.order_by("-is_active", "purpose", "id")),
            Prefetch(
                "billing_accounts",
                queryset=BillingAccount.objects.select_related("billing_address").order_by(
                    "status", "number"
                ),
            ),
        )
    customer = queryset.first()
    if customer is None:
        raise NotFound
    return customer


def customer_referenced(*, actor: User, customer_id: Any, field: str = "customer") -> Customer:
    """The customer an input names, if the actor may see it; otherwise a
    not-found error on that field (alike for missing and forbidden)."""
    try:
        return access_customer(actor=actor, customer_id=customer_id)
    except NotFound:
        raise field_error(field, _("No such customer."), code="not_found")


def address_referenced(*, actor: User, address_id: Any,
                       field: str = "service_address") -> Address:
    """The address an input names, among those the actor may see. Whether it
    is the right customer's is the services' rule, with its own code."""
    address = address_list_visible_to(actor=actor).filter(pk=address_id).first()
    if address is None:
        raise field_error(field, _("No such address."), code="not_found")
    return address


def _visible_related(model, *, actor: User) -> QuerySet:
    """Rows of a model hanging from Customer, narrowed to visible customers."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return model.objects.none()
    if actor.kind == UserKind.PORTAL:
        return model.objects.filter(customer__portal_accounts__user=actor)
    if actor.has_perm(f"customers.view_{model._meta.model_name}"):
        return model.objects.all()
    return model.objects.none()


def service_user_list_visible_to(*, actor: User) -> QuerySet[ServiceUser]:
    return _visible_related(ServiceUser, actor=actor).select_related("customer")


def billing_account_list_visible_to(*, actor: User) -> QuerySet[BillingAccount]:
    return _visible_related(BillingAccount, actor=actor).select_related(
        "customer", "billing_address"
    )


def interaction_list_visible_to(*, actor: User) -> QuerySet[Interaction]:
    return _visible_related(Interaction, actor=actor).select_related(
        "customer", "operator", "call_center", "service_user"
    )


def address_list_visible_to(*, actor: User) -> QuerySet[Address]:
    return _visible_related(Address, actor=actor).select_related("customer")


def contact_list_visible_to(*, actor: User) -> QuerySet[ContactPoint]:
    return _visible_related(ContactPoint, actor=actor).select_related("customer")


# The lists below read the prefetch of access_customer(for_desk=True) when it
# was made, and query otherwise.


def service_user_list(*, customer: Customer) -> list[ServiceUser]:
    return list(customer.service_users.all())


def contact_list(*, customer: Customer) -> list[ContactPoint]:
    return list(customer.contacts.all())


def address_list(*, customer: Customer) -> list[Address]:
    return list(customer.addresses.all())


def billing_account_list(*, customer: Customer) -> list[BillingAccount]:
    return list(customer.billing_accounts.all())


# Search -----------------------------------------------------------------------


def customer_number_from(text: str) -> str | None:
    match = CUSTOMER_NUMBER.match(text.strip())
    if not match:
        return None
    digits = match.group(1)
    if len(digits) > 8 and not text.strip().upper().startswith("C"):
        return None
    return f"C{int(digits):08d}"


def customer_search_by_number(*, actor: User, text: str) -> list[Customer]:
    number = customer_number_from(text)
    if number is None:
        return []
    return list(customer_list_visible_to(actor=actor).filter(number=number)[:1])


def customer_search_by_account(*, actor: User, text: str) -> list[tuple[Customer, str]]:
    match = ACCOUNT_NUMBER.match(text.strip())
    if not match:
        return []
    number = f"A{int(match.group(1)):08d}"
    accounts = billing_account_list_visible_to(actor=actor).filter(number=number)[:1]
    return [(account.customer, account.number) for account in accounts]


def customer_search_by_document(*, actor: User, text: str, limit: int) -> list[Customer]:
    value = compact(text)
    if not DOCUMENT_LIKE.match(value):
        return []
    return list(customer_list_visible_to(actor=actor).filter(document_number=value)[:limit])


def customer_search_by_contact(
    *, actor: User, text: str, limit: int
) -> list[tuple[Customer, ContactPoint]]:
    text = text.strip()
    if "@" in text:
        value = text.lower()
    else:
        value = looks_like_phone(text)
        if value is None:
            return []
    contacts = (
        contact_list_visible_to(actor=actor).filter(value=value).order_by("customer_id")[:limit]
    )
    return [(contact.customer, contact) for contact in contacts]


def name_tokens(text: str) -> list[str]:
    return NAME_TOKEN.findall(fold(text))


def customer_search_by_name(*, actor: User, text: str, limit: int) -> tuple[list[Customer], bool]:
    """Customers whose names contain words starting with every word typed
    ("mar gar" finds María García). Returns at most `limit` customers, and
    whether there were more.

    On PostgreSQL a GIN index of every prefix of every word of the name
    (customers migration 0003) answers it, each typed word looked up as a
    whole lexeme: a prefix query (`mar:*`) would make GIN gather every row of
    every word starting with it, ten times slower at a million customers. The
    query deliberately has no ORDER BY so that a common name stops after
    `limit + 1` rows instead of sorting every match. The few rows are ordered
    here."""
    tokens = name_tokens(text)
    if not tokens or max(len(token) for token in tokens) < 2:
        return [], False
    queryset = customer_list_visible_to(actor=actor)
    if connection.vendor == "postgresql":
        query = " & ".join(tokens)
        queryset = queryset.extra(  # noqa: S610 - tokens are [a-z0-9]+ only
            where=["customer_name_prefixes(search_name) @@ to_tsquery('simple', %s)"],
            params=[query],
        )
    else:
        for token in tokens:
            queryset = queryset.filter(
                Q(search_name__startswith=token) | Q(search_name__contains=f" {token}")
            )
    rows = list(queryset.order_by()[: limit + 1])
    more = len(rows) > limit
    rows = sorted(rows[:limit], key=lambda customer: (customer.search_name, customer.number))
    return rows, more


# Timeline ---------------------------------------------------------------------


@dataclass(frozen=True)
class TimelineEntry:
    when: datetime
    kind: str  # "interaction" or "event"
    item: Interaction | CustomerEvent


def customer_timeline(*, customer: Customer, limit: int = 20,
                      before: datetime | None = None) -> tuple[list[TimelineEntry], bool]:
    """The latest contacts and events of a customer, newest first: two
    queries whatever the length of the history."""
    interactions = customer.interactions.select_related(
        "operator", "call_center", "service_user"
    ).order_by("-started_at", "-id")
    events = customer.events.select_related("actor").order_by("-created_at", "-id")
    if before is not None:
        interactions = interactions.filter(started_at__lt=before)
        events = events.filter(created_at__lt=before)
    entries = [TimelineEntry(item.started_at, "interaction", item)
               for item in interactions[: limit + 1]]
    entries += [TimelineEntry(item.created_at, "event", item) for item in events[: limit + 1]]
    entries.sort(key=lambda entry: entry.when, reverse=True)
    return entries[:limit], len(entries) > limit
