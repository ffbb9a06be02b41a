"""The demo catalog: every kind of service with its media, visits and
equipment, the pay-per-view and NVOD programme of next weekend, four offers
on sale built through the services (one of them in its second version), and
loaded twice without creating anything the second time."""

from __future__ import annotations

from datetime import date, time, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from inventory.demo import CATALOG
from inventory.models import EquipmentModel
from sesmu.choices import ServiceKind
from sesmu.models import AuditAction, AuditEvent
from subscriptions import selectors
from subscriptions.choices import ItemRole, OfferStatus
from subscriptions.demo import next_saturday, seed_catalog
from subscriptions.models import CatalogService, Offer, OfferItem, OfferVersion, ProgrammeEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TABLES = [CatalogService, ProgrammeEvent, Offer, OfferVersion, OfferItem, AuditEvent]


@pytest.fixture
def demo_equipment(db) -> dict[str, EquipmentModel]:
    """The equipment models of the inventory demo, as its seeding makes them."""
    return {entry.code: EquipmentModel.objects.create(
        code=entry.code, kind=entry.kind, manufacturer=entry.manufacturer,
        model_name=entry.model_name, service_kinds=list(entry.service_kinds),
        access_media=list(entry.access_media), supply_terms=entry.supply_terms,
        rental_price=entry.rental_price, deposit=entry.deposit,
        non_return_fee=entry.non_return_fee) for entry in CATALOG}


@pytest.fixture
def marketing_login(db):
    return UserFactory(username="marketing", roles=["marketing_agent"])


def counts() -> dict[str, int]:
    return {table.__name__: table.objects.count() for table in TABLES}


def test_it_loads_a_service_of_every_kind(demo_equipment, marketing_login):
    summary = seed_catalog()

    assert summary == {"services": 16, "events": 9, "offers": 4}
    assert set(CatalogService.objects.values_list("kind", flat=True)) == set(ServiceKind.values)
    for service in CatalogService.objects.all():
        service.full_clean()
    internet = {service.code: (service.access_media, service.visit_media,
                               service.speed_down_mbps, service.speed_up_mbps)
                for service in CatalogService.objects.filter(kind=ServiceKind.INTERNET_ACCESS)}
    assert internet == {"adsl-20": (["copper"], [], 20, 1),
                        "fibra-300": (["cable"], ["cable"], 300, 30),
                        "fibra-600": (["cable"], ["cable"], 600, 60)}
    tv = CatalogService.objects.get(code="tv-basica")
    assert (tv.access_media, tv.visit_media, tv.package_code) == (
        ["copper", "cable", "satellite"], ["satellite"], "PKG-BASICA")
    # A box and its card (and over satellite a dish and an LNB); the CA
    # module stands in for a box, it is not one more piece of every sale.
    assert sorted(tv.equipment_models.values_list("code", flat=True)) == [
        "humax-uhd4k", "inverto-quad-lnb", "nagra-merlin", "sagemcom-dsi87",
        "televes-dish-100", "zte-b866"]
    assert not CatalogService.objects.filter(equipment_models__code="smit-ci-cam").exists()
    assert list(CatalogService.objects.get(code="fibra-300").equipment_models
                .values_list("code", flat=True)) == ["arris-tg2492"]
    assert list(CatalogService.objects.get(code="adsl-20").equipment_models
                .values_list("code", flat=True)) == ["zyxel-vmg3625"]
    assert not CatalogService.objects.get(code="correo").equipment_models.exists()


