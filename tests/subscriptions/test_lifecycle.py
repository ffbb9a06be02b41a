"""The subscription lifecycle end to end: every path carried out through the
outbox against the element-manager simulators over HTTP. Each test asserts
the exact commands the simulators applied (each once), the states of the
subscription and its orders, and what happened on the way (milestones,
charges, equipment, visits)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory.choices import ItemState as EquipmentState
from inventory.models import EquipmentItem
from subscriptions import signals
from subscriptions.choices import (
    Channel,
    ChargeKind,
    Initiator,
    ItemRole,
    ItemState,
    ModifyKind,
    OrderAction,
    OrderState,
    StepStatus,
    SubscriptionState,
)
from subscriptions.models import (
    PayPerViewPurchase,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
)
from subscriptions.services import (
    UserSpec,
    order_retry,
    orders_run_due,
    pay_per_view_order,
    subscription_add_option,
    subscription_book_visit,
    subscription_cancel,
    subscription_change_offer,
    subscription_change_owner,
    subscription_degrade,
    subscription_move,
    subscription_order_cancel,
    subscription_remove_option,
    subscription_resume,
    subscription_suspend,
)
from subscriptions.terms import add_months, next_cycle_start
from tests.subscriptions.conftest import error_code
from tests.workforce.conftest import png_data_url, window
from workforce import services as workforce
from workforce.choices import Skill, WorkOrderKind, WorkOrderState
from workforce.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)


def today():
    return timezone.localdate()


def fresh(instance):
    instance.refresh_from_db()
    return instance


def codes(order: SubscriptionOrder) -> list[str]:
    return list(order.milestones.order_by("created_at", "id").values_list("code", flat=True))


def equipment_of(subscription: Subscription) -> dict[str, EquipmentItem]:
    """The subscription's equipment by model code."""
    return {item.model.code: item for item in
            EquipmentItem.objects.filter(subscription_ref=subscription.number)
            .select_related("model")}


def characteristic(record: dict, name: str):
    return next((entry["value"] for entry in record.get("serviceCharacteristic") or []
                 if entry["name"] == name), None)


def active(sell) -> Subscription:
    """A "fibra-tv" subscription over cable, active."""
    order = sell()
    assert fresh(order).state == OrderState.COMPLETED
    subscription = Subscription.objects.get(pk=order.subscription_id)
    assert subscription.state == SubscriptionState.ACTIVE
    return subscription


@pytest.fixture
def sent():
    """Every subscription signal sent, in order: (name, number)."""
    seen: list[tuple[str, str]] = []

    def activated(sender, subscription, **kwargs):
        seen.append(("activated", subscription.number))

    def terminated(sender, subscription, **kwargs):
        seen.append(("terminated", subscription.number))

    def completed(sender, order, **kwargs):
        seen.append(("order_completed", order.number))

    signals.subscription_activated.connect(activated, dispatch_uid="test.activated")
    signals.subscription_terminated.connect(terminated, dispatch_uid="test.terminated")
    signals.subscription_order_completed.connect(completed, dispatch_uid="test.completed")
    yield seen
    signals.subscription_activated.disconnect(dispatch_uid="test.activated")
    signals.subscription_terminated.disconnect(dispatch_uid="test.terminated")
    signals.subscription_order_completed.disconnect(dispatch_uid="test.completed")


def walk_visit(work_order: WorkOrder, team, *, installed=(), recovered=()) -> WorkOrder:
    """Assign, dispatch, travel, arrive and complete a booked work order."""
    for step in (workforce.work_order_assign, workforce.work_order_dispatch,
                 workforce.work_order_start_travel, workforce.work_order_arrive):
        kwargs = {"technician": team.technician} if step is workforce.work_order_assign else {}
        step(work_order=work_order, actor=team.dispatcher, **kwargs)
    workforce.work_order_complete(work_order=work_order, actor=team.dispatcher,
                                  signature=png_data_url(), signed_by="Alice",
                                  installed=list(installed), recovered=list(recovered))
    return fresh(work_order)


# New subscriptions ------------------------------------------------------------------


