"""Forms of the inventory clerk pages. They only parse what was typed; the
services decide whether the move is allowed and say why not."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Case, IntegerField, QuerySet, Value, When
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from inventory import selectors
from inventory.choices import EquipmentKind, LocationKind, WarehouseAction
from inventory.models import StockLocation
from inventory.services.locations import MAX_TRANSFER_ITEMS
from inventory.services.receipts import MAX_FILE_BYTES


def locations_in_order(*, kind: str = "", active_only: bool = True) -> QuerySet[StockLocation]:
    """Locations as a clerk looks for them: warehouses, repair centres, then
    the vans, each by name."""
    rank = Case(
        When(kind=LocationKind.WAREHOUSE, then=Value(0)),
        When(kind=LocationKind.REPAIR_CENTRE, then=Value(1)),
        default=Value(2), output_field=IntegerField(),
    )
    return selectors.location_list(kind=kind, active_only=active_only).order_by(rank, "name")


class LocationChoiceField(forms.ModelChoiceField):
    """A stock location shown with its kind, so a van is never mistaken for
    a warehouse of the same name."""

    def label_from_instance(self, obj) -> str:
        return f"{obj.name} ({obj.kind_label})"


def _location_field(label, *, required: bool = True, kind: str = "", help_text: str = ""):
    return LocationChoiceField(
        label=label, required=required, help_text=help_text,
        queryset=locations_in_order(kind=kind),
        empty_label=_("Choose…") if required else _("— keep where it is —"),
    )


class StockFilterForm(forms.Form):
    """The filters of the stock overview."""

    location = LocationChoiceField(
        label=_("Location"), required=False, queryset=locations_in_order(),
        empty_label=_("All locations"),
    )
    kind = forms.ChoiceField(label=_("Kind"), required=False,
                             choices=[("", _("All kinds")), *EquipmentKind.choices])
    low_only = forms.BooleanField(label=_("Only low stock"), required=False)


class ItemActionForm(forms.Form):
    """An action form of the item page, which shows several at once: each
    gets ids of its own so that every label points at its own control."""

    id_prefix = "action"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class WarehouseActionForm(ItemActionForm):
    """One of the warehouse actions the item's state allows."""

    id_prefix = "warehouse"

    action = forms.ChoiceField(label=_("Action"), choices=[])
    location = LocationChoiceField(
        label=_("Send to"), required=False, queryset=locations_in_order(),
        empty_label=_("— keep where it is —"),
        help_text=_("Only when sending to repair: the repair centre it goes to."),
    )
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)

    def __init__(self, *args, actions: list[WarehouseAction], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["action"].choices = [("", _("Choose…"))] + [
            (action.value, action.label) for action in actions
        ]
        if WarehouseAction.SEND_TO_REPAIR in actions:
            self.fields["location"].queryset = locations_in_order().exclude(
                kind=LocationKind.VAN)
        else:
            del self.fields["location"]

    def clean(self):
        data = super().clean()
        if data.get("location") and data.get("action") != WarehouseAction.SEND_TO_REPAIR:
            self.add_error("location", ValidationError(
                _("Only an item sent to repair moves with this action; leave it empty."),
                code="location_not_allowed"))
        return data


class DeclareMissingForm(ItemActionForm):
    """Lost or stolen, and what happened."""

    id_prefix = "missing"

    what = forms.ChoiceField(
        label=_("What happened"), widget=forms.RadioSelect,
        choices=[("lost", _("Lost")), ("stolen", _("Stolen"))],
    )
    reason = forms.CharField(
        label=_("Reason"), max_length=300,
        help_text=_("What is known: who reported it, when, the police report number."),
        error_messages={"required": _("Say what happened: who reported it, and when.")},
    )

    @property
    def stolen(self) -> bool:
        return self.cleaned_data["what"] == "stolen"


class FoundForm(ItemActionForm):
    id_prefix = "found"
    location = _location_field(_("Found at"), help_text=_(
        "Where the item is now; it comes back as “Returned” to be checked."))
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class ReleaseForm(ItemActionForm):
    id_prefix = "release"
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


IDENTIFIER_SEPARATORS = re.compile(r"[\s,;]+")


class StockTransferForm(forms.Form):
    from_location = _location_field(_("From"))
    to_location = _location_field(_("To"))
    items = forms.CharField(
        label=_("Items"), widget=forms.Textarea(attrs={"rows": 10, "spellcheck": "false",
                                                        "autocomplete": "off"}),
        help_text=_("Scan or type one serial number, MAC address or card number per line."),
        error_messages={"required": _("List the serial numbers of the items to move.")},
    )
    note = forms.CharField(label=_("Note"), required=False, max_length=300)

    def clean_items(self) -> list[str]:
        seen: dict[str, None] = {}
        for text in IDENTIFIER_SEPARATORS.split(self.cleaned_data["items"]):
            if text:
                seen.setdefault(text, None)
        if not seen:
            raise ValidationError(_("List the serial numbers of the items to move."),
                                  code="required")
        if len(seen) > MAX_TRANSFER_ITEMS:
            raise ValidationError(_("A transfer moves at most %(max)s items; split it.")
                                  % {"max": MAX_TRANSFER_ITEMS}, code="too_many")
        return list(seen)

    def clean(self):
        data = super().clean()
        source, destination = data.get("from_location"), data.get("to_location")
        if source is not None and source == destination:
            self.add_error("to_location", ValidationError(
                _("Choose a different destination."), code="same_location"))
        return data


class GoodsReceiptForm(forms.Form):
    warehouse = _location_field(_("Warehouse"), kind=LocationKind.WAREHOUSE)
    supplier = forms.CharField(label=_("Supplier"), required=False, max_length=100)
    delivery_note = forms.CharField(label=_("Delivery note"), required=False, max_length=60)
    file = forms.FileField(
        label=_("Delivery file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.txt,text/csv,text/plain"}),
        help_text=_("CSV with a first line naming the columns: model, serial_number, and "
                    "optionally mac_address, card_number, firmware."),
        error_messages={"required": _("Choose the supplier's delivery file."),
                        "empty": _("The file is empty.")},
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_BYTES:
            raise ValidationError(
                _("The file is %(size)s; the largest accepted is %(max)s. Split it.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(MAX_FILE_BYTES)},
                code="too_large")
        return upload
