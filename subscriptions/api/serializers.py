"""Output serializers of the catalog and of subscriptions and their orders,
the query serializers that parse the filters of the catalog lists, and the
input serializers of the subscription actions. The catalog is read-only
through the API: offers change in the back office, through the services.
Inputs parse shapes (ids, choices, lengths, dates); the services validate
the domain, and the views resolve ids among what the caller may see.

Choice lists keep the field names they have elsewhere in the API (the
access media of an equipment model and of a service are one component), so
that the OpenAPI schema names every enum once and without warnings."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from inventory.api.serializers import IdField
from inventory.choices import AccessMedium
from inventory.models import EquipmentItem
from sesmu.api.serializers import StaffOnlyFieldsMixin
from sesmu.choices import ServiceKind
from subscriptions import selectors
from subscriptions.choices import (
    Channel,
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
from subscriptions.models import (
    CatalogService,
    OfferItem,
    OfferVersion,
    OrderMilestone,
    ProgrammeEvent,
    ProvisioningStep,
    Subscription,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)
from subscriptions.terms import command_label, monthly_price

KINDS = ", ".join(f"`{value}`" for value in ServiceKind.values)


def media_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(AccessMedium.choices), **kwargs)


# Services and the programme -------------------------------------------------------


class EquipmentModelReference(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()


@extend_schema_serializer(component_name="CatalogService")
class CatalogServiceOutput(serializers.ModelSerializer):
    # Plain strings: the kinds of service are named once in the schema, as
    # the service kinds of an equipment model.
    kind = serializers.CharField(help_text=f"What kind of service it is: {KINDS}.")
    access_media = media_list(help_text="Empty: works over any access medium.")
    visit_media = serializers.ListField(
        child=serializers.CharField(),
        help_text="Access media (values of `access_media`) over which a technician must "
                  "install it.")
    equipment_models = EquipmentModelReference(
        many=True, help_text="The equipment it needs: any one model per kind of equipment.")
    provisioning_system = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="The element manager that provisions it (its code); empty: the "
                  "service-management system registered for its kind.")
    credential_kind = serializers.ChoiceField(CredentialKind.choices,
                                              help_text="What each service user needs.")

    class Meta:
        model = CatalogService
        fields = ["id", "code", "name", "kind", "description", "access_media", "visit_media",
                  "equipment_models", "provisioning_system", "credential_kind",
                  "speed_down_mbps", "speed_up_mbps", "package_code", "is_active",
                  "created_at", "updated_at"]


class ProgrammeEventOutput(serializers.ModelSerializer):
    service_code = serializers.CharField(source="service.code", read_only=True)
    showtimes = serializers.SerializerMethodField(
        help_text="The start of every showing: one for an event shown once.")

    class Meta:
        model = ProgrammeEvent
        fields = ["id", "service", "service_code", "title", "starts_at", "duration_minutes",
                  "repeat_every_minutes", "showings", "showtimes", "price", "currency",
                  "is_active"]

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_showtimes(self, event: ProgrammeEvent) -> list[str]:
        field = serializers.DateTimeField()
        return [field.to_representation(start) for start in showtimes(event)]


def showtimes(event: ProgrammeEvent) -> list[datetime]:
    step = timedelta(minutes=event.repeat_every_minutes)
    return [event.starts_at + number * step for number in range(event.showings)]


def programme_end(event: ProgrammeEvent) -> datetime:
    """When the last showing ends."""
    return showtimes(event)[-1] + timedelta(minutes=event.duration_minutes)


# Offers --------------------------------------------------------------------------


@extend_schema_serializer(component_name="OfferItem")
class OfferItemOutput(serializers.ModelSerializer):
    service_code = serializers.CharField(source="service.code", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    service_kind = serializers.CharField(source="service.kind", read_only=True,
                                         help_text=f"The kind of the service: {KINDS}.")
    role = serializers.ChoiceField(ItemRole.choices, read_only=True,
                                   help_text="Included in the price, or an option with a "
                                             "monthly price of its own.")

    class Meta:
        model = OfferItem
        fields = ["service", "service_code", "service_name", "service_kind", "role",
                  "option_monthly_price"]


@extend_schema_serializer(component_name="OfferVersion")
class OfferVersionOutput(serializers.ModelSerializer):
    offer_code = serializers.CharField(source="offer.code", read_only=True)
    offer_name = serializers.CharField(source="offer.name", read_only=True)
    status = serializers.ChoiceField(OfferStatus.choices, read_only=True,
                                     help_text="Only a draft changes; a published version "
                                               "is on sale; a retired one is no longer sold.")
    access_media = media_list(help_text="Sold over these access media; empty: any.")
    regions = serializers.ListField(
        child=serializers.CharField(),
        help_text="Sold at postal codes starting with these; empty: everywhere.")
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    items = OfferItemOutput(many=True, read_only=True)

    class Meta:
        model = OfferVersion
        fields = ["id", "offer", "offer_code", "offer_name", "number", "status",
                  "monthly_price", "setup_fee", "currency", "minimum_term_months",
                  "notice_days", "early_termination_fee", "access_media", "regions",
                  "valid_from", "valid_until", "items", "published_at", "published_by",
                  "created_at", "updated_at"]


class PriceOutput(serializers.Serializer):
    monthly = serializers.DecimalField(max_digits=14, decimal_places=2,
                                       help_text="The monthly price without options.")
    setup = serializers.DecimalField(max_digits=14, decimal_places=2,
                                     help_text="The one-off set-up fee.")
    currency = serializers.CharField()


@extend_schema_serializer(component_name="OfferOnSale")
class OfferOnSaleOutput(OfferVersionOutput):
    """A published version with its price; neither its status (every one is
    on sale) nor who published it, which a sales channel has no use for."""

    price = serializers.SerializerMethodField()

    class Meta(OfferVersionOutput.Meta):
        fields = [*(name for name in OfferVersionOutput.Meta.fields
                    if name not in ("status", "published_by")), "price"]

    @extend_schema_field(PriceOutput)
    def get_price(self, version: OfferVersion) -> dict:
        return PriceOutput(selectors.offer_price(version=version)).data


# Queries -------------------------------------------------------------------------


class ServiceQuery(serializers.Serializer):
    kind = serializers.ChoiceField(ServiceKind.choices, required=False,
                                   help_text="Only services of this kind.")
    access_medium = serializers.ChoiceField(
        AccessMedium.choices, required=False,
        help_text="Only services that work over this access medium.")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None,
                                         help_text="Only services sold (true) or no longer "
                                                   "sold (false).")


class ProgrammeQuery(serializers.Serializer):
    """Events with a showing between `from` and `to` (both days included)."""

    service = IdField(required=False, help_text="Only the events of this service.")
    # `from` is a Python keyword: the field is added in get_fields.
    to = serializers.DateField(required=False, help_text="Last day (included).")

    def get_fields(self):
        fields = super().get_fields()
        return {"service": fields.pop("service"),
                "from": serializers.DateField(required=False,
                                              help_text="First day (included)."),
                **fields}

    def validate(self, attrs: dict) -> dict:
        first, last = attrs.get("from"), attrs.get("to")
        if first and last and last < first:
            raise serializers.ValidationError(
                {"to": serializers.ErrorDetail(_("The last day must not be before the first."),
                                               code="bad_range")})
        return attrs


class OffersOnSaleQuery(serializers.Serializer):
    access_medium = serializers.ChoiceField(
        AccessMedium.choices, required=False,
        help_text="Only offers sold over this access medium.")
    postal_code = serializers.RegexField(
        r"^\d{5}$", required=False,
        error_messages={"invalid": _("Give a postal code of five digits.")},
        help_text="Only offers sold at this postal code (five digits).")
    date = serializers.DateField(required=False,
                                 help_text="Offers on sale that day; by default today.")


class OfferVersionQuery(serializers.Serializer):
    status = serializers.ChoiceField(OfferStatus.choices, required=False,
                                     help_text="Only versions in this status.")
    offer = IdField(required=False, help_text="Only the versions of this offer.")


# Subscriptions and their orders --------------------------------------------------
#
# A choice list that already has a schema name elsewhere under the same
# field name (`state`, `role`, `channel`, `action`) is given as plain text
# with its values in the help text, so that the schema names every enum
# once and without warnings.

REASON_LENGTH = 300
SERIAL_LENGTH = 64
MAX_OPTIONS = 20
MAX_USERS = 20
MAX_SERIALS = 10


def values_of(choices) -> str:
    return ", ".join(f"`{value}`" for value in choices.values)


def plain_choice(choices, **kwargs) -> serializers.CharField:
    help_text = kwargs.pop("help_text", "")
    return serializers.CharField(
        read_only=True, help_text=f"{help_text} One of: {values_of(choices)}.".strip(),
        **kwargs)


class SubscriptionItemOutput(serializers.ModelSerializer):
    """One service of the subscription, in the state SESMU last asked its
    element manager for."""

    service_code = serializers.CharField(source="service.code", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    service_kind = serializers.CharField(source="service.kind", read_only=True,
                                         help_text=f"The kind of the service: {KINDS}.")
    role = plain_choice(ItemRole, help_text="Included in the offer, or an option.")
    state = plain_choice(ItemState, help_text="What SESMU last asked the element manager.")
    network_id = serializers.CharField(read_only=True,
                                       help_text="The service's id at its element manager.")

    class Meta:
        model = SubscriptionItem
        fields = ["id", "service", "service_code", "service_name", "service_kind", "role",
                  "monthly_price", "state", "degraded", "network_id", "added_at",
                  "removed_at"]


class SubscriptionUserOutput(serializers.ModelSerializer):
    """A service user of the subscription. The parental PIN is never shown,
    only whether there is one."""

    service_user_name = serializers.CharField(source="service_user.__str__", read_only=True)
    has_parental_pin = serializers.SerializerMethodField()

    class Meta:
        model = SubscriptionUser
        fields = ["id", "service_user", "service_user_name", "credential", "has_parental_pin",
                  "ppv_allowed", "ppv_monthly_limit", "is_active", "added_at", "removed_at"]
        extra_kwargs = {"service_user": {"help_text": "The id of the customer's service user."}}

    def get_has_parental_pin(self, user: SubscriptionUser) -> bool:
        return bool(user.parental_pin)


class SubscriptionEquipmentOutput(serializers.ModelSerializer):
    """An item reserved, on its way or installed for the subscription."""

    model_code = serializers.CharField(source="model.code", read_only=True)
    equipment_kind = serializers.CharField(source="model.kind", read_only=True,
                                           help_text="The kind of equipment, as in the "
                                                     "inventory API.")
    state = serializers.CharField(read_only=True,
                                  help_text="The item's state, as in the inventory API.")
    supply_terms = serializers.CharField(source="model.supply_terms", read_only=True,
                                         help_text="Sold, rented or lent: rented and lent "
                                                   "items are collected on cancellation.")

    class Meta:
        model = EquipmentItem
        fields = ["id", "serial_number", "mac_address", "card_number", "model", "model_code",
                  "equipment_kind", "supply_terms", "state"]


class OrderMilestoneOutput(StaffOnlyFieldsMixin, serializers.ModelSerializer):
    staff_only_fields = ("actor",)
    from_state = serializers.CharField(read_only=True,
                                       help_text="The order's state before (empty: unchanged).")
    to_state = serializers.CharField(read_only=True,
                                     help_text="The order's state after (empty: unchanged).")
    actor = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = OrderMilestone
        fields = ["id", "code", "text", "from_state", "to_state", "actor", "created_at"]


class ProvisioningStepOutput(serializers.ModelSerializer):
    service_code = serializers.CharField(source="item.service.code", read_only=True)
    network_id = serializers.CharField(source="item.network_id", read_only=True,
                                       help_text="The service's id at its element manager.")
    status = plain_choice(StepStatus)
    text = serializers.SerializerMethodField(help_text="The command in words.")

    class Meta:
        model = ProvisioningStep
        fields = ["id", "item", "service_code", "network_id", "command", "text", "status",
                  "error", "created_at", "applied_at"]
        extra_kwargs = {"item": {"help_text": "The id of the subscription's service."}}

    def get_text(self, step: ProvisioningStep) -> str:
        return f"{command_label(step.command)} {step.item.service.name}"


@extend_schema_serializer(component_name="SubscriptionOrder")
class SubscriptionOrderOutput(StaffOnlyFieldsMixin, serializers.ModelSerializer):
    """One change to a subscription: what it does, where it stands, who
    asked for it, and when it takes effect."""

    staff_only_fields = ("created_by", "held_reason")
    subscription_number = serializers.CharField(source="subscription.number", read_only=True)
    customer = serializers.IntegerField(source="subscription.customer_id", read_only=True)
    customer_number = serializers.CharField(source="subscription.customer.number",
                                            read_only=True)
    action = plain_choice(OrderAction)
    modify_kind = plain_choice(ModifyKind, help_text="For a modification: which (else empty).")
    action_label = serializers.CharField(read_only=True, help_text="What the order does, in "
                                                                   "words.")
    state = plain_choice(OrderState)
    initiator = plain_choice(Initiator, help_text="Who asked for it.")
    channel = plain_choice(Channel, help_text="Where it was placed.")
    due_on = serializers.DateField(read_only=True, help_text="When it takes effect; empty: "
                                                             "at once.")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = SubscriptionOrder
        fields = ["id", "number", "subscription", "subscription_number", "customer",
                  "customer_number", "action", "modify_kind", "action_label", "state",
                  "initiator", "reason", "due_on", "details", "channel", "external_id",
                  "work_order_ref", "needs_visit", "visit_done", "held_reason", "created_by",
                  "created_at", "updated_at", "completed_at"]


@extend_schema_serializer(component_name="SubscriptionOrderDetail")
class SubscriptionOrderDetailOutput(SubscriptionOrderOutput):
    """The order with its milestones (oldest first) and the commands it
    sent to the element managers."""

    staff_only_fields = ("created_by", "held_reason", "steps")
    subscription_state = plain_choice(SubscriptionState, source="subscription.state",
                                      help_text="The subscription's state now.")
    milestones = OrderMilestoneOutput(many=True, read_only=True)
    steps = ProvisioningStepOutput(many=True, read_only=True)

    class Meta(SubscriptionOrderOutput.Meta):
        fields = [*SubscriptionOrderOutput.Meta.fields, "subscription_state", "milestones",
                  "steps"]


@extend_schema_serializer(component_name="Subscription")
class SubscriptionOutput(StaffOnlyFieldsMixin, serializers.ModelSerializer):
    """What a customer signed and where it stands."""

    staff_only_fields = ("created_by",)
    customer_number = serializers.CharField(source="customer.number", read_only=True)
    billing_account_number = serializers.CharField(source="billing_account.number",
                                                   read_only=True)
    offer = serializers.IntegerField(source="offer_version.offer_id", read_only=True)
    offer_code = serializers.CharField(source="offer_version.offer.code", read_only=True)
    offer_name = serializers.CharField(source="offer_version.offer.name", read_only=True)
    offer_version_number = serializers.IntegerField(source="offer_version.number",
                                                    read_only=True)
    service_address_text = serializers.CharField(source="service_address.__str__",
                                                 read_only=True)
    access_medium = serializers.CharField(read_only=True,
                                          help_text="Copper, cable or satellite.")
    state = plain_choice(SubscriptionState)
    suspension_initiator = plain_choice(Initiator, help_text="Who suspended it (else empty).")
    termination_initiator = plain_choice(Initiator, help_text="Who cancelled it (else empty).")
    created_by = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Subscription
        fields = ["id", "number", "customer", "customer_number", "billing_account",
                  "billing_account_number", "offer", "offer_code", "offer_name",
                  "offer_version", "offer_version_number", "service_address",
                  "service_address_text", "access_medium", "state", "degraded",
                  "suspension_initiator", "suspension_reason", "resume_on",
                  "termination_initiator", "termination_reason", "terminates_on",
                  "activated_at", "commitment_ends_on", "terminated_at", "created_by",
                  "created_at", "updated_at"]


@extend_schema_serializer(component_name="SubscriptionDetail")
class SubscriptionDetailOutput(SubscriptionOutput):
    """The subscription with its services, its users (never a PIN), the
    equipment held for it and its orders still open."""

    monthly_price = serializers.SerializerMethodField(
        help_text="The offer's monthly price with the options subscribed.")
    currency = serializers.CharField(source="offer_version.currency", read_only=True)
    items = SubscriptionItemOutput(many=True, read_only=True)
    users = SubscriptionUserOutput(many=True, read_only=True)
    equipment = serializers.SerializerMethodField()
    open_orders = SubscriptionOrderOutput(many=True, read_only=True)

    class Meta(SubscriptionOutput.Meta):
        fields = [*SubscriptionOutput.Meta.fields, "monthly_price", "currency", "items",
                  "users", "equipment", "open_orders"]

    @extend_schema_field(serializers.DecimalField(max_digits=14, decimal_places=2))
    def get_monthly_price(self, subscription: Subscription) -> str:
        field = serializers.DecimalField(max_digits=14, decimal_places=2)
        return field.to_representation(monthly_price(subscription))

    @extend_schema_field(SubscriptionEquipmentOutput(many=True))
    def get_equipment(self, subscription: Subscription) -> list[dict]:
        items = getattr(subscription, "equipment", None)
        if items is None:
            items = selectors.subscription_equipment(subscription=subscription)
        return SubscriptionEquipmentOutput(items, many=True, context=self.context).data


# What a cancellation would do -------------------------------------------------------


class NetworkStepOutput(serializers.Serializer):
    service = serializers.IntegerField(source="service.pk")
    service_code = serializers.CharField(source="service.code")
    command = serializers.CharField(help_text="What the element manager will be asked.")
    text = serializers.CharField(help_text="The step in words.")


class CancellationTermsOutput(serializers.Serializer):
    """The plan shown before a cancellation is confirmed: what the same
    request to cancel/ would do today."""

    initiator = serializers.CharField(help_text=f"Who asks: {values_of(Initiator)}.")
    effective_on = serializers.DateField(help_text="The day it would take effect.")
    earliest_on = serializers.DateField(
        help_text="The earliest day it can take effect (after the notice period for the "
                  "customer).")
    is_now = serializers.BooleanField(help_text="Whether it takes effect at once.")
    fee = serializers.DecimalField(max_digits=14, decimal_places=2,
                                   help_text="The early-termination fee (0.00: none).")
    currency = serializers.CharField()
    commitment_ends_on = serializers.DateField(allow_null=True,
                                               help_text="When the minimum term ends.")
    steps = NetworkStepOutput(many=True, help_text="The commands the element managers get.")
    to_recover = SubscriptionEquipmentOutput(
        many=True, help_text="Rented or lent equipment a technician collects.")
    to_release = SubscriptionEquipmentOutput(
        many=True, help_text="Equipment reserved for the subscription, back to stock.")


# Inputs ----------------------------------------------------------------------------


def reason_field(help_text: str = "") -> serializers.CharField:
    return serializers.CharField(max_length=REASON_LENGTH, required=False, allow_blank=True,
                                 default="", help_text=help_text)


def initiator_field() -> serializers.ChoiceField:
    return serializers.ChoiceField(
        Initiator.choices, default=Initiator.CUSTOMER,
        help_text="Who asks: the customer (needs `manage_subscription`) or the provider "
                  "(needs `impose_subscription`).")


@extend_schema_field({"type": "string", "enum": list(AccessMedium.values)})
class AccessMediumField(serializers.ChoiceField):
    """An access medium, inline in the schema: the enum of access media is
    named once, after the lists of media (`AccessMediaEnum`)."""

    def __init__(self, **kwargs):
        super().__init__(AccessMedium.choices, **kwargs)


def ids_field(help_text: str, max_length: int) -> serializers.ListField:
    return serializers.ListField(child=IdField(), required=False, default=list,
                                 max_length=max_length, help_text=help_text)


class SubscriptionUserInput(serializers.Serializer):
    service_user = IdField(help_text="The id of one of the customer's service users.")
    credential = serializers.CharField(max_length=100, required=False, allow_blank=True,
                                       default="",
                                       help_text="Their login, mailbox or card, where the "
                                                 "services need one.")
    parental_pin = serializers.RegexField(
        r"^\d{4}$", required=False, allow_blank=True, default="", write_only=True,
        error_messages={"invalid": _("A parental PIN has 4 digits.")},
        help_text="Four digits; stored hashed and never shown.")
    ppv_allowed = serializers.BooleanField(default=True,
                                           help_text="Whether they may buy pay-per-view.")
    ppv_monthly_limit = serializers.DecimalField(
        max_digits=14, decimal_places=2, min_value=Decimal("0"), required=False,
        allow_null=True, default=None, help_text="Pay-per-view a month at most; empty: no "
                                                 "limit.")


def users_field() -> SubscriptionUserInput:
    return SubscriptionUserInput(many=True, required=False, default=list,
                                 max_length=MAX_USERS)


class SubscriptionCreateInput(serializers.Serializer):
    customer = IdField()
    billing_account = IdField(help_text="The id of one of the customer's billing accounts.")
    offer_version = IdField(help_text="The id of a published offer version on sale.")
    service_address = IdField(help_text="The id of one of the customer's addresses.")
    access_medium = AccessMediumField(help_text="The access medium it is sold over.")
    options = ids_field("Ids of services that are options of the offer version.", MAX_OPTIONS)
    users = users_field()
    serials = serializers.ListField(
        child=serializers.CharField(max_length=SERIAL_LENGTH), required=False, default=list,
        max_length=MAX_SERIALS,
        help_text="Serials (or MAC or card numbers) of items in stock to reserve; by default "
                  "the oldest suitable stock.")

    def validate(self, attrs: dict) -> dict:
        return _no_duplicate_users(attrs)


def _no_duplicate_users(attrs: dict) -> dict:
    chosen = [user["service_user"] for user in attrs.get("users", [])]
    if len(set(chosen)) != len(chosen):
        raise serializers.ValidationError({"users": serializers.ErrorDetail(
            _("Name each service user once."), code="duplicate")})
    return attrs


class SuspendInput(serializers.Serializer):
    initiator = initiator_field()
    reason = reason_field("Required when the provider suspends.")
    resume_on = serializers.DateField(required=False, allow_null=True, default=None,
                                      help_text="When the service comes back by itself: "
                                                "required for the customer's holiday.")
    starts_on = serializers.DateField(required=False, allow_null=True, default=None,
                                      help_text="When the suspension starts; by default "
                                                "today.")


class DegradeInput(serializers.Serializer):
    reason = reason_field("Why (required): e.g. the unpaid bills.")


class ResumeInput(serializers.Serializer):
    initiator = initiator_field()
    reason = reason_field()


class CancelInput(serializers.Serializer):
    initiator = initiator_field()
    reason = reason_field("Required when the provider cancels.")
    effective_on = serializers.DateField(
        required=False, allow_null=True, default=None,
        help_text="When it should take effect; never before the customer's notice period "
                  "ends. By default as soon as it can.")


class CancellationTermsQuery(serializers.Serializer):
    initiator = initiator_field()
    effective_on = serializers.DateField(required=False, allow_null=True, default=None,
                                         help_text="The day asked for; by default as soon "
                                                   "as it can.")


class ChangeOfferInput(serializers.Serializer):
    offer_version = IdField(help_text="The id of the offer version to move to.")
    options = ids_field("Ids of the options of the new version to keep or add.", MAX_OPTIONS)
    at_next_cycle = serializers.BooleanField(default=False,
                                             help_text="At the next bill day instead of now.")


class OptionInput(serializers.Serializer):
    service = IdField(help_text="The id of the service (an option of the offer).")


class RemoveUserInput(serializers.Serializer):
    user = IdField(help_text="The id of the subscription user (see `users` of the "
                             "subscription).")


class MoveInput(serializers.Serializer):
    address = IdField(help_text="The id of another of the customer's addresses.")


class ChangeOwnerInput(serializers.Serializer):
    customer = IdField(help_text="The new owner.")
    billing_account = IdField(help_text="The id of one of the new owner's billing accounts.")
    service_address = IdField(help_text="The id of one of the new owner's addresses (where "
                                        "the service already is).")
    users = users_field()

    def validate(self, attrs: dict) -> dict:
        return _no_duplicate_users(attrs)


class PayPerViewInput(serializers.Serializer):
    user = IdField(help_text="The id of the subscription user who buys it.")
    event = IdField(help_text="The id of a programme event.")
    showing_starts_at = serializers.DateTimeField(help_text="The start of one of its showings.")


class BookVisitInput(serializers.Serializer):
    window_start = serializers.DateTimeField(
        help_text="The start of an arrival window offered for the order's work order (see "
                  "its slots/ in the field API).")


class OrderCancelInput(serializers.Serializer):
    reason = reason_field()
