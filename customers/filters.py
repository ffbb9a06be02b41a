"""Filters shared by the API and the desk lists."""

from __future__ import annotations

import django_filters

from customers.documents import compact
from customers.models import BillingAccount, Customer, Interaction, ServiceUser
from customers.selectors import name_tokens


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
    class Meta:
        model = ServiceUser
        fields = ["customer", "relationship", "is_active", "language"]


class BillingAccountFilter(django_filters.FilterSet):
    class Meta:
        model = BillingAccount
        fields = ["customer", "number", "status", "currency", "bill_format", "delivery_method",
                  "payment_method", "bill_day"]


class InteractionFilter(django_filters.FilterSet):
    started_after = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="gte")
    started_before = django_filters.IsoDateTimeFilter(field_name="started_at", lookup_expr="lt")

    class Meta:
        model = Interaction
        fields = ["customer", "channel", "direction", "topic", "outcome", "operator",
                  "call_center"]
