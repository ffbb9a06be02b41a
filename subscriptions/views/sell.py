"""Selling a subscription from the customer 360 page, with the customer on
the line, in three steps on one page:

1. where: the service address and the access medium; the network says
   which media reach the address (or the coverage it said last time);
2. what: the offers on sale there over that medium, then the options, the
   account that pays, the service users and any equipment in hand, with
   the monthly total as options are ticked;
3. the plan, in words to read to the customer (equipment, visit, network
   commands, charges), and the confirmation, which calls
   `subscription_create` once (a submission id made with the plan turns a
   second click into the first sale).

Then the new order's page: its milestones, and when a technician must go,
the free arrival windows and the booking (`subscription_book_visit`).

The steps carry what was chosen in hidden fields and check it all again at
each step; nothing is kept between requests but the sale itself."""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import IntegrityError
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from customers.choices import CustomerStatus
from customers.models import Address, Customer
from customers.selectors import access_customer
from integrations.services import Serviceability, address_serviceability
from inventory.choices import AccessMedium, EquipmentKind, LocationKind
from inventory.choices import ItemState as EquipmentState
from inventory.models import EquipmentItem
from inventory.selectors import item_by_identifier
from sesmu.decorators import staff_view
from sesmu.forms import apply_service_errors
from subscriptions import errors, selectors, services
from subscriptions.choices import Channel, ItemRole, OrderAction
from subscriptions.desk import ORDER_STATE_LOOKS, STATE_LOOKS
from subscriptions.forms import (
    SellConfirmForm,
    SellDetailsForm,
    SellOfferForm,
    SellWhereForm,
)
from subscriptions.forms import VisitSlotSearchForm as SlotSearchForm
from subscriptions.models import CatalogService, OfferVersion, SubscriptionOrder
from subscriptions.services import UserSpec
from subscriptions.services.orders import element_manager_for
from subscriptions.terms import NetworkStep, command_label, equipment_needed
from workforce import availability
from workforce import errors as workforce_errors
from workforce.availability import WINDOWS, Slot
from workforce.choices import WorkOrderState
from workforce.forms import BookForm
from workforce.models import WorkOrder
from workforce.selectors import work_order_list_visible_to

SELL = "subscriptions.sell_subscription"
VIEW = "subscriptions.view_subscription"
BOOKABLE_STATES = (WorkOrderState.GENERATED, WorkOrderState.SCHEDULED, WorkOrderState.ASSIGNED)

# Where a refusal of subscription_create is shown: the step holding the field.
WHERE_FIELDS = {"service_address", "access_medium", "customer"}
OFFER_FIELDS = {"offer_version"}
# The service names a user's PIN or limit without saying whose; the form
# checks both itself, so these only come back for a user list problem.
DETAILS_FIELD_ALIASES = {"parental_pin": "users", "ppv_monthly_limit": "users",
                         # inventory names the item it could not reserve "item"
                         "item": "serials"}


def medium_label(medium: str) -> str:
    return str(AccessMedium(medium).label) if medium in AccessMedium.values else medium


# Step 1: where ---------------------------------------------------------------------


@dataclass
class Coverage:
    """What the network said about the address, as the page shows it."""

    found: Serviceability
    address: Address

    @property
    def rows(self) -> list[dict]:
        return [{"medium": value, "label": label, "reaches": value in self.found.media,
                 "down": self.found.media.get(value, (0, 0))[0],
                 "up": self.found.media.get(value, (0, 0))[1]}
                for value, label in AccessMedium.choices]


def _check_coverage(where: SellWhereForm) -> Coverage | None:
    """Ask the network about the address; a refusal (nobody answers and
    nothing is kept) goes next to the address."""
    address = where.cleaned_data["service_address"]
    try:
        found = address_serviceability(postal_code=address.postal_code, street=address.street,
                                       street_number=address.street_number)
    except ValidationError as error:
        apply_service_errors(where, error)
        return None
    coverage = Coverage(found=found, address=address)
    medium = where.cleaned_data["access_medium"]
    if medium and not found.reaches(medium):
        available = ", ".join(medium_label(value) for value in sorted(found.media)) or _("none")
        where.add_error("access_medium", ValidationError(
            _("%(medium)s does not reach %(code)s. Available there: %(available)s.")
            % {"medium": medium_label(medium), "code": address.postal_code,
               "available": available}, code=errors.NOT_SERVICEABLE))
    return coverage


