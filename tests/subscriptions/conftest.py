"""Shared fixtures of the catalog tests: a small catalog with one service
of each shape (a TV package that needs a visit over satellite, Internet
300 over cable and copper, a mailbox, pay-per-view with an event, near
video on demand), an offer on sale built through the services, and marta
of marketing, who shapes offers."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.utils import timezone

from sesmu.choices import ServiceKind
from sesmu.models import AuditEvent, User
from subscriptions.choices import CredentialKind, ItemRole
from subscriptions.models import CatalogService, OfferVersion, ProgrammeEvent
from subscriptions.services.catalog import ItemSpec, offer_create, offer_version_publish
from tests.factories import UserFactory

# The published offer is on sale since this day (in the past, so on sale today).
OFFER_STARTS = date(2026, 1, 1)

OFFER_TERMS = {
    "monthly_price": Decimal("49.90"),
    "setup_fee": Decimal("30.00"),
    "minimum_term_months": 12,
    "notice_days": 30,
    "early_termination_fee": Decimal("100.00"),
    "access_media": ["cable"],
    "regions": ["28"],
    "valid_from": OFFER_STARTS,
}


@pytest.fixture
def marketing(db) -> User:
    return UserFactory(username="marta", first_name="Marta", last_name="Márquez",
                       roles=["marketing_agent"])


@pytest.fixture
def services_catalog(db) -> SimpleNamespace:
    """tv: "TV Total" over cable and satellite, a visit over satellite;
    internet: 300/30 Mbit/s over cable and copper; mailbox: any medium;
    ppv: pay-per-view with ppv_event (a match, 9.95); nvod: near video on
    demand with nvod_event (a film every 30 minutes, 8 showings, 3.50)."""
    tv = CatalogService.objects.create(
        code="tv-total", name="TV Total", kind=ServiceKind.TV_PACKAGE,
        access_media=["cable", "satellite"], visit_media=["satellite"],
        credential_kind=CredentialKind.SMART_CARD, package_code="PKG-TOTAL",
    )
    internet = CatalogService.objects.create(
        code="internet-300", name="Internet 300", kind=ServiceKind.INTERNET_ACCESS,
        access_media=["cable", "copper"], credential_kind=CredentialKind.ISP_LOGIN,
        speed_down_mbps=300, speed_up_mbps=30,
    )
    mailbox = CatalogService.objects.create(
        code="mailbox", name="Mailbox", kind=ServiceKind.EMAIL,
        credential_kind=CredentialKind.MAILBOX,
    )
    ppv = CatalogService.objects.create(
        code="ppv-sports", name="Sports PPV", kind=ServiceKind.PAY_PER_VIEW,
        access_media=["cable", "satellite"], package_code="PPV-SPORTS",
    )
    nvod = CatalogService.objects.create(
        code="nvod-cinema", name="Cinema NVOD", kind=ServiceKind.NEAR_VIDEO_ON_DEMAND,
        access_media=["cable", "satellite"], package_code="NVOD-CINEMA",
    )
    next_week = (timezone.now() + timedelta(days=7)).replace(hour=21, minute=0, second=0,
                                                             microsecond=0)
    ppv_event = ProgrammeEvent.objects.create(
        service=ppv, title="Cup final", starts_at=next_week, duration_minutes=120,
        price=Decimal("9.95"),
    )
    nvod_event = ProgrammeEvent.objects.create(
        service=nvod, title="The film", starts_at=next_week, duration_minutes=110,
        repeat_every_minutes=30, showings=8, price=Decimal("3.50"),
    )
    return SimpleNamespace(tv=tv, internet=internet, mailbox=mailbox, ppv=ppv, nvod=nvod,
                           ppv_event=ppv_event, nvod_event=nvod_event)


def make_offer(services_catalog: SimpleNamespace, *, actor: User | None,
               code: str = "fibra-tv", name: str = "Fibra 300 + TV Total",
               **terms) -> OfferVersion:
    """A draft version 1 with TV and Internet included and a mailbox option
    at 1.99 a month; OFFER_TERMS unless told otherwise."""
    return offer_create(
        code=code, name=name, actor=actor, terms={**OFFER_TERMS, **terms},
        items=[
            ItemSpec(service=services_catalog.tv),
            ItemSpec(service=services_catalog.internet),
            ItemSpec(service=services_catalog.mailbox, role=ItemRole.OPTION,
                     option_monthly_price=Decimal("1.99")),
        ],
    )


@pytest.fixture
def draft_offer(services_catalog, marketing) -> OfferVersion:
    """Version 1 of "fibra-tv", still a draft."""
    return make_offer(services_catalog, actor=marketing)


@pytest.fixture
def published_offer(draft_offer, marketing) -> OfferVersion:
    """Version 1 of "fibra-tv" on sale since OFFER_STARTS over cable in
    postal codes 28…: 49.90 a month, 30.00 set-up, 12 months' minimum term,
    30 days' notice, 100.00 early-termination fee; TV and Internet included,
    a mailbox option at 1.99."""
    return offer_version_publish(version=draft_offer, actor=marketing)


def error_code(error, field: str | None = None) -> str:
    """The code of a ValidationError (on `field`, or its only field)."""
    if field is None:
        (field,) = error.error_dict
    return error.error_dict[field][0].code


def offer_snapshot(version: OfferVersion) -> dict:
    """Everything a refused call must leave as it was: every column of the
    offer's versions, their items, and the audit trail."""
    versions = OfferVersion.objects.filter(offer_id=version.offer_id).order_by("number")
    return {
        "versions": list(versions.values()),
        "items": {
            row.number: sorted(row.items.values_list("service_id", "role",
                                                     "option_monthly_price"))
            for row in versions
        },
        "audit": AuditEvent.objects.count(),
    }
