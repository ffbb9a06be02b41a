"""Back office of the inventory. The catalog (equipment models) and the stock
locations are reference data, edited here. Everything else is read-only:
an item's state and place, the ledger of its movements, installations,
transfers, deliveries and charges change only through the inventory
services, which lock, check the move and write the movement row."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from customers.models import Customer
from inventory.choices import AccessMedium, LocationKind
from inventory.identifiers import identifier_candidates
from inventory.models import (
    EquipmentCharge,
    EquipmentInstallation,
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    ReceiptRejection,
    StockLocation,
    StockTransfer,
)
from sesmu.choices import ServiceKind
from sesmu.models import User
from sesmu.roles import Role

SEARCH_LIMIT = 100


def matching_item_ids(term: str) -> list[int]:
    """Items whose serial number, MAC address or card number is the term,
    typed in any of the ways people type them."""
    condition = Q()
    for field_name, value in identifier_candidates(term).items():
        condition |= Q(**{field_name: value})
    if not condition:
        return []
    return list(EquipmentItem.objects.filter(condition).values_list("pk", flat=True)
                [:SEARCH_LIMIT])


def matching_customer_ids(term: str) -> list[int]:
    return list(Customer.objects.filter(number=term.upper()).values_list("pk", flat=True))


class ExactSearchMixin:
    """Search of the big tables (items, the ledger, installations, charges,
    rejected rows) by exact values their indexes answer: a serial number,
    MAC address or card number, a customer or document number. The ids are
    looked up first, so the final query ORs indexed columns of one table; a
    LIKE over millions of rows would read them all."""

    search_help_text = _("Serial number, MAC address, card number or customer number, "
                         "exactly.")

    def search_condition(self, term: str) -> Q:
        raise NotImplementedError

    def get_search_results(self, request, queryset, search_term):
        term = search_term.strip()
        if not term:
            return queryset, False
        return queryset.filter(self.search_condition(term)), False


class ReadOnlyAdmin(admin.ModelAdmin):
    """Shown, never written: these rows change only through the services
    (or, for the ledger, are only ever added)."""

    show_full_result_count = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


# Reference data --------------------------------------------------------------------


class EquipmentModelForm(forms.ModelForm):
    service_kinds = forms.MultipleChoiceField(
        label=_("services"), choices=ServiceKind.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    access_media = forms.MultipleChoiceField(
        label=_("access media"), choices=AccessMedium.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    class Meta:
        model = EquipmentModel
        fields = ["code", "kind", "manufacturer", "model_name", "service_kinds", "access_media",
                  "supply_terms", "currency", "rental_price", "deposit", "non_return_fee",
                  "low_stock_threshold", "is_active"]


@admin.register(EquipmentModel)
class EquipmentModelAdmin(admin.ModelAdmin):
    form = EquipmentModelForm
    list_display = ["code", "kind", "manufacturer", "model_name", "supply_terms",
                    "rental_price", "non_return_fee", "currency", "low_stock_threshold",
                    "is_active"]
    list_filter = ["kind", "supply_terms", "is_active", "currency"]
    search_fields = ["code", "manufacturer", "model_name"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "kind", "manufacturer", "model_name", "is_active"]}),
        (_("Use"), {"fields": ["service_kinds", "access_media"]}),
        (_("Terms"), {"fields": ["supply_terms", "currency", "rental_price", "deposit",
                                 "non_return_fee"]}),
        (_("Stock"), {"fields": ["low_stock_threshold"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def get_readonly_fields(self, request, obj=None):
        # Delivery files name models by code, and the kind decides what an
        # item needs (a MAC, a card number): neither changes once stocked.
        if obj is not None and obj.items.exists():
            return [*self.readonly_fields, "code", "kind"]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None) -> bool:
        # Items and their ledger keep pointing at the model: deactivate it.
        return False


class StockLocationForm(forms.ModelForm):
    class Meta:
        model = StockLocation
        fields = ["code", "name", "kind", "technician", "address", "is_active"]

    def clean(self):
        cleaned = super().clean()
        kind, technician = cleaned.get("kind"), cleaned.get("technician")
        if kind == LocationKind.VAN and technician is None:
            self.add_error("technician", _("A van belongs to a field technician; choose one."))
        if kind and kind != LocationKind.VAN and technician is not None:
            self.add_error("technician", _("Only a van has a technician."))
        return cleaned


@admin.register(StockLocation)
class StockLocationAdmin(admin.ModelAdmin):
    form = StockLocationForm
    list_display = ["code", "name", "kind", "technician", "address", "is_active"]
    list_filter = ["kind", "is_active"]
    search_fields = ["code", "name", "technician__username", "technician__last_name"]
    list_select_related = ["technician"]
    readonly_fields = ["created_at", "updated_at"]

    def get_readonly_fields(self, request, obj=None):
        # A warehouse does not become a van, nor a van change hands, while
        # the ledger says what was there.
        if obj is not None:
            return [*self.readonly_fields, "kind", "technician"]
        return self.readonly_fields

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "technician":
            kwargs["queryset"] = User.objects.filter(
                groups__name=Role.FIELD_TECHNICIAN, is_active=True
            ).order_by("last_name", "first_name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def has_delete_permission(self, request, obj=None) -> bool:
        # Movements keep pointing at the place: close it instead.
        return False


# Items and their ledger ------------------------------------------------------------


class MovementInline(ReadOnlyInline):
    model = EquipmentMovement
    fk_name = "item"
    fields = ["created_at", "action", "from_state", "to_state", "from_location", "to_location",
              "customer", "subscription_ref", "work_order_ref", "ticket_ref", "reason", "actor"]
    readonly_fields = fields
    ordering = ["-id"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "from_location", "to_location", "customer", "actor")


@admin.register(EquipmentItem)
class EquipmentItemAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["serial_number", "model", "state", "location", "customer", "mac_address",
                    "card_number", "is_blacklisted", "updated_at"]
    list_filter = ["state", "model__kind", "model", "location", "is_blacklisted"]
    search_fields = ["serial_number", "mac_address", "card_number", "customer__number"]
    list_select_related = ["model", "location", "customer"]
    fieldsets = [
        (None, {"fields": ["serial_number", "model", "mac_address", "card_number", "firmware",
                           "paired_with"]}),
        (_("Where it is"), {"fields": ["state", "location", "customer", "service_address",
                                       "subscription_ref", "is_blacklisted"]}),
        (_("Record"), {"fields": ["receipt", "created_at", "updated_at"]}),
    ]
    readonly_fields = ["created_at", "updated_at"]
    inlines = [MovementInline]

    def search_condition(self, term: str) -> Q:
        return (Q(pk__in=matching_item_ids(term))
                | Q(customer_id__in=matching_customer_ids(term)))


@admin.register(EquipmentMovement)
class EquipmentMovementAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["id", "created_at", "item", "action", "from_state", "to_state",
                    "from_location", "to_location", "customer", "actor"]
    list_filter = ["action", "to_state"]
    search_fields = ["item__serial_number", "customer__number", "transfer__number"]
    list_select_related = ["item", "from_location", "to_location", "customer", "actor"]
    ordering = ["-id"]
    search_help_text = _("Serial number, MAC address, card number, customer number or "
                         "transfer number, exactly.")

    def search_condition(self, term: str) -> Q:
        transfers = StockTransfer.objects.filter(number=term.upper()).values_list("pk",
                                                                                  flat=True)
        return (Q(item_id__in=matching_item_ids(term))
                | Q(customer_id__in=matching_customer_ids(term))
                | Q(transfer_id__in=list(transfers)))


@admin.register(EquipmentInstallation)
class EquipmentInstallationAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["item", "customer", "service_address", "subscription_ref",
                    "work_order_ref", "installed_at", "removed_at", "removal_reason"]
    list_filter = [("removed_at", admin.EmptyFieldListFilter)]
    search_fields = ["item__serial_number", "customer__number", "subscription_ref"]
    list_select_related = ["item", "customer", "service_address"]
    search_help_text = _("Serial number, MAC address, card number, customer number or "
                         "subscription, exactly.")

    def search_condition(self, term: str) -> Q:
        return (Q(item_id__in=matching_item_ids(term))
                | Q(customer_id__in=matching_customer_ids(term))
                | Q(subscription_ref=term))


class TransferMovementInline(ReadOnlyInline):
    model = EquipmentMovement
    fk_name = "transfer"
    fields = ["item", "action", "from_state", "to_state", "reason", "actor"]
    readonly_fields = fields
    ordering = ["id"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("item", "actor")


@admin.register(StockTransfer)
class StockTransferAdmin(ReadOnlyAdmin):
    list_display = ["number", "from_location", "to_location", "item_count", "note",
                    "created_by", "created_at"]
    list_filter = ["from_location", "to_location"]
    search_fields = ["=number", "note"]
    list_select_related = ["from_location", "to_location", "created_by"]
    inlines = [TransferMovementInline]


@admin.register(GoodsReceipt)
class GoodsReceiptAdmin(ReadOnlyAdmin):
    list_display = ["number", "warehouse", "supplier", "delivery_note", "status", "rows_total",
                    "rows_created", "rows_rejected", "created_at", "finished_at"]
    list_filter = ["status", "warehouse"]
    search_fields = ["=number", "supplier", "delivery_note", "file_name"]
    list_select_related = ["warehouse"]
    fieldsets = [
        (None, {"fields": ["number", "warehouse", "supplier", "delivery_note", "file_name",
                           "file", "file_sha256"]}),
        (_("Processing"), {"fields": ["status", "error", "rows_total", "rows_done",
                                      "rows_created", "rows_rejected", "rejected_rows"]}),
        (_("Record"), {"fields": ["created_by", "created_at", "started_at", "finished_at"]}),
    ]
    readonly_fields = ["rejected_rows", "created_at"]

    @admin.display(description=_("rejected rows"))
    def rejected_rows(self, obj: GoodsReceipt) -> str:
        # A bad file can reject thousands of rows: a link to their list, not
        # an inline that would load them all.
        if not obj.rows_rejected:
            return "—"
        url = reverse("admin:inventory_receiptrejection_changelist")
        return format_html('<a href="{}?receipt__id__exact={}">{}</a>', url, obj.pk,
                           _("See the %(count)s rejected rows") % {"count": obj.rows_rejected})


@admin.register(ReceiptRejection)
class ReceiptRejectionAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["receipt", "row_number", "code", "message"]
    list_filter = ["code"]
    search_fields = ["receipt__number", "code"]
    list_select_related = ["receipt"]
    search_help_text = _("Receipt number or reason code, exactly.")

    def search_condition(self, term: str) -> Q:
        receipts = GoodsReceipt.objects.filter(number=term.upper()).values_list("pk", flat=True)
        return Q(receipt_id__in=list(receipts)) | Q(code=term.lower())


@admin.register(EquipmentCharge)
class EquipmentChargeAdmin(ExactSearchMixin, ReadOnlyAdmin):
    list_display = ["created_at", "customer", "item", "kind", "amount", "currency", "status",
                    "billed_ref"]
    list_filter = ["status", "kind", "currency"]
    search_fields = ["customer__number", "item__serial_number", "billed_ref"]
    list_select_related = ["customer", "item"]
    search_help_text = _("Serial number, MAC address, card number, customer number or "
                         "bill reference, exactly.")

    def search_condition(self, term: str) -> Q:
        return (Q(item_id__in=matching_item_ids(term))
                | Q(customer_id__in=matching_customer_ids(term))
                | Q(billed_ref=term))
