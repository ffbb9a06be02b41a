"""The service catalog: every service the provider sells, with the access
media it works over, the equipment it needs and the element manager that
provisions it; pay-per-view and near-video-on-demand programme; and offers,
versioned so that what a subscriber signed never changes under them."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_fsm import FSMField, FSMModelMixin, transition

from customers.models import choice_label
from integrations.models import ExternalSystem
from inventory.models import EquipmentModel, validate_access_media
from sesmu.choices import Currency, ServiceKind
from sesmu.money import AmountField
from subscriptions.choices import CredentialKind, ItemRole, OfferStatus

PROGRAMME_KINDS = (ServiceKind.PAY_PER_VIEW, ServiceKind.IMPULSE_PAY_PER_VIEW,
                   ServiceKind.NEAR_VIDEO_ON_DEMAND)


def validate_postcode_prefixes(values) -> None:
    if not isinstance(values, list) or not all(
            isinstance(value, str) and value.isdigit() and 1 <= len(value) <= 5
            for value in values):
        # Not "invalid": a JSON form field would put its own message instead.
        raise ValidationError(_("List postal-code prefixes of 1 to 5 digits, e.g. \"28\"."),
                              code="bad_region")


class CatalogService(models.Model):
    """A service the provider sells: a TV package, a pay-per-view channel,
    Internet access at some speed, a mailbox, home banking... Provisioned
    by an element manager; some need equipment, some a technician's visit."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=20, choices=ServiceKind.choices)
    description = models.TextField(_("description"), blank=True)
    access_media = models.JSONField(_("access media"), default=list, blank=True,
                                    validators=[validate_access_media],
                                    help_text=_("Empty: works over any access medium."))
    visit_media = models.JSONField(
        _("media that need a visit"), default=list, blank=True,
        validators=[validate_access_media],
        help_text=_("Access media over which a technician must install it."),
    )
    equipment_models = models.ManyToManyField(
        EquipmentModel, verbose_name=_("equipment it needs"), blank=True, related_name="+",
        help_text=_("Any one of these per kind of equipment."),
    )
    provisioning_system = models.ForeignKey(
        ExternalSystem, verbose_name=_("element manager"), null=True, blank=True,
        on_delete=models.PROTECT, related_name="+",
        help_text=_("Empty: the service-management system registered for its kind."),
    )
    credential_kind = models.CharField(_("each user needs"), max_length=20,
                                       choices=CredentialKind.choices,
                                       default=CredentialKind.NONE)
    speed_down_mbps = models.PositiveIntegerField(_("download (Mbit/s)"), null=True,
                                                  blank=True)
    speed_up_mbps = models.PositiveIntegerField(_("upload (Mbit/s)"), null=True, blank=True)
    package_code = models.CharField(
        _("package at the element manager"), max_length=40, blank=True,
        help_text=_("For TV packages: the package the conditional-access system knows."),
    )
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("catalog service")
        verbose_name_plural = _("catalog services")
        ordering = ["kind", "name"]

    def __str__(self) -> str:
        return self.name

    @property
    def kind_label(self) -> str:
        return choice_label(ServiceKind, self.kind)

    def works_over(self, medium: str) -> bool:
        return not self.access_media or medium in self.access_media

    def needs_visit_over(self, medium: str) -> bool:
        return medium in (self.visit_media or [])

    def clean(self) -> None:
        errors: dict[str, ValidationError] = {}
        if self.kind != ServiceKind.INTERNET_ACCESS and (self.speed_down_mbps
                                                         or self.speed_up_mbps):
            errors["speed_down_mbps"] = ValidationError(
                _("Only Internet access has a speed."), code="not_internet")
        if self.kind == ServiceKind.INTERNET_ACCESS and not self.speed_down_mbps:
            errors["speed_down_mbps"] = ValidationError(
                _("Give the download speed."), code="required")
        # Malformed lists are reported by the fields' validators; comparing
        # them here would crash (set(5)) or compare letters (set("cable")).
        access_media = self.access_media or []
        visit_media = self.visit_media or []
        if (isinstance(access_media, list) and isinstance(visit_media, list)
                and access_media
                and not {str(medium) for medium in visit_media}
                <= {str(medium) for medium in access_media}):
            errors["visit_media"] = ValidationError(
                _("A visit can only be needed over a medium the service works over."),
                code="invalid")
        if errors:
            raise ValidationError(errors)


