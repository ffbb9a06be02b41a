"""Forms of the new-subscription flow on the operator desk. They only parse
what was typed and offer the customer's own addresses, accounts and users;
`subscription_create` decides whether the sale may go ahead, and says why
not next to the field.

Every choice is a plain ChoiceField over the rows shown on the page, so
whatever comes back (a stranger's id, letters, a number too big for the
database) is "not one of the choices", never a query."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from customers.choices import AccountStatus, AddressPurpose
from customers.models import Address, BillingAccount, Customer, ServiceUser
from inventory.choices import AccessMedium
from sesmu.money import format_money
from subscriptions.choices import ItemRole
from subscriptions.models import CatalogService, OfferItem, OfferVersion
from subscriptions.services import UserSpec
from workforce.forms import SlotSearchForm

MAX_SERIALS = 10
VISIT_HORIZON_DAYS = 365
SERIAL_SEPARATORS = re.compile(r"[\s,;]+")
SUBMISSION = re.compile(r"^[0-9a-f]{32}$")
PIN = re.compile(r"^\d{4}$")


def service_addresses(customer: Customer) -> list[Address]:
    return list(Address.objects.filter(customer=customer, purpose=AddressPurpose.SERVICE,
                                       is_active=True).order_by("id"))


def active_accounts(customer: Customer) -> list[BillingAccount]:
    return list(BillingAccount.objects.filter(customer=customer, status=AccountStatus.ACTIVE)
                .order_by("number"))


def _values(data, name: str) -> list[str]:
    """Every value sent under `name` (a QueryDict, or a plain dict in tests)."""
    if hasattr(data, "getlist"):
        return data.getlist(name)
    value = data.get(name)
    if value is None:
        return []
    return [str(item) for item in value] if isinstance(value, (list, tuple)) else [str(value)]


def active_service_users(customer: Customer) -> list[ServiceUser]:
    return list(ServiceUser.objects.filter(customer=customer, is_active=True).order_by("id"))


class SellWhereForm(forms.Form):
    """Step 1: where the service goes and how it gets there."""

    service_address = forms.ChoiceField(
        label=_("Service address"), choices=[],
        error_messages={"required": _("Choose the address where the service is used."),
                        "invalid_choice": _("Choose one of the customer's service addresses.")},
    )
    # Not required to see the coverage first; required to go on (require_medium).
    access_medium = forms.ChoiceField(
        label=_("Access medium"), choices=AccessMedium.choices, widget=forms.RadioSelect,
        required=False,
        error_messages={"invalid_choice": _("Choose copper, cable or satellite.")},
    )

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer = customer
        self.addresses = {str(address.pk): address for address in service_addresses(customer)}
        choices = [(key, str(address)) for key, address in self.addresses.items()]
        if len(choices) != 1:
            choices.insert(0, ("", _("Choose…")))
        elif not self.is_bound:
            self.initial.setdefault("service_address", choices[0][0])
        self.fields["service_address"].choices = choices

    @property
    def has_addresses(self) -> bool:
        return bool(self.addresses)

    @property
    def medium_label(self) -> str:
        medium = getattr(self, "cleaned_data", {}).get("access_medium", "")
        return str(AccessMedium(medium).label) if medium in AccessMedium.values else medium

    def clean_service_address(self) -> Address:
        return self.addresses[self.cleaned_data["service_address"]]

    def require_medium(self) -> bool:
        """Whether an access medium was chosen; says so next to it if not."""
        if self.cleaned_data.get("access_medium"):
            return True
        self.add_error("access_medium", ValidationError(
            _("Choose how the service reaches the address."), code="required"))
        return False


class SellOfferForm(forms.Form):
    """Step 2, first half: one of the offers on sale there."""

    offer_version = forms.ChoiceField(
        label=_("Offer"), choices=[],
        error_messages={"required": _("Choose an offer."),
                        "invalid_choice": _("That offer is not on sale for this address and "
                                            "medium any more; choose one of those listed.")},
    )

    def __init__(self, *args, offers: list[OfferVersion], **kwargs):
        super().__init__(*args, **kwargs)
        self.offers = {str(version.pk): version for version in offers}
        self.fields["offer_version"].choices = [(key, str(version))
                                                for key, version in self.offers.items()]

    def clean_offer_version(self) -> OfferVersion:
        return self.offers[self.cleaned_data["offer_version"]]


@dataclass
class UserRow:
    """One of the customer's service users on the form, with their own fields."""

    service_user: ServiceUser
    check: forms.BoundField
    credential: forms.BoundField
    parental_pin: forms.BoundField
    ppv_allowed: forms.BoundField
    ppv_monthly_limit: forms.BoundField

    @property
    def fields(self) -> list[forms.BoundField]:
        return [self.credential, self.parental_pin, self.ppv_allowed, self.ppv_monthly_limit]

    @property
    def errors(self) -> list[str]:
        return [error for field in self.fields for error in field.errors]


