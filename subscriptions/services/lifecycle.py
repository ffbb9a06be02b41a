"""The subscription lifecycle: sell, suspend (customer's holiday or the
provider's bad-payment steps), resume, cancel, change, and pay-per-view.
Each is a subscription order; each checks its rules first, and does what
`subscriptions.terms` said it would when the operator confirmed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.choices import AccountStatus, CustomerStatus
from customers.models import Address, BillingAccount, Customer, ServiceUser
from customers.services import customer_activate
from integrations.services import Serviceability, address_serviceability
from inventory import services as inventory
from inventory.choices import PAIRABLE, AccessMedium, EquipmentKind, LocationKind
from inventory.choices import ItemState as EquipmentState
from inventory.models import EquipmentItem
from inventory.selectors import item_by_identifier
from sesmu.choices import ServiceKind
from sesmu.errors import field_error
from sesmu.models import User
from sesmu.money import format_money
from sesmu.numbering import series_next
from subscriptions import errors, signals
from subscriptions.choices import (
    Channel,
    ChargeKind,
    Initiator,
    ItemRole,
    ItemState,
    ModifyKind,
    OfferStatus,
    OrderAction,
    OrderState,
    SubscriptionState,
)
from subscriptions.models import (
    CatalogService,
    OfferVersion,
    PayPerViewPurchase,
    ProgrammeEvent,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)
from subscriptions.services.orders import (
    actor_or_none,
    check_element_managers,
    command,
    illegal,
    lock_order,
    lock_subscription,
    milestone,
    order_cancel_row,
    order_hold,
    order_open,
    order_start,
    order_try_complete,
    transition,
)
from subscriptions.terms import (
    DEGRADE_PROFILES,
    MAX_HOLIDAY_DAYS,
    add_months,
    cancellation_terms,
    degrade_steps,
    disable_steps,
    equipment_needed,
    live_items,
    offer_change,
    resume_steps,
    suspend_steps,
)
from workforce import services as workforce
from workforce.choices import OriginKind, Skill, WorkOrderKind, WorkOrderState
from workforce.models import WorkOrder

VISIT_MINUTES = 60
# Bought ahead from the operator or the portal; impulse pay-per-view is
# bought on the set-top box and comes back as usage.
PROGRAMME_KINDS_BOUGHT_AHEAD = (ServiceKind.PAY_PER_VIEW, ServiceKind.NEAR_VIDEO_ON_DEMAND)
VISIT_MINUTES_PER_ITEM = 15
# What the technician who installs over each medium must know (a recovery
# visit takes the work order's default: equipment recovery).
INSTALL_SKILLS = {
    AccessMedium.SATELLITE: Skill.SATELLITE_INSTALL,
    AccessMedium.CABLE: Skill.CABLE_INSTALL,
    AccessMedium.COPPER: Skill.COPPER_INSTALL,
}


@dataclass(frozen=True)
class UserSpec:
    """A service user to add to a subscription, with their credential and rights."""

    service_user: ServiceUser
    credential: str = ""
    parental_pin: str = ""
    ppv_allowed: bool = True
    ppv_monthly_limit: Decimal | None = None


def medium_label(medium: str) -> str:
    return str(AccessMedium(medium).label) if medium in AccessMedium.values else medium


# Checks ---------------------------------------------------------------------------


def check_on_sale(version: OfferVersion, *, medium: str, postal_code: str,
                  field: str = "offer_version") -> None:
    today = timezone.localdate()
    if version.status != OfferStatus.PUBLISHED or version.valid_from > today or (
            version.valid_until and version.valid_until < today):
        raise field_error(field, _("%(offer)s is not on sale today.") % {"offer": version},
                          code=errors.NOT_ON_SALE)
    if not version.sold_over(medium):
        raise field_error(field, _("%(offer)s is not sold over this access medium.")
                          % {"offer": version}, code=errors.MEDIUM_NOT_SERVED)
    if not version.sold_at(postal_code):
        raise field_error(field, _("%(offer)s is not sold at postal code %(code)s.")
                          % {"offer": version, "code": postal_code}, code=errors.NOT_ON_SALE)


def check_serviceable(address: Address, medium: str, services: list[CatalogService], *,
                      field: str = "access_medium") -> Serviceability:
    """Ask the network whether the medium reaches the address and is fast
    enough for every Internet service chosen."""
    found = address_serviceability(postal_code=address.postal_code, street=address.street,
                                   street_number=address.street_number)
    if not found.reaches(medium):
        available = ", ".join(medium_label(medium) for medium in sorted(found.media)) or _(
            "none")
        raise field_error(field, _("%(medium)s does not reach %(code)s (available: "
                                   "%(available)s).")
                          % {"medium": medium_label(medium), "code": address.postal_code,
                             "available": available}, code=errors.NOT_SERVICEABLE)
    down, _up = found.media[medium]
    for service in services:
        if service.works_over(medium) is False:
            raise field_error(field, _("%(service)s does not work over %(medium)s.")
                              % {"service": service.name, "medium": medium_label(medium)},
                              code=errors.MEDIUM_NOT_SERVED)
        if service.speed_down_mbps and down and service.speed_down_mbps > down:
            raise field_error(field, _("%(service)s needs %(speed)s Mbit/s; the line at "
                                       "%(code)s gives %(down)s.")
                              % {"service": service.name, "speed": service.speed_down_mbps,
                                 "code": address.postal_code, "down": down},
                              code=errors.NOT_SERVICEABLE)
    return found


def _chosen_services(version: OfferVersion, options: list[CatalogService]) -> list[
        tuple[CatalogService, str, Decimal]]:
    items = list(version.items.select_related("service"))
    option_prices = {item.service_id: item.option_monthly_price for item in items
                     if item.role == ItemRole.OPTION}
    chosen: list[tuple[CatalogService, str, Decimal]] = [
        (item.service, ItemRole.INCLUDED, Decimal("0")) for item in items
        if item.role == ItemRole.INCLUDED]
    seen: set[int] = set()
    for service in options:
        if service.pk not in option_prices:
            raise field_error("options", _("%(service)s is not an option of %(offer)s.")
                              % {"service": service.name, "offer": version},
                              code=errors.NOT_AN_OPTION)
        if service.pk in seen:
            continue
        seen.add(service.pk)
        chosen.append((service, ItemRole.OPTION, option_prices[service.pk]))
    for service, _role, _price in chosen:
        if not service.is_active:
            raise field_error("options", _("%(service)s is no longer sold.")
                              % {"service": service.name}, code=errors.INACTIVE_SERVICE)
    return chosen


def _check_open_orders(subscription: Subscription, *actions: str,
                       modify_kinds: tuple[str, ...] = ()) -> None:
    wanted = Q(action__in=actions or OrderAction.values)
    if modify_kinds:
        wanted |= Q(action=OrderAction.MODIFY, modify_kind__in=modify_kinds)
    busy = subscription.orders.filter(wanted, state__in=[OrderState.IN_PROGRESS,
                                                          OrderState.HELD]).first()
    if busy is not None:
        raise field_error("subscription",
                          _("Order %(number)s (%(action)s) is still in progress; wait for it "
                            "or deal with it first.")
                          % {"number": busy.number, "action": busy.action_label},
                          code=errors.ORDER_IN_FLIGHT)


# Equipment ------------------------------------------------------------------------


def _pick_item(kind: str, model_ids: list[int]) -> EquipmentItem | None:
    return (EquipmentItem.objects.filter(state=EquipmentState.IN_STOCK, model_id__in=model_ids,
                                         location__kind=LocationKind.WAREHOUSE,
                                         location__is_active=True)
            .select_for_update(skip_locked=True).order_by("id").first())


def reserve_equipment(order: SubscriptionOrder, services: list[CatalogService], *,
                      actor: User | None, serials: list[str] = ()) -> list[EquipmentItem]:
    """Reserve one item of each kind of equipment the services need and the
    subscription does not have yet: the serials the operator gave, or the
    oldest free stock in a warehouse. Cards are paired with their box."""
    subscription = order.subscription
    held = set(EquipmentItem.objects.filter(subscription_ref=subscription.number).exclude(
        state__in=[EquipmentState.IN_STOCK]).values_list("model__kind", flat=True))
    needed = {kind: [model.pk for model in models] for kind, models in
              equipment_needed(services, subscription.access_medium).items()
              if kind not in held}
    given: dict[str, EquipmentItem] = {}
    for serial in serials:
        item = item_by_identifier(serial)
        if item is None:
            raise field_error("serials", _("No equipment item %(serial)s.") % {"serial": serial},
                              code=errors.NO_EQUIPMENT)
        if item.model.kind not in needed or item.model_id not in needed[item.model.kind]:
            raise field_error("serials", _("%(serial)s is not equipment this offer needs over "
                                           "this medium.") % {"serial": serial},
                              code=errors.NO_EQUIPMENT)
        given[item.model.kind] = item
    reserved: list[EquipmentItem] = []
    for kind, model_ids in needed.items():
        item = given.get(kind) or _pick_item(kind, model_ids)
        if item is None:
            raise field_error("serials", _("No %(kind)s of a suitable model is in stock.")
                              % {"kind": EquipmentKind(kind).label.lower()},
                              code=errors.NO_EQUIPMENT)
        item = inventory.equipment_item_reserve(item=item, customer=subscription.customer,
                                                actor=actor,
                                                subscription_ref=subscription.number,
                                                reason=order.number)
        reserved.append(item)
        milestone(order, "equipment_reserved",
                  _("%(model)s %(serial)s reserved.") % {"model": item.model,
                                                         "serial": item.serial_number},
                  actor=actor)
    cards = [item for item in reserved if item.model.kind in PAIRABLE]
    for card in cards:
        box = next((item for item in reserved
                    if item.model.kind in PAIRABLE[card.model.kind]), None)
        if box is None or card.paired_with_id == box.pk:
            continue
        # Stock that came back from another customer may still be paired.
        for stale in EquipmentItem.objects.filter(
                Q(pk=card.pk, paired_with__isnull=False) | Q(paired_with=box)):
            inventory.equipment_item_unpair(card=stale, actor=actor)
        inventory.equipment_item_pair(card=card, box=box, actor=actor)
    return reserved


def _smart_card_serial(subscription: Subscription) -> str:
    card = (EquipmentItem.objects.filter(subscription_ref=subscription.number,
                                         model__kind=EquipmentKind.SMART_CARD)
            .exclude(state=EquipmentState.IN_STOCK).order_by("-id").first())
    return card.card_number or card.serial_number if card is not None else ""


def plan_visit(order: SubscriptionOrder, services: list[CatalogService],
               items: list[EquipmentItem], *, actor: User | None,
               kind: str = WorkOrderKind.INSTALL, recover: list[EquipmentItem] = ()) -> None:
    """Create the work order when the medium needs a technician for any of
    the services (or equipment is to be collected)."""
    subscription = order.subscription
    if kind == WorkOrderKind.INSTALL and not any(
            service.needs_visit_over(subscription.access_medium) for service in services):
        return
    skill = INSTALL_SKILLS.get(subscription.access_medium)
    work_order = workforce.work_order_create(
        customer=subscription.customer, service_address=subscription.service_address,
        kind=kind, actor=actor,
        required_skills=[skill] if kind == WorkOrderKind.INSTALL and skill else None,
        estimated_minutes=VISIT_MINUTES
        + VISIT_MINUTES_PER_ITEM * (len(items) + len(recover)),
        # Workforce tags what the technician installs with the origin's
        # reference as the subscription's: the S-number, like the equipment
        # reserved here (the order points at the work order by work_order_ref).
        origin_kind=OriginKind.SUBSCRIPTION_ORDER, origin_ref=subscription.number,
        notes=_("%(action)s %(number)s: %(offer)s")
        % {"action": order.action_label, "number": order.number,
           "offer": subscription.offer_version.offer.name},
        install_items=list(items), recover_items=list(recover),
    )
    order.needs_visit, order.visit_done, order.work_order_ref = True, False, work_order.number
    order.save(update_fields=["needs_visit", "visit_done", "work_order_ref", "updated_at"])
    milestone(order, "visit_needed",
              _("Work order %(number)s created (%(kind)s); book a visit with the customer.")
              % {"number": work_order.number, "kind": work_order.get_kind_display()},
              actor=actor)


def replan_failed_visit(order: SubscriptionOrder, *, actor: User | None) -> WorkOrder | None:
    """The technician could not do the visit (nobody home, no access...):
    a new work order for the same job, with the equipment still set aside,
    so the operator can book another slot with the customer."""
    if not order.needs_visit or order.visit_done or not order.work_order_ref:
        return None
    failed = WorkOrder.objects.filter(number=order.work_order_ref).first()
    if failed is None or failed.state not in (WorkOrderState.FAILED, WorkOrderState.CANCELLED):
        return None
    subscription = order.subscription
    items = list(EquipmentItem.objects.filter(
        subscription_ref=subscription.number,
        state__in=[EquipmentState.RESERVED, EquipmentState.WITH_TECHNICIAN]))
    work_order = workforce.work_order_create(
        customer=subscription.customer, service_address=subscription.service_address,
        kind=failed.kind, actor=actor, required_skills=list(failed.required_skills),
        estimated_minutes=failed.estimated_minutes, origin_kind=OriginKind.SUBSCRIPTION_ORDER,
        origin_ref=subscription.number, notes=failed.notes, install_items=items)
    order.work_order_ref = work_order.number
    order.save(update_fields=["work_order_ref", "updated_at"])
    milestone(order, "visit_needed",
              _("Work order %(old)s failed; %(number)s created in its place. Book a visit "
                "with the customer.") % {"old": failed.number, "number": work_order.number},
              actor=actor)
    return work_order


def install_self_service_equipment(order: SubscriptionOrder) -> None:
    """Without a visit, equipment reserved for the subscription is handed
    to the customer (sent or collected) and counts as installed."""
    if order.needs_visit:
        return
    subscription = order.subscription
    for item in EquipmentItem.objects.filter(subscription_ref=subscription.number,
                                             state=EquipmentState.RESERVED):
        inventory.equipment_item_install(item=item, customer=subscription.customer,
                                         service_address=subscription.service_address,
                                         actor=None, subscription_ref=subscription.number,
                                         reason=order.number)
        milestone(order, "equipment_installed",
                  _("%(serial)s handed to the customer.") % {"serial": item.serial_number})


def _release_equipment(subscription: Subscription, order: SubscriptionOrder,
                       actor: User | None) -> None:
    for item in EquipmentItem.objects.filter(
            subscription_ref=subscription.number,
            state__in=[EquipmentState.RESERVED, EquipmentState.WITH_TECHNICIAN]):
        if item.state == EquipmentState.WITH_TECHNICIAN:
            continue  # back to stock when the technician empties the van
        inventory.equipment_item_release(item=item, actor=actor, reason=order.number)
        milestone(order, "equipment_released",
                  _("%(serial)s back in stock.") % {"serial": item.serial_number}, actor=actor)


def _cancel_visits(subscription: Subscription, order: SubscriptionOrder,
                   actor: User | None) -> None:
    refs = list(subscription.orders.exclude(work_order_ref="")
            .values_list("work_order_ref", flat=True))
    for work_order in WorkOrder.objects.filter(number__in=refs, state__in=[
            WorkOrderState.GENERATED, WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED,
            WorkOrderState.DISPATCHED]):
        workforce.work_order_cancel(work_order=work_order, actor=actor,
                                    reason=_("Subscription order %(number)s")
                                    % {"number": order.number})
        milestone(order, "visit_cancelled",
                  _("Work order %(number)s cancelled.") % {"number": work_order.number},
                  actor=actor)


# New subscription -----------------------------------------------------------------


def _add_user(subscription: Subscription, spec: UserSpec) -> SubscriptionUser:
    if spec.service_user.customer_id != subscription.customer_id:
        raise field_error("users", _("%(user)s is a user of another customer.")
                          % {"user": spec.service_user}, code=errors.WRONG_CUSTOMER)
    if not spec.service_user.is_active:
        raise field_error("users", _("%(user)s is no longer an active user.")
                          % {"user": spec.service_user}, code=errors.WRONG_CUSTOMER)
    pin = spec.parental_pin.strip()
    if pin and not (pin.isdigit() and len(pin) == 4):
        raise field_error("parental_pin", _("A parental PIN has 4 digits."), code="invalid")
    if spec.ppv_monthly_limit is not None and spec.ppv_monthly_limit < 0:
        raise field_error("ppv_monthly_limit", _("A limit cannot be negative."), code="invalid")
    try:
        with transaction.atomic():
            return SubscriptionUser.objects.create(
                subscription=subscription, service_user=spec.service_user,
                credential=spec.credential.strip()[:100],
                parental_pin=make_password(pin) if pin else "",
                ppv_allowed=spec.ppv_allowed, ppv_monthly_limit=spec.ppv_monthly_limit)
    except IntegrityError:
        raise field_error("users", _("%(user)s already uses this subscription.")
                          % {"user": spec.service_user}, code=errors.ALREADY_THERE)


@transaction.atomic
def subscription_create(
    *,
    actor: User | None,
    customer: Customer,
    billing_account: BillingAccount,
    offer_version: OfferVersion,
    service_address: Address,
    access_medium: str,
    options: list[CatalogService] = (),
    users: list[UserSpec] = (),
    serials: list[str] = (),
    channel: str = Channel.DESK,
    external_id: str = "",
) -> SubscriptionOrder:
    """Sell a subscription: check the address is served, reserve the
    equipment, plan the installation visit when the medium needs one, and
    send the enable commands. The subscription becomes active when every
    command is applied and the installation is done."""
    if customer.status == CustomerStatus.FORMER:
        raise field_error("customer", _("A former customer must be reactivated first."),
                          code=errors.WRONG_CUSTOMER)
    if billing_account.customer_id != customer.pk:
        raise field_error("billing_account", _("This billing account belongs to another "
                                               "customer."), code=errors.WRONG_CUSTOMER)
    if billing_account.status != AccountStatus.ACTIVE:
        raise field_error("billing_account", _("This billing account is closed."),
                          code=errors.ACCOUNT_CLOSED)
    if service_address.customer_id != customer.pk or not service_address.is_active:
        raise field_error("service_address", _("Choose one of the customer's addresses."),
                          code=errors.WRONG_CUSTOMER)
    check_on_sale(offer_version, medium=access_medium, postal_code=service_address.postal_code)
    chosen = _chosen_services(offer_version, list(options))
    services = [service for service, _role, _price in chosen]
    check_element_managers(services)
    found = check_serviceable(service_address, access_medium, services)
    if external_id and SubscriptionOrder.objects.filter(channel=channel,
                                                        external_id=external_id).exists():
        # Before anything is reserved; order_open checks again under the constraint.
        raise field_error("external_id", _("An order with this external id was already "
                                           "received."), code=errors.DUPLICATE_EXTERNAL_ID)
    subscription = Subscription.objects.create(
        number=series_next(name="subscription"), customer=customer, billing_account=billing_account,
        offer_version=offer_version, service_address=service_address,
        access_medium=access_medium, created_by=actor_or_none(actor))
    for service, role, price in chosen:
        SubscriptionItem.objects.create(subscription=subscription, service=service, role=role,
                                        monthly_price=price)
    for spec in users:
        _add_user(subscription, spec)
    order = order_open(subscription=subscription, action=OrderAction.NEW, actor=actor,
                       channel=channel, external_id=external_id,
                       details={"offer": offer_version.offer.code,
                                "version": offer_version.number,
                                "options": [service.code for service in options]})
    milestone(order, "serviceability_checked",
              _("%(medium)s reaches %(code)s (%(source)s).")
              % {"medium": medium_label(access_medium), "code": service_address.postal_code,
                 "source": _("network management system") if found.live
                 else _("coverage data kept on %(date)s")
                 % {"date": timezone.localtime(found.checked_at).date().isoformat()}},
              actor=actor)
    order_start(order, actor=actor)
    reserved = reserve_equipment(order, services, actor=actor, serials=list(serials))
    plan_visit(order, services, reserved, actor=actor)
    card = _smart_card_serial(subscription)
    for item in subscription.items.select_related("service"):
        command(order, item, "enable", actor=actor,
                characteristics={"smartCard": card} if card and item.service.credential_kind
                else None)
    order_try_complete(order)
    return order


def activate(order: SubscriptionOrder) -> None:
    """Every step of a new subscription is done: it is active from now, its
    minimum term starts, the set-up fee is charged."""
    subscription = lock_subscription(order.subscription_id)
    if subscription.state != SubscriptionState.PENDING_ACTIVATION:
        return
    now = timezone.now()
    version = subscription.offer_version
    subscription.activated_at = now
    if version.minimum_term_months:
        subscription.commitment_ends_on = add_months(timezone.localdate(now),
                                                     version.minimum_term_months)
    transition(subscription, "activate", order=order, actor=None, what=_("activated"),
               fields=("activated_at", "commitment_ends_on"))
    if version.setup_fee:
        _charge(order, subscription, ChargeKind.SETUP_FEE, version.setup_fee,
                _("Set-up fee, %(offer)s") % {"offer": version.offer.name})
    if subscription.customer.status == CustomerStatus.PROSPECT:
        customer_activate(actor=None, customer=subscription.customer,
                          reason=_("Subscription %(number)s active")
                          % {"number": subscription.number})
    activated = subscription
    transaction.on_commit(lambda: signals.subscription_activated.send(
        sender=Subscription, subscription=activated))


def _charge(order: SubscriptionOrder, subscription: Subscription, kind: str, amount: Decimal,
            description: str) -> SubscriptionCharge:
    charge = SubscriptionCharge.objects.create(
        subscription=subscription, order=order, billing_account=subscription.billing_account,
        kind=kind, description=description[:200], amount=amount,
        currency=subscription.offer_version.currency, charged_on=timezone.localdate())
    milestone(order, "charged", _("%(description)s: %(amount)s %(currency)s charged.")
              % {"description": charge.description, "amount": charge.amount,
                 "currency": charge.currency})
    return charge


@transaction.atomic
def subscription_book_visit(*, order: SubscriptionOrder, window_start: datetime,
                            actor: User | None):
    """Book the arrival window for the order's work order, and say so on the order."""
    order = lock_order(order)
    if not order.work_order_ref or not order.is_open:
        raise field_error("window_start", _("This order has no visit to book."),
                          code=errors.NO_VISIT)
    work_order = WorkOrder.objects.get(number=order.work_order_ref)
    appointment = workforce.appointment_book(work_order=work_order, window_start=window_start,
                                             actor=actor)
    start = timezone.localtime(appointment.window_start)
    end = timezone.localtime(appointment.window_end)
    milestone(order, "visit_booked",
              _("Visit booked on %(day)s between %(start)s and %(end)s.")
              % {"day": start.date().isoformat(), "start": f"{start:%H:%M}",
                 "end": f"{end:%H:%M}"}, actor=actor)
    return appointment


