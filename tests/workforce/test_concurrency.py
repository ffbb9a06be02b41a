"""Races, each racer on its own database connection: sixteen operators
booking the last room in a window for sixteen orders (exactly as many win
as there is room), and a technician's completion sent sixteen times at
once (done once)."""

from __future__ import annotations

import pytest
from django.db import connection

from inventory.choices import ItemState
from inventory.models import EquipmentMovement
from tests.inventory.test_concurrency import RACERS, race
from tests.workforce.conftest import error_code, profile_of, window
from workforce import errors, services
from workforce.choices import AppointmentStatus, WorkOrderState
from workforce.models import Appointment, WorkOrder, WorkOrderEvent


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")


def _outcomes_are_known(outcomes) -> None:
    assert [kind for kind, _ in outcomes if kind not in ("won", "refused")] == [], outcomes


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("capacity", [1, 3])
def test_sixteen_bookings_for_the_last_room_and_only_the_room_is_taken(
        capacity, make_order, technician, dispatcher, operator, tomorrow):
    _needs_postgresql()
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"daily_capacity": capacity})
    orders = [make_order(minutes=30) for _ in range(RACERS)]
    start, _end = window(tomorrow, 10)

    def book(index: int):
        return services.appointment_book(work_order=WorkOrder.objects.get(pk=orders[index].pk),
                                         window_start=start, actor=operator)

    outcomes = race(book)

    _outcomes_are_known(outcomes)
    winners = [result for kind, result in outcomes if kind == "won"]
    assert len(winners) == capacity
    refusals = [result for kind, result in outcomes if kind == "refused"]
    assert len(refusals) == RACERS - capacity
    assert {error_code(refusal, "window_start") for refusal in refusals} == {errors.SLOT_TAKEN}
    booked = Appointment.objects.filter(status=AppointmentStatus.BOOKED)
    assert booked.count() == capacity
    assert set(booked.values_list("technician", flat=True)) == {profile_of(technician).pk}
    assert sorted(booked.values_list("work_order", flat=True)) == sorted(
        winner.work_order_id for winner in winners)
    states = sorted(WorkOrder.objects.values_list("state", flat=True))
    assert states.count(WorkOrderState.SCHEDULED) == capacity
    assert states.count(WorkOrderState.GENERATED) == RACERS - capacity
    assert WorkOrderEvent.objects.filter(action="scheduled").count() == capacity


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_completion_sent_sixteen_times_at_once_is_done_once(
        make_order, walk, technician, van_boxes, png_signature):
    _needs_postgresql()
    order = walk(make_order(), "on_site")
    box = van_boxes[0]

    def complete(_index: int):
        return services.work_order_complete(
            work_order=WorkOrder.objects.get(pk=order.pk), actor=technician,
            signature=png_signature, installed=[box.serial_number], submission_id="same-form")

    outcomes = race(complete)

    _outcomes_are_known(outcomes)
    assert [kind for kind, _ in outcomes] == ["won"] * RACERS
    order.refresh_from_db()
    assert order.state == WorkOrderState.COMPLETED
    assert WorkOrderEvent.objects.filter(work_order=order, action="completed").count() == 1
    box.refresh_from_db()
    assert box.state == ItemState.INSTALLED
    assert EquipmentMovement.objects.filter(item=box, action="installed").count() == 1
