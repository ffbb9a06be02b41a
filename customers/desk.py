"""What the customers app puts on the operator desk: its search provider and
its panels of the customer 360 page."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from callcenter.panels import Panel
from callcenter.search import SearchHit
from customers import selectors
from customers.choices import InteractionChannel, InteractionDirection
from customers.models import Customer
from sesmu.models import User


def _hit(customer: Customer, kind: str, kind_label, matched: str) -> SearchHit:
    return SearchHit(
        kind=kind,
        kind_label=str(kind_label),
        title=f"{customer.number} · {customer.display_name}",
        subtitle=f"{customer.get_document_type_display()} {customer.document_number} · "
        f"{customer.get_status_display()}",
        matched=matched,
        url=reverse("callcenter:customer", args=[customer.pk]),
        target=f"customer:{customer.pk}",
    )


class CustomerSearchProvider:
    """Finds customers by number, billing account, document, phone, e-mail
    or name. Each kind only runs when the text could be one of its kind."""

    name = "customers"

    def search(self, *, query: str, actor: User, limit: int) -> tuple[list[SearchHit], bool]:
        hits: list[SearchHit] = []
        for customer in selectors.customer_search_by_number(actor=actor, text=query):
            hits.append(_hit(customer, "customer_number", _("Customer number"), customer.number))
        for customer, number in selectors.customer_search_by_account(actor=actor, text=query):
            hits.append(_hit(customer, "account_number", _("Billing account"), number))
        for customer in selectors.customer_search_by_document(actor=actor, text=query, limit=limit):
            hits.append(_hit(customer, "document", _("Document"), customer.document_number))
        for customer, contact in selectors.customer_search_by_contact(
            actor=actor, text=query, limit=limit
        ):
            label = _("E-mail") if contact.kind == "email" else _("Phone")
            hits.append(_hit(customer, f"contact_{contact.kind}", label, contact.display_value))
        truncated = False
        if not hits:
            customers, truncated = selectors.customer_search_by_name(
                actor=actor, text=query, limit=limit
            )
            hits = [_hit(customer, "name", _("Name"), query) for customer in customers]
        return hits, truncated


def identity_context(*, customer: Customer, actor: User) -> dict:
    return {"contacts": selectors.contact_list(customer=customer)}


def service_users_context(*, customer: Customer, actor: User) -> dict:
    return {"service_users": selectors.service_user_list(customer=customer)}


def addresses_context(*, customer: Customer, actor: User) -> dict:
    return {"addresses": selectors.address_list(customer=customer)}


def accounts_context(*, customer: Customer, actor: User) -> dict:
    return {"accounts": selectors.billing_account_list(customer=customer)}


def timeline_context(*, customer: Customer, actor: User) -> dict:
    entries, more = selectors.customer_timeline(customer=customer, limit=20)
    return {
        "entries": entries,
        "more": more,
        "channel_choices": InteractionChannel.choices,
        "direction_choices": InteractionDirection.choices,
    }


PANELS = [
    Panel(
        key="contacts",
        title=_("Contact"),
        template="customers/panels/contacts.html",
        context=identity_context,
        order=10,
        column="side",
        permission="customers.view_contactpoint",
    ),
    Panel(
        key="addresses",
        title=_("Addresses"),
        template="customers/panels/addresses.html",
        context=addresses_context,
        order=20,
        column="side",
        permission="customers.view_address",
    ),
    Panel(
        key="service_users",
        title=_("Service users"),
        template="customers/panels/service_users.html",
        context=service_users_context,
        order=30,
        column="side",
        permission="customers.view_serviceuser",
    ),
    Panel(
        key="accounts",
        title=_("Billing accounts"),
        template="customers/panels/accounts.html",
        context=accounts_context,
        order=10,
        column="main",
        permission="customers.view_billingaccount",
    ),
    Panel(
        key="timeline",
        title=_("Timeline"),
        template="customers/panels/timeline.html",
        context=timeline_context,
        order=90,
        column="main",
        permission="customers.view_interaction",
    ),
]