# Suspension, degradation, resumption ---------------------------------------------------


@transaction.atomic
def subscription_suspend(*, subscription: Subscription, actor: User | None, initiator: str,
                         reason: str, resume_on: date | None = None,
                         starts_on: date | None = None, channel: str = Channel.DESK
                         ) -> SubscriptionOrder:
    """Suspend the service: the customer's holiday (with the date it
    resumes by itself) or the provider's (bad payment; resumed by hand)."""
    subscription = lock_subscription(subscription)
    today = timezone.localdate()
    reason = reason.strip()
    start = starts_on or today
    if start < today:
        raise field_error("starts_on", _("A suspension cannot start in the past."),
                          code=errors.BAD_DATE)
    if initiator == Initiator.CUSTOMER:
        if resume_on is None:
            raise field_error("resume_on", _("Say when the service comes back."),
                              code="required")
        if resume_on <= start:
            raise field_error("resume_on", _("The service must come back after it stops."),
                              code=errors.BAD_DATE)
        if (resume_on - start).days > MAX_HOLIDAY_DAYS:
            raise field_error("resume_on", _("A holiday suspension lasts at most %(days)s days.")
                              % {"days": MAX_HOLIDAY_DAYS}, code=errors.BAD_DATE)
    elif not reason:
        raise field_error("reason", _("Say why the provider suspends the service."),
                          code="required")
    if subscription.state != SubscriptionState.ACTIVE:
        raise illegal(subscription, _("suspended"))
    # A held resumption retried later would undo this suspension at the
    # element manager: it waits for the resumption to be dealt with.
    _check_open_orders(subscription, OrderAction.SUSPEND, OrderAction.RESUME,
                       OrderAction.CANCEL)
    order = order_open(subscription=subscription, action=OrderAction.SUSPEND, actor=actor,
                       initiator=initiator, reason=reason, due_on=start, channel=channel,
                       details={"resume_on": resume_on.isoformat() if resume_on else ""})
    if order.due_on is None:
        execute(order, actor=actor)
    return order


