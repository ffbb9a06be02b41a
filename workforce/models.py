"""Field work: zones and the technicians who cover them, their absences,
work orders from generation to completion with their events, the equipment
each order installs or recovers, appointments booked with customers, and
scheduling runs."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from customers.models import Address, Customer, choice_label
from inventory.models import EquipmentItem, StockLocation
from workforce.choices import (
    AppointmentStatus,
    EquipmentDirection,
    FailureReason,
    OriginKind,
    Priority,
    Skill,
    WorkOrderKind,
    WorkOrderState,
)


def validate_skills(values) -> None:
    if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
        raise ValidationError(_("Choose a list of skills."), code="invalid")
    unknown = [value for value in values if value not in Skill.values]
    if unknown:
        raise ValidationError(_("Unknown skills: %(values)s.") % {"values": ", ".join(unknown)},
                              code="invalid_choice")


def validate_weekdays(values) -> None:
    if (not isinstance(values, list)
            or not all(isinstance(value, int) and 0 <= value <= 6 for value in values)):
        raise ValidationError(_("Choose working days as numbers 0 (Monday) to 6 (Sunday)."),
                              code="invalid")


class Zone(models.Model):
    """An area technicians cover, made of postal-code ranges, with a point
    (kilometres on a local grid) that travel between zones is measured from."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    x_km = models.DecimalField(_("east (km)"), max_digits=7, decimal_places=2, default=0)
    y_km = models.DecimalField(_("north (km)"), max_digits=7, decimal_places=2, default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("zone")
        verbose_name_plural = _("zones")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.name


class PostcodeRange(models.Model):
    """Postal codes `first` to `last` (inclusive, as numbers) belong to a zone."""

    zone = models.ForeignKey(Zone, verbose_name=_("zone"), on_delete=models.CASCADE,
                             related_name="postcode_ranges")
    first = models.PositiveIntegerField(_("from postal code"))
    last = models.PositiveIntegerField(_("to postal code"))

    class Meta:
        verbose_name = _("postal-code range")
        verbose_name_plural = _("postal-code ranges")
        ordering = ["first"]
        constraints = [
            models.CheckConstraint(condition=Q(first__lte=models.F("last")),
                                   name="postcode_range_ordered"),
        ]
        indexes = [models.Index(fields=["first", "last"], name="postcode_range_idx")]

    def __str__(self) -> str:
        return f"{self.first:05d}–{self.last:05d}"


class TechnicianProfile(models.Model):
    """A field technician: skills, the zones covered, working days and
    hours, how many orders a day, and the van that carries their stock."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, verbose_name=_("technician"),
                                on_delete=models.CASCADE, related_name="technician_profile")
    skills = models.JSONField(_("skills"), default=list, blank=True, validators=[validate_skills])
    zones = models.ManyToManyField(Zone, verbose_name=_("zones covered"), blank=True,
                                   related_name="technicians")
    home_zone = models.ForeignKey(Zone, verbose_name=_("starts from"), null=True, blank=True,
                                  on_delete=models.SET_NULL, related_name="+")
    work_days = models.JSONField(_("working days"), default=list, blank=True,
                                 validators=[validate_weekdays])
    shift_start = models.TimeField(_("starts at"), default="08:00")
    shift_end = models.TimeField(_("ends at"), default="17:00")
    daily_capacity = models.PositiveSmallIntegerField(
        _("orders a day"), default=8, validators=[MinValueValidator(1), MaxValueValidator(50)]
    )
    van = models.OneToOneField(StockLocation, verbose_name=_("van"), null=True, blank=True,
                               on_delete=models.PROTECT, related_name="technician_profile")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        ordering = ["user__last_name", "user__first_name"]
        constraints = [
            models.CheckConstraint(condition=Q(shift_start__lt=models.F("shift_end")),
                                   name="technician_shift_ordered"),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def clean(self) -> None:
        if self.shift_start and self.shift_end and self.shift_start >= self.shift_end:
            raise ValidationError({"shift_end": ValidationError(
                _("The shift must end after it starts."), code="shift_order")})


class Absence(models.Model):
    """Days a technician does not work (holidays, sickness, training)."""

    technician = models.ForeignKey(TechnicianProfile, verbose_name=_("technician"),
                                   on_delete=models.CASCADE, related_name="absences")
    start_date = models.DateField(_("from"))
    end_date = models.DateField(_("to"))
    reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("absence")
        verbose_name_plural = _("absences")
        ordering = ["-start_date"]
        constraints = [
            models.CheckConstraint(condition=Q(start_date__lte=models.F("end_date")),
                                   name="absence_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.technician}: {self.start_date}–{self.end_date}"


class WorkOrder(FSMModelMixin, models.Model):
    """A visit of a field technician to a customer's service address to
    install, repair, swap or recover equipment, or to survey the site. Its
    origin (a subscription order, a ticket) sits above this app and is kept
    as an opaque reference."""

    number = models.CharField(_("number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=WorkOrderKind.choices)
    origin_kind = models.CharField(_("origin"), max_length=20, choices=OriginKind.choices,
                                   default=OriginKind.MANUAL)
    origin_ref = models.CharField(_("origin reference"), max_length=40, blank=True)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="work_orders")
    service_address = models.ForeignKey(Address, verbose_name=_("service address"),
                                        on_delete=models.PROTECT, related_name="work_orders")
    zone = models.ForeignKey(Zone, verbose_name=_("zone"), null=True, blank=True,
                             on_delete=models.PROTECT, related_name="work_orders")
    required_skills = models.JSONField(_("skills needed"), default=list, blank=True,
                                       validators=[validate_skills])
    estimated_minutes = models.PositiveSmallIntegerField(
        _("estimated minutes"), default=60,
        validators=[MinValueValidator(10), MaxValueValidator(480)],
    )
    priority = models.PositiveSmallIntegerField(_("priority"), choices=Priority.choices,
                                                default=Priority.NORMAL)
    notes = models.TextField(_("notes for the technician"), blank=True)
    state = FSMField(_("state"), max_length=20, choices=WorkOrderState.choices,
                     default=WorkOrderState.GENERATED, protected=True)
    scheduled_date = models.DateField(_("date"), null=True, blank=True)
    window_start = models.DateTimeField(_("arrival from"), null=True, blank=True)
    window_end = models.DateTimeField(_("arrival until"), null=True, blank=True)
    technician = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("technician"),
                                   null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="work_orders")
    planned_start = models.DateTimeField(_("planned start"), null=True, blank=True)
    route_position = models.PositiveSmallIntegerField(_("position in the day"), null=True,
                                                      blank=True)
    unassigned_reason = models.CharField(_("why it is not assigned"), max_length=200,
                                         blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=30, blank=True,
                                      choices=FailureReason.choices)
    result_note = models.TextField(_("technician's note"), blank=True)
    signature = models.TextField(_("customer's signature"), blank=True,
                                 help_text=_("A PNG image as a data URL."))
    signed_by = models.CharField(_("signed by"), max_length=150, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("work order")
        verbose_name_plural = _("work orders")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("book_workorder", _("Can book appointments for work orders")),
            ("dispatch_workorder", _("Can schedule, assign and dispatch work orders")),
            ("perform_workorder", _("Can carry out assigned work orders")),
        ]
        indexes = [
            models.Index(fields=["scheduled_date", "state"], name="workorder_day_idx"),
            models.Index(fields=["technician", "scheduled_date"], name="workorder_tech_idx"),
            models.Index(fields=["customer", "state"], name="workorder_customer_idx"),
            models.Index(fields=["origin_kind", "origin_ref"], name="workorder_origin_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(window_start__isnull=True) | Q(window_end__gt=models.F("window_start")),
                name="workorder_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def state_label(self) -> str:
        return choice_label(WorkOrderState, self.state)

    @property
    def kind_label(self) -> str:
        return choice_label(WorkOrderKind, self.kind)

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude={*(exclude or ()), "state"})

    @transition(field=state, source=[WorkOrderState.GENERATED, WorkOrderState.SCHEDULED,
                                     WorkOrderState.ASSIGNED],
                target=WorkOrderState.SCHEDULED)
    def schedule(self) -> None:
        """An appointment was agreed with the customer (again, on a reschedule)."""

    @transition(field=state, source=[WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED],
                target=WorkOrderState.ASSIGNED)
    def assign(self) -> None:
        """A technician will do it, at a planned time."""

    @transition(field=state, source=WorkOrderState.ASSIGNED, target=WorkOrderState.SCHEDULED)
    def unassign(self) -> None:
        """Back to the queue of the day."""

    @transition(field=state, source=WorkOrderState.ASSIGNED, target=WorkOrderState.DISPATCHED)
    def dispatch(self) -> None:
        """Sent to the technician's page."""

    @transition(field=state, source=WorkOrderState.DISPATCHED, target=WorkOrderState.EN_ROUTE)
    def start_travel(self) -> None:
        """The technician is on the way."""

    @transition(field=state, source=WorkOrderState.EN_ROUTE, target=WorkOrderState.ON_SITE)
    def arrive(self) -> None:
        """The technician is at the customer's."""

    @transition(field=state, source=WorkOrderState.ON_SITE, target=WorkOrderState.COMPLETED)
    def complete(self) -> None:
        """Done, signed by the customer."""

    @transition(field=state, source=[WorkOrderState.DISPATCHED, WorkOrderState.EN_ROUTE,
                                     WorkOrderState.ON_SITE],
                target=WorkOrderState.FAILED)
    def fail(self) -> None:
        """Could not be done; the reason says why."""

    @transition(field=state, source=[WorkOrderState.GENERATED, WorkOrderState.SCHEDULED,
                                     WorkOrderState.ASSIGNED, WorkOrderState.DISPATCHED],
                target=WorkOrderState.CANCELLED)
    def cancel(self) -> None:
        """Not needed any more."""


class WorkOrderItem(models.Model):
    """A piece of equipment the order installs (reserved for it) or recovers."""

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"),
                                   on_delete=models.CASCADE, related_name="equipment")
    item = models.ForeignKey(EquipmentItem, verbose_name=_("item"), on_delete=models.PROTECT,
                             related_name="work_order_lines")
    direction = models.CharField(_("direction"), max_length=10,
                                 choices=EquipmentDirection.choices)
    done = models.BooleanField(_("done"), default=False)

    class Meta:
        verbose_name = _("equipment of a work order")
        verbose_name_plural = _("equipment of work orders")
        ordering = ["work_order", "direction", "id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "item"], name="workorder_item_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order} {self.direction} {self.item}"


