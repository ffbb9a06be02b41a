"""Moves of one item on its way to a customer and back: reserve, release,
hand over, install, recover, swap, the warehouse's own actions, losses and
thefts (with the blacklist command and the non-return fee), and pairing.

Subscriptions, work orders and tickets sit above inventory and call these;
they pass their references as opaque strings."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import Address, Customer
from integrations.adapters.kinds import service_order_kind
from integrations.selectors import service_management_system_for
from integrations.services import outbox_enqueue
from inventory import errors
from inventory.choices import (
    ADDRESSABLE_KINDS,
    PAIRABLE,
    STATES_GONE,
    ChargeKind,
    ChargeStatus,
    ItemState,
    MovementAction,
    SupplyTerms,
    WarehouseAction,
)
from inventory.models import (
    EquipmentCharge,
    EquipmentInstallation,
    EquipmentItem,
    EquipmentMovement,
    StockLocation,
)
from inventory.services._common import (
    KEEP,
    apply,
    check_location,
    check_service_address,
    check_van,
    held_elsewhere,
    illegal_move,
    lock_item,
    lock_items,
    record_without_move,
)
from sesmu.audit import audit_record
from sesmu.errors import field_error
from sesmu.models import AuditAction, User


def _audit(item: EquipmentItem, movement: EquipmentMovement, actor: User | None) -> None:
    audit_record(
        actor=actor, action=AuditAction.TRANSITION, target=item,
        customer_id=movement.customer_id,
        changes={"state": [movement.from_state, movement.to_state],
                 "location": [movement.from_location_id, movement.to_location_id],
                 "action": movement.action},
    )


@transaction.atomic
def equipment_item_reserve(
    *,
    item: EquipmentItem,
    customer: Customer,
    actor: User | None,
    subscription_ref: str = "",
    reason: str = "",
) -> EquipmentItem:
    """Set an item in stock aside for a customer's subscription order. Of
    two orders racing for one item, the second waits for the first's lock
    and is refused, naming who has it."""
    item = lock_item(item)
    if item.state != ItemState.IN_STOCK:
        raise held_elsewhere(item)
    movement = apply(item, "reserve", action=MovementAction.RESERVED, actor=actor,
                     customer=customer, subscription_ref=subscription_ref, reason=reason)
    _audit(item, movement, actor)
    return item


@transaction.atomic
def equipment_item_release(*, item: EquipmentItem, actor: User | None,
                           reason: str = "") -> EquipmentItem:
    """The order no longer needs the item: it is free stock again where it is."""
    item = lock_item(item)
    movement = apply(item, "release", action=MovementAction.RELEASED, actor=actor,
                     customer=None, subscription_ref="", reason=reason)
    _audit(item, movement, actor)
    return item


@transaction.atomic
def equipment_item_hand_over(*, item: EquipmentItem, van: StockLocation, actor: User | None,
                             work_order_ref: str = "", reason: str = "") -> EquipmentItem:
    """A technician takes a reserved item in the van for the customer's visit."""
    check_van(van, field="van")
    item = lock_item(item)
    movement = apply(item, "hand_over", action=MovementAction.HANDED_OVER, actor=actor,
                     location=van, work_order_ref=work_order_ref, reason=reason)
    _audit(item, movement, actor)
    return item


@transaction.atomic
def equipment_item_install(
    *,
    item: EquipmentItem,
    customer: Customer,
    service_address: Address | None,
    actor: User | None,
    subscription_ref: str = "",
    work_order_ref: str = "",
    ticket_ref: str = "",
    reason: str = "",
) -> EquipmentItem:
    """The item works at the customer's service address. An item reserved
    for another customer, or installed anywhere, is refused; the partial
    unique index on open installations backs the check up."""
    check_service_address(customer, service_address)
    item = lock_item(item)
    held_for_other = (
        item.state in (ItemState.RESERVED, ItemState.WITH_TECHNICIAN)
        and item.customer_id != customer.pk
    )
    if item.state == ItemState.INSTALLED or held_for_other:
        raise held_elsewhere(item)
    subscription_ref = subscription_ref or (item.subscription_ref if item.customer_id else "")
    movement = apply(
        item, "install", action=MovementAction.INSTALLED, actor=actor, location=None,
        customer=customer, service_address=service_address, subscription_ref=subscription_ref,
        work_order_ref=work_order_ref, ticket_ref=ticket_ref, reason=reason,
    )
    try:
        with transaction.atomic():
            EquipmentInstallation.objects.create(
                item=item, customer=customer, service_address=service_address,
                subscription_ref=subscription_ref, work_order_ref=work_order_ref[:40],
                installed_at=movement.created_at or timezone.now(),
            )
    except IntegrityError:
        raise field_error("item", _("Item %(serial)s is already installed somewhere else.")
                          % {"serial": item.serial_number}, code=errors.ALREADY_INSTALLED)
    _audit(item, movement, actor)
    return item


