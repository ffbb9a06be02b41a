"""Random sequences of lifecycle actions on a few subscriptions (sell over
cable or satellite, install, holiday, degrade, provider suspension, resume,
cancel now or at a date, time passing, change of offer now or at the next
cycle, options, withdrawing an order or aborting), checking after every
step that the element managers hold exactly what SESMU says: once the
outbox is drained, each service's state and degrade at the simulator match
its item and its subscription; nothing of an ended subscription is left
enabled; no piece of equipment serves two subscriptions.

Each example runs in a savepoint rolled back at its end, with the commit
callbacks (outbox delivery and what it reports back) run at the end of
every step, and the simulators reset.

The action of a step is chosen with a real random generator seeded by
Hypothesis rather than one rule per action: Hypothesis favours the first
rules of its (sorted) list, and with a small budget most examples were
degrades and suspensions. Failing examples print the actions as notes."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
import requests
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from integrations.choices import OutboxStatus
from integrations.models import OutboxMessage
from inventory.choices import ItemState as EquipmentState
from inventory.models import EquipmentItem
from sesmu.choices import SERVICE_PLATFORM, ServiceKind
from subscriptions.choices import (
    Initiator,
    ItemState,
    OrderAction,
    OrderState,
    SubscriptionState,
)
from subscriptions.models import Subscription, SubscriptionOrder
from subscriptions.services import (
    orders_run_due,
    subscription_add_option,
    subscription_book_visit,
    subscription_cancel,
    subscription_change_offer,
    subscription_create,
    subscription_degrade,
    subscription_order_cancel,
    subscription_remove_option,
    subscription_resume,
    subscription_suspend,
)
from subscriptions.terms import DEGRADE_PROFILES
from tests.workforce.conftest import png_data_url, window
from workforce import services as workforce
from workforce.choices import WorkOrderState
from workforce.models import WorkOrder

ENDED = (SubscriptionState.TERMINATED, SubscriptionState.ABORTED)
STEPS = 15
MAX_SUBSCRIPTIONS = 3


def simulator_of(kind: str) -> str:
    return "cas" if SERVICE_PLATFORM[kind] == ServiceKind.TV_PACKAGE else "isp"


def characteristic(record: dict, name: str):
    return next((entry["value"] for entry in record.get("serviceCharacteristic") or []
                 if entry["name"] == name), None)


class Lifecycle(RuleBasedStateMachine):
    """The world: alice buying "fibra-tv" (TV, Internet, a mailbox option)
    over cable or "sat-tv" over satellite, and changing to "fibra-mail"
    (Internet and a mailbox) and back."""

    subscriptions = Bundle("subscriptions")

    def __init__(self, world: SimpleNamespace) -> None:
        super().__init__()
        self.world = world
        self.visits = 0
        for simulator in (world.simulators.cas, world.simulators.isp):
            requests.post(f"{simulator.url}/_sim/reset", timeout=5).raise_for_status()
        self.example = transaction.atomic()
        self.example.__enter__()

    def teardown(self) -> None:
        transaction.set_rollback(True)
        self.example.__exit__(None, None, None)

    def act(self, call, **arguments) -> None:
        """One step: the service call, then what its commit would set off
        (deliveries to the simulators, their reports back). A refusal is a
        possible answer; it must leave things consistent all the same."""
        try:
            with self.world.capture(execute=True):
                call(**arguments)
        except ValidationError:
            pass

    def subscription(self, pk: int) -> Subscription:
        return Subscription.objects.select_related("offer_version").get(pk=pk)

    # Sales ----------------------------------------------------------------------

    def sell_one(self, medium: str, mailbox: bool) -> int:
        world = self.world
        with world.capture(execute=True):
            order = subscription_create(
                actor=world.operator, customer=world.customer, billing_account=world.account,
                offer_version=world.fibra if medium == "cable" else world.satellite,
                service_address=world.home, access_medium=medium,
                options=[world.catalog.mailbox] if mailbox and medium == "cable" else [])
        return order.subscription_id

    @initialize(target=subscriptions, mailbox=st.booleans())
    def first_sale(self, mailbox):
        return self.sell_one("cable", mailbox)

    @precondition(lambda self: Subscription.objects.count() < MAX_SUBSCRIPTIONS)
    @rule(target=subscriptions, medium=st.sampled_from(["cable", "cable", "satellite"]),
          mailbox=st.booleans())
    def sell(self, medium, mailbox):
        return self.sell_one(medium, mailbox)

    # Actions (a step picks one) ---------------------------------------------------

    def install(self, pk, rnd):
        """Book, walk and complete the installation visit of a pending sale."""
        new = SubscriptionOrder.objects.get(subscription_id=pk, action=OrderAction.NEW)
        work_order = WorkOrder.objects.filter(number=new.work_order_ref,
                                              state=WorkOrderState.GENERATED).first()
        if work_order is None or not new.is_open:
            return
        self.visits += 1
        team = self.world.team
        card = EquipmentItem.objects.get(subscription_ref=self.subscription(pk).number,
                                         state=EquipmentState.RESERVED)
        start, _end = window(timezone.localdate() + timedelta(days=self.visits), 10)
        with self.world.capture(execute=True):
            subscription_book_visit(order=new, window_start=start, actor=self.world.operator)
            workforce.work_order_assign(work_order=work_order, technician=team.technician,
                                        actor=team.dispatcher)
            for step in (workforce.work_order_dispatch, workforce.work_order_start_travel,
                         workforce.work_order_arrive):
                step(work_order=work_order, actor=team.dispatcher)
            workforce.work_order_complete(work_order=work_order, actor=team.dispatcher,
                                          signature=png_data_url(), signed_by="Alice",
                                          installed=[card.serial_number])

    def holiday(self, pk, rnd):
        days = rnd.randint(1, 40)
        self.act(subscription_suspend, subscription=self.subscription(pk),
                 actor=self.world.operator, initiator=Initiator.CUSTOMER, reason="Holidays",
                 resume_on=timezone.localdate() + timedelta(days=days))

    def degrade(self, pk, rnd):
        self.act(subscription_degrade, subscription=self.subscription(pk),
                 actor=self.world.supervisor, reason="Unpaid bill")

    def provider_suspend(self, pk, rnd):
        self.act(subscription_suspend, subscription=self.subscription(pk),
                 actor=self.world.supervisor, initiator=Initiator.PROVIDER, reason="Unpaid")

    def resume(self, pk, rnd):
        initiator = rnd.choice([Initiator.CUSTOMER, Initiator.PROVIDER])
        self.act(subscription_resume, subscription=self.subscription(pk),
                 actor=self.world.supervisor, initiator=initiator, reason="Back")

    def cancel(self, pk, rnd):
        """The customer's takes effect after the notice; the provider's now
        or at a date."""
        initiator = rnd.choice([Initiator.CUSTOMER, Initiator.PROVIDER])
        days = rnd.choice([0, 3, 20])
        self.act(subscription_cancel, subscription=self.subscription(pk),
                 actor=self.world.supervisor, initiator=initiator, reason="Leaving",
                 effective_on=timezone.localdate() + timedelta(days=days) if days else None)

    def time_passes(self, pk, rnd):
        days = rnd.choice([1, 10, 25, 35, 60])
        with self.world.capture(execute=True):
            orders_run_due(on=timezone.localdate() + timedelta(days=days))

    def change_offer(self, pk, rnd):
        at_next_cycle = rnd.random() < 0.5
        subscription = self.subscription(pk)
        target = (self.world.internet if subscription.offer_version_id == self.world.fibra.pk
                  else self.world.fibra)
        self.act(subscription_change_offer, subscription=subscription, offer_version=target,
                 actor=self.world.operator, at_next_cycle=at_next_cycle)

    def toggle_mailbox(self, pk, rnd):
        subscription = self.subscription(pk)
        has_it = subscription.items.filter(service=self.world.catalog.mailbox).exclude(
            state=ItemState.REMOVED).exists()
        self.act(subscription_remove_option if has_it else subscription_add_option,
                 subscription=subscription, service=self.world.catalog.mailbox,
                 actor=self.world.operator)

    def withdraw_an_order(self, pk, rnd):
        """Withdraw the newest open order: aborts a pending subscription,
        keeps one whose cancellation or change was scheduled."""
        order = (SubscriptionOrder.objects.filter(subscription_id=pk, state__in=[
            OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS, OrderState.HELD])
            .order_by("-id").first())
        if order is not None:
            self.act(subscription_order_cancel, order=order, actor=self.world.operator,
                     reason="Withdrawn")

    ACTIONS = ("install", "holiday", "degrade", "provider_suspend", "resume", "cancel",
               "time_passes", "change_offer", "toggle_mailbox", "withdraw_an_order")

    @rule(pk=subscriptions, rnd=st.randoms(use_true_random=True))
    def step(self, pk, rnd):
        action = rnd.choice(self.ACTIONS)
        note(f"{action} on subscription {pk}")
        getattr(self, action)(pk, rnd)

    # Invariants ---------------------------------------------------------------------

    @invariant()
    def the_outbox_is_drained(self):
        assert not OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).exists()
        assert not SubscriptionOrder.objects.filter(state=OrderState.HELD).exists()

    @invariant()
    def the_element_managers_hold_what_sesmu_says(self):
        for subscription in Subscription.objects.prefetch_related("items__service"):
            items = list(subscription.items.all())
            live = [item for item in items if item.state != ItemState.REMOVED]
            live_codes = {item.service.code for item in live}
            for item in items:
                record = self.world.simulators.service(simulator_of(item.service.kind),
                                                       item.network_id)
                at_network = record["state"] if record else None
                where = f"{item.network_id} ({subscription.state}, item {item.state})"
                if item.state == ItemState.ACTIVE:
                    assert at_network == "active", where
                elif item.state == ItemState.SUSPENDED:
                    assert at_network == "suspended", where
                elif item.state == ItemState.PENDING or item.service.code not in live_codes:
                    assert at_network in (None, "terminated"), where
                if item.state in (ItemState.ACTIVE, ItemState.SUSPENDED):
                    assert bool(characteristic(record, "degraded")) == item.degraded, where
                    if item.service.kind in DEGRADE_PROFILES:
                        assert item.degraded == subscription.degraded, where
            states = {item.state for item in live}
            if subscription.state in ENDED:
                assert live == [], subscription.number
            elif subscription.state == SubscriptionState.ACTIVE or (
                    subscription.state == SubscriptionState.PENDING_TERMINATION
                    and not subscription.suspension_initiator):
                assert states == {ItemState.ACTIVE}, (subscription.number, states)
            elif subscription.state == SubscriptionState.SUSPENDED or (
                    subscription.state == SubscriptionState.PENDING_TERMINATION):
                assert ItemState.SUSPENDED in states, (subscription.number, states)
                assert states <= {ItemState.SUSPENDED, ItemState.PENDING}, (
                    subscription.number, states)

    @invariant()
    def no_equipment_serves_two_subscriptions(self):
        held = EquipmentItem.objects.filter(state__in=[
            EquipmentState.RESERVED, EquipmentState.INSTALLED,
            EquipmentState.WITH_TECHNICIAN]).select_related("model")
        per_subscription: dict[tuple[str, str], int] = {}
        for item in held:
            subscription = Subscription.objects.filter(number=item.subscription_ref).first()
            assert subscription is not None, item.serial_number
            assert item.customer_id == subscription.customer_id, item.serial_number
            if item.state != EquipmentState.INSTALLED:
                assert subscription.state not in ENDED, item.serial_number
            key = (item.subscription_ref, item.model.kind)
            per_subscription[key] = per_subscription.get(key, 0) + 1
        assert all(count == 1 for count in per_subscription.values()), per_subscription
        cards = [characteristic(self.world.simulators.service("cas", item.network_id),
                                "smartCard")
                 for subscription in Subscription.objects.exclude(state__in=ENDED)
                 for item in subscription.items.filter(service__code="tv-total",
                                                       state=ItemState.ACTIVE)]
        assert len(cards) == len(set(cards)), cards


@pytest.mark.django_db
def test_the_network_always_matches_what_sesmu_says(
        simulators, stock, published_offer, internet_offer, satellite_offer, field_team,
        services_catalog, alice_customer, alice_account, alice_home, operator, supervisor,
        django_capture_on_commit_callbacks):
    for model in (stock.card, stock.box, stock.modem):
        stock.add(model, MAX_SUBSCRIPTIONS)
    world = SimpleNamespace(
        simulators=simulators, catalog=services_catalog, fibra=published_offer,
        internet=internet_offer, satellite=satellite_offer, team=field_team,
        customer=alice_customer, account=alice_account, home=alice_home, operator=operator,
        supervisor=supervisor, capture=django_capture_on_commit_callbacks)
    run_state_machine_as_test(
        lambda: Lifecycle(world),
        settings=settings(max_examples=20, stateful_step_count=STEPS, deadline=None,
                          suppress_health_check=list(HealthCheck), database=None))
