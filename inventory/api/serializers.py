"""Input serializers parse shapes (ids, choices, lengths); the services
validate the domain. References to other rows are plain ids, resolved by
the views among what the caller may see.

Each choice list appears in one schema component per field name (inputs
share the component name of their output where both carry the same choice
list), so that the OpenAPI schema names every enum once and without
warnings."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from customers.filters import LARGEST_ID
from inventory import services
from inventory.choices import (
    AccessMedium,
    EquipmentKind,
    LocationKind,
    SupplyTerms,
    WarehouseAction,
)
from inventory.models import (
    EquipmentCharge,
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    StockLocation,
    StockTransfer,
)
from sesmu.choices import Currency, ServiceKind
from sesmu.money import AMOUNT_MAX_DIGITS

REFERENCE_LENGTH = 40
REASON_LENGTH = 300


class IdField(serializers.IntegerField):
    """The id of a row: a whole number a database can hold, so that an
    absurd one is refused here instead of overflowing the driver."""

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", LARGEST_ID)
        super().__init__(**kwargs)


def reference_field() -> serializers.CharField:
    """A work order, ticket or subscription reference: opaque text."""
    return serializers.CharField(max_length=REFERENCE_LENGTH, required=False, allow_blank=True,
                                 default="")


def reason_field() -> serializers.CharField:
    return serializers.CharField(max_length=REASON_LENGTH, required=False, allow_blank=True,
                                 default="")


def amount_field(**kwargs) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=AMOUNT_MAX_DIGITS, decimal_places=2,
                                    min_value=0, **kwargs)


# Equipment models ----------------------------------------------------------------


@extend_schema_serializer(component_name="EquipmentModel")
class EquipmentModelOutput(serializers.ModelSerializer):
    class Meta:
        model = EquipmentModel
        fields = ["id", "code", "kind", "manufacturer", "model_name", "service_kinds",
                  "access_media", "supply_terms", "currency", "rental_price", "deposit",
                  "non_return_fee", "low_stock_threshold", "is_active", "created_at",
                  "updated_at"]

    service_kinds = serializers.ListField(child=serializers.ChoiceField(ServiceKind.choices))
    access_media = serializers.ListField(child=serializers.ChoiceField(AccessMedium.choices))


@extend_schema_serializer(component_name="EquipmentModel")
class EquipmentModelInput(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    kind = serializers.ChoiceField(choices=EquipmentKind.choices)
    manufacturer = serializers.CharField(max_length=100)
    model_name = serializers.CharField(max_length=100)
    service_kinds = serializers.ListField(child=serializers.ChoiceField(ServiceKind.choices),
                                          default=list)
    access_media = serializers.ListField(child=serializers.ChoiceField(AccessMedium.choices),
                                         default=list)
    supply_terms = serializers.ChoiceField(choices=SupplyTerms.choices,
                                           default=SupplyTerms.RENTED)
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.EURO)
    rental_price = amount_field(default=0)
    deposit = amount_field(default=0)
    non_return_fee = amount_field(default=0)
    low_stock_threshold = serializers.IntegerField(min_value=0, max_value=1_000_000, default=0)
    is_active = serializers.BooleanField(default=True)


@extend_schema_serializer(component_name="EquipmentModel")
class EquipmentModelUpdateInput(EquipmentModelInput):
    """Every field optional: a PATCH changes only what it names."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


# Stock locations -------------------------------------------------------------------


@extend_schema_serializer(component_name="StockLocation")
class StockLocationOutput(serializers.ModelSerializer):
    technician_username = serializers.CharField(source="technician.username", read_only=True,
                                                allow_null=True, default=None)

    class Meta:
        model = StockLocation
        fields = ["id", "code", "name", "kind", "technician", "technician_username", "address",
                  "is_active", "created_at", "updated_at"]


@extend_schema_serializer(component_name="StockLocation")
class StockLocationInput(serializers.Serializer):
    code = serializers.SlugField(max_length=40)
    name = serializers.CharField(max_length=100)
    kind = serializers.ChoiceField(choices=LocationKind.choices,
                                   help_text="A warehouse or a repair centre; a van is made "
                                             "with POST locations/van/.")
    address = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                    default="")
    is_active = serializers.BooleanField(default=True)

    def validate_kind(self, value: str) -> str:
        if value == LocationKind.VAN:
            raise serializers.ValidationError(
                _("A van belongs to a field technician: make it with POST locations/van/."),
                code="invalid_choice")
        return value