# Step 2: what ----------------------------------------------------------------------


@dataclass
class OfferCard:
    """An offer on sale, with what would stop it at this address."""

    version: OfferVersion
    included: list
    options: list
    problems: list[str] = field(default_factory=list)


def _offer_cards(offers: list[OfferVersion], medium: str,
                 coverage: Coverage | None) -> list[OfferCard]:
    down = coverage.found.media.get(medium, (0, 0))[0] if coverage else 0
    cards = []
    for version in offers:
        items = list(version.items.all())
        card = OfferCard(version=version,
                         included=[item for item in items if item.role == ItemRole.INCLUDED],
                         options=[item for item in items if item.role == ItemRole.OPTION])
        for item in card.included:
            service = item.service
            if not service.works_over(medium):
                card.problems.append(_("%(service)s does not work over %(medium)s.")
                                     % {"service": service.name,
                                        "medium": medium_label(medium)})
            elif service.speed_down_mbps and down and service.speed_down_mbps > down:
                card.problems.append(
                    _("%(service)s needs %(speed)s Mbit/s; this line gives %(down)s.")
                    % {"service": service.name, "speed": service.speed_down_mbps,
                       "down": down})
        cards.append(card)
    return cards


def _offers(where: SellWhereForm) -> list[OfferVersion]:
    address = where.cleaned_data["service_address"]
    return selectors.offers_on_sale(access_medium=where.cleaned_data["access_medium"],
                                    postal_code=address.postal_code)


@dataclass
class Total:
    """The monthly price with the options ticked, and the set-up fee."""

    version: OfferVersion
    options: list
    monthly: Decimal
    setup: Decimal

    @property
    def currency(self) -> str:
        return self.version.currency


def _total(details: SellDetailsForm) -> Total:
    version = details.version
    chosen = [details.option_items[key] for key in dict.fromkeys(details.chosen_option_keys())]
    price = selectors.offer_price(version=version, options=[item.service for item in chosen])
    return Total(version=version, options=chosen, monthly=price.monthly, setup=price.setup)


# Step 3: the plan ------------------------------------------------------------------


@dataclass
class EquipmentNeed:
    kind: str
    models: list
    serial: str = ""
    in_stock: int = 0

    @property
    def kind_label(self) -> str:
        return str(EquipmentKind(self.kind).label) if self.kind in EquipmentKind.values \
            else self.kind


@dataclass
class SalePlan:
    """What confirming will do, in the order it happens."""

    version: OfferVersion
    services: list[CatalogService]
    options: list[CatalogService]
    total: Total
    equipment: list[EquipmentNeed]
    visit_for: list[CatalogService]
    commands: list[tuple[str, list[NetworkStep]]]
    users: list[UserSpec]
    account: object
    address: Address
    medium: str

    @property
    def needs_visit(self) -> bool:
        return bool(self.visit_for)

    @property
    def medium_label(self) -> str:
        return medium_label(self.medium)


def _sale_plan(where: SellWhereForm, details: SellDetailsForm) -> SalePlan:
    """The plan of the sale, or a ValidationError naming the field to fix.
    It follows what subscription_create does: one item of each kind of
    equipment the services need over the medium (the serials typed, or the
    oldest in a warehouse), a visit when any service needs one over the
    medium, an enable command per service at its element manager."""
    version, medium = details.version, where.cleaned_data["access_medium"]
    options = details.cleaned_data["options"]
    services_chosen = [item.service for item in details.included] + list(
        dict.fromkeys(options))
    needs = {kind: EquipmentNeed(kind=kind, models=models)
             for kind, models in equipment_needed(services_chosen, medium).items()}
    for serial in details.cleaned_data["serials"]:
        item = item_by_identifier(serial)
        if item is None:
            raise ValidationError({"serials": ValidationError(
                _("No equipment item %(serial)s. Check it against the label.")
                % {"serial": serial}, code=errors.NO_EQUIPMENT)})
        if item.state != EquipmentState.IN_STOCK:
            raise ValidationError({"serials": ValidationError(
                _("%(serial)s is not in stock: it is “%(state)s”. Give another one, or leave "
                  "it empty to take one from the warehouse.")
                % {"serial": item.serial_number, "state": item.get_state_display()},
                code=errors.NO_EQUIPMENT)})
        need = needs.get(item.model.kind)
        if need is None or item.model not in need.models:
            raise ValidationError({"serials": ValidationError(
                _("%(serial)s (%(model)s) is not equipment this offer needs over %(medium)s.")
                % {"serial": serial, "model": item.model, "medium": medium_label(medium)},
                code=errors.NO_EQUIPMENT)})
        need.serial = item.serial_number
    for need in needs.values():
        if not need.serial:
            need.in_stock = EquipmentItem.objects.filter(
                state=EquipmentState.IN_STOCK, model__in=need.models,
                location__kind=LocationKind.WAREHOUSE, location__is_active=True).count()
    commands: dict[str, list[NetworkStep]] = {}
    for service in services_chosen:
        system = element_manager_for(service)  # refuses when nobody provisions it
        commands.setdefault(system.name, []).append(NetworkStep(service, "enable"))
    return SalePlan(
        version=version, services=services_chosen, options=list(dict.fromkeys(options)),
        total=_total(details), equipment=list(needs.values()),
        visit_for=[service for service in services_chosen if service.needs_visit_over(medium)],
        commands=list(commands.items()), users=details.cleaned_data["user_specs"],
        account=details.cleaned_data["billing_account"],
        address=where.cleaned_data["service_address"], medium=medium)


