"""A work order's life: generated (with the equipment it installs reserved),
booked with the customer, assigned, dispatched, travelled to, and completed
(moving the equipment in inventory, signed by the customer) or failed, or
cancelled. Subscriptions and tickets create and follow orders through these
functions and the signals in workforce.signals."""

from __future__ import annotations

import base64
import binascii
from datetime import date, datetime, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from customers.models import Address, Customer
from inventory import selectors as inventory_selectors
from inventory import services as inventory
from inventory.choices import ItemState
from inventory.models import EquipmentItem
from sesmu.errors import field_error
from sesmu.models import User
from sesmu.numbering import series_next
from workforce import availability, errors, signals
from workforce.choices import (
    AppointmentStatus,
    EquipmentDirection,
    FailureReason,
    OriginKind,
    Skill,
    WorkOrderKind,
    WorkOrderState,
)
from workforce.models import (
    Appointment,
    TechnicianProfile,
    WorkOrder,
    WorkOrderItem,
    validate_skills,
)
from workforce.services._common import (
    apply,
    event,
    illegal,
    lock_order,
    submitted_before,
    zone_for_postcode,
)

DEFAULT_SKILLS = {
    WorkOrderKind.RECOVER: [Skill.EQUIPMENT_RECOVERY],
    WorkOrderKind.SURVEY: [Skill.SITE_SURVEY],
}
SIGNATURE_MAX_BYTES = 300 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
DISPATCH_PERMISSION = "workforce.dispatch_workorder"


@transaction.atomic
def work_order_create(
    *,
    customer: Customer,
    service_address: Address,
    kind: str,
    actor: User | None,
    required_skills: list[str] | None = None,
    estimated_minutes: int = 60,
    priority: int = 2,
    notes: str = "",
    origin_kind: str = OriginKind.MANUAL,
    origin_ref: str = "",
    install_items: list[EquipmentItem] = (),
    recover_items: list[EquipmentItem] = (),
) -> WorkOrder:
    """Generate an order. Items to install are reserved for the customer now
    (an item someone else holds is refused, naming who); items to recover
    must be installed at this customer's."""
    if service_address.customer_id != customer.pk:
        raise field_error("service_address", _("This address belongs to another customer."),
                          code=errors.WRONG_CUSTOMER)
    for field, items in (("install_items", install_items), ("recover_items", recover_items)):
        if len({item.pk for item in items}) != len(items):
            raise field_error(field, _("Name each item once."), code="duplicate")
    if {item.pk for item in install_items} & {item.pk for item in recover_items}:
        raise field_error("recover_items",
                          _("An item cannot be both installed and recovered."),
                          code="duplicate")
    skills = list(required_skills if required_skills else DEFAULT_SKILLS.get(kind, []))
    if not skills:
        raise field_error("required_skills", _("Say which skills the visit needs."),
                          code="required")
    order = WorkOrder(
        number=series_next(name="work_order"), kind=kind, origin_kind=origin_kind,
        origin_ref=origin_ref[:40], customer=customer, service_address=service_address,
        zone=zone_for_postcode(service_address.postal_code), required_skills=skills,
        estimated_minutes=estimated_minutes, priority=priority, notes=notes,
        created_by=actor if actor is not None and actor.pk else None,
    )
    try:
        validate_skills(skills)
    except ValidationError as error:
        # On its field, like every other refusal of the services.
        raise ValidationError({"required_skills": error.error_list})
    order.full_clean(exclude=["number", "state"])
    order.save()
    subscription_ref = origin_ref if origin_kind == OriginKind.SUBSCRIPTION_ORDER else ""
    for item in install_items:
        fresh = EquipmentItem.objects.filter(pk=item.pk).first()
        already_ours = (fresh is not None and fresh.customer_id == customer.pk
                        and fresh.state in (ItemState.RESERVED, ItemState.WITH_TECHNICIAN))
        if not already_ours:
            inventory.equipment_item_reserve(item=item, customer=customer, actor=actor,
                                             subscription_ref=subscription_ref,
                                             reason=order.number)
        WorkOrderItem.objects.create(work_order=order, item=item,
                                     direction=EquipmentDirection.INSTALL)
    for item in recover_items:
        fresh = EquipmentItem.objects.get(pk=item.pk)
        if fresh.state != ItemState.INSTALLED or fresh.customer_id != customer.pk:
            raise field_error("recover_items",
                              _("%(serial)s is not installed at this customer's.")
                              % {"serial": fresh.serial_number},
                              code=errors.EQUIPMENT_MISMATCH)
        WorkOrderItem.objects.create(work_order=order, item=item,
                                     direction=EquipmentDirection.RECOVER)
    event(order, actor=actor, action="generated", from_state="",
          payload={"kind": kind, "origin": f"{origin_kind}:{origin_ref}" if origin_ref else ""})
    return order


