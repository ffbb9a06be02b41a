"""What the subscriptions app puts on the operator desk: subscription and
order numbers in the search box, and the Subscriptions panel of the
customer 360 page."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from callcenter.panels import Panel
from callcenter.search import SearchHit
from customers.models import Customer
from inventory.choices import AccessMedium
from sesmu.models import User
from subscriptions import selectors
from subscriptions.choices import (
    ItemRole,
    ModifyKind,
    OrderAction,
    OrderState,
    SubscriptionState,
)
from subscriptions.models import Subscription, SubscriptionOrder
from workforce.selectors import work_order_list_visible_to

# "S00000012", "s12", "O 34": the letter, then the number with or without its zeros.
NUMBER = re.compile(r"^([SO])\s*(\d{1,12})$", re.IGNORECASE)

SELL = "subscriptions.sell_subscription"

# How each state looks: a badge class of the desk's style sheet and a sign,
# so that the state never rests on colour alone.
STATE_LOOKS = {
    SubscriptionState.PENDING_ACTIVATION: ("prospect", "…"),
    SubscriptionState.ACTIVE: ("active", "✓"),
    SubscriptionState.SUSPENDED: ("low", "⏸"),
    SubscriptionState.PENDING_TERMINATION: ("low", "⌛"),
    SubscriptionState.TERMINATED: ("former", "✕"),
    SubscriptionState.ABORTED: ("former", "✕"),
}
ORDER_STATE_LOOKS = {
    "acknowledged": ("wo-generated", "…"),
    "in_progress": ("wo-scheduled", "▶"),
    "held": ("wo-failed", "⚠"),
    "completed": ("wo-completed", "✓"),
    "cancelled": ("wo-cancelled", "✕"),
}


def subscription_url(subscription: Subscription) -> str:
    return reverse("subscriptions:detail", args=[subscription.pk])


class SubscriptionSearchProvider:
    """A subscription number opens the subscription; an order number opens
    the subscription it changes, at that order."""

    name = "subscriptions"

    def search(self, *, query: str, actor: User, limit: int) -> tuple[list[SearchHit], bool]:
        match = NUMBER.match(query.strip())
        if not match:
            return [], False
        letter, digits = match.group(1).upper(), match.group(2)
        number = f"{letter}{int(digits):08d}"
        found = selectors.subscription_search_by_number(actor=actor, text=number)
        if not found:
            return [], False
        subscription = found[0]
        customer = subscription.customer
        who = f"{customer.number} {customer.display_name}"
        if letter == "S":
            return [SearchHit(
                kind="subscription", kind_label=str(_("Subscription")),
                title=f"{subscription.number} · {subscription.offer_version.offer.name}",
                subtitle=f"{who} · {subscription.state_label}",
                matched=subscription.number, url=subscription_url(subscription),
                target=f"subscription:{subscription.pk}",
            )], False
        order = (selectors.subscription_order_list_visible_to(actor=actor)
                 .filter(number=number, subscription=subscription).first())
        if order is None:
            return [], False
        return [SearchHit(
            kind="subscription_order", kind_label=str(_("Subscription order")),
            title=f"{order.number} · {order.action_label} · {subscription.number} "
                  f"{subscription.offer_version.offer.name}",
            subtitle=f"{who} · {order.state_label}",
            matched=order.number, url=f"{subscription_url(subscription)}#order-{order.number}",
            target=f"subscription_order:{order.pk}",
        )], False


@dataclass
class PanelRow:
    """One subscription as the panel shows it."""

    subscription: Subscription
    monthly: Decimal
    badge: str
    sign: str
    suspended_since: object = None
    degraded_since: object = None
    degraded_reason: str = ""

    @property
    def items(self):
        return self.subscription.live_items

    @property
    def medium(self) -> str:
        medium = self.subscription.access_medium
        return str(AccessMedium(medium).label) if medium in AccessMedium.values else medium

    @property
    def open_orders(self):
        return self.subscription.open_orders


def order_badge(state: str) -> tuple[str, str]:
    return ORDER_STATE_LOOKS.get(state, ("wo-generated", ""))


def _since(customer: Customer) -> dict[tuple[int, str], SubscriptionOrder]:
    """The last suspension and degrade carried out on each subscription of
    the customer, for the dates the panel shows (one query for them all)."""
    orders = (SubscriptionOrder.objects
              .filter(subscription__customer=customer,
                      state__in=[OrderState.IN_PROGRESS, OrderState.HELD, OrderState.COMPLETED])
              .filter(Q(action=OrderAction.SUSPEND) | Q(modify_kind=ModifyKind.DEGRADE))
              .only("subscription_id", "action", "modify_kind", "reason", "due_on",
                    "created_at")
              .order_by("created_at", "id"))
    return {(order.subscription_id, order.modify_kind or order.action): order
            for order in orders}


def _effective_on(order: SubscriptionOrder | None):
    """The day an order took effect: its date, or the day it was placed."""
    if order is None:
        return None
    return order.due_on or timezone.localdate(order.created_at)


def _visits(subscriptions: list[Subscription], actor: User) -> dict[str, dict]:
    """The installation visits of the open orders, by work order number: when
    the technician comes, or that nobody agreed it yet (one query for all)."""
    numbers = [order.work_order_ref for subscription in subscriptions
               for order in subscription.open_orders if order.work_order_ref]
    if not numbers:
        return {}
    rows = (work_order_list_visible_to(actor=actor).filter(number__in=numbers)
            .values("number", "state", "window_start", "window_end"))
    return {row["number"]: row for row in rows}


def subscriptions_context(*, customer: Customer, actor: User) -> dict:
    rows = []
    subscriptions = selectors.customer_subscriptions(customer=customer)
    since = _since(customer)
    visits = _visits(subscriptions, actor)
    for subscription in subscriptions:
        monthly = subscription.offer_version.monthly_price + sum(
            (item.monthly_price for item in subscription.live_items
             if item.role == ItemRole.OPTION), Decimal("0"))
        badge, sign = STATE_LOOKS.get(subscription.state, ("former", ""))
        for order in subscription.open_orders:
            order.badge, order.sign = order_badge(order.state)
            order.visit = visits.get(order.work_order_ref) if order.work_order_ref else None
        suspension = since.get((subscription.pk, OrderAction.SUSPEND))
        degrade = since.get((subscription.pk, ModifyKind.DEGRADE))
        rows.append(PanelRow(
            subscription=subscription, monthly=monthly, badge=badge, sign=sign,
            suspended_since=_effective_on(suspension),
            degraded_since=_effective_on(degrade) if subscription.degraded else None,
            degraded_reason=degrade.reason if degrade and subscription.degraded else ""))
    return {
        "rows": rows,
        "can_see_orders": actor.has_perm("subscriptions.view_subscriptionorder"),
        "live": sum(1 for row in rows if row.subscription.is_live),
        "can_sell": actor.has_perm(SELL),
    }


PANELS = [
    Panel(
        key="subscriptions",
        title=_("Subscriptions"),
        template="subscriptions/panel_subscriptions.html",
        context=subscriptions_context,
        order=15,
        column="main",
        lazy=True,
        permission="subscriptions.view_subscription",
    ),
]