def test_it_activates_a_cable_subscription_once_the_enables_are_applied(
        simulators, sell, alice_customer, sent):
    order = sell()

    order.refresh_from_db()
    subscription = Subscription.objects.get(pk=order.subscription_id)
    number = subscription.number
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300")]
    assert (order.action, order.state, order.needs_visit) == (
        OrderAction.NEW, OrderState.COMPLETED, False)
    assert subscription.state == SubscriptionState.ACTIVE
    assert subscription.activated_at is not None
    assert subscription.commitment_ends_on == add_months(today(), 12)
    assert sorted(subscription.items.values_list("service__code", "role", "state")) == [
        ("internet-300", ItemRole.INCLUDED, ItemState.ACTIVE),
        ("tv-total", ItemRole.INCLUDED, ItemState.ACTIVE)]
    assert list(order.steps.values_list("command", "status")) == [
        ("enable", StepStatus.APPLIED), ("enable", StepStatus.APPLIED)]
    equipment = equipment_of(subscription)
    assert sorted(equipment) == ["arris-cm", "humax-stb", "nagra-card"]
    assert {item.state for item in equipment.values()} == {EquipmentState.INSTALLED}
    assert {item.customer_id for item in equipment.values()} == {alice_customer.pk}
    card = equipment["nagra-card"]
    tv = simulators.service("cas", f"{number}-tv-total")
    assert tv["state"] == "active"
    assert characteristic(tv, "smartCard") == card.card_number
    assert characteristic(tv, "package") == "PKG-TOTAL"
    internet = simulators.service("isp", f"{number}-internet-300")
    assert (internet["state"], characteristic(internet, "downstreamMbps")) == ("active", 300)
    assert list(SubscriptionCharge.objects.values_list("kind", "amount", "order_id")) == [
        (ChargeKind.SETUP_FEE, Decimal("30.00"), order.pk)]
    assert codes(order) == [
        "acknowledged", "serviceability_checked", "in_progress",
        "equipment_reserved", "equipment_reserved", "equipment_reserved",
        "command_sent", "command_sent", "command_applied", "command_applied",
        "completed", "subscription_active", "charged",
        "equipment_installed", "equipment_installed", "equipment_installed"]
    assert fresh(alice_customer).status == "active"
    assert sent == [("activated", number), ("order_completed", order.number)]


def test_it_activates_a_satellite_subscription_when_the_technician_finishes(
        simulators, sell, satellite_offer, field_team, operator, sent):
    order = sell(offer_version=satellite_offer, access_medium="satellite")

    order.refresh_from_db()
    subscription = Subscription.objects.get(pk=order.subscription_id)
    number = subscription.number
    # The enable goes at once; the subscription waits for the installation.
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total")]
    assert simulators.applied("isp") == []
    assert (order.state, order.needs_visit, order.visit_done) == (
        OrderState.IN_PROGRESS, True, False)
    assert subscription.state == SubscriptionState.PENDING_ACTIVATION
    work_order = WorkOrder.objects.get(number=order.work_order_ref)
    assert (work_order.kind, work_order.state, work_order.required_skills) == (
        WorkOrderKind.INSTALL, WorkOrderState.GENERATED, [Skill.SATELLITE_INSTALL])
    # Over satellite the cable set-top box is not needed: the card alone.
    equipment = equipment_of(subscription)
    assert sorted(equipment) == ["nagra-card"]
    card = equipment["nagra-card"]
    assert card.state == EquipmentState.RESERVED
    assert list(work_order.equipment.values_list("item_id", "direction")) == [
        (card.pk, "install")]

    start, _end = window(today() + timedelta(days=1), 10)
    subscription_book_visit(order=order, window_start=start, actor=operator)
    assert fresh(work_order).state == WorkOrderState.SCHEDULED
    assert fresh(order).state == OrderState.IN_PROGRESS
    assert "visit_booked" in codes(order)

    walk_visit(work_order, field_team, installed=[card.serial_number])

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.state, order.visit_done) == (OrderState.COMPLETED, True)
    assert subscription.state == SubscriptionState.ACTIVE
    card.refresh_from_db()
    assert (card.state, card.subscription_ref, card.service_address_id) == (
        EquipmentState.INSTALLED, number, subscription.service_address_id)
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total")]
    assert list(subscription.charges.values_list("kind", "amount")) == [
        (ChargeKind.SETUP_FEE, Decimal("30.00"))]
    milestones = codes(order)
    assert milestones.index("visit_needed") < milestones.index("visit_booked") \
        < milestones.index("visit_done") < milestones.index("completed") \
        < milestones.index("subscription_active")
    assert "equipment_installed" not in milestones  # the technician installed it
    assert sent == [("activated", number), ("order_completed", order.number)]


# Suspension and resumption -----------------------------------------------------------


def test_it_suspends_for_a_holiday_and_resumes_by_itself_on_the_date(simulators, sell,
                                                                     operator):
    subscription = active(sell)
    number = subscription.number
    back_on = today() + timedelta(days=14)

    order = subscription_suspend(subscription=subscription, actor=operator,
                                 initiator=Initiator.CUSTOMER, reason="Holidays",
                                 resume_on=back_on)

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.action, order.state) == (OrderAction.SUSPEND, OrderState.COMPLETED)
    assert (subscription.state, subscription.suspension_initiator, subscription.resume_on) == (
        SubscriptionState.SUSPENDED, Initiator.CUSTOMER, back_on)
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("suspend", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("suspend", f"{number}-internet-300")]
    assert simulators.service("cas", f"{number}-tv-total")["state"] == "suspended"
    assert set(subscription.items.values_list("state", flat=True)) == {ItemState.SUSPENDED}
    planned = subscription.orders.get(action=OrderAction.RESUME)
    assert (planned.state, planned.due_on, planned.channel, planned.initiator) == (
        OrderState.ACKNOWLEDGED, back_on, Channel.SYSTEM, Initiator.CUSTOMER)
    assert "resume_planned" in codes(order)

    assert orders_run_due(on=back_on - timedelta(days=1)) == []
    assert fresh(subscription).state == SubscriptionState.SUSPENDED

    assert orders_run_due(on=back_on) == [planned.number]

    planned.refresh_from_db()
    subscription.refresh_from_db()
    assert planned.state == OrderState.COMPLETED
    assert (subscription.state, subscription.suspension_initiator, subscription.resume_on) == (
        SubscriptionState.ACTIVE, "", None)
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("suspend", f"{number}-tv-total"),
                                         ("resume", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("suspend", f"{number}-internet-300"),
                                         ("resume", f"{number}-internet-300")]
    assert simulators.service("cas", f"{number}-tv-total")["state"] == "active"
    assert orders_run_due(on=back_on) == []


