"""Read paths of the subscriptions app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Customer
from sesmu.choices import UserKind
from sesmu.errors import NotFound, field_error
from sesmu.models import User
from sesmu.money import round_amount
from subscriptions.choices import (
    LIVE_STATES,
    OPEN_ORDER_STATES,
    ItemRole,
    ItemState,
    OfferStatus,
)
from subscriptions.models import (
    CatalogService,
    OfferItem,
    OfferVersion,
    OrderMilestone,
    PayPerViewPurchase,
    ProvisioningStep,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)


def service_list(*, active_only: bool = True) -> QuerySet[CatalogService]:
    queryset = CatalogService.objects.prefetch_related("equipment_models")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("kind", "name")


def offers_on_sale(*, access_medium: str = "", postal_code: str = "",
                   on: date | None = None) -> list[OfferVersion]:
    """The offer versions a customer can sign on `on` (today by default)
    over that access medium at that postal code."""
    day = on or timezone.localdate()
    versions = (
        OfferVersion.objects.filter(status=OfferStatus.PUBLISHED, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .select_related("offer")
        .prefetch_related(Prefetch("items", queryset=OfferItem.objects.select_related("service")
                                   .order_by("role", "service__kind", "service__name")))
        .order_by("offer__name")
    )
    return [version for version in versions
            if (not access_medium or version.sold_over(access_medium))
            and (not postal_code or version.sold_at(postal_code))]


@dataclass(frozen=True)
class Price:
    monthly: Decimal
    setup: Decimal
    currency: str


def offer_price(*, version: OfferVersion, options: list[CatalogService] = ()) -> Price:
    """The monthly price with the chosen options, and the set-up fee. An
    option chosen twice is paid once; a service that is not an option of
    this version is refused, never priced at nothing."""
    prices = {item.service_id: item.option_monthly_price
              for item in version.items.all() if item.role == ItemRole.OPTION}
    chosen = {service.pk: service for service in options}
    unknown = [str(service) for pk, service in chosen.items() if pk not in prices]
    if unknown:
        raise field_error("options", _("Not an option of %(version)s: %(services)s.")
                          % {"version": version, "services": ", ".join(unknown)},
                          code="invalid")
    monthly = version.monthly_price + sum((prices[pk] for pk in chosen), Decimal("0"))
    return Price(monthly=round_amount(monthly), setup=round_amount(version.setup_fee),
                 currency=version.currency)


# Subscriptions and their orders ---------------------------------------------------------

VIEW_SUBSCRIPTIONS = "subscriptions.view_subscription"


def subscription_list_visible_to(*, actor: User) -> QuerySet[Subscription]:
    """Every subscription for staff who may see them; a portal user sees
    their own customer's; nobody else sees any."""
    if actor is None or not actor.is_authenticated or not actor.is_active:
        return Subscription.objects.none()
    queryset = Subscription.objects.select_related(
        "customer", "billing_account", "service_address", "offer_version__offer",
        "created_by")
    if actor.kind == UserKind.PORTAL:
        return queryset.filter(customer__portal_accounts__user=actor)
    if actor.has_perm(VIEW_SUBSCRIPTIONS):
        return queryset
    return Subscription.objects.none()


def access_subscription(*, actor: User, subscription_id: Any) -> Subscription:
    """The subscription, if the actor may see it; not found alike otherwise."""
    try:
        subscription_id = int(subscription_id)
    except (TypeError, ValueError):
        raise NotFound
    subscription = subscription_list_visible_to(actor=actor).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound
    return subscription


def subscription_order_list_visible_to(*, actor: User) -> QuerySet[SubscriptionOrder]:
    """The orders of the subscriptions the actor sees; staff also need the
    permission to see orders."""
    if (actor is not None and actor.is_authenticated and actor.kind != UserKind.PORTAL
            and not actor.has_perm("subscriptions.view_subscriptionorder")):
        return SubscriptionOrder.objects.none()
    subscriptions = subscription_list_visible_to(actor=actor)
    return (SubscriptionOrder.objects.filter(subscription__in=subscriptions.values("pk"))
            .select_related("subscription__customer", "subscription__offer_version__offer",
                            "created_by"))


def access_subscription_order(*, actor: User, order_id: Any) -> SubscriptionOrder:
    try:
        order_id = int(order_id)
    except (TypeError, ValueError):
        raise NotFound
    order = subscription_order_list_visible_to(actor=actor).filter(pk=order_id).first()
    if order is None:
        raise NotFound
    return order


def customer_subscriptions(*, customer: Customer) -> list[Subscription]:
    """For the 360 panel: live subscriptions first, then ended ones, each
    with its services, users and open orders (a fixed number of queries)."""
    subscriptions = list(
        Subscription.objects.filter(customer=customer)
        .select_related("offer_version__offer", "service_address", "billing_account")
        .prefetch_related(
            Prefetch("items", queryset=SubscriptionItem.objects.select_related("service")
                     .exclude(state=ItemState.REMOVED), to_attr="live_items"),
            Prefetch("orders", queryset=SubscriptionOrder.objects.filter(
                state__in=OPEN_ORDER_STATES).order_by("due_on", "id"), to_attr="open_orders"),
        )
    )
    live = [sub for sub in subscriptions if sub.state in LIVE_STATES]
    ended = [sub for sub in subscriptions if sub.state not in LIVE_STATES]
    return live + ended


def subscription_detail(*, subscription: Subscription) -> Subscription:
    """One subscription with everything its page shows: services, users,
    orders with milestones and provisioning steps, charges, purchases."""
    return (
        Subscription.objects.filter(pk=subscription.pk)
        .select_related("customer", "billing_account", "service_address",
                        "offer_version__offer", "created_by")
        .prefetch_related(
            Prefetch("items", queryset=SubscriptionItem.objects.select_related("service")
                     .order_by("state", "role", "service__kind")),
            Prefetch("users", queryset=SubscriptionUser.objects.select_related("service_user")
                     .order_by("-is_active", "id")),
            Prefetch("orders", queryset=SubscriptionOrder.objects.select_related("created_by")
                     .prefetch_related(
                         Prefetch("milestones", queryset=OrderMilestone.objects
                                  .select_related("actor").order_by("created_at", "id")),
                         Prefetch("steps", queryset=ProvisioningStep.objects
                                  .select_related("item__service").order_by("id")))
                     .order_by("-created_at", "-id")),
            Prefetch("charges", queryset=SubscriptionCharge.objects.order_by("-charged_on",
                                                                              "-id")),
            Prefetch("purchases", queryset=PayPerViewPurchase.objects.select_related(
                "event", "user__service_user").order_by("-created_at")),
        )
        .get()
    )


def subscription_equipment(*, subscription: Subscription) -> list:
    """Equipment reserved, on its way or installed for the subscription."""
    from inventory.models import EquipmentItem

    return list(EquipmentItem.objects.filter(subscription_ref=subscription.number)
                .select_related("model").order_by("model__kind", "serial_number"))


def subscription_search_by_number(*, actor: User, text: str) -> list[Subscription]:
    """A subscription number (S…) or an order number (O…) typed in the desk box."""
    key = text.strip().upper()
    if not key or key[0] not in "SO" or not key[1:].isdigit():
        return []
    visible = subscription_list_visible_to(actor=actor)
    if key[0] == "S":
        return list(visible.filter(number=key)[:1])
    return list(visible.filter(orders__number=key)[:1])


def open_order_count(*, subscription: Subscription) -> int:
    return subscription.orders.filter(state__in=OPEN_ORDER_STATES).count()
