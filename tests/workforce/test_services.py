"""Write paths of the workforce app: every transition allowed and refused,
order generation with its equipment, booking, the checks of a manual
assignment, the technician's submissions, and equipment moved on
completion. Given / when / then; every refused call changes nothing."""

from __future__ import annotations

import base64
from datetime import time, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from inventory.choices import ItemState
from inventory.models import EquipmentItem, EquipmentMovement
from tests.workforce.conftest import (
    PATHS,
    error_code,
    make_address,
    make_technician,
    png_data_url,
    profile_of,
    van_of,
    window,
)
from workforce import errors, services, signals
from workforce.choices import AppointmentStatus, OriginKind, Skill, WorkOrderState
from workforce.models import Appointment, WorkOrder, WorkOrderEvent, WorkOrderItem

pytestmark = pytest.mark.django_db

STATES = list(PATHS)

# service -> (states it is allowed from, state it leads to)
ALLOWED = {
    "book": ({"generated", "scheduled", "assigned"}, "scheduled"),
    "assign": ({"scheduled", "assigned"}, "assigned"),
    "unassign": ({"assigned"}, "scheduled"),
    "dispatch": ({"assigned"}, "dispatched"),
    "start_travel": ({"dispatched"}, "en_route"),
    "arrive": ({"en_route"}, "on_site"),
    "complete": ({"on_site"}, "completed"),
    "fail": ({"dispatched", "en_route", "on_site"}, "failed"),
    "cancel": ({"generated", "scheduled", "assigned", "dispatched"}, "cancelled"),
}


def snapshot(order: WorkOrder) -> dict:
    """What a refused call must leave as it was: the order, its timeline,
    every appointment and every item with its ledger."""
    fresh = WorkOrder.objects.get(pk=order.pk)
    return {
        "order": {name: getattr(fresh, name) for name in (
            "state", "technician_id", "planned_start", "route_position", "scheduled_date",
            "window_start", "window_end", "unassigned_reason", "failure_reason", "signature",
            "signed_by", "result_note", "finished_at")},
        "events": list(WorkOrderEvent.objects.order_by("id").values_list("id", flat=True)),
        "appointments": sorted(Appointment.objects.values_list(
            "id", "status", "technician_id", "window_start")),
        "items": sorted(EquipmentItem.objects.values_list(
            "id", "state", "location_id", "customer_id", "subscription_ref")),
        "lines": sorted(WorkOrderItem.objects.values_list("id", "item_id", "done")),
        "movements": EquipmentMovement.objects.count(),
    }


def refused(call, field: str | None = None) -> str:
    with pytest.raises(ValidationError) as caught:
        call()
    return error_code(caught.value, field)


@pytest.fixture
def act(dispatcher, other_technician, tomorrow, png_signature):
    """act(name, order): call the service `name` the way a dispatcher would."""
    calls = {
        "book": lambda order: services.appointment_book(
            work_order=order, window_start=window(tomorrow, 12)[0], actor=dispatcher),
        "assign": lambda order: services.work_order_assign(
            work_order=order, technician=other_technician, actor=dispatcher),
        "unassign": lambda order: services.work_order_unassign(work_order=order,
                                                               actor=dispatcher),
        "dispatch": lambda order: services.work_order_dispatch(work_order=order,
                                                               actor=dispatcher),
        "start_travel": lambda order: services.work_order_start_travel(work_order=order,
                                                                       actor=dispatcher),
        "arrive": lambda order: services.work_order_arrive(work_order=order, actor=dispatcher),
        "complete": lambda order: services.work_order_complete(
            work_order=order, actor=dispatcher, signature=png_signature, signed_by="Alice"),
        "fail": lambda order: services.work_order_fail(work_order=order, reason="no_access",
                                                       actor=dispatcher),
        "cancel": lambda order: services.work_order_cancel(work_order=order, actor=dispatcher),
    }
    return lambda name, order: calls[name](order)


