"""Filters of the workforce lists in the API (the order list page has its
own form in workforce/forms.py, with a technician picker and the day as a
date field)."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy

from customers.filters import IdFilter
from workforce.choices import AppointmentStatus, OriginKind, WorkOrderKind, WorkOrderState
from workforce.models import Appointment, ScheduleRun, TechnicianProfile, WorkOrder


class WorkOrderFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=WorkOrderState.choices,
                                                label=gettext_lazy("State"))
    kind = django_filters.ChoiceFilter(choices=WorkOrderKind.choices,
                                       label=gettext_lazy("Kind"))
    scheduled_date = django_filters.DateFilter(label=gettext_lazy("Date"))
    technician = IdFilter(field_name="technician_id",
                          label=gettext_lazy("Technician (user id)"))
    customer = IdFilter(field_name="customer_id", label=gettext_lazy("Customer id"))
    origin_kind = django_filters.ChoiceFilter(choices=OriginKind.choices,
                                              label=gettext_lazy("Origin"))
    origin_ref = django_filters.CharFilter(label=gettext_lazy("Origin reference"))

    class Meta:
        model = WorkOrder
        fields = ["state", "kind", "scheduled_date", "technician", "customer", "origin_kind",
                  "origin_ref"]


class AppointmentFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(label=gettext_lazy("Date"))
    technician = IdFilter(field_name="technician__user_id",
                          label=gettext_lazy("Technician (user id)"))
    status = django_filters.ChoiceFilter(choices=AppointmentStatus.choices,
                                         label=gettext_lazy("Status"))
    work_order = IdFilter(field_name="work_order_id", label=gettext_lazy("Work order id"))

    class Meta:
        model = Appointment
        fields = ["date", "technician", "status", "work_order"]


class TechnicianFilter(django_filters.FilterSet):
    zone = IdFilter(field_name="zones", label=gettext_lazy("Covers zone (id)"))
    is_active = django_filters.BooleanFilter(label=gettext_lazy("Active"))

    class Meta:
        model = TechnicianProfile
        fields = ["zone", "is_active"]


class ScheduleRunFilter(django_filters.FilterSet):
    date = django_filters.DateFilter(label=gettext_lazy("Date"))

    class Meta:
        model = ScheduleRun
        fields = ["date"]