def test_a_holiday_resumed_early_drops_the_planned_resumption(simulators, sell, operator):
    subscription = active(sell)
    number = subscription.number
    back_on = today() + timedelta(days=14)
    subscription_suspend(subscription=subscription, actor=operator,
                         initiator=Initiator.CUSTOMER, reason="Holidays", resume_on=back_on)
    planned = subscription.orders.get(action=OrderAction.RESUME)

    early = subscription_resume(subscription=subscription, actor=operator,
                                initiator=Initiator.CUSTOMER, reason="Back early")

    assert fresh(early).state == OrderState.COMPLETED
    assert fresh(planned).state == OrderState.CANCELLED
    subscription.refresh_from_db()
    assert (subscription.state, subscription.resume_on) == (SubscriptionState.ACTIVE, None)
    assert orders_run_due(on=back_on) == []
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("suspend", f"{number}-tv-total"),
                                         ("resume", f"{number}-tv-total")]


def test_it_degrades_suspends_and_resumes_for_the_provider(simulators, sell, supervisor):
    subscription = active(sell)
    number = subscription.number
    tv, internet = f"{number}-tv-total", f"{number}-internet-300"

    degrade = subscription_degrade(subscription=subscription, actor=supervisor,
                                   reason="Unpaid bill")
    subscription.refresh_from_db()
    assert fresh(degrade).state == OrderState.COMPLETED
    assert (subscription.state, subscription.degraded) == (SubscriptionState.ACTIVE, True)
    assert set(subscription.items.values_list("degraded", flat=True)) == {True}
    assert characteristic(simulators.service("cas", tv), "degradedProfile") == "basic"
    assert characteristic(simulators.service("isp", internet), "degradedProfile") == "throttled"

    suspend = subscription_suspend(subscription=subscription, actor=supervisor,
                                   initiator=Initiator.PROVIDER, reason="Still unpaid")
    subscription.refresh_from_db()
    assert fresh(suspend).state == OrderState.COMPLETED
    assert (subscription.state, subscription.suspension_initiator, subscription.resume_on) == (
        SubscriptionState.SUSPENDED, Initiator.PROVIDER, None)
    assert not subscription.orders.filter(action=OrderAction.RESUME).exists()

    resume = subscription_resume(subscription=subscription, actor=supervisor,
                                 initiator=Initiator.PROVIDER, reason="Paid")

    subscription.refresh_from_db()
    assert fresh(resume).state == OrderState.COMPLETED
    assert (subscription.state, subscription.degraded, subscription.suspension_initiator) == (
        SubscriptionState.ACTIVE, False, "")
    assert set(subscription.items.values_list("state", "degraded")) == {
        (ItemState.ACTIVE, False)}
    assert simulators.applied("cas") == [("enable", tv), ("degrade", tv), ("suspend", tv),
                                         ("resume", tv), ("restore", tv)]
    assert simulators.applied("isp") == [("enable", internet), ("degrade", internet),
                                         ("suspend", internet), ("resume", internet),
                                         ("restore", internet)]
    for kind, service_id in (("cas", tv), ("isp", internet)):
        record = simulators.service(kind, service_id)
        assert (record["state"], characteristic(record, "degraded")) == ("active", False)


# Cancellation ---------------------------------------------------------------------------


