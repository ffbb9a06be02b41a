"""What a lifecycle action will do, worked out before anybody confirms it:
the dates it takes effect, the fees it costs, the commands the element
managers will get and the equipment that moves. The dialogs show these
plans and the services carry out exactly the same plans."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext as _

from inventory.choices import ItemState as EquipmentState
from inventory.choices import SupplyTerms
from inventory.models import EquipmentItem
from sesmu.choices import ServiceKind
from subscriptions.choices import Initiator, ItemRole, ItemState
from subscriptions.models import CatalogService, OfferVersion, Subscription, SubscriptionItem

# How each kind of service is degraded for bad payment, as the profile the
# element manager applies. Kinds not listed are left alone by a degrade.
DEGRADE_PROFILES = {
    ServiceKind.INTERNET_ACCESS: "throttled",
    ServiceKind.TV_PACKAGE: "basic",
    ServiceKind.PAY_PER_VIEW: "blocked",
    ServiceKind.IMPULSE_PAY_PER_VIEW: "blocked",
    ServiceKind.NEAR_VIDEO_ON_DEMAND: "blocked",
}
MAX_HOLIDAY_DAYS = 180


def add_months(day: date, months: int) -> date:
    """The same day `months` later, or the month's last day when shorter."""
    month_index = day.month - 1 + months
    year, month = day.year + month_index // 12, month_index % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def next_cycle_start(*, bill_day: int, after: date) -> date:
    """The first bill day strictly after `after`: when a change "at the next
    cycle" takes effect."""
    candidate = after.replace(day=bill_day)
    return candidate if candidate > after else add_months(candidate, 1)


def equipment_needed(services: list[CatalogService], medium: str) -> dict[str, list]:
    """Per kind of equipment the services need over the medium, the models
    that will do (any one of them). One item per kind serves every service
    needing it: a set-top box for TV and pay-per-view alike."""
    needed: dict[str, list] = {}
    for service in services:
        for model in service.equipment_models.all():
            if model.access_media and medium not in model.access_media:
                continue
            models = needed.setdefault(model.kind, [])
            if model not in models:
                models.append(model)
    return needed


@dataclass(frozen=True)
class NetworkStep:
    """One command one element manager will get."""

    service: CatalogService
    command: str

    @property
    def text(self) -> str:
        return _("%(command)s %(service)s") % {"command": command_label(self.command),
                                               "service": self.service.name}


def command_label(command: str) -> str:
    return {
        "enable": _("Enable"), "disable": _("Disable"), "suspend": _("Suspend"),
        "resume": _("Resume"), "degrade": _("Degrade"), "restore": _("Restore"),
        "authorise_device": _("Authorise on the smart card"),
    }.get(command, command)


def live_items(subscription: Subscription) -> list[SubscriptionItem]:
    return [item for item in subscription.items.all() if item.state != ItemState.REMOVED]


def suspend_steps(subscription: Subscription) -> list[NetworkStep]:
    return [NetworkStep(item.service, "suspend") for item in live_items(subscription)
            if item.state == ItemState.ACTIVE]


def degrade_steps(subscription: Subscription) -> list[NetworkStep]:
    return [NetworkStep(item.service, "degrade") for item in live_items(subscription)
            if item.state in (ItemState.ACTIVE, ItemState.SUSPENDED) and not item.degraded
            and item.service.kind in DEGRADE_PROFILES]


def resume_steps(subscription: Subscription, *, restore: bool) -> list[NetworkStep]:
    steps = [NetworkStep(item.service, "resume") for item in live_items(subscription)
             if item.state == ItemState.SUSPENDED]
    # Services added while it was suspended are enabled when it resumes.
    steps += [NetworkStep(item.service, "enable") for item in live_items(subscription)
              if item.state == ItemState.PENDING]
    if restore:
        steps += [NetworkStep(item.service, "restore") for item in live_items(subscription)
                  if item.degraded]
    elif subscription.degraded:
        # Enabled while the provider's degrade still holds: degraded as well.
        steps += [NetworkStep(item.service, "degrade") for item in live_items(subscription)
                  if item.state == ItemState.PENDING and item.service.kind in DEGRADE_PROFILES]
    return steps