@pytest.mark.parametrize("state", STATES)
@pytest.mark.parametrize("action", list(ALLOWED))
def test_every_transition_is_allowed_or_refused(action, state, make_order, make_box, walk, act,
                                                dispatcher):
    # Given an order with a reserved box, walked to `state` through the services
    order = walk(make_order(install_items=[make_box()]), state)
    sources, target = ALLOWED[action]
    before = snapshot(order)
    if state in sources:
        # When the allowed service is called
        act(action, order)
        # Then the order reaches the target with exactly one new event
        order.refresh_from_db()
        assert order.state == target
        new = list(WorkOrderEvent.objects.filter(work_order=order)
                   .exclude(pk__in=before["events"]))
        assert [(event.from_state, event.to_state, event.actor_id) for event in new] == [
            (state, target, dispatcher.pk)]
    else:
        # When a refused one is called, it says so and nothing changes
        assert refused(lambda: act(action, order)) == errors.ILLEGAL_TRANSITION
        assert snapshot(order) == before


def test_a_transition_event_names_the_action_and_the_window(make_order, book, dispatcher,
                                                            technician):
    order = make_order()
    book(order, 10)
    services.work_order_assign(work_order=order, technician=technician, actor=dispatcher)
    timeline = list(WorkOrderEvent.objects.filter(work_order=order).order_by("id")
                    .values_list("action", "from_state", "to_state"))
    assert timeline == [("generated", "", "generated"), ("scheduled", "generated", "scheduled"),
                        ("assigned", "scheduled", "assigned")]
    scheduled = WorkOrderEvent.objects.get(work_order=order, action="scheduled")
    order.refresh_from_db()
    start = timezone.localtime(order.window_start)
    assert scheduled.payload == {"window": f"{start:%Y-%m-%d} 10:00–12:00"}


# -- generation -------------------------------------------------------------


def test_it_generates_an_order_in_the_zone_of_the_address_with_its_items_reserved(
        make_order, make_box, zone, alice_customer, operator):
    box = make_box()
    order = make_order(install_items=[box], origin_kind=OriginKind.SUBSCRIPTION_ORDER,
                       origin_ref="SUB-42", priority=3, notes="Third floor")
    assert order.state == WorkOrderState.GENERATED
    assert order.number.startswith("W")
    assert (order.zone, order.required_skills, order.priority) == (zone, ["cable_install"], 3)
    box.refresh_from_db()
    assert (box.state, box.customer, box.subscription_ref) == (
        ItemState.RESERVED, alice_customer, "SUB-42")
    assert list(order.equipment.values_list("item", "direction", "done")) == [
        (box.pk, "install", False)]
    event = WorkOrderEvent.objects.get(work_order=order)
    assert (event.action, event.from_state, event.to_state, event.actor) == (
        "generated", "", "generated", operator)
    assert event.payload == {"kind": "install", "origin": "subscription_order:SUB-42"}


def test_it_keeps_an_item_already_reserved_for_the_customer(make_order, make_box):
    box = make_box()
    make_order(install_items=[box])
    movements = EquipmentMovement.objects.filter(item=box).count()
    second = make_order(install_items=[box])
    assert EquipmentMovement.objects.filter(item=box).count() == movements
    assert second.equipment.get().item == box


def test_it_refuses_an_item_held_for_another_customer_and_creates_nothing(
        make_order, make_box, bob_customer, bob_address):
    box = make_box()
    make_order(customer=bob_customer, address=bob_address, install_items=[box])
    orders = WorkOrder.objects.count()
    code = refused(lambda: make_order(install_items=[box]), "item")
    assert code == "held_for_another_customer"
    assert WorkOrder.objects.count() == orders
    box.refresh_from_db()
    assert box.customer == bob_customer


def test_it_refuses_to_recover_what_is_not_installed_at_the_customer(make_order, make_box):
    box = make_box()
    orders = WorkOrder.objects.count()
    code = refused(lambda: make_order(kind="recover", skills=[], recover_items=[box]),
                   "recover_items")
    assert code == errors.EQUIPMENT_MISMATCH
    assert WorkOrder.objects.count() == orders


