"""The dispatcher's board: a day per technician in route order, the queue of
orders nobody has yet, late and at-risk orders marked; the automatic
scheduler, reassignment and dispatching. Each write calls one service and
goes back to the board of the order's day; a refused assignment comes back
with 422 and the reason next to the field."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sesmu.decorators import staff_view
from sesmu.forms import apply_service_errors
from sesmu.models import User
from workforce import selectors, services
from workforce.choices import WorkOrderState
from workforce.models import ScheduleRun, TechnicianProfile, WorkOrder

VIEW = "workforce.view_workorder"
DISPATCH = "workforce.dispatch_workorder"


def _day_from(value: str | None) -> date:
    """The day asked for (YYYY-MM-DD), today when missing or malformed."""
    try:
        return date.fromisoformat(value) if value else timezone.localdate()
    except ValueError:
        return timezone.localdate()


def _board_url(day: date | None, anchor: str = "") -> str:
    url = reverse("workforce:board")
    if day is not None:
        url += f"?day={day.isoformat()}"
    return url + (f"#{anchor}" if anchor else "")


# The board --------------------------------------------------------------------


@dataclass
class BoardLine:
    """An order on the board with what the dispatcher must notice."""

    order: WorkOrder
    late: bool
    at_risk: bool

    @property
    def flagged(self) -> bool:
        return self.late or self.at_risk


@dataclass
class TechnicianLine:
    technician: TechnicianProfile
    working: bool
    lines: list[BoardLine]

    @property
    def minutes(self) -> int:
        return sum(line.order.estimated_minutes for line in self.lines)

    @property
    def shift_minutes(self) -> int:
        start, end = self.technician.shift_start, self.technician.shift_end
        return (end.hour * 60 + end.minute) - (start.hour * 60 + start.minute)

    @property
    def visits(self) -> int:
        return len(self.lines)

    @property
    def full(self) -> bool:
        return self.visits >= self.technician.daily_capacity

    @property
    def assigned(self) -> int:
        return sum(1 for line in self.lines if line.order.state == WorkOrderState.ASSIGNED)


@dataclass
class RunFigures:
    """The last automatic run, set against first-fit on the same day."""

    run: ScheduleRun

    @property
    def assigned_difference(self) -> int:
        return self.run.assigned - self.run.first_fit_assigned

    @property
    def travel_saved_km(self):
        return self.run.first_fit_travel_km - self.run.travel_km


def _board_context(day: date) -> dict:
    board = selectors.dispatch_board(day=day)
    now = timezone.now()

    def line(order: WorkOrder) -> BoardLine:
        return BoardLine(order=order, late=selectors.is_late(order, now),
                         at_risk=selectors.is_at_risk(order, now))

    rows = [TechnicianLine(technician=row.technician, working=row.working,
                           lines=[line(order) for order in row.orders])
            for row in board.rows]
    queue = [line(order) for order in board.unassigned]
    every = [*queue, *(entry for row in rows for entry in row.lines)]
    return {
        "day": day,
        "today": timezone.localdate(),
        "previous_day": day - timedelta(days=1),
        "next_day": day + timedelta(days=1),
        "rows": rows,
        "queue": queue,
        "last_run": RunFigures(board.last_run) if board.last_run is not None else None,
        "assigned_count": sum(row.assigned for row in rows),
        "order_count": len(every),
        "late_count": sum(1 for entry in every if entry.late),
        "at_risk_count": sum(1 for entry in every if entry.at_risk and not entry.late),
    }


@require_GET
@staff_view(VIEW, DISPATCH)
def board(request):
    day = _day_from(request.GET.get("day"))
    return render(request, "workforce/board/board.html", _board_context(day))


@require_POST
@staff_view(VIEW, DISPATCH)
def board_schedule(request):
    day = _day_from(request.POST.get("day"))
    run = services.schedule_day(day=day, actor=request.user)
    messages.success(
        request,
        _("Automatic scheduling of %(day)s: %(assigned)s of %(orders)s orders assigned "
          "(first-fit: %(first_fit)s), %(travel)s km of travel (first-fit: %(first_fit_km)s km).")
        % {"day": day.strftime("%d/%m/%Y"), "assigned": run.assigned, "orders": run.orders,
           "first_fit": run.first_fit_assigned, "travel": run.travel_km,
           "first_fit_km": run.first_fit_travel_km})
    return redirect(_board_url(day))


@require_POST
@staff_view(VIEW, DISPATCH)
def board_dispatch(request):
    """Dispatch every assigned order of the day, or of one technician's day."""
    day = _day_from(request.POST.get("day"))
    technician = None
    if request.POST.get("technician"):
        profile = selectors.technician_list(active_only=False).filter(
            user_id=_number(request.POST["technician"])).first()
        if profile is None:
            messages.error(request, _("No such technician."))
            return redirect(_board_url(day))
        technician = profile.user
    try:
        count = services.dispatch_day(day=day, actor=request.user, technician=technician)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect(_board_url(day))
    if count == 0:
        messages.info(request, _("There was no assigned order to dispatch."))
    elif technician is not None:
        messages.success(request, ngettext("%(count)s order sent to %(name)s.",
                                           "%(count)s orders sent to %(name)s.", count)
                         % {"count": count, "name": technician.get_full_name()
                            or technician.get_username()})
    else:
        messages.success(request, ngettext("%(count)s order sent to its technician.",
                                           "%(count)s orders sent to their technicians.", count)
                         % {"count": count})
    return redirect(_board_url(day))


