"""TMF622-shaped product orders from external channels (a web shop, a
partner's sales tool), under /tmf-api/productOrderingManagement/v4/:

    POST productOrder                 place an order (201), or replay one (200)
    GET  productOrder?externalId=…    the orders, newest first (offset, limit)
    GET  productOrder/{id}            one order, by its number (O…)

Each product order carries exactly one productOrderItem and becomes one
subscription order; its `id` is that order's number. The item's action says
what it does:

- `add`: a new subscription to the current published version of the
  product offering (`productOffering.id`: the offer's code), for the
  customer of the relatedParty with role `customer` (their number), paid by
  `billingAccount.id` (an account number), at `product.place[0].id` (the id
  of one of the customer's addresses), over the characteristic
  `accessMedium`; characteristics `option` (a service code, repeated for
  several) and `serial` (equipment to reserve) are optional.
  Needs `sell_subscription`.
- `modify`: a change of offer of the subscription `product.id` (its number)
  to the current version of `productOffering.id`, keeping or adding the
  `option` characteristics. Needs `manage_subscription`.
- `delete`: the customer's cancellation of `product.id`, effective on
  `requestedCompletionDate` (or as soon as the notice period allows), with
  `description` as the reason. Needs `manage_subscription`.

Anything else — `noChange`, suspensions, resumptions, options or users on
their own, several items in one order — is refused with 400 and a message
saying so: those go through /api/v1/subscriptions/.

Every call needs `view_subscription` and `view_subscriptionorder` (staff
and external systems' users, by token or session); portal customers get
nothing here.

Idempotency: `externalId` and `channel[0].id` are required; the same
externalId from the same channel answers the order already placed (200)
instead of placing a second one.

Errors have the TMF630 shape: {"@type": "Error", "code", "reason",
"message", "status"} where `code` is SESMU's error code (as in the rest of
the API), `reason` the first problem in words, `message` every problem with
the path of the body it is about, and — for a 400 — `fields`, the problems
by path ("productOrderItem[0].productOffering.id")."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.db.models import Prefetch, Q, QuerySet
from django.urls import path, re_path, reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import permissions, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response
from rest_framework.views import APIView

from customers import selectors as customer_selectors
from inventory.api.serializers import IdField
from inventory.choices import AccessMedium
from sesmu.api.errors import exception_handler as api_exception_handler
from sesmu.choices import UserKind
from sesmu.errors import NotFound, field_error
from subscriptions import errors, selectors, services
from subscriptions.choices import (
    Channel,
    Initiator,
    ItemRole,
    ItemState,
    OfferStatus,
    OrderAction,
    OrderState,
    SubscriptionState,
)
from subscriptions.models import (
    CatalogService,
    Offer,
    OfferVersion,
    OrderMilestone,
    Subscription,
    SubscriptionItem,
    SubscriptionOrder,
)

VIEW = "subscriptions.view_subscription"
VIEW_ORDERS = "subscriptions.view_subscriptionorder"
SELL = "subscriptions.sell_subscription"
MANAGE = "subscriptions.manage_subscription"

ADD, MODIFY, DELETE = "add", "modify", "delete"
NEEDS = {ADD: SELL, MODIFY: MANAGE, DELETE: MANAGE}
# The channel and the externalId are kept together in the order's
# external_id (80 characters), which the database keeps unique per channel.
CHANNEL_ID = r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,19}$"
EXTERNAL_ID_LENGTH = 59
SEPARATOR = ":"
DEFAULT_LIMIT, MAX_LIMIT = 25, 200

ORDER_STATES = {
    OrderState.ACKNOWLEDGED: "acknowledged", OrderState.IN_PROGRESS: "inProgress",
    OrderState.HELD: "held", OrderState.COMPLETED: "completed",
    OrderState.CANCELLED: "cancelled",
}
ORDER_STATES_BACK = {value: key for key, value in ORDER_STATES.items()}
# TMF637 product statuses.
PRODUCT_STATUSES = {
    SubscriptionState.PENDING_ACTIVATION: "pendingActive", SubscriptionState.ACTIVE: "active",
    SubscriptionState.SUSPENDED: "suspended",
    SubscriptionState.PENDING_TERMINATION: "pendingTerminate",
    SubscriptionState.TERMINATED: "terminated", SubscriptionState.ABORTED: "aborted",
}
ITEM_ACTIONS = {OrderAction.NEW: ADD, OrderAction.CANCEL: DELETE}

ITEM = "productOrderItem[0]"
PRODUCT = f"{ITEM}.product"
CHARACTERISTIC = f"{PRODUCT}.productCharacteristic"
# Where in the body each field a service refuses came from.
FIELD_PATHS = {
    "customer": "relatedParty",
    "billing_account": "billingAccount.id",
    "offer_version": f"{ITEM}.productOffering.id",
    "service_address": f"{PRODUCT}.place",
    "access_medium": f"{CHARACTERISTIC}.accessMedium",
    "options": f"{CHARACTERISTIC}.option",
    "serials": f"{CHARACTERISTIC}.serial",
    "external_id": "externalId",
    "subscription": f"{PRODUCT}.id",
    "state": f"{PRODUCT}.id",
    "effective_on": "requestedCompletionDate",
    "reason": "description",
}
# A change of offer the network cannot serve is a problem of the offering.
MODIFY_PATHS = {**FIELD_PATHS, "access_medium": f"{ITEM}.productOffering.id"}
CHARACTERISTICS = {ADD: ("accessMedium", "option", "serial"), MODIFY: ("option",),
                   DELETE: ()}


# Errors ----------------------------------------------------------------------------


def flatten(detail, path: str = "") -> dict[str, list[str]]:
    """DRF's nested errors as {"productOrderItem[0].action": [messages]}."""
    if isinstance(detail, dict):
        found: dict[str, list[str]] = {}
        for key, value in detail.items():
            if isinstance(key, int) or (isinstance(key, str) and key.isdigit()):
                child = f"{path}[{key}]"
            else:
                child = f"{path}.{key}" if path else str(key)
            found.update(flatten(value, child))
        return found
    if isinstance(detail, list):
        if all(not isinstance(value, dict | list) for value in detail):
            return {path or "non_field_errors": [str(value) for value in detail]}
        found = {}
        for index, value in enumerate(detail):
            if value:
                found.update(flatten(value, f"{path}[{index}]"))
        return found
    return {path or "non_field_errors": [str(detail)]}


