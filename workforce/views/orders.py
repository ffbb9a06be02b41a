"""The operator's work order pages: the list, one order with its timeline
and the actions its state allows, a new order for a customer, and booking
an arrival window with the customer on the line. Each write parses a form,
calls one service and goes back to the order; a refused one comes back with
422 and the service's reason next to the field."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.selectors import access_customer
from sesmu.decorators import staff_view
from sesmu.errors import NotFound
from sesmu.forms import apply_service_errors
from workforce import availability, errors, selectors, services
from workforce.availability import WINDOWS, Slot
from workforce.choices import CLOSED_STATES, Skill, WorkOrderState
from workforce.forms import (
    AssignForm,
    BookForm,
    CancelForm,
    DispatchForm,
    SlotSearchForm,
    UnassignForm,
    WorkOrderCreateForm,
    WorkOrderFilter,
    create_errors_on_form,
)
from workforce.models import WorkOrder

VIEW = "workforce.view_workorder"
PERFORM = "workforce.perform_workorder"
ADD = "workforce.add_workorder"
BOOK = "workforce.book_workorder"
DISPATCH = "workforce.dispatch_workorder"

PAGE_SIZE = 25
BOOKABLE_STATES = (WorkOrderState.GENERATED, WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED)
ASSIGNABLE_STATES = (WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED)
CANCELLABLE_STATES = (WorkOrderState.GENERATED, WorkOrderState.SCHEDULED,
                      WorkOrderState.ASSIGNED, WorkOrderState.DISPATCHED)

# How each kind of event reads on the order's timeline.
EVENT_LABELS = {
    "generated": gettext_lazy("Order created"),
    "scheduled": gettext_lazy("Appointment booked"),
    "rescheduled": gettext_lazy("Appointment rescheduled"),
    "assigned": gettext_lazy("Assigned"),
    "reassigned": gettext_lazy("Reassigned"),
    "unassign": gettext_lazy("Unassigned"),
    "dispatch": gettext_lazy("Dispatched"),
    "en_route": gettext_lazy("Technician on the way"),
    "on_site": gettext_lazy("Technician on site"),
    "completed": gettext_lazy("Completed"),
    "failed": gettext_lazy("Failed"),
    "cancel": gettext_lazy("Cancelled"),
}


def order_viewer(view):
    """Staff who may see work orders: every order with the view permission;
    a field technician only their own (the selector narrows it)."""

    @staff_view()
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not (request.user.has_perm(VIEW) or request.user.has_perm(PERFORM)):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _page(request, items, size: int = PAGE_SIZE):
    return Paginator(items, size).get_page(request.GET.get("page"))


def _query_without(request, parameter: str = "page") -> str:
    query = request.GET.copy()
    query.pop(parameter, None)
    return query.urlencode()


def window_in_words(start: datetime | None, end: datetime | None) -> str:
    """“Thursday 27/11 between 10:00 and 12:00”, in the user's language."""
    if start is None or end is None:
        return ""
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return _("%(day)s between %(start)s and %(end)s") % {
        "day": formats.date_format(local_start, "l d/m"),
        "start": local_start.strftime("%H:%M"), "end": local_end.strftime("%H:%M"),
    }


def agreed_in_words(start: datetime, end: datetime) -> str:
    return _("The technician arrives on %(window)s.") % {"window": window_in_words(start, end)}


def _name(user) -> str:
    return user.get_full_name() or user.get_username()


# The list ---------------------------------------------------------------------


@require_GET
@order_viewer
def order_list(request):
    filterset = WorkOrderFilter(
        request.GET or None,
        queryset=selectors.work_order_list_visible_to(actor=request.user)
        .order_by("-created_at", "-id"),
    )
    orders = filterset.qs if not filterset.errors else filterset.queryset.none()
    context = {
        "filterset": filterset, "page": _page(request, orders),
        "filter_query": _query_without(request),
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }
    status = 422 if filterset.errors else 200
    if request.htmx and request.htmx.target == "order-results":
        return render(request, "workforce/orders/partials/results.html", context,
                      status=status)
    return render(request, "workforce/orders/list.html", context, status=status)


