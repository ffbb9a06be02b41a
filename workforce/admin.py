"""Back office of field work. Zones (with their postal-code ranges) are
reference data, edited here; technicians' profiles and absences are edited
here too, saved through the workforce services (which give a new technician
their van and audit every change). Work orders, their events, equipment and
appointments, and scheduling runs are only shown: an order changes state
through the services, which lock it, check the transition and write the
event row."""

from __future__ import annotations

from datetime import datetime

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from customers.admin import ServiceAdmin
from inventory.admin import ExactSearchMixin, ReadOnlyAdmin, ReadOnlyInline, matching_item_ids
from sesmu.models import User
from sesmu.roles import Role
from workforce import services
from workforce.choices import Skill, Weekday
from workforce.models import (
    Absence,
    Appointment,
    PostcodeRange,
    ScheduleRun,
    TechnicianProfile,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderItem,
    Zone,
)
from workforce.services._common import postcode_number
from workforce.services.technicians import PROFILE_FIELDS


def postcode_typed(term: str) -> int | None:
    """The postal code typed as the search term, as a number, if it is one."""
    return postcode_number(term) if term.strip().isdigit() else None


def ranges_holding(number: int):
    return PostcodeRange.objects.filter(first__lte=number, last__gte=number)


def order_ids(term: str) -> list[int]:
    """Work orders by number, customer number or origin reference, exactly."""
    value = term.strip()
    return list(WorkOrder.objects.filter(
        Q(number=value.upper()) | Q(customer__number=value.upper()) | Q(origin_ref=value)
    ).values_list("pk", flat=True)[:100])


def skill_labels(skills: list[str]) -> str:
    return ", ".join(str(Skill(skill).label) for skill in skills if skill in Skill.values)


# Reference data --------------------------------------------------------------------


class PostcodeRangeInline(admin.TabularInline):
    model = PostcodeRange
    extra = 1
    fields = ["first", "last"]


@admin.register(Zone)
class ZoneAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "ranges", "x_km", "y_km", "technician_count", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name"]
    search_help_text = _("Code, name, or a postal code the zone covers.")
    inlines = [PostcodeRangeInline]

    def get_queryset(self, request):
        return (super().get_queryset(request).prefetch_related("postcode_ranges")
                .annotate(technician_total=Count("technicians", distinct=True)))

    def get_search_results(self, request, queryset, search_term):
        number = postcode_typed(search_term)
        if number is not None:
            zone_ids = list(ranges_holding(number).values_list("zone_id", flat=True))
            return queryset.filter(pk__in=zone_ids), False
        return super().get_search_results(request, queryset, search_term)

    @admin.display(description=_("postal codes"))
    def ranges(self, obj: Zone) -> str:
        return ", ".join(str(postcode_range) for postcode_range in obj.postcode_ranges.all())

    @admin.display(description=_("technicians"), ordering="technician_total")
    def technician_count(self, obj: Zone) -> int:
        return obj.technician_total

    def has_delete_permission(self, request, obj=None) -> bool:
        # Orders and technicians point at the zone: deactivate it instead.
        return False


@admin.register(PostcodeRange)
class PostcodeRangeAdmin(admin.ModelAdmin):
    list_display = ["__str__", "zone"]
    list_filter = ["zone"]
    list_select_related = ["zone"]
    search_fields = ["zone__code", "zone__name"]
    search_help_text = _("Zone code or name, or a postal code.")

    def get_search_results(self, request, queryset, search_term):
        number = postcode_typed(search_term)
        if number is not None:
            return queryset & ranges_holding(number), False
        return super().get_search_results(request, queryset, search_term)


# Technicians -----------------------------------------------------------------------


class TechnicianProfileForm(forms.ModelForm):
    skills = forms.MultipleChoiceField(
        label=capfirst(TechnicianProfile._meta.get_field("skills").verbose_name),
        choices=Skill.choices, required=False, widget=forms.CheckboxSelectMultiple)
    work_days = forms.TypedMultipleChoiceField(
        label=capfirst(TechnicianProfile._meta.get_field("work_days").verbose_name),
        choices=Weekday.choices, coerce=int, required=False,
        widget=forms.CheckboxSelectMultiple)

    class Meta:
        model = TechnicianProfile
        fields = ["user", "skills", "zones", "home_zone", "work_days", "shift_start",
                  "shift_end", "daily_capacity", "is_active"]

    def clean(self):
        cleaned = super().clean()
        home, zones = cleaned.get("home_zone"), cleaned.get("zones")
        if home is not None and zones is not None and home not in zones:
            self.add_error("home_zone", _("Choose one of the zones the technician covers."))
        start, end = cleaned.get("shift_start"), cleaned.get("shift_end")
        if start is not None and end is not None and start >= end:
            self.add_error("shift_end", ValidationError(
                _("The shift must end after it starts."), code="shift_order"))
        return cleaned

    def _update_errors(self, errors: ValidationError) -> None:
        # The model says the same with the code "invalid", which a form field
        # shows as its own "Enter a valid time.": clean() has said it already.
        if self.has_error("shift_end", "shift_order") and hasattr(errors, "error_dict"):
            errors.error_dict.pop("shift_end", None)
            if not errors.error_dict:
                return
        super()._update_errors(errors)