def test_a_recovery_needs_the_recovery_skill_by_default(make_order, installed_box):
    order = make_order(kind="recover", skills=[], recover_items=[installed_box])
    assert order.required_skills == [Skill.EQUIPMENT_RECOVERY]
    assert list(order.equipment.values_list("direction", flat=True)) == ["recover"]


def test_an_installation_must_say_which_skills_it_needs(make_order):
    assert refused(lambda: make_order(skills=[]), "required_skills") == "required"


def test_it_refuses_unknown_skills_and_another_customers_address(make_order, bob_address):
    assert refused(lambda: make_order(skills=["juggling"]), "required_skills") == \
        "invalid_choice"
    assert refused(lambda: make_order(address=bob_address), "service_address") == \
        errors.WRONG_CUSTOMER
    assert WorkOrder.objects.count() == 0


def test_an_address_outside_every_zone_gets_no_zone_and_cannot_be_booked(
        make_order, alice_customer, operator, book, zone):
    address = make_address(alice_customer, actor=operator, postal_code="41001")
    order = make_order(address=address)
    assert order.zone is None
    before = snapshot(order)
    assert refused(lambda: book(order, 10), "window_start") == errors.OUTSIDE_ZONE
    assert snapshot(order) == before


# -- booking ----------------------------------------------------------------


def test_booking_holds_the_time_of_a_technician(make_order, book, technician, tomorrow):
    order = make_order(minutes=90)
    appointment = book(order, 14)
    start, end = window(tomorrow, 14)
    assert (appointment.technician, appointment.date, appointment.window_start,
            appointment.window_end, appointment.minutes, appointment.status) == (
        profile_of(technician), tomorrow, start, end, 90, AppointmentStatus.BOOKED)
    order.refresh_from_db()
    assert (order.state, order.scheduled_date, order.window_start, order.window_end) == (
        WorkOrderState.SCHEDULED, tomorrow, start, end)


def test_booking_again_reschedules_and_keeps_the_old_appointment(make_order, book, tomorrow,
                                                                technician):
    order = make_order()
    first = book(order, 8)
    second = book(order, 14, tomorrow + timedelta(days=1))
    first.refresh_from_db()
    assert first.status == AppointmentStatus.RESCHEDULED
    assert second.status == AppointmentStatus.BOOKED
    order.refresh_from_db()
    assert order.scheduled_date == tomorrow + timedelta(days=1)
    assert list(order.events.order_by("id").values_list("action", flat=True)) == [
        "generated", "scheduled", "rescheduled"]


def test_booking_goes_to_the_least_loaded_technician(make_order, book, technician,
                                                     other_technician, bob_customer,
                                                     bob_address):
    first = book(make_order(), 8)
    second = book(make_order(customer=bob_customer, address=bob_address), 8)
    assert {first.technician.user, second.technician.user} == {technician, other_technician}


@pytest.mark.parametrize("moment", ["09:00", "yesterday", "18:00"])
def test_it_books_only_an_offered_window_not_yet_begun(moment, make_order, tomorrow,
                                                       technician, operator):
    order = make_order()
    if moment == "yesterday":
        start = window(tomorrow - timedelta(days=2), 10)[0]
    else:
        hour, minute = (int(part) for part in moment.split(":"))
        start = timezone.make_aware(timezone.datetime.combine(tomorrow, time(hour, minute)))
    before = snapshot(order)
    code = refused(lambda: services.appointment_book(work_order=order, window_start=start,
                                                     actor=operator), "window_start")
    assert code == errors.NO_SLOT
    assert snapshot(order) == before


@pytest.mark.parametrize("change", ["skill", "zone", "day_off", "absent", "shift",
                                    "inactive", "account_disabled"])