def tmf_exception_handler(exc, context):
    """The project's error answer, in the TMF630 shape (see the module)."""
    response = api_exception_handler(exc, context)
    if response is None:
        return None
    body = response.data
    fields = flatten(body["fields"]) if body.get("fields") else {}
    message = "; ".join(f"{path}: {' '.join(messages)}" for path, messages in fields.items())
    response.data = {"@type": "Error", "code": body["code"], "reason": body["message"],
                     "message": message or body["message"],
                     "status": str(response.status_code)}
    if fields:
        response.data["fields"] = fields
    return response


def renamed(error: DjangoValidationError, paths: dict[str, str]) -> DjangoValidationError:
    """A service's refusal with its fields named as in the TMF body."""
    if not hasattr(error, "error_dict"):
        return error
    return DjangoValidationError({paths.get(field, field): items
                                  for field, items in error.error_dict.items()})


# The body --------------------------------------------------------------------------


@extend_schema_field({"oneOf": [{"type": "string"}, {"type": "number"},
                                {"type": "boolean"}]})
class ScalarField(serializers.Field):
    """A characteristic's value: text, a number or true/false, read as text."""

    default_error_messages = {"invalid": _("Give a text, a number or true/false."),
                              "max_length": _("Give at most 100 characters.")}

    def to_internal_value(self, data) -> str:
        if isinstance(data, bool):
            return "true" if data else "false"
        if not isinstance(data, str | int | float):
            self.fail("invalid")
        text = str(data).strip()
        if len(text) > 100:
            self.fail("max_length")
        return text

    def to_representation(self, value):
        return value


class ChannelReference(serializers.Serializer):
    id = serializers.RegexField(
        CHANNEL_ID, error_messages={"invalid": _("Give the channel's id: up to 20 letters, "
                                                 "digits, dots, dashes or underscores.")},
        help_text="The channel's id: with externalId, what makes an order unique.")
    name = serializers.CharField(max_length=100, required=False)


