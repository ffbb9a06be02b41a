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

from customers.models import Address, BillingAccount, Customer, ServiceUser, choice_label
from integrations.models import ExternalSystem, OutboxMessage
from inventory.models import EquipmentModel, validate_access_media
from sesmu.choices import Currency, ServiceKind
from sesmu.money import AmountField
from subscriptions.choices import (
    Channel,
    ChargeKind,
    CredentialKind,
    Initiator,
    ItemRole,
    ItemState,
    ModifyKind,
    OfferStatus,
    OrderAction,
    OrderState,
    StepStatus,
    SubscriptionState,
)

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


# Subscriptions -----------------------------------------------------------------


class Subscription(FSMModelMixin, models.Model):
    """What a customer signed: one version of an offer with chosen options,
    paid by one billing account, used by service users at one service address
    over one access medium. Every change to it is a subscription order."""

    number = models.CharField(_("subscription"), max_length=20, unique=True, editable=False)
    customer = models.ForeignKey(Customer, verbose_name=_("customer"), on_delete=models.PROTECT,
                                 related_name="subscriptions")
    billing_account = models.ForeignKey(BillingAccount, verbose_name=_("billing account"),
                                        on_delete=models.PROTECT, related_name="subscriptions")
    offer_version = models.ForeignKey(OfferVersion, verbose_name=_("offer"),
                                      on_delete=models.PROTECT, related_name="subscriptions")
    service_address = models.ForeignKey(Address, verbose_name=_("service address"),
                                        on_delete=models.PROTECT, related_name="subscriptions")
    access_medium = models.CharField(_("access medium"), max_length=10)
    state = FSMField(_("state"), max_length=20, choices=SubscriptionState.choices,
                     default=SubscriptionState.PENDING_ACTIVATION, protected=True)
    degraded = models.BooleanField(
        _("degraded"), default=False,
        help_text=_("The provider's first step for bad payment: throttled, basic TV, no PPV."))
    suspension_initiator = models.CharField(_("suspended by"), max_length=10,
                                            choices=Initiator.choices, blank=True)
    suspension_reason = models.CharField(_("suspension reason"), max_length=300, blank=True)
    resume_on = models.DateField(_("resumes on"), null=True, blank=True)
    termination_initiator = models.CharField(_("cancelled by"), max_length=10,
                                             choices=Initiator.choices, blank=True)
    termination_reason = models.CharField(_("cancellation reason"), max_length=300, blank=True)
    terminates_on = models.DateField(_("ends on"), null=True, blank=True)
    activated_at = models.DateTimeField(_("activated at"), null=True, blank=True)
    commitment_ends_on = models.DateField(_("minimum term ends on"), null=True, blank=True)
    terminated_at = models.DateTimeField(_("terminated at"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("sold by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("subscription")
        verbose_name_plural = _("subscriptions")
        ordering = ["-created_at", "-id"]
        permissions = [
            ("sell_subscription", _("Can sell subscriptions")),
            ("manage_subscription",
             _("Can change, suspend, resume and cancel subscriptions for the customer")),
            ("impose_subscription",
             _("Can degrade, suspend and cancel subscriptions on the provider's side")),
        ]
        indexes = [models.Index(fields=["customer", "state"], name="subscription_customer_idx")]

    def __str__(self) -> str:
        return f"{self.number} {self.offer_version.offer}"

    @property
    def state_label(self) -> str:
        return choice_label(SubscriptionState, self.state)

    @property
    def is_live(self) -> bool:
        return self.state not in (SubscriptionState.TERMINATED, SubscriptionState.ABORTED)

    @transition(field=state, source=SubscriptionState.PENDING_ACTIVATION,
                target=SubscriptionState.ACTIVE)
    def activate(self) -> None:
        """Every provisioning step and the installation are done."""

    @transition(field=state, source=SubscriptionState.ACTIVE, target=SubscriptionState.SUSPENDED)
    def suspend(self) -> None:
        """Service off for a while: a holiday, or unpaid bills."""

    @transition(field=state, source=SubscriptionState.SUSPENDED, target=SubscriptionState.ACTIVE)
    def resume(self) -> None:
        """Service back on."""

    @transition(field=state, source=[SubscriptionState.ACTIVE, SubscriptionState.SUSPENDED],
                target=SubscriptionState.PENDING_TERMINATION)
    def schedule_termination(self) -> None:
        """Cancelled, effective at a later date."""

    @transition(field=state, source=SubscriptionState.PENDING_TERMINATION,
                target=SubscriptionState.ACTIVE)
    def withdraw_termination(self) -> None:
        """The customer changed their mind before the date."""

    @transition(field=state, source=SubscriptionState.PENDING_TERMINATION,
                target=SubscriptionState.SUSPENDED)
    def withdraw_termination_suspended(self) -> None:
        """Kept, and still suspended as it was."""

    @transition(field=state, source=[SubscriptionState.ACTIVE, SubscriptionState.SUSPENDED,
                                     SubscriptionState.PENDING_TERMINATION],
                target=SubscriptionState.TERMINATED)
    def terminate(self) -> None:
        """Over: nothing is left enabled in the network."""

    @transition(field=state, source=SubscriptionState.PENDING_ACTIVATION,
                target=SubscriptionState.ABORTED)
    def abort(self) -> None:
        """Cancelled before it was ever active."""


class SubscriptionItem(models.Model):
    """One service of a subscription, as provisioned at its element manager:
    included in the offer or an option chosen for its own price."""

    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.CASCADE, related_name="items")
    service = models.ForeignKey(CatalogService, verbose_name=_("service"),
                                on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=10, choices=ItemRole.choices,
                            default=ItemRole.INCLUDED)
    monthly_price = AmountField(_("monthly price"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=ItemState.choices,
                             default=ItemState.PENDING)
    degraded = models.BooleanField(_("degraded"), default=False)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscribed service")
        verbose_name_plural = _("subscribed services")
        ordering = ["subscription", "role", "service__kind", "id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "service"],
                                    condition=~Q(state="removed"),
                                    name="subscription_item_live_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.subscription.number}: {self.service}"

    @property
    def network_id(self) -> str:
        """The service's id at its element manager."""
        return f"{self.subscription.number}-{self.service.code}"

    @property
    def state_label(self) -> str:
        return choice_label(ItemState, self.state)


class SubscriptionUser(models.Model):
    """A service user of a subscription, with their own credential where the
    services need one and their rights."""

    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.CASCADE, related_name="users")
    service_user = models.ForeignKey(ServiceUser, verbose_name=_("service user"),
                                     on_delete=models.PROTECT, related_name="subscriptions")
    credential = models.CharField(_("login or card"), max_length=100, blank=True)
    parental_pin = models.CharField(_("parental PIN"), max_length=128, blank=True,
                                    help_text=_("Stored hashed."))
    ppv_allowed = models.BooleanField(_("may buy pay-per-view"), default=True)
    ppv_monthly_limit = AmountField(_("pay-per-view limit a month"), null=True, blank=True,
                                    help_text=_("Empty: no limit."))
    is_active = models.BooleanField(_("active"), default=True)
    added_at = models.DateTimeField(_("added at"), auto_now_add=True)
    removed_at = models.DateTimeField(_("removed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription user")
        verbose_name_plural = _("subscription users")
        ordering = ["subscription", "id"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "service_user"],
                                    condition=Q(is_active=True),
                                    name="subscription_user_active_unique"),
            models.CheckConstraint(condition=Q(ppv_monthly_limit__isnull=True)
                                   | Q(ppv_monthly_limit__gte=0),
                                   name="subscription_user_limit_not_negative"),
        ]

    def __str__(self) -> str:
        return str(self.service_user)


class SubscriptionOrder(FSMModelMixin, models.Model):
    """TMF622 in spirit: one change to a subscription (new, modify, suspend,
    resume, cancel), with the steps it takes and milestones as they happen.
    What is in flight is always the open orders."""

    number = models.CharField(_("order"), max_length=20, unique=True, editable=False)
    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.PROTECT, related_name="orders")
    action = models.CharField(_("action"), max_length=10, choices=OrderAction.choices)
    modify_kind = models.CharField(_("modification"), max_length=20,
                                   choices=ModifyKind.choices, blank=True)
    state = FSMField(_("state"), max_length=15, choices=OrderState.choices,
                     default=OrderState.ACKNOWLEDGED, protected=True)
    initiator = models.CharField(_("asked by"), max_length=10, choices=Initiator.choices,
                                 default=Initiator.CUSTOMER)
    reason = models.CharField(_("reason"), max_length=300, blank=True)
    due_on = models.DateField(_("effective on"), null=True, blank=True,
                              help_text=_("Empty: now."))
    details = models.JSONField(_("details"), default=dict, blank=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices,
                               default=Channel.DESK)
    external_id = models.CharField(_("external id"), max_length=80, blank=True)
    work_order_ref = models.CharField(_("work order"), max_length=40, blank=True)
    needs_visit = models.BooleanField(_("needs a visit"), default=False)
    visit_done = models.BooleanField(_("visit done"), default=False)
    held_reason = models.CharField(_("held because"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("created by"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)

    class Meta:
        verbose_name = _("subscription order")
        verbose_name_plural = _("subscription orders")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["channel", "external_id"],
                                    condition=~Q(external_id=""),
                                    name="subscription_order_external_unique"),
        ]
        indexes = [
            models.Index(fields=["state", "due_on"], name="subscription_order_due_idx"),
            models.Index(fields=["work_order_ref"], name="subscription_order_wo_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.action_label}"

    @property
    def state_label(self) -> str:
        return choice_label(OrderState, self.state)

    @property
    def action_label(self) -> str:
        if self.modify_kind:
            return choice_label(ModifyKind, self.modify_kind)
        return choice_label(OrderAction, self.action)

    @property
    def is_open(self) -> bool:
        return self.state in (OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS, OrderState.HELD)

    @transition(field=state, source=[OrderState.ACKNOWLEDGED, OrderState.HELD],
                target=OrderState.IN_PROGRESS)
    def start(self) -> None:
        """Being carried out (again, after an operator dealt with a hold)."""

    @transition(field=state, source=[OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS],
                target=OrderState.HELD)
    def hold(self) -> None:
        """Stopped by a failure an operator must look at."""

    @transition(field=state, source=[OrderState.IN_PROGRESS, OrderState.HELD],
                target=OrderState.COMPLETED)
    def complete(self) -> None:
        """Every step done."""

    @transition(field=state, source=[OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS,
                                     OrderState.HELD],
                target=OrderState.CANCELLED)
    def cancel(self) -> None:
        """Given up; what it reserved is released."""


class OrderMilestone(models.Model):
    """Something that happened to an order, in order: checked, reserved,
    visit booked, command sent, command applied, activated, held..."""

    order = models.ForeignKey(SubscriptionOrder, verbose_name=_("order"),
                              on_delete=models.CASCADE, related_name="milestones")
    code = models.CharField(_("milestone"), max_length=40)
    text = models.CharField(_("what happened"), max_length=300)
    from_state = models.CharField(_("from"), max_length=15, blank=True)
    to_state = models.CharField(_("to"), max_length=15, blank=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("by"), null=True,
                              blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(_("at"), auto_now_add=True)

    class Meta:
        verbose_name = _("order milestone")
        verbose_name_plural = _("order milestones")
        ordering = ["order", "created_at", "id"]

    def __str__(self) -> str:
        return f"{self.order.number}: {self.text}"


class ProvisioningStep(models.Model):
    """One command an order sends to one service's element manager, through
    the outbox; applied when the element manager acknowledged it."""

    order = models.ForeignKey(SubscriptionOrder, verbose_name=_("order"),
                              on_delete=models.CASCADE, related_name="steps")
    item = models.ForeignKey(SubscriptionItem, verbose_name=_("service"),
                             on_delete=models.CASCADE, related_name="steps")
    command = models.CharField(_("command"), max_length=30)
    message = models.OneToOneField(OutboxMessage, verbose_name=_("outbox message"),
                                   null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    status = models.CharField(_("status"), max_length=10, choices=StepStatus.choices,
                              default=StepStatus.WAITING)
    error = models.CharField(_("error"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("sent at"), auto_now_add=True)
    applied_at = models.DateTimeField(_("applied at"), null=True, blank=True)

    class Meta:
        verbose_name = _("provisioning step")
        verbose_name_plural = _("provisioning steps")
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.command} {self.item.network_id}"

    @property
    def status_label(self) -> str:
        return choice_label(StepStatus, self.status)


class SubscriptionCharge(models.Model):
    """A one-off amount a subscription order owes (set-up fee, early
    termination, a pay-per-view event), for billing to put on a bill."""

    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.PROTECT, related_name="charges")
    order = models.ForeignKey(SubscriptionOrder, verbose_name=_("order"),
                              on_delete=models.PROTECT, related_name="charges")
    billing_account = models.ForeignKey(BillingAccount, verbose_name=_("billing account"),
                                        on_delete=models.PROTECT, related_name="+")
    kind = models.CharField(_("kind"), max_length=25, choices=ChargeKind.choices)
    description = models.CharField(_("description"), max_length=200)
    amount = AmountField(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=Currency.choices,
                                default=Currency.EURO)
    charged_on = models.DateField(_("charged on"))
    billed_at = models.DateTimeField(_("billed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("subscription charge")
        verbose_name_plural = _("subscription charges")
        ordering = ["-charged_on", "-id"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="subscription_charge_positive"),
            models.UniqueConstraint(fields=["order", "kind"], name="subscription_charge_once"),
        ]

    def __str__(self) -> str:
        return f"{self.description} {self.amount} {self.currency}"


class PayPerViewPurchase(models.Model):
    """A pay-per-view or near-video-on-demand showing bought for one user."""

    order = models.OneToOneField(SubscriptionOrder, verbose_name=_("order"),
                                 on_delete=models.PROTECT, related_name="purchase")
    subscription = models.ForeignKey(Subscription, verbose_name=_("subscription"),
                                     on_delete=models.PROTECT, related_name="purchases")
    user = models.ForeignKey(SubscriptionUser, verbose_name=_("user"),
                             on_delete=models.PROTECT, related_name="purchases")
    event = models.ForeignKey(ProgrammeEvent, verbose_name=_("event"),
                              on_delete=models.PROTECT, related_name="purchases")
    showing_starts_at = models.DateTimeField(_("showing"))
    price = AmountField(_("price"))
    created_at = models.DateTimeField(_("bought at"), auto_now_add=True)

    class Meta:
        verbose_name = _("pay-per-view purchase")
        verbose_name_plural = _("pay-per-view purchases")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["subscription", "event", "showing_starts_at"],
                                    name="ppv_purchase_once"),
        ]

    def __str__(self) -> str:
        return f"{self.event} {self.showing_starts_at:%Y-%m-%d %H:%M}"
