"""Planning one day of field work: which technician takes which order, in
what order, at what time. Plain data in, plain data out; the services load
the day from the database and apply the plan.

Rules every plan keeps (the tests check them on random days):
- a technician only gets orders whose skills they all have, in a zone they
  cover;
- each visit starts inside the order's arrival window and inside the
  technician's shift, and the day ends before the shift ends;
- a technician's visits never overlap: between two, the travel time;
- no technician gets more orders than their daily capacity.

Two strategies share these rules:
- `first_fit`, the baseline: orders by window, each to the first technician
  (by id) at the end of whose day it fits.
- `zone_insertion`, the heuristic used: orders with the fewest possible
  technicians first (then by window end and priority); each goes where it
  adds the least travel, trying every position in every eligible
  technician's day (cheapest insertion); a last pass retries what is left
  over. Keeping each technician inside few zones is what keeps travel low.
Travel is straight-line distance between zone points (plus a fixed hop
inside a zone) at an average town speed.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass, field

SPEED_KM_PER_MINUTE = 0.5  # 30 km/h through towns
SAME_ZONE_KM = 2.0


@dataclass(frozen=True)
class TechnicianDay:
    id: int
    skills: frozenset[str]
    zones: frozenset[int]
    home: tuple[float, float]
    start: int  # minutes after midnight
    end: int
    capacity: int


@dataclass(frozen=True)
class OrderToPlan:
    id: int
    skills: frozenset[str]
    zone: int | None
    point: tuple[float, float]
    window_start: int
    window_end: int  # latest arrival
    minutes: int
    priority: int = 2
    fixed_technician: int | None = None  # dispatched already: stays with them


@dataclass
class Visit:
    order: OrderToPlan
    start: int


@dataclass
class Plan:
    routes: dict[int, list[Visit]] = field(default_factory=dict)
    unassigned: dict[int, str] = field(default_factory=dict)
    travel_km: float = 0.0

    @property
    def assigned(self) -> int:
        return sum(len(route) for route in self.routes.values())


# Reasons an order stays unassigned (translated by the caller).
NO_SKILL = "no_skill"
NO_ZONE = "no_zone"
NO_TIME = "no_time"
NOT_WORKING = "not_working"  # dispatched to a technician who is not working that day


def distance(a: tuple[float, float], b: tuple[float, float], same_zone: bool) -> float:
    if same_zone:
        return SAME_ZONE_KM
    return math.hypot(a[0] - b[0], a[1] - b[1])


def travel_minutes(km: float) -> int:
    return math.ceil(km / SPEED_KM_PER_MINUTE)


def _leg(previous: OrderToPlan | None, technician: TechnicianDay,
         order: OrderToPlan) -> float:
    if previous is None:
        return distance(technician.home, order.point, False)
    return distance(previous.point, order.point,
                    previous.zone is not None and previous.zone == order.zone)


def timed(technician: TechnicianDay, orders: list[OrderToPlan]) -> list[Visit] | None:
    """The visits with their start times if the sequence fits the windows
    and the shift, else None. Waiting at the door for a window is allowed."""
    clock = technician.start
    previous = None
    visits = []
    for order in orders:
        clock += travel_minutes(_leg(previous, technician, order))
        clock = max(clock, order.window_start)
        if clock > order.window_end:
            return None
        visits.append(Visit(order=order, start=clock))
        clock += order.minutes
        previous = order
    if clock > technician.end:
        return None
    return visits


def route_km(technician: TechnicianDay, orders: list[OrderToPlan]) -> float:
    total = 0.0
    previous = None
    for order in orders:
        total += _leg(previous, technician, order)
        previous = order
    return total


def eligible(technician: TechnicianDay, order: OrderToPlan) -> bool:
    return order.skills <= technician.skills and order.zone in technician.zones


def _why_not(technicians: list[TechnicianDay], order: OrderToPlan) -> str:
    skilled = [tech for tech in technicians if order.skills <= tech.skills]
    if not skilled:
        return NO_SKILL
    if not any(order.zone in tech.zones for tech in skilled):
        return NO_ZONE
    return NO_TIME


def _place_fixed(technicians: dict[int, TechnicianDay], orders: list[OrderToPlan],
                 routes: dict[int, list[OrderToPlan]],
                 unassigned: dict[int, str]) -> list[OrderToPlan]:
    """Put the dispatched orders on their technicians' routes and return the
    others. One whose technician is not working stays off every route (it
    is still theirs: planning it elsewhere would take someone's time for a
    visit they will not make) and is listed."""
    loose = []
    for order in orders:
        if order.fixed_technician is None:
            loose.append(order)
        elif order.fixed_technician in technicians:
            routes[order.fixed_technician].append(order)
        else:
            unassigned[order.id] = NOT_WORKING
    for route in routes.values():
        route.sort(key=lambda order: order.window_start)
    return loose


def _finish(technicians: dict[int, TechnicianDay], routes: dict[int, list[OrderToPlan]],
            unassigned: dict[int, str]) -> Plan:
    plan = Plan(unassigned=unassigned)
    for tech_id, route in routes.items():
        if not route:
            continue
        technician = technicians[tech_id]
        visits = timed(technician, route)
        if visits is None:  # fixed orders that no longer fit: keep their order
            visits = [Visit(order=order, start=order.window_start) for order in route]
        plan.routes[tech_id] = visits
        plan.travel_km += route_km(technician, route)
    return plan


def first_fit(technician_list: list[TechnicianDay], orders: list[OrderToPlan]) -> Plan:
    """The baseline: each order, by window, to the first technician at the
    end of whose day it fits."""
    technicians = {tech.id: tech for tech in sorted(technician_list, key=lambda t: t.id)}
    routes: dict[int, list[OrderToPlan]] = {tech_id: [] for tech_id in technicians}
    unassigned: dict[int, str] = {}
    loose = _place_fixed(technicians, orders, routes, unassigned)
    for order in sorted(loose, key=lambda order: (order.window_start, order.id)):
        for tech_id, technician in technicians.items():
            route = routes[tech_id]
            if (eligible(technician, order) and len(route) < technician.capacity
                    and timed(technician, [*route, order]) is not None):
                route.append(order)
                break
        else:
            unassigned[order.id] = _why_not(technician_list, order)
    return _finish(technicians, routes, unassigned)


def zone_insertion(technician_list: list[TechnicianDay], orders: list[OrderToPlan]) -> Plan:
    """Cheapest insertion, hardest orders first (see the module docstring)."""
    technicians = {tech.id: tech for tech in sorted(technician_list, key=lambda t: t.id)}
    routes: dict[int, list[OrderToPlan]] = {tech_id: [] for tech_id in technicians}
    unassigned: dict[int, str] = {}
    loose = _place_fixed(technicians, orders, routes, unassigned)
    by_zone: dict[int | None, list[TechnicianDay]] = defaultdict(list)
    for technician in technicians.values():
        for zone in technician.zones:
            by_zone[zone].append(technician)

    def candidates(order: OrderToPlan) -> list[TechnicianDay]:
        return [tech for tech in by_zone.get(order.zone, ()) if order.skills <= tech.skills]

    def best_insertion(order: OrderToPlan) -> tuple[int, int] | None:
        """(technician id, position) adding the least travel; ties go to
        the technician with fewer orders."""
        best_key, best = None, None
        for technician in candidates(order):
            route = routes[technician.id]
            if len(route) >= technician.capacity:
                continue
            base = route_km(technician, route)
            # Only positions the window allows: before the first order whose
            # window starts after this one's ends, after any that ends before.
            for position in range(len(route) + 1):
                if position > 0 and route[position - 1].window_start > order.window_end:
                    break
                trial = [*route[:position], order, *route[position:]]
                if timed(technician, trial) is None:
                    continue
                key = (route_km(technician, trial) - base, len(route), technician.id)
                if best_key is None or key < best_key:
                    best_key, best = key, (technician.id, position)
        return best

    pending = sorted(loose, key=lambda order: (len(candidates(order)), order.window_end,
                                               -order.priority, order.id))
    left: list[OrderToPlan] = []
    for order in pending:
        placement = best_insertion(order)
        if placement is None:
            left.append(order)
            continue
        tech_id, position = placement
        routes[tech_id].insert(position, order)
    for order in left:
        placement = best_insertion(order)
        if placement is None:
            unassigned[order.id] = _why_not(technician_list, order)
        else:
            tech_id, position = placement
            routes[tech_id].insert(position, order)
    return _finish(technicians, routes, unassigned)


STRATEGIES = {"first_fit": first_fit, "zone_insertion": zone_insertion}
