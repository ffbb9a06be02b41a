"""The plans of subscriptions.terms: dates (months, billing cycles), the
terms of a cancellation (notice, fee inside the minimum term, equipment),
the network steps of each action, and what a change of offer adds, removes
and keeps. Offline: the element managers are registered but never called,
coverage comes from kept records."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from integrations.choices import SystemKind
from integrations.models import CoverageRecord, ExternalSystem
from inventory.choices import ItemState as EquipmentState
from inventory.choices import SupplyTerms
from inventory.models import EquipmentItem
from subscriptions.choices import Initiator, ItemState
from subscriptions.models import Subscription, SubscriptionItem
from subscriptions.services.lifecycle import install_self_service_equipment
from subscriptions.terms import (
    NetworkStep,
    add_months,
    cancellation_terms,
    degrade_steps,
    disable_steps,
    monthly_price,
    next_cycle_start,
    offer_change,
    resume_steps,
    suspend_steps,
)


def today() -> date:
    return timezone.localdate()


# Dates ---------------------------------------------------------------------------


@pytest.mark.parametrize(("day", "months", "expected"), [
    (date(2026, 1, 15), 1, date(2026, 2, 15)),
    (date(2026, 1, 31), 1, date(2026, 2, 28)),
    (date(2028, 1, 31), 1, date(2028, 2, 29)),  # leap year
    (date(2026, 3, 31), 1, date(2026, 4, 30)),
    (date(2026, 12, 15), 1, date(2027, 1, 15)),
    (date(2026, 11, 30), 14, date(2028, 1, 30)),
    (date(2024, 2, 29), 12, date(2025, 2, 28)),
    (date(2026, 5, 31), 0, date(2026, 5, 31)),
    (date(2026, 1, 15), -1, date(2025, 12, 15)),
    (date(2026, 3, 31), -1, date(2026, 2, 28)),
])
def test_add_months_keeps_the_day_or_takes_the_last_of_a_shorter_month(day, months, expected):
    assert add_months(day, months) == expected


@pytest.mark.parametrize(("bill_day", "after", "expected"), [
    (5, date(2026, 11, 26), date(2026, 12, 5)),
    (5, date(2026, 11, 4), date(2026, 11, 5)),
    (5, date(2026, 11, 5), date(2026, 12, 5)),  # strictly after
    (28, date(2026, 12, 31), date(2027, 1, 28)),
    (1, date(2026, 12, 1), date(2027, 1, 1)),
    (28, date(2027, 2, 27), date(2027, 2, 28)),
])
def test_next_cycle_start_is_the_first_bill_day_strictly_after(bill_day, after, expected):
    assert next_cycle_start(bill_day=bill_day, after=after) == expected


# A subscription offline ------------------------------------------------------------


@pytest.fixture
def offline(db):
    """The CAS and the ISP registered (never called in these tests) and the
    coverage of 28013 kept: cable 300/30."""
    for code, kind in (("cas", "tv_package"), ("isp", "internet")):
        ExternalSystem.objects.create(code=code, name=code.upper(),
                                      kind=SystemKind.SERVICE_MANAGEMENT, service_kind=kind,
                                      base_url="http://127.0.0.1:9")
    CoverageRecord.objects.create(postal_code="28013", medium="cable", max_down_mbps=300,
                                  max_up_mbps=30, checked_at=timezone.now())


@pytest.fixture
def subscription(offline, sell) -> Subscription:
    """Alice's "fibra-tv" (TV and Internet, mailbox option 1.99), its enables
    sent; then as if active for a month: 12 months' minimum term from then."""
    order = sell()
    subscription = Subscription.objects.get(pk=order.subscription_id)
    subscription.activated_at = timezone.now() - timedelta(days=30)
    subscription.commitment_ends_on = add_months(today() - timedelta(days=30), 12)
    return subscription


def set_item(subscription: Subscription, code: str, **values) -> None:
    SubscriptionItem.objects.filter(subscription=subscription, service__code=code).update(
        **values)


def steps(plan: list[NetworkStep]) -> list[tuple[str, str]]:
    return sorted((step.command, step.service.code) for step in plan)


# Cancellation -------------------------------------------------------------------------


def test_a_customer_cancels_after_the_notice_with_the_fee_inside_the_minimum_term(
        subscription):
    terms = cancellation_terms(subscription=subscription, initiator=Initiator.CUSTOMER)

    assert terms.earliest_on == today() + timedelta(days=30)
    assert terms.effective_on == terms.earliest_on
    assert (terms.fee, terms.currency) == (Decimal("100.00"), "EUR")
    assert terms.commitment_ends_on == subscription.commitment_ends_on
    assert terms.is_now is False
    assert steps(terms.steps) == [("disable", "internet-300"), ("disable", "tv-total")]