def disable_steps(subscription: Subscription) -> list[NetworkStep]:
    return [NetworkStep(item.service, "disable") for item in live_items(subscription)
            if item.state != ItemState.PENDING]


@dataclass
class CancellationTerms:
    """When a cancellation takes effect and what it costs and does."""

    initiator: str
    effective_on: date
    earliest_on: date
    fee: Decimal
    currency: str
    commitment_ends_on: date | None
    steps: list[NetworkStep] = field(default_factory=list)
    to_recover: list[EquipmentItem] = field(default_factory=list)
    to_release: list[EquipmentItem] = field(default_factory=list)

    @property
    def is_now(self) -> bool:
        return self.effective_on <= timezone.localdate()


def cancellation_terms(*, subscription: Subscription, initiator: str,
                       requested_on: date | None = None) -> CancellationTerms:
    """A customer's cancellation takes effect after the notice period, and
    costs the early-termination fee when it ends inside the minimum term. A
    provider's takes effect when the provider says, without a fee. Rented
    and lent equipment is collected by a technician; reserved equipment
    goes back to stock."""
    today = timezone.localdate()
    version = subscription.offer_version
    earliest = today
    if initiator == Initiator.CUSTOMER and subscription.activated_at is not None:
        earliest = today + timedelta(days=version.notice_days)
    effective = max(requested_on or earliest, earliest)
    fee = Decimal("0.00")
    commitment = subscription.commitment_ends_on
    if (initiator == Initiator.CUSTOMER and commitment is not None and effective < commitment
            and version.early_termination_fee):
        fee = version.early_termination_fee
    equipment = list(EquipmentItem.objects.filter(subscription_ref=subscription.number)
                     .select_related("model").order_by("serial_number"))
    return CancellationTerms(
        initiator=initiator, effective_on=effective, earliest_on=earliest, fee=fee,
        currency=version.currency, commitment_ends_on=commitment,
        steps=disable_steps(subscription),
        to_recover=[item for item in equipment if item.state == EquipmentState.INSTALLED
                    and item.model.supply_terms != SupplyTerms.SOLD],
        to_release=[item for item in equipment
                    if item.state in (EquipmentState.RESERVED, EquipmentState.WITH_TECHNICIAN)],
    )


@dataclass
class OfferChange:
    """What a change of offer adds, removes and keeps, and the new price."""

    version: OfferVersion
    added: list[CatalogService]
    removed: list[SubscriptionItem]
    kept: list[SubscriptionItem]
    options: list[CatalogService]
    monthly_before: Decimal
    monthly_after: Decimal
    effective_on: date

    @property
    def steps(self) -> list[NetworkStep]:
        return ([NetworkStep(item.service, "disable") for item in self.removed
                 if item.state != ItemState.PENDING]
                + [NetworkStep(service, "enable") for service in self.added])


def monthly_price(subscription: Subscription) -> Decimal:
    return subscription.offer_version.monthly_price + sum(
        (item.monthly_price for item in live_items(subscription) if item.role == ItemRole.OPTION),
        Decimal("0"))


def offer_change(*, subscription: Subscription, version: OfferVersion,
                 options: list[CatalogService], at_next_cycle: bool) -> OfferChange:
    from subscriptions.selectors import offer_price

    price = offer_price(version=version, options=options)
    wanted = {item.service_id: item.service for item in version.items.all()
              if item.role == ItemRole.INCLUDED}
    wanted.update({service.pk: service for service in options})
    current = {item.service_id: item for item in live_items(subscription)}
    today = timezone.localdate()
    return OfferChange(
        version=version,
        added=[service for pk, service in wanted.items() if pk not in current],
        removed=[item for pk, item in current.items() if pk not in wanted],
        kept=[item for pk, item in current.items() if pk in wanted],
        options=options,
        monthly_before=monthly_price(subscription),
        monthly_after=price.monthly,
        effective_on=(next_cycle_start(bill_day=subscription.billing_account.bill_day,
                                       after=today) if at_next_cycle else today),
    )
