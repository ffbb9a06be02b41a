"""A held order after a failed installation visit is retried with a new
visit, and a held order that never started is carried out on retry."""

from __future__ import annotations

from datetime import timedelta

import pytest

from inventory.choices import ItemState as EquipmentState
from subscriptions.choices import OrderState, SubscriptionState
from subscriptions.models import Subscription
from subscriptions.services import order_retry, subscription_book_visit
from tests.subscriptions.test_lifecycle import equipment_of, fresh, today, walk_visit
from tests.workforce.conftest import window
from workforce import services as workforce
from workforce.choices import WorkOrderState
from workforce.models import WorkOrder

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_retried_order_gets_a_new_visit_after_the_technician_failed(
        simulators, sell, satellite_offer, field_team, operator):
    # given a satellite sale whose installation visit failed (nobody at home)
    new = sell(offer_version=satellite_offer, access_medium="satellite")
    subscription = Subscription.objects.get(pk=new.subscription_id)
    card = equipment_of(subscription)["nagra-card"]
    failed = WorkOrder.objects.get(number=fresh(new).work_order_ref)
    subscription_book_visit(order=new, window_start=window(today() + timedelta(days=1), 10)[0],
                            actor=operator)
    workforce.work_order_assign(work_order=failed, technician=field_team.technician,
                                actor=field_team.dispatcher)
    workforce.work_order_dispatch(work_order=failed, actor=field_team.dispatcher)
    workforce.work_order_fail(work_order=failed, reason="customer_absent",
                              actor=field_team.dispatcher)
    assert fresh(new).state == OrderState.HELD
    assert "Customer not at home" in fresh(new).held_reason

    # when the operator retries it
    order_retry(order=new, actor=operator)

    # then a new work order carries the same card, and booking and doing it activates
    new.refresh_from_db()
    assert new.state == OrderState.IN_PROGRESS
    assert new.work_order_ref != failed.number
    second = WorkOrder.objects.get(number=new.work_order_ref)
    assert second.state == WorkOrderState.GENERATED
    assert list(second.equipment.values_list("item_id", flat=True)) == [card.pk]
    subscription_book_visit(order=new, window_start=window(today() + timedelta(days=2), 10)[0],
                            actor=operator)
    walk_visit(WorkOrder.objects.get(pk=second.pk), field_team,
               installed=[card.serial_number])
    assert fresh(new).state == OrderState.COMPLETED
    assert fresh(subscription).state == SubscriptionState.ACTIVE
    assert fresh(card).state == EquipmentState.INSTALLED
    assert simulators.applied("cas") == [("enable", f"{subscription.number}-tv-total")]