class WorkOrderEvent(models.Model):
    """One change of a work order: a transition, a booking, an assignment;
    who, when, why. The order's timeline."""

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"),
                                   on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=30)
    from_state = models.CharField(_("from"), max_length=20, blank=True,
                                  choices=WorkOrderState.choices)
    to_state = models.CharField(_("to"), max_length=20, choices=WorkOrderState.choices)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    payload = models.JSONField(_("details"), default=dict, blank=True)
    # The technician's page sends a token with each form, so a submission
    # repeated after a dropped connection is recognised and not done twice.
    submission_id = models.CharField(_("submission"), max_length=64, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("work order event")
        verbose_name_plural = _("work order events")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["work_order", "submission_id"],
                                    condition=~Q(submission_id=""),
                                    name="workorder_event_submission_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order}: {self.from_state} → {self.to_state}"

    @property
    def to_state_label(self) -> str:
        return choice_label(WorkOrderState, self.to_state)

    @property
    def from_state_label(self) -> str:
        return choice_label(WorkOrderState, self.from_state) if self.from_state else ""


class Appointment(models.Model):
    """A visit window agreed with the customer, holding the time of the
    technician who can take it; a reschedule keeps the old row."""

    work_order = models.ForeignKey(WorkOrder, verbose_name=_("work order"),
                                   on_delete=models.CASCADE, related_name="appointments")
    technician = models.ForeignKey(TechnicianProfile, verbose_name=_("held with"),
                                   on_delete=models.PROTECT, related_name="appointments")
    date = models.DateField(_("date"))
    window_start = models.DateTimeField(_("arrival from"))
    window_end = models.DateTimeField(_("arrival until"))
    minutes = models.PositiveSmallIntegerField(_("minutes held"))
    status = models.CharField(_("status"), max_length=12, choices=AppointmentStatus.choices,
                              default=AppointmentStatus.BOOKED)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("booked by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("booked at"), auto_now_add=True)

    class Meta:
        verbose_name = _("appointment")
        verbose_name_plural = _("appointments")
        ordering = ["-window_start"]
        constraints = [
            models.UniqueConstraint(fields=["work_order"], condition=Q(status="booked"),
                                    name="appointment_one_booked_per_order"),
        ]
        indexes = [
            models.Index(fields=["technician", "date"], condition=Q(status="booked"),
                         name="appointment_tech_day_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.work_order} {timezone.localtime(self.window_start):%Y-%m-%d %H:%M}"


class ScheduleRun(models.Model):
    """One run of the automatic scheduler for a day, with what it achieved
    and what a plain first-fit would have on the same day."""

    date = models.DateField(_("date"))
    orders = models.PositiveIntegerField(_("orders"), default=0)
    assigned = models.PositiveIntegerField(_("assigned"), default=0)
    unassigned = models.PositiveIntegerField(_("not assigned"), default=0)
    travel_km = models.DecimalField(_("travel (km)"), max_digits=10, decimal_places=1,
                                    default=0)
    first_fit_assigned = models.PositiveIntegerField(_("first-fit assigned"), default=0)
    first_fit_travel_km = models.DecimalField(_("first-fit travel (km)"), max_digits=10,
                                              decimal_places=1, default=0)
    seconds = models.DecimalField(_("seconds"), max_digits=8, decimal_places=2, default=0)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("run by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("run at"), auto_now_add=True)

    class Meta:
        verbose_name = _("scheduling run")
        verbose_name_plural = _("scheduling runs")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.date}: {self.assigned}/{self.orders}"