@transaction.atomic
def appointment_book(*, work_order: WorkOrder, window_start: datetime,
                     actor: User | None) -> Appointment:
    """Book the arrival window starting at `window_start` for the order,
    holding the time of one technician who can take it. Two operators
    booking the last room in a window: the second is told it was taken.
    Booking again reschedules (the old appointment stays, marked so)."""
    order = lock_order(work_order)
    if order.state not in (WorkOrderState.GENERATED, WorkOrderState.SCHEDULED,
                           WorkOrderState.ASSIGNED):
        raise illegal(order, "schedule")
    bounds = availability.window_at(window_start)
    if bounds is None:
        raise field_error("window_start", _("Choose one of the offered arrival windows."),
                          code=errors.NO_SLOT)
    start, end = bounds
    if start <= timezone.now():
        raise field_error("window_start", _("This window has already begun."),
                          code=errors.NO_SLOT)
    if order.zone_id is None:
        order.zone = zone_for_postcode(order.service_address.postal_code)
        if order.zone is None:
            raise field_error("window_start",
                              _("No zone covers postal code %(code)s; no technician can go.")
                              % {"code": order.service_address.postal_code},
                              code=errors.OUTSIDE_ZONE)
        order.save(update_fields=["zone", "updated_at"])
    day = timezone.localtime(start).date()
    candidates = availability.candidates_for(order, start)
    if not candidates:
        # Not a race lost: nobody who may do the order works in this window.
        raise field_error("window_start",
                          _("No technician who can do this order works in this window."),
                          code=errors.NO_SLOT)
    for candidate in candidates:
        # One booking at a time per technician: the lock makes the check of
        # their free time and the new hold one step.
        profile = TechnicianProfile.objects.select_for_update().get(pk=candidate.pk)
        load = availability.held_minutes(profile.pk, day, exclude_order_id=order.pk)
        if not availability.can_take(profile, load, start=start,
                                     minutes=order.estimated_minutes):
            continue
        previous = Appointment.objects.filter(work_order=order,
                                              status=AppointmentStatus.BOOKED).first()
        if previous is not None:
            previous.status = AppointmentStatus.RESCHEDULED
            previous.save(update_fields=["status"])
        appointment = Appointment.objects.create(
            work_order=order, technician=profile, date=day, window_start=start,
            window_end=end, minutes=order.estimated_minutes,
            created_by=actor if actor is not None and actor.pk else None,
        )
        order.scheduled_date, order.window_start, order.window_end = day, start, end
        order.technician, order.planned_start, order.route_position = None, None, None
        order.unassigned_reason = ""
        apply(order, "schedule", actor=actor,
              action="rescheduled" if previous is not None else "scheduled",
              payload={"window": f"{timezone.localtime(start):%Y-%m-%d %H:%M}–"
                                 f"{timezone.localtime(end):%H:%M}"},
              fields=("scheduled_date", "window_start", "window_end", "technician",
                      "planned_start", "route_position", "unassigned_reason"))
        return appointment
    raise field_error("window_start",
                      _("This window was just taken; choose another one."),
                      code=errors.SLOT_TAKEN)


def _profile(user: User) -> TechnicianProfile:
    profile = TechnicianProfile.objects.filter(user=user, is_active=True,
                                               user__is_active=True).first()
    if profile is None:
        raise field_error("technician", _("%(user)s is not an active field technician.")
                          % {"user": user.get_full_name() or user.get_username()},
                          code=errors.NOT_A_TECHNICIAN)
    return profile


