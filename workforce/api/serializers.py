"""Input serializers parse shapes (ids, choices, lengths, dates); the
services validate the domain. References to other rows are plain ids,
resolved by the views among what the caller may see.

A choice list that already has a schema name elsewhere under the same field
name (an item's `state`, an interaction's `direction`) is given here as
plain text with its values in the help text, and each of the other choice
lists appears under one field name in one schema component (inputs share
the component name of their output), so that the OpenAPI schema names every
enum once and without warnings."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from inventory.api.serializers import IdField
from workforce import availability, errors
from workforce.choices import (
    AppointmentStatus,
    EquipmentDirection,
    FailureReason,
    OriginKind,
    Priority,
    Skill,
    Weekday,
    WorkOrderKind,
    WorkOrderState,
)
from workforce.models import (
    Appointment,
    ScheduleRun,
    TechnicianProfile,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderItem,
    Zone,
)

REFERENCE_LENGTH = 40
REASON_LENGTH = 300
NOTE_LENGTH = 2000
SUBMISSION_LENGTH = 64
IDENTIFIER_LENGTH = 64
MAX_ITEMS = 50
# A PNG of at most 300 KiB (the service's limit) as base64 in a data URL,
# with room to spare: the service refuses it with its own code.
SIGNATURE_LENGTH = 500_000


def values_of(choices) -> str:
    return ", ".join(str(value) for value in choices.values)


def submission_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=SUBMISSION_LENGTH, required=False, allow_blank=True, default="",
        help_text="A token the client makes once per form: the same submission sent again "
                  "(after a dropped connection) is answered without being done twice.")


def identifiers_field(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.CharField(max_length=IDENTIFIER_LENGTH, allow_blank=True),
        max_length=MAX_ITEMS, required=False, default=list, help_text=help_text)


# Technicians and zones -------------------------------------------------------------


class ZoneOutput(serializers.ModelSerializer):
    class Meta:
        model = Zone
        fields = ["id", "code", "name"]


@extend_schema_serializer(component_name="Technician")
class TechnicianOutput(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    name = serializers.SerializerMethodField()
    skills = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text=f"Skill codes, as in a work order's `required_skills`: {values_of(Skill)}.")
    zones = ZoneOutput(many=True, read_only=True)
    home_zone = ZoneOutput(read_only=True, allow_null=True)
    work_days = serializers.ListField(child=serializers.ChoiceField(choices=Weekday.choices),
                                      read_only=True, help_text="0 is Monday, 6 is Sunday.")

    class Meta:
        model = TechnicianProfile
        fields = ["id", "user", "username", "name", "skills", "zones", "home_zone", "work_days",
                  "shift_start", "shift_end", "daily_capacity", "van", "is_active",
                  "created_at", "updated_at"]
        extra_kwargs = {"user": {"help_text": "The technician's user id: what work orders and "
                                              "appointments call `technician`."},
                        "van": {"help_text": "The id of the technician's van (a stock "
                                             "location)."}}

    def get_name(self, profile: TechnicianProfile) -> str:
        return profile.user.get_full_name() or profile.user.get_username()


# Appointments ----------------------------------------------------------------------


@extend_schema_serializer(component_name="Appointment")
class AppointmentOutput(serializers.ModelSerializer):
    work_order_number = serializers.CharField(source="work_order.number", read_only=True)
    technician = serializers.IntegerField(
        source="technician.user_id", read_only=True,
        help_text="The user id of the technician whose time the appointment holds.")
    technician_username = serializers.CharField(source="technician.user.username",
                                                read_only=True)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Appointment
        fields = ["id", "work_order", "work_order_number", "technician", "technician_username",
                  "date", "window_start", "window_end", "minutes", "status", "created_by",
                  "created_at"]


# Work orders -----------------------------------------------------------------------


class WorkOrderLineOutput(serializers.ModelSerializer):
    serial_number = serializers.CharField(source="item.serial_number", read_only=True)
    model_code = serializers.CharField(source="item.model.code", read_only=True)
    item_state = serializers.CharField(
        source="item.state", read_only=True,
        help_text="The item's state now, as in the inventory API.")
    direction = serializers.CharField(read_only=True,
                                      help_text=f"One of: {values_of(EquipmentDirection)}.")

    class Meta:
        model = WorkOrderItem
        fields = ["id", "item", "serial_number", "model_code", "item_state", "direction",
                  "done"]


@extend_schema_serializer(component_name="WorkOrder")
class WorkOrderOutput(serializers.ModelSerializer):
    """The order with its equipment and its booked appointment; the same
    shape in lists and alone (both prefetched)."""

    state = serializers.CharField(read_only=True,
                                  help_text=f"One of: {values_of(WorkOrderState)}.")
    required_skills = serializers.ListField(child=serializers.ChoiceField(Skill.choices))
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    zone_code = serializers.CharField(source="zone.code", read_only=True, allow_null=True,
                                      default=None)
    technician_username = serializers.CharField(source="technician.username", read_only=True,
                                                allow_null=True, default=None)
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    equipment = WorkOrderLineOutput(many=True, read_only=True)
    appointment = serializers.SerializerMethodField(
        help_text="The booked appointment, if any (rescheduled ones are in /appointments/).")

    class Meta:
        model = WorkOrder
        fields = ["id", "number", "kind", "state", "origin_kind", "origin_ref", "customer",
                  "customer_number", "service_address", "zone", "zone_code", "required_skills",
                  "estimated_minutes", "priority", "notes", "scheduled_date", "window_start",
                  "window_end", "technician", "technician_username", "planned_start",
                  "route_position", "unassigned_reason", "failure_reason", "result_note",
                  "signed_by", "finished_at", "equipment", "appointment", "created_by",
                  "created_at", "updated_at"]
        extra_kwargs = {"technician": {"help_text": "The assigned technician's user id."}}

    @extend_schema_field(AppointmentOutput(allow_null=True))
    def get_appointment(self, order: WorkOrder) -> dict | None:
        booked = getattr(order, "booked_appointments", None)
        if booked is None:
            booked = list(order.appointments.filter(status=AppointmentStatus.BOOKED)
                          .select_related("technician__user", "created_by", "work_order"))
        if not booked:
            return None
        return AppointmentOutput(booked[0], context=self.context).data


@extend_schema_serializer(component_name="WorkOrder")
class WorkOrderCreateInput(serializers.Serializer):
    customer = IdField()
    service_address = IdField(help_text="The id of one of the customer's addresses.")
    kind = serializers.ChoiceField(choices=WorkOrderKind.choices)
    required_skills = serializers.ListField(
        child=serializers.ChoiceField(Skill.choices), required=False, default=list,
        max_length=len(Skill.values),
        help_text="By default the skill the kind needs (recovery, survey); other kinds must "
                  "say.")
    estimated_minutes = serializers.IntegerField(min_value=10, max_value=480, default=60)
    priority = serializers.ChoiceField(choices=Priority.choices, default=Priority.NORMAL)
    notes = serializers.CharField(max_length=NOTE_LENGTH, required=False, allow_blank=True,
                                  default="")
    origin_kind = serializers.ChoiceField(choices=OriginKind.choices, default=OriginKind.MANUAL)
    origin_ref = serializers.CharField(max_length=REFERENCE_LENGTH, required=False,
                                       allow_blank=True, default="")
    install_items = serializers.ListField(
        child=IdField(), required=False, default=list, max_length=MAX_ITEMS,
        help_text="Ids of items to install: reserved for the customer now.")
    recover_items = serializers.ListField(
        child=IdField(), required=False, default=list, max_length=MAX_ITEMS,
        help_text="Ids of items installed at the customer's to take back.")

    def validate(self, attrs: dict) -> dict:
        # An order holds an item once: the service would trip on its
        # uniqueness instead of answering.
        for field in ("install_items", "recover_items"):
            if len(set(attrs[field])) != len(attrs[field]):
                raise serializers.ValidationError({field: serializers.ErrorDetail(
                    _("Name each item once."), code="duplicate")})
        if set(attrs["install_items"]) & set(attrs["recover_items"]):
            raise serializers.ValidationError({"recover_items": serializers.ErrorDetail(
                _("An item cannot be both installed and recovered."), code="duplicate")})
        return attrs


class SlotQuery(serializers.Serializer):
    """The days to search for free arrival windows, at most 31."""

    # `from` is a Python keyword: the field is added in get_fields.
    to = serializers.DateField(required=False,
                               help_text="Last day to search (by default six days after "
                                         "`from`).")

    def get_fields(self):
        fields = super().get_fields()
        return {"from": serializers.DateField(required=False,
                                              help_text="First day to search (by default "
                                                        "today)."),
                **fields}

    def validate(self, attrs: dict) -> dict:
        first: date = attrs.get("from") or timezone.localdate()
        last: date = attrs.get("to") or first + timedelta(days=6)
        if last < first:
            raise serializers.ValidationError(
                {"to": serializers.ErrorDetail(_("The last day must not be before the first."),
                                               code=errors.BAD_RANGE)})
        if (last - first).days + 1 > availability.MAX_SEARCH_DAYS:
            raise serializers.ValidationError(
                {"to": serializers.ErrorDetail(
                    _("Search at most %(days)s days at a time.")
                    % {"days": availability.MAX_SEARCH_DAYS}, code=errors.BAD_RANGE)})
        return {"from": first, "to": last}


class SlotOutput(serializers.Serializer):
    date = serializers.DateField()
    window_start = serializers.DateTimeField(source="start",
                                             help_text="What to book: POST it to book/.")
    window_end = serializers.DateTimeField(source="end")
    technicians = serializers.IntegerField(
        help_text="How many technicians could still take the order in this window.")


class BookInput(serializers.Serializer):
    window_start = serializers.DateTimeField(
        help_text="The start of one of the offered arrival windows (see slots/).")


class AssignInput(serializers.Serializer):
    technician = IdField(help_text="The user id of an active field technician.")
    planned_start = serializers.DateTimeField(
        required=False, allow_null=True, default=None,
        help_text="When the visit starts; by default the start of the arrival window.")


class WorkOrderReasonInput(serializers.Serializer):
    reason = serializers.CharField(max_length=REASON_LENGTH, required=False, allow_blank=True,
                                   default="")


class SubmissionInput(serializers.Serializer):
    submission_id = submission_field()


class CompleteInput(serializers.Serializer):
    signature = serializers.CharField(
        max_length=SIGNATURE_LENGTH, allow_blank=True,
        help_text="The customer's signature: a PNG image as a data URL "
                  "(data:image/png;base64,...).")
    signed_by = serializers.CharField(max_length=150, required=False, allow_blank=True,
                                      default="")
    installed = identifiers_field("Serial numbers (or MAC or card numbers) of the items "
                                  "installed: from the van or reserved for the customer.")
    recovered = identifiers_field("Serial numbers (or MAC or card numbers) of the items taken "
                                  "back from the customer into the van.")
    note = serializers.CharField(max_length=NOTE_LENGTH, required=False, allow_blank=True,
                                 default="")
    submission_id = submission_field()


class FailInput(serializers.Serializer):
    # Plain text (the order's `failure_reason` names the choice list in the
    # schema); the service refuses an unknown one with `invalid_choice`.
    reason = serializers.CharField(max_length=30, help_text=f"One of: {values_of(FailureReason)}.")
    note = serializers.CharField(max_length=NOTE_LENGTH, required=False, allow_blank=True,
                                 default="")
    submission_id = submission_field()


class WorkOrderEventOutput(serializers.ModelSerializer):
    # The states are those of the order's `state`: plain text here too.
    from_state = serializers.CharField(read_only=True,
                                       help_text="The order's state before (empty when made).")
    to_state = serializers.CharField(read_only=True, help_text="The order's state after.")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = WorkOrderEvent
        fields = ["id", "action", "from_state", "to_state", "reason", "payload", "actor",
                  "created_at"]


# Scheduling runs -------------------------------------------------------------------


class ScheduleRunOutput(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = ScheduleRun
        fields = ["id", "date", "orders", "assigned", "unassigned", "travel_km",
                  "first_fit_assigned", "first_fit_travel_km", "seconds", "created_by",
                  "created_at"]


class ScheduleRunInput(serializers.Serializer):
    date = serializers.DateField(help_text="The day to plan.")
