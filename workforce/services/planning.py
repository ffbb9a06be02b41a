"""The automatic scheduler applied to a day: load technicians and orders,
plan with workforce.scheduling, assign and unassign accordingly, and keep
the run's figures next to those of a plain first-fit on the same day."""

from __future__ import annotations

import time as clock
from datetime import date, datetime, time
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from sesmu.errors import field_error
from sesmu.models import User
from workforce import availability, errors, scheduling
from workforce.choices import PLANNABLE_STATES, AppointmentStatus, WorkOrderState
from workforce.models import Appointment, ScheduleRun, TechnicianProfile, WorkOrder
from workforce.services._common import apply, event

FIXED_STATES = (WorkOrderState.DISPATCHED, WorkOrderState.EN_ROUTE, WorkOrderState.ON_SITE)
REASONS = {
    scheduling.NO_SKILL: gettext_lazy("No working technician has the skills."),
    scheduling.NO_ZONE: gettext_lazy("No working technician with the skills covers the zone."),
    scheduling.NO_TIME: gettext_lazy("No technician has time in the arrival window."),
    scheduling.NOT_WORKING: gettext_lazy("Its technician is not working that day."),
}


def _minutes(moment: datetime | None) -> int:
    local = timezone.localtime(moment)
    return local.hour * 60 + local.minute


def _at(day: date, minutes: int) -> datetime:
    # The wall-clock time of the day, not midnight plus minutes: on the days
    # the clocks change those differ by an hour.
    return timezone.make_aware(datetime.combine(day, time(minutes // 60, minutes % 60)),
                               timezone.get_current_timezone())


def _point(zone) -> tuple[float, float]:
    return (float(zone.x_km), float(zone.y_km)) if zone is not None else (0.0, 0.0)


def load_day(day: date) -> tuple[list[scheduling.TechnicianDay], list[scheduling.OrderToPlan],
                                 dict[int, TechnicianProfile]]:
    """The technicians working on `day` and the orders to plan (with those
    already dispatched fixed to their technician)."""
    profiles = {
        profile.user_id: profile
        for profile in TechnicianProfile.objects.filter(is_active=True, user__is_active=True)
        .select_related("home_zone", "user").prefetch_related("zones", "absences")
        if availability.works_on(profile, day)
    }
    technicians = [
        scheduling.TechnicianDay(
            id=user_id, skills=frozenset(profile.skills),
            zones=frozenset(zone.pk for zone in profile.zones.all()),
            home=_point(profile.home_zone),
            start=profile.shift_start.hour * 60 + profile.shift_start.minute,
            end=profile.shift_end.hour * 60 + profile.shift_end.minute,
            capacity=profile.daily_capacity,
        )
        for user_id, profile in profiles.items()
    ]
    orders = [
        scheduling.OrderToPlan(
            id=order.pk, skills=frozenset(order.required_skills), zone=order.zone_id,
            point=_point(order.zone), window_start=_minutes(order.window_start),
            window_end=_minutes(order.window_end), minutes=order.estimated_minutes,
            priority=order.priority,
            fixed_technician=order.technician_id if order.state in FIXED_STATES else None,
        )
        for order in WorkOrder.objects.filter(
            scheduled_date=day, window_start__isnull=False,
            state__in=[*PLANNABLE_STATES, *FIXED_STATES],
        ).select_related("zone")
    ]
    return technicians, orders, profiles


@transaction.atomic
def schedule_day(*, day: date, actor: User | None) -> ScheduleRun:
    """Plan the day and apply it: every scheduled or assigned order of the
    day goes to the technician and time the plan gives it, or back to the
    queue with the reason it could not be placed."""
    if day < timezone.localdate():
        raise field_error("date", _("A day that has passed cannot be planned again."),
                          code=errors.BAD_RANGE)
    # The day's orders are locked for the run: a booking or an assignment
    # arriving meanwhile waits and then sees the new plan.
    list(WorkOrder.objects.select_for_update().filter(
        scheduled_date=day, state__in=PLANNABLE_STATES).order_by("pk").values_list("pk",
                                                                                  flat=True))
    technicians, orders, profiles = load_day(day)
    started = clock.perf_counter()
    plan = scheduling.zone_insertion(technicians, orders)
    seconds = clock.perf_counter() - started
    baseline = scheduling.first_fit(technicians, orders)
    placed: dict[int, tuple[int, int, int]] = {}
    for tech_id, visits in plan.routes.items():
        for position, visit in enumerate(visits, start=1):
            placed[visit.order.id] = (tech_id, visit.start, position)
    for order in WorkOrder.objects.filter(scheduled_date=day, state__in=PLANNABLE_STATES) \
            .select_related("technician"):
        if order.pk in placed:
            tech_id, start_minutes, position = placed[order.pk]
            start = _at(day, start_minutes)
            if (order.state == WorkOrderState.ASSIGNED and order.technician_id == tech_id
                    and order.planned_start == start and order.route_position == position):
                continue
            was = order.technician
            order.technician_id, order.planned_start = tech_id, start
            order.route_position, order.unassigned_reason = position, ""
            apply(order, "assign", actor=actor,
                  action="reassigned" if was is not None else "assigned",
                  reason=_("Automatic scheduling"),
                  payload={"technician": profiles[tech_id].user.get_username(),
                           "planned_start": f"{timezone.localtime(start):%H:%M}"},
                  fields=("technician", "planned_start", "route_position",
                          "unassigned_reason"))
            Appointment.objects.filter(work_order=order, status=AppointmentStatus.BOOKED) \
                .update(technician=profiles[tech_id])
        else:
            reason = str(REASONS.get(plan.unassigned.get(order.pk, ""), REASONS[
                scheduling.NO_TIME]))
            if order.state == WorkOrderState.ASSIGNED:
                order.technician, order.planned_start, order.route_position = None, None, None
                order.unassigned_reason = reason
                apply(order, "unassign", actor=actor, reason=reason,
                      fields=("technician", "planned_start", "route_position",
                              "unassigned_reason"))
            elif order.unassigned_reason != reason:
                order.unassigned_reason = reason
                order.save(update_fields=["unassigned_reason", "updated_at"])
                event(order, actor=actor, action="not_assigned", reason=reason)
    # The figures count the orders the run could move, not the dispatched ones.
    plannable = {order.id for order in orders if order.fixed_technician is None}

    def placed_count(result: scheduling.Plan) -> int:
        return sum(1 for visits in result.routes.values() for visit in visits
                   if visit.order.id in plannable)

    return ScheduleRun.objects.create(
        date=day, orders=len(plannable), assigned=placed_count(plan),
        unassigned=len(plannable & set(plan.unassigned)),
        travel_km=Decimal(str(round(plan.travel_km, 1))),
        first_fit_assigned=placed_count(baseline),
        first_fit_travel_km=Decimal(str(round(baseline.travel_km, 1))),
        seconds=Decimal(str(round(seconds, 2))),
        created_by=actor if actor is not None and actor.pk else None,
    )