class Reference(serializers.Serializer):
    id = serializers.CharField(max_length=40)


class OfferingReference(Reference):
    id = serializers.CharField(max_length=40, help_text="The offer's code.")
    name = serializers.CharField(max_length=120, required=False, read_only=True)


class RelatedParty(serializers.Serializer):
    id = serializers.CharField(max_length=20, help_text="The customer's number (C…).")
    role = serializers.CharField(max_length=40, help_text="`customer`.")


class PlaceReference(serializers.Serializer):
    id = IdField(help_text="The id of one of the customer's addresses.")


class Characteristic(serializers.Serializer):
    name = serializers.CharField(max_length=40,
                                 help_text="`accessMedium`, `option` or `serial`.")
    value = ScalarField()


class ProductInput(serializers.Serializer):
    id = serializers.CharField(max_length=20, required=False,
                               help_text="The subscription's number (S…), for modify and "
                                         "delete.")
    place = serializers.ListField(child=PlaceReference(), required=False, default=list,
                                  max_length=1, help_text="For add: the service address.")
    productCharacteristic = serializers.ListField(
        child=Characteristic(), required=False, default=list, max_length=30)


class ProductOrderItemInput(serializers.Serializer):
    id = serializers.CharField(max_length=40)
    action = serializers.CharField(max_length=20, help_text="`add`, `modify` or `delete`.")
    productOffering = OfferingReference(required=False)
    product = ProductInput(required=False)


@extend_schema_field({"type": "string", "format": "date-time"})
class DateOrDateTimeField(serializers.Field):
    """TMF dates are date-times; a plain date is taken too. Read as the day
    it is in SESMU's time zone."""

    default_error_messages = {"invalid": _("Give a date (YYYY-MM-DD) or a date-time.")}

    def to_internal_value(self, data) -> date:
        if isinstance(data, str):
            try:
                return date.fromisoformat(data)
            except ValueError:
                pass
            try:
                moment = parse_datetime(data)
            except ValueError:
                moment = None
            if moment is not None:
                if timezone.is_naive(moment):
                    moment = timezone.make_aware(moment)
                return timezone.localdate(moment)
        self.fail("invalid")

    def to_representation(self, value):
        return value.isoformat() if value else None


class ProductOrderInput(serializers.Serializer):
    externalId = serializers.CharField(
        max_length=EXTERNAL_ID_LENGTH, help_text="The channel's own id of the order.")
    channel = serializers.ListField(
        child=ChannelReference(), min_length=1, max_length=1,
        error_messages={"min_length": _("Name the channel the order comes from."),
                        "max_length": _("Name one channel.")})
    relatedParty = serializers.ListField(
        child=RelatedParty(), required=False, default=list, max_length=10)
    billingAccount = Reference(required=False)
    description = serializers.CharField(max_length=300, required=False, allow_blank=True,
                                        default="",
                                        help_text="For delete: the customer's reason.")
    requestedCompletionDate = DateOrDateTimeField(
        required=False, allow_null=True, default=None,
        help_text="For delete: when the cancellation should take effect.")
    productOrderItem = serializers.ListField(
        child=ProductOrderItemInput(), min_length=1, max_length=1,
        error_messages={"min_length": _("Give the product order item."),
                        "max_length": _("SESMU takes one product order item per product "
                                        "order: send each item as an order of its own.")})


# The answer ------------------------------------------------------------------------


class PlaceOutput(serializers.Serializer):
    id = serializers.CharField()
    role = serializers.CharField()
    referred_type = serializers.CharField()

    def get_fields(self):
        fields = super().get_fields()
        fields["@referredType"] = fields.pop("referred_type")
        return fields


class CharacteristicOutput(serializers.Serializer):
    name = serializers.CharField()
    value = serializers.CharField()


class ProductOutput(serializers.Serializer):
    id = serializers.CharField(help_text="The subscription's number.")
    status = serializers.CharField(help_text="TMF637: pendingActive, active, suspended, "
                                             "pendingTerminate, terminated or aborted.")
    place = PlaceOutput(many=True)
    productCharacteristic = CharacteristicOutput(many=True)


