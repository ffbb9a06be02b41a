"""Forms and filters of the work order pages. They only parse what was
typed; the services decide whether the order may be created, booked,
assigned or cancelled, and say why not."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.choices import AddressPurpose
from customers.filters import IdFilter
from customers.models import Address, Customer
from inventory import selectors as inventory_selectors
from inventory.choices import ItemState
from inventory.models import EquipmentItem
from sesmu.models import User
from workforce.availability import MAX_SEARCH_DAYS
from workforce.choices import Priority, Skill, WorkOrderKind, WorkOrderState
from workforce.models import TechnicianProfile, WorkOrder

IDENTIFIER_SEPARATORS = re.compile(r"[\s,;]+")
MAX_INSTALL_ITEMS = 20
SLOT_SEARCH_DAYS = 7


class DayInput(forms.DateInput):
    """A browser date picker: it sends and shows ISO dates whatever the
    user's language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class TechnicianField(forms.ModelChoiceField):
    """A field technician, shown by name."""

    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class TechnicianChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = TechnicianField


def _technician_users(request=None):
    return User.objects.filter(technician_profile__isnull=False).order_by(
        "last_name", "first_name", "username")


class WorkOrderFilter(django_filters.FilterSet):
    """The filters of the work order list."""

    state = django_filters.ChoiceFilter(choices=WorkOrderState.choices, label=_("State"),
                                        empty_label=_("All states"))
    kind = django_filters.ChoiceFilter(choices=WorkOrderKind.choices, label=_("Kind"),
                                       empty_label=_("All kinds"))
    date = django_filters.DateFilter(field_name="scheduled_date", label=_("Date"),
                                     widget=DayInput())
    technician = TechnicianChoiceFilter(label=_("Technician"), queryset=_technician_users,
                                        empty_label=_("Any technician"))
    customer = IdFilter(field_name="customer_id", label=_("Customer id"))

    class Meta:
        model = WorkOrder
        fields = ["state", "kind", "date", "technician", "customer"]


def _skill_choices():
    return [(skill.value, skill.label) for skill in Skill]