@extend_schema_serializer(component_name="StockLocation")
class StockLocationUpdateInput(serializers.Serializer):
    """What may change of a location: its kind and technician are for good."""

    name = serializers.CharField(max_length=100, required=False)
    address = serializers.CharField(max_length=300, required=False, allow_blank=True)
    is_active = serializers.BooleanField(required=False)


class VanInput(serializers.Serializer):
    technician = IdField(help_text="The id of a user with the field technician role.")


# Items -----------------------------------------------------------------------------


class EquipmentItemOutput(serializers.ModelSerializer):
    model_code = serializers.CharField(source="model.code", read_only=True)
    location_code = serializers.CharField(source="location.code", read_only=True,
                                          allow_null=True, default=None)
    customer_number = serializers.CharField(source="customer.number", read_only=True,
                                            allow_null=True, default=None)

    class Meta:
        model = EquipmentItem
        fields = ["id", "serial_number", "mac_address", "card_number", "firmware", "model",
                  "model_code", "state", "location", "location_code", "customer",
                  "customer_number", "service_address", "subscription_ref", "paired_with",
                  "is_blacklisted", "receipt", "created_at", "updated_at"]


class EquipmentItemDetailOutput(EquipmentItemOutput):
    paired_card = serializers.SerializerMethodField(
        help_text="For a set-top box or CA module: the id of the smart card paired with it.")
    warehouse_actions = serializers.SerializerMethodField(
        help_text="The warehouse actions the item's state allows now.")

    class Meta(EquipmentItemOutput.Meta):
        fields = [*EquipmentItemOutput.Meta.fields, "paired_card", "warehouse_actions"]

    @extend_schema_field(OpenApiTypes.INT)
    def get_paired_card(self, item: EquipmentItem) -> int | None:
        try:
            return item.paired_card.pk
        except EquipmentItem.DoesNotExist:
            return None

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_warehouse_actions(self, item: EquipmentItem) -> list[str]:
        return [str(action.value) for action in services.warehouse_actions_for(item)]


class SwapOutput(serializers.Serializer):
    old_item = EquipmentItemDetailOutput()
    new_item = EquipmentItemDetailOutput()


class ReserveInput(serializers.Serializer):
    customer = IdField()
    subscription_ref = reference_field()
    reason = reason_field()


class ReasonInput(serializers.Serializer):
    reason = reason_field()


class HandOverInput(serializers.Serializer):
    van = IdField(help_text="The id of the technician's van.")
    work_order_ref = reference_field()
    reason = reason_field()


class InstallInput(serializers.Serializer):
    customer = IdField()
    service_address = IdField(help_text="The id of one of the customer's addresses.")
    subscription_ref = reference_field()
    work_order_ref = reference_field()
    ticket_ref = reference_field()
    reason = reason_field()


class RecoverInput(serializers.Serializer):
    location = IdField(help_text="Where the item goes: a van or a warehouse.")
    faulty = serializers.BooleanField(default=False)
    work_order_ref = reference_field()
    ticket_ref = reference_field()
    reason = reason_field()


class SwapInput(serializers.Serializer):
    new_item = IdField(help_text="The id of the item put in instead.")
    location = IdField(required=False, allow_null=True, default=None,
                       help_text="Where the old item goes; by default where the new one was.")
    faulty = serializers.BooleanField(default=True)
    work_order_ref = reference_field()
    ticket_ref = reference_field()
    reason = reason_field()


class WarehouseActionInput(serializers.Serializer):
    action = serializers.ChoiceField(choices=WarehouseAction.choices)
    location = IdField(required=False, allow_null=True, default=None,
                       help_text="Move the item there at the same time (a repair centre).")
    reason = reason_field()


class DeclareMissingInput(serializers.Serializer):
    reason = reason_field()
    ticket_ref = reference_field()


class FoundInput(serializers.Serializer):
    location = IdField(help_text="Where the item is back: it waits there to be checked.")
    reason = reason_field()


class PairInput(serializers.Serializer):
    box = IdField(help_text="The id of the set-top box or CA module the card decodes for.")


# Movements -------------------------------------------------------------------------


class EquipmentMovementOutput(serializers.ModelSerializer):
    item_serial = serializers.CharField(source="item.serial_number", read_only=True)
    # The states are those of ItemState (see the item's `state`); plain
    # strings here so the schema names that choice list once.
    from_state = serializers.CharField(read_only=True,
                                       help_text="The item's state before (empty when received).")
    to_state = serializers.CharField(read_only=True, help_text="The item's state after.")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)
    transfer_number = serializers.CharField(source="transfer.number", read_only=True,
                                            allow_null=True, default=None)
    receipt_number = serializers.CharField(source="receipt.number", read_only=True,
                                           allow_null=True, default=None)

    class Meta:
        model = EquipmentMovement
        fields = ["id", "item", "item_serial", "action", "from_state", "to_state",
                  "from_location", "to_location", "customer", "service_address",
                  "subscription_ref", "work_order_ref", "ticket_ref", "transfer",
                  "transfer_number", "receipt", "receipt_number", "reason", "actor",
                  "created_at"]