# One order --------------------------------------------------------------------


@dataclass
class TimelineEntry:
    event: object
    label: str
    details: str


ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def _day_first(text: str) -> str:
    """The events keep days as 2026-11-27; people read 27/11/2026."""
    return ISO_DAY.sub(r"\3/\2/\1", str(text))


def _timeline(order: WorkOrder) -> list[TimelineEntry]:
    entries = []
    for event in selectors.work_order_events(work_order=order):
        payload = event.payload or {}
        details = []
        if payload.get("window"):
            details.append(_("window %(window)s") % {"window": _day_first(payload["window"])})
        if payload.get("technician"):
            details.append(_("technician %(user)s") % {"user": payload["technician"]})
        if payload.get("planned_start"):
            details.append(_("planned start %(time)s")
                           % {"time": _day_first(payload["planned_start"])})
        if payload.get("installed"):
            details.append(_("installed %(serials)s") % {"serials": ", ".join(
                payload["installed"])})
        if payload.get("recovered"):
            details.append(_("recovered %(serials)s") % {"serials": ", ".join(
                payload["recovered"])})
        entries.append(TimelineEntry(event=event,
                                     label=str(EVENT_LABELS.get(event.action, event.action)),
                                     details=" · ".join(details)))
    return entries


def _technicians_for(order: WorkOrder):
    return availability.skilled_technicians(order)


def _action_forms(request, order: WorkOrder) -> dict:
    """The action forms the user may use on this order in its state (empty
    ones, for a page shown after a GET or a successful POST)."""
    user, state = request.user, order.state
    result = {}
    if user.has_perm(DISPATCH):
        if state in ASSIGNABLE_STATES:
            result["assign_form"] = AssignForm(order=order, technicians=_technicians_for(order))
        if state == WorkOrderState.ASSIGNED:
            result["unassign_form"] = UnassignForm()
            result["dispatch_form"] = DispatchForm()
    if (user.has_perm(BOOK) or user.has_perm(DISPATCH)) and state in CANCELLABLE_STATES:
        result["cancel_form"] = CancelForm()
    return result


def _order_page(request, order: WorkOrder, *, bound: dict | None = None, status: int = 200):
    appointments = list(order.appointments.select_related("technician__user", "created_by")
                        .order_by("-created_at", "-id"))
    booked = next((appointment for appointment in appointments
                   if appointment.status == "booked"), None)
    context = {
        "order": order,
        "skills": [Skill(skill).label for skill in order.required_skills
                   if skill in Skill.values],
        "equipment": selectors.work_order_equipment(work_order=order),
        "timeline": _timeline(order),
        "booked": booked,
        "earlier_appointments": [appointment for appointment in appointments
                                 if appointment is not booked],
        "agreed": agreed_in_words(order.window_start, order.window_end)
        if order.window_start and order.state not in CLOSED_STATES else "",
        "can_book": request.user.has_perm(BOOK) and order.state in BOOKABLE_STATES,
        "is_late": selectors.is_late(order),
        "is_at_risk": selectors.is_at_risk(order),
        **_action_forms(request, order),
        **(bound or {}),
    }
    context["has_actions"] = context["can_book"] or any(
        key in context for key in ("assign_form", "unassign_form", "dispatch_form",
                                   "cancel_form"))
    return render(request, "workforce/orders/detail.html", context, status=status)


@require_GET
@order_viewer
def order_detail(request, order_id: int):
    order = selectors.access_work_order(actor=request.user, work_order_id=order_id)
    return _order_page(request, order)


def _assign(request, order: WorkOrder):
    form = AssignForm(request.POST, order=order, technicians=_technicians_for(order))

    def call(data):
        technician = data["technician"]
        updated = services.work_order_assign(work_order=order, technician=technician,
                                             actor=request.user,
                                             planned_start=form.planned_start_at())
        return _("%(number)s is assigned to %(name)s, starting at %(time)s on %(day)s.") % {
            "number": updated.number, "name": _name(technician),
            "time": timezone.localtime(updated.planned_start).strftime("%H:%M"),
            "day": timezone.localtime(updated.planned_start).strftime("%d/%m/%Y")}

    return "assign_form", form, call