def test_a_customer_cannot_cancel_before_the_notice_but_may_later(subscription):
    sooner = cancellation_terms(subscription=subscription, initiator=Initiator.CUSTOMER,
                                requested_on=today() + timedelta(days=3))
    assert sooner.effective_on == today() + timedelta(days=30)

    later = cancellation_terms(subscription=subscription, initiator=Initiator.CUSTOMER,
                               requested_on=today() + timedelta(days=90))
    assert later.effective_on == today() + timedelta(days=90)
    assert later.fee == Decimal("100.00")


def test_no_fee_when_the_cancellation_takes_effect_once_the_minimum_term_ended(subscription):
    at_the_end = cancellation_terms(subscription=subscription, initiator=Initiator.CUSTOMER,
                                    requested_on=subscription.commitment_ends_on)
    assert at_the_end.fee == Decimal("0.00")
    the_day_before = cancellation_terms(
        subscription=subscription, initiator=Initiator.CUSTOMER,
        requested_on=subscription.commitment_ends_on - timedelta(days=1))
    assert the_day_before.fee == Decimal("100.00")

    subscription.commitment_ends_on = today() + timedelta(days=10)  # ends within the notice
    assert cancellation_terms(subscription=subscription,
                              initiator=Initiator.CUSTOMER).fee == Decimal("0.00")
    subscription.commitment_ends_on = None
    assert cancellation_terms(subscription=subscription,
                              initiator=Initiator.CUSTOMER).fee == Decimal("0.00")


def test_the_provider_cancels_when_it_says_without_a_fee(subscription):
    now = cancellation_terms(subscription=subscription, initiator=Initiator.PROVIDER)
    assert (now.effective_on, now.earliest_on, now.fee, now.is_now) == (
        today(), today(), Decimal("0.00"), True)
    later = cancellation_terms(subscription=subscription, initiator=Initiator.PROVIDER,
                               requested_on=today() + timedelta(days=7))
    assert (later.effective_on, later.fee) == (today() + timedelta(days=7), Decimal("0.00"))


def test_a_subscription_never_activated_is_cancelled_at_once(offline, sell):
    subscription = Subscription.objects.get(pk=sell().subscription_id)
    terms = cancellation_terms(subscription=subscription, initiator=Initiator.CUSTOMER)
    assert (terms.effective_on, terms.fee) == (today(), Decimal("0.00"))
    # Its reserved equipment goes back to stock; nothing to collect.
    assert sorted(item.model.code for item in terms.to_release) == [
        "arris-cm", "humax-stb", "nagra-card"]
    assert terms.to_recover == []


def test_rented_and_lent_equipment_is_collected_and_sold_equipment_stays(subscription,
                                                                         stock):
    install_self_service_equipment(subscription.orders.get())
    stock.modem.supply_terms = SupplyTerms.SOLD
    stock.modem.save(update_fields=["supply_terms"])
    stock.card.supply_terms = SupplyTerms.LENT
    stock.card.save(update_fields=["supply_terms"])
    assert set(EquipmentItem.objects.filter(subscription_ref=subscription.number)
               .values_list("state", flat=True)) == {EquipmentState.INSTALLED}

    terms = cancellation_terms(subscription=subscription, initiator=Initiator.CUSTOMER)

    assert sorted(item.model.code for item in terms.to_recover) == ["humax-stb", "nagra-card"]
    assert terms.to_release == []


# Network steps ---------------------------------------------------------------------------


def test_the_steps_of_each_action_follow_what_each_service_was_last_asked(subscription,
                                                                          services_catalog):
    # TV active, Internet suspended and degraded, the mailbox pending (added
    # while suspended), and a removed service no step touches.
    set_item(subscription, "internet-300", state=ItemState.SUSPENDED, degraded=True)
    SubscriptionItem.objects.create(subscription=subscription, service=services_catalog.mailbox,
                                    role="option", monthly_price=Decimal("1.99"))
    SubscriptionItem.objects.create(subscription=subscription, service=services_catalog.ppv,
                                    state=ItemState.REMOVED)

    assert steps(suspend_steps(subscription)) == [("suspend", "tv-total")]
    assert steps(degrade_steps(subscription)) == [("degrade", "tv-total")]
    assert steps(resume_steps(subscription, restore=False)) == [
        ("enable", "mailbox"), ("resume", "internet-300")]
    assert steps(resume_steps(subscription, restore=True)) == [
        ("enable", "mailbox"), ("restore", "internet-300"), ("resume", "internet-300")]
    assert steps(disable_steps(subscription)) == [("disable", "internet-300"),
                                                  ("disable", "tv-total")]
    assert monthly_price(subscription) == Decimal("51.89")


