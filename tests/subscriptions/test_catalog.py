"""The service catalog as a domain: what its models accept, how offers and
their versions are written (draft, publish, retire), what is on sale where
and when, what it costs, and who may shape it. Changing an offer never
changes what existing subscribers signed."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from sesmu.choices import ServiceKind
from sesmu.models import AuditAction, AuditEvent
from subscriptions import errors
from subscriptions.choices import ItemRole, OfferStatus
from subscriptions.models import (
    CatalogService,
    Offer,
    OfferItem,
    OfferVersion,
    ProgrammeEvent,
    validate_postcode_prefixes,
)
from subscriptions.selectors import offer_price, offers_on_sale, service_list
from subscriptions.services.catalog import (
    ItemSpec,
    offer_create,
    offer_version_draft,
    offer_version_publish,
    offer_version_retire,
    offer_version_update,
)
from tests.factories import UserFactory
from tests.subscriptions.conftest import (
    OFFER_STARTS,
    OFFER_TERMS,
    error_code,
    make_offer,
    offer_snapshot,
)

pytestmark = pytest.mark.django_db


def today():
    return timezone.localdate()


def days(number: int) -> timedelta:
    return timedelta(days=number)


def refused_by_database(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


def items_of(version: OfferVersion) -> list[tuple[str, str, Decimal]]:
    return sorted(version.items.values_list("service__code", "role", "option_monthly_price"))


def audit_rows(version: OfferVersion) -> list[tuple[str, str, dict]]:
    return list(AuditEvent.objects.filter(object_type="subscriptions.offerversion",
                                          object_id=str(version.pk))
                .order_by("id").values_list("actor_label", "action", "changes"))


FIBRA_ITEMS = [
    ("internet-300", ItemRole.INCLUDED, Decimal("0.00")),
    ("mailbox", ItemRole.OPTION, Decimal("1.99")),
    ("tv-total", ItemRole.INCLUDED, Decimal("0.00")),
]


# --- models -------------------------------------------------------------------------------


class TestCatalogServiceValidation:
    def service(self, **fields) -> CatalogService:
        return CatalogService(**{"code": "svc", "name": "Service",
                                 "kind": ServiceKind.TV_PACKAGE, **fields})

    def test_it_accepts_each_service_of_the_catalog(self, services_catalog):
        for service in (services_catalog.tv, services_catalog.internet, services_catalog.mailbox,
                        services_catalog.ppv, services_catalog.nvod):
            service.full_clean()

    @pytest.mark.parametrize("speeds", [{"speed_down_mbps": 100},
                                        {"speed_up_mbps": 10},
                                        {"speed_down_mbps": 100, "speed_up_mbps": 10}])
    def test_only_internet_access_has_a_speed(self, speeds):
        with pytest.raises(ValidationError) as refused:
            self.service(**speeds).full_clean()

        assert error_code(refused.value) == "not_internet"
        assert "speed_down_mbps" in refused.value.error_dict

    @pytest.mark.parametrize("speeds", [{}, {"speed_up_mbps": 30}, {"speed_down_mbps": 0}])
    def test_internet_access_needs_its_download_speed(self, speeds):
        with pytest.raises(ValidationError) as refused:
            self.service(kind=ServiceKind.INTERNET_ACCESS, **speeds).full_clean()

        assert error_code(refused.value, "speed_down_mbps") == "required"

    def test_a_visit_is_needed_only_over_a_medium_the_service_works_over(self):
        with pytest.raises(ValidationError) as refused:
            self.service(access_media=["cable"], visit_media=["cable", "satellite"]).full_clean()

        assert error_code(refused.value) == "invalid"
        assert "visit_media" in refused.value.error_dict

    def test_a_service_over_any_medium_may_need_a_visit_over_any(self):
        self.service(access_media=[], visit_media=["satellite"]).full_clean()

    @pytest.mark.parametrize("field, value, code", [
        ("access_media", ["fibre"], "invalid_choice"),
        ("access_media", ["cable", "5g"], "invalid_choice"),
        ("access_media", "cable", "not_a_list"),
        ("access_media", 5, "not_a_list"),
        ("access_media", [{"medium": "cable"}], "not_a_list"),
        ("visit_media", ["moon"], "invalid_choice"),
        ("visit_media", 5, "not_a_list"),
        ("visit_media", [["cable"]], "not_a_list"),
    ])
    def test_it_refuses_bad_media_values_with_a_code_not_a_crash(self, field, value, code):
        fields = {"access_media": ["cable"], "visit_media": [], field: value}

        with pytest.raises(ValidationError) as refused:
            self.service(**fields).full_clean()

        assert refused.value.error_dict[field][0].code == code

    def test_works_over_and_needs_visit_over(self, services_catalog):
        tv, mailbox = services_catalog.tv, services_catalog.mailbox

        assert [tv.works_over(medium) for medium in ("cable", "satellite", "copper")] == [
            True, True, False]
        assert [tv.needs_visit_over(medium) for medium in ("cable", "satellite")] == [
            False, True]
        assert mailbox.works_over("copper") is True
        assert mailbox.needs_visit_over("satellite") is False


class TestProgrammeEventValidation:
    def event(self, service, **fields) -> ProgrammeEvent:
        return ProgrammeEvent(**{"service": service, "title": "Match",
                                 "starts_at": timezone.now() + days(3), "duration_minutes": 90,
                                 "price": Decimal("5.00"), **fields})

    @pytest.mark.parametrize("kind", [ServiceKind.PAY_PER_VIEW,
                                      ServiceKind.IMPULSE_PAY_PER_VIEW,
                                      ServiceKind.NEAR_VIDEO_ON_DEMAND])
    def test_programme_services_have_events(self, kind):
        service = CatalogService.objects.create(code=f"svc-{kind}", name="Events", kind=kind)

        self.event(service).full_clean()

    @pytest.mark.parametrize("name", ["tv", "internet", "mailbox"])
    def test_other_services_have_no_programme(self, services_catalog, name):
        with pytest.raises(ValidationError) as refused:
            self.event(getattr(services_catalog, name)).full_clean()

        assert error_code(refused.value, "service") == errors.WRONG_SERVICE_KIND

    def test_an_event_shown_once_has_one_showing(self, services_catalog):
        with pytest.raises(ValidationError) as refused:
            self.event(services_catalog.ppv, repeat_every_minutes=0, showings=3).full_clean()

        assert error_code(refused.value, "showings") == "invalid"

    def test_the_database_keeps_repeats_consistent(self, services_catalog):
        ppv = services_catalog.ppv
        before = ProgrammeEvent.objects.count()

        assert refused_by_database(lambda: self.event(ppv, repeat_every_minutes=0,
                                                      showings=3).save())
        assert refused_by_database(lambda: self.event(ppv, repeat_every_minutes=30,
                                                      showings=0).save())
        assert ProgrammeEvent.objects.count() == before

    def test_a_repeated_title_is_consistent(self, services_catalog):
        event = services_catalog.nvod_event

        event.full_clean()
        assert (event.repeat_every_minutes, event.showings) == (30, 8)

    def test_the_database_refuses_a_negative_price(self, services_catalog):
        before = ProgrammeEvent.objects.count()

        assert refused_by_database(
            lambda: self.event(services_catalog.ppv, price=Decimal("-0.01")).save())
        assert ProgrammeEvent.objects.count() == before

    def test_validation_refuses_a_negative_price_too(self, services_catalog):
        with pytest.raises(ValidationError) as refused:
            self.event(services_catalog.ppv, price=Decimal("-1.00")).full_clean()

        assert "programme_price_not_negative" in str(refused.value)


class TestOfferVersionValidation:
    def version(self, offer, **fields) -> OfferVersion:
        return OfferVersion(offer=offer, **{"number": 9, **OFFER_TERMS, **fields})

    @pytest.fixture
    def offer(self, db):
        return Offer.objects.create(code="solo", name="Solo")

    def test_it_accepts_the_usual_terms(self, offer):
        self.version(offer).full_clean()

    def test_an_offer_stops_being_sold_after_it_starts(self, offer):
        with pytest.raises(ValidationError) as refused:
            self.version(offer, valid_until=OFFER_STARTS - days(1)).full_clean()

        assert error_code(refused.value, "valid_until") == errors.BAD_DATES

    def test_it_may_be_sold_for_a_single_day(self, offer):
        self.version(offer, valid_until=OFFER_STARTS).full_clean()

    def test_the_database_keeps_the_dates_ordered(self, offer):
        assert refused_by_database(
            lambda: self.version(offer, valid_until=OFFER_STARTS - days(1)).save())
        assert OfferVersion.objects.filter(offer=offer).count() == 0

    def test_an_early_termination_fee_needs_a_minimum_term(self, offer):
        with pytest.raises(ValidationError) as refused:
            self.version(offer, minimum_term_months=0).full_clean()

        assert error_code(refused.value, "early_termination_fee") == "invalid"

    def test_no_minimum_term_and_no_fee_is_fine(self, offer):
        self.version(offer, minimum_term_months=0,
                     early_termination_fee=Decimal("0")).full_clean()

    @pytest.mark.parametrize("regions", [[], ["28"], ["28", "08001", "4"]])
    def test_it_accepts_postal_code_prefixes(self, offer, regions):
        validate_postcode_prefixes(regions)
        self.version(offer, regions=regions).full_clean()

    @pytest.mark.parametrize("regions", ["28", [28], ["28a"], [""], ["123456"], ["28 0"],
                                         [None], {"28": True}])
    def test_it_refuses_malformed_postal_code_prefixes(self, offer, regions):
        with pytest.raises(ValidationError) as refused:
            self.version(offer, regions=regions).full_clean()

        assert error_code(refused.value, "regions") == "bad_region"

    def test_an_offer_has_one_draft_at_most(self, offer):
        self.version(offer, number=1).save()

        assert refused_by_database(lambda: self.version(offer, number=2).save())
        assert list(OfferVersion.objects.filter(offer=offer).values_list("number", flat=True)) \
            == [1]

    def test_the_status_cannot_be_set_by_hand(self, draft_offer):
        with pytest.raises(AttributeError):
            draft_offer.status = OfferStatus.PUBLISHED

    def test_sold_over_and_sold_at(self, offer):
        version = self.version(offer, access_media=["cable"], regions=["28", "08"])
        anywhere = self.version(offer, access_media=[], regions=[])

        assert [version.sold_over(medium) for medium in ("cable", "copper")] == [True, False]
        assert [version.sold_at(code) for code in ("28013", "08001", "41001")] == [
            True, True, False]
        assert anywhere.sold_over("satellite") and anywhere.sold_at("41001")


# --- offer_create ---------------------------------------------------------------------------


class TestOfferCreate:
    def test_it_creates_a_draft_first_version_with_its_items(self, services_catalog,
                                                             marketing):
        version = make_offer(services_catalog, actor=marketing)

        version.refresh_from_db()
        assert (version.offer.code, version.offer.name) == ("fibra-tv", "Fibra 300 + TV Total")
        assert (version.number, version.status) == (1, OfferStatus.DRAFT)
        assert version.monthly_price == Decimal("49.90")
        assert version.setup_fee == Decimal("30.00")
        assert version.early_termination_fee == Decimal("100.00")
        assert (version.minimum_term_months, version.notice_days) == (12, 30)
        assert (version.access_media, version.regions) == (["cable"], ["28"])
        assert (version.valid_from, version.valid_until) == (OFFER_STARTS, None)
        assert (version.published_at, version.published_by) == (None, None)
        assert items_of(version) == FIBRA_ITEMS
        [(actor, action, changes)] = audit_rows(version)
        assert (actor, action) == ("marta", AuditAction.CREATE)
        assert changes["monthly_price"] == [None, "49.90"]
        assert changes["valid_from"] == [None, str(OFFER_STARTS)]
        assert "valid_until" not in changes

    def assert_nothing_created(self, offers: int, audit: int) -> None:
        assert Offer.objects.count() == offers
        assert OfferVersion.objects.count() == offers
        assert OfferItem.objects.filter(version__offer__code="other").count() == 0
        assert AuditEvent.objects.count() == audit

    def test_a_code_is_used_once(self, draft_offer, services_catalog, marketing):
        offers, audit = Offer.objects.count(), AuditEvent.objects.count()

        with pytest.raises(ValidationError) as refused:
            make_offer(services_catalog, actor=marketing, name="Another name")

        assert error_code(refused.value, "code") == "unique"
        self.assert_nothing_created(offers, audit)
        assert Offer.objects.get(code="fibra-tv").name == "Fibra 300 + TV Total"

    @pytest.mark.parametrize("items, code", [
        (lambda catalog: [ItemSpec(service=catalog.tv), ItemSpec(service=catalog.tv)],
         errors.DUPLICATE_SERVICE),
        (lambda catalog: [ItemSpec(service=catalog.tv),
                          ItemSpec(service=catalog.tv, role=ItemRole.OPTION,
                                   option_monthly_price=Decimal("5.00"))],
         errors.DUPLICATE_SERVICE),
        (lambda catalog: [ItemSpec(service=catalog.tv, option_monthly_price=Decimal("5.00"))],
         "invalid"),
        (lambda catalog: [ItemSpec(service=catalog.tv),
                          ItemSpec(service=catalog.mailbox, role=ItemRole.OPTION,
                                   option_monthly_price=Decimal("-1.00"))],
         "invalid"),
        (lambda catalog: [ItemSpec(service=catalog.tv, role="gift")], "invalid"),
    ], ids=["twice", "included-and-option", "included-with-price", "negative-option",
            "unknown-role"])
    def test_it_refuses_bad_items_and_creates_nothing(self, services_catalog, marketing, items,
                                                      code):
        with pytest.raises(ValidationError) as refused:
            offer_create(code="other", name="Other", actor=marketing, terms=OFFER_TERMS,
                         items=items(services_catalog))

        assert error_code(refused.value, "items") == code
        self.assert_nothing_created(0, 0)

    def test_it_refuses_bad_terms_and_creates_nothing(self, services_catalog, marketing):
        with pytest.raises(ValidationError) as refused:
            offer_create(code="other", name="Other", actor=marketing,
                         terms={**OFFER_TERMS, "minimum_term_months": 0},
                         items=[ItemSpec(service=services_catalog.tv)])

        assert error_code(refused.value, "early_termination_fee") == "invalid"
        self.assert_nothing_created(0, 0)

    @pytest.mark.parametrize("name", ["status", "number", "published_at", "offer"])
    def test_terms_are_only_terms(self, services_catalog, marketing, name):
        # A version created "published" would skip every check of publishing.
        value = {"status": OfferStatus.PUBLISHED, "number": 7,
                 "published_at": timezone.now(), "offer": None}[name]

        with pytest.raises(ValueError, match=f"{name} is not a term"):
            offer_create(code="other", name="Other", actor=marketing,
                         terms={**OFFER_TERMS, name: value},
                         items=[ItemSpec(service=services_catalog.tv)])

        self.assert_nothing_created(0, 0)


# --- offer_version_update ---------------------------------------------------------------------


class TestOfferVersionUpdate:
    def test_it_changes_a_drafts_terms_and_replaces_its_items(self, draft_offer,
                                                              services_catalog, marketing):
        version = offer_version_update(
            version=draft_offer, actor=marketing,
            terms={"monthly_price": Decimal("39.90"), "regions": ["28", "08"]},
            items=[ItemSpec(service=services_catalog.internet),
                   ItemSpec(service=services_catalog.ppv, role=ItemRole.OPTION,
                            option_monthly_price=Decimal("0.00"))],
        )

        version.refresh_from_db()
        assert version.status == OfferStatus.DRAFT
        assert version.monthly_price == Decimal("39.90")
        assert version.regions == ["28", "08"]
        assert version.setup_fee == Decimal("30.00")
        assert items_of(version) == [("internet-300", ItemRole.INCLUDED, Decimal("0.00")),
                                     ("ppv-sports", ItemRole.OPTION, Decimal("0.00"))]
        (actor, action, changes) = audit_rows(version)[-1]
        assert (actor, action) == ("marta", AuditAction.UPDATE)
        assert changes == {
            "monthly_price": ["49.90", "39.90"],
            "regions": ["['28']", "['28', '08']"],
            "items": [["internet-300 included 0.00", "mailbox option 1.99",
                       "tv-total included 0.00"],
                      ["internet-300 included 0.00", "ppv-sports option 0.00"]],
        }

    def test_items_are_left_alone_when_not_given(self, draft_offer, marketing):
        offer_version_update(version=draft_offer, actor=marketing, terms={"notice_days": 15})

        draft_offer.refresh_from_db()
        assert draft_offer.notice_days == 15
        assert items_of(draft_offer) == FIBRA_ITEMS
        assert audit_rows(draft_offer)[-1][2] == {"notice_days": [30, 15]}

    @pytest.mark.parametrize("retired", [False, True], ids=["published", "retired"])
    def test_published_terms_never_change(self, published_offer, services_catalog, marketing,
                                          retired):
        if retired:
            offer_version_retire(version=published_offer, actor=marketing)
        before = offer_snapshot(published_offer)

        with pytest.raises(ValidationError) as refused:
            offer_version_update(version=published_offer, actor=marketing,
                                 terms={"monthly_price": Decimal("9.90")},
                                 items=[ItemSpec(service=services_catalog.mailbox)])

        assert error_code(refused.value, "version") == errors.NOT_A_DRAFT
        assert offer_snapshot(published_offer) == before

    @pytest.mark.parametrize("terms, field, code", [
        ({"valid_until": OFFER_STARTS - timedelta(days=1)}, "valid_until", errors.BAD_DATES),
        ({"minimum_term_months": 0}, "early_termination_fee", "invalid"),
        ({"access_media": ["fibre"]}, "access_media", "invalid_choice"),
        ({"regions": ["madrid"]}, "regions", "bad_region"),
    ])
    def test_it_refuses_bad_terms_and_changes_nothing(self, draft_offer, marketing, terms,
                                                      field, code):
        before = offer_snapshot(draft_offer)

        with pytest.raises(ValidationError) as refused:
            offer_version_update(version=draft_offer, actor=marketing, terms=terms)

        assert error_code(refused.value, field) == code
        assert offer_snapshot(draft_offer) == before

    def test_it_refuses_bad_items_and_keeps_terms_and_items(self, draft_offer, services_catalog,
                                                            marketing):
        before = offer_snapshot(draft_offer)

        with pytest.raises(ValidationError) as refused:
            offer_version_update(
                version=draft_offer, actor=marketing, terms={"monthly_price": Decimal("1.00")},
                items=[ItemSpec(service=services_catalog.tv),
                       ItemSpec(service=services_catalog.tv)])

        assert error_code(refused.value, "items") == errors.DUPLICATE_SERVICE
        assert offer_snapshot(draft_offer) == before

    def test_only_terms_can_be_changed(self, draft_offer, marketing):
        before = offer_snapshot(draft_offer)

        with pytest.raises(ValueError, match="status is not a term"):
            offer_version_update(version=draft_offer, actor=marketing,
                                 terms={"notice_days": 1, "status": OfferStatus.PUBLISHED})

        assert offer_snapshot(draft_offer) == before


# --- offer_version_draft ----------------------------------------------------------------------


class TestOfferVersionDraft:
    def test_it_copies_the_latest_versions_terms_and_items(self, published_offer, marketing):
        draft = offer_version_draft(offer=published_offer.offer, actor=marketing)

        draft.refresh_from_db()
        assert (draft.number, draft.status) == (2, OfferStatus.DRAFT)
        assert (draft.published_at, draft.published_by) == (None, None)
        for name in ("monthly_price", "setup_fee", "currency", "minimum_term_months",
                     "notice_days", "early_termination_fee", "access_media", "regions",
                     "valid_until"):
            assert getattr(draft, name) == getattr(published_offer, name), name
        assert items_of(draft) == FIBRA_ITEMS
        assert audit_rows(draft) == [("marta", AuditAction.CREATE, {})]

    def test_the_copy_leaves_the_published_version_as_it_was(self, published_offer, marketing):
        before = offer_snapshot(published_offer)

        offer_version_draft(offer=published_offer.offer, actor=marketing)

        after = offer_snapshot(published_offer)
        assert after["versions"][0] == before["versions"][0]
        assert after["items"][1] == before["items"][1]

    def test_a_draft_never_starts_in_the_past(self, published_offer, marketing):
        assert published_offer.valid_from == OFFER_STARTS < today()

        draft = offer_version_draft(offer=published_offer.offer, actor=marketing)

        assert draft.valid_from == today()

    def test_a_draft_keeps_a_start_still_to_come(self, services_catalog, marketing):
        starts = today() + days(20)
        version = offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, valid_from=starts),
            actor=marketing)

        draft = offer_version_draft(offer=version.offer, actor=marketing)

        assert draft.valid_from == starts

    def test_an_end_already_past_is_not_copied(self, services_catalog, marketing):
        version = offer_version_publish(
            version=make_offer(services_catalog, actor=marketing,
                               valid_until=OFFER_STARTS + days(100)),
            actor=marketing)

        draft = offer_version_draft(offer=version.offer, actor=marketing)

        assert (draft.valid_from, draft.valid_until) == (today(), None)

    def test_an_end_still_to_come_is_copied(self, services_catalog, marketing):
        ends = today() + days(60)
        version = offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, valid_until=ends),
            actor=marketing)

        draft = offer_version_draft(offer=version.offer, actor=marketing)

        assert (draft.valid_from, draft.valid_until) == (today(), ends)

    def test_it_refuses_a_second_draft(self, published_offer, marketing):
        first = offer_version_draft(offer=published_offer.offer, actor=marketing)
        before = offer_snapshot(first)

        with pytest.raises(ValidationError) as refused:
            offer_version_draft(offer=published_offer.offer, actor=marketing)

        assert error_code(refused.value, "offer") == errors.DRAFT_EXISTS
        assert offer_snapshot(first) == before

    def test_it_refuses_a_draft_of_an_offer_still_in_draft(self, draft_offer, marketing):
        before = offer_snapshot(draft_offer)

        with pytest.raises(ValidationError) as refused:
            offer_version_draft(offer=draft_offer.offer, actor=marketing)

        assert error_code(refused.value, "offer") == errors.DRAFT_EXISTS
        assert offer_snapshot(draft_offer) == before


# --- offer_version_publish --------------------------------------------------------------------


class TestOfferVersionPublish:
    def test_it_puts_a_draft_on_sale(self, draft_offer, marketing):
        before = timezone.now()

        version = offer_version_publish(version=draft_offer, actor=marketing)

        version.refresh_from_db()
        assert version.status == OfferStatus.PUBLISHED
        assert version.published_by == marketing
        assert before <= version.published_at <= timezone.now()
        assert items_of(version) == FIBRA_ITEMS
        assert audit_rows(version)[-1] == (
            "marta", AuditAction.TRANSITION,
            {"status": [OfferStatus.DRAFT, OfferStatus.PUBLISHED]})

    @pytest.mark.parametrize("items", [
        lambda catalog: [],
        lambda catalog: [ItemSpec(service=catalog.mailbox, role=ItemRole.OPTION,
                                  option_monthly_price=Decimal("1.99"))],
    ], ids=["empty", "only-options"])
    def test_an_offer_needs_an_included_service(self, services_catalog, marketing, items):
        version = offer_create(code="other", name="Other", actor=marketing,
                               terms=OFFER_TERMS, items=items(services_catalog))
        before = offer_snapshot(version)

        with pytest.raises(ValidationError) as refused:
            offer_version_publish(version=version, actor=marketing)

        assert error_code(refused.value, "items") == errors.EMPTY_OFFER
        assert offer_snapshot(version) == before

    @pytest.mark.parametrize("name", ["tv", "mailbox"], ids=["included", "option"])
    def test_a_service_no_longer_sold_cannot_be_published(self, draft_offer, services_catalog,
                                                          marketing, name):
        CatalogService.objects.filter(pk=getattr(services_catalog, name).pk).update(
            is_active=False)
        before = offer_snapshot(draft_offer)

        with pytest.raises(ValidationError) as refused:
            offer_version_publish(version=draft_offer, actor=marketing)

        assert error_code(refused.value, "items") == errors.INACTIVE_SERVICE
        assert "no longer sold" in refused.value.messages[0]
        assert offer_snapshot(draft_offer) == before

    @pytest.mark.parametrize("media", [["copper"], ["cable", "satellite"],
                                       []], ids=["copper", "satellite", "any"])
    def test_every_included_service_works_over_each_medium_sold(self, services_catalog,
                                                                 marketing, media):
        # TV does not work over copper, Internet not over satellite; "any"
        # includes both.
        version = make_offer(services_catalog, actor=marketing, access_media=media)
        before = offer_snapshot(version)

        with pytest.raises(ValidationError) as refused:
            offer_version_publish(version=version, actor=marketing)

        assert error_code(refused.value, "access_media") == errors.MEDIUM_NOT_SERVED
        assert offer_snapshot(version) == before

    def test_an_option_need_not_work_over_every_medium(self, services_catalog, marketing):
        version = offer_create(
            code="tv-sat", name="TV by satellite", actor=marketing,
            terms={**OFFER_TERMS, "access_media": ["satellite"]},
            items=[ItemSpec(service=services_catalog.tv),
                   ItemSpec(service=services_catalog.internet, role=ItemRole.OPTION,
                            option_monthly_price=Decimal("20.00"))])

        assert offer_version_publish(version=version, actor=marketing).status \
            == OfferStatus.PUBLISHED

    def test_services_over_any_medium_make_an_offer_over_any(self, services_catalog,
                                                             marketing):
        version = offer_create(code="mail", name="Mail", actor=marketing,
                               terms={**OFFER_TERMS, "access_media": []},
                               items=[ItemSpec(service=services_catalog.mailbox)])

        assert offer_version_publish(version=version, actor=marketing).status \
            == OfferStatus.PUBLISHED

    def test_only_a_draft_is_published(self, published_offer, marketing):
        before = offer_snapshot(published_offer)

        with pytest.raises(ValidationError) as refused:
            offer_version_publish(version=published_offer, actor=marketing)

        assert error_code(refused.value, "version") == errors.NOT_A_DRAFT
        assert offer_snapshot(published_offer) == before

    def test_the_previous_version_is_retired_the_day_before(self, published_offer,
                                                            services_catalog, marketing):
        old_row = OfferVersion.objects.filter(pk=published_offer.pk).values().get()
        old_items = items_of(published_offer)
        draft = offer_version_draft(offer=published_offer.offer, actor=marketing)
        offer_version_update(version=draft, actor=marketing,
                             terms={"monthly_price": Decimal("54.90"), "notice_days": 15},
                             items=[ItemSpec(service=services_catalog.tv),
                                    ItemSpec(service=services_catalog.internet)])

        offer_version_publish(version=draft, actor=marketing)

        new_row = OfferVersion.objects.filter(pk=published_offer.pk).values().get()
        assert (new_row["status"], new_row["valid_until"]) == (OfferStatus.RETIRED,
                                                               today() - days(1))
        # What subscribers of version 1 signed is what it still says; only
        # its status and its last day of sale moved (and updated_at with them).
        changed = {"status", "valid_until", "updated_at"}
        assert {key: value for key, value in new_row.items() if key not in changed} \
            == {key: value for key, value in old_row.items() if key not in changed}
        assert items_of(published_offer) == old_items
        assert new_row["monthly_price"] == Decimal("49.90")
        assert audit_rows(published_offer)[-1] == (
            "marta", AuditAction.TRANSITION,
            {"status": [OfferStatus.PUBLISHED, OfferStatus.RETIRED],
             "valid_until": [None, str(today() - days(1))]})
        draft.refresh_from_db()
        assert (draft.status, draft.monthly_price) == (OfferStatus.PUBLISHED, Decimal("54.90"))

    def test_a_previous_version_sold_from_today_ends_on_its_own_start(self, services_catalog,
                                                                       marketing):
        first = offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, valid_from=today()),
            actor=marketing)
        second = offer_version_draft(offer=first.offer, actor=marketing)

        offer_version_publish(version=second, actor=marketing)

        first.refresh_from_db()
        assert (first.status, first.valid_until) == (OfferStatus.RETIRED, today())

    def test_an_earlier_end_of_the_previous_version_is_kept(self, services_catalog,
                                                            marketing):
        ends = today() - days(10)
        first = offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, valid_until=ends),
            actor=marketing)
        second = offer_version_draft(offer=first.offer, actor=marketing)

        offer_version_publish(version=second, actor=marketing)

        first.refresh_from_db()
        assert (first.status, first.valid_until) == (OfferStatus.RETIRED, ends)

    def test_a_version_starting_later_leaves_the_offer_on_sale_until_then(
            self, published_offer, marketing):
        starts = today() + days(14)
        draft = offer_version_draft(offer=published_offer.offer, actor=marketing)
        offer_version_update(version=draft, actor=marketing,
                             terms={"valid_from": starts, "monthly_price": Decimal("59.90")})

        offer_version_publish(version=draft, actor=marketing)

        published_offer.refresh_from_db()
        assert (published_offer.status, published_offer.valid_until) == (
            OfferStatus.PUBLISHED, starts - days(1))
        assert audit_rows(published_offer)[-1] == (
            "marta", AuditAction.UPDATE, {"valid_until": [None, str(starts - days(1))]})
        on_sale = {day: [version.pk for version in offers_on_sale(on=day)]
                   for day in (today(), starts - days(1), starts)}
        assert on_sale == {today(): [published_offer.pk],
                           starts - days(1): [published_offer.pk],
                           starts: [draft.pk]}

    def test_the_next_publication_retires_every_version_it_supersedes(self, published_offer,
                                                                      marketing):
        starts = today() + days(14)
        second = offer_version_draft(offer=published_offer.offer, actor=marketing)
        offer_version_update(version=second, actor=marketing, terms={"valid_from": starts})
        offer_version_publish(version=second, actor=marketing)
        third = offer_version_draft(offer=published_offer.offer, actor=marketing)
        offer_version_update(version=third, actor=marketing, terms={"valid_from": today()})

        offer_version_publish(version=third, actor=marketing)

        rows = list(OfferVersion.objects.filter(offer=published_offer.offer)
                    .order_by("number").values_list("number", "status", "valid_until"))
        assert rows == [(1, OfferStatus.RETIRED, today() - days(1)),
                        (2, OfferStatus.RETIRED, starts),
                        (3, OfferStatus.PUBLISHED, None)]
        assert [version.number for version in offers_on_sale()] == [3]

    def test_a_new_version_cannot_claim_days_already_sold(self, published_offer, marketing):
        draft = offer_version_draft(offer=published_offer.offer, actor=marketing)
        offer_version_update(version=draft, actor=marketing,
                             terms={"valid_from": today() - days(3)})
        before = offer_snapshot(draft)

        with pytest.raises(ValidationError) as refused:
            offer_version_publish(version=draft, actor=marketing)

        assert error_code(refused.value, "valid_from") == errors.BAD_DATES
        assert offer_snapshot(draft) == before


# --- offer_version_retire ---------------------------------------------------------------------


class TestOfferVersionRetire:
    def test_it_stops_selling_from_today(self, published_offer, marketing):
        version = offer_version_retire(version=published_offer, actor=marketing)

        version.refresh_from_db()
        assert (version.status, version.valid_until) == (OfferStatus.RETIRED, today())
        assert version.monthly_price == Decimal("49.90")
        assert items_of(version) == FIBRA_ITEMS
        assert audit_rows(version)[-1] == (
            "marta", AuditAction.TRANSITION,
            {"status": [OfferStatus.PUBLISHED, OfferStatus.RETIRED]})
        assert offers_on_sale() == []

    def test_an_earlier_end_is_kept(self, services_catalog, marketing):
        ends = today() - days(5)
        version = offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, valid_until=ends),
            actor=marketing)

        offer_version_retire(version=version, actor=marketing)

        version.refresh_from_db()
        assert version.valid_until == ends

    def test_a_version_never_sold_ends_on_its_own_start(self, services_catalog, marketing):
        starts = today() + days(30)
        version = offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, valid_from=starts),
            actor=marketing)

        offer_version_retire(version=version, actor=marketing)

        version.refresh_from_db()
        assert (version.status, version.valid_until) == (OfferStatus.RETIRED, starts)

    @pytest.mark.parametrize("status", [OfferStatus.DRAFT, OfferStatus.RETIRED])
    def test_only_a_published_version_is_retired(self, draft_offer, marketing, status):
        if status == OfferStatus.RETIRED:
            offer_version_retire(version=offer_version_publish(version=draft_offer,
                                                               actor=marketing),
                                 actor=marketing)
        before = offer_snapshot(draft_offer)

        with pytest.raises(ValidationError) as refused:
            offer_version_retire(version=draft_offer, actor=marketing)

        assert error_code(refused.value, "version") == errors.NOT_PUBLISHED
        assert offer_snapshot(draft_offer) == before


# --- selectors --------------------------------------------------------------------------------


class TestOffersOnSale:
    def codes(self, **filters) -> list[str]:
        return [version.offer.code for version in offers_on_sale(**filters)]

    def test_a_published_offer_is_on_sale_today(self, published_offer):
        assert self.codes() == ["fibra-tv"]
        assert self.codes(access_medium="cable", postal_code="28013") == ["fibra-tv"]

    @pytest.mark.parametrize("medium, shown", [("cable", True), ("copper", False),
                                               ("satellite", False), ("", True)])
    def test_by_access_medium(self, published_offer, medium, shown):
        assert self.codes(access_medium=medium) == (["fibra-tv"] if shown else [])

    @pytest.mark.parametrize("postal_code, shown", [("28013", True), ("28", True),
                                                    ("08001", False), ("41280", False),
                                                    ("", True)])
    def test_by_postal_code_region(self, published_offer, postal_code, shown):
        assert self.codes(postal_code=postal_code) == (["fibra-tv"] if shown else [])

    def test_an_offer_without_regions_is_sold_everywhere(self, services_catalog, marketing):
        offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, regions=[]), actor=marketing)

        assert self.codes(postal_code="41280") == ["fibra-tv"]

    def test_by_date_window(self, services_catalog, marketing):
        ends = OFFER_STARTS + days(300)
        offer_version_publish(
            version=make_offer(services_catalog, actor=marketing, valid_until=ends),
            actor=marketing)

        assert self.codes(on=OFFER_STARTS - days(1)) == []
        assert self.codes(on=OFFER_STARTS) == ["fibra-tv"]
        assert self.codes(on=ends) == ["fibra-tv"]
        assert self.codes(on=ends + days(1)) == []

    def test_drafts_are_never_on_sale(self, draft_offer):
        assert self.codes() == []
        assert self.codes(on=OFFER_STARTS) == []

    def test_retired_versions_are_never_on_sale(self, published_offer, marketing):
        offer_version_retire(version=published_offer, actor=marketing)

        assert self.codes() == []
        assert self.codes(on=OFFER_STARTS) == []

    def test_offers_come_by_name_with_their_items(self, published_offer, services_catalog,
                                                  marketing, django_assert_num_queries):
        offer_version_publish(version=offer_create(
            code="basic-mail", name="Basic mail", actor=marketing, terms=OFFER_TERMS,
            items=[ItemSpec(service=services_catalog.mailbox)]), actor=marketing)

        with django_assert_num_queries(2):
            versions = offers_on_sale(access_medium="cable", postal_code="28013")
            listed = [(version.offer.name,
                       [(item.role, item.service.name) for item in version.items.all()])
                      for version in versions]

        assert listed == [
            ("Basic mail", [(ItemRole.INCLUDED, "Mailbox")]),
            ("Fibra 300 + TV Total", [(ItemRole.INCLUDED, "Internet 300"),
                                      (ItemRole.INCLUDED, "TV Total"),
                                      (ItemRole.OPTION, "Mailbox")]),
        ]


class TestOfferPrice:
    def test_without_options(self, published_offer):
        price = offer_price(version=published_offer)

        assert (price.monthly, price.setup, price.currency) == (
            Decimal("49.90"), Decimal("30.00"), "EUR")

    def test_with_an_option(self, published_offer, services_catalog):
        price = offer_price(version=published_offer, options=[services_catalog.mailbox])

        assert price.monthly == Decimal("51.89")
        assert str(price.monthly) == "51.89"
        assert price.setup == Decimal("30.00")

    def test_an_option_chosen_twice_is_paid_once(self, published_offer, services_catalog):
        price = offer_price(version=published_offer,
                            options=[services_catalog.mailbox, services_catalog.mailbox])

        assert price.monthly == Decimal("51.89")

    @pytest.mark.parametrize("name", ["tv", "ppv"], ids=["included", "not-in-offer"])
    def test_only_options_of_the_version_can_be_chosen(self, published_offer,
                                                       services_catalog, name):
        with pytest.raises(ValidationError) as refused:
            offer_price(version=published_offer, options=[getattr(services_catalog, name)])

        assert error_code(refused.value, "options") == "invalid"

    @pytest.mark.parametrize("monthly, setup, expected_monthly, expected_setup", [
        ("10.005", "0.125", "10.01", "0.13"),
        ("10.004", "0.115", "10.00", "0.12"),
        ("0.015", "2.675", "0.02", "2.68"),
    ])
    def test_amounts_are_rounded_half_up(self, published_offer, monthly, setup,
                                         expected_monthly, expected_setup):
        # Half-even would give 10.00 and 0.12 for the first line.
        published_offer.monthly_price = Decimal(monthly)
        published_offer.setup_fee = Decimal(setup)

        price = offer_price(version=published_offer)

        assert (str(price.monthly), str(price.setup)) == (expected_monthly, expected_setup)


class TestServiceList:
    def test_active_services_by_kind_then_name(self, services_catalog,
                                               django_assert_num_queries):
        CatalogService.objects.create(code="internet-50", name="Internet 50",
                                      kind=ServiceKind.INTERNET_ACCESS, speed_down_mbps=50)
        CatalogService.objects.create(code="old-tv", name="Old TV",
                                      kind=ServiceKind.TV_PACKAGE, is_active=False)

        with django_assert_num_queries(2):
            listed = [(service.code, list(service.equipment_models.all()))
                      for service in service_list()]

        assert [code for code, _models in listed] == [
            "mailbox", "internet-300", "internet-50", "nvod-cinema", "ppv-sports", "tv-total"]

    def test_inactive_services_on_request(self, services_catalog):
        CatalogService.objects.filter(code="mailbox").update(is_active=False)

        assert "mailbox" not in [service.code for service in service_list()]
        assert [service.code for service in service_list(active_only=False)][0] == "mailbox"


# --- permissions ------------------------------------------------------------------------------

CATALOG_MODELS = ["catalogservice", "programmeevent", "offer", "offerversion", "offeritem"]
OFFER_MODELS = ["offer", "offerversion", "offeritem"]
READERS = ["cc_operator", "cc_supervisor", "billing_agent", "dispatcher", "executive"]


def expected_permission(role: str, action: str, model: str) -> bool:
    if role == "backoffice_admin":
        return True
    if role == "marketing_agent":
        return action == "view" or (action in ("add", "change") and model in OFFER_MODELS)
    if role in READERS:
        return action == "view"
    return False


@pytest.mark.parametrize("role", [*READERS, "marketing_agent", "backoffice_admin",
                                  "field_technician", "inventory_clerk", None])
def test_who_may_view_add_change_and_delete_the_catalog(role):
    user = UserFactory(username=f"as-{role or 'nobody'}", roles=[role] if role else [])

    granted = {(action, model): user.has_perm(f"subscriptions.{action}_{model}")
               for action in ("view", "add", "change", "delete") for model in CATALOG_MODELS}

    assert granted == {key: expected_permission(role or "", *key) for key in granted}


def test_marketing_shapes_offers_but_not_services(marketing):
    assert marketing.has_perm("subscriptions.add_offer")
    assert marketing.has_perm("subscriptions.change_offerversion")
    assert not marketing.has_perm("subscriptions.delete_offer")
    assert not marketing.has_perm("subscriptions.add_catalogservice")
    assert not marketing.has_perm("subscriptions.change_programmeevent")


def test_versions_past_their_last_day_are_retired_and_others_kept(services_catalog, marketing):
    # given one version whose sale ended yesterday and one still on sale
    from subscriptions.services.catalog import offer_versions_retire_expired

    today = timezone.localdate()
    ended = offer_version_publish(
        version=make_offer(services_catalog, actor=marketing, code="ended",
                           valid_until=today - timedelta(days=1)), actor=marketing)
    selling = offer_version_publish(
        version=make_offer(services_catalog, actor=marketing, code="selling",
                           valid_until=today), actor=marketing)

    # when the hourly task runs
    retired = offer_versions_retire_expired()

    # then only the ended one is retired, its last day kept
    assert retired == [ended]
    ended.refresh_from_db()
    selling.refresh_from_db()
    assert ended.status == OfferStatus.RETIRED
    assert ended.valid_until == today - timedelta(days=1)
    assert selling.status == OfferStatus.PUBLISHED