@transaction.atomic
def subscription_degrade(*, subscription: Subscription, actor: User | None, reason: str,
                         channel: str = Channel.DESK) -> SubscriptionOrder:
    """The provider's first step for bad payment: Internet throttled, TV
    down to the basic package, pay-per-view blocked; the rest untouched."""
    subscription = lock_subscription(subscription)
    if not reason.strip():
        raise field_error("reason", _("Say why the service is degraded."), code="required")
    if subscription.state != SubscriptionState.ACTIVE:
        raise illegal(subscription, _("degraded"))
    if subscription.degraded or not degrade_steps(subscription):
        raise field_error("subscription", _("Nothing of this subscription can be degraded; "
                                            "suspend it instead."), code=errors.NOT_THERE)
    # Likewise a held resumption's restore, retried, would undo the degrade.
    _check_open_orders(subscription, OrderAction.SUSPEND, OrderAction.RESUME,
                       OrderAction.CANCEL)
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.DEGRADE, actor=actor,
                       initiator=Initiator.PROVIDER, reason=reason.strip(), channel=channel)
    execute(order, actor=actor)
    return order


@transaction.atomic
def subscription_resume(*, subscription: Subscription, actor: User | None, initiator: str,
                        reason: str = "", channel: str = Channel.DESK) -> SubscriptionOrder:
    """Bring the service back: after a holiday (early, or on its date) or
    once the provider's reason is gone, undoing any degrade too. Only the
    provider lifts a suspension the provider imposed."""
    subscription = lock_subscription(subscription)
    resumable = (
        subscription.state == SubscriptionState.SUSPENDED
        or (subscription.state == SubscriptionState.ACTIVE and subscription.degraded)
        # Suspended, and cancelled at a later date: back on until then.
        or (subscription.state == SubscriptionState.PENDING_TERMINATION
            and (subscription.suspension_initiator or subscription.degraded))
    )
    if not resumable:
        raise illegal(subscription, _("resumed"))
    imposed = (subscription.suspension_initiator == Initiator.PROVIDER
               or subscription.degraded)
    if imposed and initiator != Initiator.PROVIDER:
        raise field_error("initiator", _("The provider suspended this service; only the "
                                         "provider can resume it."), code=errors.NOT_ORDERABLE)
    # A held degrade retried after the restore would leave it degraded.
    _check_open_orders(subscription, OrderAction.SUSPEND, OrderAction.RESUME,
                       OrderAction.CANCEL, modify_kinds=(ModifyKind.DEGRADE,))
    order = order_open(subscription=subscription, action=OrderAction.RESUME, actor=actor,
                       initiator=initiator, reason=reason.strip(), channel=channel)
    execute(order, actor=actor)
    return order


