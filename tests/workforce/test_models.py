"""The workforce models: what the database itself refuses (orderings of
ranges and times, a second booked appointment, a replayed submission), the
validators of skills and working days, the protected state, and the names
shown for each row."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django_fsm import TransitionNotAllowed

from tests.workforce.conftest import profile_of, window
from workforce.choices import AppointmentStatus, WorkOrderState
from workforce.models import (
    Absence,
    Appointment,
    PostcodeRange,
    ScheduleRun,
    TechnicianProfile,
    WorkOrder,
    WorkOrderEvent,
    validate_skills,
    validate_weekdays,
)

pytestmark = pytest.mark.django_db


def refused_by_the_database(write) -> None:
    with pytest.raises(IntegrityError), transaction.atomic():
        write()


def test_the_database_refuses_reversed_ranges_and_times(zone, technician, make_order,
                                                        tomorrow):
    refused_by_the_database(lambda: PostcodeRange.objects.create(zone=zone, first=28020,
                                                                 last=28010))
    profile = profile_of(technician)
    refused_by_the_database(lambda: TechnicianProfile.objects.filter(pk=profile.pk).update(
        shift_start=time(17), shift_end=time(8)))
    refused_by_the_database(lambda: Absence.objects.create(
        technician=profile, start_date=tomorrow, end_date=tomorrow - timedelta(days=1)))
    order = make_order()
    start, _end = window(tomorrow, 10)
    refused_by_the_database(lambda: WorkOrder.objects.filter(pk=order.pk).update(
        window_start=start, window_end=start))


def test_an_order_has_one_booked_appointment_at_most(make_order, book, technician, tomorrow):
    order = make_order()
    held = book(order, 10)

    def second():
        Appointment.objects.create(work_order=order, technician=held.technician, date=tomorrow,
                                   window_start=held.window_start, window_end=held.window_end,
                                   minutes=60)

    refused_by_the_database(second)
    Appointment.objects.create(work_order=order, technician=held.technician, date=tomorrow,
                               window_start=held.window_start, window_end=held.window_end,
                               minutes=60, status=AppointmentStatus.RESCHEDULED)
    assert order.appointments.count() == 2


def test_a_submission_is_recorded_once_per_order(make_order):
    order, other = make_order(), make_order()
    WorkOrderEvent.objects.create(work_order=order, action="x", to_state="generated",
                                  submission_id="form-1")
    refused_by_the_database(lambda: WorkOrderEvent.objects.create(
        work_order=order, action="x", to_state="generated", submission_id="form-1"))
    # another order, or no submission at all, is fine
    WorkOrderEvent.objects.create(work_order=other, action="x", to_state="generated",
                                  submission_id="form-1")
    for _ in range(2):
        WorkOrderEvent.objects.create(work_order=order, action="x", to_state="generated")


def test_the_state_changes_only_through_a_transition(make_order):
    order = make_order()
    with pytest.raises(AttributeError):
        order.state = WorkOrderState.COMPLETED
    with pytest.raises(TransitionNotAllowed):
        order.complete()
    order.refresh_from_db()  # a protected field still reloads
    assert order.state == WorkOrderState.GENERATED


@pytest.mark.parametrize("value, code", [
    (["cable_install", "site_survey"], None),
    ([], None),
    ("cable_install", "invalid"),
    ([3], "invalid"),
    (["cable_install", "juggling"], "invalid_choice"),
])
def test_skills_are_a_list_of_known_skills(value, code):
    if code is None:
        validate_skills(value)
        return
    with pytest.raises(ValidationError) as caught:
        validate_skills(value)
    assert caught.value.code == code


@pytest.mark.parametrize("value, valid", [
    ([0, 6], True), ([], True), ([7], False), ([-1], False), (["1"], False), ("0", False),
])
def test_working_days_are_numbers_from_monday_to_sunday(value, valid):
    if valid:
        validate_weekdays(value)
    else:
        with pytest.raises(ValidationError):
            validate_weekdays(value)


def test_a_profile_cleans_a_reversed_shift(technician):
    profile = profile_of(technician)
    profile.shift_start, profile.shift_end = time(12), time(12)
    with pytest.raises(ValidationError) as caught:
        profile.clean()
    assert caught.value.error_dict["shift_end"][0].code == "shift_order"


def test_rows_name_themselves(zone, technician, make_order, book, tomorrow, dispatcher):
    order = make_order()
    appointment = book(order, 14)
    profile = profile_of(technician)
    absence = Absence.objects.create(technician=profile, start_date=tomorrow,
                                     end_date=tomorrow, reason="Training")
    event = order.events.latest("id")
    order.refresh_from_db()
    appointment = Appointment.objects.get(pk=appointment.pk)  # as read back, in UTC
    run = ScheduleRun.objects.create(date=tomorrow, orders=3, assigned=2)
    assert str(zone) == "Madrid centro"
    assert str(zone.postcode_ranges.get()) == "28001–28015"
    assert str(profile) == "Tomás Torres"
    assert str(absence) == f"Tomás Torres: {tomorrow}–{tomorrow}"
    assert str(order) == order.number
    assert (order.state_label, order.kind_label) == ("Scheduled", "Installation")
    assert str(event) == f"{order.number}: generated → scheduled"
    assert (event.from_state_label, event.to_state_label) == ("Generated", "Scheduled")
    assert str(appointment) == f"{order.number} {tomorrow:%Y-%m-%d} 14:00"
    assert str(run) == f"{tomorrow}: 2/3"
    generated = order.events.earliest("id")
    assert generated.from_state_label == ""
