from __future__ import annotations

import gettext
from collections.abc import Callable

import pycountry
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from customers.choices import ContactKind, ContactLabel
from customers.contacts import normalise_email, normalise_phone
from customers.models import (
    Address,
    BillingAccount,
    Customer,
    Interaction,
    ServiceUser,
    fold,
)
from sesmu.forms import ServiceModelForm


def country_choices() -> list[tuple[str, str]]:
    """Countries in the active language (pycountry ships the ISO 3166
    translations), Spain first as the usual answer."""
    language = (get_language() or "en").split("-")[0]
    try:
        names = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[language])
        translate = names.gettext
    except OSError:
        def translate(text: str) -> str:
            return text
    countries = [(country.alpha_2, translate(country.name)) for country in pycountry.countries]
    countries.sort(key=lambda item: fold(item[1]))
    spain = next(item for item in countries if item[0] == "ES")
    return [spain] + [item for item in countries if item[0] != "ES"]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class CustomerForm(ServiceModelForm):
    phone = forms.CharField(label=_("Phone"), required=False, max_length=30,
                            help_text=_("Spanish numbers without prefix, others with +country."))
    email = forms.CharField(label=_("E-mail"), required=False, max_length=254)

    field_order = [
        "kind", "given_name", "family_name", "organisation_name", "document_type",
        "document_number", "document_country", "birth_date", "phone", "email", "language",
        "segment", "is_vip", "consent_marketing_email", "consent_marketing_phone",
        "consent_marketing_post", "notes",
    ]

    class Meta:
        model = Customer
        fields = [
            "kind", "given_name", "family_name", "organisation_name", "document_type",
            "document_number", "document_country", "birth_date", "language", "segment",
            "is_vip", "consent_marketing_email", "consent_marketing_phone",
            "consent_marketing_post", "notes",
        ]
        widgets = {
            "birth_date": DateInput(),
            "notes": forms.Textarea(attrs={"rows": 3}),
            "document_country": forms.Select(),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document_country"].widget.choices = country_choices()
        self.fields["document_country"].help_text = _("Only for passports and foreign documents.")
        if self.instance.pk:
            # Phones and e-mails of an existing customer are managed as contacts.
            del self.fields["phone"]
            del self.fields["email"]

    # The service checks the first phone and e-mail too, but only once the
    # rest is valid: checking them here shows every mistake in one go.
    def clean_phone(self) -> str:
        return _checked(self.cleaned_data.get("phone", ""), "phone", normalise_phone)

    def clean_email(self) -> str:
        return _checked(self.cleaned_data.get("email", ""), "email", normalise_email)


def _checked(value: str, field: str, normalise: Callable[..., str]) -> str:
    if not value:
        return ""
    try:
        return normalise(value, field=field)
    except ValidationError as error:
        raise ValidationError(error.error_dict[field])


class ServiceUserForm(ServiceModelForm):
    class Meta:
        model = ServiceUser
        fields = ["relationship", "given_name", "family_name", "email", "phone", "language",
                  "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.instance.pk:
            del self.fields["is_active"]


class ContactForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=ContactKind.choices)
    value = forms.CharField(label=_("Phone or e-mail"), max_length=254)
    label = forms.ChoiceField(label=_("Label"), choices=ContactLabel.choices)
    is_primary = forms.BooleanField(label=_("Primary"), required=False)


class AddressForm(ServiceModelForm):
    class Meta:
        model = Address
        fields = ["purpose", "street", "street_number", "details", "postal_code", "city",
                  "province", "country", "is_active"]
        widgets = {"country": forms.Select()}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["country"].widget.choices = country_choices()
        if not self.instance.pk:
            del self.fields["is_active"]


class BillingAccountForm(ServiceModelForm):
    class Meta:
        model = BillingAccount
        fields = ["name", "currency", "bill_language", "bill_format", "detail_level",
                  "delivery_method", "delivery_email", "billing_address", "payment_method",
                  "iban", "bill_day"]

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        self.fields["billing_address"].queryset = customer.addresses.filter(is_active=True)
        self.fields["iban"].help_text = _("Needed for direct debit. Shown masked once saved.")
        if self.instance.pk and self.instance.iban:
            self.initial["iban"] = ""
            self.fields["iban"].help_text = _(
                "Saved: %(masked)s. Leave empty to keep it."
            ) % {"masked": self.instance.iban_masked}
            self.fields["iban"].required = False

    def clean_iban(self):
        value = self.cleaned_data.get("iban", "")
        if not value and self.instance.pk and self.instance.iban:
            return self.instance.iban
        return value


class InteractionForm(ServiceModelForm):
    class Meta:
        model = Interaction
        fields = ["channel", "direction", "topic", "outcome", "service_user", "summary",
                  "started_at"]
        widgets = {
            "summary": forms.Textarea(attrs={"rows": 3}),
            "started_at": forms.HiddenInput(),
        }

    def __init__(self, *args, customer: Customer, **kwargs):
        super().__init__(*args, **kwargs)
        self.instance.customer = customer
        # Choices from the prefetched service users: no query of its own.
        service_users = [user for user in customer.service_users.all() if user.is_active]
        field = self.fields["service_user"]
        field.queryset = customer.service_users.all()
        field.choices = [("", _("The customer"))] + [(u.pk, str(u)) for u in service_users]
        field.label = _("Who called")
        # The model's clean() says what is missing in words an operator
        # understands; the start defaults to now when the page did not set it.
        self.fields["summary"].required = False
        self.fields["started_at"].required = False
        self.fields["topic"].choices = [("", "—")] + list(self.fields["topic"].choices)[1:]
        self.fields["outcome"].choices = [("", "—")] + list(self.fields["outcome"].choices)[1:]