# Cancellation -------------------------------------------------------------------------


@transaction.atomic
def subscription_cancel(*, subscription: Subscription, actor: User | None, initiator: str,
                        reason: str = "", effective_on: date | None = None,
                        channel: str = Channel.DESK, external_id: str = ""
                        ) -> SubscriptionOrder:
    """End the subscription: now, at a date, or (for the customer) after the
    notice period, with the early-termination fee inside the minimum term.
    Before activation it is aborted and everything it held is released."""
    subscription = lock_subscription(subscription)
    reason = reason.strip()
    if initiator == Initiator.PROVIDER and not reason:
        raise field_error("reason", _("Say why the provider cancels the subscription."),
                          code="required")
    if effective_on is not None and effective_on < timezone.localdate():
        raise field_error("effective_on", _("A cancellation cannot take effect in the past."),
                          code=errors.BAD_DATE)
    if subscription.state in (SubscriptionState.TERMINATED, SubscriptionState.ABORTED,
                              SubscriptionState.PENDING_TERMINATION):
        raise illegal(subscription, _("cancelled"))
    _check_open_orders(subscription, OrderAction.CANCEL)
    if subscription.state == SubscriptionState.PENDING_ACTIVATION:
        order = order_open(subscription=subscription, action=OrderAction.CANCEL, actor=actor,
                           initiator=initiator, reason=reason, channel=channel,
                           external_id=external_id)
        execute(order, actor=actor)
        return order
    terms = cancellation_terms(subscription=subscription, initiator=initiator,
                               requested_on=effective_on)
    order = order_open(subscription=subscription, action=OrderAction.CANCEL, actor=actor,
                       initiator=initiator, reason=reason, due_on=terms.effective_on,
                       channel=channel, external_id=external_id,
                       details={"effective_on": terms.effective_on.isoformat(),
                                "fee": str(terms.fee)})
    subscription.termination_initiator = initiator
    subscription.termination_reason = reason[:300]
    subscription.terminates_on = terms.effective_on
    fields = ("termination_initiator", "termination_reason", "terminates_on")
    if order.due_on is not None:
        transition(subscription, "schedule_termination", order=order, actor=actor,
                   what=_("cancelled"), fields=fields)
    else:
        subscription.save(update_fields=[*fields, "updated_at"])
        execute(order, actor=actor)
    return order


