"""The element managers are down while subscriptions are sold: every sale is
taken (the commands wait in the outbox), and once they are back every
subscription activates with each command applied exactly once."""

from __future__ import annotations

import time
from collections import Counter

import pytest
from django.utils import timezone

from integrations.choices import CircuitState, OutboxStatus
from integrations.models import ExternalSystem, OutboxMessage
from integrations.services import outbox_release_held, outbox_sweep
from subscriptions.choices import OrderState, SubscriptionState
from subscriptions.models import Subscription, SubscriptionOrder

SALES = 200


@pytest.mark.django_db(transaction=True)
def test_sales_made_while_the_element_managers_are_down_activate_once_they_are_back(
        simulators, sell, stock):
    for model in (stock.card, stock.box, stock.modem):
        stock.add(model, SALES)
    simulators.cas.stop()
    simulators.isp.stop()

    orders = [sell() for _ in range(SALES)]

    # Every sale was taken; nothing reached the element managers.
    assert SubscriptionOrder.objects.filter(state=OrderState.IN_PROGRESS).count() == SALES
    assert Subscription.objects.filter(
        state=SubscriptionState.PENDING_ACTIVATION).count() == SALES
    waiting = OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED)
    assert waiting.count() == 2 * SALES
    assert not waiting.filter(status=OutboxStatus.DEAD).exists()
    for system in simulators.systems["cas"], simulators.systems["isp"]:
        system.refresh_from_db()
        assert system.circuit_state == CircuitState.OPEN

    simulators.cas.start()
    simulators.isp.start()
    # Rather than wait out each message's backoff: due now. The circuit
    # lets its probe through once its reset time (1 s) has passed.
    OutboxMessage.objects.filter(status__in=[OutboxStatus.PENDING, OutboxStatus.FAILED]).update(
        next_attempt_at=timezone.now())
    time.sleep(1.1)
    outbox_sweep(limit=10 * SALES)
    for system in simulators.systems["cas"], simulators.systems["isp"]:
        outbox_release_held(destination_id=system.pk)
    outbox_sweep(limit=10 * SALES)

    assert OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED).count() == 0
    assert Subscription.objects.filter(state=SubscriptionState.ACTIVE).count() == SALES
    assert SubscriptionOrder.objects.filter(pk__in=[order.pk for order in orders],
                                            state=OrderState.COMPLETED).count() == SALES
    numbers = sorted(Subscription.objects.values_list("number", flat=True))
    for kind, code in (("cas", "tv-total"), ("isp", "internet-300")):
        applied = simulators.applied(kind)
        assert len(applied) == SALES
        assert Counter(applied) == Counter(
            {("enable", f"{number}-{code}"): 1 for number in numbers})
    for system in ExternalSystem.objects.filter(code__in=["cas", "isp"]):
        assert system.circuit_state == CircuitState.CLOSED
