"""The inventory clerk pages: stock by model and location, item search and
detail with its moves, transfers between locations, supplier deliveries and
the locations themselves. Each write parses a form, calls one service and
goes back to the page it came from; a refused one comes back with 422 and the
reason next to the field."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from inventory import filters, selectors, services, tasks
from inventory.choices import (
    ADDRESSABLE_KINDS,
    STATES_GONE,
    STATES_HELD_FOR_CUSTOMER,
    EquipmentKind,
    ItemState,
    LocationKind,
    ReceiptStatus,
    SupplyTerms,
)
from inventory.forms import (
    DeclareMissingForm,
    FoundForm,
    GoodsReceiptForm,
    ReleaseForm,
    StockFilterForm,
    StockTransferForm,
    WarehouseActionForm,
    locations_in_order,
)
from inventory.models import EquipmentItem, GoodsReceipt, StockTransfer
from inventory.selectors import ModelStock, StockLine
from sesmu.decorators import staff_view
from sesmu.errors import NotFound
from sesmu.forms import apply_service_errors
from sesmu.money import format_money

VIEW_ITEMS = "inventory.view_equipmentitem"
VIEW_MOVEMENTS = "inventory.view_equipmentmovement"
VIEW_LOCATIONS = "inventory.view_stocklocation"
VIEW_TRANSFERS = "inventory.view_stocktransfer"
VIEW_RECEIPTS = "inventory.view_goodsreceipt"
MOVE = "inventory.move_equipmentitem"
HANDLE_STOCK = "inventory.handle_stock_equipmentitem"
DECLARE = "inventory.declare_missing_equipmentitem"
ADD_TRANSFER = "inventory.add_stocktransfer"
RECEIVE = "inventory.receive_equipment"

PAGE_SIZE = 25
MOVEMENTS_PAGE_SIZE = 50
REJECTIONS_SHOWN = 20


def _page(request, items, size: int = PAGE_SIZE, parameter: str = "page"):
    return Paginator(items, size).get_page(request.GET.get(parameter))


def _query_without(request, parameter: str = "page") -> str:
    """The current filters as a query string, for the pagination links."""
    query = request.GET.copy()
    query.pop(parameter, None)
    return query.urlencode()


def _get(queryset, object_id):
    """One row by id, or not found (alike for a malformed id)."""
    try:
        return queryset.get(pk=int(object_id))
    except (TypeError, ValueError, queryset.model.DoesNotExist):
        raise NotFound


# Stock ------------------------------------------------------------------------


@dataclass
class StockRow:
    """One model on the stock page: the lines shown (all of them, or those
    of the chosen location) and their sums. The low-stock warning always
    comes from free items in every warehouse, whatever the filter."""

    stock: ModelStock
    lines: list[StockLine]

    @property
    def model(self):
        return self.stock.model

    @property
    def in_stock(self) -> int:
        return sum(line.in_stock for line in self.lines)

    @property
    def held(self) -> int:
        return sum(line.held for line in self.lines)

    @property
    def other(self) -> int:
        return sum(line.other for line in self.lines)


@require_GET
@staff_view(VIEW_ITEMS)
def stock(request):
    form = StockFilterForm(request.GET or None)
    location, kind, low_only = None, "", False
    if form.is_bound and form.is_valid():
        location = form.cleaned_data["location"]
        kind = form.cleaned_data["kind"]
        low_only = form.cleaned_data["low_only"]
    summary = selectors.stock_summary(kind=kind, low_only=low_only) if not form.errors else []
    rows = []
    for model_stock in summary:
        lines = model_stock.lines
        if location is not None:
            lines = [line for line in lines if line.location.pk == location.pk]
            if not lines:
                continue
        rows.append(StockRow(stock=model_stock, lines=lines))
    low_count = sum(1 for row in rows if row.stock.is_low)
    return render(request, "inventory/stock.html", {
        "form": form, "page": _page(request, rows), "filter_query": _query_without(request),
        "low_count": low_count, "location": location, "filtered": bool(request.GET),
    }, status=422 if form.errors else 200)


# Items ------------------------------------------------------------------------


def _model_filter(filterset):
    """The model the list is limited to (the stock page links with one),
    to say so above the results: the form has no control for it."""
    if filterset.errors or not filterset.form.cleaned_data.get("model"):
        return None
    return selectors.model_list().filter(pk=filterset.form.cleaned_data["model"]).first()


@require_GET
@staff_view(VIEW_ITEMS)
def item_list(request):
    filterset = filters.EquipmentItemFilter(
        request.GET or None,
        queryset=selectors.item_list_visible_to(actor=request.user).order_by("serial_number"),
    )
    items = filterset.qs if not filterset.errors else filterset.queryset.none()
    context = {
        "filterset": filterset, "page": _page(request, items),
        "filter_query": _query_without(request),
        "states": ItemState.choices, "kinds": EquipmentKind.choices,
        "locations": locations_in_order(active_only=False),
        "chosen_states": request.GET.getlist("state"),
        "model_filter": _model_filter(filterset),
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }
    status = 422 if filterset.errors else 200
    if request.htmx and request.htmx.target == "item-results":
        return render(request, "inventory/partials/item_results.html", context, status=status)
    return render(request, "inventory/item_list.html", context, status=status)


def _action_forms(request, item: EquipmentItem) -> dict:
    """The action forms the user may use on this item in its state (empty
    ones, for a page shown after a GET or a successful POST)."""
    user = request.user
    result = {}
    actions = services.warehouse_actions_for(item)
    if actions and user.has_perm(HANDLE_STOCK):
        result["warehouse_form"] = WarehouseActionForm(actions=actions)
    if item.state in STATES_HELD_FOR_CUSTOMER and user.has_perm(MOVE):
        result["release_form"] = ReleaseForm()
    if user.has_perm(DECLARE):
        if item.state not in STATES_GONE:
            result["missing_form"] = DeclareMissingForm()
        elif item.state in (ItemState.LOST, ItemState.STOLEN):
            result["found_form"] = FoundForm()
    return result


def _missing_consequences(item: EquipmentItem) -> list[str]:
    """What declaring the item lost or stolen will do, in plain words."""
    if item.state != ItemState.INSTALLED:
        return [_("The item leaves the stock of %(location)s.")
                % {"location": item.location.name if item.location_id else "—"}]
    said = [_("The installation at %(customer)s ends.")
            % {"customer": item.customer.number}]
    if item.model.kind in ADDRESSABLE_KINDS and not item.is_blacklisted:
        said.append(_("%(identifier)s is blocked in the network (blacklisted).")
                    % {"identifier": item.network_identifier})
    if item.model.supply_terms != SupplyTerms.SOLD and item.model.non_return_fee > 0:
        said.append(_("The non-return fee of %(fee)s is recorded for the customer's next bill.")
                    % {"fee": format_money(item.model.non_return_fee, item.model.currency)})
    return said


def _item_page(request, item: EquipmentItem, *, bound: dict | None = None, status: int = 200):
    context = {"item": item, **_action_forms(request, item), **(bound or {})}
    paired_card = EquipmentItem.objects.filter(paired_with=item).only(
        "pk", "serial_number", "card_number").first()
    context.update({
        "paired_card": paired_card,
        "can_see_history": request.user.has_perm(VIEW_MOVEMENTS),
        "missing_consequences": _missing_consequences(item) if "missing_form" in context else [],
    })
    if context["can_see_history"]:
        context["installations"] = selectors.installation_history(item=item)[:20]
        context["movements"] = _page(request, selectors.item_movements(item=item),
                                     MOVEMENTS_PAGE_SIZE)
    return render(request, "inventory/item_detail.html", context, status=status)


@require_GET
@staff_view(VIEW_ITEMS)
def item_detail(request, item_id: int):
    item = selectors.access_item(actor=request.user, item_id=item_id)
    return _item_page(request, item)


def _item_action(request, item: EquipmentItem, *, form_key: str, form, call, done: str):
    """Parse `form`; when valid, call one service; on success go back to the
    item, otherwise show the item page again with the reason next to the
    field (422). `call(item, data)` raises the service's ValidationError."""
    if form_key not in _action_forms(request, item):
        # The item's state does not offer this action (any more): say so.
        form.is_valid()
        form.add_error(None, ValidationError(
            _("Item %(serial)s is “%(state)s”: this action is not possible now.")
            % {"serial": item.serial_number, "state": item.state_label}, code="illegal_move"))
        return _item_page(request, item, bound={form_key: form}, status=422)
    if form.is_valid():
        try:
            call(item, form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("inventory:item", item.pk)
    return _item_page(request, item, bound={form_key: form}, status=422)


@require_POST
@staff_view(VIEW_ITEMS, HANDLE_STOCK)
def item_warehouse_action(request, item_id: int):
    item = selectors.access_item(actor=request.user, item_id=item_id)
    form = WarehouseActionForm(request.POST, actions=services.warehouse_actions_for(item))

    def call(item, data):
        services.equipment_item_warehouse_action(
            item=item, action=data["action"], actor=request.user,
            location=data.get("location"), reason=data["reason"])

    return _item_action(request, item, form_key="warehouse_form", form=form, call=call,
                        done=_("Done: the item's state was changed."))


@require_POST
@staff_view(VIEW_ITEMS, MOVE)
def item_release(request, item_id: int):
    item = selectors.access_item(actor=request.user, item_id=item_id)

    def call(item, data):
        services.equipment_item_release(item=item, actor=request.user, reason=data["reason"])

    return _item_action(request, item, form_key="release_form",
                        form=ReleaseForm(request.POST), call=call,
                        done=_("The reservation was released; the item is free stock again."))


@require_POST
@staff_view(VIEW_ITEMS, DECLARE)
def item_declare_missing(request, item_id: int):
    item = selectors.access_item(actor=request.user, item_id=item_id)
    form = DeclareMissingForm(request.POST)

    def call(item, data):
        services.equipment_item_declare_missing(item=item, stolen=form.stolen,
                                                actor=request.user, reason=data["reason"])

    return _item_action(request, item, form_key="missing_form", form=form, call=call,
                        done=_("The item was declared missing."))


@require_POST
@staff_view(VIEW_ITEMS, DECLARE)
def item_found(request, item_id: int):
    item = selectors.access_item(actor=request.user, item_id=item_id)

    def call(item, data):
        services.equipment_item_found(item=item, location=data["location"], actor=request.user,
                                      reason=data["reason"])

    return _item_action(request, item, form_key="found_form",
                        form=FoundForm(request.POST), call=call,
                        done=_("The item was found; it is back as “Returned” to be checked."))


# Transfers --------------------------------------------------------------------


@require_GET
@staff_view(VIEW_TRANSFERS)
def transfer_list(request):
    filterset = filters.StockTransferFilter(request.GET or None,
                                            queryset=selectors.transfer_list())
    transfers = filterset.qs if not filterset.errors else filterset.queryset.none()
    return render(request, "inventory/transfer_list.html", {
        "filterset": filterset, "page": _page(request, transfers),
        "filter_query": _query_without(request),
        "locations": locations_in_order(active_only=False),
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }, status=422 if filterset.errors else 200)


@require_http_methods(["GET", "POST"])
@staff_view(VIEW_TRANSFERS, ADD_TRANSFER)
def transfer_create(request):
    initial = {key: request.GET[key] for key in ("from_location", "to_location")
               if request.GET.get(key, "").isdigit()}
    form = StockTransferForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            transfer = services.stock_transfer_create(
                from_location=data["from_location"], to_location=data["to_location"],
                identifiers=data["items"], actor=request.user, note=data["note"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Transfer %(number)s: %(count)s items moved to "
                                         "%(location)s.")
                             % {"number": transfer.number, "count": transfer.item_count,
                                "location": transfer.to_location.name})
            return redirect("inventory:transfer", transfer.pk)
    return render(request, "inventory/transfer_form.html", {"form": form},
                  status=422 if form.errors else 200)


@require_GET
@staff_view(VIEW_TRANSFERS)
def transfer_detail(request, transfer_id: int):
    transfer: StockTransfer = _get(selectors.transfer_list(), transfer_id)
    movements = transfer.movements.select_related("item", "item__model").order_by(
        "item__serial_number")
    return render(request, "inventory/transfer_detail.html", {
        "transfer": transfer, "page": _page(request, movements, MOVEMENTS_PAGE_SIZE),
        "can_open_items": request.user.has_perm(VIEW_ITEMS),
    })


# Goods receipts ---------------------------------------------------------------


@require_GET
@staff_view(VIEW_RECEIPTS)
def receipt_list(request):
    filterset = filters.GoodsReceiptFilter(request.GET or None,
                                           queryset=selectors.receipt_list())
    receipts = filterset.qs if not filterset.errors else filterset.queryset.none()
    return render(request, "inventory/receipt_list.html", {
        "filterset": filterset, "page": _page(request, receipts),
        "filter_query": _query_without(request),
        "warehouses": selectors.location_list(kind=LocationKind.WAREHOUSE, active_only=False),
        "statuses": ReceiptStatus.choices,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }, status=422 if filterset.errors else 200)


@require_http_methods(["GET", "POST"])
@staff_view(VIEW_RECEIPTS, RECEIVE)
def receipt_create(request):
    form = GoodsReceiptForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        upload = data["file"]
        try:
            receipt = services.goods_receipt_create(
                warehouse=data["warehouse"], file_name=upload.name, content=upload.read(),
                actor=request.user, supplier=data["supplier"],
                delivery_note=data["delivery_note"])
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, _("Delivery %(number)s received: %(rows)s rows to read.")
                             % {"number": receipt.number, "rows": receipt.rows_total})
            return redirect("inventory:receipt", receipt.pk)
    return render(request, "inventory/receipt_form.html", {"form": form},
                  status=422 if form.errors else 200)