@transaction.atomic
def subscription_order_cancel(*, order: SubscriptionOrder, actor: User | None,
                              reason: str = "", channel: str = Channel.DESK
                              ) -> SubscriptionOrder:
    """Withdraw an order that has not finished: a scheduled change, a held
    order, or the order of a subscription not yet active (which aborts it)."""
    order = lock_order(order)
    subscription = lock_subscription(order.subscription_id)
    if not order.is_open:
        raise field_error("state", _("Order %(number)s is already %(state)s.")
                          % {"number": order.number, "state": order.state_label.lower()},
                          code=errors.ILLEGAL_TRANSITION)
    if order.action == OrderAction.NEW:
        return subscription_cancel(subscription=subscription, actor=actor,
                                   initiator=order.initiator, reason=reason or _("Withdrawn"),
                                   channel=channel)
    if order.state != OrderState.ACKNOWLEDGED and order.steps.exists():
        raise field_error("state", _("Commands of order %(number)s were already sent; place a "
                                     "new order to undo it.") % {"number": order.number},
                          code=errors.ORDER_IN_FLIGHT)
    order_cancel_row(order, actor=actor, reason=reason)
    if order.action == OrderAction.CANCEL and (
            subscription.state == SubscriptionState.PENDING_TERMINATION):
        subscription.termination_initiator = subscription.termination_reason = ""
        subscription.terminates_on = None
        name = ("withdraw_termination_suspended" if subscription.suspension_initiator
                else "withdraw_termination")
        transition(subscription, name, order=order, actor=actor,
                   what=_("kept"),
                   fields=("termination_initiator", "termination_reason", "terminates_on"))
    if order.action == OrderAction.RESUME and subscription.resume_on:
        subscription.resume_on = None
        subscription.save(update_fields=["resume_on", "updated_at"])
    return order


# Modifications ------------------------------------------------------------------------


def _modifiable(subscription: Subscription, what: str) -> None:
    if subscription.state not in (SubscriptionState.ACTIVE, SubscriptionState.SUSPENDED):
        raise illegal(subscription, what)
    _check_open_orders(subscription, OrderAction.NEW, OrderAction.MODIFY, OrderAction.CANCEL)


@transaction.atomic
def subscription_change_offer(*, subscription: Subscription, offer_version: OfferVersion,
                              actor: User | None, options: list[CatalogService] = (),
                              at_next_cycle: bool = False, channel: str = Channel.DESK,
                              external_id: str = "") -> SubscriptionOrder:
    """Move to another offer (up or down), now or at the next billing cycle:
    services it no longer has are disabled, new ones enabled, kept ones
    untouched."""
    subscription = lock_subscription(subscription)
    _modifiable(subscription, _("changed"))
    if subscription.state != SubscriptionState.ACTIVE:
        raise illegal(subscription, _("changed while suspended"))
    if offer_version.pk == subscription.offer_version_id:
        raise field_error("offer_version", _("The subscription already has this offer."),
                          code=errors.ALREADY_THERE)
    check_on_sale(offer_version, medium=subscription.access_medium,
                  postal_code=subscription.service_address.postal_code)
    chosen = _chosen_services(offer_version, list(options))
    services = [service for service, _role, _price in chosen]
    check_element_managers(services)
    check_serviceable(subscription.service_address, subscription.access_medium, services)
    change = offer_change(subscription=subscription, version=offer_version,
                          options=list(options), at_next_cycle=at_next_cycle)
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.CHANGE_OFFER, actor=actor,
                       due_on=change.effective_on, channel=channel, external_id=external_id,
                       details={"offer_version": offer_version.pk,
                                "offer": offer_version.offer.code,
                                "version": offer_version.number,
                                "options": [service.pk for service in options],
                                "monthly_before": str(change.monthly_before),
                                "monthly_after": str(change.monthly_after)})
    if order.due_on is None:
        execute(order, actor=actor)
    return order


@transaction.atomic
def subscription_add_option(*, subscription: Subscription, service: CatalogService,
                            actor: User | None, channel: str = Channel.DESK
                            ) -> SubscriptionOrder:
    subscription = lock_subscription(subscription)
    _modifiable(subscription, _("changed"))
    if subscription.state != SubscriptionState.ACTIVE:
        raise illegal(subscription, _("changed while suspended"))
    chosen = _chosen_services(subscription.offer_version, [service])
    if any(item.service_id == service.pk for item in live_items(subscription)):
        raise field_error("service", _("The subscription already has %(service)s.")
                          % {"service": service.name}, code=errors.ALREADY_THERE)
    check_element_managers([service])
    check_serviceable(subscription.service_address, subscription.access_medium, [service])
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.ADD_OPTION, actor=actor, channel=channel,
                       details={"service": service.pk, "price": str(chosen[-1][2])})
    execute(order, actor=actor)
    return order


@transaction.atomic
def subscription_remove_option(*, subscription: Subscription, service: CatalogService,
                               actor: User | None, channel: str = Channel.DESK
                               ) -> SubscriptionOrder:
    subscription = lock_subscription(subscription)
    _modifiable(subscription, _("changed"))
    item = next((item for item in live_items(subscription) if item.service_id == service.pk),
                None)
    if item is None or item.role != ItemRole.OPTION:
        raise field_error("service", _("%(service)s is not an option of this subscription.")
                          % {"service": service.name}, code=errors.NOT_THERE)
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.REMOVE_OPTION, actor=actor, channel=channel,
                       details={"service": service.pk})
    execute(order, actor=actor)
    return order


@transaction.atomic
def subscription_add_user(*, subscription: Subscription, user: UserSpec, actor: User | None,
                          channel: str = Channel.DESK) -> SubscriptionOrder:
    subscription = lock_subscription(subscription)
    _modifiable(subscription, _("changed"))
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.ADD_USER, actor=actor, channel=channel,
                       details={"service_user": user.service_user.pk})
    added = _add_user(subscription, user)
    order_start(order, actor=actor)
    milestone(order, "user_added", _("%(user)s may use the subscription.")
              % {"user": added.service_user}, actor=actor)
    order_try_complete(order)
    return order