def test_services_enabled_on_a_resumption_under_the_providers_degrade_are_degraded(
        subscription):
    subscription.degraded = True
    set_item(subscription, "internet-300", state=ItemState.SUSPENDED, degraded=True)
    set_item(subscription, "tv-total", state=ItemState.PENDING)

    # The holiday ends by itself (not the provider's resumption): the
    # degrade holds, for the TV enabled now too.
    assert steps(resume_steps(subscription, restore=False)) == [
        ("degrade", "tv-total"), ("enable", "tv-total"), ("resume", "internet-300")]
    # The provider lifts everything.
    assert steps(resume_steps(subscription, restore=True)) == [
        ("enable", "tv-total"), ("restore", "internet-300"), ("resume", "internet-300")]


def test_the_mailbox_is_never_degraded(subscription, services_catalog):
    set_item(subscription, "tv-total", degraded=True)
    SubscriptionItem.objects.create(subscription=subscription, service=services_catalog.mailbox,
                                    role="option", state=ItemState.ACTIVE)
    assert steps(degrade_steps(subscription)) == [("degrade", "internet-300")]


def test_a_network_step_reads_as_the_command_and_the_service(services_catalog):
    assert NetworkStep(services_catalog.tv, "enable").text == "Enable TV Total"
    assert NetworkStep(services_catalog.ppv, "authorise_device").text == (
        "Authorise on the smart card Sports PPV")
    assert NetworkStep(services_catalog.tv, "unknown").text == "unknown TV Total"


# Change of offer -------------------------------------------------------------------------


def test_a_change_of_offer_adds_removes_and_keeps(subscription, internet_offer,
                                                  services_catalog):
    change = offer_change(subscription=subscription, version=internet_offer, options=[],
                          at_next_cycle=False)

    assert [service.code for service in change.added] == ["mailbox"]
    assert [item.service.code for item in change.removed] == ["tv-total"]
    assert [item.service.code for item in change.kept] == ["internet-300"]
    assert (change.monthly_before, change.monthly_after) == (Decimal("49.90"),
                                                             Decimal("29.90"))
    assert change.effective_on == today()
    assert steps(change.steps) == [("disable", "tv-total"), ("enable", "mailbox")]


def test_a_change_at_the_next_cycle_takes_effect_on_the_bill_day(subscription,
                                                                 internet_offer):
    change = offer_change(subscription=subscription, version=internet_offer, options=[],
                          at_next_cycle=True)
    assert change.effective_on == next_cycle_start(bill_day=5, after=today())


def test_a_change_prices_the_options_kept_and_leaves_pending_services_out_of_the_network(
        subscription, published_offer, services_catalog, marketing):
    from subscriptions.services import ItemSpec, offer_create, offer_version_publish

    # A cheaper TV-only offer, the mailbox still an option; TV pending.
    tv_only = offer_version_publish(version=offer_create(
        code="tv-solo", name="TV", actor=marketing,
        terms={"monthly_price": Decimal("15.00"), "access_media": ["cable"],
               "valid_from": date(2026, 1, 1)},
        items=[ItemSpec(service=services_catalog.tv),
               ItemSpec(service=services_catalog.mailbox, role="option",
                        option_monthly_price=Decimal("2.50"))]), actor=marketing)
    set_item(subscription, "tv-total", state=ItemState.PENDING)

    change = offer_change(subscription=subscription, version=tv_only,
                          options=[services_catalog.mailbox], at_next_cycle=False)

    assert [service.code for service in change.added] == ["mailbox"]
    assert [item.service.code for item in change.removed] == ["internet-300"]
    assert [item.service.code for item in change.kept] == ["tv-total"]
    assert change.monthly_after == Decimal("17.50")
    assert steps(change.steps) == [("disable", "internet-300"), ("enable", "mailbox")]

    set_item(subscription, "internet-300", state=ItemState.PENDING)
    change = offer_change(subscription=subscription, version=tv_only, options=[],
                          at_next_cycle=False)
    assert steps(change.steps) == []  # internet was never enabled: nothing to disable


def test_equipment_needed_takes_one_kind_once_and_only_models_for_the_medium(
        services_catalog, stock):
    from subscriptions.terms import equipment_needed

    services = [services_catalog.tv, services_catalog.internet, services_catalog.mailbox]

    over_cable = equipment_needed(services, "cable")
    over_satellite = equipment_needed(services, "satellite")

    assert over_cable == {"smart_card": [stock.card], "set_top_box": [stock.box],
                          "cable_modem": [stock.modem]}
    # The box and the modem work over cable only; the card goes everywhere.
    assert over_satellite == {"smart_card": [stock.card]}