def _unassign(request, order: WorkOrder):
    form = UnassignForm(request.POST)

    def call(data):
        services.work_order_unassign(work_order=order, actor=request.user,
                                     reason=data["reason"])
        return _("%(number)s is back in the queue of its day.") % {"number": order.number}

    return "unassign_form", form, call


def _dispatch(request, order: WorkOrder):
    form = DispatchForm(request.POST)

    def call(data):
        updated = services.work_order_dispatch(work_order=order, actor=request.user)
        return _("%(number)s was sent to %(name)s's phone.") % {
            "number": updated.number,
            "name": _name(updated.technician) if updated.technician else "—"}

    return "dispatch_form", form, call


def _cancel(request, order: WorkOrder):
    form = CancelForm(request.POST)

    def call(data):
        services.work_order_cancel(work_order=order, actor=request.user, reason=data["reason"])
        return _("%(number)s was cancelled: its appointment and the equipment reserved for it "
                 "were released.") % {"number": order.number}

    return "cancel_form", form, call


# action: (how to build the form and the service call, the permissions, any of them)
ACTIONS = {
    "assign": (_assign, (DISPATCH,)),
    "unassign": (_unassign, (DISPATCH,)),
    "dispatch": (_dispatch, (DISPATCH,)),
    "cancel": (_cancel, (BOOK, DISPATCH)),
}


