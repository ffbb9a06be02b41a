"""The demo subscriptions and the coverage they are sold against: the
coverage the demo network gives every demo postal code, kept before the
simulators start; sixteen subscriptions sold and changed through the
lifecycle services, each story ending in the state it tells, with the
equipment from the demo stock, no command delivered while seeding (the
last order of each story waits for the outbox), and nothing created the
second time. Given / when / then, on a Monday morning of 2030."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal
from types import SimpleNamespace
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.hashers import check_password
from django.db import connection, transaction
from django.test import override_settings

from customers import services as customer_services
from customers.choices import CustomerStatus
from customers.management.commands.seed_demo import Command as SeedDemo
from integrations.demo import seed_registry
from integrations.models import CoverageRecord, ExternalSystem, OutboxMessage
from integrations.simulators.coverage import accesses_at
from inventory.choices import ItemState as EquipmentState
from inventory.demo import seed_inventory
from inventory.models import EquipmentItem
from subscriptions.choices import (
    ChargeKind,
    Initiator,
    OrderAction,
    OrderState,
    StepStatus,
    SubscriptionState,
)
from subscriptions.demo import (
    FAMILY_PIN,
    HOLIDAY_DAYS,
    STORIES,
    Story,
    play_stories,
    seed_catalog,
    seed_coverage,
    seed_subscriptions,
)
from subscriptions.models import (
    OrderMilestone,
    ProvisioningStep,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)
from tests.factories import make_customer
from tests.workforce.conftest import make_address
from workforce.choices import AppointmentStatus, FailureReason, WorkOrderKind, WorkOrderState
from workforce.demo import seed_workforce
from workforce.models import WorkOrder

pytestmark = pytest.mark.django_db

MADRID_TIME = ZoneInfo("Europe/Madrid")
MONDAY_MORNING = datetime(2030, 6, 3, 9, 0, tzinfo=MADRID_TIME)
TODAY = MONDAY_MORNING.date()
# Where the prospects live, in the order they became customers: Madrid
# centre (cable), four Madrid towns only the satellite reaches, and eleven
# Barcelona homes on the copper exchange, with two service users each.
CABLE_HOME = "28013"
SATELLITE_HOMES = ["28100", "28290", "28850", "28930"]
COPPER_HOMES = [f"080{number:02d}" for number in range(1, 12)]
TABLES = [Subscription, SubscriptionItem, SubscriptionUser, SubscriptionOrder, OrderMilestone,
          ProvisioningStep, SubscriptionCharge, OutboxMessage, WorkOrder, CoverageRecord]


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


def counts() -> dict[str, int]:
    return {table.__name__: table.objects.count() for table in TABLES}


def build_world() -> None:
    """What seed_demo has made when it comes to the subscriptions: the demo
    logins, the registry (pointed at a closed port, as when the simulators
    are not up yet), the stock, zones and technicians, the catalog, and
    sixteen prospects (the inventory and field-work demos only touch
    active customers)."""
    command = SeedDemo()
    command._staff(command._call_centers())
    for index, postal_code in enumerate([CABLE_HOME, *SATELLITE_HOMES, *COPPER_HOMES]):
        customer = make_customer(seed=index, given_name=f"Cliente{index}",
                                 family_name="Demo Prueba")
        address = make_address(customer, postal_code=postal_code)
        customer_services.service_user_create(actor=None, customer=customer,
                                              given_name=f"Cliente{index}",
                                              family_name="Demo Prueba")
        if postal_code in COPPER_HOMES:
            customer_services.service_user_create(actor=None, customer=customer,
                                                  given_name="Familiar",
                                                  family_name="Demo Prueba",
                                                  relationship="family")
        customer_services.billing_account_create(
            actor=None, customer=customer, name="Cuenta principal",
            iban="ES9121000418450200051332", delivery_email="demo@example.es",
            billing_address=address, bill_day=5)
    seed_registry()
    ExternalSystem.objects.update(base_url="http://127.0.0.1:9")
    seed_inventory()
    seed_workforce()
    seed_catalog()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo world seeded once for the module, inside a transaction
    rolled back at its end (each test runs in a savepoint of it): the
    coverage added, the summary of the seeding, and once what it committed
    has run (the outbox tries the closed port; a failed visit holds its
    order) the subscriptions by story."""
    media = tmp_path_factory.mktemp("media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            with at(MONDAY_MORNING):
                build_world()
                coverage_added = seed_coverage()
                callbacks = len(connection.run_on_commit)
                summary = seed_subscriptions()
                # What commit would run, run now (the transaction never commits).
                for _savepoints, callback, _robust in connection.run_on_commit[callbacks:]:
                    callback()
                del connection.run_on_commit[callbacks:]
            subscriptions = {name: Subscription.objects.get(number=number)
                             for name, _customer, number in summary["sold"]}
            yield SimpleNamespace(coverage_added=coverage_added, summary=summary,
                                  subscriptions=subscriptions)
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


@pytest.fixture
def seeded(world) -> dict[str, Subscription]:
    return {name: Subscription.objects.get(pk=subscription.pk)
            for name, subscription in world.subscriptions.items()}


def orders_of(subscription: Subscription) -> list[tuple[str, str, str]]:
    return [(order.action, order.modify_kind, order.state)
            for order in subscription.orders.order_by("pk")]


def equipment_of(subscription: Subscription) -> list[tuple[str, str]]:
    return sorted(EquipmentItem.objects.filter(subscription_ref=subscription.number)
                  .values_list("model__code", "state"))


# Coverage ---------------------------------------------------------------------------


def test_it_keeps_what_the_demo_network_says_of_every_demo_postal_code(world):
    kept = {(record.postal_code, record.medium, record.max_down_mbps, record.max_up_mbps)
            for record in CoverageRecord.objects.all()}
    expected = {(code, access.medium, access.down_mbps, access.up_mbps)
                for code in [CABLE_HOME, *SATELLITE_HOMES, *COPPER_HOMES]
                for access in accesses_at(code)}
    assert world.coverage_added == len(kept) == len(expected) == 3 + 4 + 11 * 2
    assert kept == expected
    assert ("28013", "cable", 1000, 100) in kept and ("08001", "copper", 20, 1) in kept
    assert ("28100", "satellite", 50, 5) in kept and ("28100", "cable", 300, 30) not in kept
    assert set(CoverageRecord.objects.values_list("source", flat=True)) == {None}


def test_it_adds_only_postal_codes_it_does_not_know_yet(world):
    CoverageRecord.objects.filter(postal_code="08001").delete()
    CoverageRecord.objects.create(postal_code="08001", medium="copper", max_down_mbps=8,
                                  max_up_mbps=1, checked_at=MONDAY_MORNING)
    newcomer = make_customer(seed=99)
    make_address(newcomer, postal_code="41004")
    before = counts()

    with at(MONDAY_MORNING):
        added = seed_coverage()

    assert added == 3
    assert sorted(CoverageRecord.objects.filter(postal_code="41004").values_list(
        "medium", "max_down_mbps", "max_up_mbps")) == [
        ("cable", 120, 10), ("copper", 10, 1), ("satellite", 50, 5)]
    assert list(CoverageRecord.objects.filter(postal_code="08001").values_list(
        "medium", "max_down_mbps")) == [("copper", 8)]
    assert counts() == {**before, "CoverageRecord": before["CoverageRecord"] + 3}


# Subscriptions ------------------------------------------------------------------------


def test_it_sells_every_story_to_its_own_customer(world, seeded):
    assert world.summary["skipped"] == []
    assert list(seeded) == [story.name for story in STORIES]
    assert len({subscription.customer_id for subscription in seeded.values()}) == len(STORIES)
    offers = {name: (subscription.offer_version.offer.code, subscription.access_medium,
                     subscription.service_address.postal_code)
              for name, subscription in seeded.items()}
    assert offers["cable-visit-booked"] == ("fibra-300-tv", "cable", CABLE_HOME)
    assert {offers[name][2] for name in ("satellite-visit-booked", "satellite-visit-to-book",
                                         "satellite-visit-failed", "satellite-withdrawn")} \
        == set(SATELLITE_HOMES)
    assert {offer for offer, _medium, code in offers.values() if code in COPPER_HOMES} \
        == {"adsl-basica"}
    assert {subscription.created_by.username for subscription in seeded.values()} \
        == {"operator"}


def test_its_active_subscriptions_went_through_the_network_and_billing(seeded):
    family = seeded["active-family"]

    assert family.state == SubscriptionState.ACTIVE
    assert family.activated_at == MONDAY_MORNING
    assert family.commitment_ends_on == date(2031, 6, 3)
    assert family.customer.status == CustomerStatus.ACTIVE  # a prospect until then
    assert sorted(family.items.values_list("service__code", "role", "state")) == [
        ("adsl-20", "included", "active"), ("correo", "included", "active"),
        ("correo-extra", "option", "active"), ("tv-basica", "included", "active"),
        ("tv-premium", "option", "active")]
    owner, relative = family.users.order_by("pk")
    assert owner.credential.endswith("@adsl.sesmu.es") and not owner.parental_pin
    assert relative.credential.endswith("@correo.sesmu.es")
    assert check_password(FAMILY_PIN, relative.parental_pin)
    assert (relative.ppv_allowed, relative.ppv_monthly_limit) == (False, Decimal("0.00"))
    assert equipment_of(family) == [("nagra-merlin", EquipmentState.INSTALLED),
                                    ("zte-b866", EquipmentState.INSTALLED),
                                    ("zyxel-vmg3625", EquipmentState.INSTALLED)]
    assert list(family.charges.values_list("kind", "amount")) == [
        (ChargeKind.SETUP_FEE, Decimal("30.00"))]
    for name in ("active", "active-with-ftp", "active-extra-mailbox"):
        assert seeded[name].state == SubscriptionState.ACTIVE
        assert orders_of(seeded[name]) == [(OrderAction.NEW, "", OrderState.COMPLETED)]


def test_its_changes_are_orders_the_desk_would_place(seeded):
    user_added, option_added = seeded["user-added"], seeded["option-added"]

    assert orders_of(user_added) == [(OrderAction.NEW, "", OrderState.COMPLETED),
                                     (OrderAction.MODIFY, "add_user", OrderState.COMPLETED)]
    assert user_added.users.filter(is_active=True).count() == 2
    assert orders_of(option_added) == [(OrderAction.NEW, "", OrderState.COMPLETED),
                                       (OrderAction.MODIFY, "add_option",
                                        OrderState.IN_PROGRESS)]
    assert option_added.items.get(service__code="banca").state == "active"


def test_it_shows_a_holiday_with_its_planned_resumption(seeded):
    holiday = seeded["on-holiday"]

    assert (holiday.state, holiday.suspension_initiator, holiday.degraded) == (
        SubscriptionState.SUSPENDED, Initiator.CUSTOMER, False)
    assert holiday.resume_on == TODAY + timedelta(days=HOLIDAY_DAYS)
    assert orders_of(holiday) == [(OrderAction.NEW, "", OrderState.COMPLETED),
                                  (OrderAction.SUSPEND, "", OrderState.IN_PROGRESS),
                                  (OrderAction.RESUME, "", OrderState.ACKNOWLEDGED)]
    assert holiday.orders.get(action=OrderAction.RESUME).due_on == holiday.resume_on


def test_it_shows_the_bad_payment_steps(seeded):
    degraded, suspended, terminated = (seeded["degraded"], seeded["suspended-unpaid"],
                                       seeded["terminated"])

    assert (degraded.state, degraded.degraded) == (SubscriptionState.ACTIVE, True)
    assert orders_of(degraded)[-1] == (OrderAction.MODIFY, "degrade", OrderState.IN_PROGRESS)
    assert (suspended.state, suspended.degraded, suspended.suspension_initiator) == (
        SubscriptionState.SUSPENDED, True, Initiator.PROVIDER)
    assert orders_of(suspended) == [(OrderAction.NEW, "", OrderState.COMPLETED),
                                    (OrderAction.MODIFY, "degrade", OrderState.COMPLETED),
                                    (OrderAction.SUSPEND, "", OrderState.IN_PROGRESS)]
    assert terminated.state == SubscriptionState.TERMINATED
    assert (terminated.termination_initiator, terminated.terminates_on) == (
        Initiator.PROVIDER, TODAY)
    assert [state for _action, _kind, state in orders_of(terminated)] == [
        OrderState.COMPLETED, OrderState.COMPLETED, OrderState.COMPLETED,
        OrderState.IN_PROGRESS]
    assert not terminated.users.filter(is_active=True).exists()
    # The rented router stays at the customer's until a technician collects it.
    recovery = WorkOrder.objects.get(customer=terminated.customer)
    assert (recovery.kind, recovery.state) == (WorkOrderKind.RECOVER, WorkOrderState.GENERATED)
    # TV over copper comes through an IPTV box with its card.
    assert equipment_of(terminated) == [("nagra-merlin", EquipmentState.INSTALLED),
                                        ("zte-b866", EquipmentState.INSTALLED),
                                        ("zyxel-vmg3625", EquipmentState.INSTALLED)]
    assert not terminated.charges.exclude(kind=ChargeKind.SETUP_FEE).exists()


def test_it_shows_a_cancellation_waiting_for_its_notice(seeded):
    leaving = seeded["leaving"]

    assert leaving.state == SubscriptionState.PENDING_TERMINATION
    assert leaving.terminates_on == TODAY + timedelta(days=30)
    cancellation = leaving.orders.get(action=OrderAction.CANCEL)
    assert (cancellation.state, cancellation.due_on, cancellation.details["fee"]) == (
        OrderState.ACKNOWLEDGED, leaving.terminates_on, "100.00")


def test_its_installations_wait_for_their_visits(seeded):
    cable, booked, to_book = (seeded["cable-visit-booked"], seeded["satellite-visit-booked"],
                              seeded["satellite-visit-to-book"])

    for subscription in (cable, booked, to_book):
        assert subscription.state == SubscriptionState.PENDING_ACTIVATION
        assert orders_of(subscription) == [(OrderAction.NEW, "", OrderState.IN_PROGRESS)]
    assert equipment_of(cable) == [("arris-tg2492", EquipmentState.RESERVED),
                                   ("nagra-merlin", EquipmentState.RESERVED),
                                   ("sagemcom-dsi87", EquipmentState.RESERVED)]
    assert equipment_of(booked) == [("humax-uhd4k", EquipmentState.RESERVED),
                                    ("inverto-quad-lnb", EquipmentState.RESERVED),
                                    ("nagra-merlin", EquipmentState.RESERVED),
                                    ("televes-dish-100", EquipmentState.RESERVED)]
    visits = {name: WorkOrder.objects.get(number=seeded[name].orders.get().work_order_ref)
              for name in ("cable-visit-booked", "satellite-visit-booked",
                           "satellite-visit-to-book")}
    assert visits["satellite-visit-to-book"].state == WorkOrderState.GENERATED
    for name in ("cable-visit-booked", "satellite-visit-booked"):
        appointment = visits[name].appointments.get()
        assert visits[name].state == WorkOrderState.SCHEDULED
        assert appointment.status == AppointmentStatus.BOOKED
        assert appointment.window_start > MONDAY_MORNING
        assert seeded[name].orders.get().milestones.filter(code="visit_booked").exists()


def test_a_failed_visit_holds_its_order_with_the_reason(seeded):
    held = seeded["satellite-visit-failed"]

    order = held.orders.get()
    work_order = WorkOrder.objects.get(number=order.work_order_ref)
    assert held.state == SubscriptionState.PENDING_ACTIVATION
    assert order.state == OrderState.HELD
    assert work_order.number in order.held_reason
    assert (work_order.state, work_order.failure_reason) == (WorkOrderState.FAILED,
                                                              FailureReason.NO_ACCESS)
    assert work_order.technician.username == "technician"
    # Kept for the next attempt.
    assert {state for _code, state in equipment_of(held)} == {EquipmentState.RESERVED}


def test_a_withdrawn_sale_gives_back_what_it_took(seeded):
    withdrawn = seeded["satellite-withdrawn"]

    assert withdrawn.state == SubscriptionState.ABORTED
    assert orders_of(withdrawn) == [(OrderAction.NEW, "", OrderState.CANCELLED),
                                    (OrderAction.CANCEL, "", OrderState.IN_PROGRESS)]
    new = withdrawn.orders.get(action=OrderAction.NEW)
    assert WorkOrder.objects.get(number=new.work_order_ref).state == WorkOrderState.CANCELLED
    assert not EquipmentItem.objects.filter(subscription_ref=withdrawn.number).exclude(
        state=EquipmentState.IN_STOCK).exists()


def test_it_takes_equipment_from_the_demo_stock_once(seeded):
    held = EquipmentItem.objects.filter(subscription_ref__in=[
        subscription.number for subscription in seeded.values()]).exclude(
            state=EquipmentState.IN_STOCK)

    for item in held.select_related("model"):
        owner = next(subscription for subscription in seeded.values()
                     if subscription.number == item.subscription_ref)
        assert item.customer_id == owner.customer_id
        assert item.movements.filter(action="received", receipt__isnull=False).exists()
    # 11 routers, each with an IPTV box and card for TV over copper; a modem,
    # box and card over cable; box, card, dish and LNB for each of the three
    # satellite homes still waiting.
    assert held.count() == 11 * 3 + 3 + 3 * 4


def test_no_command_reaches_an_element_manager_while_seeding(seeded):
    steps = ProvisioningStep.objects.select_related("order", "message")

    assert not OutboxMessage.objects.filter(status="delivered").exists()
    for subscription in seeded.values():
        sent = [order for order in subscription.orders.order_by("pk") if order.steps.exists()]
        waiting = {step.order_id for step in steps.filter(order__subscription=subscription,
                                                          status=StepStatus.WAITING)}
        # Only what the story's last order sent waits, and the sale of what
        # still needs its visit.
        assert waiting <= {sent[-1].pk, sent[0].pk}
        assert not steps.filter(order__subscription=subscription,
                                status=StepStatus.FAILED).exists()
    assert steps.filter(status=StepStatus.WAITING, message__isnull=True).count() == 0


def test_it_creates_nothing_the_second_time(seeded):
    before = counts()

    with at(MONDAY_MORNING):
        summary = seed_subscriptions()

    assert summary == {"subscriptions": 0, "sold": [], "skipped": []}
    assert counts() == before


def test_a_story_no_customer_fits_or_the_services_refuse_is_left_out(seeded):
    newcomer = make_customer(seed=99)
    home = make_address(newcomer, postal_code="08012")
    customer_services.service_user_create(actor=None, customer=newcomer, given_name="Nuevo")
    customer_services.billing_account_create(
        actor=None, customer=newcomer, name="Cuenta", iban="ES9121000418450200051332",
        delivery_email="nuevo@example.es", billing_address=home, bill_day=5)
    CoverageRecord.objects.create(postal_code="08012", medium="copper", max_down_mbps=20,
                                  max_up_mbps=1, checked_at=MONDAY_MORNING)
    before = counts()

    with at(MONDAY_MORNING):
        summary = play_stories([
            Story("more-cable", "fibra-300-tv", "cable"),
            Story("not-an-option", "adsl-basica", "copper", options=("hosting",)),
        ])

    assert summary["subscriptions"] == 0
    assert summary["skipped"][0] == ("more-cable", "no customer fits")
    assert summary["skipped"][1][0] == "not-an-option"
    assert "Alojamiento web is not an option" in summary["skipped"][1][1]
    assert counts() == before