class ProductOrderItemOutput(serializers.Serializer):
    id = serializers.CharField(help_text="Always 1: one item per order.")
    quantity = serializers.IntegerField()
    action = serializers.CharField(help_text="add, modify or delete.")
    state = serializers.CharField(help_text="As the order's state.")
    productOffering = OfferingReference()
    product = ProductOutput()


class MilestoneOutput(serializers.Serializer):
    id = serializers.CharField()
    name = serializers.CharField(help_text="SESMU's milestone code.")
    description = serializers.CharField()
    milestoneDate = serializers.DateTimeField()
    status = serializers.CharField(required=False,
                                   help_text="The order's state after it, when it changed.")


class PartyOutput(RelatedParty):
    name = serializers.CharField()


class ProductOrderOutput(serializers.Serializer):
    """The order as TMF622 shows it. The fields are declared for the schema;
    the answer is built from the subscription order by `to_representation`."""

    id = serializers.CharField(help_text="The order's number (O…).")
    href = serializers.CharField()
    externalId = serializers.CharField()
    channel = ChannelReference(many=True)
    description = serializers.CharField(help_text="What the order does, in words.")
    state = serializers.CharField(help_text="acknowledged, inProgress, held, completed or "
                                            "cancelled.")
    orderDate = serializers.DateTimeField()
    completionDate = serializers.DateTimeField(allow_null=True)
    requestedCompletionDate = serializers.DateField(allow_null=True)
    relatedParty = PartyOutput(many=True)
    billingAccount = Reference()
    productOrderItem = ProductOrderItemOutput(many=True)
    productOrderMilestone = MilestoneOutput(many=True)

    def to_representation(self, order: SubscriptionOrder) -> dict[str, Any]:
        subscription = order.subscription
        moment = serializers.DateTimeField()
        channel, external_id = channel_and_external_id(order)
        state = ORDER_STATES[order.state]
        options = [item.service.code for item in subscription.live_options]
        offer_code = order.details.get("offer") or subscription.offer_version.offer.code
        offering: dict[str, Any] = {"id": offer_code}
        if offer_code == subscription.offer_version.offer.code:
            offering["name"] = subscription.offer_version.offer.name
        return {
            "@type": "ProductOrder",
            "id": order.number,
            "href": reverse("tmf622-product-order", args=[order.number]),
            "externalId": external_id,
            "channel": [{"id": channel}],
            "description": str(order.action_label),
            "state": state,
            "orderDate": moment.to_representation(order.created_at),
            "completionDate": (moment.to_representation(order.completed_at)
                               if order.completed_at else None),
            "requestedCompletionDate": order.due_on.isoformat() if order.due_on else None,
            "relatedParty": [{"id": subscription.customer.number,
                              "name": subscription.customer.display_name,
                              "role": "customer", "@referredType": "Customer"}],
            "billingAccount": {"id": subscription.billing_account.number,
                               "@referredType": "BillingAccount"},
            "productOrderItem": [{
                "@type": "ProductOrderItem",
                "id": "1",
                "quantity": 1,
                "action": ITEM_ACTIONS.get(order.action, MODIFY),
                "state": state,
                "productOffering": offering,
                "product": {
                    "id": subscription.number,
                    "status": PRODUCT_STATUSES[subscription.state],
                    "place": [{"id": str(subscription.service_address_id),
                               "role": "installationAddress",
                               "@referredType": "GeographicAddress"}],
                    "productCharacteristic": [
                        {"name": "accessMedium", "value": subscription.access_medium},
                        *({"name": "option", "value": code} for code in options),
                    ],
                },
            }],
            "productOrderMilestone": [milestone_of(milestone, moment)
                                      for milestone in order.milestones.all()],
        }


def milestone_of(milestone: OrderMilestone, moment: serializers.DateTimeField) -> dict:
    found = {"@type": "ProductOrderMilestone", "id": str(milestone.pk),
             "name": milestone.code, "description": milestone.text,
             "milestoneDate": moment.to_representation(milestone.created_at)}
    if milestone.to_state:
        found["status"] = ORDER_STATES.get(milestone.to_state, milestone.to_state)
    return found


def channel_and_external_id(order: SubscriptionOrder) -> tuple[str, str]:
    if order.channel == Channel.API and SEPARATOR in order.external_id:
        channel, external_id = order.external_id.split(SEPARATOR, 1)
        return channel, external_id
    return order.channel, order.external_id


