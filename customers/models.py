"""Customers and everything that hangs from them: who signs, who uses, how to
reach them, where they live and are billed, and every contact we had."""

from __future__ import annotations

import re
import unicodedata
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from callcenter.models import CallCenter
from customers import errors
from customers.banking import mask_iban, normalise_iban
from customers.choices import (
    AccountStatus,
    AddressPurpose,
    BillFormat,
    ContactKind,
    ContactLabel,
    CustomerEventKind,
    CustomerKind,
    CustomerStatus,
    DeliveryMethod,
    DetailLevel,
    DocumentType,
    InteractionChannel,
    InteractionDirection,
    InteractionOutcome,
    InteractionTopic,
    PaymentMethod,
    Relationship,
    Segment,
)
from customers.contacts import display_phone, normalise_email, normalise_phone
from customers.documents import normalise_document, validate_country
from sesmu.choices import Currency, Language
from sesmu.errors import field_error


def fold(text: str) -> str:
    """Lower case without accents, for searching names as operators type them."""
    decomposed = unicodedata.normalize("NFKD", text or "")
    plain = "".join(character for character in decomposed if not unicodedata.combining(character))
    return " ".join(plain.lower().split())


def choice_label(choices: type[models.TextChoices], value: str) -> str:
    """The label of one value. Cheaper than get_FOO_display, which translates
    every label of the list on each call: the timeline shows dozens."""
    try:
        return choices(value).label
    except ValueError:
        return value


def search_key(text: str) -> str:
    """The folded name as words of letters and digits only ("O'Hara-Núñez" →
    "o hara nunez"), so every database splits it into the same words."""
    return " ".join(re.findall(r"[a-z0-9]+", fold(text)))


