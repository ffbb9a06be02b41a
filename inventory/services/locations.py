"""Stock locations, and the transfers of items between them."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from inventory import errors
from inventory.choices import (
    TRANSFERABLE_STATES,
    ItemState,
    LocationKind,
    MovementAction,
)
from inventory.identifiers import normalise_card_number, normalise_mac, normalise_serial
from inventory.models import EquipmentItem, EquipmentMovement, StockLocation, StockTransfer
from inventory.services._common import apply, check_location, lock_items, state_label
from sesmu.audit import audit_record
from sesmu.errors import field_error
from sesmu.models import AuditAction, User
from sesmu.numbering import series_next
from sesmu.roles import Role

MAX_TRANSFER_ITEMS = 2000


@transaction.atomic
def van_for_technician(*, technician: User, actor: User | None) -> StockLocation:
    """The technician's van, created the first time it is asked for."""
    if not technician.groups.filter(name=Role.FIELD_TECHNICIAN).exists():
        raise field_error("technician", _("%(user)s is not a field technician.")
                          % {"user": technician.get_full_name() or technician.get_username()},
                          code=errors.NOT_A_TECHNICIAN)
    van = StockLocation.objects.filter(technician=technician).first()
    if van is not None:
        return van
    name = technician.get_full_name() or technician.get_username()
    # Two usernames can slugify alike ("john.doe", "johndoe"): the second
    # technician's van then takes a code made from the id.
    codes = (f"van-{slugify(technician.get_username())}"[:40], f"van-{technician.pk}")
    for attempt, code in enumerate(codes, start=1):
        try:
            with transaction.atomic():
                van = StockLocation.objects.create(
                    code=code,
                    name=_("Van of %(name)s") % {"name": name},
                    kind=LocationKind.VAN,
                    technician=technician,
                )
            break
        except IntegrityError:
            # Two requests created it at once; the other one won.
            van = StockLocation.objects.filter(technician=technician).first()
            if van is not None:
                return van
            if attempt == len(codes):
                raise
    audit_record(actor=actor, action=AuditAction.CREATE, target=van)
    return van


def _find_items(location: StockLocation, identifiers: Iterable[str]) -> tuple[list[int], list[str]]:
    """Ids of the items at `location` known by these serials, MAC addresses
    or card numbers, and the identifiers that matched nothing there."""
    wanted: dict[str, str] = {}
    for text in identifiers:
        text = text.strip()
        if text:
            wanted.setdefault(text, text)
    serials = {normalise_serial(text): text for text in wanted}
    macs = {mac: text for text in wanted if (mac := normalise_mac(text))}
    cards = {normalise_card_number(text): text for text in wanted}
    rows = EquipmentItem.objects.filter(location=location).filter(
        Q(serial_number__in=serials) | Q(mac_address__in=macs) | Q(card_number__in=cards)
    ).values_list("pk", "serial_number", "mac_address", "card_number")
    found_ids: list[int] = []
    matched: set[str] = set()
    for pk, serial, mac, card in rows:
        found_ids.append(pk)
        for key, table in ((serial, serials), (mac, macs), (card, cards)):
            if key in table:
                matched.add(table[key])
    missing = [text for text in wanted if text not in matched]
    return found_ids, missing


@transaction.atomic
def stock_transfer_create(
    *,
    from_location: StockLocation,
    to_location: StockLocation,
    identifiers: list[str],
    actor: User | None,
    note: str = "",
) -> StockTransfer:
    """Move items (given by serial, MAC or card number) from one location to
    another in one go. A reserved item going into a van is handed over to
    its technician; one coming back from a van to a warehouse stays
    reserved. Either every item moves or none does."""
    if from_location.pk == to_location.pk:
        raise field_error("to_location", _("Choose a different destination."),
                          code=errors.SAME_LOCATION)
    check_location(from_location, field="from_location")
    check_location(to_location, field="to_location")
    if not [text for text in identifiers if text.strip()]:
        raise field_error("items", _("List the serial numbers of the items to move."),
                          code=errors.NO_ITEMS)
    if len(identifiers) > MAX_TRANSFER_ITEMS:
        raise field_error("items", _("A transfer moves at most %(max)s items.")
                          % {"max": MAX_TRANSFER_ITEMS}, code=errors.NO_ITEMS)
    item_ids, missing = _find_items(from_location, identifiers)
    if missing:
        shown = ", ".join(missing[:10]) + (" …" if len(missing) > 10 else "")
        raise field_error("items", _("Not at %(location)s: %(items)s.")
                          % {"location": from_location.name, "items": shown},
                          code=errors.UNKNOWN_ITEMS)
    items = lock_items(item_ids)
    refused = [item for item in items
               if item.location_id != from_location.pk or item.state not in TRANSFERABLE_STATES]
    if refused:
        shown = ", ".join(f"{item.serial_number} ({state_label(item.state)})"
                          for item in refused[:10])
        raise field_error("items", _("These items cannot be moved now: %(items)s.")
                          % {"items": shown}, code=errors.ILLEGAL_MOVE)
    transfer = StockTransfer.objects.create(
        number=series_next(name="stock_transfer"), from_location=from_location,
        to_location=to_location, item_count=len(items), note=note[:300],
        created_by=actor if actor is not None and actor.pk else None,
    )
    into_van = to_location.kind == LocationKind.VAN
    movements: list[EquipmentMovement] = []
    for item in items:
        if into_van and item.state == ItemState.RESERVED:
            transition_name, action = "hand_over", MovementAction.HANDED_OVER
        elif not into_van and item.state == ItemState.WITH_TECHNICIAN:
            transition_name, action = "take_back", MovementAction.TRANSFERRED
        else:
            transition_name, action = "", MovementAction.TRANSFERRED
        if transition_name:
            movement = apply(item, transition_name, action=action, actor=actor,
                             location=to_location, transfer=transfer, reason=note, save=False)
        else:
            movement = EquipmentMovement(
                item=item, action=action, from_state=item.state, to_state=item.state,
                from_location_id=from_location.pk, to_location_id=to_location.pk,
                customer_id=item.customer_id, subscription_ref=item.subscription_ref,
                transfer=transfer, reason=note[:300],
                actor=actor if actor is not None and actor.pk else None,
            )
            item.location = to_location
        movements.append(movement)
    now = timezone.now()
    for item in items:
        item.updated_at = now
    EquipmentItem.objects.bulk_update(items, ["state", "location", "updated_at"], batch_size=500)
    EquipmentMovement.objects.bulk_create(movements, batch_size=500)
    audit_record(actor=actor, action=AuditAction.CREATE, target=transfer,
                 changes={"items": [None, len(items)],
                          "from": [None, from_location.code], "to": [None, to_location.code]})
    return transfer
