"""The inventory REST API (/api/v1/inventory/): an input serializer parses,
one service writes, an output serializer answers. Querysets come from the
selectors; references to other rows are ids, resolved among what the caller
may see and answered `not_found` on their field otherwise.

Moves of an item are not edits of it: each action names the permission it
needs (moving equipment, declaring it missing) instead of the change
permission a POST on one record needs elsewhere. Refusals of the domain
(an item held for another customer, an illegal move) come back as 400 with
the service's code, like every ValidationError of the project."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from customers import selectors as customer_selectors
from inventory import selectors, services
from inventory.api import serializers as s
from inventory.choices import LocationKind
from inventory.filters import (
    EquipmentChargeFilter,
    EquipmentItemFilter,
    EquipmentModelFilter,
    EquipmentMovementFilter,
    GoodsReceiptFilter,
    StockLocationFilter,
    StockTransferFilter,
)
from inventory.models import (
    EquipmentItem,
    StockLocation,
)
from inventory.services.receipts import MAX_FILE_BYTES
from sesmu.api.permissions import ActionPermissions
from sesmu.api.viewsets import ServiceViewSet
from sesmu.choices import UserKind
from sesmu.errors import NotFound, field_error
from sesmu.models import User

VIEW_ITEMS = "inventory.view_equipmentitem"
VIEW_LOCATIONS = "inventory.view_stocklocation"
VIEW_MOVEMENTS = "inventory.view_equipmentmovement"
MOVE = "inventory.move_equipmentitem"
HANDLE_STOCK = "inventory.handle_stock_equipmentitem"
DECLARE_MISSING = "inventory.declare_missing_equipmentitem"
RECEIVE = "inventory.receive_equipment"


class InventoryViewSet(ServiceViewSet):
    permission_classes = [ActionPermissions]
    action_permissions: dict[str, tuple[str, ...]] = {}


# Resolving the ids of a request ---------------------------------------------------


def _visible_item(request, item_id: int, field: str) -> EquipmentItem:
    try:
        return selectors.access_item(actor=request.user, item_id=item_id)
    except NotFound:
        raise field_error(field, _("No such item."), code="not_found")


def _location(location_id: int | None, field: str = "location") -> StockLocation | None:
    """A location by id, closed ones included: the services refuse those
    with their own code."""
    if location_id is None:
        return None
    location = selectors.location_list(active_only=False).filter(pk=location_id).first()
    if location is None:
        raise field_error(field, _("No such location."), code="not_found")
    return location


def _staff_user(user_id: int, field: str) -> User:
    user = User.objects.filter(pk=user_id, kind=UserKind.STAFF, is_active=True).first()
    if user is None:
        raise field_error(field, _("No such user."), code="not_found")
    return user


# Reference data: the catalog of models and the locations ---------------------------


class EquipmentModelViewSet(InventoryViewSet):
    """The equipment we stock: kind, maker, services and access media served,
    supply terms and the amounts billing needs."""

    output_serializer_class = s.EquipmentModelOutput
    create_input_class = s.EquipmentModelInput
    update_input_class = s.EquipmentModelUpdateInput
    filterset_class = EquipmentModelFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.model_list()

    def create(self, request, *args, **kwargs):
        data = self.parse(s.EquipmentModelInput)
        model = services.equipment_model_save(actor=request.user, data=data)
        return self.respond(model, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        model = self.get_object()
        data = self.parse(s.EquipmentModelUpdateInput, partial=True)
        return self.respond(services.equipment_model_save(actor=request.user, data=data,
                                                          model=model))


class StockLocationViewSet(InventoryViewSet):
    """Warehouses, repair centres and technicians' vans (one per technician)."""

    output_serializer_class = s.StockLocationOutput
    create_input_class = s.StockLocationInput
    update_input_class = s.StockLocationUpdateInput
    filterset_class = StockLocationFilter
    http_method_names = ["get", "post", "patch", "head", "options"]

    def get_queryset(self):
        return selectors.location_list(active_only=False)

    def create(self, request, *args, **kwargs):
        data = self.parse(s.StockLocationInput)
        location = services.stock_location_save(actor=request.user, data=data)
        return self.respond(location, status.HTTP_201_CREATED)

    def partial_update(self, request, *args, **kwargs):
        location = self.get_object()
        data = self.parse(s.StockLocationUpdateInput, partial=True)
        return self.respond(services.stock_location_save(actor=request.user, data=data,
                                                         location=location))

    @extend_schema(request=s.VanInput,
                   responses={200: s.StockLocationOutput, 201: s.StockLocationOutput})
    @action(detail=False, methods=["post"])
    def van(self, request):
        """The van of a field technician: created (201) the first time,
        answered as it is (200) afterwards."""
        data = self.parse(s.VanInput)
        technician = _staff_user(data["technician"], "technician")
        existed = selectors.location_list(kind=LocationKind.VAN, active_only=False).filter(
            technician=technician).exists()
        van = services.van_for_technician(technician=technician, actor=request.user)
        return self.respond(van, status.HTTP_200_OK if existed else status.HTTP_201_CREATED)


