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


# The lifecycle: element managers over HTTP, stock, a technician ---------------------


@pytest.fixture
def simulators(db):
    """Element managers as real HTTP servers, registered as SESMU's systems:
    cas (TV, PPV, NVOD), isp (Internet, mailbox) and network (coverage:
    Madrid 280.. has cable and copper). `simulators.applied(kind)` lists
    (command, service id) pairs in the order the simulator applied them."""
    from integrations.choices import SystemKind
    from integrations.models import ExternalSystem
    from integrations.simulators import ElementManagerSimulator

    started = {}
    systems = {}
    for code, kind, system_kind, service_kind in (
            ("cas", "cas", SystemKind.SERVICE_MANAGEMENT, "tv_package"),
            ("isp", "isp", SystemKind.SERVICE_MANAGEMENT, "internet"),
            ("access-network", "network", SystemKind.NETWORK_ACCESS, "")):
        simulator = ElementManagerSimulator(kind)
        simulator.start()
        started[kind] = simulator
        systems[kind] = ExternalSystem.objects.create(
            code=code, name=code.upper(), kind=system_kind, service_kind=service_kind,
            base_url=simulator.url, circuit_reset_seconds=1, max_attempts=12,
            connect_timeout_ms=500, read_timeout_ms=2000)

    def applied(kind: str) -> list[tuple[str, str]]:
        import requests

        body = requests.get(f"{started[kind].url}/_sim/applied", timeout=5).json()
        return [(entry["command"],
                 entry["body"]["serviceOrderItem"][0]["service"]["id"])
                for entry in body["applied"] if entry["command"] != "GET"
                and isinstance(entry.get("body"), dict) and entry["body"].get("serviceOrderItem")]

    def service(kind: str, service_id: str) -> dict | None:
        import requests

        answer = requests.get(f"{started[kind].url}/tmf-api/serviceInventory/v4/service/"
                              f"{service_id}", timeout=5)
        return answer.json() if answer.status_code == 200 else None

    yield SimpleNamespace(systems=systems, started=started, applied=applied, service=service,
                          cas=started["cas"], isp=started["isp"], network=started["network"])
    for simulator in started.values():
        simulator.stop()


@pytest.fixture
def stock(services_catalog, db) -> SimpleNamespace:
    """Equipment the catalog needs, in a Madrid warehouse: TV Total needs a
    set-top box (cable) and a smart card; Internet 300 a cable modem. Three
    of each; `stock.add(model, n)` adds more."""
    import itertools

    from inventory.choices import EquipmentKind, ItemState, LocationKind, SupplyTerms
    from inventory.models import EquipmentItem, EquipmentModel, StockLocation

    numbers = itertools.count(1)
    card = EquipmentModel.objects.create(
        code="nagra-card", kind=EquipmentKind.SMART_CARD, manufacturer="Nagra",
        model_name="Merlin", service_kinds=["tv_package"], access_media=["cable", "satellite"],
        supply_terms=SupplyTerms.RENTED, non_return_fee=Decimal("30.00"))
    box = EquipmentModel.objects.create(
        code="humax-stb", kind=EquipmentKind.SET_TOP_BOX, manufacturer="Humax",
        model_name="HD-5000", service_kinds=["tv_package"], access_media=["cable"],
        supply_terms=SupplyTerms.RENTED, rental_price=Decimal("3.00"),
        non_return_fee=Decimal("80.00"))
    modem = EquipmentModel.objects.create(
        code="arris-cm", kind=EquipmentKind.CABLE_MODEM, manufacturer="Arris",
        model_name="TM822", service_kinds=["internet"], access_media=["cable"],
        supply_terms=SupplyTerms.RENTED, rental_price=Decimal("2.50"),
        non_return_fee=Decimal("60.00"))
    services_catalog.tv.equipment_models.set([card, box])
    services_catalog.internet.equipment_models.set([modem])
    warehouse = StockLocation.objects.create(code="mad-central", name="Madrid central",
                                             kind=LocationKind.WAREHOUSE)

    def add(model, count: int = 1) -> list:
        items = []
        for _ in range(count):
            number = next(numbers)
            items.append(EquipmentItem.objects.create(
                model=model, serial_number=f"{model.code.upper()}-{number:05d}",
                mac_address=(f"00:1A:2B:{number // 65536 % 256:02X}:{number // 256 % 256:02X}:"
                             f"{number % 256:02X}" if model.kind == EquipmentKind.CABLE_MODEM
                             else None),
                card_number=(f"{7000000000 + number}" if model.kind == EquipmentKind.SMART_CARD
                             else None),
                state=ItemState.IN_STOCK, location=warehouse))
        return items

    for model in (card, box, modem):
        add(model, 3)
    return SimpleNamespace(card=card, box=box, modem=modem, warehouse=warehouse, add=add)