def test_it_programmes_next_weekend(demo_equipment):
    seed_catalog()

    saturday = next_saturday(timezone.localdate())
    matches = ProgrammeEvent.objects.filter(service__code="ppv-futbol").order_by("starts_at")
    assert [(timezone.localtime(event.starts_at).date(), event.showings) for event in matches] \
        == [(saturday, 1), (saturday + timedelta(days=1), 1), (saturday + timedelta(days=1), 1)]
    boxing = ProgrammeEvent.objects.get(service__code="ppv-eventos")
    assert (timezone.localtime(boxing.starts_at).time(), boxing.price) == (time(22, 30),
                                                                           Decimal("19.95"))
    nvod = ProgrammeEvent.objects.filter(service__code="nvod-estrenos")
    assert {(event.repeat_every_minutes, event.showings) for event in nvod} == {(30, 8)}
    assert ProgrammeEvent.objects.filter(service__code="ippv-cine").count() == 2
    for event in ProgrammeEvent.objects.all():
        event.full_clean()


def test_it_publishes_four_offers_through_the_services(demo_equipment, marketing_login):
    seed_catalog()

    on_sale = selectors.offers_on_sale()
    assert [(version.offer.name, version.number) for version in on_sale] == [
        ("ADSL + Básica", 1), ("Fibra 300 + TV", 2), ("Satélite Total", 1),
        ("Solo Fibra 600", 1)]
    for version in on_sale:
        assert (version.minimum_term_months, version.notice_days) == (12, 30)
        assert version.early_termination_fee > 0
        assert version.published_by == marketing_login
        assert any(item.role == ItemRole.OPTION for item in version.items.all())
    assert AuditEvent.objects.filter(action=AuditAction.TRANSITION).count() == 6


def test_it_shows_versioning_on_fibra_300_tv(demo_equipment):
    seed_catalog()

    today = timezone.localdate()
    first, second = OfferVersion.objects.filter(offer__code="fibra-300-tv").order_by("number")
    assert (first.status, first.monthly_price, first.valid_until) == (
        OfferStatus.RETIRED, Decimal("49.90"), today - timedelta(days=1))
    assert (second.status, second.monthly_price, second.valid_from, second.valid_until) == (
        OfferStatus.PUBLISHED, Decimal("52.90"), today, None)
    assert not first.items.filter(service__code="hosting").exists()
    assert second.items.get(service__code="hosting").option_monthly_price == Decimal("4.95")


def test_its_offers_are_sold_where_their_network_reaches(demo_equipment):
    seed_catalog()

    def names(**query) -> list[str]:
        return [version.offer.name for version in selectors.offers_on_sale(**query)]

    assert names(access_medium="copper", postal_code="35002") == ["ADSL + Básica"]
    assert names(access_medium="cable", postal_code="28012") == ["Fibra 300 + TV",
                                                                 "Solo Fibra 600"]
    assert names(access_medium="cable", postal_code="41010") == ["Fibra 300 + TV",
                                                                 "Solo Fibra 600"]
    # Cable reaches neither Barcelona nor the rest of the Madrid region.
    assert names(access_medium="cable", postal_code="08012") == []
    assert names(access_medium="cable", postal_code="28400") == []
    assert names(access_medium="cable", postal_code="35002") == []
    assert names(access_medium="satellite", postal_code="35002") == ["Satélite Total"]


def test_it_creates_nothing_the_second_time(demo_equipment, marketing_login):
    seed_catalog()
    before = counts()

    summary = seed_catalog()

    assert counts() == before
    assert summary == {"services": 0, "events": 0, "offers": 0}


def test_it_loads_without_the_inventory_demo_or_the_marketing_login(db):
    summary = seed_catalog()

    assert summary["offers"] == 4
    assert not CatalogService.objects.filter(equipment_models__isnull=False).exists()
    assert set(OfferVersion.objects.values_list("published_by", flat=True)) == {None}


@pytest.mark.parametrize(("today", "saturday"), [
    (date(2030, 6, 3), date(2030, 6, 8)),    # Monday
    (date(2030, 6, 7), date(2030, 6, 8)),    # Friday
    (date(2030, 6, 8), date(2030, 6, 15)),   # Saturday: the next one
    (date(2030, 6, 9), date(2030, 6, 15)),   # Sunday
])
def test_next_weekend_is_always_ahead(today, saturday):
    assert next_saturday(today) == saturday
    assert saturday.weekday() == 5
