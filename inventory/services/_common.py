"""What every inventory write path shares: locking items in a fixed order,
applying one transition with its movement row, and the refusal messages."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Address, Customer
from inventory import errors
from inventory.choices import ItemState, LocationKind
from inventory.models import EquipmentItem, EquipmentMovement, StockLocation
from sesmu.errors import field_error
from sesmu.models import User

KEEP: Any = object()  # "leave this field as it is"


def lock_items(item_ids: Iterable[int]) -> list[EquipmentItem]:
    """The items, locked in id order: two requests locking the same items
    always queue in the same order, so they never deadlock."""
    ids = sorted({int(item_id) for item_id in item_ids})
    # Only the model is joined: it never changes. A request that waited for
    # the lock gets the item row as the winner left it, but PostgreSQL
    # re-checks the row without re-reading the joined ones, so a joined
    # customer or location would be the one from before the wait (None for
    # an item just reserved). They are read after the lock, when used.
    items = list(
        EquipmentItem.objects.select_for_update(of=("self",))
        .select_related("model")
        .filter(pk__in=ids)
        .order_by("pk")
    )
    if len(items) != len(ids):
        raise field_error("item", _("No such item."), code="not_found")
    return items


def lock_item(item: EquipmentItem | int) -> EquipmentItem:
    return lock_items([item.pk if isinstance(item, EquipmentItem) else item])[0]


def target_state(transition_name: str) -> str:
    meta = getattr(EquipmentItem, transition_name)._django_fsm
    return next(iter(meta.transitions.values())).target


def state_label(state: str) -> str:
    return ItemState(state).label


def illegal_move(item: EquipmentItem, transition_name: str) -> ValidationError:
    return field_error(
        "state",
        _("Item %(serial)s is “%(state)s”: it cannot become “%(target)s” from there.")
        % {"serial": item.serial_number, "state": state_label(item.state),
           "target": state_label(target_state(transition_name))},
        code=errors.ILLEGAL_MOVE,
    )


def held_elsewhere(item: EquipmentItem) -> ValidationError:
    """The refusal a second customer's order gets for an item that is
    already taken: says by whom, so the operator picks another one."""
    if item.state == ItemState.INSTALLED:
        message = _("Item %(serial)s is already installed at customer %(customer)s.")
        code = errors.ALREADY_INSTALLED
    elif item.state in (ItemState.RESERVED, ItemState.WITH_TECHNICIAN):
        message = _("Item %(serial)s is already reserved for customer %(customer)s.")
        code = errors.HELD_FOR_ANOTHER_CUSTOMER
    else:
        message = _("Item %(serial)s is not available: it is “%(state)s”.")
        code = errors.ITEM_NOT_AVAILABLE
    return field_error(
        "item",
        message % {"serial": item.serial_number,
                   "customer": item.customer.number if item.customer_id else "",
                   "state": state_label(item.state)},
        code=code,
    )


def check_location(location: StockLocation, *, field: str = "location") -> None:
    if not location.is_active:
        raise field_error(field, _("%(location)s is closed.") % {"location": location.name},
                          code=errors.LOCATION_INACTIVE)


def check_van(location: StockLocation, *, field: str = "location") -> None:
    check_location(location, field=field)
    if location.kind != LocationKind.VAN:
        raise field_error(field, _("%(location)s is not a technician's van.")
                          % {"location": location.name}, code=errors.NOT_A_VAN)


def check_service_address(customer: Customer, address: Address | None) -> None:
    if address is None:
        raise field_error("service_address", _("Choose the service address."), code="required")
    if address.customer_id != customer.pk:
        raise field_error("service_address",
                          _("This address belongs to another customer."),
                          code=errors.WRONG_CUSTOMER)
    if not address.is_active:
        raise field_error("service_address", _("This address is no longer in use."),
                          code=errors.WRONG_CUSTOMER)


def apply(
    item: EquipmentItem,
    transition_name: str,
    *,
    action: str,
    actor: User | None,
    location: Any = KEEP,
    customer: Any = KEEP,
    service_address: Any = KEEP,
    subscription_ref: Any = KEEP,
    reason: str = "",
    work_order_ref: str = "",
    ticket_ref: str = "",
    transfer=None,
    receipt=None,
    save: bool = True,
) -> EquipmentMovement:
    """Move a locked item through one transition and set its new place; the
    movement row says where from, where to, who and why. `save=False` leaves
    writing the item (and the movement) to a caller that does it in bulk."""
    transition = getattr(item, transition_name)
    if not can_proceed(transition):
        raise illegal_move(item, transition_name)
    from_state, from_location_id = item.state, item.location_id
    # The customer and address a move comes from stay on its row (a recovery
    # clears them from the item, not from history).
    from_customer_id, from_address_id = item.customer_id, item.service_address_id
    from_subscription_ref = item.subscription_ref
    transition()
    changed = ["state", "updated_at"]
    for field, value in (("location", location), ("customer", customer),
                         ("service_address", service_address),
                         ("subscription_ref", subscription_ref)):
        if value is not KEEP:
            setattr(item, field, value)
            changed.append(field)
    movement = EquipmentMovement(
        item=item,
        action=action,
        from_state=from_state,
        to_state=item.state,
        from_location_id=from_location_id,
        to_location_id=item.location_id,
        customer_id=item.customer_id or from_customer_id,
        service_address_id=item.service_address_id or from_address_id,
        subscription_ref=item.subscription_ref or from_subscription_ref,
        work_order_ref=work_order_ref[:40],
        ticket_ref=ticket_ref[:40],
        transfer=transfer,
        receipt=receipt,
        reason=reason[:300],
        actor=actor if actor is not None and actor.pk else None,
    )
    if save:
        item.save(update_fields=changed)
        movement.save()
    return movement


def record_without_move(item: EquipmentItem, *, action: str, actor: User | None,
                        reason: str = "") -> EquipmentMovement:
    """A ledger row for a change that keeps state and place (pairing)."""
    return EquipmentMovement.objects.create(
        item=item, action=action, from_state=item.state, to_state=item.state,
        from_location_id=item.location_id, to_location_id=item.location_id,
        customer_id=item.customer_id, service_address_id=item.service_address_id,
        subscription_ref=item.subscription_ref, reason=reason[:300],
        actor=actor if actor is not None and actor.pk else None,
    )
