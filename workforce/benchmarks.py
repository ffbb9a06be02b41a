"""Benchmarks of the workforce app.

- scheduler: the automatic scheduler (`scheduling.zone_insertion`) on a
  generated day of 2,000 orders and 100 technicians, against the plain
  first-fit (`scheduling.first_fit`) on the same day in the same run:
  `seconds` is the scheduler's wall time, `assigned_ratio_to_first_fit` the
  orders it assigns over those first-fit assigns (higher is better), and
  `travel_ratio_to_first_fit` its kilometres per assigned order over
  first-fit's (lower is better). Both plans are checked against the rules of
  `workforce.scheduling` (skills, zone, window, shift, no overlap, capacity,
  every order placed once or listed) and the bench fails on a broken one.

The day is realistic for a provider around a big city: 40 zones on a 60 x 60
km grid, the inner ones smaller and busier; each technician starts from a
home zone and covers it and its 2-5 nearest neighbours, with 3-6 of the
skills, a shift of 08:00-17:00 (one in five 08:00-15:00) and a capacity of
15-25 orders; each order needs one skill, lasts what that kind of visit
lasts (20-90 minutes) and has one of the two-hour arrival windows offered to
customers. As on a busy day, there is more work than time: what matters is
how much each strategy gets done and how far it drives to do it.

The planners are pure functions: nothing is read from or written to the
database. BENCH_SCHEDULER_ORDERS, BENCH_SCHEDULER_TECHNICIANS and
BENCH_SCHEDULER_ROUNDS (default 3, one seed each) change the size; each
metric is the median of the rounds."""

from __future__ import annotations

import math
import os
import random
import statistics
import time
from dataclasses import dataclass

from sesmu.benchmarks import Report, benchmark
from workforce import scheduling
from workforce.availability import WINDOWS
from workforce.choices import Priority, Skill

DEFAULT_ORDERS = 2_000
DEFAULT_TECHNICIANS = 100
DEFAULT_ROUNDS = 3
SEED = 2026
SECONDS_TARGET = 30.0
ASSIGNED_RATIO_TARGET = 1.0
TRAVEL_RATIO_TARGET = 1.0

ZONES = 40
INNER_ZONES = 16
GRID_KM = 60.0
CITY = (30.0, 30.0)
INNER_RADIUS_KM = 8.0
OUTER_RADIUS_KM = 28.0
MIN_ZONE_GAP_KM = 3.0
INNER_DEMAND = 2.0  # an inner zone has twice the orders of an outer one

# skill an order needs, its share of the day, shortest and longest visit
ORDER_MIX = [
    (Skill.CABLE_INSTALL, 0.18, 45, 90),
    (Skill.SATELLITE_INSTALL, 0.10, 60, 90),
    (Skill.COPPER_INSTALL, 0.08, 40, 75),
    (Skill.CABLE_REPAIR, 0.20, 30, 60),
    (Skill.SATELLITE_REPAIR, 0.10, 30, 75),
    (Skill.COPPER_REPAIR, 0.12, 30, 60),
    (Skill.EQUIPMENT_RECOVERY, 0.15, 20, 30),
    (Skill.SITE_SURVEY, 0.07, 20, 45),
]
# Mornings are asked for more often than late afternoons.
WINDOW_WEIGHTS = [0.26, 0.24, 0.18, 0.18, 0.14]
PRIORITY_WEIGHTS = {Priority.LOW: 0.15, Priority.NORMAL: 0.60, Priority.HIGH: 0.20,
                    Priority.URGENT: 0.05}


@dataclass(frozen=True)
class Day:
    technicians: list[scheduling.TechnicianDay]
    orders: list[scheduling.OrderToPlan]


@dataclass(frozen=True)
class Outcome:
    seconds: float
    assigned: int
    travel_km: float

    @property
    def km_per_order(self) -> float:
        return self.travel_km / self.assigned if self.assigned else math.inf


def _whole_number(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}.")
    return value


def _minutes(moment) -> int:
    return moment.hour * 60 + moment.minute


def _zone_points(rng: random.Random, count: int) -> list[tuple[float, float]]:
    """Points of `count` zones: the first INNER_ZONES (scaled) inside the
    city, the rest around it, none closer than MIN_ZONE_GAP_KM to another."""
    inner = round(count * INNER_ZONES / ZONES)
    points: list[tuple[float, float]] = []
    while len(points) < count:
        low, high = ((0.0, INNER_RADIUS_KM) if len(points) < inner
                     else (INNER_RADIUS_KM, OUTER_RADIUS_KM))
        radius = math.sqrt(rng.uniform(low ** 2, high ** 2))  # even over the ring's area
        angle = rng.uniform(0, 2 * math.pi)
        point = (round(min(max(CITY[0] + radius * math.cos(angle), 0.0), GRID_KM), 2),
                 round(min(max(CITY[1] + radius * math.sin(angle), 0.0), GRID_KM), 2))
        if all(math.dist(point, other) >= MIN_ZONE_GAP_KM for other in points):
            points.append(point)
    return points


