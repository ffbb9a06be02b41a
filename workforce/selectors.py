"""Read paths of the workforce app."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from customers.models import Customer
from sesmu.choices import UserKind
from sesmu.errors import NotFound
from sesmu.models import User
from workforce import availability
from workforce.choices import CLOSED_STATES, OPEN_STATES, WorkOrderState
from workforce.models import (
    Appointment,
    ScheduleRun,
    TechnicianProfile,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderItem,
)

VIEW_ORDERS = "workforce.view_workorder"
DISPATCH = "workforce.dispatch_workorder"


def work_order_list_visible_to(*, actor: User) -> QuerySet[WorkOrder]:
    """Every order for staff who may see orders; a technician who may not
    see them all sees their own; nothing for anyone else."""
    if actor is None or not actor.is_authenticated or not actor.is_active \
            or actor.kind == UserKind.PORTAL:
        return WorkOrder.objects.none()
    queryset = WorkOrder.objects.select_related("customer", "service_address", "technician",
                                                "zone")
    if actor.has_perm(VIEW_ORDERS):
        return queryset
    if actor.has_perm("workforce.perform_workorder"):
        return queryset.filter(technician=actor)
    return WorkOrder.objects.none()


def access_work_order(*, actor: User, work_order_id: Any) -> WorkOrder:
    try:
        work_order_id = int(work_order_id)
    except (TypeError, ValueError):
        raise NotFound
    order = work_order_list_visible_to(actor=actor).filter(pk=work_order_id).first()
    if order is None:
        raise NotFound
    return order


def appointment_list_visible_to(*, actor: User) -> QuerySet[Appointment]:
    """The appointments of the orders the actor may see."""
    orders = work_order_list_visible_to(actor=actor)
    return (Appointment.objects.filter(work_order__in=orders.values("pk"))
            .select_related("work_order", "technician__user", "created_by")
            .order_by("-window_start", "-id"))


def schedule_run_list() -> QuerySet[ScheduleRun]:
    return ScheduleRun.objects.select_related("created_by").order_by("-created_at", "-id")


def work_order_events(*, work_order: WorkOrder) -> QuerySet[WorkOrderEvent]:
    return work_order.events.select_related("actor").order_by("-id")


def work_order_equipment(*, work_order: WorkOrder) -> list[WorkOrderItem]:
    return list(work_order.equipment.select_related("item", "item__model"))


def customer_work_orders(*, customer: Customer, limit: int = 10) -> list[WorkOrder]:
    """Open orders first, then the latest closed ones."""
    # The events come along (one query) so the panel shows each order's
    # timeline without a click.
    base = WorkOrder.objects.filter(customer=customer).select_related(
        "technician", "service_address").prefetch_related(
        Prefetch("events", queryset=WorkOrderEvent.objects.select_related("actor")
                 .order_by("-id"), to_attr="timeline"))
    open_orders = list(base.filter(state__in=OPEN_STATES).order_by("window_start", "id"))
    closed = list(base.filter(state__in=CLOSED_STATES).order_by("-finished_at", "-id")[:limit])
    return open_orders + closed


def technician_list(*, active_only: bool = True) -> QuerySet[TechnicianProfile]:
    queryset = TechnicianProfile.objects.select_related("user", "home_zone", "van") \
        .prefetch_related("zones")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("user__last_name", "user__first_name")


def technician_day(*, technician: User, day: date) -> list[WorkOrder]:
    """A technician's orders of a day, in the order of the route."""
    return list(
        WorkOrder.objects.filter(technician=technician, scheduled_date=day)
        .exclude(state=WorkOrderState.CANCELLED)
        .select_related("customer", "service_address")
        .prefetch_related(Prefetch("equipment", queryset=WorkOrderItem.objects
                                   .select_related("item", "item__model")))
        .order_by("route_position", "planned_start", "id")
    )


@dataclass
class BoardRow:
    technician: TechnicianProfile
    orders: list[WorkOrder] = field(default_factory=list)
    working: bool = True

    @property
    def minutes(self) -> int:
        return sum(order.estimated_minutes for order in self.orders)


@dataclass
class Board:
    day: date
    rows: list[BoardRow]
    unassigned: list[WorkOrder]
    last_run: ScheduleRun | None


def dispatch_board(*, day: date) -> Board:
    """The day per technician and the queue of orders not yet assigned (a
    few queries whatever the size of the day)."""
    orders = list(
        WorkOrder.objects.filter(scheduled_date=day)
        .exclude(state=WorkOrderState.CANCELLED)
        .select_related("customer", "service_address", "zone")
        .order_by("route_position", "planned_start", "window_start", "id")
    )
    rows = {profile.user_id: BoardRow(technician=profile,
                                      working=availability.works_on(profile, day))
            for profile in technician_list().prefetch_related("absences")}
    unassigned = []
    for order in orders:
        if order.technician_id in rows:
            rows[order.technician_id].orders.append(order)
        else:
            unassigned.append(order)
    return Board(day=day, rows=[row for row in rows.values() if row.working or row.orders],
                 unassigned=unassigned,
                 last_run=ScheduleRun.objects.filter(date=day).order_by("-id").first())


def is_late(order: WorkOrder, now=None) -> bool:
    """Not yet on site although the arrival window has ended."""
    now = now or timezone.now()
    return (order.window_end is not None and order.window_end < now
            and order.state in (WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED,
                                WorkOrderState.DISPATCHED, WorkOrderState.EN_ROUTE))


def is_at_risk(order: WorkOrder, now=None) -> bool:
    """The planned start is past and the technician is not on the way yet,
    or the window ends within 30 minutes and nobody is assigned."""
    now = now or timezone.now()
    if order.state in (WorkOrderState.ASSIGNED, WorkOrderState.DISPATCHED) \
            and order.planned_start is not None and order.planned_start < now:
        return True
    return (order.state == WorkOrderState.SCHEDULED and order.window_end is not None
            and (order.window_end - now).total_seconds() < 30 * 60)