# The page --------------------------------------------------------------------------


def _render(request, customer: Customer, step: str, context: dict, status: int = 200):
    context = {"customer": customer, "step": step,
               "former": customer.status == CustomerStatus.FORMER, **context}
    return render(request, "subscriptions/sell.html", context, status=status)


def _where_page(request, customer, where: SellWhereForm, *, coverage: Coverage | None = None,
                status: int = 200):
    return _render(request, customer, "where", {"where": where, "coverage": coverage},
                   status=status)


def _offers_page(request, customer, where: SellWhereForm, *, offer: SellOfferForm | None = None,
                 coverage: Coverage | None = None, status: int = 200):
    offers = _offers(where)
    if offer is None:
        offer = SellOfferForm(offers=offers)
    return _render(request, customer, "offers", {
        "where": where, "offer": offer, "coverage": coverage,
        "cards": _offer_cards(offers, where.cleaned_data["access_medium"], coverage),
    }, status=status)


def _details_page(request, customer, where: SellWhereForm, offer: SellOfferForm,
                  details: SellDetailsForm, *, status: int = 200):
    return _render(request, customer, "details", {
        "where": where, "offer": offer, "details": details,
        "version": offer.cleaned_data["offer_version"], "total": _total(details),
    }, status=status)


def _where(request, customer) -> SellWhereForm:
    return SellWhereForm(request.POST, customer=customer)


def _where_chosen(request, customer) -> tuple[SellWhereForm, bool]:
    """Step 1 as carried to the later steps: an address and a medium."""
    where = _where(request, customer)
    return where, where.is_valid() and where.require_medium()


def _offer(request, where: SellWhereForm) -> SellOfferForm:
    return SellOfferForm(request.POST, offers=_offers(where))


def _details(request, customer, offer: SellOfferForm) -> SellDetailsForm:
    return SellDetailsForm(request.POST, customer=customer,
                           version=offer.cleaned_data["offer_version"])


def _split_service_error(error: ValidationError) -> tuple[str, ValidationError]:
    """Which step a refusal of the service belongs to."""
    if not hasattr(error, "error_dict"):
        return "details", error
    fields = set(error.error_dict)
    if fields & WHERE_FIELDS:
        return "where", error
    if fields & OFFER_FIELDS:
        return "offers", error
    return "details", ValidationError({DETAILS_FIELD_ALIASES.get(name, name): items
                                       for name, items in error.error_dict.items()})


def _step_where(request, customer):
    return _where_page(request, customer, _where(request, customer))


def _step_check(request, customer):
    """Ask the network about the address; with a medium that reaches it,
    on to the offers. Without a medium, the coverage alone, to choose one."""
    where = _where(request, customer)
    if not where.is_valid():
        return _where_page(request, customer, where, status=422)
    coverage = _check_coverage(where)
    if where.errors:
        return _where_page(request, customer, where, coverage=coverage, status=422)
    if not where.cleaned_data["access_medium"]:
        return _where_page(request, customer, where, coverage=coverage)
    return _offers_page(request, customer, where, coverage=coverage)