@transaction.atomic
def subscription_remove_user(*, subscription_user: SubscriptionUser, actor: User | None,
                             channel: str = Channel.DESK) -> SubscriptionOrder:
    subscription = lock_subscription(subscription_user.subscription_id)
    _modifiable(subscription, _("changed"))
    user = SubscriptionUser.objects.select_for_update().get(pk=subscription_user.pk)
    if not user.is_active:
        raise field_error("user", _("%(user)s no longer uses this subscription.")
                          % {"user": user.service_user}, code=errors.NOT_THERE)
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.REMOVE_USER, actor=actor, channel=channel,
                       details={"service_user": user.service_user_id})
    user.is_active, user.removed_at = False, timezone.now()
    user.save(update_fields=["is_active", "removed_at"])
    order_start(order, actor=actor)
    milestone(order, "user_removed", _("%(user)s no longer uses the subscription.")
              % {"user": user.service_user}, actor=actor)
    order_try_complete(order)
    return order


@transaction.atomic
def subscription_move(*, subscription: Subscription, address: Address, actor: User | None,
                      channel: str = Channel.DESK) -> SubscriptionOrder:
    """Move the service to another address of the customer: the network
    re-provisions it there, and a technician goes when the medium needs it."""
    subscription = lock_subscription(subscription)
    _modifiable(subscription, _("moved"))
    if subscription.state != SubscriptionState.ACTIVE:
        raise illegal(subscription, _("moved"))
    if address.customer_id != subscription.customer_id or not address.is_active:
        raise field_error("address", _("Choose one of the customer's addresses."),
                          code=errors.WRONG_CUSTOMER)
    if address.pk == subscription.service_address_id:
        raise field_error("address", _("The service is already at this address."),
                          code=errors.ALREADY_THERE)
    services = [item.service for item in live_items(subscription)]
    check_serviceable(address, subscription.access_medium, services, field="address")
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.MOVE, actor=actor, channel=channel,
                       details={"from_address": subscription.service_address_id,
                                "to_address": address.pk})
    execute(order, actor=actor)
    return order


@transaction.atomic
def subscription_change_owner(*, subscription: Subscription, customer: Customer,
                              billing_account: BillingAccount, service_address: Address,
                              actor: User | None, users: list[UserSpec] = (),
                              channel: str = Channel.DESK) -> SubscriptionOrder:
    """Pass the subscription to another customer, who pays from now on with
    their own account; the service and equipment stay where they are."""
    subscription = lock_subscription(subscription)
    _modifiable(subscription, _("passed on"))
    if customer.pk == subscription.customer_id:
        raise field_error("customer", _("This customer already owns the subscription."),
                          code=errors.ALREADY_THERE)
    if customer.status == CustomerStatus.FORMER:
        raise field_error("customer", _("A former customer must be reactivated first."),
                          code=errors.WRONG_CUSTOMER)
    if billing_account.customer_id != customer.pk:
        raise field_error("billing_account", _("This billing account belongs to another "
                                               "customer."), code=errors.WRONG_CUSTOMER)
    if billing_account.status != AccountStatus.ACTIVE:
        raise field_error("billing_account", _("This billing account is closed."),
                          code=errors.ACCOUNT_CLOSED)
    if service_address.customer_id != customer.pk or not service_address.is_active:
        raise field_error("service_address", _("Choose one of the new owner's addresses."),
                          code=errors.WRONG_CUSTOMER)
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.CHANGE_OWNER, actor=actor, channel=channel,
                       details={"from_customer": subscription.customer.number,
                                "to_customer": customer.number})
    order_start(order, actor=actor)
    old_customer = subscription.customer
    now = timezone.now()
    subscription.users.filter(is_active=True).update(is_active=False, removed_at=now)
    subscription.customer, subscription.billing_account = customer, billing_account
    subscription.service_address = service_address
    subscription.save(update_fields=["customer", "billing_account", "service_address",
                                     "updated_at"])
    for item in EquipmentItem.objects.filter(
            subscription_ref=subscription.number,
            state__in=[EquipmentState.INSTALLED, EquipmentState.RESERVED]):
        inventory.equipment_item_change_owner(item=item, customer=customer,
                                              service_address=service_address, actor=actor,
                                              subscription_ref=subscription.number,
                                              reason=order.number)
    for spec in users:
        _add_user(subscription, spec)
    milestone(order, "owner_changed", _("Passed from %(old)s to %(new)s.")
              % {"old": old_customer.number, "new": customer.number}, actor=actor)
    order_try_complete(order)
    return order


# Pay-per-view -------------------------------------------------------------------------


def showing_starts(event: ProgrammeEvent) -> list[datetime]:
    return [event.starts_at + timedelta(minutes=event.repeat_every_minutes * index)
            for index in range(event.showings)]


@transaction.atomic
def pay_per_view_order(*, subscription: Subscription, user: SubscriptionUser,
                       event: ProgrammeEvent, showing_starts_at: datetime,
                       actor: User | None, channel: str = Channel.DESK) -> SubscriptionOrder:
    """Buy a pay-per-view event (or a near-video-on-demand showing) for a
    user: within their rights and monthly limit, authorised on the
    subscription's smart card by the conditional-access system, charged once."""
    subscription = lock_subscription(subscription)
    user = SubscriptionUser.objects.select_for_update().select_related("service_user").get(
        pk=user.pk)
    if subscription.state != SubscriptionState.ACTIVE:
        raise illegal(subscription, _("used for pay-per-view"))
    if subscription.degraded:
        raise field_error("event", _("Pay-per-view is blocked on this subscription."),
                          code=errors.PPV_BLOCKED)
    if user.subscription_id != subscription.pk or not user.is_active:
        raise field_error("user", _("Choose a user of this subscription."),
                          code=errors.WRONG_CUSTOMER)
    if not user.ppv_allowed:
        raise field_error("user", _("%(user)s may not buy pay-per-view.")
                          % {"user": user.service_user}, code=errors.PPV_BLOCKED)
    if event.service.kind not in PROGRAMME_KINDS_BOUGHT_AHEAD:
        raise field_error("event", _("Impulse pay-per-view is bought on the set-top box."),
                          code=errors.NOT_ORDERABLE)
    item = next((item for item in live_items(subscription)
                 if item.service_id == event.service_id and item.state == ItemState.ACTIVE),
                None)
    if item is None:
        raise field_error("event", _("The subscription does not include %(service)s.")
                          % {"service": event.service.name}, code=errors.NOT_THERE)
    if not event.is_active:
        raise field_error("event", _("This event is no longer on sale."),
                          code=errors.NOT_ON_SALE)
    if showing_starts_at not in showing_starts(event):
        raise field_error("showing_starts_at", _("Choose one of the event's showings."),
                          code="invalid")
    if showing_starts_at <= timezone.now():
        raise field_error("showing_starts_at", _("This showing has already started."),
                          code=errors.BAD_DATE)
    if user.ppv_monthly_limit is not None:
        month_start = timezone.localdate().replace(day=1)
        spent = (PayPerViewPurchase.objects.filter(user=user, created_at__date__gte=month_start)
                 .aggregate(total=Sum("price"))["total"] or Decimal("0"))
        if spent + event.price > user.ppv_monthly_limit:
            raise field_error("event", _("%(user)s has %(left)s left of their %(limit)s monthly "
                                         "pay-per-view limit.")
                              % {"user": user.service_user,
                                 "left": format_money(max(user.ppv_monthly_limit - spent,
                                                          Decimal("0")), event.currency),
                                 "limit": format_money(user.ppv_monthly_limit,
                                                       event.currency)},
                              code=errors.SPEND_LIMIT)
    card = _smart_card_serial(subscription)
    if not card:
        raise field_error("event", _("The subscription has no smart card to authorise."),
                          code=errors.NO_EQUIPMENT)
    if PayPerViewPurchase.objects.filter(subscription=subscription, event=event,
                                         showing_starts_at=showing_starts_at).exists():
        raise field_error("showing_starts_at", _("This showing was already bought."),
                          code=errors.ALREADY_THERE)
    order = order_open(subscription=subscription, action=OrderAction.MODIFY,
                       modify_kind=ModifyKind.PAY_PER_VIEW, actor=actor, channel=channel,
                       details={"event": event.pk, "title": event.title,
                                "showing": showing_starts_at.isoformat(), "user": user.pk})
    PayPerViewPurchase.objects.create(order=order, subscription=subscription, user=user,
                                      event=event, showing_starts_at=showing_starts_at,
                                      price=event.price)
    order_start(order, actor=actor)
    end = showing_starts_at + timedelta(minutes=event.duration_minutes)
    command(order, item, "authorise_device", actor=actor, device_serial=card,
            characteristics={"event": str(event.pk), "title": event.title,
                             "windowStart": showing_starts_at.isoformat(),
                             "windowEnd": end.isoformat()})
    if event.price:
        _charge(order, subscription, ChargeKind.PAY_PER_VIEW, event.price,
                _("%(title)s, %(when)s") % {
                    "title": event.title,
                    "when": f"{timezone.localtime(showing_starts_at):%Y-%m-%d %H:%M}"})
    order_try_complete(order)
    return order