def product_orders(actor) -> QuerySet[SubscriptionOrder]:
    """The orders the actor may see, with what their answer shows (a fixed
    number of queries for a whole page)."""
    return (selectors.subscription_order_list_visible_to(actor=actor)
            .select_related("subscription__customer", "subscription__billing_account",
                            "subscription__offer_version__offer")
            .prefetch_related(
                Prefetch("milestones", queryset=OrderMilestone.objects.order_by("created_at",
                                                                                 "id")),
                Prefetch("subscription__items", to_attr="live_options",
                         queryset=SubscriptionItem.objects.select_related("service")
                         .filter(role=ItemRole.OPTION).exclude(state=ItemState.REMOVED)
                         .order_by("id")))
            .order_by("-created_at", "-id"))


# Reading the order's references ------------------------------------------------------


def _characteristics(item: dict, action: str) -> dict[str, list[str]]:
    read = CHARACTERISTICS[action]
    found: dict[str, list[str]] = {name: [] for name in read}
    for characteristic in (item.get("product") or {}).get("productCharacteristic", []):
        name = characteristic["name"]
        if name not in read:
            raise field_error(
                CHARACTERISTIC,
                _("SESMU does not read the characteristic “%(name)s” on %(action)s; it reads: "
                  "%(read)s.") % {"name": name, "action": action,
                                  "read": ", ".join(read) or _("none")},
                code="unknown_characteristic")
        found[name].append(characteristic["value"])
    return found


def _offering_version(item: dict) -> OfferVersion:
    """The version of the offer on sale today (the newest if several are)."""
    offering = item.get("productOffering")
    if not offering:
        raise field_error(f"{ITEM}.productOffering", _("Give the product offering (the "
                                                       "offer's code)."), code="required")
    code = offering["id"]
    today = timezone.localdate()
    version = (OfferVersion.objects.select_related("offer")
               .filter(offer__code=code, status=OfferStatus.PUBLISHED, valid_from__lte=today)
               .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=today))
               .order_by("-number").first())
    if version is not None:
        return version
    if Offer.objects.filter(code=code).exists():
        raise field_error(f"{ITEM}.productOffering.id", _("The offer %(code)s is not on sale "
                                                          "today.") % {"code": code},
                          code=errors.NOT_ON_SALE)
    raise field_error(f"{ITEM}.productOffering.id", _("No such product offering: %(code)s.")
                      % {"code": code}, code="not_found")


def _options(codes: list[str]) -> list[CatalogService]:
    found = {service.code: service for service in CatalogService.objects.filter(
        code__in=codes)}
    missing = [code for code in codes if code not in found]
    if missing:
        raise field_error(f"{CHARACTERISTIC}.option", _("No such service: %(codes)s.")
                          % {"codes": ", ".join(missing)}, code="not_found")
    return [found[code] for code in codes]


def _subscription(actor, item: dict) -> Subscription:
    number = ((item.get("product") or {}).get("id") or "").strip().upper()
    if not number:
        raise field_error(f"{PRODUCT}.id", _("Give the product: the subscription's number."),
                          code="required")
    subscription = selectors.subscription_list_visible_to(actor=actor).filter(
        number=number).first()
    if subscription is None:
        raise field_error(f"{PRODUCT}.id", _("No such subscription: %(number)s.")
                          % {"number": number}, code="not_found")
    return subscription