@require_POST
@order_viewer
def order_action(request, order_id: int, action: str):
    """One action of the order page: parse its form, call one service, and
    go back to the order; a refusal comes back (422) with the service's
    message next to the field or at the top of the form."""
    if action not in ACTIONS:
        raise NotFound
    build, permissions = ACTIONS[action]
    if not any(request.user.has_perm(permission) for permission in permissions):
        raise PermissionDenied
    order = selectors.access_work_order(actor=request.user, work_order_id=order_id)
    form_key, form, call = build(request, order)
    if form.is_valid():
        try:
            done = call(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("workforce:order", order.pk)
    order.refresh_from_db()
    return _order_page(request, order, bound={form_key: form}, status=422)


# A new order ------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@staff_view(ADD)
def order_create(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    form = WorkOrderCreateForm(request.POST or None, customer=customer, actor=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            order = services.work_order_create(
                customer=customer, service_address=data["service_address"], kind=data["kind"],
                actor=request.user, required_skills=data["required_skills"],
                estimated_minutes=data["estimated_minutes"], priority=data["priority"],
                notes=data["notes"], install_items=data["install_items"],
                recover_items=data["recover_items"],
            )
        except ValidationError as error:
            apply_service_errors(form, create_errors_on_form(error))
        else:
            if request.user.has_perm(BOOK):
                messages.success(request, _("Work order %(number)s was created. Now agree the "
                                            "visit with the customer.")
                                 % {"number": order.number})
                return redirect("workforce:order_book", order.pk)
            messages.success(request, _("Work order %(number)s was created.")
                             % {"number": order.number})
            return redirect("workforce:order", order.pk)
    return render(request, "workforce/orders/create.html", {
        "customer": customer, "form": form,
    }, status=422 if form.errors else 200)


# Booking ----------------------------------------------------------------------


@dataclass
class SlotDay:
    day: date
    cells: list[Slot | None]

    @property
    def free(self) -> bool:
        return any(self.cells)


def _slot_grid(slots: list[Slot], first: date, last: date) -> list[SlotDay]:
    by_start = {slot.start: slot for slot in slots}
    days = []
    day = first
    while day <= last:
        cells = []
        for start_time, end_time in WINDOWS:
            start, _end = availability.window_bounds(day, start_time, end_time)
            cells.append(by_start.get(start))
        days.append(SlotDay(day=day, cells=cells))
        day += timedelta(days=1)
    return days


def _why_no_slots(order: WorkOrder, first: date, last: date) -> tuple[str, bool]:
    """Why nobody can go, in words the operator can repeat to the customer,
    and whether other dates would help."""
    if order.state not in BOOKABLE_STATES:
        return _("Work order %(number)s is “%(state)s”: there is nothing to book.") % {
            "number": order.number, "state": order.state_label}, False
    if order.zone_id is None:
        return _("No zone covers postal code %(code)s, so no technician can go there. Ask a "
                 "dispatcher to add it to a zone.") % {
            "code": order.service_address.postal_code}, False
    if not availability.skilled_technicians(order):
        return _("No active technician with these skills covers %(zone)s: %(skills)s.") % {
            "zone": order.zone.name,
            "skills": ", ".join(str(Skill(skill).label) for skill in order.required_skills
                                if skill in Skill.values)}, False
    return _("No technician has free time from %(first)s to %(last)s. Look at later days.") % {
        "first": first.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")}, True


def _book_page(request, order: WorkOrder, *, search: SlotSearchForm, book_form: BookForm,
               status: int = 200, taken: bool = False):
    first, last = SlotSearchForm.default_range()
    if search.is_bound and search.is_valid():
        first, last = search.cleaned_data["first"], search.cleaned_data["last"]
    bookable = order.state in BOOKABLE_STATES
    slots = availability.free_slots(order, first, last) if bookable and not search.errors \
        else []
    next_first = last + timedelta(days=1)
    why_empty, later_may_help = ("", True) if slots or search.errors \
        else _why_no_slots(order, first, last)
    context = {
        "order": order, "search": search, "book_form": book_form, "taken": taken,
        "first": first, "last": last,
        "windows": [f"{start:%H:%M}–{end:%H:%M}" for start, end in WINDOWS],
        "grid": _slot_grid(slots, first, last) if slots else [],
        "why_empty": why_empty, "later_may_help": later_may_help,
        "next_first": next_first, "next_last": next_first + (last - first),
        "current": window_in_words(order.window_start, order.window_end)
        if order.window_start and order.state in BOOKABLE_STATES
        and order.state != WorkOrderState.GENERATED else "",
    }
    if request.htmx and request.htmx.target == "booking":
        return render(request, "workforce/orders/partials/slots.html", context, status=status)
    return render(request, "workforce/orders/book.html", context, status=status)


def _default_search() -> dict:
    first, last = SlotSearchForm.default_range()
    return {"first": first, "last": last}


@require_http_methods(["GET", "POST"])
@staff_view(BOOK)
def order_book(request, order_id: int):
    """Free arrival windows in a range of days, and booking one of them."""
    order = selectors.access_work_order(actor=request.user, work_order_id=order_id)
    if request.method == "GET":
        search = SlotSearchForm(request.GET if "first" in request.GET else None,
                                initial=_default_search())
        return _book_page(request, order, search=search, book_form=BookForm(),
                          status=422 if search.errors else 200)
    search_data = {key: request.POST.get(key, "") for key in ("first", "last")}
    search = SlotSearchForm(search_data if all(search_data.values()) else None,
                            initial=_default_search())
    book_form = BookForm(request.POST)
    if book_form.is_valid():
        start = book_form.cleaned_data["window_start"]
        try:
            appointment = services.appointment_book(work_order=order, window_start=start,
                                                    actor=request.user)
        except ValidationError as error:
            apply_service_errors(book_form, error)
        else:
            messages.success(request, _("Booked for %(number)s. Tell the customer: "
                                        "%(agreed)s") % {
                "number": order.number,
                "agreed": agreed_in_words(appointment.window_start, appointment.window_end)})
            return redirect("workforce:order", order.pk)
    order.refresh_from_db()
    taken = any(item.code == errors.SLOT_TAKEN
                for items in book_form.errors.as_data().values() for item in items)
    return _book_page(request, order, search=search, book_form=book_form, status=422,
                      taken=taken)


urlpatterns = [
    path("orders/", order_list, name="orders"),
    path("orders/<int:order_id>/", order_detail, name="order"),
    path("orders/<int:order_id>/book/", order_book, name="order_book"),
    path("orders/<int:order_id>/<slug:action>/", order_action, name="order_action"),
    path("customers/<int:customer_id>/orders/new/", order_create, name="order_create"),
]