def _number(value) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _order_action(request, work_order_id, call, done: str):
    """Call one service on an order and go back to its day on the board,
    saying what happened or why it was refused."""
    order = selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
    try:
        call(order)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done % {"number": order.number})
    return redirect(_board_url(order.scheduled_date, f"order-{order.pk}"))


@require_POST
@staff_view(VIEW, DISPATCH)
def board_unassign(request, work_order_id: int):
    return _order_action(
        request, work_order_id,
        lambda order: services.work_order_unassign(work_order=order, actor=request.user,
                                                   reason=_("Taken off the board")),
        _("%(number)s is back in the queue."))


@require_POST
@staff_view(VIEW, DISPATCH)
def board_dispatch_order(request, work_order_id: int):
    return _order_action(
        request, work_order_id,
        lambda order: services.work_order_dispatch(work_order=order, actor=request.user),
        _("%(number)s was sent to its technician."))


# Assigning one order ----------------------------------------------------------


class AssignForm(forms.Form):
    technician = forms.TypedChoiceField(label=gettext_lazy("Technician"), coerce=int)
    planned_start = forms.TimeField(
        label=gettext_lazy("Planned start"), required=False,
        # A text box rather than type="time": browsers show that one in the
        # computer's 12 or 24-hour style, and dispatchers work in 24 hours.
        widget=forms.TimeInput(format="%H:%M", attrs={
            "placeholder": "hh:mm", "inputmode": "numeric", "autocomplete": "off",
            "class": "time-input", "pattern": "[0-2]?[0-9]:[0-5][0-9]"}),
        help_text=gettext_lazy("24-hour time, e.g. 10:30. Empty: the start of the arrival "
                               "window."),
    )

    def __init__(self, *args, order: WorkOrder, profiles: list[TechnicianProfile], **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.profiles = {profile.user_id: profile for profile in profiles}
        fitting, others = [], []
        for profile in profiles:
            label = str(profile)
            if _fits(order, profile):
                fitting.append((profile.user_id, label))
            else:
                others.append((profile.user_id, label))
        choices: list = [("", _("Choose a technician"))]
        if fitting:
            choices.append((_("With the skills, covering the zone"), fitting))
        if others:
            choices.append((_("Others"), others))
        self.fields["technician"].choices = choices

    def clean_technician(self) -> User:
        return self.profiles[self.cleaned_data["technician"]].user

    def planned_datetime(self) -> datetime | None:
        chosen = self.cleaned_data.get("planned_start")
        if chosen is None:
            return None
        if self.order.scheduled_date is None:
            raise ValidationError({"planned_start": ValidationError(
                _("Book an appointment first."), code="required")})
        return timezone.make_aware(datetime.combine(self.order.scheduled_date, chosen),
                                   timezone.get_current_timezone())


def _fits(order: WorkOrder, profile: TechnicianProfile) -> bool:
    zones = {zone.pk for zone in profile.zones.all()}
    return set(order.required_skills) <= set(profile.skills) and order.zone_id in zones


@require_http_methods(["GET", "POST"])
@staff_view(VIEW, DISPATCH)
def board_assign(request, work_order_id: int):
    """Give an order to a technician (or another one) at a planned time; a
    refusal (missing skill, outside the zone, overlap...) is said next to
    the field and nothing changes."""
    order = selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
    profiles = list(selectors.technician_list())
    initial = {}
    if order.technician_id:
        initial["technician"] = order.technician_id
    start = order.planned_start or order.window_start
    if start is not None:
        initial["planned_start"] = timezone.localtime(start).time()
    form = AssignForm(request.POST or None, order=order, profiles=profiles, initial=initial)
    if request.method == "POST" and form.is_valid():
        technician = form.cleaned_data["technician"]
        try:
            services.work_order_assign(work_order=order, technician=technician,
                                       actor=request.user, planned_start=form.planned_datetime())
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("%(number)s is assigned to %(name)s.")
                             % {"number": order.number,
                                "name": technician.get_full_name() or technician.get_username()})
            return redirect(_board_url(order.scheduled_date, f"order-{order.pk}"))
    return render(request, "workforce/board/assign.html", {"order": order, "form": form},
                  status=422 if form.errors else 200)


urlpatterns = [
    path("board/", board, name="board"),
    path("board/schedule/", board_schedule, name="board_schedule"),
    path("board/dispatch/", board_dispatch, name="board_dispatch"),
    path("board/orders/<int:work_order_id>/assign/", board_assign, name="board_assign"),
    path("board/orders/<int:work_order_id>/unassign/", board_unassign, name="board_unassign"),
    path("board/orders/<int:work_order_id>/dispatch/", board_dispatch_order,
         name="board_dispatch_order"),
]