def test_a_customer_cancelling_inside_the_minimum_term_pays_the_fee_after_the_notice(
        simulators, sell, operator, sent):
    subscription = active(sell)
    number = subscription.number
    equipment = equipment_of(subscription)
    sent.clear()

    order = subscription_cancel(subscription=subscription, actor=operator,
                                initiator=Initiator.CUSTOMER, reason="Moving abroad")

    ends_on = today() + timedelta(days=30)
    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.action, order.state, order.due_on) == (
        OrderAction.CANCEL, OrderState.ACKNOWLEDGED, ends_on)
    assert order.details == {"effective_on": ends_on.isoformat(), "fee": "100.00"}
    assert (subscription.state, subscription.terminates_on,
            subscription.termination_initiator) == (
        SubscriptionState.PENDING_TERMINATION, ends_on, Initiator.CUSTOMER)
    # Nothing happens in the network nor on the bill before the date.
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total")]
    assert not subscription.charges.filter(kind=ChargeKind.EARLY_TERMINATION_FEE).exists()

    assert orders_run_due(on=ends_on) == [order.number]

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert order.state == OrderState.COMPLETED
    assert subscription.state == SubscriptionState.TERMINATED
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("disable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("disable", f"{number}-internet-300")]
    assert simulators.service("cas", f"{number}-tv-total")["state"] == "terminated"
    assert set(subscription.items.values_list("state", flat=True)) == {ItemState.REMOVED}
    assert list(subscription.charges.filter(kind=ChargeKind.EARLY_TERMINATION_FEE)
                .values_list("amount", "order_id")) == [(Decimal("100.00"), order.pk)]
    # The rented equipment is collected by a technician; it stays at the
    # customer's until then, and the termination does not wait for it.
    recovery = WorkOrder.objects.get(number=order.work_order_ref)
    assert recovery.kind == WorkOrderKind.RECOVER
    assert sorted(recovery.equipment.values_list("item_id", "direction")) == sorted(
        (item.pk, "recover") for item in equipment.values())
    assert {fresh(item).state for item in equipment.values()} == {EquipmentState.INSTALLED}
    assert order.needs_visit is False
    assert sorted(sent) == [("order_completed", order.number), ("terminated", number)]


def test_the_provider_cancels_at_once_without_a_fee(simulators, sell, supervisor):
    subscription = active(sell)
    number = subscription.number

    order = subscription_cancel(subscription=subscription, actor=supervisor,
                                initiator=Initiator.PROVIDER, reason="Fraud")

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.state, order.due_on, order.details["fee"]) == (
        OrderState.COMPLETED, None, "0.00")
    assert (subscription.state, subscription.termination_initiator,
            subscription.termination_reason) == (
        SubscriptionState.TERMINATED, Initiator.PROVIDER, "Fraud")
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("disable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("disable", f"{number}-internet-300")]
    assert list(subscription.charges.values_list("kind", flat=True)) == [ChargeKind.SETUP_FEE]


def test_withdrawing_the_order_of_a_pending_subscription_aborts_it(
        simulators, sell, satellite_offer, field_team, operator, sent):
    new = sell(offer_version=satellite_offer, access_medium="satellite")
    subscription = Subscription.objects.get(pk=new.subscription_id)
    number = subscription.number
    card = equipment_of(subscription)["nagra-card"]
    work_order = WorkOrder.objects.get(number=fresh(new).work_order_ref)

    cancel = subscription_order_cancel(order=new, actor=operator, reason="Changed her mind")

    cancel.refresh_from_db()
    subscription.refresh_from_db()
    assert (cancel.action, cancel.state) == (OrderAction.CANCEL, OrderState.COMPLETED)
    assert fresh(new).state == OrderState.CANCELLED
    assert subscription.state == SubscriptionState.ABORTED
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("disable", f"{number}-tv-total")]
    card.refresh_from_db()
    assert (card.state, card.customer_id) == (EquipmentState.IN_STOCK, None)
    assert fresh(work_order).state == WorkOrderState.CANCELLED
    assert not subscription.charges.exists()
    assert {"equipment_released", "visit_cancelled", "subscription_aborted"} <= set(
        codes(cancel))
    assert ("activated", number) not in sent


def test_a_failed_installation_holds_the_order_until_it_is_withdrawn(
        simulators, sell, satellite_offer, field_team, operator):
    new = sell(offer_version=satellite_offer, access_medium="satellite")
    subscription = Subscription.objects.get(pk=new.subscription_id)
    number = subscription.number
    card = equipment_of(subscription)["nagra-card"]
    work_order = WorkOrder.objects.get(number=fresh(new).work_order_ref)
    start, _end = window(today() + timedelta(days=1), 10)
    subscription_book_visit(order=new, window_start=start, actor=operator)
    workforce.work_order_assign(work_order=work_order, technician=field_team.technician,
                                actor=field_team.dispatcher)
    workforce.work_order_dispatch(work_order=work_order, actor=field_team.dispatcher)

    workforce.work_order_fail(work_order=work_order, reason="customer_absent",
                              actor=field_team.dispatcher)

    new.refresh_from_db()
    assert new.state == OrderState.HELD
    assert new.held_reason.startswith(f"the visit of work order {work_order.number} failed")
    assert fresh(subscription).state == SubscriptionState.PENDING_ACTIVATION
    assert fresh(card).state == EquipmentState.RESERVED  # kept for another attempt

    cancel = subscription_order_cancel(order=new, actor=operator, reason="Gave up")

    assert fresh(cancel).state == OrderState.COMPLETED
    assert fresh(new).state == OrderState.CANCELLED
    assert fresh(subscription).state == SubscriptionState.ABORTED
    assert fresh(card).state == EquipmentState.IN_STOCK
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("disable", f"{number}-tv-total")]