# Items and their moves -------------------------------------------------------------


ITEM_ACTIONS = {
    "reserve": MOVE, "release": MOVE, "hand_over": MOVE, "install": MOVE, "recover": MOVE,
    "swap": MOVE, "warehouse_action": HANDLE_STOCK, "pair": MOVE, "unpair": MOVE,
    "declare_lost": DECLARE_MISSING, "declare_stolen": DECLARE_MISSING,
    "found": DECLARE_MISSING,
}


class EquipmentItemViewSet(InventoryViewSet):
    """Each physical item with its identifiers, state and place; `q` finds
    one by serial (or its start), MAC address or smart-card number."""

    output_serializer_class = s.EquipmentItemOutput
    detail_serializer_class = s.EquipmentItemDetailOutput
    filterset_class = EquipmentItemFilter
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {
        **{name: (VIEW_ITEMS, permission) for name, permission in ITEM_ACTIONS.items()},
        "movements": (VIEW_ITEMS, VIEW_MOVEMENTS),
    }

    def get_queryset(self):
        return selectors.item_list_visible_to(actor=self.request.user).order_by("serial_number")

    def fresh(self, item: EquipmentItem) -> EquipmentItem:
        """The item as the service left it, with what the answer shows."""
        return selectors.access_item(actor=self.request.user, item_id=item.pk)

    @extend_schema(responses=s.EquipmentMovementOutput(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def movements(self, request, pk=None):
        """The item's ledger, newest first: every move with who, why and for whom."""
        item = self.get_object()
        queryset = selectors.item_movements(item=item).select_related("item")
        page = self.paginate_queryset(queryset)
        serializer = s.EquipmentMovementOutput(page, many=True,
                                               context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(request=s.ReserveInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"])
    def reserve(self, request, pk=None):
        """Set an item in stock aside for a customer's subscription order."""
        item = self.get_object()
        data = self.parse(s.ReserveInput)
        customer = customer_selectors.customer_referenced(
            actor=request.user, customer_id=data.pop("customer"))
        item = services.equipment_item_reserve(item=item, customer=customer,
                                               actor=request.user, **data)
        return self.respond(self.fresh(item))

    @extend_schema(request=s.ReasonInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"])
    def release(self, request, pk=None):
        """The order no longer needs the item: free stock again where it is."""
        item = self.get_object()
        data = self.parse(s.ReasonInput)
        item = services.equipment_item_release(item=item, actor=request.user, **data)
        return self.respond(self.fresh(item))

    @extend_schema(request=s.HandOverInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"], url_path="hand-over")
    def hand_over(self, request, pk=None):
        """A technician takes a reserved item in the van for the customer's visit."""
        item = self.get_object()
        data = self.parse(s.HandOverInput)
        van = _location(data.pop("van"), "van")
        item = services.equipment_item_hand_over(item=item, van=van, actor=request.user, **data)
        return self.respond(self.fresh(item))

    @extend_schema(request=s.InstallInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"])
    def install(self, request, pk=None):
        """The item works at the customer's service address."""
        item = self.get_object()
        data = self.parse(s.InstallInput)
        customer = customer_selectors.customer_referenced(
            actor=request.user, customer_id=data.pop("customer"))
        address = customer_selectors.address_referenced(
            actor=request.user, address_id=data.pop("service_address"))
        item = services.equipment_item_install(item=item, customer=customer,
                                               service_address=address, actor=request.user,
                                               **data)
        return self.respond(self.fresh(item))

    @extend_schema(request=s.RecoverInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"])
    def recover(self, request, pk=None):
        """Take an installed item back from the customer into a van or a warehouse."""
        item = self.get_object()
        data = self.parse(s.RecoverInput)
        location = _location(data.pop("location"))
        item = services.equipment_item_recover(item=item, location=location,
                                               actor=request.user, **data)
        return self.respond(self.fresh(item))

    @extend_schema(request=s.SwapInput, responses=s.SwapOutput)
    @action(detail=True, methods=["post"])
    def swap(self, request, pk=None):
        """Replace this installed item by another at the same customer,
        address and subscription; this one goes to `location` (faulty
        unless told otherwise)."""
        item = self.get_object()
        data = self.parse(s.SwapInput)
        new_item = _visible_item(request, data.pop("new_item"), "new_item")
        location = _location(data.pop("location"))
        new_item = services.equipment_item_swap(old_item=item, new_item=new_item,
                                                location=location, actor=request.user, **data)
        answer = s.SwapOutput({"old_item": self.fresh(item), "new_item": self.fresh(new_item)},
                              context=self.get_serializer_context())
        return Response(answer.data)

    @extend_schema(request=s.WarehouseActionInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"], url_path="warehouse-action")
    def warehouse_action(self, request, pk=None):
        """Restock, send to repair, mark repaired or faulty, scrap, or return
        to the supplier (the item's `warehouse_actions` lists those allowed)."""
        item = self.get_object()
        data = self.parse(s.WarehouseActionInput)
        location = _location(data.pop("location"))
        item = services.equipment_item_warehouse_action(item=item, location=location,
                                                        actor=request.user, **data)
        return self.respond(self.fresh(item))

    def _declare_missing(self, *, stolen: bool):
        item = self.get_object()
        data = self.parse(s.DeclareMissingInput)
        item = services.equipment_item_declare_missing(item=item, stolen=stolen,
                                                       actor=self.request.user, **data)
        return self.respond(self.fresh(item))

    @extend_schema(request=s.DeclareMissingInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"], url_path="declare-lost")
    def declare_lost(self, request, pk=None):
        """Nobody knows where the item is. Installed at a customer's: its
        card or modem is blacklisted in the network and the non-return fee
        becomes a pending charge."""
        return self._declare_missing(stolen=False)

    @extend_schema(request=s.DeclareMissingInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"], url_path="declare-stolen")
    def declare_stolen(self, request, pk=None):
        """The item was stolen; as for a lost one, with the blacklist and the fee."""
        return self._declare_missing(stolen=True)

    @extend_schema(request=s.FoundInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"])
    def found(self, request, pk=None):
        """A lost or stolen item is back at `location`: un-blacklisted, and
        its pending non-return fee cancelled."""
        item = self.get_object()
        data = self.parse(s.FoundInput)
        location = _location(data.pop("location"))
        item = services.equipment_item_found(item=item, location=location,
                                             actor=request.user, **data)
        return self.respond(self.fresh(item))

    @extend_schema(request=s.PairInput, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"])
    def pair(self, request, pk=None):
        """Pair this smart card with the set-top box or CA module it decodes for."""
        card = self.get_object()
        data = self.parse(s.PairInput)
        box = _visible_item(request, data["box"], "box")
        card = services.equipment_item_pair(card=card, box=box, actor=request.user)
        return self.respond(self.fresh(card))

    @extend_schema(request=None, responses=s.EquipmentItemDetailOutput)
    @action(detail=True, methods=["post"])
    def unpair(self, request, pk=None):
        """Undo the pairing of this smart card."""
        card = self.get_object()
        card = services.equipment_item_unpair(card=card, actor=request.user)
        return self.respond(self.fresh(card))



class EquipmentMovementViewSet(InventoryViewSet):
    """The ledger of every move of every item, newest first. Read only."""

    output_serializer_class = s.EquipmentMovementOutput
    filterset_class = EquipmentMovementFilter
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return selectors.movement_list()


# Transfers and deliveries ----------------------------------------------------------


class StockTransferViewSet(InventoryViewSet):
    """Items moved together from one location to another; all or none move."""

    output_serializer_class = s.StockTransferOutput
    detail_serializer_class = s.StockTransferDetailOutput
    create_input_class = s.StockTransferInput
    filterset_class = StockTransferFilter
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"create": ("inventory.add_stocktransfer", MOVE)}

    def get_queryset(self):
        return selectors.transfer_list()

    def create(self, request, *args, **kwargs):
        data = self.parse(s.StockTransferInput)
        transfer = services.stock_transfer_create(
            from_location=_location(data["from_location"], "from_location"),
            to_location=_location(data["to_location"], "to_location"),
            identifiers=data["items"], actor=request.user, note=data["note"],
        )
        return self.respond(transfer, status.HTTP_201_CREATED)


class GoodsReceiptViewSet(InventoryViewSet):
    """Supplier delivery files: uploaded (multipart), processed in the
    background; the receipt shows how far it went and its error report
    lists the rejected rows."""

    output_serializer_class = s.GoodsReceiptOutput
    create_input_class = s.GoodsReceiptInput
    filterset_class = GoodsReceiptFilter
    parser_classes = [MultiPartParser, FormParser]
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"create": ("inventory.add_goodsreceipt", RECEIVE)}

    def get_queryset(self):
        return selectors.receipt_list()

    def create(self, request, *args, **kwargs):
        data = self.parse(s.GoodsReceiptInput)
        warehouse = _location(data["warehouse"], "warehouse")
        upload = data["file"]
        # One byte past the limit is enough for the service to refuse a file
        # that is too large, without reading all of it into memory.
        content = upload.read(MAX_FILE_BYTES + 1)
        receipt = services.goods_receipt_create(
            warehouse=warehouse, file_name=upload.name or "", content=content,
            actor=request.user, supplier=data["supplier"], delivery_note=data["delivery_note"],
        )
        return self.respond(receipt, status.HTTP_201_CREATED)

    @extend_schema(responses={(200, "text/csv"): OpenApiTypes.STR}, filters=False)
    @action(detail=True, methods=["get"])
    def errors(self, request, pk=None):
        """The rejected rows as CSV: row, code, reason, content."""
        receipt = self.get_object()
        response = HttpResponse(services.goods_receipt_error_report(receipt),
                                content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{receipt.number}-errors.csv"'
        return response


# Stock and charges -----------------------------------------------------------------


class StockViewSet(viewsets.GenericViewSet):
    """Stock per model, with its counts per location and its low-stock
    warning, always counted from the items themselves."""

    permission_classes = [ActionPermissions]
    action_permissions = {"list": (VIEW_ITEMS, VIEW_LOCATIONS)}
    serializer_class = s.ModelStockOutput

    def get_queryset(self):
        return selectors.model_list(active_only=True)

    @extend_schema(parameters=[s.StockQuery], responses=s.ModelStockOutput(many=True))
    def list(self, request):
        query = s.StockQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        summary = selectors.stock_summary(
            location_id=query.validated_data.get("location"),
            model_id=query.validated_data.get("model"),
            kind=query.validated_data.get("kind", ""),
            low_only=query.validated_data["low_only"],
        )
        page = self.paginate_queryset(summary)
        return self.get_paginated_response(s.ModelStockOutput(page, many=True).data)


class EquipmentChargeViewSet(InventoryViewSet):
    """Amounts customers owe for equipment not given back, for billing to
    put on a bill. Read only."""

    output_serializer_class = s.EquipmentChargeOutput
    filterset_class = EquipmentChargeFilter
    http_method_names = ["get", "head", "options"]

    def get_queryset(self):
        return selectors.charge_list()