# Transfers -------------------------------------------------------------------------


class StockTransferOutput(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = StockTransfer
        fields = ["id", "number", "from_location", "to_location", "item_count", "note",
                  "created_by", "created_at"]


class StockTransferDetailOutput(StockTransferOutput):
    items = serializers.SerializerMethodField(help_text="Serial numbers of the items moved.")

    class Meta(StockTransferOutput.Meta):
        fields = [*StockTransferOutput.Meta.fields, "items"]

    @extend_schema_field(serializers.ListField(child=serializers.CharField()))
    def get_items(self, transfer: StockTransfer) -> list[str]:
        return list(transfer.movements.order_by("item__serial_number")
                    .values_list("item__serial_number", flat=True))


class StockTransferInput(serializers.Serializer):
    from_location = IdField()
    to_location = IdField()
    items = serializers.ListField(
        child=serializers.CharField(max_length=64, allow_blank=True), max_length=10_000,
        help_text="Serial numbers, MAC addresses or smart-card numbers of the items to move.",
    )
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


# Goods receipts --------------------------------------------------------------------


class GoodsReceiptOutput(serializers.ModelSerializer):
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    progress_percent = serializers.IntegerField(read_only=True)

    class Meta:
        model = GoodsReceipt
        fields = ["id", "number", "warehouse", "supplier", "delivery_note", "file_name",
                  "status", "rows_total", "rows_done", "rows_created", "rows_rejected",
                  "progress_percent", "error", "created_by", "created_at", "started_at",
                  "finished_at"]


class GoodsReceiptInput(serializers.Serializer):
    warehouse = IdField()
    supplier = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                     default="")
    delivery_note = serializers.CharField(max_length=60, required=False, allow_blank=True,
                                          default="")
    file = serializers.FileField(
        help_text="The supplier's delivery file (CSV): model, serial_number, and optionally "
                  "mac_address, card_number, firmware.")


# Stock -----------------------------------------------------------------------------


class StockQuery(serializers.Serializer):
    location = IdField(required=False, help_text="Only this location.")
    model = IdField(required=False, help_text="Only this equipment model.")
    kind = serializers.ChoiceField(choices=EquipmentKind.choices, required=False,
                                   help_text="Only models of this kind.")
    low_only = serializers.BooleanField(required=False, default=False,
                                        help_text="Only models under their low-stock threshold.")


class StockLineOutput(serializers.Serializer):
    location = serializers.IntegerField(source="location.pk")
    location_code = serializers.CharField(source="location.code")
    location_name = serializers.CharField(source="location.name")
    in_stock = serializers.IntegerField(help_text="Free items.")
    held = serializers.IntegerField(help_text="Reserved or with a technician.")
    other = serializers.IntegerField(help_text="Returned, faulty, in repair, refurbished.")
    total = serializers.IntegerField()


class ModelStockOutput(serializers.Serializer):
    model = serializers.IntegerField(source="model.pk")
    model_code = serializers.CharField(source="model.code")
    manufacturer = serializers.CharField(source="model.manufacturer")
    model_name = serializers.CharField(source="model.model_name")
    low_stock_threshold = serializers.IntegerField(source="model.low_stock_threshold")
    free_in_warehouses = serializers.IntegerField()
    in_stock = serializers.IntegerField()
    held = serializers.IntegerField()
    other = serializers.IntegerField()
    is_low = serializers.BooleanField(
        help_text="Fewer free items in warehouses than the model's low-stock threshold.")
    locations = StockLineOutput(source="lines", many=True)


# Charges ---------------------------------------------------------------------------


class EquipmentChargeOutput(serializers.ModelSerializer):
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    item_serial = serializers.CharField(source="item.serial_number", read_only=True)
    model_code = serializers.CharField(source="item.model.code", read_only=True)

    class Meta:
        model = EquipmentCharge
        fields = ["id", "customer", "customer_number", "item", "item_serial", "model_code",
                  "kind", "amount", "currency", "status", "subscription_ref", "reason",
                  "billed_ref", "created_at", "updated_at"]