def _place_new(actor, data: dict, item: dict, external_id: str) -> SubscriptionOrder:
    customers = [party for party in data["relatedParty"] if party["role"].lower() == "customer"]
    if len(customers) != 1:
        raise field_error("relatedParty", _("Name the customer: one related party with the "
                                            "role “customer”."), code="required")
    customer = customer_selectors.customer_list_visible_to(actor=actor).filter(
        number=customers[0]["id"].strip().upper()).first()
    if customer is None:
        raise field_error("relatedParty", _("No such customer: %(number)s.")
                          % {"number": customers[0]["id"]}, code="not_found")
    if not data.get("billingAccount"):
        raise field_error("billingAccount", _("Give the billing account that pays."),
                          code="required")
    account = customer_selectors.billing_account_list_visible_to(actor=actor).filter(
        number=data["billingAccount"]["id"].strip().upper()).first()
    if account is None:
        raise field_error("billingAccount.id", _("No such billing account: %(number)s.")
                          % {"number": data["billingAccount"]["id"]}, code="not_found")
    places = (item.get("product") or {}).get("place") or []
    if not places:
        raise field_error(f"{PRODUCT}.place", _("Give the service address (its id)."),
                          code="required")
    address = customer_selectors.address_referenced(actor=actor, address_id=places[0]["id"],
                                                    field=f"{PRODUCT}.place")
    characteristics = _characteristics(item, ADD)
    media = characteristics["accessMedium"]
    if len(media) != 1 or media[0] not in AccessMedium.values:
        raise field_error(f"{CHARACTERISTIC}.accessMedium",
                          _("Give one accessMedium: %(media)s.")
                          % {"media": ", ".join(AccessMedium.values)}, code="required")
    version = _offering_version(item)
    return services.subscription_create(
        actor=actor, customer=customer, billing_account=account, offer_version=version,
        service_address=address, access_medium=media[0],
        options=_options(characteristics["option"]), serials=characteristics["serial"],
        channel=Channel.API, external_id=external_id)


def _place_modify(actor, data: dict, item: dict, external_id: str) -> SubscriptionOrder:
    subscription = _subscription(actor, item)
    options = _options(_characteristics(item, MODIFY)["option"])
    version = _offering_version(item)
    return services.subscription_change_offer(
        subscription=subscription, offer_version=version, options=options, actor=actor,
        channel=Channel.API, external_id=external_id)


def _place_delete(actor, data: dict, item: dict, external_id: str) -> SubscriptionOrder:
    subscription = _subscription(actor, item)
    _characteristics(item, DELETE)
    return services.subscription_cancel(
        subscription=subscription, actor=actor, initiator=Initiator.CUSTOMER,
        reason=data["description"], effective_on=data["requestedCompletionDate"],
        channel=Channel.API, external_id=external_id)


PLACE = {ADD: _place_new, MODIFY: _place_modify, DELETE: _place_delete}


# The endpoints ---------------------------------------------------------------------


class ProductOrderPermissions(permissions.BasePermission):
    """Staff and external systems' users with `view_subscription` and
    `view_subscriptionorder` read orders; placing one also needs
    `sell_subscription` or `manage_subscription` (which one the item's
    action needs is checked once the body is read). Portal customers get
    nothing here."""

    def has_permission(self, request, view) -> bool:
        user = request.user
        if not user or not user.is_authenticated or user.kind == UserKind.PORTAL:
            return False
        if not user.has_perms([VIEW, VIEW_ORDERS]):
            return False
        if request.method in permissions.SAFE_METHODS:
            return True
        return user.has_perm(SELL) or user.has_perm(MANAGE)


class ProductOrderQuery(serializers.Serializer):
    externalId = serializers.CharField(max_length=EXTERNAL_ID_LENGTH,
                                       required=False)
    state = serializers.ChoiceField(list(ORDER_STATES_BACK), required=False)
    offset = serializers.IntegerField(min_value=0, default=0)
    limit = serializers.IntegerField(min_value=1, max_value=MAX_LIMIT, default=DEFAULT_LIMIT)

    def get_fields(self):
        fields = super().get_fields()
        # A dot in a field's name would be read as a path into the data.
        fields["channel.id"] = serializers.RegexField(CHANNEL_ID, required=False,
                                                      source="channel_id")
        return fields


class TmfView(APIView):
    permission_classes = [ProductOrderPermissions]

    def get_exception_handler(self):
        return tmf_exception_handler

    def answer(self, order: SubscriptionOrder, status_code: int = status.HTTP_200_OK):
        fresh = product_orders(self.request.user).get(pk=order.pk)
        return Response(ProductOrderOutput(fresh).data, status=status_code)


