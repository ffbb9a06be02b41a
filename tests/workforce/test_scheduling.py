"""The scheduler: the guarantees of workforce.scheduling on random days
(both strategies), the heuristic against first-fit on realistic days, and
the automatic run applied to a day in the database."""

from __future__ import annotations

import dataclasses
import math
from collections import Counter

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.workforce.conftest import profile_of
from workforce import scheduling, services
from workforce.benchmarks import generate_day
from workforce.choices import AppointmentStatus, Skill, WorkOrderState
from workforce.models import Appointment, ScheduleRun, WorkOrderEvent
from workforce.scheduling import OrderToPlan, TechnicianDay

STRATEGIES = ["first_fit", "zone_insertion"]
ZONE_POINTS = {1: (0.0, 0.0), 2: (3.0, 4.0), 3: (25.0, 5.0), 4: (8.0, 40.0), 5: (8.5, 40.5)}
UNCOVERED_ZONE = 9
ABSENT_TECHNICIAN = 999
SKILLS = ["cable_install", "cable_repair", "equipment_recovery", "site_survey"]
WINDOW_STARTS = [8 * 60, 10 * 60, 12 * 60, 14 * 60, 16 * 60]
REASONS = {scheduling.NO_SKILL, scheduling.NO_ZONE, scheduling.NO_TIME, scheduling.NOT_WORKING}


# -- the guarantees, on random days ----------------------------------------


@st.composite
def technicians(draw, tech_id: int) -> TechnicianDay:
    zones = draw(st.sets(st.sampled_from(sorted(ZONE_POINTS)), min_size=1, max_size=3))
    start = draw(st.sampled_from([7 * 60, 8 * 60, 9 * 60, 12 * 60]))
    return TechnicianDay(
        id=tech_id,
        skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), min_size=1, max_size=4))),
        zones=frozenset(zones),
        home=ZONE_POINTS[draw(st.sampled_from(sorted(zones)))],
        start=start,
        end=start + draw(st.sampled_from([180, 300, 480, 540, 600])),
        capacity=draw(st.integers(1, 8)),
    )


@st.composite
def orders(draw, order_id: int) -> OrderToPlan:
    zone = draw(st.sampled_from([*ZONE_POINTS, UNCOVERED_ZONE, None]))
    window_start = draw(st.sampled_from(WINDOW_STARTS))
    return OrderToPlan(
        id=order_id,
        skills=frozenset(draw(st.sets(st.sampled_from(SKILLS), min_size=1, max_size=2))),
        zone=zone,
        point=ZONE_POINTS.get(zone, (60.0, 60.0)),
        window_start=window_start,
        window_end=window_start + 120,
        minutes=draw(st.integers(10, 240)),
        priority=draw(st.integers(1, 4)),
    )


@st.composite
def days(draw) -> tuple[list[TechnicianDay], list[OrderToPlan]]:
    """Up to 5 technicians and 30 orders; a few orders already dispatched to
    a technician who can do them (in a route that still fits)."""
    crew = [draw(technicians(100 + index)) for index in range(draw(st.integers(0, 5)))]
    work = [draw(orders(index + 1)) for index in range(draw(st.integers(0, 30)))]
    fixed: dict[int, list[OrderToPlan]] = {tech.id: [] for tech in crew}
    for index, order in enumerate(work):
        if draw(st.integers(0, 5)) != 0:
            continue
        if not crew or draw(st.integers(0, 3)) == 0:  # its technician is not working
            work[index] = dataclasses.replace(order, fixed_technician=ABSENT_TECHNICIAN)
            continue
        tech = draw(st.sampled_from(crew))
        route = sorted([*fixed[tech.id], order], key=lambda each: each.window_start)
        if (scheduling.eligible(tech, order) and len(route) <= tech.capacity
                and scheduling.timed(tech, route) is not None):
            work[index] = dataclasses.replace(order, fixed_technician=tech.id)
            fixed[tech.id].append(work[index])
    return crew, work


def travel(previous: OrderToPlan | None, tech: TechnicianDay, order: OrderToPlan) -> float:
    if previous is None:
        return math.dist(tech.home, order.point)
    if previous.zone is not None and previous.zone == order.zone:
        return scheduling.SAME_ZONE_KM
    return math.dist(previous.point, order.point)