def _close_installation(item: EquipmentItem, reason: str) -> None:
    EquipmentInstallation.objects.filter(item=item, removed_at__isnull=True).update(
        removed_at=timezone.now(), removal_reason=reason[:200]
    )


@transaction.atomic
def equipment_item_recover(
    *,
    item: EquipmentItem,
    location: StockLocation,
    actor: User | None,
    faulty: bool = False,
    work_order_ref: str = "",
    ticket_ref: str = "",
    reason: str = "",
) -> EquipmentItem:
    """Take an installed item back from the customer into a van or a
    warehouse; `faulty` records that it does not work."""
    check_location(location)
    item = lock_item(item)
    movement = apply(
        item, "recover", action=MovementAction.RECOVERED, actor=actor, location=location,
        customer=None, service_address=None, subscription_ref="",
        work_order_ref=work_order_ref, ticket_ref=ticket_ref, reason=reason,
    )
    _close_installation(item, reason or _("Recovered"))
    _audit(item, movement, actor)
    if faulty:
        movement = apply(item, "mark_faulty", action=MovementAction.MARKED_FAULTY, actor=actor,
                         work_order_ref=work_order_ref, ticket_ref=ticket_ref, reason=reason)
        _audit(item, movement, actor)
    return item


@transaction.atomic
def equipment_item_change_owner(*, item: EquipmentItem, customer: Customer,
                                service_address: Address, actor: User | None,
                                subscription_ref: str = "", reason: str = "") -> EquipmentItem:
    """The subscription the item works for passed to another customer: the
    item stays where it is, now theirs (a change of owner, not a move)."""
    check_service_address(customer, service_address)
    item = lock_item(item)
    if item.state not in (ItemState.INSTALLED, ItemState.RESERVED, ItemState.WITH_TECHNICIAN):
        raise illegal_move(item, "install")
    from_customer_id, from_address_id = item.customer_id, item.service_address_id
    item.customer, item.service_address = customer, service_address
    item.subscription_ref = subscription_ref or item.subscription_ref
    item.save(update_fields=["customer", "service_address", "subscription_ref", "updated_at"])
    if item.state == ItemState.INSTALLED:
        _close_installation(item, reason or _("New owner"))
        EquipmentInstallation.objects.create(
            item=item, customer=customer, service_address=service_address,
            subscription_ref=item.subscription_ref, installed_at=timezone.now())
    movement = EquipmentMovement.objects.create(
        item=item, action=MovementAction.OWNER_CHANGED, from_state=item.state,
        to_state=item.state, from_location_id=item.location_id,
        to_location_id=item.location_id, customer_id=customer.pk,
        service_address_id=service_address.pk, subscription_ref=item.subscription_ref,
        reason=(reason or _("From customer %(old)s, address %(address)s")
                % {"old": from_customer_id, "address": from_address_id})[:300],
        actor=actor if actor is not None and actor.pk else None,
    )
    _audit(item, movement, actor)
    return item