class ProductOrderListView(TmfView):
    @extend_schema(
        operation_id="tmf622_product_order_list",
        parameters=[OpenApiParameter("externalId", str),
                    OpenApiParameter("channel.id", str),
                    OpenApiParameter("state", str, enum=list(ORDER_STATES_BACK)),
                    OpenApiParameter("offset", int), OpenApiParameter("limit", int)],
        responses=ProductOrderOutput(many=True))
    def get(self, request):
        """The orders the caller may see, newest first, `limit` from
        `offset`; X-Total-Count says how many match."""
        query = ProductOrderQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        found = product_orders(request.user)
        external_id = query.validated_data.get("externalId")
        channel = query.validated_data.get("channel_id")
        if channel and external_id:
            found = found.filter(channel=Channel.API,
                                 external_id=f"{channel}{SEPARATOR}{external_id}")
        elif channel:
            found = found.filter(channel=Channel.API,
                                 external_id__startswith=f"{channel}{SEPARATOR}")
        elif external_id:
            # A channel's id holds no separator: the channel's own externalId
            # is what follows the first one.
            suffix = f"{SEPARATOR}{external_id}"
            candidates = found.filter(channel=Channel.API, external_id__endswith=suffix)
            found = found.filter(pk__in=[
                pk for pk, stored in candidates.values_list("pk", "external_id")
                if SEPARATOR not in stored[:-len(suffix)]])
        if query.validated_data.get("state"):
            found = found.filter(state=ORDER_STATES_BACK[query.validated_data["state"]])
        total = found.count()
        offset, limit = query.validated_data["offset"], query.validated_data["limit"]
        page = list(found[offset:offset + limit])
        response = Response(ProductOrderOutput(page, many=True).data)
        response["X-Total-Count"] = str(total)
        response["X-Result-Count"] = str(len(page))
        return response

    @extend_schema(operation_id="tmf622_product_order_create", request=ProductOrderInput,
                   responses={201: ProductOrderOutput, 200: ProductOrderOutput})
    def post(self, request):
        """Place an order (201), or answer the one already placed with the
        same externalId from the same channel (200)."""
        parsed = ProductOrderInput(data=request.data)
        parsed.is_valid(raise_exception=True)
        data = parsed.validated_data
        item = data["productOrderItem"][0]
        action = item["action"]
        if action not in PLACE:
            raise field_error(
                f"{ITEM}.action",
                _("SESMU takes add (a new subscription), modify (a change of offer) and "
                  "delete (a cancellation) here; “%(action)s” is not taken. Suspensions, "
                  "resumptions, options and users go through /api/v1/subscriptions/.")
                % {"action": action}, code=errors.NOT_ORDERABLE)
        if not request.user.has_perm(NEEDS[action]):
            raise PermissionDenied(_("You may not place “%(action)s” product orders.")
                                   % {"action": action})
        external_id = f"{data['channel'][0]['id']}{SEPARATOR}{data['externalId']}"
        placed = self.placed(external_id)
        if placed is not None:
            return self.answer(placed)
        try:
            with transaction.atomic():
                order = PLACE[action](request.user, data, item, external_id)
        except (DjangoValidationError, IntegrityError) as error:
            # The same order delivered twice at once: the first one placed
            # it, and the second one is refused (the external id is taken,
            # or the subscription already changed). Both get the order.
            placed = self.placed(external_id)
            if placed is not None:
                return self.answer(placed)
            if isinstance(error, IntegrityError):
                raise
            raise renamed(error, MODIFY_PATHS if action == MODIFY else FIELD_PATHS)
        return self.answer(order, status.HTTP_201_CREATED)

    def placed(self, external_id: str) -> SubscriptionOrder | None:
        return selectors.subscription_order_list_visible_to(actor=self.request.user).filter(
            channel=Channel.API, external_id=external_id).first()


class ProductOrderDetailView(TmfView):
    @extend_schema(operation_id="tmf622_product_order_retrieve",
                   responses=ProductOrderOutput)
    def get(self, request, number: str):
        """One order, by its number."""
        order = product_orders(request.user).filter(number=number.strip().upper()).first()
        if order is None:
            raise NotFound
        return Response(ProductOrderOutput(order).data)


# TMF paths have no trailing slash.
urlpatterns = [
    path("productOrder", ProductOrderListView.as_view(), name="tmf622-product-orders"),
    re_path(r"^productOrder/(?P<number>[A-Za-z0-9]{1,20})$",
            ProductOrderDetailView.as_view(), name="tmf622-product-order"),
]