def test_a_failed_installation_is_planned_again_when_the_order_is_retried(
        simulators, sell, satellite_offer, field_team, operator, supervisor):
    new = sell(offer_version=satellite_offer, access_medium="satellite")
    subscription = Subscription.objects.get(pk=new.subscription_id)
    card = equipment_of(subscription)["nagra-card"]
    failed = WorkOrder.objects.get(number=fresh(new).work_order_ref)
    tomorrow = today() + timedelta(days=1)
    subscription_book_visit(order=new, window_start=window(tomorrow, 10)[0], actor=operator)
    workforce.work_order_assign(work_order=failed, technician=field_team.technician,
                                actor=field_team.dispatcher)
    workforce.work_order_dispatch(work_order=failed, actor=field_team.dispatcher)
    workforce.work_order_fail(work_order=failed, reason="customer_absent",
                              actor=field_team.dispatcher)
    assert fresh(new).state == OrderState.HELD

    order_retry(order=new, actor=supervisor)

    new.refresh_from_db()
    assert (new.state, new.held_reason) == (OrderState.IN_PROGRESS, "")
    second = WorkOrder.objects.get(number=new.work_order_ref)
    assert second.pk != failed.pk
    assert (second.state, second.kind) == (WorkOrderState.GENERATED, WorkOrderKind.INSTALL)
    assert list(second.equipment.values_list("item_id", flat=True)) == [card.pk]

    subscription_book_visit(order=new, window_start=window(tomorrow, 14)[0], actor=operator)
    walk_visit(second, field_team, installed=[card.serial_number])

    assert fresh(new).state == OrderState.COMPLETED
    assert fresh(subscription).state == SubscriptionState.ACTIVE
    assert fresh(card).state == EquipmentState.INSTALLED
    assert simulators.applied("cas") == [("enable", f"{subscription.number}-tv-total")]


# Modifications ----------------------------------------------------------------------