@transaction.atomic
def equipment_item_swap(
    *,
    old_item: EquipmentItem,
    new_item: EquipmentItem,
    actor: User | None,
    location: StockLocation | None = None,
    faulty: bool = True,
    work_order_ref: str = "",
    ticket_ref: str = "",
    reason: str = "",
) -> EquipmentItem:
    """Replace an installed item by another at the same customer, address
    and subscription. The old one goes to `location` (by default where the
    new one came from, usually the technician's van), faulty unless told
    otherwise. A smart card paired with the old box is paired with the new."""
    old_item, new_item = (
        {item.pk: item for item in lock_items([old_item.pk, new_item.pk])}[pk]
        for pk in (old_item.pk, new_item.pk)
    )
    if old_item.pk == new_item.pk:
        raise field_error("new_item", _("Choose a different item to put in."),
                          code=errors.ITEM_NOT_AVAILABLE)
    if old_item.state != ItemState.INSTALLED:
        raise field_error("old_item", _("Item %(serial)s is not installed at a customer.")
                          % {"serial": old_item.serial_number}, code=errors.ILLEGAL_MOVE)
    if new_item.model.kind != old_item.model.kind:
        raise field_error(
            "new_item",
            _("A %(old)s can only be swapped for another %(old)s, not a %(new)s.")
            % {"old": old_item.model.kind_label, "new": new_item.model.kind_label},
            code=errors.ILLEGAL_MOVE,
        )
    destination = location or new_item.location
    if destination is None:
        raise field_error("location", _("Choose where the old item goes."), code="required")
    customer, address = old_item.customer, old_item.service_address
    subscription_ref = old_item.subscription_ref
    card = EquipmentItem.objects.select_for_update().filter(paired_with=old_item).first()
    if card is not None:
        card.paired_with = None
        card.save(update_fields=["paired_with", "updated_at"])
        record_without_move(card, action=MovementAction.UNPAIRED, actor=actor,
                            reason=_("Unpaired from %(serial)s (swapped out)")
                            % {"serial": old_item.serial_number})
    # A card swapped out leaves its box to the new card: the old one would
    # otherwise keep the box, and the new one could never be paired with it.
    box = old_item.paired_with if old_item.paired_with_id else None
    if box is not None:
        old_item.paired_with = None
        old_item.save(update_fields=["paired_with", "updated_at"])
        record_without_move(old_item, action=MovementAction.UNPAIRED, actor=actor,
                            reason=_("Unpaired from %(serial)s (swapped out)")
                            % {"serial": box.serial_number})
    why = reason or _("Swapped for %(serial)s") % {"serial": new_item.serial_number}
    equipment_item_recover(item=old_item, location=destination, actor=actor, faulty=faulty,
                           work_order_ref=work_order_ref, ticket_ref=ticket_ref, reason=why)
    equipment_item_install(
        item=new_item, customer=customer, service_address=address, actor=actor,
        subscription_ref=subscription_ref, work_order_ref=work_order_ref, ticket_ref=ticket_ref,
        reason=reason or _("Replaces %(serial)s") % {"serial": old_item.serial_number},
    )
    if card is not None:
        equipment_item_pair(card=card, box=new_item, actor=actor)
    if box is not None:
        equipment_item_pair(card=new_item, box=box, actor=actor)
    return new_item


WAREHOUSE_TRANSITIONS = {
    WarehouseAction.RESTOCK: ("restock", MovementAction.RESTOCKED),
    WarehouseAction.SEND_TO_REPAIR: ("send_to_repair", MovementAction.SENT_TO_REPAIR),
    WarehouseAction.REPAIR: ("repair", MovementAction.REPAIRED),
    WarehouseAction.MARK_FAULTY: ("mark_faulty", MovementAction.MARKED_FAULTY),
    WarehouseAction.SCRAP: ("scrap", MovementAction.SCRAPPED),
    WarehouseAction.RETURN_TO_SUPPLIER: ("return_to_supplier",
                                         MovementAction.RETURNED_TO_SUPPLIER),
}


def warehouse_actions_for(item: EquipmentItem) -> list[WarehouseAction]:
    """The warehouse actions the item's state allows, for its page."""
    allowed = {transition.name for transition in item.get_available_state_transitions()}
    return [action for action, (name, _movement) in WAREHOUSE_TRANSITIONS.items()
            if name in allowed]


