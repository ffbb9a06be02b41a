"""The demo field work: loaded through the services (every order with the
events of the states it went through, windows booked only in the future),
the demo technician's first day dispatched, and loaded twice without
creating anything the second time."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from itertools import pairwise
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth.models import Group

from customers import services as customer_services
from inventory.demo import seed_inventory
from inventory.models import EquipmentItem
from sesmu.models import AuditEvent, User
from tests.factories import UserFactory, make_customer
from tests.workforce.conftest import make_address
from workforce import selectors
from workforce.choices import AppointmentStatus, Skill, WorkOrderState
from workforce.demo import MADRID, ORDERS, ZONES, demo_days, seed_workforce
from workforce.models import (
    Absence,
    Appointment,
    PostcodeRange,
    ScheduleRun,
    TechnicianProfile,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderItem,
    Zone,
)

pytestmark = pytest.mark.django_db

MADRID_TIME = ZoneInfo("Europe/Madrid")
MONDAY_MORNING = datetime(2030, 6, 3, 9, 0, tzinfo=MADRID_TIME)
FRIDAY_AFTERNOON = datetime(2030, 6, 7, 15, 0, tzinfo=MADRID_TIME)
TABLES = [Zone, PostcodeRange, TechnicianProfile, Absence, WorkOrder, WorkOrderEvent,
          WorkOrderItem, Appointment, ScheduleRun, User, EquipmentItem, AuditEvent]
# Where the demo customers live: Madrid (city and around), Barcelona, Valencia,
# Sevilla, Las Palmas and Lanzarote (which no technician covers).
POSTAL_CODES = ["28013", "28045", "28080", "28930", "28100", "28290", "28850", "08012",
                "08208", "46001", "41004", "35002", "35500", "28004", "08905", "46520"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def at(moment: datetime):
    return mock.patch("django.utils.timezone.now", return_value=moment)


@pytest.fixture
def demo_people(db):
    """The demo logins the seeding uses (as seed_demo makes them) and
    sixteen active customers, each with a service address, plus a prospect."""
    for username, role in [("operator", "cc_operator"), ("dispatcher", "dispatcher"),
                           ("technician", "field_technician"), ("clerk", "inventory_clerk")]:
        UserFactory(username=username, roles=[role])
    customers = []
    for seed, postal_code in enumerate(POSTAL_CODES):
        customer = make_customer(seed=seed)
        make_address(customer, postal_code=postal_code)
        customers.append(customer_services.customer_activate(actor=None, customer=customer))
    prospect = make_customer(seed=99)
    make_address(prospect)
    return customers, prospect


def counts() -> dict[str, int]:
    return {table.__name__: table.objects.count() for table in TABLES}


def test_it_covers_every_postal_code_of_the_demo_customers_once():
    ranges = sorted((first, last) for *_rest, postal_ranges in ZONES
                    for first, last in postal_ranges)

    for province in (8, 28, 35, 41, 46):  # seed_demo's provinces, codes 000-999
        for number in range(province * 1000, province * 1000 + 1000):
            assert sum(first <= number <= last for first, last in ranges) == 1, number


def test_its_first_day_is_today_unless_too_late_or_a_weekend():
    saturday = datetime(2030, 6, 8, 10, 0, tzinfo=MADRID_TIME)
    monday, tuesday = date(2030, 6, 3), date(2030, 6, 4)
    wednesday, thursday, next_monday = date(2030, 6, 5), date(2030, 6, 6), date(2030, 6, 10)

    assert demo_days(MONDAY_MORNING) == [monday, tuesday, wednesday, thursday]
    assert demo_days(datetime(2030, 6, 3, 14, 0, tzinfo=MADRID_TIME))[0] == tuesday
    assert demo_days(FRIDAY_AFTERNOON) == [next_monday, date(2030, 6, 11),
                                           date(2030, 6, 12), date(2030, 6, 13)]
    assert demo_days(saturday)[0] == next_monday


def test_it_loads_zones_technicians_and_orders_through_the_services(demo_people):
    customers, prospect = demo_people

    with at(MONDAY_MORNING):
        summary = seed_workforce()

    assert summary == {"zones": len(ZONES), "technicians": 6, "orders_created": len(ORDERS)}
    demo = TechnicianProfile.objects.get(user__username="technician")
    assert (sorted(demo.skills), demo.work_days, demo.daily_capacity) == (
        sorted(Skill.values), [0, 1, 2, 3, 4, 5], 8)
    assert (demo.shift_start, demo.shift_end, demo.home_zone.code) == (time(8), time(17),
                                                                        "madrid-centro")
    assert sorted(zone.code for zone in demo.zones.all()) == sorted(MADRID)
    others = User.objects.filter(username__startswith="technician.")
    assert others.count() == 5
    technicians = Group.objects.get(name="field_technician")
    for user in others:
        assert not user.has_usable_password()
        assert technicians in user.groups.all()
        assert user.technician_profile.van is not None
    assert not WorkOrder.objects.filter(customer=prospect).exists()
    states = {state: WorkOrder.objects.filter(state=state).count()
              for state in WorkOrderState.values}
    assert states["dispatched"] == 4
    assert states["cancelled"] == 1
    assert states["generated"] == 5
    assert states["scheduled"] + states["assigned"] == len(ORDERS) - 10
    absence = Absence.objects.get()
    assert (absence.technician.user.username, absence.start_date, absence.end_date) == (
        "technician.madrid", date(2030, 6, 6), date(2030, 6, 6))
    lanzarote = WorkOrder.objects.get(origin_ref__endswith="-30")
    assert (lanzarote.zone.code, lanzarote.state) == ("lanzarote-fuerteventura", "generated")


def test_it_dispatches_the_demo_technicians_first_day_in_route_order(demo_people):
    with at(MONDAY_MORNING):
        seed_workforce()

    technician = User.objects.get(username="technician")
    my_day = selectors.technician_day(technician=technician, day=date(2030, 6, 3))
    assert [order.state for order in my_day] == ["dispatched"] * 4
    previous_end = None
    for order in my_day:
        assert order.zone.code in MADRID
        assert order.window_start <= order.planned_start <= order.window_end
        assert order.planned_start >= MONDAY_MORNING
        if previous_end is not None:
            assert order.planned_start > previous_end
        previous_end = order.planned_start + timedelta(minutes=order.estimated_minutes)
    assert previous_end.astimezone(MADRID_TIME).time() <= time(17)
    hold = Appointment.objects.filter(work_order__in=my_day, status=AppointmentStatus.BOOKED)
    assert {appointment.technician.user_id for appointment in hold} == {technician.pk}


def test_it_plans_the_second_day_with_the_scheduler(demo_people):
    with at(MONDAY_MORNING):
        seed_workforce()

    tuesday = date(2030, 6, 4)
    run = ScheduleRun.objects.get()
    day_orders = WorkOrder.objects.filter(scheduled_date=tuesday)
    assert run.date == tuesday
    assert run.orders == day_orders.count() == 12
    assert run.assigned == day_orders.filter(state="assigned").count() > 0
    for order in day_orders.filter(state="scheduled"):
        assert order.unassigned_reason
    assert not WorkOrder.objects.filter(scheduled_date__gt=tuesday, state="assigned").exists()


def test_every_order_has_the_events_of_the_states_it_went_through(demo_people):
    with at(MONDAY_MORNING):
        seed_workforce()

    for order in WorkOrder.objects.all():
        events = list(order.events.order_by("id"))
        first, last = events[0], events[-1]
        assert (first.action, first.from_state, first.to_state) == ("generated", "",
                                                                    "generated")
        for earlier, later in pairwise(events):
            assert later.from_state == earlier.to_state, order.number
        assert last.to_state == order.state, order.number
        booked = order.appointments.filter(status=AppointmentStatus.BOOKED)
        if order.state in ("generated", "cancelled"):
            assert not booked.exists()
            assert order.window_start is None or order.state == "cancelled"
        else:
            appointment = booked.get()
            assert appointment.window_start == order.window_start > MONDAY_MORNING
            assert any(event.action == "scheduled" for event in events)
    cancelled = WorkOrder.objects.get(state="cancelled")
    assert cancelled.appointments.get().status == AppointmentStatus.CANCELLED
    assert cancelled.events.order_by("id").last().action == "cancel"


def test_it_books_nothing_in_the_past_late_on_a_friday(demo_people):
    with at(FRIDAY_AFTERNOON):
        seed_workforce()

    assert not Appointment.objects.filter(window_start__lte=FRIDAY_AFTERNOON).exists()
    technician = User.objects.get(username="technician")
    next_monday = date(2030, 6, 10)
    assert len(selectors.technician_day(technician=technician, day=next_monday)) == 4
    assert ScheduleRun.objects.get().date == date(2030, 6, 11)


def test_it_reserves_and_recovers_demo_equipment(demo_people):
    with at(MONDAY_MORNING):
        seed_inventory(customers=3)
        seed_workforce()

    technician = User.objects.get(username="technician")
    install = WorkOrder.objects.get(origin_ref__endswith="-01")
    lines = list(install.equipment.select_related("item__model", "item__location"))
    assert sorted(line.item.model.code for line in lines) == ["nagra-merlin", "sagemcom-dsi87"]
    for line in lines:
        assert (line.direction, line.item.state, line.item.customer_id) == (
            "install", "reserved", install.customer_id)
        assert line.item.location.technician_id == technician.pk
    recoveries = WorkOrder.objects.filter(kind="recover", equipment__isnull=False).distinct()
    assert recoveries.exists()
    for order in recoveries:
        assert {line.item.customer_id for line in order.equipment.all()} == {order.customer_id}


def test_it_creates_nothing_the_second_time(demo_people):
    with at(MONDAY_MORNING):
        seed_workforce()
    before = counts()

    with at(MONDAY_MORNING.replace(hour=11)):
        summary = seed_workforce()

    assert counts() == before
    assert summary["orders_created"] == 0


def test_it_adds_a_batch_once_the_last_one_is_in_the_past(demo_people):
    with at(MONDAY_MORNING):
        seed_workforce()

    with at(datetime(2030, 6, 6, 9, 0, tzinfo=MADRID_TIME)):  # Thursday: Thursday is ahead
        assert seed_workforce()["orders_created"] == 0
    with at(datetime(2030, 6, 17, 9, 0, tzinfo=MADRID_TIME)):
        assert seed_workforce()["orders_created"] == len(ORDERS)
    assert ScheduleRun.objects.count() == 2


def test_it_loads_zones_and_technicians_without_customers(db):
    UserFactory(username="technician", roles=["field_technician"])

    summary = seed_workforce()

    assert summary == {"zones": len(ZONES), "technicians": 6, "orders_created": 0}