class Customer(FSMModelMixin, models.Model):
    """The person or organisation that signs the contract: prospect until they
    sign, active while they have a contract, former after they leave."""

    number = models.CharField(_("customer number"), max_length=20, unique=True, editable=False)
    kind = models.CharField(
        _("kind"), max_length=20, choices=CustomerKind.choices, default=CustomerKind.PERSON
    )
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family names"), max_length=150, blank=True)
    organisation_name = models.CharField(_("organisation name"), max_length=200, blank=True)
    search_name = models.CharField(max_length=400, editable=False, default="")
    document_type = models.CharField(
        _("document type"), max_length=20, choices=DocumentType.choices
    )
    document_number = models.CharField(_("document number"), max_length=30)
    document_country = models.CharField(_("issuing country"), max_length=2, default="ES")
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    language = models.CharField(
        _("preferred language"), max_length=5, choices=Language.choices, default=Language.SPANISH
    )
    segment = models.CharField(
        _("segment"), max_length=20, choices=Segment.choices, default=Segment.RESIDENTIAL
    )
    is_vip = models.BooleanField(_("VIP"), default=False)
    status = FSMField(
        _("status"),
        max_length=20,
        choices=CustomerStatus.choices,
        default=CustomerStatus.PROSPECT,
        protected=True,
    )
    consent_marketing_email = models.BooleanField(_("marketing by e-mail"), default=False)
    consent_marketing_phone = models.BooleanField(_("marketing by phone"), default=False)
    consent_marketing_post = models.BooleanField(_("marketing by post"), default=False)
    consent_updated_at = models.DateTimeField(_("consent updated at"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("customer")
        verbose_name_plural = _("customers")
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document_type", "document_country", "document_number"],
                name="customer_document_unique",
            ),
        ]
        indexes = [
            models.Index(fields=["document_number"], name="customer_document_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.display_name}"

    @property
    def display_name(self) -> str:
        if self.kind == CustomerKind.ORGANISATION:
            return self.organisation_name
        return f"{self.given_name} {self.family_name}".strip()

    def clean_fields(self, exclude=None) -> None:
        # The status only moves through transitions (protected FSM field), and
        # clean_fields would assign it back.
        super().clean_fields(exclude={*(exclude or ()), "status"})

    def clean(self) -> None:
        errors_by_field: dict[str, list] = {}

        def add(field: str, message: str, code: str) -> None:
            errors_by_field.setdefault(field, []).append(ValidationError(message, code=code))

        self.given_name = " ".join(self.given_name.split())
        self.family_name = " ".join(self.family_name.split())
        self.organisation_name = " ".join(self.organisation_name.split())
        if self.kind == CustomerKind.PERSON:
            if not self.given_name:
                add("given_name", _("Enter the given name."), "required")
            if not self.family_name:
                add("family_name", _("Enter the family names."), "required")
            if self.document_type == DocumentType.CIF:
                add(
                    "document_type",
                    _("A CIF identifies an organisation; for a person choose NIF, NIE or "
                      "passport."),
                    "document_type_mismatch",
                )
        elif not self.organisation_name:
            add("organisation_name", _("Enter the organisation's name."), "required")
        if self.document_type:
            try:
                self.document_number, self.document_country = normalise_document(
                    self.document_type, self.document_number, self.document_country
                )
            except ValidationError as error:
                for field, items in error.error_dict.items():
                    errors_by_field.setdefault(field, []).extend(items)
        if self.birth_date is not None and self.birth_date > timezone.localdate():
            add("birth_date", _("The date of birth cannot be in the future."), "future_date")
        if errors_by_field:
            raise ValidationError(errors_by_field)
        self.refresh_search_name()

    def refresh_search_name(self) -> None:
        self.search_name = search_key(
            " ".join(part for part in (self.given_name, self.family_name, self.organisation_name))
        )

    @transition(
        field=status,
        source=[CustomerStatus.PROSPECT, CustomerStatus.FORMER],
        target=CustomerStatus.ACTIVE,
    )
    def activate(self) -> None:
        """A signed contract makes a prospect (or a returning customer) active."""

    @transition(field=status, source=CustomerStatus.ACTIVE, target=CustomerStatus.FORMER)
    def make_former(self) -> None:
        """The last contract ended."""


class CustomerEvent(models.Model):
    """One thing that happened to a customer (created, changed, status moved,
    account opened...): with interactions, the customer's timeline."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="events"
    )
    kind = models.CharField(_("kind"), max_length=30, choices=CustomerEventKind.choices)
    description = models.CharField(_("description"), max_length=300, blank=True)
    from_status = models.CharField(_("from"), max_length=20, blank=True)
    to_status = models.CharField(_("to"), max_length=20, blank=True)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("when"), auto_now_add=True)

    class Meta:
        verbose_name = _("customer event")
        verbose_name_plural = _("customer events")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["customer", "-created_at"], name="customer_event_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.kind}"

    @staticmethod
    def _status_label(value: str) -> str:
        for choices in (CustomerStatus, AccountStatus):
            if value in choices.values:
                return choice_label(choices, value)
        return value

    @property
    def kind_label(self) -> str:
        return choice_label(CustomerEventKind, self.kind)

    @property
    def from_status_label(self) -> str:
        return self._status_label(self.from_status)

    @property
    def to_status_label(self) -> str:
        return self._status_label(self.to_status)


class ServiceUser(models.Model):
    """Someone who uses a service the customer pays for: the customer, a
    family member, an employee."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="service_users",
    )
    relationship = models.CharField(
        _("relationship"), max_length=20, choices=Relationship.choices, default=Relationship.SELF
    )
    given_name = models.CharField(_("given name"), max_length=100, blank=True)
    family_name = models.CharField(_("family names"), max_length=150, blank=True)
    email = models.CharField(_("e-mail"), max_length=254, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True)
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.SPANISH
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("service user")
        verbose_name_plural = _("service users")
        ordering = ["customer", "id"]

    def __str__(self) -> str:
        return f"{self.given_name} {self.family_name}".strip()

    def clean(self) -> None:
        self.given_name = " ".join(self.given_name.split())
        self.family_name = " ".join(self.family_name.split())
        problems: dict[str, list] = {}
        for field, normalise in (("phone", normalise_phone), ("email", normalise_email)):
            value = getattr(self, field)
            if not value:
                continue
            try:
                setattr(self, field, normalise(value, field=field))
            except ValidationError as error:
                problems.update(error.error_dict)
        if not self.given_name:
            problems["given_name"] = [ValidationError(_("Enter the given name."), code="required")]
        if problems:
            raise ValidationError(problems)

    @property
    def phone_display(self) -> str:
        return display_phone(self.phone) if self.phone else ""


class ContactPoint(models.Model):
    """A phone number (E.164) or e-mail address (lower case) of a customer."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="contacts"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=ContactKind.choices)
    value = models.CharField(_("value"), max_length=254)
    label = models.CharField(
        _("label"), max_length=10, choices=ContactLabel.choices, default=ContactLabel.MOBILE
    )
    is_primary = models.BooleanField(_("primary"), default=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("contact point")
        verbose_name_plural = _("contact points")
        ordering = ["customer", "-is_primary", "kind", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["customer", "kind", "value"], name="contact_point_unique"
            ),
        ]
        indexes = [models.Index(fields=["value"], name="contact_point_value_idx")]

    def __str__(self) -> str:
        return self.display_value

    def clean(self) -> None:
        if self.kind == ContactKind.PHONE:
            self.value = normalise_phone(self.value)
        elif self.kind == ContactKind.EMAIL:
            self.value = normalise_email(self.value)

    @property
    def display_value(self) -> str:
        return display_phone(self.value) if self.kind == ContactKind.PHONE else self.value


class Address(models.Model):
    """A postal address of a customer: where a service is installed or where
    bills are sent."""

    customer = models.ForeignKey(
        Customer, verbose_name=_("customer"), on_delete=models.CASCADE, related_name="addresses"
    )
    purpose = models.CharField(
        _("purpose"), max_length=10, choices=AddressPurpose.choices, default=AddressPurpose.SERVICE
    )
    street = models.CharField(_("street"), max_length=200)
    street_number = models.CharField(_("number"), max_length=20, blank=True)
    details = models.CharField(_("floor, door"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=10)
    city = models.CharField(_("city"), max_length=100)
    province = models.CharField(_("province"), max_length=100, blank=True)
    country = models.CharField(_("country"), max_length=2, default="ES")
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["customer", "purpose", "id"]
        indexes = [models.Index(fields=["postal_code"], name="address_postal_code_idx")]

    def __str__(self) -> str:
        first = " ".join(part for part in (self.street, self.street_number, self.details) if part)
        return f"{first}, {self.postal_code} {self.city}"

    def clean(self) -> None:
        for field in ("street", "street_number", "details", "postal_code", "city", "province"):
            setattr(self, field, " ".join(getattr(self, field).split()))
        try:
            self.country = validate_country(self.country)
        except ValidationError:
            raise field_error("country", _("Choose a country."), code="invalid_country")
        if self.country == "ES":
            code = self.postal_code
            if not (len(code) == 5 and code.isdigit() and 1 <= int(code[:2]) <= 52):
                raise field_error(
                    "postal_code",
                    _("A Spanish postal code has 5 digits, from 01000 to 52999."),
                    code="invalid_postal_code",
                )
        elif not self.postal_code:
            raise field_error("postal_code", _("Enter the postal code."), code="required")


class BillingAccount(models.Model):
    """Who pays and how bills are made: several per customer, each with its
    currency, bill language, format, detail level, delivery and payment."""

    number = models.CharField(_("account number"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.PROTECT,
        related_name="billing_accounts",
    )
    name = models.CharField(_("account name"), max_length=100)
    currency = models.CharField(
        _("currency"), max_length=3, choices=Currency.choices, default=Currency.EURO
    )
    bill_language = models.CharField(
        _("bill language"), max_length=5, choices=Language.choices, default=Language.SPANISH
    )
    bill_format = models.CharField(
        _("bill format"), max_length=10, choices=BillFormat.choices, default=BillFormat.PDF
    )
    detail_level = models.CharField(
        _("detail level"),
        max_length=10,
        choices=DetailLevel.choices,
        default=DetailLevel.SUMMARY,
    )
    delivery_method = models.CharField(
        _("delivery"),
        max_length=10,
        choices=DeliveryMethod.choices,
        default=DeliveryMethod.EMAIL,
    )
    delivery_email = models.CharField(_("delivery e-mail"), max_length=254, blank=True)
    billing_address = models.ForeignKey(
        Address,
        verbose_name=_("billing address"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    payment_method = models.CharField(
        _("payment method"),
        max_length=20,
        choices=PaymentMethod.choices,
        default=PaymentMethod.DIRECT_DEBIT,
    )
    iban = models.CharField(_("IBAN"), max_length=34, blank=True)
    bill_day = models.PositiveSmallIntegerField(
        _("bill day"), default=1, validators=[MinValueValidator(1), MaxValueValidator(28)]
    )
    status = models.CharField(
        _("status"), max_length=10, choices=AccountStatus.choices, default=AccountStatus.ACTIVE
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("billing account")
        verbose_name_plural = _("billing accounts")
        ordering = ["customer", "number"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(bill_day__gte=1, bill_day__lte=28),
                name="billing_account_bill_day_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.name}"

    def clean(self) -> None:
        self.name = " ".join(self.name.split())
        problems: dict[str, list] = {}

        def add(field: str, message: str, code: str) -> None:
            problems.setdefault(field, []).append(ValidationError(message, code=code))

        if self.iban:
            try:
                self.iban = normalise_iban(self.iban)
            except ValidationError as error:
                problems.update(error.error_dict)
        elif self.payment_method == PaymentMethod.DIRECT_DEBIT:
            add(
                "iban",
                _("Direct debit needs the IBAN of the account to charge."),
                errors.IBAN_REQUIRED,
            )
        if self.delivery_email:
            try:
                self.delivery_email = normalise_email(self.delivery_email, field="delivery_email")
            except ValidationError as error:
                problems.update(error.error_dict)
        elif self.delivery_method == DeliveryMethod.EMAIL:
            add(
                "delivery_email",
                _("Bills sent by e-mail need an e-mail address."),
                errors.DELIVERY_EMAIL_REQUIRED,
            )
        if self.delivery_method == DeliveryMethod.POST and self.billing_address_id is None:
            add(
                "billing_address",
                _("Bills sent by post need a billing address."),
                errors.BILLING_ADDRESS_REQUIRED,
            )
        if (
            self.billing_address_id is not None
            and self.customer_id is not None
            and self.billing_address.customer_id != self.customer_id
        ):
            add(
                "billing_address",
                _("This address belongs to another customer."),
                errors.ADDRESS_OF_OTHER_CUSTOMER,
            )
        if problems:
            raise ValidationError(problems)

    @property
    def iban_masked(self) -> str:
        return mask_iban(self.iban)


class Interaction(models.Model):
    """One contact with a customer through any channel (a call, an e-mail, a
    visit): who handled it, about what, and how it ended."""

    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="interactions",
    )
    service_user = models.ForeignKey(
        ServiceUser,
        verbose_name=_("service user"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="interactions",
    )
    channel = models.CharField(
        _("channel"),
        max_length=10,
        choices=InteractionChannel.choices,
        default=InteractionChannel.PHONE,
    )
    direction = models.CharField(
        _("direction"),
        max_length=10,
        choices=InteractionDirection.choices,
        default=InteractionDirection.INBOUND,
    )
    call_center = models.ForeignKey(
        CallCenter,
        verbose_name=_("call center"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    operator = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("operator"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="interactions",
    )
    topic = models.CharField(_("topic"), max_length=20, choices=InteractionTopic.choices)
    summary = models.TextField(_("summary"))
    outcome = models.CharField(_("outcome"), max_length=20, choices=InteractionOutcome.choices)
    started_at = models.DateTimeField(_("started at"))
    ended_at = models.DateTimeField(_("ended at"))
    # An opaque reference to what the contact was about (a ticket, an
    # invoice...): apps above customers are referred to by kind and id only.
    related_kind = models.CharField(_("related kind"), max_length=40, blank=True)
    related_id = models.CharField(_("related id"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("interaction")
        verbose_name_plural = _("interactions")
        ordering = ["-started_at", "-id"]
        indexes = [
            models.Index(fields=["customer", "-started_at"], name="interaction_customer_idx"),
            models.Index(fields=["operator", "-started_at"], name="interaction_operator_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ended_at__gte=models.F("started_at")),
                name="interaction_ends_after_start",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.customer_id} {self.channel} {self.started_at:%Y-%m-%d %H:%M}"

    def clean(self) -> None:
        self.summary = (self.summary or "").strip()
        if not self.summary:
            raise field_error("summary", _("Write what the contact was about."), code="required")
        if self.started_at and self.started_at > timezone.now() + timedelta(minutes=5):
            raise field_error(
                "started_at", _("The contact cannot start in the future."), code="future_date"
            )
        if self.started_at and self.ended_at and self.ended_at < self.started_at:
            raise field_error(
                "ended_at", _("The contact must end after it started."), code="ends_before_start"
            )
        if (
            self.service_user_id is not None
            and self.customer_id is not None
            and self.service_user.customer_id != self.customer_id
        ):
            raise field_error(
                "service_user",
                _("This service user belongs to another customer."),
                code=errors.SERVICE_USER_OF_OTHER_CUSTOMER,
            )

    @property
    def channel_label(self) -> str:
        return choice_label(InteractionChannel, self.channel)

    @property
    def direction_label(self) -> str:
        return choice_label(InteractionDirection, self.direction)

    @property
    def topic_label(self) -> str:
        return choice_label(InteractionTopic, self.topic)

    @property
    def outcome_label(self) -> str:
        return choice_label(InteractionOutcome, self.outcome)

    @property
    def duration_seconds(self) -> int:
        return int((self.ended_at - self.started_at).total_seconds())


class PortalAccount(models.Model):
    """The self-care login of a customer: a user of the portal kind tied to
    exactly one customer, who sees nothing else."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="portal_account",
    )
    customer = models.ForeignKey(
        Customer,
        verbose_name=_("customer"),
        on_delete=models.CASCADE,
        related_name="portal_accounts",
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("portal account")
        verbose_name_plural = _("portal accounts")

    def __str__(self) -> str:
        return f"{self.user} → {self.customer.number}"