def test_a_window_nobody_can_take_is_not_offered(change, make_order, technician, dispatcher,
                                                 other_zone, tomorrow, book):
    profile = profile_of(technician)
    if change == "skill":
        profile.skills = [Skill.SITE_SURVEY]
    elif change == "zone":
        profile.zones.set([other_zone])
    elif change == "day_off":
        profile.work_days = [day for day in range(7) if day != tomorrow.weekday()]
    elif change == "absent":
        services.absence_add(technician=profile, start_date=tomorrow, end_date=tomorrow,
                             actor=dispatcher)
    elif change == "shift":
        profile.shift_start = time(12)
    elif change == "inactive":
        profile.is_active = False
    else:
        technician.is_active = False
        technician.save(update_fields=["is_active"])
    profile.save()
    order = make_order()
    before = snapshot(order)
    assert refused(lambda: book(order, 10), "window_start") == errors.NO_SLOT
    assert snapshot(order) == before


def test_a_full_window_is_taken(make_order, book, technician, bob_customer, bob_address):
    profile = profile_of(technician)
    profile.daily_capacity = 1
    profile.save(update_fields=["daily_capacity"])
    book(make_order(), 8)
    order = make_order(customer=bob_customer, address=bob_address)
    before = snapshot(order)
    assert refused(lambda: book(order, 10), "window_start") == errors.SLOT_TAKEN
    assert snapshot(order) == before


# -- assignment ---------------------------------------------------------------


@pytest.fixture
def booked(make_order, book, technician):
    """An order for alice booked tomorrow 10:00-12:00, held with the technician."""
    order = make_order()
    book(order, 10)
    order.refresh_from_db()
    return order


def assign(order, user, actor, planned_start=None):
    return services.work_order_assign(work_order=order, technician=user, actor=actor,
                                      planned_start=planned_start)


def test_assigning_moves_the_appointment_hold(booked, other_technician, dispatcher):
    start = booked.window_start + timedelta(minutes=30)
    assign(booked, other_technician, dispatcher, start)
    booked.refresh_from_db()
    assert (booked.state, booked.technician, booked.planned_start) == (
        WorkOrderState.ASSIGNED, other_technician, start)
    assert Appointment.objects.get(work_order=booked).technician == profile_of(other_technician)
    event = booked.events.latest("id")
    assert event.action == "assigned"
    assert event.payload["technician"] == "ursula"


def test_assigning_again_is_a_reassignment(booked, technician, other_technician, dispatcher):
    assign(booked, technician, dispatcher)
    assign(booked, other_technician, dispatcher)
    assert booked.events.latest("id").action == "reassigned"
    assert Appointment.objects.get(work_order=booked).technician == profile_of(other_technician)


def _change(user, **fields):
    profile = profile_of(user)
    for name, value in fields.items():
        setattr(profile, name, value)
    profile.save()
    return profile


@pytest.mark.parametrize("case, field, code", [
    ("missing_skill", "technician", errors.MISSING_SKILL),
    ("outside_zone", "technician", errors.OUTSIDE_ZONE),
    ("day_off", "technician", errors.ABSENT),
    ("absent", "technician", errors.ABSENT),
    ("before_shift", "planned_start", errors.OUTSIDE_HOURS),
    ("after_shift", "planned_start", errors.OUTSIDE_HOURS),
    ("outside_window", "planned_start", errors.OUTSIDE_HOURS),
    ("overlap", "planned_start", errors.OVERLAP),
    ("over_capacity", "technician", errors.OVER_CAPACITY),
    ("not_a_technician", "technician", errors.NOT_A_TECHNICIAN),
    ("account_disabled", "technician", errors.NOT_A_TECHNICIAN),
])
def test_assignment_checks(case, field, code, booked, other_technician, other_zone, dispatcher,
                           operator, make_order, book, bob_customer, bob_address, tomorrow):
    user, start = other_technician, None
    if case == "missing_skill":
        _change(other_technician, skills=[Skill.SATELLITE_INSTALL])
    elif case == "outside_zone":
        profile_of(other_technician).zones.set([other_zone])
    elif case == "day_off":
        _change(other_technician, work_days=[day for day in range(7)
                                             if day != tomorrow.weekday()])
    elif case == "absent":
        services.absence_add(technician=profile_of(other_technician), start_date=tomorrow,
                             end_date=tomorrow + timedelta(days=3), actor=dispatcher)
    elif case == "before_shift":
        _change(other_technician, shift_start=time(11))
    elif case == "after_shift":
        _change(other_technician, shift_end=time(11, 30))
        start = booked.window_start + timedelta(minutes=45)
    elif case == "outside_window":
        start = booked.window_end + timedelta(minutes=1)
    elif case in ("overlap", "over_capacity"):
        other = make_order(customer=bob_customer, address=bob_address)
        book(other, 10)
        assign(other, other_technician, dispatcher,
               window(tomorrow, 10)[0] + timedelta(minutes=30))
        if case == "over_capacity":
            _change(other_technician, daily_capacity=1)
            start = booked.window_end  # after the other one: no overlap
    elif case == "not_a_technician":
        user = operator
    elif case == "account_disabled":
        other_technician.is_active = False
        other_technician.save(update_fields=["is_active"])
    before = snapshot(booked)
    assert refused(lambda: assign(booked, user, dispatcher, start), field) == code
    assert snapshot(booked) == before