def test_it_changes_the_offer_at_once(simulators, sell, internet_offer, operator):
    subscription = active(sell)
    number = subscription.number

    order = subscription_change_offer(subscription=subscription, offer_version=internet_offer,
                                      actor=operator)

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.modify_kind, order.state, order.due_on) == (
        ModifyKind.CHANGE_OFFER, OrderState.COMPLETED, None)
    assert order.details["monthly_before"] == "49.90"
    assert order.details["monthly_after"] == "29.90"
    assert subscription.offer_version_id == internet_offer.pk
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("disable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("enable", f"{number}-mailbox")]
    assert sorted(subscription.items.values_list("service__code", "state")) == [
        ("internet-300", ItemState.ACTIVE), ("mailbox", ItemState.ACTIVE),
        ("tv-total", ItemState.REMOVED)]
    # The longer minimum term already signed still binds.
    assert subscription.commitment_ends_on == add_months(today(), 12)


def test_it_changes_the_offer_at_the_next_billing_cycle(simulators, sell, internet_offer,
                                                        operator):
    subscription = active(sell)
    number = subscription.number
    cycle = next_cycle_start(bill_day=5, after=today())

    order = subscription_change_offer(subscription=subscription, offer_version=internet_offer,
                                      actor=operator, at_next_cycle=True)

    order.refresh_from_db()
    assert (order.state, order.due_on) == (OrderState.ACKNOWLEDGED, cycle)
    assert fresh(subscription).offer_version.offer.code == "fibra-tv"
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300")]

    assert orders_run_due(on=cycle - timedelta(days=1)) == []
    assert orders_run_due(on=cycle) == [order.number]

    assert fresh(order).state == OrderState.COMPLETED
    assert fresh(subscription).offer_version_id == internet_offer.pk
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("disable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("enable", f"{number}-mailbox")]


def test_a_change_of_offer_is_no_way_out_of_the_providers_degrade(simulators, sell,
                                                                   internet_offer,
                                                                   published_offer,
                                                                   supervisor, operator):
    subscription = active(sell)
    tv = f"{subscription.number}-tv-total"
    subscription_degrade(subscription=subscription, actor=supervisor, reason="Unpaid bill")
    subscription_change_offer(subscription=subscription, offer_version=internet_offer,
                              actor=operator)

    order = subscription_change_offer(subscription=fresh(subscription),
                                      offer_version=published_offer, actor=operator)

    assert fresh(order).state == OrderState.COMPLETED
    subscription.refresh_from_db()
    assert subscription.degraded is True
    assert list(subscription.items.exclude(state=ItemState.REMOVED)
                .values_list("service__code", "degraded").order_by("service__code")) == [
        ("internet-300", True), ("tv-total", True)]
    assert simulators.applied("cas") == [("enable", tv), ("degrade", tv), ("disable", tv),
                                         ("enable", tv), ("degrade", tv)]
    record = simulators.service("cas", tv)
    assert (record["state"], characteristic(record, "degraded")) == ("active", True)


def test_a_service_enabled_again_starts_with_its_full_profile(simulators, sell, internet_offer,
                                                              published_offer, supervisor,
                                                              operator):
    subscription = active(sell)
    tv = f"{subscription.number}-tv-total"
    subscription_degrade(subscription=subscription, actor=supervisor, reason="Unpaid bill")
    subscription_change_offer(subscription=subscription, offer_version=internet_offer,
                              actor=operator)
    subscription_resume(subscription=fresh(subscription), actor=supervisor,
                        initiator=Initiator.PROVIDER, reason="Paid")

    subscription_change_offer(subscription=fresh(subscription), offer_version=published_offer,
                              actor=operator)

    subscription.refresh_from_db()
    assert subscription.degraded is False
    assert subscription.items.get(service__code="tv-total", state=ItemState.ACTIVE).degraded \
        is False
    # The TV service had been degraded under the same id before it was disabled.
    assert simulators.applied("cas") == [("enable", tv), ("degrade", tv), ("disable", tv),
                                         ("enable", tv)]
    record = simulators.service("cas", tv)
    assert (record["state"], characteristic(record, "degraded")) == ("active", False)


def test_services_added_while_suspended_come_with_the_resumption(simulators, sell,
                                                                 internet_offer,
                                                                 published_offer, supervisor,
                                                                 operator):
    subscription = Subscription.objects.get(pk=sell(offer_version=internet_offer).subscription_id)
    number = subscription.number
    subscription_degrade(subscription=subscription, actor=supervisor, reason="Unpaid bill")
    change = subscription_change_offer(subscription=fresh(subscription),
                                       offer_version=published_offer, actor=operator,
                                       at_next_cycle=True)
    cycle = fresh(change).due_on
    back_on = cycle + timedelta(days=3)
    subscription_suspend(subscription=fresh(subscription), actor=operator,
                         initiator=Initiator.CUSTOMER, reason="Holidays", resume_on=back_on)

    assert orders_run_due(on=cycle) == [change.number]

    # Changed while suspended: TV waits, the mailbox the new offer lacks goes.
    assert fresh(change).state == OrderState.COMPLETED
    assert subscription.items.get(service__code="tv-total").state == ItemState.PENDING
    assert simulators.applied("cas") == []
    assert simulators.applied("isp") == [
        ("enable", f"{number}-mailbox"), ("enable", f"{number}-internet-300"),
        ("degrade", f"{number}-internet-300"), ("suspend", f"{number}-mailbox"),
        ("suspend", f"{number}-internet-300"), ("disable", f"{number}-mailbox")]

    assert len(orders_run_due(on=back_on)) == 1

    subscription.refresh_from_db()
    assert (subscription.state, subscription.degraded) == (SubscriptionState.ACTIVE, True)
    # Still under the provider's degrade: the TV comes degraded.
    tv = f"{number}-tv-total"
    assert simulators.applied("cas") == [("enable", tv), ("degrade", tv)]
    assert characteristic(simulators.service("cas", tv), "degradedProfile") == "basic"
    assert set(subscription.items.exclude(state=ItemState.REMOVED)
               .values_list("state", "degraded")) == {(ItemState.ACTIVE, True)}


def test_services_never_enabled_end_with_the_subscription(simulators, sell, internet_offer,
                                                         supervisor, operator):
    subscription = active(sell)
    number = subscription.number
    change = subscription_change_offer(subscription=subscription, offer_version=internet_offer,
                                       actor=operator, at_next_cycle=True)
    cycle = fresh(change).due_on
    subscription_suspend(subscription=fresh(subscription), actor=operator,
                         initiator=Initiator.CUSTOMER, reason="Holidays",
                         resume_on=cycle + timedelta(days=5))
    orders_run_due(on=cycle)
    assert subscription.items.get(service__code="mailbox").state == ItemState.PENDING

    subscription_cancel(subscription=fresh(subscription), actor=supervisor,
                        initiator=Initiator.PROVIDER, reason="Fraud")

    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.TERMINATED
    assert set(subscription.items.values_list("state", flat=True)) == {ItemState.REMOVED}
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("suspend", f"{number}-internet-300"),
                                         ("disable", f"{number}-internet-300")]


def test_a_change_falling_in_a_holiday_before_a_cancellation_waits_for_the_resumption(
        simulators, sell, internet_offer, operator):
    subscription = active(sell)
    number = subscription.number
    change = subscription_change_offer(subscription=subscription, offer_version=internet_offer,
                                       actor=operator, at_next_cycle=True)
    cycle = fresh(change).due_on
    back_on = cycle + timedelta(days=10)
    subscription_suspend(subscription=fresh(subscription), actor=operator,
                         initiator=Initiator.CUSTOMER, reason="Holidays", resume_on=back_on)
    cancel = subscription_cancel(subscription=fresh(subscription), actor=operator,
                                 initiator=Initiator.CUSTOMER, reason="Leaving")
    ends_on = fresh(cancel).due_on
    assert cycle < back_on < ends_on

    assert orders_run_due(on=cycle) == [change.number]

    subscription.refresh_from_db()
    assert (subscription.state, subscription.suspension_initiator) == (
        SubscriptionState.PENDING_TERMINATION, Initiator.CUSTOMER)
    assert subscription.items.get(service__code="mailbox").state == ItemState.PENDING
    mailbox, internet = f"{number}-mailbox", f"{number}-internet-300"
    assert simulators.applied("isp") == [("enable", internet), ("suspend", internet)]

    assert len(orders_run_due(on=back_on)) == 1

    subscription.refresh_from_db()
    assert (subscription.state, subscription.suspension_initiator) == (
        SubscriptionState.PENDING_TERMINATION, "")
    assert simulators.applied("isp") == [("enable", internet), ("suspend", internet),
                                         ("resume", internet), ("enable", mailbox)]

    assert orders_run_due(on=ends_on) == [cancel.number]

    assert fresh(subscription).state == SubscriptionState.TERMINATED
    assert simulators.applied("isp") == [("enable", internet), ("suspend", internet),
                                         ("resume", internet), ("enable", mailbox),
                                         ("disable", mailbox), ("disable", internet)]


def test_it_adds_and_removes_an_option(simulators, sell, services_catalog, operator):
    subscription = active(sell)
    number = subscription.number

    added = subscription_add_option(subscription=subscription,
                                    service=services_catalog.mailbox, actor=operator)

    assert (fresh(added).modify_kind, added.state) == (ModifyKind.ADD_OPTION,
                                                       OrderState.COMPLETED)
    mailbox = subscription.items.get(service=services_catalog.mailbox)
    assert (mailbox.role, mailbox.monthly_price, mailbox.state) == (
        ItemRole.OPTION, Decimal("1.99"), ItemState.ACTIVE)
    assert simulators.service("isp", f"{number}-mailbox")["state"] == "active"

    removed = subscription_remove_option(subscription=subscription,
                                         service=services_catalog.mailbox, actor=operator)

    assert fresh(removed).state == OrderState.COMPLETED
    assert fresh(mailbox).state == ItemState.REMOVED
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("enable", f"{number}-mailbox"),
                                         ("disable", f"{number}-mailbox")]
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total")]
    assert simulators.service("isp", f"{number}-mailbox")["state"] == "terminated"