def check_fit(order: WorkOrder, profile: TechnicianProfile, start: datetime) -> None:
    """Refuse a technician who may not do the order at `start`: skills, zone,
    working day, absence, shift, window, capacity and overlap."""
    missing = set(order.required_skills) - set(profile.skills)
    if missing:
        raise field_error("technician", _("%(name)s lacks: %(skills)s.")
                          % {"name": profile, "skills": ", ".join(
                              str(Skill(skill).label) for skill in sorted(missing))},
                          code=errors.MISSING_SKILL)
    if order.zone_id is None or not profile.zones.filter(pk=order.zone_id).exists():
        raise field_error("technician", _("%(name)s does not cover this address's zone.")
                          % {"name": profile}, code=errors.OUTSIDE_ZONE)
    local = timezone.localtime(start)
    day = local.date()
    if not availability.works_on(profile, day):
        raise field_error("technician", _("%(name)s does not work on %(day)s.")
                          % {"name": profile, "day": day.strftime("%d/%m/%Y")},
                          code=errors.ABSENT)
    finish = local + timedelta(minutes=order.estimated_minutes)
    if local.time() < profile.shift_start or finish.time() > profile.shift_end \
            or finish.date() != day:
        raise field_error("planned_start", _("The visit must fit within %(start)s–%(end)s.")
                          % {"start": profile.shift_start.strftime("%H:%M"),
                             "end": profile.shift_end.strftime("%H:%M")},
                          code=errors.OUTSIDE_HOURS)
    if order.window_start and not (order.window_start <= start <= order.window_end):
        raise field_error("planned_start", _("The customer expects the technician between "
                                             "%(start)s and %(end)s.")
                          % {"start": timezone.localtime(order.window_start).strftime("%H:%M"),
                             "end": timezone.localtime(order.window_end).strftime("%H:%M")},
                          code=errors.OUTSIDE_HOURS)
    others = list(
        WorkOrder.objects.filter(technician=profile.user, scheduled_date=day,
                                 state__in=[WorkOrderState.ASSIGNED, WorkOrderState.DISPATCHED,
                                            WorkOrderState.EN_ROUTE, WorkOrderState.ON_SITE],
                                 planned_start__isnull=False)
        .exclude(pk=order.pk).only("number", "planned_start", "estimated_minutes")
    )
    if len(others) >= profile.daily_capacity:
        raise field_error("technician", _("%(name)s already has %(count)s orders that day.")
                          % {"name": profile, "count": len(others)},
                          code=errors.OVER_CAPACITY)
    for other in others:
        other_end = other.planned_start + timedelta(minutes=other.estimated_minutes)
        if start < other_end and other.planned_start < start + timedelta(
                minutes=order.estimated_minutes):
            raise field_error("planned_start", _("It overlaps %(number)s (%(start)s–%(end)s).")
                              % {"number": other.number,
                                 "start": timezone.localtime(other.planned_start)
                                 .strftime("%H:%M"),
                                 "end": timezone.localtime(other_end).strftime("%H:%M")},
                              code=errors.OVERLAP)


def _move_hold(order: WorkOrder, profile: TechnicianProfile) -> None:
    Appointment.objects.filter(work_order=order, status=AppointmentStatus.BOOKED).update(
        technician=profile)


@transaction.atomic
def work_order_assign(*, work_order: WorkOrder, technician: User, actor: User | None,
                      planned_start: datetime | None = None) -> WorkOrder:
    """Give a scheduled (or reassign an assigned) order to a technician at a
    planned start (by default the start of the appointment window)."""
    order = lock_order(work_order)
    # The state first: an order not (or no longer) plannable is refused as
    # such, not for a missing window or a technician's busy day.
    if not can_proceed(order.assign):
        raise illegal(order, "assign")
    profile = _profile(technician)
    TechnicianProfile.objects.select_for_update().filter(pk=profile.pk).first()
    start = planned_start or order.window_start
    if start is None:
        raise field_error("planned_start", _("Book an appointment first."), code="required")
    check_fit(order, profile, start)
    previous = order.technician
    order.technician, order.planned_start, order.unassigned_reason = technician, start, ""
    apply(order, "assign", actor=actor, action="reassigned" if previous else "assigned",
          payload={"technician": technician.get_username(),
                   "planned_start": timezone.localtime(start).strftime("%Y-%m-%d %H:%M")},
          fields=("technician", "planned_start", "unassigned_reason"))
    _move_hold(order, profile)
    return order


@transaction.atomic
def work_order_unassign(*, work_order: WorkOrder, actor: User | None,
                        reason: str = "") -> WorkOrder:
    order = lock_order(work_order)
    order.technician, order.planned_start, order.route_position = None, None, None
    apply(order, "unassign", actor=actor, reason=reason,
          fields=("technician", "planned_start", "route_position"))
    return order


@transaction.atomic
def work_order_dispatch(*, work_order: WorkOrder, actor: User | None) -> WorkOrder:
    """Send an assigned order to its technician's page."""
    order = lock_order(work_order)
    apply(order, "dispatch", actor=actor)
    return order