def _receipt_context(request, receipt: GoodsReceipt) -> dict:
    return {
        "receipt": receipt,
        "rejections": list(receipt.rejections.order_by("row_number")[:REJECTIONS_SHOWN])
        if receipt.rows_rejected else [],
        "can_resume": receipt.status == ReceiptStatus.FAILED and request.user.has_perm(RECEIVE),
    }


@require_GET
@staff_view(VIEW_RECEIPTS)
def receipt_detail(request, receipt_id: int):
    receipt = _get(selectors.receipt_list(), receipt_id)
    return render(request, "inventory/receipt_detail.html", _receipt_context(request, receipt))


@require_GET
@staff_view(VIEW_RECEIPTS)
def receipt_progress(request, receipt_id: int):
    """The status part of a receipt's page, which polls it while it runs."""
    receipt = _get(selectors.receipt_list(), receipt_id)
    return render(request, "inventory/partials/receipt_progress.html",
                  _receipt_context(request, receipt))


@require_GET
@staff_view(VIEW_RECEIPTS)
def receipt_errors(request, receipt_id: int):
    receipt = _get(selectors.receipt_list(), receipt_id)
    response = HttpResponse(services.goods_receipt_error_report(receipt),
                            content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{receipt.number}-errors.csv"'
    return response


@require_POST
@staff_view(VIEW_RECEIPTS, RECEIVE)
def receipt_resume(request, receipt_id: int):
    receipt = _get(selectors.receipt_list(), receipt_id)
    if receipt.status != ReceiptStatus.FAILED:
        messages.error(request, _("Delivery %(number)s is “%(status)s”: only a failed one can "
                                  "be resumed.")
                       % {"number": receipt.number, "status": receipt.status_label})
    else:
        tasks.goods_receipt_process_task.delay(receipt.pk)
        messages.success(request, _("Delivery %(number)s goes on from row %(row)s.")
                         % {"number": receipt.number, "row": receipt.rows_done + 1})
    return redirect("inventory:receipt", receipt.pk)


# Locations --------------------------------------------------------------------


@require_GET
@staff_view(VIEW_LOCATIONS)
def location_list(request):
    filterset = filters.StockLocationFilter(
        request.GET or None,
        queryset=locations_in_order(active_only=False))
    locations = filterset.qs if not filterset.errors else filterset.queryset.none()
    page = _page(request, locations)
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"in_stock": 0, "held": 0,
                                                              "other": 0})
    for row in selectors.stock_counts():
        bucket = ("in_stock" if row["state"] == ItemState.IN_STOCK
                  else "held" if row["state"] in STATES_HELD_FOR_CUSTOMER else "other")
        counts[row["location_id"]][bucket] += row["count"]
    rows = []
    for location in page.object_list:
        location_counts = counts.get(location.pk, {"in_stock": 0, "held": 0, "other": 0})
        rows.append({"location": location, **location_counts,
                     "total": sum(location_counts.values()),
                     "items_url": f"{reverse('inventory:items')}?location={location.pk}"})
    return render(request, "inventory/location_list.html", {
        "filterset": filterset, "page": page, "rows": rows, "filter_query": _query_without(request),
        "kinds": LocationKind.choices,
        "filtered": any(value for key, value in request.GET.items() if key != "page"),
    }, status=422 if filterset.errors else 200)
