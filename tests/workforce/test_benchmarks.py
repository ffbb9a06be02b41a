"""The scheduler bench on a small day: the day it generates is the one it
describes, it checks both plans and fails on a broken one, and it prints
its metrics. The full size runs with `make bench BENCH=scheduler`."""

from __future__ import annotations

import dataclasses
import json
from io import StringIO

import pytest

from sesmu.benchmarks import Report, discover
from workforce import scheduling
from workforce.availability import WINDOWS
from workforce.benchmarks import check_plan, generate_day, run, scheduler
from workforce.choices import Skill


def test_it_generates_the_day_it_describes():
    day = generate_day(seed=7, orders=300, technicians=20)

    assert generate_day(seed=7, orders=300, technicians=20) == day
    assert (len(day.technicians), len(day.orders)) == (20, 300)
    windows = {(start.hour * 60, end.hour * 60) for start, end in WINDOWS}
    for technician in day.technicians:
        assert 3 <= len(technician.skills) <= 6
        assert technician.skills <= set(Skill.values)
        assert 3 <= len(technician.zones) <= 6
        assert (technician.start, technician.end) in ((480, 1020), (480, 900))
        assert 15 <= technician.capacity <= 25
        assert all(0 <= coordinate <= 60 for coordinate in technician.home)
    for order in day.orders:
        assert len(order.skills) == 1 and order.skills <= set(Skill.values)
        assert (order.window_start, order.window_end) in windows
        assert 20 <= order.minutes <= 90
        assert 1 <= order.zone <= 40


@pytest.mark.parametrize("strategy", ["zone_insertion", "first_fit"])
def test_it_checks_the_plans_of_both_strategies(strategy):
    day = generate_day(seed=3, orders=200, technicians=10)

    outcome = run(day, strategy)

    assert 0 < outcome.assigned <= 200
    assert outcome.travel_km > 0


def test_it_fails_loudly_on_a_broken_plan():
    day = generate_day(seed=3, orders=200, technicians=10)
    plan = scheduling.zone_insertion(day.technicians, day.orders)
    tech_id, visits = next((tech_id, visits) for tech_id, visits in plan.routes.items()
                           if visits)
    late = visits[-1]
    plan.routes[tech_id][-1] = dataclasses.replace(late, start=late.order.window_end + 1)

    with pytest.raises(RuntimeError, match="zone_insertion broke a rule"):
        check_plan(day, plan, "zone_insertion")

    plan.routes[tech_id][-1] = late
    plan.unassigned[late.order.id] = scheduling.NO_TIME
    with pytest.raises(RuntimeError, match="both placed and unassigned"):
        check_plan(day, plan, "zone_insertion")


def test_it_prints_its_metrics_against_first_fit(monkeypatch):
    monkeypatch.setenv("BENCH_SCHEDULER_ORDERS", "150")
    monkeypatch.setenv("BENCH_SCHEDULER_TECHNICIANS", "8")
    monkeypatch.setenv("BENCH_SCHEDULER_ROUNDS", "1")
    stdout, stderr = StringIO(), StringIO()

    scheduler(Report(bench="scheduler", stdout=stdout, stderr=stderr))

    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    metrics = {(line["kind"], line["metric"]): line for line in lines}
    assert list(metrics)[:3] == [(None, "seconds"), (None, "assigned_ratio_to_first_fit"),
                                 (None, "travel_ratio_to_first_fit")]
    assert metrics[(None, "seconds")]["target"] == 30.0
    assert metrics[(None, "assigned_ratio_to_first_fit")]["baseline"] == "first_fit"
    assert metrics[(None, "travel_ratio_to_first_fit")]["baseline"] == "first_fit"
    for kind in ("zone_insertion", "first_fit"):
        assert {(kind, "assigned"), (kind, "travel_km"), (kind, "km_per_order")} <= set(metrics)
    assert "round 1" in stderr.getvalue()
    assert "scheduler" in discover()
