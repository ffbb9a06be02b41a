"""The catalog REST API (/api/v1/catalog/), read-only: who may read it
(staff and external systems with the view permissions; not field
technicians, not portal customers, not anonymous callers, and nobody may
write), what each list answers and how its filters narrow it, the offers on
sale by access medium, postal code and day with their items and price, the
refusal of query parameters that do not parse, and what a list costs.
Given / when / then."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from inventory.models import EquipmentModel
from sesmu.choices import ServiceKind, UserKind
from sesmu.models import User
from subscriptions import services
from subscriptions.choices import CredentialKind, ItemRole, OfferStatus
from subscriptions.models import CatalogService, Offer, OfferItem, OfferVersion, ProgrammeEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

API = "/api/v1/catalog"
MADRID = ZoneInfo("Europe/Madrid")
LAUNCH = date(2026, 1, 1)
TERMS = {"monthly_price": Decimal("49.90"), "setup_fee": Decimal("30.00"),
         "minimum_term_months": 12, "notice_days": 30,
         "early_termination_fee": Decimal("150.00"), "valid_from": LAUNCH}
LISTS = ["services", "programme", "offers", "offer-versions"]
NOT_ALLOWED = {"code": "permission_denied",
               "message": "You do not have permission to perform this action."}
NOT_AUTHENTICATED = {"code": "not_authenticated",
                     "message": "Authentication credentials were not provided."}


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def results(response) -> list[dict]:
    assert response.status_code == 200, response.json()
    return response.json()["results"]


def codes(response, key: str = "code") -> list[str]:
    return [row[key] for row in results(response)]


def error(code: str, field: str, message: str) -> dict:
    return {"code": code, "message": message, "fields": {field: [message]}}


def madrid(*args) -> datetime:
    return datetime(*args, tzinfo=MADRID)


@pytest.fixture
def reader(db) -> User:
    return UserFactory(username="oscar", roles=["cc_operator"])


@pytest.fixture
def catalog(db) -> SimpleNamespace:
    """tv over every medium, a visit over satellite, with a box; fibra over
    cable with a visit; adsl over copper; a mailbox anywhere; an old
    service no longer sold; pay-per-view football and NVOD films."""
    box = EquipmentModel.objects.create(code="humax-uhd4k", kind="set_top_box",
                                        manufacturer="Humax", model_name="UHD 4K")
    tv = CatalogService.objects.create(
        code="tv-basica", name="TV Básica", kind=ServiceKind.TV_PACKAGE,
        access_media=["copper", "cable", "satellite"], visit_media=["satellite"],
        credential_kind=CredentialKind.SMART_CARD, package_code="PKG-BASICA")
    tv.equipment_models.set([box])
    fibra = CatalogService.objects.create(
        code="fibra-300", name="Fibra 300", kind=ServiceKind.INTERNET_ACCESS,
        access_media=["cable"], visit_media=["cable"], speed_down_mbps=300, speed_up_mbps=30,
        credential_kind=CredentialKind.ISP_LOGIN)
    adsl = CatalogService.objects.create(
        code="adsl-20", name="ADSL 20", kind=ServiceKind.INTERNET_ACCESS,
        access_media=["copper"], speed_down_mbps=20, speed_up_mbps=1)
    mailbox = CatalogService.objects.create(code="correo", name="Correo",
                                            kind=ServiceKind.EMAIL,
                                            credential_kind=CredentialKind.MAILBOX)
    old = CatalogService.objects.create(code="teletexto", name="Teletexto",
                                        kind=ServiceKind.HOME_SHOPPING, is_active=False)
    ppv = CatalogService.objects.create(code="ppv-futbol", name="Taquilla Fútbol",
                                        kind=ServiceKind.PAY_PER_VIEW,
                                        access_media=["cable", "satellite"])
    nvod = CatalogService.objects.create(code="nvod", name="Estrenos",
                                         kind=ServiceKind.NEAR_VIDEO_ON_DEMAND,
                                         access_media=["cable", "satellite"])
    match = ProgrammeEvent.objects.create(
        service=ppv, title="Real Madrid – FC Barcelona", starts_at=madrid(2026, 5, 9, 21),
        duration_minutes=120, price=Decimal("12.00"))
    late_film = ProgrammeEvent.objects.create(
        service=nvod, title="Campeones", starts_at=madrid(2026, 5, 9, 23),
        duration_minutes=124, repeat_every_minutes=30, showings=8, price=Decimal("4.95"))
    sunday_match = ProgrammeEvent.objects.create(
        service=ppv, title="Atlético – Sevilla", starts_at=madrid(2026, 5, 10, 18, 30),
        duration_minutes=120, price=Decimal("9.95"))
    return SimpleNamespace(box=box, tv=tv, fibra=fibra, adsl=adsl, mailbox=mailbox, old=old,
                           ppv=ppv, nvod=nvod, match=match, late_film=late_film,
                           sunday_match=sunday_match)


def publish(code: str, name: str, included: list[CatalogService],
            options: dict[CatalogService, Decimal] | None = None, actor: User | None = None,
            **terms) -> OfferVersion:
    items = [services.ItemSpec(service=service) for service in included] + [
        services.ItemSpec(service=service, role=ItemRole.OPTION, option_monthly_price=price)
        for service, price in (options or {}).items()]
    version = services.offer_create(code=code, name=name, actor=actor,
                                    terms={**TERMS, **terms}, items=items)
    return services.offer_version_publish(version=version, actor=actor)


@pytest.fixture
def offers(catalog) -> SimpleNamespace:
    """Made on 2026-02-01: "Fibra + TV" over cable in 28… (v1 on
    sale from LAUNCH to the day before, then retired; v2 at 52.90 on sale
    from that day) and "ADSL + TV" over copper everywhere from LAUNCH;
    "Satélite" from 2026-07-01; "Borrador" only a draft."""
    with mock.patch("django.utils.timezone.now", return_value=madrid(2026, 2, 1, 12)):
        fibra_v1 = publish("fibra-tv", "Fibra + TV", [catalog.fibra, catalog.tv],
                           {catalog.mailbox: Decimal("1.00")}, access_media=["cable"],
                           regions=["28"])
        draft = services.offer_version_draft(offer=fibra_v1.offer, actor=None)
        services.offer_version_update(version=draft, actor=None,
                                      terms={"monthly_price": Decimal("52.90")})
        fibra_v2 = services.offer_version_publish(version=draft, actor=None)
        adsl = publish("adsl-tv", "ADSL + TV", [catalog.adsl, catalog.tv],
                       access_media=["copper"], monthly_price=Decimal("39.90"))
        satellite = publish("satelite", "Satélite", [catalog.tv, catalog.ppv],
                            access_media=["satellite"], valid_from=date(2026, 7, 1))
        other_draft = services.offer_create(
            code="borrador", name="Borrador", actor=None, terms=TERMS,
            items=[services.ItemSpec(service=catalog.mailbox)])
    fibra_v1.refresh_from_db()
    assert (fibra_v1.status, fibra_v1.valid_until) == (OfferStatus.RETIRED, date(2026, 1, 31))
    assert fibra_v2.valid_from == date(2026, 2, 1)
    return SimpleNamespace(fibra_v1=fibra_v1, fibra_v2=fibra_v2, adsl=adsl,
                           satellite=satellite, draft=other_draft)


# Who may read ---------------------------------------------------------------------


@pytest.mark.parametrize("role", ["cc_operator", "marketing_agent", "backoffice_admin",
                                  "cc_supervisor", "billing_agent", "dispatcher",
                                  "executive"])
@pytest.mark.parametrize("path", LISTS)
def test_every_role_that_sells_or_explains_reads_the_catalog(offers, role, path):
    client = client_for(UserFactory(username=f"as-{role}", roles=[role]))

    response = client.get(f"{API}/{path}/", {"date": "2026-03-01"} if path == "offers" else {})

    assert response.status_code == 200
    assert response.json()["count"] > 0


@pytest.mark.parametrize("path", LISTS)
def test_a_field_technician_reads_nothing(offers, path):
    technician = UserFactory(username="tomas", roles=["field_technician"])

    response = client_for(technician).get(f"{API}/{path}/")

    assert (response.status_code, response.json()) == (403, NOT_ALLOWED)


@pytest.mark.parametrize("path", LISTS)
def test_a_portal_customer_reads_nothing(offers, alice, path):
    response = client_for(alice).get(f"{API}/{path}/")

    assert (response.status_code, response.json()) == (403, NOT_ALLOWED)


@pytest.mark.parametrize("path", LISTS)
def test_an_anonymous_caller_must_authenticate(offers, path):
    response = APIClient().get(f"{API}/{path}/")

    assert (response.status_code, response.json()) == (401, NOT_AUTHENTICATED)


def test_an_external_system_reads_with_its_role(offers):
    gateway = UserFactory(username="crm-gateway", kind=UserKind.SYSTEM, roles=["cc_operator"])

    response = client_for(gateway).get(f"{API}/offers/", {"date": "2026-03-01"})

    assert codes(response, "offer_code") == ["adsl-tv", "fibra-tv"]


@pytest.mark.parametrize(("method", "path"), [
    ("post", "services/"), ("patch", "services/{tv}/"), ("delete", "services/{tv}/"),
    ("post", "programme/"), ("post", "offers/"), ("post", "offer-versions/"),
    ("patch", "offer-versions/{version}/"), ("put", "offer-versions/{version}/"),
])
def test_nobody_writes_the_catalog_through_the_api(catalog, offers, method, path):
    admin = client_for(UserFactory(username="adrian", roles=["backoffice_admin"]))
    before = [list(model.objects.order_by("pk").values())
              for model in (CatalogService, ProgrammeEvent, Offer, OfferVersion, OfferItem)]

    response = getattr(admin, method)(
        f"{API}/" + path.format(tv=catalog.tv.pk, version=offers.fibra_v2.pk),
        {"name": "Changed", "monthly_price": "1.00"}, format="json")

    assert response.status_code == 405
    assert [list(model.objects.order_by("pk").values())
            for model in (CatalogService, ProgrammeEvent, Offer, OfferVersion,
                          OfferItem)] == before


# Services -------------------------------------------------------------------------


def test_it_describes_a_service(reader, catalog):
    response = client_for(reader).get(f"{API}/services/{catalog.tv.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert {key: body[key] for key in ("code", "name", "kind", "access_media", "visit_media",
                                       "equipment_models", "provisioning_system",
                                       "credential_kind", "speed_down_mbps",
                                       "package_code", "is_active")} == {
        "code": "tv-basica", "name": "TV Básica", "kind": "tv_package",
        "access_media": ["copper", "cable", "satellite"], "visit_media": ["satellite"],
        "equipment_models": [{"id": catalog.box.pk, "code": "humax-uhd4k"}],
        "provisioning_system": None, "credential_kind": "smart_card",
        "speed_down_mbps": None, "package_code": "PKG-BASICA", "is_active": True}


def test_it_filters_services_by_kind_medium_and_activity(reader, catalog):
    client = client_for(reader)

    def listed(**query) -> list[str]:
        return codes(client.get(f"{API}/services/", query))

    assert listed(kind="internet") == ["adsl-20", "fibra-300"]
    assert sorted(listed(access_medium="copper")) == ["adsl-20", "correo", "teletexto",
                                                      "tv-basica"]
    assert sorted(listed(access_medium="satellite", is_active="true")) == [
        "correo", "nvod", "ppv-futbol", "tv-basica"]
    assert listed(is_active="false") == ["teletexto"]
    assert listed(kind="internet", access_medium="cable") == ["fibra-300"]


# The programme --------------------------------------------------------------------


def test_it_lists_the_programme_with_every_showing(reader, catalog):
    response = client_for(reader).get(f"{API}/programme/", {"service": catalog.nvod.pk})

    (film,) = results(response)
    assert (film["title"], film["service_code"], film["showings"], film["price"]) == (
        "Campeones", "nvod", 8, "4.95")
    assert film["showtimes"][0] == "2026-05-09T23:00:00+02:00"
    assert film["showtimes"][-1] == "2026-05-10T02:30:00+02:00"
    assert len(film["showtimes"]) == 8


def test_it_keeps_the_events_showing_between_two_days(reader, catalog):
    client = client_for(reader)

    def titles(**query) -> list[str]:
        return codes(client.get(f"{API}/programme/", query), "title")

    assert titles() == ["Real Madrid – FC Barcelona", "Campeones", "Atlético – Sevilla"]
    # The film began on Saturday night and is still showing after midnight.
    assert titles(**{"from": "2026-05-10"}) == ["Campeones", "Atlético – Sevilla"]
    assert titles(to="2026-05-09") == ["Real Madrid – FC Barcelona", "Campeones"]
    assert titles(**{"from": "2026-05-10", "to": "2026-05-10"},
                  service=catalog.ppv.pk) == ["Atlético – Sevilla"]
    assert titles(**{"from": "2026-05-11"}) == []


# Offers on sale -------------------------------------------------------------------


def test_it_answers_an_offer_on_sale_with_its_items_and_price(reader, catalog, offers):
    response = client_for(reader).get(f"{API}/offers/", {"date": "2026-03-01",
                                                         "access_medium": "cable",
                                                         "postal_code": "28013"})

    (offer,) = results(response)
    assert {key: offer[key] for key in ("id", "offer_code", "offer_name", "number",
                                        "monthly_price", "setup_fee", "minimum_term_months",
                                        "notice_days", "early_termination_fee",
                                        "access_media", "regions", "valid_from",
                                        "valid_until", "price")} == {
        "id": offers.fibra_v2.pk, "offer_code": "fibra-tv", "offer_name": "Fibra + TV",
        "number": 2, "monthly_price": "52.90", "setup_fee": "30.00",
        "minimum_term_months": 12, "notice_days": 30, "early_termination_fee": "150.00",
        "access_media": ["cable"], "regions": ["28"], "valid_from": "2026-02-01",
        "valid_until": None,
        "price": {"monthly": "52.90", "setup": "30.00", "currency": "EUR"}}
    assert "status" not in offer
    assert [(item["service_code"], item["service_kind"], item["role"],
             item["option_monthly_price"]) for item in offer["items"]] == [
        ("fibra-300", "internet", "included", "0.00"),
        ("tv-basica", "tv_package", "included", "0.00"),
        ("correo", "email", "option", "1.00")]


def test_it_narrows_the_offers_on_sale(reader, offers):
    client = client_for(reader)

    def on_sale(**query) -> list[tuple[str, int]]:
        return [(row["offer_code"], row["number"])
                for row in results(client.get(f"{API}/offers/", query))]

    assert on_sale(date="2026-03-01") == [("adsl-tv", 1), ("fibra-tv", 2)]
    # Version 1 is retired: sold no more, whatever the day asked.
    assert on_sale(date="2026-01-15") == [("adsl-tv", 1)]
    assert on_sale(date="2026-07-01") == [("adsl-tv", 1), ("fibra-tv", 2), ("satelite", 1)]
    assert on_sale(date="2025-12-31") == []
    assert on_sale(date="2026-03-01", access_medium="copper") == [("adsl-tv", 1)]
    assert on_sale(date="2026-03-01", postal_code="08001") == [("adsl-tv", 1)]
    assert on_sale(date="2026-03-01", access_medium="cable", postal_code="08001") == []
    assert on_sale(date="2026-07-01", access_medium="satellite",
                   postal_code="35002") == [("satelite", 1)]


def test_it_sells_today_by_default(reader, offers):
    with mock.patch("django.utils.timezone.now", return_value=madrid(2026, 6, 30, 12)):
        before_satellite = client_for(reader).get(f"{API}/offers/")
    with mock.patch("django.utils.timezone.now", return_value=madrid(2026, 7, 1, 12)):
        with_satellite = client_for(reader).get(f"{API}/offers/")

    assert codes(before_satellite, "offer_code") == ["adsl-tv", "fibra-tv"]
    assert codes(with_satellite, "offer_code") == ["adsl-tv", "fibra-tv", "satelite"]


# Offer versions -------------------------------------------------------------------


def test_it_lists_every_version_and_filters_by_status_and_offer(reader, offers):
    client = client_for(reader)

    def versions(**query) -> list[tuple[str, int, str]]:
        return [(row["offer_code"], row["number"], row["status"])
                for row in results(client.get(f"{API}/offer-versions/", query))]

    assert versions() == [("adsl-tv", 1, "published"), ("borrador", 1, "draft"),
                          ("fibra-tv", 2, "published"), ("fibra-tv", 1, "retired"),
                          ("satelite", 1, "published")]
    assert versions(status="retired") == [("fibra-tv", 1, "retired")]
    assert versions(offer=offers.fibra_v1.offer_id, status="published") == [
        ("fibra-tv", 2, "published")]


def test_it_shows_what_a_retired_version_sold(reader, offers):
    response = client_for(reader).get(f"{API}/offer-versions/{offers.fibra_v1.pk}/")

    body = response.json()
    assert response.status_code == 200
    assert (body["status"], body["monthly_price"], body["valid_from"], body["valid_until"]) == (
        OfferStatus.RETIRED, "49.90", "2026-01-01", "2026-01-31")
    assert [item["service_code"] for item in body["items"]] == ["fibra-300", "tv-basica",
                                                                "correo"]


# Bad query parameters -------------------------------------------------------------


@pytest.mark.parametrize(("path", "query", "expected"), [
    ("services", {"kind": "cable_tv"},
     error("invalid_choice", "kind", '"cable_tv" is not a valid choice.')),
    ("services", {"access_medium": "fiber"},
     error("invalid_choice", "access_medium", '"fiber" is not a valid choice.')),
    ("services", {"is_active": "maybe"},
     error("invalid", "is_active", "Must be a valid boolean.")),
    ("programme", {"service": "football"},
     error("invalid", "service", "A valid integer is required.")),
    ("programme", {"from": "10/05/2026"},
     error("invalid", "from", "Date has wrong format. Use one of these formats instead: "
                              "YYYY-MM-DD.")),
    ("programme", {"from": "2026-05-10", "to": "2026-05-09"},
     error("bad_range", "to", "The last day must not be before the first.")),
    ("offers", {"access_medium": "fibre"},
     error("invalid_choice", "access_medium", '"fibre" is not a valid choice.')),
    ("offers", {"postal_code": "28"},
     error("invalid", "postal_code", "Give a postal code of five digits.")),
    ("offers", {"postal_code": "2801A"},
     error("invalid", "postal_code", "Give a postal code of five digits.")),
    ("offers", {"date": "tomorrow"},
     error("invalid", "date", "Date has wrong format. Use one of these formats instead: "
                              "YYYY-MM-DD.")),
    ("offer-versions", {"status": "deleted"},
     error("invalid_choice", "status", '"deleted" is not a valid choice.')),
    ("offer-versions", {"offer": "99999999999999999999999"},
     error("max_value", "offer", "Ensure this value is less than or equal to "
                                 "9223372036854775807.")),
])
def test_it_refuses_query_parameters_that_do_not_parse(reader, offers, path, query,
                                                       expected):
    response = client_for(reader).get(f"{API}/{path}/", query)

    assert (response.status_code, response.json()) == (400, expected)


def test_it_answers_not_found_for_a_missing_record(reader, offers):
    response = client_for(reader).get(f"{API}/offer-versions/999999/")

    assert (response.status_code, response.json()["code"]) == (404, "not_found")


# What a list costs ----------------------------------------------------------------


@pytest.mark.parametrize("path", ["offers", "offer-versions", "services", "programme"])
def test_a_list_costs_the_same_whatever_its_length(reader, catalog, offers, path):
    client = client_for(reader)
    client.get(f"{API}/{path}/")  # sessions, permissions and content types cached
    with CaptureQueriesContext(connection) as few:
        client.get(f"{API}/{path}/")
    for number in range(5):
        publish(f"extra-{number}", f"Extra {number}", [catalog.mailbox, catalog.tv],
                {catalog.adsl: Decimal("5.00")},
                actor=UserFactory(username=f"marketing-{number}", roles=["marketing_agent"]))
        ProgrammeEvent.objects.create(service=catalog.ppv, title=f"Match {number}",
                                      starts_at=madrid(2026, 5, 16, 21),
                                      duration_minutes=120, price=Decimal("9.95"))
        CatalogService.objects.create(code=f"extra-{number}", name=f"Extra {number}",
                                      kind=ServiceKind.FTP)

    with CaptureQueriesContext(connection) as many:
        response = client.get(f"{API}/{path}/")

    assert response.status_code == 200
    assert len(many) == len(few)