@transaction.atomic
def dispatch_day(*, day: date, actor: User | None, technician: User | None = None) -> int:
    """Dispatch every assigned order of a day (of one technician)."""
    orders = WorkOrder.objects.filter(scheduled_date=day, state=WorkOrderState.ASSIGNED)
    if technician is not None:
        orders = orders.filter(technician=technician)
    count = 0
    for order_id in orders.order_by("technician_id", "planned_start").values_list("pk",
                                                                                 flat=True):
        work_order_dispatch(work_order=WorkOrder(pk=order_id), actor=actor)
        count += 1
    return count


def _check_performer(order: WorkOrder, actor: User | None) -> None:
    if actor is None or order.technician_id == actor.pk or actor.has_perm(DISPATCH_PERMISSION):
        return
    raise field_error("work_order", _("Work order %(number)s is not yours.")
                      % {"number": order.number}, code=errors.NOT_YOUR_ORDER)


@transaction.atomic
def work_order_start_travel(*, work_order: WorkOrder, actor: User | None,
                            submission_id: str = "") -> WorkOrder:
    order = lock_order(work_order)
    if submitted_before(order, submission_id):
        return order
    _check_performer(order, actor)
    apply(order, "start_travel", actor=actor, action="en_route", submission_id=submission_id)
    return order


@transaction.atomic
def work_order_arrive(*, work_order: WorkOrder, actor: User | None,
                      submission_id: str = "") -> WorkOrder:
    order = lock_order(work_order)
    if submitted_before(order, submission_id):
        return order
    _check_performer(order, actor)
    apply(order, "arrive", actor=actor, action="on_site", submission_id=submission_id)
    return order