def test_an_order_without_appointment_cannot_be_assigned(make_order, technician, dispatcher):
    order = make_order()
    before = snapshot(order)
    assert refused(lambda: assign(order, technician, dispatcher),
                   "state") == errors.ILLEGAL_TRANSITION
    assert snapshot(order) == before


def test_unassigning_puts_the_order_back_in_the_queue(booked, technician, dispatcher):
    assign(booked, technician, dispatcher)
    services.work_order_unassign(work_order=booked, actor=dispatcher, reason="Sick")
    booked.refresh_from_db()
    assert (booked.state, booked.technician, booked.planned_start) == (
        WorkOrderState.SCHEDULED, None, None)
    event = booked.events.latest("id")
    assert (event.action, event.reason) == ("unassign", "Sick")


def test_dispatching_a_day(make_order, book, technician, other_technician, dispatcher,
                           bob_customer, bob_address, tomorrow):
    mine, theirs, queued = (make_order(), make_order(customer=bob_customer, address=bob_address),
                            make_order())
    for order in (mine, theirs, queued):
        book(order, 12)
    assign(mine, technician, dispatcher)
    assign(theirs, other_technician, dispatcher)
    assert services.dispatch_day(day=tomorrow, actor=dispatcher, technician=technician) == 1
    assert services.dispatch_day(day=tomorrow, actor=dispatcher) == 1
    states = {order.pk: order.state for order in WorkOrder.objects.all()}
    assert states == {mine.pk: "dispatched", theirs.pk: "dispatched", queued.pk: "scheduled"}


# -- the technician's submissions ------------------------------------------


@pytest.mark.parametrize("step", ["start_travel", "arrive", "fail"])
def test_another_technician_may_not_move_an_order(step, make_order, walk, other_technician):
    order = walk(make_order(), {"start_travel": "dispatched", "arrive": "en_route",
                                "fail": "dispatched"}[step])
    call = getattr(services, f"work_order_{step}")
    extra = {"reason": "no_access"} if step == "fail" else {}
    before = snapshot(order)
    assert refused(lambda: call(work_order=order, actor=other_technician, **extra),
                   "work_order") == errors.NOT_YOUR_ORDER
    assert snapshot(order) == before


def test_the_assigned_technician_moves_the_order_and_a_repeated_form_counts_once(
        make_order, walk, technician):
    order = walk(make_order(), "dispatched")
    for _attempt in range(2):
        services.work_order_start_travel(work_order=order, actor=technician,
                                         submission_id="tok-1")
        services.work_order_arrive(work_order=order, actor=technician, submission_id="tok-2")
    order.refresh_from_db()
    assert order.state == WorkOrderState.ON_SITE
    assert list(order.events.order_by("id").values_list("action", flat=True))[-2:] == [
        "en_route", "on_site"]
    assert order.events.count() == 6


def test_failing_needs_a_known_reason(make_order, walk, technician):
    order = walk(make_order(), "dispatched")
    before = snapshot(order)
    assert refused(lambda: services.work_order_fail(work_order=order, reason="bored",
                                                    actor=technician), "reason") == \
        "invalid_choice"
    assert snapshot(order) == before