# Carrying out an order ----------------------------------------------------------------


def execute(order: SubscriptionOrder, *, actor: User | None) -> None:
    """Carry out an order that is due: change the subscription and send the
    commands. Called at once for orders due now, and by the daily run for
    orders due at a date."""
    subscription = lock_subscription(order.subscription_id)
    order.subscription = subscription
    order_start(order, actor=actor)
    handler = EXECUTORS[order.modify_kind or order.action]
    handler(order, subscription, actor)
    order_try_complete(order)


def _execute_suspend(order: SubscriptionOrder, subscription: Subscription,
                     actor: User | None) -> None:
    resume_on = order.details.get("resume_on") or None
    subscription.suspension_initiator = order.initiator
    subscription.suspension_reason = order.reason
    subscription.resume_on = date.fromisoformat(resume_on) if resume_on else None
    transition(subscription, "suspend", order=order, actor=actor, what=_("suspended"),
               fields=("suspension_initiator", "suspension_reason", "resume_on"))
    _send(order, subscription, suspend_steps(subscription), actor)
    if subscription.resume_on is not None:
        resume = order_open(subscription=subscription, action=OrderAction.RESUME, actor=actor,
                            initiator=order.initiator, due_on=subscription.resume_on,
                            reason=_("End of the suspension of order %(number)s")
                            % {"number": order.number}, channel=Channel.SYSTEM)
        milestone(order, "resume_planned", _("Resumes by itself on %(date)s (order %(number)s).")
                  % {"date": subscription.resume_on.isoformat(), "number": resume.number},
                  actor=actor)


def _execute_degrade(order: SubscriptionOrder, subscription: Subscription,
                     actor: User | None) -> None:
    steps = degrade_steps(subscription)
    subscription.degraded = True
    subscription.save(update_fields=["degraded", "updated_at"])
    _send(order, subscription, steps, actor)


def _execute_resume(order: SubscriptionOrder, subscription: Subscription,
                    actor: User | None) -> None:
    restore = order.initiator == Initiator.PROVIDER
    steps = resume_steps(subscription, restore=restore)
    if subscription.state == SubscriptionState.SUSPENDED:
        subscription.suspension_initiator = subscription.suspension_reason = ""
        subscription.resume_on = None
        if restore:
            subscription.degraded = False
        transition(subscription, "resume", order=order, actor=actor, what=_("resumed"),
                   fields=("suspension_initiator", "suspension_reason", "resume_on",
                           "degraded"))
    elif subscription.state == SubscriptionState.PENDING_TERMINATION and (
            subscription.suspension_initiator):
        # Back on until the cancellation takes effect.
        subscription.suspension_initiator = subscription.suspension_reason = ""
        subscription.resume_on = None
        if restore:
            subscription.degraded = False
        subscription.save(update_fields=["suspension_initiator", "suspension_reason",
                                         "resume_on", "degraded", "updated_at"])
    elif subscription.degraded and restore:
        subscription.degraded = False
        subscription.save(update_fields=["degraded", "updated_at"])
    else:
        milestone(order, "nothing_to_do", _("The service was already back."), actor=actor)
        return
    _send(order, subscription, steps, actor)
    # A holiday resumed early: its planned resumption has nothing left to do.
    for planned in subscription.orders.filter(action=OrderAction.RESUME,
                                              state=OrderState.ACKNOWLEDGED).exclude(
                                                  pk=order.pk):
        order_cancel_row(planned, actor=actor,
                         reason=_("resumed by order %(number)s") % {"number": order.number})


def _execute_cancel(order: SubscriptionOrder, subscription: Subscription,
                    actor: User | None) -> None:
    for other in subscription.orders.filter(state__in=[
            OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS, OrderState.HELD]).exclude(
                pk=order.pk).select_for_update():
        order_cancel_row(other, actor=actor,
                         reason=_("cancelled by order %(number)s") % {"number": order.number})
    if subscription.state == SubscriptionState.PENDING_ACTIVATION:
        _release_equipment(subscription, order, actor)
        _cancel_visits(subscription, order, actor)
        subscription.termination_initiator = order.initiator
        subscription.termination_reason = order.reason
        subscription.terminated_at = timezone.now()
        transition(subscription, "abort", order=order, actor=actor, what=_("cancelled"),
                   fields=("termination_initiator", "termination_reason", "terminated_at"))
        _send(order, subscription, disable_steps(subscription), actor)
        _drop_pending_items(subscription)
        return
    terms = cancellation_terms(subscription=subscription, initiator=order.initiator,
                               requested_on=order.due_on)
    subscription.terminated_at = timezone.now()
    # Nothing is left at the element managers to be degraded or suspended.
    subscription.degraded = False
    subscription.users.filter(is_active=True).update(is_active=False,
                                                     removed_at=subscription.terminated_at)
    transition(subscription, "terminate", order=order, actor=actor, what=_("terminated"),
               fields=("terminated_at", "degraded"))
    _send(order, subscription, terms.steps, actor)
    _drop_pending_items(subscription)
    _release_equipment(subscription, order, actor)
    _cancel_visits(subscription, order, actor)
    if terms.to_recover:
        plan_visit(order, [], [], actor=actor, kind=WorkOrderKind.RECOVER,
                   recover=terms.to_recover)
        # Collecting equipment does not hold the termination up.
        order.needs_visit = False
        order.save(update_fields=["needs_visit"])
    fee = Decimal(order.details.get("fee") or "0")
    if fee:
        _charge(order, subscription, ChargeKind.EARLY_TERMINATION_FEE, fee,
                _("Early termination, %(offer)s") % {"offer":
                                                     subscription.offer_version.offer.name})
    ended = subscription
    transaction.on_commit(lambda: signals.subscription_terminated.send(
        sender=Subscription, subscription=ended))