def assert_keeps_the_rules(crew: list[TechnicianDay], work: list[OrderToPlan],
                           plan: scheduling.Plan) -> None:
    by_id = {tech.id: tech for tech in crew}
    placed: Counter[int] = Counter()
    total_km = 0.0
    for tech_id, visits in plan.routes.items():
        tech = by_id[tech_id]
        assert 0 < len(visits) <= tech.capacity
        clock, previous = tech.start, None
        for visit in visits:
            order = visit.order
            placed[order.id] += 1
            # the skills and the zone
            assert order.skills <= tech.skills
            assert order.zone in tech.zones
            # in the window, in the shift, after the travel from the last visit
            assert order.window_start <= visit.start <= order.window_end
            km = travel(previous, tech, order)
            total_km += km
            assert visit.start >= clock + math.ceil(km / scheduling.SPEED_KM_PER_MINUTE)
            assert tech.start <= visit.start
            clock, previous = visit.start + order.minutes, order
            if order.fixed_technician is not None:
                assert order.fixed_technician == tech_id
        assert clock <= tech.end  # the day ends before the shift does
    assert math.isclose(total_km, plan.travel_km, abs_tol=1e-6)
    # every order on exactly one route or listed, with a reason
    for order in work:
        assert placed[order.id] + (order.id in plan.unassigned) == 1, order
        if order.fixed_technician in by_id:
            assert order.id not in plan.unassigned
    assert set(plan.unassigned.values()) <= REASONS
    for order_id, reason in plan.unassigned.items():
        order = next(each for each in work if each.id == order_id)
        if order.fixed_technician is not None:
            assert order.fixed_technician not in by_id
            assert reason == scheduling.NOT_WORKING
            continue
        skilled = [tech for tech in crew if order.skills <= tech.skills]
        expected = (scheduling.NO_SKILL if not skilled
                    else scheduling.NO_ZONE if not any(order.zone in tech.zones
                                                       for tech in skilled)
                    else scheduling.NO_TIME)
        assert reason == expected
    assert plan.assigned == sum(placed.values())


@pytest.mark.parametrize("strategy", STRATEGIES)
@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(day=days())
def test_every_plan_keeps_the_rules(strategy, day):
    crew, work = day
    plan = scheduling.STRATEGIES[strategy](crew, work)
    assert_keeps_the_rules(crew, work, plan)


def test_a_lone_order_goes_to_the_one_technician_who_can():
    able = TechnicianDay(id=1, skills=frozenset({"cable_install"}), zones=frozenset({1}),
                         home=(0.0, 0.0), start=480, end=1020, capacity=8)
    unskilled = dataclasses.replace(able, id=2, skills=frozenset({"site_survey"}))
    elsewhere = dataclasses.replace(able, id=3, zones=frozenset({2}))
    order = OrderToPlan(id=7, skills=frozenset({"cable_install"}), zone=1, point=(3.0, 4.0),
                        window_start=600, window_end=720, minutes=60)
    for strategy in STRATEGIES:
        plan = scheduling.STRATEGIES[strategy]([elsewhere, unskilled, able], [order])
        assert {tech: [(visit.order.id, visit.start) for visit in visits]
                for tech, visits in plan.routes.items()} == {1: [(7, 600)]}
        assert plan.unassigned == {}
        assert plan.travel_km == 5.0


def test_reasons_for_what_stays_unassigned():
    tech = TechnicianDay(id=1, skills=frozenset({"cable_install"}), zones=frozenset({1}),
                         home=(0.0, 0.0), start=480, end=600, capacity=1)
    base = OrderToPlan(id=1, skills=frozenset({"cable_install"}), zone=1, point=(0.0, 0.0),
                       window_start=480, window_end=600, minutes=60)
    day = [base,
           dataclasses.replace(base, id=2),  # capacity used by order 1
           dataclasses.replace(base, id=3, skills=frozenset({"site_survey"})),
           dataclasses.replace(base, id=4, zone=2)]
    for strategy in STRATEGIES:
        plan = scheduling.STRATEGIES[strategy]([tech], day)
        assert plan.unassigned == {2: scheduling.NO_TIME, 3: scheduling.NO_SKILL,
                                   4: scheduling.NO_ZONE}


def test_a_dispatched_order_stays_with_its_technician():
    near = TechnicianDay(id=1, skills=frozenset({"cable_install"}), zones=frozenset({1}),
                         home=(0.0, 0.0), start=480, end=1020, capacity=8)
    far = dataclasses.replace(near, id=2, home=(30.0, 40.0))
    order = OrderToPlan(id=5, skills=frozenset({"cable_install"}), zone=1, point=(0.0, 0.0),
                        window_start=600, window_end=720, minutes=60, fixed_technician=2)
    for strategy in STRATEGIES:
        plan = scheduling.STRATEGIES[strategy]([near, far], [order])
        assert list(plan.routes) == [2]


# -- the heuristic against first-fit on realistic days ----------------------