@pytest.mark.parametrize("signature, code", [
    ("", errors.SIGNATURE_REQUIRED),
    ("data:image/jpeg;base64,/9j/4AAQ", errors.BAD_SIGNATURE),
    ("data:image/png;base64,not base64!", errors.BAD_SIGNATURE),
    ("data:image/png;base64,aGVsbG8=", errors.BAD_SIGNATURE),
    ("big", errors.BAD_SIGNATURE),
])
def test_completion_needs_a_readable_png_signature(signature, code, make_order, walk,
                                                   technician):
    if signature == "big":  # a PNG, but over 300 KB
        signature = "data:image/png;base64," + base64.b64encode(
            base64.b64decode(png_data_url().split(",")[1]) + b"\0" * 310 * 1024).decode()
    order = walk(make_order(), "on_site")
    before = snapshot(order)
    assert refused(lambda: services.work_order_complete(
        work_order=order, actor=technician, signature=signature), "signature") == code
    assert snapshot(order) == before


def test_check_signature_accepts_a_real_png(png_signature):
    assert services.check_signature(png_signature) == png_signature


# -- equipment on completion -------------------------------------------------


@pytest.fixture
def on_site(make_order, make_box, walk):
    """On site at alice's for a subscription order, with a box reserved for it."""
    reserved = make_box()
    order = make_order(install_items=[reserved], origin_kind=OriginKind.SUBSCRIPTION_ORDER,
                       origin_ref="SUB-42")
    walk(order, "on_site")
    reserved.refresh_from_db()
    return order, reserved


def complete(order, actor, signature, **extra):
    return services.work_order_complete(work_order=order, actor=actor, signature=signature,
                                        signed_by=" Alice Liddell ", **extra)


def test_completion_installs_from_the_van_recovers_into_it_and_releases_the_rest(
        on_site, van_boxes, installed_box, technician, png_signature, alice_customer,
        alice_address, django_capture_on_commit_callbacks):
    order, reserved = on_site
    new_box = van_boxes[0]
    with django_capture_on_commit_callbacks(execute=True):
        complete(order, technician, png_signature, installed=[new_box.serial_number.lower()],
                 recovered=[f" {installed_box.serial_number} "], note="All fine")
    order.refresh_from_db()
    assert (order.state, order.signed_by, order.result_note, order.signature) == (
        WorkOrderState.COMPLETED, "Alice Liddell", "All fine", png_signature)
    assert order.finished_at is not None
    new_box.refresh_from_db()
    assert (new_box.state, new_box.customer, new_box.service_address, new_box.location,
            new_box.subscription_ref) == (ItemState.INSTALLED, alice_customer, alice_address,
                                          None, "SUB-42")
    assert new_box.movements.latest("id").work_order_ref == order.number
    installed_box.refresh_from_db()
    assert (installed_box.state, installed_box.location, installed_box.customer) == (
        ItemState.RETURNED, van_of(technician), None)
    reserved.refresh_from_db()
    assert (reserved.state, reserved.customer) == (ItemState.IN_STOCK, None)
    assert sorted(order.equipment.values_list("item__serial_number", "direction", "done")) == \
        sorted([(reserved.serial_number, "install", False),
                (new_box.serial_number, "install", True),
                (installed_box.serial_number, "recover", True)])
    event = order.events.latest("id")
    assert event.payload == {"installed": [new_box.serial_number],
                             "recovered": [installed_box.serial_number]}


def test_completion_installs_the_reserved_item(on_site, technician, png_signature,
                                               alice_customer):
    order, reserved = on_site
    complete(order, technician, png_signature, installed=[reserved.serial_number])
    reserved.refresh_from_db()
    assert (reserved.state, reserved.customer, reserved.subscription_ref) == (
        ItemState.INSTALLED, alice_customer, "SUB-42")
    assert order.equipment.get().done is True


