"""Read paths of the inventory app. Stock counts are always derived from the
items themselves, never stored."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.db.models import Count, Q, QuerySet

from customers.models import Customer
from inventory.choices import (
    ChargeStatus,
    ItemState,
    LocationKind,
)
from inventory.identifiers import identifier_candidates
from inventory.models import (
    EquipmentCharge,
    EquipmentInstallation,
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    StockLocation,
    StockTransfer,
)
from sesmu.choices import UserKind
from sesmu.errors import NotFound
from sesmu.models import User

VIEW_ITEMS = "inventory.view_equipmentitem"


def _may_view(actor: User | None, permission: str = VIEW_ITEMS) -> bool:
    return bool(
        actor is not None and actor.is_authenticated and actor.is_active
        and actor.kind != UserKind.PORTAL and actor.has_perm(permission)
    )


def item_list_visible_to(*, actor: User) -> QuerySet[EquipmentItem]:
    """Every item for staff who may see equipment; nothing for anyone else
    (portal customers see their equipment through the customer's pages)."""
    if not _may_view(actor):
        return EquipmentItem.objects.none()
    return EquipmentItem.objects.select_related("model", "location", "customer", "paired_with")


def access_item(*, actor: User, item_id: Any) -> EquipmentItem:
    """The item, if the actor may see it; not found alike otherwise."""
    try:
        item_id = int(item_id)
    except (TypeError, ValueError):
        raise NotFound
    item = item_list_visible_to(actor=actor).filter(pk=item_id).first()
    if item is None:
        raise NotFound
    return item


def item_find_by_identifier(*, actor: User, text: str, limit: int = 10) -> list[EquipmentItem]:
    """Items whose serial number, MAC address or card number is exactly the
    typed text (in any of the ways people type them)."""
    candidates = identifier_candidates(text)
    if not candidates:
        return []
    condition = Q()
    for field_name, value in candidates.items():
        condition |= Q(**{field_name: value})
    return list(item_list_visible_to(actor=actor).filter(condition)
                .select_related("service_address")[:limit])


def item_by_identifier(text: str) -> EquipmentItem | None:
    """The item whose serial number, MAC address or card number this is (in
    that order of preference), whoever asks: for services that check the
    item's place themselves."""
    candidates = identifier_candidates(text)
    for field_name in ("serial_number", "mac_address", "card_number"):
        if field_name in candidates:
            item = EquipmentItem.objects.filter(**{field_name: candidates[field_name]}).first()
            if item is not None:
                return item
    return None


def item_movements(*, item: EquipmentItem) -> QuerySet[EquipmentMovement]:
    return (
        EquipmentMovement.objects.filter(item=item)
        .select_related("from_location", "to_location", "customer", "actor", "transfer",
                        "receipt")
        .order_by("-id")
    )


def movement_list() -> QuerySet[EquipmentMovement]:
    """The whole ledger, newest first (for those who may read it)."""
    return EquipmentMovement.objects.select_related(
        "item", "actor", "transfer", "receipt").order_by("-id")


def location_list(*, kind: str = "", active_only: bool = True) -> QuerySet[StockLocation]:
    queryset = StockLocation.objects.select_related("technician")
    if kind:
        queryset = queryset.filter(kind=kind)
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("kind", "name")


def model_list(*, active_only: bool = False) -> QuerySet[EquipmentModel]:
    queryset = EquipmentModel.objects.all()
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("kind", "manufacturer", "model_name")


@dataclass
class StockLine:
    """How many items of one model are at one location, by state."""

    model: EquipmentModel
    location: StockLocation
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def in_stock(self) -> int:
        return self.counts.get(ItemState.IN_STOCK, 0)

    @property
    def held(self) -> int:
        return (self.counts.get(ItemState.RESERVED, 0)
                + self.counts.get(ItemState.WITH_TECHNICIAN, 0))

    @property
    def other(self) -> int:
        return sum(self.counts.values()) - self.in_stock - self.held

    @property
    def total(self) -> int:
        return sum(self.counts.values())


@dataclass
class ModelStock:
    """One model's stock over every location, with its low-stock warning:
    the threshold applies to free items in warehouses."""

    model: EquipmentModel
    lines: list[StockLine] = field(default_factory=list)
    # Free items in every warehouse, whatever locations `lines` was limited
    # to; None: count them from the lines.
    free_in_all_warehouses: int | None = None

    @property
    def free_in_warehouses(self) -> int:
        if self.free_in_all_warehouses is not None:
            return self.free_in_all_warehouses
        return sum(line.in_stock for line in self.lines
                   if line.location.kind == LocationKind.WAREHOUSE)

    @property
    def in_stock(self) -> int:
        return sum(line.in_stock for line in self.lines)

    @property
    def held(self) -> int:
        return sum(line.held for line in self.lines)

    @property
    def other(self) -> int:
        return sum(line.other for line in self.lines)

    @property
    def is_low(self) -> bool:
        return self.free_in_warehouses < self.model.low_stock_threshold


def stock_counts(*, location_id: int | None = None, model_id: int | None = None,
                 kind: str = "") -> QuerySet:
    """Rows of (model, location, state, count) for items at a location,
    straight from the items."""
    queryset = EquipmentItem.objects.filter(location__isnull=False)
    if location_id:
        queryset = queryset.filter(location_id=location_id)
    if model_id:
        queryset = queryset.filter(model_id=model_id)
    if kind:
        queryset = queryset.filter(model__kind=kind)
    return (queryset.values("model_id", "location_id", "state")
            .annotate(count=Count("id")).order_by())


def stock_summary(*, location_id: int | None = None, model_id: int | None = None,
                  kind: str = "", low_only: bool = False) -> list[ModelStock]:
    """Stock per model and location (three queries whatever the size). A
    model with nothing anywhere still shows, so its low stock is seen; the
    low-stock warning counts every warehouse even when `location_id` limits
    the lines to one place."""
    models_queryset = model_list(active_only=True)
    if model_id:
        models_queryset = models_queryset.filter(pk=model_id)
    if kind:
        models_queryset = models_queryset.filter(kind=kind)
    models = {model.pk: model for model in models_queryset}
    locations = {location.pk: location for location in StockLocation.objects.all()}
    by_model: dict[int, ModelStock] = {
        pk: ModelStock(model=model, free_in_all_warehouses=0) for pk, model in models.items()
    }
    lines: dict[tuple[int, int], StockLine] = {}
    for row in stock_counts(model_id=model_id, kind=kind):
        if row["model_id"] not in by_model:
            continue
        if (row["state"] == ItemState.IN_STOCK
                and locations[row["location_id"]].kind == LocationKind.WAREHOUSE):
            by_model[row["model_id"]].free_in_all_warehouses += row["count"]
        if location_id and row["location_id"] != location_id:
            continue
        key = (row["model_id"], row["location_id"])
        line = lines.get(key)
        if line is None:
            line = StockLine(model=models[row["model_id"]], location=locations[row["location_id"]])
            lines[key] = line
            by_model[row["model_id"]].lines.append(line)
        line.counts[row["state"]] = row["count"]
    summary = list(by_model.values())
    for stock in summary:
        stock.lines.sort(key=lambda line: (line.location.kind != LocationKind.WAREHOUSE,
                                           line.location.name))
    if low_only:
        summary = [stock for stock in summary if stock.is_low]
    return summary


def low_stock_count() -> int:
    return sum(1 for stock in stock_summary() if stock.is_low)


def customer_equipment(*, customer: Customer) -> list[EquipmentItem]:
    """What the customer has or is about to get: installed, reserved or on
    its way, and what was lost or stolen at their home."""
    return list(
        EquipmentItem.objects.filter(customer=customer)
        .exclude(state__in=[ItemState.SCRAPPED, ItemState.RETURNED_TO_SUPPLIER])
        .select_related("model", "service_address", "paired_with", "location")
        .order_by("state", "model__kind", "serial_number")
    )


def installed_for_subscription(*, subscription_ref: str) -> list[EquipmentItem]:
    """The items installed for one subscription (for the subscriptions app)."""
    return list(
        EquipmentItem.objects.filter(subscription_ref=subscription_ref,
                                     state=ItemState.INSTALLED)
        .select_related("model")
    )


def installation_history(*, item: EquipmentItem) -> QuerySet[EquipmentInstallation]:
    return item.installations.select_related("customer", "service_address").order_by(
        "-installed_at")


def transfer_list() -> QuerySet[StockTransfer]:
    return StockTransfer.objects.select_related(
        "from_location", "to_location", "created_by").order_by("-id")


def receipt_list() -> QuerySet[GoodsReceipt]:
    return GoodsReceipt.objects.select_related("warehouse", "created_by").order_by("-id")


def charge_list(*, status: str = "") -> QuerySet[EquipmentCharge]:
    queryset = EquipmentCharge.objects.select_related("customer", "item", "item__model")
    if status:
        queryset = queryset.filter(status=status)
    return queryset.order_by("-id")


def pending_charges(*, customer: Customer | None = None) -> QuerySet[EquipmentCharge]:
    """What billing has to put on the next bills."""
    queryset = charge_list(status=ChargeStatus.PENDING)
    if customer is not None:
        queryset = queryset.filter(customer=customer)
    return queryset