@transaction.atomic
def equipment_item_warehouse_action(
    *,
    item: EquipmentItem,
    action: str,
    actor: User | None,
    location: StockLocation | None = None,
    reason: str = "",
) -> EquipmentItem:
    """Restock, send to repair, mark repaired or faulty, scrap, or return to
    the supplier. `location` moves it at the same time (a repair centre)."""
    try:
        transition_name, movement_action = WAREHOUSE_TRANSITIONS[WarehouseAction(action)]
    except ValueError:
        raise field_error("action", _("Unknown action."), code="invalid_choice")
    item = lock_item(item)
    if location is not None:
        check_location(location)
    gone = transition_name in ("scrap", "return_to_supplier")
    if gone:
        place = None
    elif location is not None:
        place = location
    else:
        place = KEEP
    movement = apply(item, transition_name, action=movement_action, actor=actor,
                     location=place, reason=reason)
    _audit(item, movement, actor)
    if gone:
        _unpair_for_good(item, actor=actor)
    return item


def _unpair_for_good(item: EquipmentItem, *, actor: User | None) -> None:
    """An item gone for good (scrapped, back to the supplier) no longer holds
    its partner: the box can take a new card, the card a new box."""
    card = item if item.paired_with_id else EquipmentItem.objects.select_for_update().filter(
        paired_with=item).first()
    if card is None:
        return
    box_serial = card.paired_with.serial_number
    card.paired_with = None
    card.save(update_fields=["paired_with", "updated_at"])
    record_without_move(card, action=MovementAction.UNPAIRED, actor=actor,
                        reason=_("Unpaired from %(serial)s (%(why)s)")
                        % {"serial": box_serial, "why": item.state_label})


def _blacklist_command(item: EquipmentItem, *, command: str, movement: EquipmentMovement,
                       actor: User | None) -> None:
    """Tell the element manager of the item's service to block (or allow
    again) the device, in this transaction."""
    system = None
    for service_kind in item.model.service_kinds:
        system = service_management_system_for(service_kind)
        if system is not None:
            break
    if system is None:
        raise field_error(
            "item",
            _("No element manager is registered for the services of %(model)s, so %(serial)s "
              "cannot be blocked in the network. Register one under Integrations first.")
            % {"model": item.model, "serial": item.serial_number},
            code=errors.NO_ELEMENT_MANAGER,
        )
    customer_number = item.customer.number if item.customer_id else ""
    outbox_enqueue(
        destination=system,
        kind=service_order_kind(command),
        payload={
            "service_id": movement.subscription_ref or customer_number or item.serial_number,
            "subscriber": customer_number,
            "device_serial": item.network_identifier,
            "device_kind": item.model.kind,
        },
        idempotency_key=f"inventory-{command}-{item.pk}-{movement.pk}",
        # Blacklist and un-blacklist of one device arrive in the order made.
        ordering_key=f"device-{item.serial_number}",
        source_kind="inventory.equipmentitem",
        source_id=str(item.pk),
        actor=actor,
    )


@transaction.atomic
def equipment_item_declare_missing(
    *,
    item: EquipmentItem,
    stolen: bool,
    actor: User | None,
    reason: str = "",
    ticket_ref: str = "",
) -> EquipmentItem:
    """Declare an item lost or stolen. When it was installed at a customer's:
    a smart card, CA module or modem is blacklisted at its service's element
    manager (an outbox command in this transaction), and the model's
    non-return fee becomes a pending charge for billing."""
    item = lock_item(item)
    was_installed = item.state == ItemState.INSTALLED
    transition_name = "declare_stolen" if stolen else "declare_lost"
    action = MovementAction.DECLARED_STOLEN if stolen else MovementAction.DECLARED_LOST
    # Only an item lost at the customer's home stays theirs (their equipment
    # list, their fee); one reserved for them and lost in a warehouse or a
    # van never reached them. The movement row keeps whom it was held for.
    movement = apply(item, transition_name, action=action, actor=actor, location=None,
                     customer=KEEP if was_installed else None,
                     subscription_ref=KEEP if was_installed else "",
                     reason=reason, ticket_ref=ticket_ref)
    if was_installed:
        _close_installation(item, reason or movement.to_state_label)
        if item.model.kind in ADDRESSABLE_KINDS and not item.is_blacklisted:
            _blacklist_command(item, command="blacklist_device", movement=movement, actor=actor)
            item.is_blacklisted = True
            item.save(update_fields=["is_blacklisted", "updated_at"])
        fee = item.model.non_return_fee
        if item.model.supply_terms != SupplyTerms.SOLD and fee > 0:
            EquipmentCharge.objects.create(
                customer_id=item.customer_id, item=item, kind=ChargeKind.NON_RETURN,
                amount=fee, currency=item.model.currency,
                subscription_ref=item.subscription_ref, movement=movement,
                reason=reason[:300] or movement.action_label,
                created_by=actor if actor is not None and actor.pk else None,
            )
    _audit(item, movement, actor)
    return item