class AbsenceInline(admin.TabularInline):
    model = Absence
    extra = 0
    fields = ["start_date", "end_date", "reason"]
    ordering = ["-start_date"]


@admin.register(TechnicianProfile)
class TechnicianProfileAdmin(ServiceAdmin):
    """Saved through `services.technician_profile_save` (the first save gives
    the technician a van); new absences through `services.absence_add`."""

    form = TechnicianProfileForm
    list_display = ["__str__", "username", "skill_count", "zone_count", "home_zone", "shift",
                    "daily_capacity", "van", "is_active"]
    list_filter = ["is_active", "zones"]
    list_select_related = ["user", "home_zone", "van"]
    search_fields = ["user__username", "user__first_name", "user__last_name", "van__code"]
    filter_horizontal = ["zones"]
    readonly_fields = ["van", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["user", "is_active"]}),
        (_("Work"), {"fields": ["skills", "zones", "home_zone"]}),
        (_("Time"), {"fields": ["work_days", "shift_start", "shift_end", "daily_capacity"]}),
        (_("Record"), {"fields": ["van", "created_at", "updated_at"]}),
    ]
    inlines = [AbsenceInline]
    editable_fields = PROFILE_FIELDS

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("zones")

    def get_readonly_fields(self, request, obj=None):
        if obj is not None:
            return [*self.readonly_fields, "user"]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "user":
            kwargs["queryset"] = User.objects.filter(
                groups__name=Role.FIELD_TECHNICIAN, is_active=True, technician_profile=None,
            ).order_by("last_name", "first_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def create(self, request, obj, form):
        data = {name: form.cleaned_data[name] for name in PROFILE_FIELDS
                if name in form.cleaned_data}
        return services.technician_profile_save(
            technician=form.cleaned_data["user"], actor=request.user, data=data,
            zones=list(form.cleaned_data["zones"]))

    def update(self, request, obj, form, data):
        zones = list(form.cleaned_data["zones"]) if "zones" in form.changed_data else None
        return services.technician_profile_save(technician=obj.user, actor=request.user,
                                                data=data, zones=zones)

    def save_related(self, request, form, formsets, change):
        # The zones were set by the service; only the absences are left.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)

    def save_formset(self, request, form, formset, change):
        absences = formset.save(commit=False)
        for absence in formset.deleted_objects:
            absence.delete()
        for absence in absences:
            if absence.pk is None:
                services.absence_add(technician=form.instance, start_date=absence.start_date,
                                     end_date=absence.end_date, reason=absence.reason,
                                     actor=request.user)
            else:
                absence.save()

    @admin.display(description=_("user name"), ordering="user__username")
    def username(self, obj: TechnicianProfile) -> str:
        return obj.user.get_username()

    # The list stays one line a technician: counts here, the names on the page.
    @admin.display(description=_("skills"))
    def skill_count(self, obj: TechnicianProfile) -> int:
        return len(obj.skills)

    @admin.display(description=_("zones covered"))
    def zone_count(self, obj: TechnicianProfile) -> int:
        return len(obj.zones.all())

    @admin.display(description=_("shift"))
    def shift(self, obj: TechnicianProfile) -> str:
        days = sorted(obj.work_days or [])
        names = [str(Weekday(day).label)[:3] for day in days]
        if len(days) > 2 and days == list(range(days[0], days[-1] + 1)):
            names = [f"{names[0]}–{names[-1]}"]
        return f"{', '.join(names)} {obj.shift_start:%H:%M}–{obj.shift_end:%H:%M}"


@admin.register(Absence)
class AbsenceAdmin(admin.ModelAdmin):
    """New absences through `services.absence_add` (audited); an absence
    entered wrong may be corrected or deleted here."""

    list_display = ["technician", "start_date", "end_date", "reason"]
    list_filter = ["technician"]
    list_select_related = ["technician__user"]
    search_fields = ["technician__user__username", "technician__user__first_name",
                     "technician__user__last_name", "reason"]
    date_hierarchy = "start_date"

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        saved = services.absence_add(technician=obj.technician, start_date=obj.start_date,
                                     end_date=obj.end_date, reason=obj.reason,
                                     actor=request.user)
        obj.pk = saved.pk


# Work orders and what hangs from them: shown, changed only by the services -------


class EventInline(ReadOnlyInline):
    model = WorkOrderEvent
    fields = ["created_at", "action", "from_state", "to_state", "reason", "payload", "actor",
              "submission_id"]
    readonly_fields = fields
    ordering = ["id"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class EquipmentInline(ReadOnlyInline):
    model = WorkOrderItem
    fields = ["item", "direction", "done"]
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item")


class AppointmentInline(ReadOnlyInline):
    model = Appointment
    fields = ["date", "window_start", "window_end", "technician", "minutes", "status",
              "created_by", "created_at"]
    readonly_fields = fields
    ordering = ["id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("technician__user", "created_by")


class OrderSearchMixin(ExactSearchMixin):
    search_help_text = _("Work order number, customer number or origin reference, exactly.")

    def search_condition(self, term: str) -> Q:
        return Q(work_order_id__in=order_ids(term))


@admin.register(WorkOrder)
class WorkOrderAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["number", "kind", "state", "customer", "zone", "scheduled_date",
                    "window", "technician", "route_position", "priority", "origin_kind"]
    list_filter = ["state", "kind", "origin_kind", "priority", "zone", "scheduled_date"]
    list_select_related = ["customer", "zone", "technician"]
    search_fields = ["number", "customer__number", "origin_ref"]
    search_help_text = _("Work order number, customer number or origin reference, exactly.")
    date_hierarchy = "scheduled_date"
    fieldsets = [
        (None, {"fields": ["number", "kind", "state", "priority", "origin_kind", "origin_ref"]}),
        (_("Where"), {"fields": ["customer", "service_address", "zone"]}),
        (_("What"), {"fields": ["skills_needed", "estimated_minutes", "notes"]}),
        (_("When and who"), {"fields": ["scheduled_date", "window_start", "window_end",
                                        "technician", "planned_start", "route_position",
                                        "unassigned_reason"]}),
        (_("Result"), {"fields": ["failure_reason", "result_note", "signed_by",
                                  "signature_image", "finished_at"]}),
        (_("Record"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    readonly_fields = ["number", "skills_needed", "signature_image", "created_at",
                       "updated_at"]
    inlines = [EventInline, EquipmentInline, AppointmentInline]

    def search_condition(self, term: str) -> Q:
        return Q(pk__in=order_ids(term))

    @admin.display(description=_("arrival window"), ordering="window_start")
    def window(self, obj: WorkOrder) -> str:
        if obj.window_start is None:
            return "—"
        start, end = timezone.localtime(obj.window_start), timezone.localtime(obj.window_end)
        return f"{start:%d/%m/%Y %H:%M}–{end:%H:%M}"

    @admin.display(description=_("skills needed"))
    def skills_needed(self, obj: WorkOrder) -> str:
        return skill_labels(obj.required_skills)

    @admin.display(description=_("customer's signature"))
    def signature_image(self, obj: WorkOrder) -> str:
        if not obj.signature.startswith("data:image/png;base64,"):
            return "—"
        return format_html('<img src="{}" alt="{}" style="max-width: 320px; '
                           'border: 1px solid #ccc">', obj.signature,
                           _("Signed by %(name)s") % {"name": obj.signed_by or "—"})


@admin.register(WorkOrderEvent)
class WorkOrderEventAdmin(OrderSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "created_at", "work_order", "action", "from_state", "to_state",
                    "actor", "reason"]
    list_filter = ["action", "to_state"]
    list_select_related = ["work_order", "actor"]
    search_fields = ["work_order__number"]
    ordering = ["-id"]


@admin.register(WorkOrderItem)
class WorkOrderItemAdmin(OrderSearchMixin, ReadOnlyAdmin):
    list_display = ["work_order", "item", "direction", "done"]
    list_filter = ["direction", "done"]
    list_select_related = ["work_order", "item"]
    search_fields = ["work_order__number", "item__serial_number"]
    search_help_text = _("Work order number, customer number, origin reference, serial "
                         "number, MAC address or card number, exactly.")

    def search_condition(self, term: str) -> Q:
        return super().search_condition(term) | Q(item_id__in=matching_item_ids(term))


@admin.register(Appointment)
class AppointmentAdmin(OrderSearchMixin, ReadOnlyAdmin):
    list_display = ["work_order", "date", "window_start", "window_end", "technician",
                    "minutes", "status", "created_by", "created_at"]
    list_filter = ["status", "date"]
    list_select_related = ["work_order", "technician__user", "created_by"]
    search_fields = ["work_order__number"]
    date_hierarchy = "date"


@admin.register(ScheduleRun)
class ScheduleRunAdmin(ReadOnlyAdmin):
    list_display = ["date", "orders", "assigned", "unassigned", "travel_km",
                    "first_fit_assigned", "first_fit_travel_km", "seconds", "created_by",
                    "created_at"]
    list_filter = ["date"]
    list_select_related = ["created_by"]
    search_fields = ["created_by__username"]
    search_help_text = _("A date (dd/mm/yyyy) or who ran it.")
    date_hierarchy = "date"

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
            try:
                day = datetime.strptime(term, pattern).date()
            except ValueError:
                continue
            return queryset.filter(date=day), False
        return super().get_search_results(request, queryset, search_term)