def _drop_pending_items(subscription: Subscription) -> None:
    """Services never enabled (added while suspended) have nothing to
    disable: an ended subscription keeps no live service."""
    subscription.items.filter(state=ItemState.PENDING).update(state=ItemState.REMOVED,
                                                             removed_at=timezone.now())


def _execute_change_offer(order: SubscriptionOrder, subscription: Subscription,
                          actor: User | None) -> None:
    version = OfferVersion.objects.get(pk=order.details["offer_version"])
    options = list(CatalogService.objects.filter(pk__in=order.details.get("options") or []))
    change = offer_change(subscription=subscription, version=version, options=options,
                          at_next_cycle=False)
    prices = {item.service_id: item.option_monthly_price for item in version.items.all()}
    roles = {item.service_id: item.role for item in version.items.all()}
    for item in change.removed:
        if item.state == ItemState.PENDING:
            item.state, item.removed_at = ItemState.REMOVED, timezone.now()
            item.save(update_fields=["state", "removed_at"])
        else:
            command(order, item, "disable", actor=actor)
    for item in change.kept:
        item.role = roles[item.service_id]
        item.monthly_price = prices[item.service_id] if item.role == ItemRole.OPTION else 0
        item.save(update_fields=["role", "monthly_price"])
    before = subscription.offer_version
    subscription.offer_version = version
    if version.minimum_term_months:
        new_end = add_months(timezone.localdate(), version.minimum_term_months)
        if subscription.commitment_ends_on is None or new_end > subscription.commitment_ends_on:
            subscription.commitment_ends_on = new_end
    subscription.save(update_fields=["offer_version", "commitment_ends_on", "updated_at"])
    milestone(order, "offer_changed", _("Offer changed from %(old)s to %(new)s.")
              % {"old": before, "new": version}, actor=actor)
    added = []
    for service in change.added:
        added.append(SubscriptionItem.objects.create(
            subscription=subscription, service=service, role=roles[service.pk],
            monthly_price=prices[service.pk] if roles[service.pk] == ItemRole.OPTION else 0))
    _provide(order, subscription, added, actor)


def _provide(order: SubscriptionOrder, subscription: Subscription,
             items: list[SubscriptionItem], actor: User | None) -> None:
    """Equipment, visit and enable commands for services newly added."""
    if not items:
        return
    services = [item.service for item in items]
    reserved = reserve_equipment(order, services, actor=actor)
    if reserved:
        plan_visit(order, services, reserved, actor=actor)
    card = _smart_card_serial(subscription)
    # Suspended, or suspended and cancelled with effect at a later date.
    suspended = subscription.state == SubscriptionState.SUSPENDED or bool(
        subscription.suspension_initiator)
    for item in items:
        if suspended:
            # Enabled when the subscription resumes.
            continue
        command(order, item, "enable", actor=actor,
                characteristics={"smartCard": card} if card and item.service.credential_kind
                else None)
        if subscription.degraded and item.service.kind in DEGRADE_PROFILES:
            # The provider's degrade holds for services added meanwhile too:
            # a change of offer is no way out of it.
            command(order, item, "degrade", actor=actor)


def _execute_add_option(order: SubscriptionOrder, subscription: Subscription,
                        actor: User | None) -> None:
    service = CatalogService.objects.get(pk=order.details["service"])
    item = SubscriptionItem.objects.create(subscription=subscription, service=service,
                                           role=ItemRole.OPTION,
                                           monthly_price=Decimal(order.details["price"]))
    _provide(order, subscription, [item], actor)


def _execute_remove_option(order: SubscriptionOrder, subscription: Subscription,
                           actor: User | None) -> None:
    item = next(item for item in live_items(subscription)
                if item.service_id == order.details["service"])
    if item.state == ItemState.PENDING:
        item.state, item.removed_at = ItemState.REMOVED, timezone.now()
        item.save(update_fields=["state", "removed_at"])
        return
    command(order, item, "disable", actor=actor)


def _execute_move(order: SubscriptionOrder, subscription: Subscription,
                  actor: User | None) -> None:
    address = Address.objects.get(pk=order.details["to_address"])
    items = [item for item in live_items(subscription) if item.state == ItemState.ACTIVE]
    for item in items:
        command(order, item, "disable", actor=actor)
    subscription.service_address = address
    subscription.save(update_fields=["service_address", "updated_at"])
    for equipment in EquipmentItem.objects.filter(subscription_ref=subscription.number,
                                                  state=EquipmentState.INSTALLED):
        inventory.equipment_item_change_owner(item=equipment, customer=subscription.customer,
                                              service_address=address, actor=actor,
                                              subscription_ref=subscription.number,
                                              reason=_("Moved by order %(number)s")
                                              % {"number": order.number})
    milestone(order, "moved", _("Service address is now %(address)s.") % {"address": address},
              actor=actor)
    card = _smart_card_serial(subscription)
    for item in items:
        command(order, item, "enable", actor=actor,
                characteristics={"smartCard": card} if card and item.service.credential_kind
                else None)
        if item.degraded:
            command(order, item, "degrade", actor=actor)
    plan_visit(order, [item.service for item in items], [], actor=actor)


EXECUTORS: dict[str, Any] = {
    OrderAction.SUSPEND: _execute_suspend,
    OrderAction.RESUME: _execute_resume,
    OrderAction.CANCEL: _execute_cancel,
    ModifyKind.DEGRADE: _execute_degrade,
    ModifyKind.CHANGE_OFFER: _execute_change_offer,
    ModifyKind.ADD_OPTION: _execute_add_option,
    ModifyKind.REMOVE_OPTION: _execute_remove_option,
    ModifyKind.MOVE: _execute_move,
}


def _send(order: SubscriptionOrder, subscription: Subscription, steps, actor: User | None
          ) -> None:
    items = {item.service_id: item for item in live_items(subscription)}
    for step in steps:
        item = items.get(step.service.pk)
        if item is not None:
            command(order, item, step.command, actor=actor)


def orders_run_due(*, on: date | None = None) -> list[str]:
    """Carry out every acknowledged order whose date has come (holiday
    ends, cancellations after notice, offer changes at the next cycle).
    One order per transaction; an order that can no longer be carried out
    is held with the reason."""
    day = on or timezone.localdate()
    done: list[str] = []
    for order_id in (SubscriptionOrder.objects.filter(state=OrderState.ACKNOWLEDGED,
                                                      due_on__lte=day)
                     .order_by("due_on", "id").values_list("id", flat=True)):
        try:
            with transaction.atomic():
                order = lock_order(order_id)
                if order.state != OrderState.ACKNOWLEDGED:
                    continue
                execute(order, actor=None)
                done.append(order.number)
        except ValidationError as error:
            with transaction.atomic():
                order = lock_order(order_id)
                if order.is_open:
                    order_hold(order, reason="; ".join(error.messages))
    return done