def generate_day(*, seed: int, orders: int = DEFAULT_ORDERS,
                 technicians: int = DEFAULT_TECHNICIANS, zones: int = ZONES) -> Day:
    """A day to plan, the same for the same arguments (see the module
    docstring for what it looks like)."""
    rng = random.Random(seed)
    points = _zone_points(rng, zones)
    inner = round(zones * INNER_ZONES / ZONES)
    demand = [INNER_DEMAND if index < inner else 1.0 for index in range(zones)]
    zone_ids = list(range(1, zones + 1))
    skills = list(Skill.values)

    crew = []
    for tech_id in range(1, technicians + 1):
        # Technicians live where the work is: home zones follow demand.
        home = rng.choices(range(zones), weights=demand)[0]
        nearest = sorted(range(zones), key=lambda index: math.dist(points[home], points[index]))
        covered = nearest[:rng.randint(3, 6)]  # the home zone is its own nearest
        short_shift = rng.random() < 0.2
        crew.append(scheduling.TechnicianDay(
            id=tech_id,
            skills=frozenset(rng.sample(skills, rng.randint(3, 6))),
            zones=frozenset(zone_ids[index] for index in covered),
            home=points[home],
            start=8 * 60,
            end=(15 if short_shift else 17) * 60,
            capacity=rng.randint(15, 25),
        ))

    windows = [(_minutes(start), _minutes(end)) for start, end in WINDOWS]
    mix_weights = [share for _skill, share, *_rest in ORDER_MIX]
    work = []
    for order_id in range(1, orders + 1):
        zone = rng.choices(range(zones), weights=demand)[0]
        skill, _share, shortest, longest = rng.choices(ORDER_MIX, weights=mix_weights)[0]
        window_start, window_end = rng.choices(windows, weights=WINDOW_WEIGHTS)[0]
        work.append(scheduling.OrderToPlan(
            id=order_id,
            skills=frozenset([str(skill)]),
            zone=zone_ids[zone],
            point=points[zone],
            window_start=window_start,
            window_end=window_end,
            minutes=5 * rng.randint(shortest // 5, longest // 5),
            priority=int(rng.choices(list(PRIORITY_WEIGHTS),
                                     weights=list(PRIORITY_WEIGHTS.values()))[0]),
        ))
    return Day(technicians=crew, orders=work)


def check_plan(day: Day, plan: scheduling.Plan, strategy: str) -> None:
    """Raise RuntimeError on the first rule of workforce.scheduling the plan
    breaks: every order once (on a route or listed with a reason), the
    technician eligible (skills and zone), the visit in its window and in
    the shift with the travel time from the previous one, the capacity, and
    the travel the plan reports."""
    technicians = {tech.id: tech for tech in day.technicians}
    orders = {order.id: order for order in day.orders}

    def broken(message: str) -> RuntimeError:
        return RuntimeError(f"{strategy} broke a rule: {message}")

    placed: set[int] = set()
    travel = 0.0
    for tech_id, visits in plan.routes.items():
        technician = technicians.get(tech_id)
        if technician is None:
            raise broken(f"route of unknown technician {tech_id}")
        if len(visits) > technician.capacity:
            raise broken(f"technician {tech_id} has {len(visits)} orders, capacity "
                         f"{technician.capacity}")
        clock, previous = technician.start, None
        for visit in visits:
            order = visit.order
            if orders.get(order.id) != order:
                raise broken(f"order {order.id} is not one of the day's")
            if order.id in placed:
                raise broken(f"order {order.id} is placed twice")
            placed.add(order.id)
            if not scheduling.eligible(technician, order):
                raise broken(f"order {order.id} went to technician {tech_id}, who lacks the "
                             "skill or the zone")
            clock += scheduling.travel_minutes(scheduling._leg(previous, technician, order))
            if visit.start < clock:
                raise broken(f"order {order.id} starts at {visit.start}, before technician "
                             f"{tech_id} can be there ({clock})")
            if not order.window_start <= visit.start <= order.window_end:
                raise broken(f"order {order.id} starts at {visit.start}, outside its window "
                             f"{order.window_start}-{order.window_end}")
            clock, previous = visit.start + order.minutes, order
        if clock > technician.end:
            raise broken(f"technician {tech_id} works until {clock}, after the shift ends at "
                         f"{technician.end}")
        if scheduling.timed(technician, [visit.order for visit in visits]) is None:
            raise broken(f"route of technician {tech_id} does not fit by timed()")
        travel += scheduling.route_km(technician, [visit.order for visit in visits])
    listed = set(plan.unassigned)
    if placed & listed:
        raise broken(f"orders both placed and unassigned: {sorted(placed & listed)[:10]}")
    if placed | listed != set(orders):
        missing = sorted(set(orders) - placed - listed)[:10]
        raise broken(f"orders neither placed nor listed: {missing}")
    unknown_reasons = {reason for reason in plan.unassigned.values()
                       if reason not in (scheduling.NO_SKILL, scheduling.NO_ZONE,
                                         scheduling.NO_TIME)}
    if unknown_reasons:
        raise broken(f"unknown reasons {sorted(unknown_reasons)}")
    if not math.isclose(travel, plan.travel_km, rel_tol=1e-9, abs_tol=1e-6):
        raise broken(f"reports {plan.travel_km:.3f} km, its routes add up to {travel:.3f}")


def run(day: Day, strategy: str) -> Outcome:
    """Plan the day with a strategy of workforce.scheduling, timed, and check
    the plan."""
    planner = scheduling.STRATEGIES[strategy]
    started = time.perf_counter()
    plan = planner(list(day.technicians), list(day.orders))
    seconds = time.perf_counter() - started
    check_plan(day, plan, strategy)
    return Outcome(seconds=seconds, assigned=plan.assigned, travel_km=plan.travel_km)


@benchmark("scheduler")
def scheduler(report: Report) -> None:
    """Seconds, orders assigned and km per order of the scheduler on 2,000 orders and 100
    technicians, against first-fit."""
    orders = _whole_number("BENCH_SCHEDULER_ORDERS", DEFAULT_ORDERS, 1)
    technicians = _whole_number("BENCH_SCHEDULER_TECHNICIANS", DEFAULT_TECHNICIANS, 1)
    rounds = _whole_number("BENCH_SCHEDULER_ROUNDS", DEFAULT_ROUNDS, 1)
    # Warm up: imports and the first allocations, on a small day.
    warm_up = generate_day(seed=SEED - 1, orders=min(orders, 200),
                           technicians=min(technicians, 10))
    run(warm_up, "zone_insertion")
    run(warm_up, "first_fit")
    results: dict[str, list[Outcome]] = {"zone_insertion": [], "first_fit": []}
    assigned_ratios, travel_ratios = [], []
    for round_number in range(1, rounds + 1):
        day = generate_day(seed=SEED + round_number, orders=orders, technicians=technicians)
        heuristic, baseline = run(day, "zone_insertion"), run(day, "first_fit")
        results["zone_insertion"].append(heuristic)
        results["first_fit"].append(baseline)
        assigned_ratio = heuristic.assigned / baseline.assigned if baseline.assigned else math.inf
        travel_ratio = heuristic.km_per_order / baseline.km_per_order
        assigned_ratios.append(assigned_ratio)
        travel_ratios.append(travel_ratio)
        report.progress(
            f"round {round_number} (seed {SEED + round_number}): {orders:,} orders, "
            f"{technicians} technicians; zone_insertion {heuristic.seconds:.2f} s, "
            f"{heuristic.assigned} assigned, {heuristic.travel_km:,.1f} km "
            f"({heuristic.km_per_order:.2f} km/order); first_fit {baseline.seconds:.2f} s, "
            f"{baseline.assigned} assigned, {baseline.travel_km:,.1f} km "
            f"({baseline.km_per_order:.2f} km/order); ratios assigned {assigned_ratio:.3f}, "
            f"travel {travel_ratio:.3f}")
    heuristic_runs, baseline_runs = results["zone_insertion"], results["first_fit"]
    report.metric(metric="seconds",
                  value=statistics.median(outcome.seconds for outcome in heuristic_runs),
                  target=SECONDS_TARGET)
    report.metric(metric="assigned_ratio_to_first_fit", value=statistics.median(assigned_ratios),
                  target=ASSIGNED_RATIO_TARGET, baseline="first_fit", higher_is_better=True)
    report.metric(metric="travel_ratio_to_first_fit", value=statistics.median(travel_ratios),
                  target=TRAVEL_RATIO_TARGET, baseline="first_fit")
    for kind, outcomes in results.items():
        report.metric(kind=kind, metric="assigned",
                      value=statistics.median(outcome.assigned for outcome in outcomes),
                      target=None, higher_is_better=True)
        report.metric(kind=kind, metric="travel_km",
                      value=statistics.median(outcome.travel_km for outcome in outcomes),
                      target=None)
        report.metric(kind=kind, metric="km_per_order",
                      value=statistics.median(outcome.km_per_order for outcome in outcomes),
                      target=None)
    report.metric(kind="first_fit", metric="seconds",
                  value=statistics.median(outcome.seconds for outcome in baseline_runs),
                  target=None)