def check_signature(signature: str) -> str:
    """A PNG data URL of reasonable size, or a ValidationError."""
    prefix = "data:image/png;base64,"
    if not signature:
        raise field_error("signature", _("Ask the customer to sign."),
                          code=errors.SIGNATURE_REQUIRED)
    if not signature.startswith(prefix):
        raise field_error("signature", _("The signature must be a PNG image."),
                          code=errors.BAD_SIGNATURE)
    try:
        data = base64.b64decode(signature[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        raise field_error("signature", _("The signature could not be read; sign again."),
                          code=errors.BAD_SIGNATURE)
    if not data.startswith(PNG_MAGIC) or len(data) > SIGNATURE_MAX_BYTES:
        raise field_error("signature", _("The signature could not be read; sign again."),
                          code=errors.BAD_SIGNATURE)
    return signature


def _clean_identifiers(values: list[str]) -> list[str]:
    seen, result = set(), []
    for value in values:
        value = (value or "").strip()
        if value and value.upper() not in seen:
            seen.add(value.upper())
            result.append(value)
    return result


@transaction.atomic
def work_order_complete(
    *,
    work_order: WorkOrder,
    actor: User | None,
    signature: str,
    signed_by: str = "",
    installed: list[str] = (),
    recovered: list[str] = (),
    note: str = "",
    submission_id: str = "",
) -> WorkOrder:
    """The visit is done. Serials typed or scanned as installed go from the
    van (or their reservation) to the customer's service address; those
    recovered go from the customer to the van. Items reserved for the order
    and not installed are released. Sending the same form twice does it once."""
    order = lock_order(work_order)
    if submitted_before(order, submission_id):
        return order
    _check_performer(order, actor)
    if order.state != WorkOrderState.ON_SITE:
        raise illegal(order, "complete")
    signature = check_signature(signature)
    profile = TechnicianProfile.objects.filter(user_id=order.technician_id).first()
    van = profile.van if profile is not None else None
    work_ref = order.number
    subscription_ref = (order.origin_ref if order.origin_kind == OriginKind.SUBSCRIPTION_ORDER
                        else "")
    ticket_ref = order.origin_ref if order.origin_kind == OriginKind.TICKET else ""
    lines = {line.item_id: line for line in order.equipment.select_related("item")}
    moved_in, moved_out = [], []
    # One item may be scanned twice under different identifiers (its serial
    # and its MAC address): it moves once.
    installed_ids: set[int] = set()
    recovered_ids: set[int] = set()
    for text in _clean_identifiers(list(installed)):
        item = inventory_selectors.item_by_identifier(text)
        if item is None:
            raise field_error("installed", _("No item %(serial)s.") % {"serial": text},
                              code=errors.EQUIPMENT_MISMATCH)
        if item.pk in installed_ids:
            continue
        held_here = (item.state in (ItemState.RESERVED, ItemState.WITH_TECHNICIAN)
                     and item.customer_id == order.customer_id)
        in_van = van is not None and item.location_id == van.pk \
            and item.state == ItemState.IN_STOCK
        if not (held_here or in_van):
            raise field_error("installed",
                              _("%(serial)s is neither in the van nor reserved for this "
                                "customer.") % {"serial": item.serial_number},
                              code=errors.EQUIPMENT_MISMATCH)
        inventory.equipment_item_install(
            item=item, customer=order.customer, service_address=order.service_address,
            actor=actor, subscription_ref=subscription_ref, work_order_ref=work_ref,
            ticket_ref=ticket_ref)
        line = lines.get(item.pk) or WorkOrderItem.objects.create(
            work_order=order, item=item, direction=EquipmentDirection.INSTALL)
        line.done = True
        line.save(update_fields=["done"])
        moved_in.append(item.serial_number)
        installed_ids.add(item.pk)
    for text in _clean_identifiers(list(recovered)):
        item = inventory_selectors.item_by_identifier(text)
        if item is not None and item.pk in recovered_ids:
            continue
        if item is None or item.state != ItemState.INSTALLED \
                or item.customer_id != order.customer_id:
            raise field_error("recovered",
                              _("%(serial)s is not installed at this customer's.")
                              % {"serial": text}, code=errors.EQUIPMENT_MISMATCH)
        if van is None:
            raise field_error("recovered", _("The technician has no van to take it to."),
                              code=errors.EQUIPMENT_MISMATCH)
        inventory.equipment_item_recover(item=item, location=van, actor=actor,
                                         work_order_ref=work_ref, ticket_ref=ticket_ref,
                                         reason=order.number)
        line = lines.get(item.pk) or WorkOrderItem.objects.create(
            work_order=order, item=item, direction=EquipmentDirection.RECOVER)
        line.done = True
        line.save(update_fields=["done"])
        moved_out.append(item.serial_number)
        recovered_ids.add(item.pk)
    for line in lines.values():
        if line.direction == EquipmentDirection.INSTALL and not line.done:
            item = EquipmentItem.objects.get(pk=line.item_id)
            if item.state in (ItemState.RESERVED, ItemState.WITH_TECHNICIAN) \
                    and item.customer_id == order.customer_id:
                inventory.equipment_item_release(
                    item=item, actor=actor,
                    reason=_("Not installed by %(number)s") % {"number": order.number})
    order.signature, order.signed_by = signature, signed_by.strip()[:150]
    order.result_note, order.finished_at = note, timezone.now()
    apply(order, "complete", actor=actor, action="completed", reason=note,
          payload={"installed": moved_in, "recovered": moved_out},
          submission_id=submission_id,
          fields=("signature", "signed_by", "result_note", "finished_at"))
    transaction.on_commit(
        lambda: signals.work_order_completed.send(sender=WorkOrder, work_order=order))
    return order


@transaction.atomic
def work_order_fail(*, work_order: WorkOrder, reason: str, actor: User | None, note: str = "",
                    submission_id: str = "") -> WorkOrder:
    """The visit could not be done. The equipment stays reserved for the
    next attempt."""
    order = lock_order(work_order)
    if submitted_before(order, submission_id):
        return order
    _check_performer(order, actor)
    if reason not in FailureReason.values:
        raise field_error("reason", _("Choose why it could not be done."), code="invalid_choice")
    order.failure_reason, order.result_note, order.finished_at = reason, note, timezone.now()
    apply(order, "fail", actor=actor, action="failed", reason=note or FailureReason(reason).label,
          payload={"reason": reason}, submission_id=submission_id,
          fields=("failure_reason", "result_note", "finished_at"))
    transaction.on_commit(
        lambda: signals.work_order_failed.send(sender=WorkOrder, work_order=order, reason=reason))
    return order


@transaction.atomic
def work_order_cancel(*, work_order: WorkOrder, actor: User | None, reason: str = "") -> WorkOrder:
    """Not needed any more: the appointment is cancelled and the equipment
    reserved for it released."""
    order = lock_order(work_order)
    order.finished_at = timezone.now()
    apply(order, "cancel", actor=actor, reason=reason, fields=("finished_at",))
    Appointment.objects.filter(work_order=order, status=AppointmentStatus.BOOKED).update(
        status=AppointmentStatus.CANCELLED)
    for line in order.equipment.filter(direction=EquipmentDirection.INSTALL, done=False):
        item = EquipmentItem.objects.get(pk=line.item_id)
        if item.state in (ItemState.RESERVED, ItemState.WITH_TECHNICIAN) \
                and item.customer_id == order.customer_id:
            inventory.equipment_item_release(
                item=item, actor=actor,
                reason=_("%(number)s cancelled") % {"number": order.number})
    return order