@pytest.mark.parametrize("seed", [11, 12, 13])
def test_zone_insertion_assigns_as_many_and_travels_less_than_first_fit(seed, capsys):
    day = generate_day(seed=seed, orders=300, technicians=15, zones=20)
    plans = {strategy: scheduling.STRATEGIES[strategy](day.technicians, day.orders)
             for strategy in STRATEGIES}
    for plan in plans.values():
        assert_keeps_the_rules(day.technicians, day.orders, plan)
    heuristic, baseline = plans["zone_insertion"], plans["first_fit"]
    per_order = {name: plan.travel_km / plan.assigned for name, plan in plans.items()}
    with capsys.disabled():
        print(f"\nseed {seed}: zone_insertion {heuristic.assigned} assigned, "
              f"{heuristic.travel_km:.1f} km ({per_order['zone_insertion']:.2f} km/order); "
              f"first_fit {baseline.assigned} assigned, {baseline.travel_km:.1f} km "
              f"({per_order['first_fit']:.2f} km/order)")
    assert heuristic.assigned >= baseline.assigned
    assert per_order["zone_insertion"] < per_order["first_fit"]


# -- the automatic run on a day in the database ------------------------------


def _events() -> list[tuple]:
    return list(WorkOrderEvent.objects.order_by("id").values_list("work_order", "action"))


@pytest.fixture
def day_of_work(make_order, book, technician, other_technician, bob_customer, bob_address,
                alice_customer, operator):
    """Five orders tomorrow: three at alice's, two at bob's, in Madrid centro."""
    work = []
    for hour, customer, address in ((8, None, None), (10, None, None), (12, None, None),
                                    (8, bob_customer, bob_address),
                                    (14, bob_customer, bob_address)):
        order = make_order(customer=customer, address=address)
        book(order, hour)
        work.append(order)
    return work


def _state(order):
    order.refresh_from_db()
    return order


@pytest.mark.django_db
def test_the_run_assigns_the_day_and_records_it(day_of_work, dispatcher, tomorrow, technician,
                                                other_technician):
    run = services.schedule_day(day=tomorrow, actor=dispatcher)
    assert (run.date, run.orders, run.assigned, run.unassigned, run.first_fit_assigned,
            run.created_by) == (tomorrow, 5, 5, 0, 5, dispatcher)
    assert run.travel_km > 0 and run.first_fit_travel_km > 0 and run.seconds >= 0
    routes: dict = {}
    for order in map(_state, day_of_work):
        assert order.state == WorkOrderState.ASSIGNED
        assert order.technician in (technician, other_technician)
        assert order.window_start <= order.planned_start <= order.window_end
        assert order.unassigned_reason == ""
        routes.setdefault(order.technician_id, []).append(
            (order.route_position, order.planned_start))
        hold = Appointment.objects.get(work_order=order, status=AppointmentStatus.BOOKED)
        assert hold.technician == profile_of(order.technician)
        event = order.events.latest("id")
        assert (event.action, event.from_state, event.to_state, event.reason, event.actor) == (
            "assigned", "scheduled", "assigned", "Automatic scheduling", dispatcher)
    for visits in routes.values():  # positions follow the times
        assert [position for position, _start in sorted(visits, key=lambda v: v[1])] == \
            list(range(1, len(visits) + 1))
    # Nothing changed: a second run changes nothing
    events = _events()
    again = services.schedule_day(day=tomorrow, actor=dispatcher)
    assert _events() == events
    assert (again.orders, again.assigned, again.unassigned, again.travel_km) == (
        run.orders, run.assigned, run.unassigned, run.travel_km)
    assert ScheduleRun.objects.filter(date=tomorrow).count() == 2


@pytest.mark.django_db
def test_the_run_unassigns_what_no_longer_fits_with_the_reason(
        day_of_work, dispatcher, tomorrow, technician, other_technician, other_zone):
    services.schedule_day(day=tomorrow, actor=dispatcher)
    # Tomás is off sick; Úrsula moves to Barcelona
    services.absence_add(technician=profile_of(technician), start_date=tomorrow,
                         end_date=tomorrow, actor=dispatcher, reason="Sick")
    profile_of(other_technician).zones.set([other_zone])
    run = services.schedule_day(day=tomorrow, actor=dispatcher)
    assert (run.orders, run.assigned, run.unassigned) == (5, 0, 5)
    for order in map(_state, day_of_work):
        assert (order.state, order.technician, order.planned_start, order.route_position) == (
            WorkOrderState.SCHEDULED, None, None, None)
        assert order.unassigned_reason == \
            "No working technician with the skills covers the zone."
        event = order.events.latest("id")
        assert (event.action, event.from_state, event.to_state, event.reason) == (
            "unassign", "assigned", "scheduled", order.unassigned_reason)
    events = _events()
    services.schedule_day(day=tomorrow, actor=dispatcher)
    assert _events() == events