@pytest.fixture
def alice_account(alice_customer, operator):
    from customers import services as customer_services

    return customer_services.billing_account_create(
        actor=operator, customer=alice_customer, name="Home", iban="ES9121000418450200051332",
        delivery_email="alice@example.com", bill_day=5)


@pytest.fixture
def alice_home(alice_customer, operator):
    """Alice's service address in Madrid centre (28013: cable and copper)."""
    from customers import services as customer_services

    return customer_services.address_create(actor=operator, customer=alice_customer,
                                            street="Calle Mayor", street_number="1",
                                            postal_code="28013", city="Madrid")


@pytest.fixture
def sell(published_offer, alice_customer, alice_account, alice_home, operator, stock):
    """sell(**overrides) → the NEW order of a subscription to "fibra-tv" over
    cable at Alice's home, sold by the operator (options, users, serials,
    offer_version, access_medium... can be overridden)."""
    from subscriptions.services import subscription_create

    def make(**overrides):
        arguments = {"actor": operator, "customer": alice_customer,
                     "billing_account": alice_account, "offer_version": published_offer,
                     "service_address": alice_home, "access_medium": "cable"}
        arguments.update(overrides)
        return subscription_create(**arguments)

    return make


# The lifecycle tests: more offers, a field team, service users --------------------


@pytest.fixture
def satellite_offer(services_catalog, marketing) -> OfferVersion:
    """"sat-tv": TV Total alone over satellite (a technician installs it),
    in postal codes 28…, on the terms of "fibra-tv"."""
    version = offer_create(code="sat-tv", name="Satélite TV", actor=marketing,
                           terms={**OFFER_TERMS, "access_media": ["satellite"],
                                  "monthly_price": Decimal("19.90")},
                           items=[ItemSpec(service=services_catalog.tv)])
    return offer_version_publish(version=version, actor=marketing)


@pytest.fixture
def internet_offer(services_catalog, marketing) -> OfferVersion:
    """"fibra-mail": Internet 300 and the mailbox included over cable, no
    minimum term, 29.90 a month (to change "fibra-tv" to: TV goes, the
    mailbox comes, Internet stays)."""
    version = offer_create(code="fibra-mail", name="Fibra 300 + correo", actor=marketing,
                           terms={**OFFER_TERMS, "monthly_price": Decimal("29.90"),
                                  "minimum_term_months": 0, "early_termination_fee": 0},
                           items=[ItemSpec(service=services_catalog.internet),
                                  ItemSpec(service=services_catalog.mailbox)])
    return offer_version_publish(version=version, actor=marketing)


@pytest.fixture
def ppv_offer(services_catalog, marketing) -> OfferVersion:
    """"tv-ppv": TV Total, Sports PPV and Cinema NVOD included over cable."""
    version = offer_create(code="tv-ppv", name="TV + taquilla", actor=marketing,
                           terms={**OFFER_TERMS, "monthly_price": Decimal("24.90")},
                           items=[ItemSpec(service=services_catalog.tv),
                                  ItemSpec(service=services_catalog.ppv),
                                  ItemSpec(service=services_catalog.nvod)])
    return offer_version_publish(version=version, actor=marketing)


@pytest.fixture
def field_team(db, services_catalog):
    """Madrid centro (28001-28015) with a dispatcher and tomás, a technician
    who installs satellite and cable and recovers equipment, every day."""
    from tests.workforce.conftest import make_technician, make_zone
    from workforce.choices import Skill

    zone = make_zone("mad-centro", "Madrid centro", 28001, 28015, 10, 10)
    dispatcher = UserFactory(username="diego", first_name="Diego", last_name="Díaz",
                             roles=["dispatcher"])
    technician = make_technician(
        "tomas", actor=dispatcher, zones=[zone], first_name="Tomás", last_name="Torres",
        skills=[Skill.SATELLITE_INSTALL, Skill.CABLE_INSTALL, Skill.EQUIPMENT_RECOVERY])
    return SimpleNamespace(zone=zone, dispatcher=dispatcher, technician=technician)


@pytest.fixture
def alice_user(alice_customer, operator):
    """Alice herself as a service user of her subscriptions."""
    from customers import services as customer_services

    return customer_services.service_user_create(actor=operator, customer=alice_customer,
                                                 given_name="Alice", relationship="self")