def _step_offer(request, customer):
    where, chosen = _where_chosen(request, customer)
    if not chosen:
        return _where_page(request, customer, where, status=422)
    offer = _offer(request, where)
    if not offer.is_valid():
        return _offers_page(request, customer, where, offer=offer, status=422)
    details = SellDetailsForm(customer=customer, version=offer.cleaned_data["offer_version"])
    return _details_page(request, customer, where, offer, details)


def _step_details(request, customer):
    """Back from the plan to change something: the form as it was typed."""
    where, chosen = _where_chosen(request, customer)
    if not chosen:
        return _where_page(request, customer, where, status=422)
    offer = _offer(request, where)
    if not offer.is_valid():
        return _offers_page(request, customer, where, offer=offer, status=422)
    return _details_page(request, customer, where, offer, _details(request, customer, offer))


def _validated(request, customer):
    """The three forms checked, or the page that says what to fix."""
    where, chosen = _where_chosen(request, customer)
    if not chosen:
        return None, _where_page(request, customer, where, status=422)
    offer = _offer(request, where)
    if not offer.is_valid():
        return None, _offers_page(request, customer, where, offer=offer, status=422)
    details = _details(request, customer, offer)
    if not details.is_valid():
        return None, _details_page(request, customer, where, offer, details, status=422)
    try:
        plan = _sale_plan(where, details)
    except ValidationError as error:
        return None, _refused(request, customer, where, offer, details, error)
    return (where, offer, details, plan), None


def _refused(request, customer, where, offer, details, error: ValidationError):
    step, error = _split_service_error(error)
    if step == "where":
        apply_service_errors(where, error)
        return _where_page(request, customer, where, status=422)
    if step == "offers":
        apply_service_errors(offer, error)
        return _offers_page(request, customer, where, offer=offer, status=422)
    apply_service_errors(details, error)
    return _details_page(request, customer, where, offer, details, status=422)


def _confirm_page(request, customer, forms: tuple, *, confirm: SellConfirmForm | None = None,
                  status: int = 200):
    where, offer, details, plan = forms
    # A fresh submission id with each plan shown, unless this one is being
    # confirmed (a refused confirmation keeps the id it was sent with).
    submission = uuid.uuid4().hex
    if confirm is not None and confirm.is_valid():
        submission = confirm.cleaned_data["submission"]
    return _render(request, customer, "confirm", {
        "where": where, "offer": offer, "details": details, "plan": plan,
        "version": plan.version, "total": plan.total, "confirm": confirm,
        "submission": submission, "carried": details.hidden_values(),
    }, status=status)


def _step_review(request, customer):
    forms, page = _validated(request, customer)
    if page is not None:
        return page
    return _confirm_page(request, customer, forms)


def _already_sold(customer: Customer, submission: str) -> SubscriptionOrder | None:
    """The sale this confirmation already made, if it was sent before."""
    return SubscriptionOrder.objects.filter(
        channel=Channel.DESK, external_id=submission, action=OrderAction.NEW,
        subscription__customer=customer).first()


def _step_confirm(request, customer):
    forms, page = _validated(request, customer)
    if page is not None:
        return page
    where, offer, details, plan = forms
    confirm = SellConfirmForm(request.POST)
    if not confirm.is_valid():
        return _confirm_page(request, customer, forms, confirm=confirm, status=422)
    submission = confirm.cleaned_data["submission"]
    done = _already_sold(customer, submission)
    if done is None:
        try:
            done = services.subscription_create(
                actor=request.user, customer=customer,
                billing_account=details.cleaned_data["billing_account"],
                offer_version=offer.cleaned_data["offer_version"],
                service_address=where.cleaned_data["service_address"],
                access_medium=where.cleaned_data["access_medium"],
                options=details.cleaned_data["options"],
                users=details.cleaned_data["user_specs"],
                serials=details.cleaned_data["serials"],
                channel=Channel.DESK, external_id=submission)
        except ValidationError as error:
            done = _already_sold(customer, submission)
            if done is None:
                return _refused(request, customer, where, offer, details, error)
        except IntegrityError:
            # The same confirmation sent twice at once: the other request
            # made the sale (the order's submission id is unique).
            done = _already_sold(customer, submission)
            if done is None:
                raise
        else:
            messages.success(request, _("Subscription %(subscription)s was sold: order "
                                        "%(order)s is under way.")
                             % {"subscription": done.subscription.number,
                                "order": done.number})
            return redirect("subscriptions:sell_order", done.pk)
    messages.info(request, _("This sale was already confirmed; here is its order."))
    return redirect("subscriptions:sell_order", done.pk)


