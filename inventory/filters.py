"""Filters shared by the API and the inventory pages."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from customers.filters import IdFilter
from inventory.choices import (
    ChargeStatus,
    EquipmentKind,
    ItemState,
    LocationKind,
    MovementAction,
    ReceiptStatus,
)
from inventory.identifiers import normalise_card_number, normalise_mac, normalise_serial
from inventory.models import (
    EquipmentCharge,
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    StockLocation,
    StockTransfer,
)


class EquipmentModelFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=EquipmentKind.choices, label=_("Kind"))

    class Meta:
        model = EquipmentModel
        fields = ["kind", "supply_terms", "is_active", "code"]


class StockLocationFilter(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=LocationKind.choices, label=_("Kind"))
    technician = IdFilter(field_name="technician_id", label=_("Technician id"))

    class Meta:
        model = StockLocation
        fields = ["kind", "is_active", "code"]


class EquipmentItemFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_identifier",
                                  label=_("Serial, MAC or card number"))
    state = django_filters.MultipleChoiceFilter(choices=ItemState.choices, label=_("State"))
    kind = django_filters.ChoiceFilter(field_name="model__kind", choices=EquipmentKind.choices,
                                       label=_("Kind"))
    model = IdFilter(field_name="model_id", label=_("Model id"))
    location = IdFilter(field_name="location_id", label=_("Location id"))
    customer = IdFilter(field_name="customer_id", label=_("Customer id"))
    subscription_ref = django_filters.CharFilter(label=_("Subscription"))
    is_blacklisted = django_filters.BooleanFilter(label=_("Blacklisted"))

    class Meta:
        model = EquipmentItem
        fields = ["q", "state", "kind", "model", "location", "customer", "subscription_ref",
                  "is_blacklisted"]

    def filter_identifier(self, queryset, name, value):
        """A serial, MAC or card number, or the start of a serial number."""
        text = value.strip()
        if not text:
            return queryset
        condition = Q(serial_number__startswith=normalise_serial(text))
        mac = normalise_mac(text)
        if mac:
            condition |= Q(mac_address=mac)
        card = normalise_card_number(text)
        if card:
            condition |= Q(card_number=card)
        return queryset.filter(condition)


class EquipmentMovementFilter(django_filters.FilterSet):
    item = IdFilter(field_name="item_id", label=_("Item id"))
    action = django_filters.ChoiceFilter(choices=MovementAction.choices, label=_("Action"))
    location = IdFilter(method="filter_location", label=_("Location id (from or to)"))
    customer = IdFilter(field_name="customer_id", label=_("Customer id"))
    transfer = IdFilter(field_name="transfer_id", label=_("Transfer id"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = EquipmentMovement
        fields = ["item", "action", "location", "customer", "transfer"]

    def filter_location(self, queryset, name, value):
        return queryset.filter(Q(from_location_id=value) | Q(to_location_id=value))


class StockTransferFilter(django_filters.FilterSet):
    from_location = IdFilter(field_name="from_location_id", label=_("From location id"))
    to_location = IdFilter(field_name="to_location_id", label=_("To location id"))
    created_after = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="gte")
    created_before = django_filters.IsoDateTimeFilter(field_name="created_at", lookup_expr="lt")

    class Meta:
        model = StockTransfer
        fields = ["number", "from_location", "to_location"]


class GoodsReceiptFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ReceiptStatus.choices, label=_("Status"))
    warehouse = IdFilter(field_name="warehouse_id", label=_("Warehouse id"))

    class Meta:
        model = GoodsReceipt
        fields = ["number", "status", "warehouse"]


class EquipmentChargeFilter(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=ChargeStatus.choices, label=_("Status"))
    customer = IdFilter(field_name="customer_id", label=_("Customer id"))
    item = IdFilter(field_name="item_id", label=_("Item id"))

    class Meta:
        model = EquipmentCharge
        fields = ["status", "customer", "item", "kind"]