class ProgrammeEvent(models.Model):
    """What a pay-per-view or near-video-on-demand service shows: an event
    broadcast once (PPV, bought ahead), or a title repeated at staggered
    start times (NVOD). Impulse PPV events are bought on the set-top box."""

    service = models.ForeignKey(CatalogService, verbose_name=_("service"),
                                on_delete=models.PROTECT, related_name="events")
    title = models.CharField(_("title"), max_length=200)
    starts_at = models.DateTimeField(_("first start"))
    duration_minutes = models.PositiveSmallIntegerField(
        _("duration (minutes)"), validators=[MinValueValidator(1), MaxValueValidator(1440)])
    repeat_every_minutes = models.PositiveSmallIntegerField(
        _("repeats every (minutes)"), default=0,
        help_text=_("Near video on demand: the stagger between showings. 0: shown once."),
    )
    showings = models.PositiveSmallIntegerField(_("showings"), default=1,
                                                validators=[MinValueValidator(1),
                                                            MaxValueValidator(96)])
    price = AmountField(_("price"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=Currency.EURO)
    is_active = models.BooleanField(_("on sale"), default=True)

    class Meta:
        verbose_name = _("programme event")
        verbose_name_plural = _("programme events")
        ordering = ["starts_at", "title"]
        constraints = [
            models.CheckConstraint(condition=Q(price__gte=0), name="programme_price_not_negative"),
            models.CheckConstraint(
                condition=(Q(repeat_every_minutes=0) & Q(showings=1))
                | (Q(repeat_every_minutes__gt=0) & Q(showings__gte=1)),
                name="programme_repeats_consistent",
            ),
        ]
        indexes = [models.Index(fields=["service", "starts_at"], name="programme_service_idx")]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.service_id and self.service.kind not in PROGRAMME_KINDS:
            raise ValidationError({"service": ValidationError(
                _("Only pay-per-view and near-video-on-demand services have a programme."),
                code="wrong_service_kind")})
        if self.repeat_every_minutes == 0 and self.showings != 1:
            raise ValidationError({"showings": ValidationError(
                _("An event shown once has one showing."), code="invalid")})


class Offer(models.Model):
    """What the provider sells under one name ("Fibra 300 + TV Total"). Its
    terms live in versions: a new version never changes what existing
    subscribers signed."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=120)
    description = models.TextField(_("description"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("offer")
        verbose_name_plural = _("offers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OfferVersion(FSMModelMixin, models.Model):
    """One version of an offer's terms: price, services and options, contract
    terms and where and when it is sold. Editable only as a draft; once
    published it never changes (a change is a new version)."""

    offer = models.ForeignKey(Offer, verbose_name=_("offer"), on_delete=models.PROTECT,
                              related_name="versions")
    number = models.PositiveSmallIntegerField(_("version"))
    status = FSMField(_("status"), max_length=10, choices=OfferStatus.choices,
                      default=OfferStatus.DRAFT, protected=True)
    monthly_price = AmountField(_("monthly price"), default=0)
    setup_fee = AmountField(_("set-up fee"), default=0)
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=Currency.EURO)
    minimum_term_months = models.PositiveSmallIntegerField(
        _("minimum term (months)"), default=0, validators=[MaxValueValidator(60)])
    notice_days = models.PositiveSmallIntegerField(_("notice period (days)"), default=0,
                                                   validators=[MaxValueValidator(365)])
    early_termination_fee = AmountField(_("early-termination fee"), default=0)
    access_media = models.JSONField(_("sold over"), default=list, blank=True,
                                    validators=[validate_access_media],
                                    help_text=_("Empty: over any access medium."))
    regions = models.JSONField(_("sold in postal codes starting with"), default=list,
                               blank=True, validators=[validate_postcode_prefixes],
                               help_text=_("Empty: everywhere."))
    valid_from = models.DateField(_("sold from"))
    valid_until = models.DateField(_("sold until"), null=True, blank=True)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("published by"),
                                     null=True, blank=True, on_delete=models.SET_NULL,
                                     related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("offer version")
        verbose_name_plural = _("offer versions")
        ordering = ["offer", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["offer", "number"], name="offer_version_unique"),
            models.UniqueConstraint(fields=["offer"], condition=Q(status="draft"),
                                    name="offer_one_draft"),
            models.CheckConstraint(
                condition=Q(valid_until__isnull=True) | Q(valid_until__gte=models.F("valid_from")),
                name="offer_version_dates_ordered"),
            models.CheckConstraint(
                condition=Q(monthly_price__gte=0) & Q(setup_fee__gte=0)
                & Q(early_termination_fee__gte=0),
                name="offer_version_amounts_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.offer} v{self.number}"

    @property
    def status_label(self) -> str:
        return choice_label(OfferStatus, self.status)

    def clean_fields(self, exclude=None) -> None:
        super().clean_fields(exclude={*(exclude or ()), "status"})

    def clean(self) -> None:
        if self.valid_until and self.valid_from and self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": ValidationError(
                _("The offer must stop being sold after it starts."), code="bad_dates")})
        if self.early_termination_fee and not self.minimum_term_months:
            raise ValidationError({"early_termination_fee": ValidationError(
                _("An early-termination fee needs a minimum term."), code="invalid")})

    def sold_over(self, medium: str) -> bool:
        return not self.access_media or medium in self.access_media

    def sold_at(self, postal_code: str) -> bool:
        return not self.regions or any(postal_code.startswith(prefix)
                                       for prefix in self.regions)

    @transition(field=status, source=OfferStatus.DRAFT, target=OfferStatus.PUBLISHED)
    def publish(self) -> None:
        """On sale; frozen from now on."""

    @transition(field=status, source=OfferStatus.PUBLISHED, target=OfferStatus.RETIRED)
    def retire(self) -> None:
        """No longer sold; its subscribers keep it."""


class OfferItem(models.Model):
    """A service in an offer version: included in the price, or an option the
    customer may add for its own monthly price."""

    version = models.ForeignKey(OfferVersion, verbose_name=_("offer version"),
                                on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(CatalogService, verbose_name=_("service"),
                                on_delete=models.PROTECT, related_name="offer_items")
    role = models.CharField(_("role"), max_length=10, choices=ItemRole.choices,
                            default=ItemRole.INCLUDED)
    option_monthly_price = AmountField(_("option's monthly price"), default=0)

    class Meta:
        verbose_name = _("offer item")
        verbose_name_plural = _("offer items")
        ordering = ["version", "role", "service__kind"]
        constraints = [
            models.UniqueConstraint(fields=["version", "service"], name="offer_item_unique"),
            models.CheckConstraint(condition=Q(option_monthly_price__gte=0),
                                   name="offer_item_price_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.version}: {self.service}"