def test_it_moves_the_service_to_another_address(simulators, sell, alice_customer, operator):
    from customers import services as customer_services

    subscription = active(sell)
    number = subscription.number
    new_home = customer_services.address_create(
        actor=operator, customer=alice_customer, street="Calle Alcalá", street_number="10",
        postal_code="28014", city="Madrid")

    order = subscription_move(subscription=subscription, address=new_home, actor=operator)

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.modify_kind, order.state, order.needs_visit) == (
        ModifyKind.MOVE, OrderState.COMPLETED, False)
    assert subscription.service_address_id == new_home.pk
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total"),
                                         ("disable", f"{number}-tv-total"),
                                         ("enable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300"),
                                         ("disable", f"{number}-internet-300"),
                                         ("enable", f"{number}-internet-300")]
    tv = simulators.service("cas", f"{number}-tv-total")
    assert (tv["state"], characteristic(tv, "postalCode")) == ("active", "28014")
    assert set(subscription.items.values_list("state", flat=True)) == {ItemState.ACTIVE}
    assert {item.service_address_id for item in equipment_of(subscription).values()} == {
        new_home.pk}


def test_it_passes_the_subscription_to_another_customer(simulators, sell, bob_customer,
                                                        alice_user, operator):
    from customers import services as customer_services

    subscription = active(sell)
    number = subscription.number
    bob_account = customer_services.billing_account_create(
        actor=operator, customer=bob_customer, name="Casa", iban="ES7921000813610123456789",
        delivery_email="bob@example.com", bill_day=10)
    bob_home = customer_services.address_create(
        actor=operator, customer=bob_customer, street="Calle Mayor", street_number="1",
        postal_code="28013", city="Madrid")

    order = subscription_change_owner(subscription=subscription, customer=bob_customer,
                                      billing_account=bob_account, service_address=bob_home,
                                      actor=operator)

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.modify_kind, order.state) == (ModifyKind.CHANGE_OWNER, OrderState.COMPLETED)
    assert (subscription.customer_id, subscription.billing_account_id,
            subscription.service_address_id) == (bob_customer.pk, bob_account.pk, bob_home.pk)
    assert {item.customer_id for item in equipment_of(subscription).values()} == {
        bob_customer.pk}
    # The network has nothing to do: the same services at the same place.
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300")]


# Pay-per-view ----------------------------------------------------------------------------


