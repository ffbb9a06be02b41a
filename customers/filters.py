"""Filters shared by the API and the desk lists.

References to other rows (customer, operator, call center) are plain numbers,
not model choices: a model choice filter answers "not a valid choice" for an
id that does not exist and filters quietly for one that does, which would let
a portal customer find out which customer ids exist."""

from __future__ import annotations

import django_filters
from django import forms

from customers.documents import compact
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    Interaction,
    ServiceUser,
)
from customers.selectors import name_tokens

LARGEST_ID = 2**63 - 1


class IdFilter(django_filters.NumberFilter):
    """The id of a row: a whole number no larger than a database id, so that
    an absurd one is refused instead of overflowing the database driver."""

    field_class = forms.IntegerField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_value", LARGEST_ID)
        super().__init__(*args, **kwargs)

    def get_max_validator(self):
        return None


def _customer_filter() -> IdFilter:
    return IdFilter(field_name="customer_id", label="Customer id")


class CustomerFilter(django_filters.FilterSet):
    name = django_filters.CharFilter(method="filter_name", label="Name contains words")
    document_number = django_filters.CharFilter(method="filter_document")
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = Customer
        fields = ["number", "status", "kind", "segment", "language", "is_vip"]

    def filter_name(self, queryset, name, value):
        for token in name_tokens(value):
            queryset = queryset.filter(search_name__contains=token)
        return queryset

    def filter_document(self, queryset, name, value):
        return queryset.filter(document_number=compact(value))


class ServiceUserFilter(django_filters.FilterSet):
    customer = _customer_filter()

    class Meta:
        model = ServiceUser
        fields = ["customer", "relationship", "is_active", "language"]


class BillingAccountFilter(django_filters.FilterSet):
    customer = _customer_filter()

    class Meta:
        model = BillingAccount
        fields = ["customer", "number", "status", "currency", "bill_format", "delivery_method",
                  "payment_method", "bill_day"]


class InteractionFilter(django_filters.FilterSet):
    customer = _customer_filter()
    operator = IdFilter(field_name="operator_id", label="Operator id")
    call_center = IdFilter(field_name="call_center_id", label="Call center id")
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = ["customer", "channel", "direction", "topic", "outcome", "operator",
                  "call_center"]


class ContactPointFilter(django_filters.FilterSet):
    customer = _customer_filter()

    class Meta:
        model = ContactPoint
        fields = ["customer", "kind", "value"]


class AddressFilter(django_filters.FilterSet):
    customer = _customer_filter()

    class Meta:
        model = Address
        fields = ["customer", "purpose", "postal_code", "is_active"]