@pytest.mark.parametrize("where", ["unknown", "other_van", "warehouse", "other_customer"])
def test_completion_refuses_equipment_it_cannot_account_for(
        where, on_site, van_boxes, technician, other_technician, load_van, make_box,
        png_signature, bob_customer, bob_address, clerk):
    order, _reserved = on_site
    if where == "unknown":
        serial = "NOPE-404"
    elif where == "other_van":
        serial = load_van(other_technician)[0].serial_number
    elif where == "warehouse":
        serial = make_box().serial_number
    else:
        from inventory import services as inventory

        box = make_box()
        inventory.equipment_item_reserve(item=box, customer=bob_customer, actor=clerk)
        serial = box.serial_number
    before = snapshot(order)
    # a good serial first: it must not move either when the second is refused
    code = refused(lambda: complete(order, technician, png_signature,
                                    installed=[van_boxes[0].serial_number, serial]),
                   "installed")
    assert code == errors.EQUIPMENT_MISMATCH
    assert snapshot(order) == before


def test_completion_refuses_to_recover_what_the_customer_does_not_have(
        on_site, van_boxes, technician, png_signature):
    order, _reserved = on_site
    before = snapshot(order)
    assert refused(lambda: complete(order, technician, png_signature,
                                    recovered=[van_boxes[1].serial_number]),
                   "recovered") == errors.EQUIPMENT_MISMATCH
    assert snapshot(order) == before


def test_the_same_completion_sent_twice_is_done_once(
        on_site, van_boxes, technician, png_signature, django_capture_on_commit_callbacks):
    order, _reserved = on_site
    completed = []
    signals.work_order_completed.connect(
        lambda sender, work_order, **kwargs: completed.append(work_order.pk), weak=False,
        dispatch_uid="test-twice")
    try:
        for _attempt in range(2):
            with django_capture_on_commit_callbacks(execute=True):
                complete(order, technician, png_signature,
                         installed=[van_boxes[0].serial_number], submission_id="sub-1")
    finally:
        signals.work_order_completed.disconnect(dispatch_uid="test-twice")
    assert completed == [order.pk]
    assert order.events.filter(action="completed").count() == 1
    assert EquipmentMovement.objects.filter(item=van_boxes[0], action="installed").count() == 1


def test_completed_and_failed_signals_are_sent_once_after_commit(
        make_order, walk, technician, png_signature, django_capture_on_commit_callbacks):
    received = []

    def on_completed(sender, work_order, **kwargs):
        received.append(("completed", work_order.pk, work_order.state))

    def on_failed(sender, work_order, reason, **kwargs):
        received.append(("failed", work_order.pk, reason))

    signals.work_order_completed.connect(on_completed)
    signals.work_order_failed.connect(on_failed)
    try:
        done = walk(make_order(), "on_site", hour=8)
        failed = walk(make_order(), "en_route", hour=14)
        # Not before the commit
        with django_capture_on_commit_callbacks(execute=False) as pending:
            complete(done, technician, png_signature)
            services.work_order_fail(work_order=failed, reason="customer_absent",
                                     actor=technician, note="Nobody home")
        assert received == []
        assert len(pending) == 2
        # Once the transaction commits, once each
        for callback in pending:
            callback()
        assert received == [("completed", done.pk, "completed"),
                            ("failed", failed.pk, "customer_absent")]
        # A refused completion sends nothing
        with (django_capture_on_commit_callbacks(execute=True) as pending,
              pytest.raises(ValidationError)):
            complete(done, technician, png_signature)
        assert pending == [] and len(received) == 2
    finally:
        signals.work_order_completed.disconnect(on_completed)
        signals.work_order_failed.disconnect(on_failed)
    failed.refresh_from_db()
    assert (failed.failure_reason, failed.result_note) == ("customer_absent", "Nobody home")


def test_a_failed_visit_keeps_the_reservations(on_site, technician):
    order, reserved = on_site
    services.work_order_fail(work_order=order, reason="technical", actor=technician)
    reserved.refresh_from_db()
    assert (reserved.state, reserved.customer_id) == (ItemState.RESERVED, order.customer_id)
    assert Appointment.objects.get(work_order=order).status == AppointmentStatus.BOOKED