@pytest.mark.django_db
def test_the_run_lists_what_it_cannot_place(make_order, book, technician, dispatcher,
                                            tomorrow):
    first, second = make_order(), make_order()
    book(first, 10)
    book(second, 10)
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"daily_capacity": 1})
    run = services.schedule_day(day=tomorrow, actor=dispatcher)
    assert (run.orders, run.assigned, run.unassigned) == (2, 1, 1)
    left = next(order for order in map(_state, (first, second))
                if order.state == WorkOrderState.SCHEDULED)
    assert left.unassigned_reason == "No technician has time in the arrival window."
    event = left.events.latest("id")
    assert (event.action, event.from_state, event.to_state) == (
        "not_assigned", "scheduled", "scheduled")
    events = _events()
    services.schedule_day(day=tomorrow, actor=dispatcher)
    assert _events() == events


@pytest.mark.django_db
def test_the_run_keeps_dispatched_orders_with_their_technician(
        make_order, walk, book, technician, other_technician, dispatcher, tomorrow):
    dispatched = walk(make_order(), "dispatched", hour=10, assignee=other_technician)
    queued = make_order()
    book(queued, 12)
    run = services.schedule_day(day=tomorrow, actor=dispatcher)
    assert (run.orders, run.assigned, run.unassigned) == (1, 1, 0)
    dispatched = _state(dispatched)
    assert (dispatched.state, dispatched.technician) == ("dispatched", other_technician)
    assert _state(queued).state == WorkOrderState.ASSIGNED


@pytest.mark.django_db
def test_a_dispatched_order_of_an_absent_technician_takes_nobody_elses_time(
        make_order, walk, book, technician, other_technician, dispatcher, tomorrow):
    # Úrsula has the 10:00 order in her van and then falls ill; Tomás can
    # take one order only: the queued one, not a phantom of hers
    dispatched = walk(make_order(minutes=100), "dispatched", hour=10,
                      assignee=other_technician)
    services.absence_add(technician=profile_of(other_technician), start_date=tomorrow,
                         end_date=tomorrow, actor=dispatcher)
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"daily_capacity": 1})
    queued = make_order(minutes=100)
    book(queued, 10)
    run = services.schedule_day(day=tomorrow, actor=dispatcher)
    assert (run.orders, run.assigned, run.unassigned) == (1, 1, 0)
    assert (_state(queued).state, queued.technician) == (WorkOrderState.ASSIGNED, technician)
    assert _state(dispatched).technician == other_technician


@pytest.mark.django_db
def test_load_day_reads_the_working_technicians_and_the_orders(
        day_of_work, technician, other_technician, dispatcher, tomorrow, zone):
    services.absence_add(technician=profile_of(other_technician), start_date=tomorrow,
                         end_date=tomorrow, actor=dispatcher)
    crew, work, profiles = services.load_day(tomorrow)
    assert [tech.id for tech in crew] == [technician.pk]
    assert list(profiles) == [technician.pk]
    tech = crew[0]
    assert (tech.start, tech.end, tech.capacity, tech.zones, tech.home) == (
        480, 1020, 8, frozenset({zone.pk}), (10.0, 10.0))
    assert sorted((order.window_start, order.window_end) for order in work) == [
        (480, 600), (480, 600), (600, 720), (720, 840), (840, 960)]
    assert {order.skills for order in work} == {frozenset({Skill.CABLE_INSTALL})}
    assert all(order.fixed_technician is None for order in work)


def _next_clock_change(after):
    """The next day on which the clocks go forward or back."""
    from datetime import datetime, time, timedelta

    from django.utils import timezone

    day = after
    for _ in range(400):
        morning = timezone.make_aware(datetime.combine(day, time(0, 30)))
        evening = timezone.make_aware(datetime.combine(day, time(23, 30)))
        if morning.utcoffset() != evening.utcoffset():
            return day
        day += timedelta(days=1)
    pytest.skip("the time zone has no clock changes")


@pytest.mark.django_db
def test_planned_times_are_wall_clock_times_on_the_day_the_clocks_change(
        make_order, book, technician, dispatcher, tomorrow):
    from django.utils import timezone

    day = _next_clock_change(tomorrow)
    order = make_order()
    book(order, 10, day)
    services.schedule_day(day=day, actor=dispatcher)
    order.refresh_from_db()
    # the technician starts from the order's zone: no travel, at the door at 10:00
    assert order.state == WorkOrderState.ASSIGNED
    assert timezone.localtime(order.planned_start).strftime("%H:%M") == "10:00"
    assert order.window_start <= order.planned_start <= order.window_end