STEPS = {
    "where": _step_where,
    "check": _step_check,
    "offers": _step_check,
    "offer": _step_offer,
    "details": _step_details,
    "review": _step_review,
    "confirm": _step_confirm,
}


@require_http_methods(["GET", "POST"])
@staff_view(SELL)
def sell(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id)
    if request.method == "GET":
        return _where_page(request, customer, SellWhereForm(customer=customer))
    step = STEPS.get(request.POST.get("step", ""), _step_check)
    return step(request, customer)


@require_POST
@staff_view(SELL)
def sell_total(request, customer_id: int):
    """The monthly total as options are ticked (htmx)."""
    customer = access_customer(actor=request.user, customer_id=customer_id)
    where, chosen = _where_chosen(request, customer)
    if not chosen:
        return render(request, "subscriptions/sell_total.html", {"total": None}, status=422)
    offer = _offer(request, where)
    if not offer.is_valid():
        return render(request, "subscriptions/sell_total.html", {"total": None}, status=422)
    return render(request, "subscriptions/sell_total.html",
                  {"total": _total(_details(request, customer, offer))})


# The new order and its visit -------------------------------------------------------


ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


def day_first(text: str) -> str:
    """Milestones keep days as 2026-11-27; people read 27/11/2026."""
    return ISO_DAY.sub(r"\3/\2/\1", text)


def window_in_words(start: datetime, end: datetime) -> str:
    """“Thursday 27/11 between 10:00 and 12:00”, in the user's language."""
    local_start, local_end = timezone.localtime(start), timezone.localtime(end)
    return _("%(day)s between %(start)s and %(end)s") % {
        "day": formats.date_format(local_start, "l d/m"),
        "start": local_start.strftime("%H:%M"), "end": local_end.strftime("%H:%M")}


def agreed_in_words(start: datetime, end: datetime) -> str:
    return _("The technician arrives on %(window)s.") % {"window": window_in_words(start, end)}


@dataclass
class SlotDay:
    day: date
    cells: list[Slot | None]

    @property
    def free(self) -> bool:
        return any(self.cells)


def _slot_grid(slots: list[Slot], first: date, last: date) -> list[SlotDay]:
    by_start = {slot.start: slot for slot in slots}
    days, day = [], first
    while day <= last:
        days.append(SlotDay(day=day, cells=[
            by_start.get(availability.window_bounds(day, start, end)[0])
            for start, end in WINDOWS]))
        day += timedelta(days=1)
    return days


def _why_no_slots(work_order: WorkOrder, first: date, last: date) -> tuple[str, bool]:
    """Why nobody can go, in words to repeat to the customer, and whether
    later days would help."""
    if availability.order_zone_id(work_order) is None:
        return _("No zone covers postal code %(code)s, so no technician can go there. Ask a "
                 "dispatcher to add it to a zone.") % {
            "code": work_order.service_address.postal_code}, False
    if not availability.skilled_technicians(work_order):
        return _("No active technician with the skills this installation needs covers the "
                 "address. Ask a dispatcher."), False
    return _("No technician has free time from %(first)s to %(last)s. Look at later days.") % {
        "first": first.strftime("%d/%m/%Y"), "last": last.strftime("%d/%m/%Y")}, True


def _visit(request, order: SubscriptionOrder) -> dict:
    """The work order of the order's visit, as the page shows it."""
    if not order.work_order_ref:
        return {}
    work_order = (work_order_list_visible_to(actor=request.user)
                  .filter(number=order.work_order_ref).first())
    if work_order is None:
        return {"work_order_ref": order.work_order_ref}
    booked = work_order.window_start is not None and work_order.state in BOOKABLE_STATES[1:]
    return {
        "work_order": work_order,
        "agreed": agreed_in_words(work_order.window_start, work_order.window_end)
        if work_order.window_start and work_order.state not in (
            WorkOrderState.CANCELLED, WorkOrderState.FAILED) else "",
        "bookable": order.is_open and work_order.state in BOOKABLE_STATES
        and request.user.has_perm(SELL),
        "booked": booked,
    }