class SerialsField(forms.CharField):
    """Serial numbers, MAC addresses or card numbers, on lines or with commas."""

    widget = forms.Textarea(attrs={"rows": 2, "spellcheck": "false", "autocomplete": "off",
                                   "autocapitalize": "characters"})

    def clean(self, value) -> list[str]:
        text = super().clean(value)
        serials: list[str] = []
        for serial in SERIAL_SEPARATORS.split(text or ""):
            if serial and serial not in serials:
                serials.append(serial)
        if len(serials) > MAX_SERIALS:
            raise ValidationError(_("At most %(max)s serials.") % {"max": MAX_SERIALS},
                                  code="too_many")
        too_long = [serial for serial in serials if len(serial) > 64]
        if too_long:
            raise ValidationError(_("A serial number has at most 64 characters."),
                                  code="too_long")
        return serials


class SellDetailsForm(forms.Form):
    """Step 2, second half: the options, who pays, who uses it, and any
    equipment the operator already has in hand."""

    options = forms.MultipleChoiceField(
        label=_("Options"), required=False, choices=[], widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("%(value)s is not an option of this offer.")},
    )
    billing_account = forms.ChoiceField(
        label=_("Billing account"), choices=[],
        error_messages={"required": _("Choose the account that pays."),
                        "invalid_choice": _("Choose one of the customer's open accounts.")},
    )
    users = forms.MultipleChoiceField(
        label=_("Service users"), required=False, choices=[], widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("Choose among the customer's active service "
                                            "users.")},
    )
    serials = SerialsField(
        label=_("Equipment in hand"), required=False, max_length=1000,
        help_text=_("Optional. Serial numbers of equipment in stock that the customer "
                    "takes today; otherwise the oldest suitable item in the warehouse is "
                    "reserved."),
    )

    def __init__(self, *args, customer: Customer, version: OfferVersion, **kwargs):
        super().__init__(*args, **kwargs)
        self.customer, self.version = customer, version
        items = list(version.items.all())
        self.included = [item for item in items if item.role == ItemRole.INCLUDED]
        self.option_items: dict[str, OfferItem] = {
            str(item.service_id): item for item in items if item.role == ItemRole.OPTION}
        self.fields["options"].choices = [
            (key, f"{item.service.name} (+{self._price(item)})")
            for key, item in self.option_items.items()]
        self.accounts = {str(account.pk): account for account in active_accounts(customer)}
        account_choices = [(key, f"{account.number} · {account.name}")
                           for key, account in self.accounts.items()]
        if len(account_choices) != 1:
            account_choices.insert(0, ("", _("Choose…")))
        elif not self.is_bound:
            self.initial.setdefault("billing_account", account_choices[0][0])
        self.fields["billing_account"].choices = account_choices
        self.service_users = {str(user.pk): user for user in active_service_users(customer)}
        self.fields["users"].choices = [(key, str(user))
                                        for key, user in self.service_users.items()]
        for key in self.service_users:
            self.fields[f"user-{key}-credential"] = forms.CharField(
                label=_("Login or card"), required=False, max_length=100,
                widget=forms.TextInput(attrs={"autocomplete": "off"}))
            self.fields[f"user-{key}-parental_pin"] = forms.CharField(
                label=_("Parental PIN"), required=False, max_length=4,
                widget=forms.PasswordInput(render_value=True, attrs={
                    "inputmode": "numeric", "autocomplete": "off", "size": 6}))
            self.fields[f"user-{key}-ppv_allowed"] = forms.BooleanField(
                label=_("May buy pay-per-view"), required=False, initial=True)
            self.fields[f"user-{key}-ppv_monthly_limit"] = forms.DecimalField(
                label=_("Pay-per-view limit a month"), required=False, min_value=Decimal("0"),
                max_digits=8, decimal_places=2,
                widget=forms.NumberInput(attrs={"step": "0.01", "min": "0", "size": 8}),
                error_messages={"min_value": _("A limit cannot be negative."),
                                "invalid": _("Type an amount such as 20 or 20.50."),
                                "max_digits": _("At most 999999.99."),
                                "max_whole_digits": _("At most 999999.99."),
                                "max_decimal_places": _("At most 2 decimals.")})

    def _price(self, item: OfferItem) -> str:
        return format_money(item.option_monthly_price, self.version.currency)

    # What the template shows ----------------------------------------------------------

    @property
    def user_rows(self) -> list[UserRow]:
        checks = {choice.data["value"]: choice for choice in self["users"]}
        return [UserRow(service_user=user, check=checks[key],
                        credential=self[f"user-{key}-credential"],
                        parental_pin=self[f"user-{key}-parental_pin"],
                        ppv_allowed=self[f"user-{key}-ppv_allowed"],
                        ppv_monthly_limit=self[f"user-{key}-ppv_monthly_limit"])
                for key, user in self.service_users.items()]

    @property
    def option_rows(self) -> list[tuple[object, OfferItem]]:
        choices = {choice.data["value"]: choice for choice in self["options"]}
        return [(choices[key], item) for key, item in self.option_items.items()]

    def chosen_option_keys(self) -> list[str]:
        """The options ticked, as typed (for the running total of a form
        that does not validate yet): only the offer's own."""
        if not self.is_bound:
            return []
        return [key for key in _values(self.data, "options") if key in self.option_items]

    # Cleaning ------------------------------------------------------------------------

    def clean_options(self) -> list[CatalogService]:
        return [self.option_items[key].service for key in self.cleaned_data["options"]]

    def clean_billing_account(self) -> BillingAccount:
        return self.accounts[self.cleaned_data["billing_account"]]

    def clean(self):
        data = super().clean()
        chosen = set(_values(self.data, "users")) if self.is_bound else set()
        specs = []
        for key, user in self.service_users.items():
            credential = (data.get(f"user-{key}-credential") or "").strip()
            pin = (data.get(f"user-{key}-parental_pin") or "").strip()
            limit = data.get(f"user-{key}-ppv_monthly_limit")
            if pin and not PIN.match(pin):
                self.add_error(f"user-{key}-parental_pin", ValidationError(
                    _("A parental PIN has 4 digits."), code="invalid"))
            if key not in chosen:
                if credential or pin or limit is not None:
                    self.add_error(f"user-{key}-credential", ValidationError(
                        _("Tick %(user)s to add them to the subscription, or clear their "
                          "fields.") % {"user": user}, code="not_chosen"))
                continue
            specs.append(UserSpec(service_user=user, credential=credential, parental_pin=pin,
                                  ppv_allowed=bool(data.get(f"user-{key}-ppv_allowed")),
                                  ppv_monthly_limit=limit))
        data["user_specs"] = specs
        return data

    def hidden_values(self) -> list[tuple[str, str]]:
        """What was typed, to carry to the confirmation step unchanged."""
        pairs = []
        for name in self.fields:
            for value in _values(self.data, self.add_prefix(name)):
                pairs.append((self.add_prefix(name), value))
        return pairs


class SellConfirmForm(forms.Form):
    """Step 3: the operator read the plan to the customer and confirms. The
    submission id, made when the plan was shown, makes a second click (or
    a resent form) find the first sale instead of making another."""

    submission = forms.CharField(widget=forms.HiddenInput, max_length=200, error_messages={
        "required": _("This confirmation has expired; review the sale again.")})

    def clean_submission(self) -> str:
        value = self.cleaned_data["submission"]
        if not SUBMISSION.match(value):
            raise ValidationError(_("This confirmation has expired; review the sale again."),
                                  code="invalid")
        return value


class VisitSlotSearchForm(SlotSearchForm):
    """The days to look for a free arrival window in, at most a year ahead
    (nobody books further, and the calendar ends somewhere)."""

    def clean(self):
        data = super().clean()
        last = data.get("last")
        horizon = timezone.localdate() + timedelta(days=VISIT_HORIZON_DAYS)
        if last is not None and "last" not in self.errors and last > horizon:
            self.add_error("last", ValidationError(
                _("Look at most a year ahead, up to %(day)s.")
                % {"day": horizon.strftime("%d/%m/%Y")}, code="bad_range"))
        return data