def test_cancelling_releases_the_equipment_and_the_appointment(make_order, make_box, walk,
                                                               technician, dispatcher,
                                                               load_van, clerk):
    from inventory import services as inventory

    in_van, in_warehouse = make_box(), make_box()
    order = make_order(install_items=[in_van, in_warehouse])
    walk(order, "dispatched")
    in_van.refresh_from_db()
    inventory.equipment_item_hand_over(item=in_van, van=van_of(technician), actor=clerk)
    services.work_order_cancel(work_order=order, actor=dispatcher, reason="Customer moved")
    in_van.refresh_from_db()
    in_warehouse.refresh_from_db()
    assert (in_van.state, in_van.customer, in_van.location) == (
        ItemState.IN_STOCK, None, van_of(technician))
    assert (in_warehouse.state, in_warehouse.customer) == (ItemState.IN_STOCK, None)
    assert Appointment.objects.get(work_order=order).status == AppointmentStatus.CANCELLED
    event = order.events.latest("id")
    assert (event.action, event.reason, event.to_state) == ("cancel", "Customer moved",
                                                            "cancelled")


# -- technicians -------------------------------------------------------------


def test_a_profile_gives_a_van_once(dispatcher, zone):
    user = make_technician("vera", actor=dispatcher, zones=[zone])
    van = van_of(user)
    assert van is not None and van.kind == "van"
    services.technician_profile_save(technician=user, actor=dispatcher,
                                     data={"daily_capacity": 4})
    profile = profile_of(user)
    assert (profile.van, profile.daily_capacity, list(profile.zones.all())) == (van, 4, [zone])


def test_only_field_technicians_get_a_profile(operator, dispatcher):
    assert refused(lambda: services.technician_profile_save(
        technician=operator, actor=dispatcher, data={}), "technician") == errors.NOT_A_TECHNICIAN


def test_a_profile_refuses_bad_values(technician, dispatcher):
    with pytest.raises(ValidationError) as caught:
        services.technician_profile_save(technician=technician, actor=dispatcher, data={
            "shift_start": time(17), "shift_end": time(8)})
    assert "shift_end" in caught.value.error_dict
    with pytest.raises(ValidationError) as caught:
        services.technician_profile_save(technician=technician, actor=dispatcher,
                                         data={"work_days": [7], "skills": ["juggling"]})
    assert set(caught.value.error_dict) == {"work_days", "skills"}
    with pytest.raises(ValueError):
        services.technician_profile_save(technician=technician, actor=dispatcher,
                                         data={"van": None})
    assert profile_of(technician).shift_start == time(8)


def test_an_absence_must_end_after_it_starts(technician, dispatcher, tomorrow):
    profile = profile_of(technician)
    assert refused(lambda: services.absence_add(
        technician=profile, start_date=tomorrow, end_date=tomorrow - timedelta(days=1),
        actor=dispatcher), "end_date") == errors.BAD_RANGE
    assert not profile.absences.exists()


def test_an_item_scanned_by_serial_and_by_mac_moves_once(
        on_site, technician, png_signature, equipment_models, warehouse, clerk,
        alice_customer):
    from inventory import services as inventory
    from tests.inventory.conftest import create_item

    order, _reserved = on_site
    modem = create_item(model=equipment_models.modem, location=warehouse, actor=clerk,
                        mac_address="02:AB:CD:00:00:01")
    inventory.stock_transfer_create(from_location=warehouse, to_location=van_of(technician),
                                    identifiers=[modem.serial_number], actor=clerk)
    complete(order, technician, png_signature,
             installed=[modem.serial_number, "02-ab-cd-00-00-01"])
    modem.refresh_from_db()
    assert (modem.state, modem.customer) == (ItemState.INSTALLED, alice_customer)
    assert order.events.latest("id").payload["installed"] == [modem.serial_number]
    assert EquipmentMovement.objects.filter(item=modem, action="installed").count() == 1