def _slots(request, order: SubscriptionOrder, work_order: WorkOrder, search: SlotSearchForm
           ) -> dict:
    first, last = SlotSearchForm.default_range()
    if search.is_bound and search.is_valid():
        first, last = search.cleaned_data["first"], search.cleaned_data["last"]
    slots = availability.free_slots(work_order, first, last) if not search.errors else []
    why_empty, later_may_help = ("", True) if slots or search.errors \
        else _why_no_slots(work_order, first, last)
    next_first = last + timedelta(days=1)
    return {
        "search": search, "first": first, "last": last,
        "windows": [f"{start:%H:%M}–{end:%H:%M}" for start, end in WINDOWS],
        "grid": _slot_grid(slots, first, last) if slots else [],
        "why_empty": why_empty, "later_may_help": later_may_help,
        "next_first": next_first, "next_last": next_first + (last - first),
    }


def _default_search() -> dict:
    first, last = SlotSearchForm.default_range()
    return {"first": first, "last": last}


def _order_page(request, order: SubscriptionOrder, *, search: SlotSearchForm | None = None,
                book_form: BookForm | None = None, taken: bool = False, status: int = 200):
    subscription = order.subscription
    visit = _visit(request, order)
    steps = list(order.steps.select_related("item__service", "message__destination")
                 .order_by("id"))
    for step in steps:
        step.command_text = command_label(step.command)
    milestones = list(order.milestones.select_related("actor").order_by("created_at", "id"))
    for milestone in milestones:
        milestone.text_shown = day_first(milestone.text)
    if search is None:
        search = SlotSearchForm(request.GET if "first" in request.GET else None,
                                initial=_default_search())
    context = {
        "order": order, "subscription": subscription, "customer": subscription.customer,
        "milestones": milestones,
        "steps": steps,
        "equipment": selectors.subscription_equipment(subscription=subscription),
        "items": list(subscription.items.select_related("service").order_by("role", "id")),
        "charges": list(order.charges.order_by("id")),
        "version": subscription.offer_version,
        "state_look": STATE_LOOKS.get(subscription.state, ("former", "")),
        "order_look": ORDER_STATE_LOOKS.get(order.state, ("wo-generated", "")),
        "medium": medium_label(subscription.access_medium),
        "book_form": book_form or BookForm(), "taken": taken,
        **visit,
    }
    if visit.get("bookable"):
        context.update(_slots(request, order, visit["work_order"], search))
    if request.htmx and request.htmx.target == "booking":
        return render(request, "subscriptions/sell_slots.html", context, status=status)
    return render(request, "subscriptions/sell_order.html", context, status=status)


@require_GET
@staff_view(VIEW)
def sell_order(request, order_id: int):
    order = selectors.access_subscription_order(actor=request.user, order_id=order_id)
    search = SlotSearchForm(request.GET if "first" in request.GET else None,
                            initial=_default_search())
    return _order_page(request, order, search=search, status=422 if search.errors else 200)


@require_POST
@staff_view(SELL)
def sell_book(request, order_id: int):
    """Book the arrival window agreed with the customer."""
    order = selectors.access_subscription_order(actor=request.user, order_id=order_id)
    search_data = {key: request.POST.get(key, "") for key in ("first", "last")}
    search = SlotSearchForm(search_data if all(search_data.values()) else None,
                            initial=_default_search())
    book_form = BookForm(request.POST)
    if book_form.is_valid():
        try:
            appointment = services.subscription_book_visit(
                order=order, window_start=book_form.cleaned_data["window_start"],
                actor=request.user)
        except ValidationError as error:
            apply_service_errors(book_form, error)
        else:
            messages.success(request, _("Visit booked for %(number)s. Tell the customer: "
                                        "%(agreed)s") % {
                "number": order.number,
                "agreed": agreed_in_words(appointment.window_start, appointment.window_end)})
            return redirect("subscriptions:sell_order", order.pk)
    order.refresh_from_db()
    taken = any(item.code == workforce_errors.SLOT_TAKEN
                for items in book_form.errors.as_data().values() for item in items)
    return _order_page(request, order, search=search, book_form=book_form, taken=taken,
                       status=422)


urlpatterns = [
    path("new/<int:customer_id>/", sell, name="sell"),
    path("new/<int:customer_id>/total/", sell_total, name="sell_total"),
    path("new/orders/<int:order_id>/", sell_order, name="sell_order"),
    path("new/orders/<int:order_id>/book/", sell_book, name="sell_book"),
]