def test_it_sells_pay_per_view_within_the_monthly_limit(simulators, sell, ppv_offer,
                                                       services_catalog, alice_user, operator):
    new = sell(offer_version=ppv_offer,
               users=[UserSpec(service_user=alice_user, ppv_monthly_limit=Decimal("12.00"))])
    subscription = Subscription.objects.get(pk=new.subscription_id)
    number = subscription.number
    user = subscription.users.get()
    event = services_catalog.ppv_event
    card = equipment_of(subscription)["nagra-card"]
    enables = [("enable", f"{number}-nvod-cinema"), ("enable", f"{number}-ppv-sports"),
               ("enable", f"{number}-tv-total")]
    assert simulators.applied("cas") == enables

    order = pay_per_view_order(subscription=subscription, user=user, event=event,
                               showing_starts_at=event.starts_at, actor=operator)

    order.refresh_from_db()
    assert (order.modify_kind, order.state) == (ModifyKind.PAY_PER_VIEW, OrderState.COMPLETED)
    assert simulators.applied("cas") == [*enables, ("authorise_device", f"{number}-ppv-sports")]
    record = simulators.service("cas", f"{number}-ppv-sports")
    assert (characteristic(record, "deviceSerial"), characteristic(record, "deviceStatus"),
            characteristic(record, "title")) == (card.card_number, "authorised", "Cup final")
    assert list(order.charges.values_list("kind", "amount")) == [
        (ChargeKind.PAY_PER_VIEW, Decimal("9.95"))]
    assert list(PayPerViewPurchase.objects.values_list("order_id", "price")) == [
        (order.pk, Decimal("9.95"))]

    # 9.95 spent of 12.00: the 3.50 film does not fit.
    film = services_catalog.nvod_event
    with pytest.raises(ValidationError) as refused:
        pay_per_view_order(subscription=subscription, user=user, event=film,
                           showing_starts_at=film.starts_at, actor=operator)
    assert error_code(refused.value, "event") == "spend_limit"
    assert simulators.applied("cas") == [*enables, ("authorise_device", f"{number}-ppv-sports")]
    assert PayPerViewPurchase.objects.count() == 1
    assert SubscriptionCharge.objects.filter(kind=ChargeKind.PAY_PER_VIEW).count() == 1
    assert subscription.orders.filter(modify_kind=ModifyKind.PAY_PER_VIEW).count() == 1


# Failures ------------------------------------------------------------------------------


def test_an_order_refused_by_the_element_manager_is_held_until_retried(
        simulators, sell, supervisor):
    # The conditional-access system wants a token SESMU does not send: 401,
    # a permanent refusal, so the message is dead at the first attempt.
    simulators.cas.accept_token = "not-sesmu"

    order = sell()

    order.refresh_from_db()
    subscription = Subscription.objects.get(pk=order.subscription_id)
    number = subscription.number
    assert order.state == OrderState.HELD
    assert "refused Enable for TV Total" in order.held_reason
    assert "401" in order.held_reason
    assert subscription.state == SubscriptionState.PENDING_ACTIVATION
    assert sorted(order.steps.values_list("item__service__code", "status")) == [
        ("internet-300", StepStatus.APPLIED), ("tv-total", StepStatus.FAILED)]
    assert simulators.applied("cas") == []
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300")]
    assert not subscription.charges.exists()

    simulators.cas.accept_token = None
    order_retry(order=order, actor=supervisor)

    order.refresh_from_db()
    subscription.refresh_from_db()
    assert (order.state, order.held_reason) == (OrderState.COMPLETED, "")
    assert subscription.state == SubscriptionState.ACTIVE
    assert simulators.applied("cas") == [("enable", f"{number}-tv-total")]
    assert simulators.applied("isp") == [("enable", f"{number}-internet-300")]
    milestones = codes(order)
    assert milestones.index("held") < milestones.index("in_progress", milestones.index("held"))
    assert list(subscription.charges.values_list("kind", flat=True)) == [ChargeKind.SETUP_FEE]


def test_a_scheduled_order_that_can_no_longer_be_carried_out_is_held(simulators, sell,
                                                                     operator, supervisor):
    subscription = active(sell)
    later = today() + timedelta(days=3)
    suspend = subscription_suspend(subscription=subscription, actor=operator,
                                   initiator=Initiator.CUSTOMER, reason="Holidays",
                                   starts_on=later, resume_on=later + timedelta(days=7))
    assert fresh(suspend).state == OrderState.ACKNOWLEDGED
    # Meanwhile the provider suspended it: the holiday cannot start.
    subscription_suspend(subscription=subscription, actor=supervisor,
                         initiator=Initiator.PROVIDER, reason="Unpaid")

    assert orders_run_due(on=later) == []

    suspend.refresh_from_db()
    assert suspend.state == OrderState.HELD
    assert "cannot be suspended" in suspend.held_reason
    assert SubscriptionItem.objects.filter(subscription=subscription,
                                           state=ItemState.SUSPENDED).count() == 2