@transaction.atomic
def equipment_item_found(*, item: EquipmentItem, location: StockLocation, actor: User | None,
                         reason: str = "") -> EquipmentItem:
    """A lost or stolen item is back: it is returned at `location` to be
    checked, un-blacklisted in the network if it was blocked, and a pending
    non-return fee for it is cancelled."""
    check_location(location)
    item = lock_item(item)
    was_with = item.customer
    movement = apply(item, "find", action=MovementAction.FOUND, actor=actor, location=location,
                     customer=None, service_address=None, subscription_ref="", reason=reason)
    if item.is_blacklisted:
        item.customer = was_with  # the command names who had it
        _blacklist_command(item, command="unblacklist_device", movement=movement, actor=actor)
        item.customer = None
        item.is_blacklisted = False
        item.save(update_fields=["is_blacklisted", "updated_at"])
    EquipmentCharge.objects.filter(item=item, status=ChargeStatus.PENDING).update(
        status=ChargeStatus.CANCELLED, updated_at=timezone.now()
    )
    _audit(item, movement, actor)
    return item


@transaction.atomic
def equipment_item_pair(*, card: EquipmentItem, box: EquipmentItem,
                        actor: User | None) -> EquipmentItem:
    """Pair a smart card with the set-top box or CA module it decodes for."""
    card, box = (
        {item.pk: item for item in lock_items([card.pk, box.pk])}[pk] for pk in (card.pk, box.pk)
    )
    allowed = PAIRABLE.get(card.model.kind)
    if not allowed or box.model.kind not in allowed:
        raise field_error("box", _("A %(card)s cannot be paired with a %(box)s.")
                          % {"card": card.model.kind_label, "box": box.model.kind_label},
                          code=errors.NOT_PAIRABLE)
    if card.state in STATES_GONE or box.state in STATES_GONE:
        raise field_error("box", _("Items that are gone cannot be paired."),
                          code=errors.NOT_PAIRABLE)
    if card.paired_with_id == box.pk:
        return card
    if card.paired_with_id:
        raise field_error("card", _("%(card)s is already paired with %(box)s; unpair it first.")
                          % {"card": card.serial_number, "box": card.paired_with.serial_number},
                          code=errors.ALREADY_PAIRED)
    other = EquipmentItem.objects.filter(paired_with=box).first()
    if other is not None:
        raise field_error("box", _("%(box)s is already paired with %(card)s.")
                          % {"box": box.serial_number, "card": other.serial_number},
                          code=errors.ALREADY_PAIRED)
    card.paired_with = box
    card.save(update_fields=["paired_with", "updated_at"])
    record_without_move(card, action=MovementAction.PAIRED, actor=actor,
                        reason=_("Paired with %(serial)s") % {"serial": box.serial_number})
    audit_record(actor=actor, action=AuditAction.UPDATE, target=card,
                 changes={"paired_with": [None, box.serial_number]})
    return card


@transaction.atomic
def equipment_item_unpair(*, card: EquipmentItem, actor: User | None) -> EquipmentItem:
    card = lock_item(card)
    if card.paired_with_id is None:
        raise field_error("card", _("%(card)s is not paired.") % {"card": card.serial_number},
                          code=errors.NOT_PAIRED)
    box = card.paired_with
    card.paired_with = None
    card.save(update_fields=["paired_with", "updated_at"])
    record_without_move(card, action=MovementAction.UNPAIRED, actor=actor,
                        reason=_("Unpaired from %(serial)s") % {"serial": box.serial_number})
    audit_record(actor=actor, action=AuditAction.UPDATE, target=card,
                 changes={"paired_with": [box.serial_number, None]})
    return card