class WorkOrderCreateForm(forms.Form):
    """A new work order for one customer: what, where, who may do it, and
    the equipment it takes or brings back."""

    kind = forms.ChoiceField(label=_("Kind of visit"), choices=WorkOrderKind.choices,
                             initial=WorkOrderKind.INSTALL)
    service_address = forms.ModelChoiceField(
        label=_("Service address"), queryset=Address.objects.none(), empty_label=None,
        error_messages={"required": _("Choose the address the technician goes to."),
                        "invalid_choice": _("Choose one of the customer's service addresses.")},
    )
    required_skills = forms.MultipleChoiceField(
        label=_("Skills needed"), choices=_skill_choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Leave empty for an equipment recovery or a site survey: the matching "
                    "skill is chosen."),
    )
    estimated_minutes = forms.IntegerField(
        label=_("Estimated minutes"), min_value=10, max_value=480, initial=60,
        widget=forms.NumberInput(attrs={"step": 5}),
        error_messages={"min_value": _("A visit takes at least 10 minutes."),
                        "max_value": _("A visit takes at most 480 minutes (8 hours); "
                                       "split longer work into several orders.")},
    )
    priority = forms.TypedChoiceField(label=_("Priority"), choices=Priority.choices, coerce=int,
                                      initial=Priority.NORMAL)
    notes = forms.CharField(
        label=_("Notes for the technician"), required=False, max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Access, parking, who will be at home…"),
    )
    install_items = forms.CharField(
        label=_("Equipment to install"), required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocomplete": "off"}),
        help_text=_("Optional. One serial number, MAC address or card number per line; each "
                    "item is reserved for the customer now."),
    )
    recover_items = forms.MultipleChoiceField(
        label=_("Equipment to recover"), required=False, choices=[],
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, customer: Customer, actor: User, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer, self.actor = customer, actor
        addresses = Address.objects.filter(customer=customer, purpose=AddressPurpose.SERVICE,
                                           is_active=True).order_by("id")
        self.fields["service_address"].queryset = addresses
        if len(addresses) != 1:
            self.fields["service_address"].empty_label = _("Choose…")
        self.installed = [item for item in
                          inventory_selectors.customer_equipment(customer=customer)
                          if item.state == ItemState.INSTALLED]
        self.fields["recover_items"].choices = [
            (str(item.pk), f"{item.model} · {item.serial_number}") for item in self.installed
        ]

    @property
    def has_service_address(self) -> bool:
        return self.fields["service_address"].queryset.exists()

    def clean_install_items(self) -> list[EquipmentItem]:
        texts: dict[str, None] = {}
        for text in IDENTIFIER_SEPARATORS.split(self.cleaned_data["install_items"] or ""):
            if text:
                texts.setdefault(text, None)
        if len(texts) > MAX_INSTALL_ITEMS:
            raise ValidationError(_("At most %(max)s items per order.")
                                  % {"max": MAX_INSTALL_ITEMS}, code="too_many")
        items, unknown = [], []
        for text in texts:
            found = inventory_selectors.item_find_by_identifier(actor=self.actor, text=text,
                                                                limit=1)
            if found:
                if found[0] not in items:
                    items.append(found[0])
            else:
                unknown.append(text)
        if unknown:
            raise ValidationError(_("No item with these numbers: %(numbers)s. Check them "
                                    "against the label.") % {"numbers": ", ".join(unknown)},
                                  code="unknown_item")
        return items

    def clean_recover_items(self) -> list[EquipmentItem]:
        chosen = set(self.cleaned_data["recover_items"])
        return [item for item in self.installed if str(item.pk) in chosen]


# Where a refusal of work_order_create goes on the form: the inventory
# service names the item it could not reserve "item".
CREATE_ERROR_FIELDS = {"item": "install_items"}


def create_errors_on_form(error: ValidationError) -> ValidationError:
    if not hasattr(error, "error_dict"):
        return error
    return ValidationError({CREATE_ERROR_FIELDS.get(field, field): items
                            for field, items in error.error_dict.items()})


# Far enough for any booking; and no date arithmetic near date.max.
MAX_BOOKING_AHEAD_DAYS = 366


class SlotSearchForm(forms.Form):
    """The dates to look for free arrival windows in."""

    first = forms.DateField(label=_("First day"), widget=DayInput())
    last = forms.DateField(label=_("Last day"), widget=DayInput())

    @staticmethod
    def default_range() -> tuple[date, date]:
        today = timezone.localdate()
        return today, today + timedelta(days=SLOT_SEARCH_DAYS - 1)

    def clean_first(self) -> date:
        first = self.cleaned_data["first"]
        today = timezone.localdate()
        if first < today:
            raise ValidationError(_("Choose today or a later day."), code="past")
        if first > today + timedelta(days=MAX_BOOKING_AHEAD_DAYS):
            raise ValidationError(_("Visits are booked at most a year ahead."), code="too_far")
        return first

    def clean(self):
        data = super().clean()
        first, last = data.get("first"), data.get("last")
        if first is None or last is None:
            return data
        if last < first:
            self.add_error("last", ValidationError(
                _("The last day must be on or after the first."), code="bad_range"))
        elif (last - first).days + 1 > MAX_SEARCH_DAYS:
            self.add_error("last", ValidationError(
                _("Look at most %(days)s days at a time.") % {"days": MAX_SEARCH_DAYS},
                code="bad_range"))
        return data


class BookForm(forms.Form):
    """The arrival window chosen from the offered ones."""

    window_start = forms.DateTimeField(
        widget=forms.HiddenInput,
        error_messages={"required": _("Choose one of the offered arrival windows."),
                        "invalid": _("Choose one of the offered arrival windows.")},
    )

    def clean_window_start(self) -> datetime:
        moment = self.cleaned_data["window_start"]
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        return moment


class OrderActionForm(forms.Form):
    """An action form of the order page, which shows several at once: each
    gets ids of its own so that every label points at its own control."""

    id_prefix = "action"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{self.id_prefix}_%s")
        super().__init__(*args, **kwargs)


class AssignForm(OrderActionForm):
    """A technician who can do the order, and when they start."""

    id_prefix = "assign"

    technician = forms.ChoiceField(
        label=_("Technician"), choices=[],
        error_messages={"required": _("Choose the technician."),
                        "invalid_choice": _("Choose one of the listed technicians.")},
    )
    planned_start = forms.TimeField(
        label=_("Planned start"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": _("Say when the technician starts (hh:mm).")},
    )

    def __init__(self, *args, order: WorkOrder, technicians: list[TechnicianProfile],
                 **kwargs):
        super().__init__(*args, **kwargs)
        self.order = order
        self.technicians = {str(profile.user_id): profile.user for profile in technicians}
        self.fields["technician"].choices = [("", _("Choose…"))] + [
            (str(profile.user_id), str(profile)) for profile in technicians
        ]
        if order.window_start is not None and not self.is_bound:
            self.initial.setdefault("planned_start",
                                    timezone.localtime(order.window_start).time())
            if order.technician_id is not None:
                self.initial.setdefault("technician", str(order.technician_id))
            if order.planned_start is not None:
                self.initial["planned_start"] = timezone.localtime(order.planned_start).time()

    def clean_technician(self) -> User:
        return self.technicians[self.cleaned_data["technician"]]

    def planned_start_at(self) -> datetime | None:
        """The planned start on the order's day."""
        day = self.order.scheduled_date
        if day is None:
            return None
        return timezone.make_aware(datetime.combine(day, self.cleaned_data["planned_start"]))


class UnassignForm(OrderActionForm):
    id_prefix = "unassign"
    reason = forms.CharField(label=_("Reason"), required=False, max_length=300)


class DispatchForm(OrderActionForm):
    id_prefix = "dispatch"


class CancelForm(OrderActionForm):
    id_prefix = "cancel"
    reason = forms.CharField(
        label=_("Why is it cancelled?"), max_length=300,
        error_messages={"required": _("Say why the order is cancelled (the customer's "
                                      "words are fine).")},
    )
