"""The catalog back office: every page opened by a back-office
administrator; services and the programme edited as reference data; an
offer added through the services with its first draft; a draft's terms and
services saved through the services; published and retired versions only
shown; the publish, retire and new-draft actions, with the services'
refusals as error messages and nothing changed. Given / when / then."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from html.parser import HTMLParser
from types import SimpleNamespace

import pytest
from django.urls import reverse

from sesmu.choices import ServiceKind
from sesmu.models import AuditAction, AuditEvent
from subscriptions import services
from subscriptions.choices import CredentialKind, ItemRole, OfferStatus
from subscriptions.models import CatalogService, Offer, OfferItem, OfferVersion, ProgrammeEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TERMS = {"monthly_price": Decimal("45.00"), "setup_fee": Decimal("0.00"),
         "minimum_term_months": 12, "notice_days": 30,
         "early_termination_fee": Decimal("120.00"), "access_media": ["cable"],
         "regions": ["28"], "valid_from": date(2026, 1, 1)}
MODELS = ["catalogservice", "programmeevent", "offer", "offerversion", "offeritem"]


class FormFields(HTMLParser):
    """What a browser would send for the page's main form: text, hidden and
    number inputs, ticked boxes, chosen options and text areas."""

    def __init__(self):
        super().__init__()
        self.data: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def add(self, name: str, value: str) -> None:
        self.data.setdefault(name, []).append(value)

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        name = attributes.get("name")
        if tag == "input" and name and attributes.get("type") not in ("submit", "button",
                                                                       "file"):
            if attributes.get("type") in ("checkbox", "radio"):
                if "checked" in attributes:
                    self.add(name, attributes.get("value") or "on")
            else:
                self.add(name, attributes.get("value") or "")
        elif tag == "select" and name:
            self._select = name
            self.data.setdefault(name, [])
        elif tag == "option" and self._select and "selected" in attributes:
            self.add(self._select, attributes.get("value") or "")
        elif tag == "textarea" and name:
            self._textarea = name
            self.add(name, "")

    def handle_data(self, data):
        if self._textarea:
            self.data[self._textarea][-1] += data

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def form_of(response) -> dict[str, list[str]]:
    parser = FormFields()
    parser.feed(response.content.decode())
    return {name: values for name, values in parser.data.items()
            if name not in ("csrfmiddlewaretoken", "q")}


def messages_of(response) -> list[tuple[str, str]]:
    return [(message.level_tag, str(message)) for message in response.context["messages"]]


def change_url(model: str, pk: int) -> str:
    return reverse(f"admin:subscriptions_{model}_change", args=[pk])


def versions_of(offer: Offer) -> list[tuple[int, str]]:
    return list(offer.versions.order_by("number").values_list("number", "status"))


def snapshot() -> dict:
    """Every row an admin page or action could write."""
    return {model.__name__: list(model.objects.order_by("pk").values())
            for model in (Offer, OfferVersion, OfferItem, AuditEvent)}


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="adrian", is_staff=True,
                                   roles=["backoffice_admin"]))
    return client


@pytest.fixture
def catalog(db) -> SimpleNamespace:
    """tv over cable and satellite (a visit over satellite); internet over
    cable; a mailbox anywhere; pay-per-view football with a match."""
    tv = CatalogService.objects.create(
        code="tv-total", name="TV Total", kind=ServiceKind.TV_PACKAGE,
        access_media=["cable", "satellite"], visit_media=["satellite"],
        credential_kind=CredentialKind.SMART_CARD, package_code="PKG-TOTAL")
    internet = CatalogService.objects.create(
        code="fibra-300", name="Fibra 300", kind=ServiceKind.INTERNET_ACCESS,
        access_media=["cable"], visit_media=["cable"], speed_down_mbps=300, speed_up_mbps=30)
    mailbox = CatalogService.objects.create(code="mailbox", name="Mailbox",
                                            kind=ServiceKind.EMAIL)
    ppv = CatalogService.objects.create(code="ppv-futbol", name="Taquilla Fútbol",
                                        kind=ServiceKind.PAY_PER_VIEW)
    match = ProgrammeEvent.objects.create(
        service=ppv, title="Real Madrid – FC Barcelona", duration_minutes=120,
        starts_at="2026-05-09T21:00:00+02:00", price=Decimal("12.00"))
    return SimpleNamespace(tv=tv, internet=internet, mailbox=mailbox, ppv=ppv, match=match)


def make_draft(catalog, code: str = "fibra-tv", name: str = "Fibra 300 + TV",
               **terms) -> OfferVersion:
    return services.offer_create(
        code=code, name=name, actor=None, terms={**TERMS, **terms},
        items=[services.ItemSpec(service=catalog.tv), services.ItemSpec(service=catalog.internet),
               services.ItemSpec(service=catalog.mailbox, role=ItemRole.OPTION,
                                 option_monthly_price=Decimal("1.00"))])


@pytest.fixture
def draft(catalog) -> OfferVersion:
    return make_draft(catalog)


@pytest.fixture
def published(draft) -> OfferVersion:
    return services.offer_version_publish(version=draft, actor=None)


def act(client, action: str, *versions: OfferVersion):
    return client.post(reverse("admin:subscriptions_offerversion_changelist"),
                       {"action": action, "_selected_action": [v.pk for v in versions]},
                       follow=True)


# Every page ----------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_it_lists_searches_and_filters_every_model(admin_client, published, model):
    url = reverse(f"admin:subscriptions_{model}_changelist")

    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "fibra"}).status_code == 200
    assert admin_client.get(url, {"q": "nothing like this"}).status_code == 200


def test_it_opens_every_record_and_add_page(admin_client, catalog, published):
    item = published.items.first()
    pages = [change_url("catalogservice", catalog.tv.pk),
             change_url("programmeevent", catalog.match.pk),
             change_url("offer", published.offer_id), change_url("offerversion", published.pk),
             change_url("offeritem", item.pk),
             reverse("admin:subscriptions_catalogservice_add"),
             reverse("admin:subscriptions_programmeevent_add"),
             reverse("admin:subscriptions_offer_add")]

    assert [admin_client.get(page).status_code for page in pages] == [200] * len(pages)


def test_it_filters_services_by_kind(admin_client, catalog):
    response = admin_client.get(reverse("admin:subscriptions_catalogservice_changelist"),
                                {"kind__exact": ServiceKind.INTERNET_ACCESS})

    assert [service.code for service in response.context["cl"].result_list] == ["fibra-300"]


def test_it_shows_an_offer_with_links_to_its_versions(admin_client, catalog, published):
    draft = services.offer_version_draft(offer=published.offer, actor=None)

    page = admin_client.get(change_url("offer", published.offer_id)).content.decode()

    assert change_url("offerversion", published.pk) in page
    assert change_url("offerversion", draft.pk) in page
    listing = admin_client.get(reverse("admin:subscriptions_offer_changelist"))
    assert "v2 draft" in listing.content.decode()


# Services and the programme: reference data -------------------------------------------


def test_it_adds_a_service_with_media_visits_and_equipment(admin_client, catalog):
    from inventory.models import EquipmentModel

    modem = EquipmentModel.objects.create(code="arris-tg2492", kind="cable_modem",
                                          manufacturer="Arris", model_name="TG2492")

    response = admin_client.post(reverse("admin:subscriptions_catalogservice_add"), {
        "code": "fibra-600", "name": "Fibra 600", "kind": ServiceKind.INTERNET_ACCESS,
        "description": "", "access_media": ["cable"], "visit_media": ["cable"],
        "equipment_models": [modem.pk], "credential_kind": CredentialKind.ISP_LOGIN,
        "speed_down_mbps": "600", "speed_up_mbps": "60", "package_code": "",
        "is_active": "on"})

    assert response.status_code == 302, response.content.decode()[:2000]
    service = CatalogService.objects.get(code="fibra-600")
    assert (service.access_media, service.visit_media, service.speed_down_mbps) == (
        ["cable"], ["cable"], 600)
    assert list(service.equipment_models.all()) == [modem]


def test_it_refuses_a_visit_over_a_medium_the_service_does_not_use(admin_client, catalog):
    response = admin_client.post(reverse("admin:subscriptions_catalogservice_add"), {
        "code": "tv-sat", "name": "TV Sat", "kind": ServiceKind.TV_PACKAGE,
        "access_media": ["cable"], "visit_media": ["satellite"],
        "credential_kind": CredentialKind.NONE, "is_active": "on"})

    assert response.status_code == 200
    assert "A visit can only be needed over a medium the service works over." in \
        response.content.decode()
    assert not CatalogService.objects.filter(code="tv-sat").exists()


def test_it_offers_only_programme_services_for_an_event(admin_client, catalog):
    nvod = CatalogService.objects.create(code="nvod", name="NVOD",
                                         kind=ServiceKind.NEAR_VIDEO_ON_DEMAND)
    url = reverse("admin:subscriptions_programmeevent_add")

    choices = admin_client.get(url).context["adminform"].form.fields["service"].queryset
    refused = admin_client.post(url, {
        "service": catalog.tv.pk, "title": "Not a programme", "starts_at_0": "2026-05-09",
        "starts_at_1": "21:00", "duration_minutes": "90", "repeat_every_minutes": "0",
        "showings": "1", "price": "5.00", "currency": "EUR", "is_active": "on"})
    added = admin_client.post(url, {
        "service": nvod.pk, "title": "Campeones", "starts_at_0": "2026-05-09",
        "starts_at_1": "16:00", "duration_minutes": "124", "repeat_every_minutes": "30",
        "showings": "8", "price": "4.95", "currency": "EUR", "is_active": "on"})

    assert sorted(service.code for service in choices) == ["nvod", "ppv-futbol"]
    assert refused.status_code == 200
    assert added.status_code == 302
    assert list(ProgrammeEvent.objects.order_by("title").values_list("title", "showings")) == [
        ("Campeones", 8), ("Real Madrid – FC Barcelona", 1)]


def test_it_deletes_no_service_in_use(admin_client, catalog, draft):
    in_use = admin_client.post(
        reverse("admin:subscriptions_catalogservice_delete", args=[catalog.tv.pk]),
        {"post": "yes"})
    with_programme = admin_client.post(
        reverse("admin:subscriptions_catalogservice_delete", args=[catalog.ppv.pk]),
        {"post": "yes"})
    unused = CatalogService.objects.create(code="ftp", name="FTP", kind=ServiceKind.FTP)
    deleted = admin_client.post(
        reverse("admin:subscriptions_catalogservice_delete", args=[unused.pk]),
        {"post": "yes"})

    assert (in_use.status_code, with_programme.status_code, deleted.status_code) == (
        403, 403, 302)
    assert sorted(CatalogService.objects.values_list("code", flat=True)) == [
        "fibra-300", "mailbox", "ppv-futbol", "tv-total"]


# Offers and their drafts -----------------------------------------------------------


def test_it_adds_an_offer_with_its_first_draft_through_the_services(admin_client):
    response = admin_client.post(reverse("admin:subscriptions_offer_add"), {
        "code": "solo-fibra", "name": "Solo Fibra", "description": "Sin TV",
        "valid_from": "2026-03-01", "valid_until": "", "monthly_price": "39.90",
        "setup_fee": "0", "currency": "EUR", "minimum_term_months": "12",
        "notice_days": "30", "early_termination_fee": "120.00", "access_media": ["cable"],
        "regions": "28, 08"})

    version = OfferVersion.objects.get(offer__code="solo-fibra")
    assert response.status_code == 302
    assert response["Location"] == change_url("offerversion", version.pk)
    assert (version.number, version.status, version.monthly_price, version.access_media,
            version.regions, version.valid_from) == (
        1, OfferStatus.DRAFT, Decimal("39.90"), ["cable"], ["28", "08"], date(2026, 3, 1))
    audit = AuditEvent.objects.get(action=AuditAction.CREATE)
    assert (audit.object_id, audit.actor.username) == (str(version.pk), "adrian")


def test_it_refuses_an_offer_whose_terms_break_the_rules(admin_client):
    before = snapshot()

    response = admin_client.post(reverse("admin:subscriptions_offer_add"), {
        "code": "bad", "name": "Bad", "valid_from": "2026-03-01", "valid_until": "2026-02-01",
        "monthly_price": "10", "setup_fee": "0", "currency": "EUR",
        "minimum_term_months": "0", "notice_days": "0", "early_termination_fee": "50",
        "regions": "28x"})

    page = response.content.decode()
    assert response.status_code == 200
    assert "The offer must stop being sold after it starts." in page
    assert "List postal-code prefixes of 1 to 5 digits" in page
    assert snapshot() == before


def test_it_saves_a_draft_s_terms_and_services_in_one_call(admin_client, catalog, draft):
    url = change_url("offerversion", draft.pk)
    data = form_of(admin_client.get(url))
    data["monthly_price"] = ["47.50"]
    data["regions"] = ["28, 46"]
    rows = {data[f"items-{row}-service"][0]: row for row in range(3)}
    data[f"items-{rows[str(catalog.mailbox.pk)]}-DELETE"] = ["on"]
    data["items-3-service"] = [str(catalog.ppv.pk)]
    data["items-3-role"] = [ItemRole.OPTION]
    data["items-3-option_monthly_price"] = ["0.00"]

    response = admin_client.post(url, data)

    assert response.status_code == 302, messages_of(admin_client.get(url))
    draft.refresh_from_db()
    assert (draft.monthly_price, draft.regions) == (Decimal("47.50"), ["28", "46"])
    assert sorted(draft.items.values_list("service__code", "role")) == [
        ("fibra-300", "included"), ("ppv-futbol", "option"), ("tv-total", "included")]
    audit = AuditEvent.objects.get(action=AuditAction.UPDATE)
    assert audit.changes["monthly_price"] == ["45.00", "47.50"]


def test_it_refuses_a_price_on_an_included_service(admin_client, catalog, draft):
    url = change_url("offerversion", draft.pk)
    data = form_of(admin_client.get(url))
    data["items-3-service"] = [str(catalog.ppv.pk)]
    data["items-3-role"] = [ItemRole.INCLUDED]
    data["items-3-option_monthly_price"] = ["5.00"]
    before = snapshot()

    response = admin_client.post(url, data)

    assert response.status_code == 200
    assert "An included service has no price of its own." in response.content.decode()
    assert snapshot() == before


def test_it_shows_a_published_version_read_only_and_refuses_changes(admin_client, catalog,
                                                                   published):
    url = change_url("offerversion", published.pk)
    page = admin_client.get(url)
    before = snapshot()

    response = admin_client.post(url, {"monthly_price": "1.00", "items-TOTAL_FORMS": "0",
                                       "items-INITIAL_FORMS": "0"})

    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()
    assert 'name="monthly_price"' not in page.content.decode()
    assert "TV Total" in page.content.decode()
    assert response.status_code == 403
    assert snapshot() == before


def test_it_deletes_a_draft_but_never_a_published_version(admin_client, catalog, published):
    draft = services.offer_version_draft(offer=published.offer, actor=None)

    kept = admin_client.post(
        reverse("admin:subscriptions_offerversion_delete", args=[published.pk]),
        {"post": "yes"})
    thrown_away = admin_client.post(
        reverse("admin:subscriptions_offerversion_delete", args=[draft.pk]), {"post": "yes"})

    assert (kept.status_code, thrown_away.status_code) == (403, 302)
    assert versions_of(published.offer) == [(1, OfferStatus.PUBLISHED)]
    changelist = admin_client.get(reverse("admin:subscriptions_offerversion_changelist"))
    assert "delete_selected" not in dict(changelist.context["action_form"].fields["action"]
                                         .choices)


# Actions -------------------------------------------------------------------------


def test_it_publishes_a_draft(admin_client, draft):
    response = act(admin_client, "publish", draft)

    draft.refresh_from_db()
    assert (draft.status, draft.published_by.username) == (OfferStatus.PUBLISHED, "adrian")
    assert messages_of(response) == [("success", "On sale: Fibra 300 + TV v1.")]


def test_it_shows_why_a_draft_cannot_be_published(admin_client, catalog):
    empty = services.offer_create(code="empty", name="Empty", actor=None, terms=TERMS,
                                  items=[])
    before = snapshot()

    response = act(admin_client, "publish", empty)

    assert messages_of(response) == [
        ("error", "Empty v1: An offer needs at least one included service.")]
    assert snapshot() == before


def test_it_publishes_a_new_version_and_retires_the_old_one(admin_client, catalog,
                                                            published):
    act(admin_client, "new_draft", published)
    second = OfferVersion.objects.get(offer=published.offer, number=2)

    response = act(admin_client, "publish", second)

    assert versions_of(published.offer) == [(1, OfferStatus.RETIRED),
                                            (2, OfferStatus.PUBLISHED)]
    assert messages_of(response) == [("success", "On sale: Fibra 300 + TV v2.")]


def test_it_retires_a_published_version_and_refuses_a_draft(admin_client, catalog,
                                                            published):
    other = make_draft(catalog, code="other", name="Other")
    before = snapshot()["OfferVersion"]

    response = act(admin_client, "retire", published, other)

    assert versions_of(published.offer) == [(1, OfferStatus.RETIRED)]
    assert versions_of(other.offer) == [(1, OfferStatus.DRAFT)]
    assert messages_of(response) == [
        ("error", "Other v1: Only a published version can be retired."),
        ("success", "No longer sold: Fibra 300 + TV v1.")]
    assert [row for row in snapshot()["OfferVersion"] if row["id"] == other.pk] == [
        row for row in before if row["id"] == other.pk]


def test_it_makes_a_new_draft_copying_the_latest_version(admin_client, catalog, published):
    response = act(admin_client, "new_draft", published)

    second = OfferVersion.objects.get(offer=published.offer, number=2)
    assert second.status == OfferStatus.DRAFT
    assert (second.monthly_price, second.minimum_term_months) == (Decimal("45.00"), 12)
    assert sorted(second.items.values_list("service__code", "role")) == sorted(
        published.items.values_list("service__code", "role"))
    assert messages_of(response) == [("success", "New draft: Fibra 300 + TV v2.")]


def test_it_refuses_a_second_draft_and_a_draft_from_an_old_version(admin_client, catalog,
                                                                    published):
    act(admin_client, "new_draft", published)
    second = OfferVersion.objects.get(offer=published.offer, number=2)
    before = snapshot()

    again = act(admin_client, "new_draft", second)
    from_old = act(admin_client, "new_draft", published)

    assert messages_of(again) == [
        ("error", "Fibra 300 + TV v2: Fibra 300 + TV already has a draft: version 2.")]
    assert messages_of(from_old) == [
        ("error", "Fibra 300 + TV v1: A new draft copies the latest version, Fibra 300 + TV "
                  "v2; choose that one.")]
    assert snapshot() == before
