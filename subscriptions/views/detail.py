"""The subscription page of the operator desk and its dialogs.

The page shows one subscription whole: where it stands (state, suspension,
degrade, pending termination with who asked and why), its services as the
element managers have them, users, equipment, charges, pay-per-view, and
every order with its milestones and provisioning steps, in a fixed number
of queries. Each dialog (suspend, degrade, resume, cancel, the
modifications, pay-per-view) is a page of its own: it shows the plan for
what was typed (dates, fees, network commands, equipment) and, once
confirmed, calls one service and goes back to the subscription with what
happens next; a refusal comes back (422) with the reason next to the field."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django import forms
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from sesmu.decorators import staff_view
from sesmu.errors import NotFound
from sesmu.forms import apply_service_errors
from subscriptions import detail_forms as dialogs
from subscriptions import selectors, services
from subscriptions.choices import (
    Initiator,
    ItemRole,
    ItemState,
    OrderAction,
    OrderState,
    SubscriptionState,
)
from subscriptions.detail_forms import ElementManagers, day_words
from subscriptions.models import (
    Subscription,
    SubscriptionOrder,
)
from subscriptions.services.lifecycle import medium_label
from subscriptions.terms import command_label, degrade_steps, monthly_price
from workforce.models import WorkOrder

VIEW = "subscriptions.view_subscription"
MANAGE = "subscriptions.manage_subscription"
IMPOSE = "subscriptions.impose_subscription"

ISO_DAY = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")

# How each state reads, with a sign besides its colour (never colour only).
STATE_BADGES = {
    SubscriptionState.PENDING_ACTIVATION: ("prospect", "…"),
    SubscriptionState.ACTIVE: ("active", "✓"),
    SubscriptionState.SUSPENDED: ("vip", "‖"),
    SubscriptionState.PENDING_TERMINATION: ("wo-risk", "◷"),
    SubscriptionState.TERMINATED: ("former", "✕"),
    SubscriptionState.ABORTED: ("former", "✕"),
}
ORDER_BADGES = {
    OrderState.ACKNOWLEDGED: ("wo-scheduled", "◷"),
    OrderState.IN_PROGRESS: ("wo-dispatched", "↻"),
    OrderState.HELD: ("wo-failed", "⚠"),
    OrderState.COMPLETED: ("wo-completed", "✓"),
    OrderState.CANCELLED: ("wo-cancelled", "✕"),
}
ITEM_BADGES = {
    ItemState.PENDING: ("prospect", "…"),
    ItemState.ACTIVE: ("active", "✓"),
    ItemState.SUSPENDED: ("vip", "‖"),
    ItemState.REMOVED: ("former", "✕"),
}
STEP_BADGES = {
    "waiting": ("wo-scheduled", "↻"),
    "applied": ("wo-completed", "✓"),
    "failed": ("wo-failed", "✕"),
}


def _day_first(text: str) -> str:
    """Milestones keep days as 2026-11-27; people read 27/11/2026."""
    return ISO_DAY.sub(r"\3/\2/\1", str(text))


# The page -------------------------------------------------------------------------------


@dataclass
class OrderView:
    """One order as the page shows it, with what the user may do to it."""

    order: SubscriptionOrder
    badge: tuple[str, str]
    milestones: list
    steps: list
    work_order_id: int | None
    can_retry: bool
    can_withdraw: bool
    withdraw_form: forms.Form | None
    retry_form: forms.Form | None
    withdraw_consequence: str

    @property
    def reason_text(self) -> str:
        return _day_first(self.order.reason)


@dataclass
class Action:
    """A dialog the page offers, as a link."""

    label: str
    url: str
    danger: bool = False


def _may_withdraw(user, order: SubscriptionOrder) -> bool:
    if order.state in (OrderState.ACKNOWLEDGED, OrderState.HELD) or (
            order.action == OrderAction.NEW and order.is_open):
        needed = IMPOSE if order.initiator == Initiator.PROVIDER else MANAGE
        return user.has_perm(needed)
    return False


def _may_retry(user, order: SubscriptionOrder) -> bool:
    return order.state == OrderState.HELD and (user.has_perm(MANAGE) or user.has_perm(IMPOSE))


def _order_views(request, subscription: Subscription, bound: dict | None) -> list[OrderView]:
    orders = list(subscription.orders.all())
    references = {order.work_order_ref for order in orders if order.work_order_ref}
    work_orders = dict(WorkOrder.objects.filter(number__in=references)
                       .values_list("number", "pk")) if references else {}
    result = []
    for order in orders:
        can_withdraw = _may_withdraw(request.user, order)
        can_retry = _may_retry(request.user, order)
        forms_of_order = (bound or {}).get(order.pk, {})
        result.append(OrderView(
            order=order, badge=ORDER_BADGES.get(order.state, ("", "")),
            milestones=[(milestone, _day_first(milestone.text))
                        for milestone in order.milestones.all()],
            steps=[(step, STEP_BADGES.get(step.status, ("", "")), command_label(step.command))
                   for step in order.steps.all()],
            work_order_id=work_orders.get(order.work_order_ref),
            can_retry=can_retry, can_withdraw=can_withdraw,
            withdraw_form=forms_of_order.get("withdraw") or (
                dialogs.WithdrawForm(prefix=f"order-{order.pk}") if can_withdraw else None),
            retry_form=forms_of_order.get("retry") or (
                dialogs.RetryForm(prefix=f"order-{order.pk}") if can_retry else None),
            withdraw_consequence=dialogs.withdraw_consequence(order) if can_withdraw else "",
        ))
    return result


def _actions(user, subscription: Subscription) -> list[Action]:
    """The dialogs this user may open on the subscription in its state."""
    state = subscription.state
    manage, impose = user.has_perm(MANAGE), user.has_perm(IMPOSE)
    live = [item for item in subscription.items.all() if item.state != ItemState.REMOVED]
    held = {item.service_id for item in live}
    actions: list[Action] = []

    def add(key: str, label: str, query: str = "", danger: bool = False) -> None:
        url = reverse("subscriptions:dialog", args=[subscription.pk, key])
        actions.append(Action(label=label, url=f"{url}?{query}" if query else url,
                              danger=danger))

    active = state == SubscriptionState.ACTIVE
    changeable = state in (SubscriptionState.ACTIVE, SubscriptionState.SUSPENDED)
    imposed = subscription.suspension_initiator == Initiator.PROVIDER or subscription.degraded
    if active and manage:
        add("suspend", _("Suspend for a holiday…"), "initiator=customer")
    if active and impose:
        add("suspend", _("Suspend for the provider…"), "initiator=provider")
    if active and impose and not subscription.degraded:
        add("degrade", _("Degrade for the provider…"))
    resumable = state == SubscriptionState.SUSPENDED or (
        subscription.degraded and state == SubscriptionState.ACTIVE)
    if resumable and (impose or (manage and not imposed)):
        add("resume", _("Resume…"))
    if active and manage:
        add("change-offer", _("Change offer…"))
        if any(item.role == ItemRole.OPTION and item.service_id not in held
               for item in subscription.offer_version.items.all()):
            add("add-option", _("Add an option…"))
    if changeable and manage:
        if any(item.role == ItemRole.OPTION for item in live):
            add("remove-option", _("Remove an option…"))
        add("add-user", _("Add a user…"))
        if any(person.is_active for person in subscription.users.all()):
            add("remove-user", _("Remove a user…"))
    if active and manage:
        add("move", _("Move to another address…"))
    if changeable and manage:
        add("change-owner", _("Change owner…"))
    if active and manage and not subscription.degraded and any(
            item.state == ItemState.ACTIVE
            and item.service.kind in dialogs.PROGRAMME_KINDS_BOUGHT_AHEAD for item in live):
        add("pay-per-view", _("Pay-per-view…"))
    if state in (SubscriptionState.PENDING_ACTIVATION, SubscriptionState.ACTIVE,
                 SubscriptionState.SUSPENDED):
        if manage:
            add("cancel", _("Cancel for the customer…"), "initiator=customer", danger=True)
        if impose:
            add("cancel", _("Cancel for the provider…"), "initiator=provider", danger=True)
    return actions


def _detail_page(request, subscription: Subscription, *, bound: dict | None = None,
                 status: int = 200):
    subscription = selectors.subscription_detail(subscription=subscription)
    element_managers = ElementManagers()
    items = sorted(subscription.items.all(),
                   key=lambda item: (item.state == ItemState.REMOVED,
                                     item.role != ItemRole.INCLUDED,
                                     item.service.kind, item.pk))
    orders = _order_views(request, subscription, bound)
    planned_resumption = next((view.order for view in orders
                               if view.order.action == OrderAction.RESUME
                               and view.order.state == OrderState.ACKNOWLEDGED), None)
    context = {
        "subscription": subscription,
        "state_badge": STATE_BADGES.get(subscription.state, ("", "")),
        "medium_label": medium_label(subscription.access_medium),
        "monthly": monthly_price(subscription),
        "items": [(item, ITEM_BADGES.get(item.state, ("", "")),
                   element_managers.name_for(item.service),
                   dialogs.profile_words(item.service) if item.degraded else "")
                  for item in items],
        "users": list(subscription.users.all()),
        "equipment": selectors.subscription_equipment(subscription=subscription),
        "charges": [(charge, _day_first(charge.description))
                    for charge in subscription.charges.all()],
        "purchases": list(subscription.purchases.all()),
        "orders": orders,
        "held_orders": [view.order for view in orders if view.order.state == OrderState.HELD],
        "planned_resumption": planned_resumption,
        "actions": _actions(request.user, subscription),
        "degraded_services": [(item.service.name, dialogs.profile_words(item.service))
                              for item in items
                              if item.degraded and item.state != ItemState.REMOVED],
    }
    return render(request, "subscriptions/detail.html", context, status=status)


@require_GET
@staff_view(VIEW)
def subscription_detail(request, subscription_id: int):
    subscription = selectors.access_subscription(actor=request.user,
                                                 subscription_id=subscription_id)
    return _detail_page(request, subscription)


# Orders: retry and withdraw ----------------------------------------------------------


@require_POST
@staff_view(VIEW)
def order_action(request, subscription_id: int, order_id: int, action: str):
    """Retry a held order or withdraw a scheduled one, from the page; a
    refusal comes back (422) next to that order's button."""
    if action not in ("retry", "withdraw"):
        raise NotFound
    subscription = selectors.access_subscription(actor=request.user,
                                                 subscription_id=subscription_id)
    order = subscription.orders.filter(pk=order_id).first()
    if order is None:
        raise NotFound
    user = request.user
    if action == "retry":
        if not (user.has_perm(MANAGE) or user.has_perm(IMPOSE)):
            raise PermissionDenied
        form = dialogs.RetryForm(request.POST, prefix=f"order-{order.pk}")
    else:
        needed = IMPOSE if order.initiator == Initiator.PROVIDER else MANAGE
        if not user.has_perm(needed):
            raise PermissionDenied
        form = dialogs.WithdrawForm(request.POST, prefix=f"order-{order.pk}")
    if form.is_valid():
        try:
            if action == "retry":
                services.order_retry(order=order, actor=user)
                done = _("%(number)s was sent again to the element managers; it completes "
                         "when they confirm.") % {"number": order.number}
            else:
                services.subscription_order_cancel(order=order, actor=user,
                                                   reason=form.cleaned_data["reason"])
                done = _("%(number)s was withdrawn. %(consequence)s") % {
                    "number": order.number,
                    "consequence": dialogs.withdraw_consequence(order)}
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done)
            return redirect("subscriptions:detail", subscription.pk)
    return _detail_page(request, subscription, bound={order.pk: {action: form}}, status=422)


# Dialogs --------------------------------------------------------------------------------


def _order_words(order: SubscriptionOrder) -> str:
    if order.due_on:
        return _("Order %(number)s takes effect on %(day)s.") % {
            "number": order.number, "day": day_words(order.due_on)}
    if order.state == OrderState.COMPLETED:
        return _("Order %(number)s is done.") % {"number": order.number}
    return _("Order %(number)s is under way; it completes when the element managers "
             "confirm.") % {"number": order.number}


def _do_suspend(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    order = services.subscription_suspend(
        subscription=subscription, actor=request.user, initiator=data["initiator"],
        reason=data["reason"], resume_on=data["resume_on"], starts_on=data["starts_on"])
    if order.due_on:
        text = _("%(number)s will be suspended on %(day)s (order %(order)s).") % {
            "number": subscription.number, "day": day_words(order.due_on),
            "order": order.number}
    else:
        text = _("%(number)s is suspended from today (order %(order)s).") % {
            "number": subscription.number, "order": order.number}
    if data["resume_on"]:
        text += " " + _("It comes back by itself on %(day)s.") % {
            "day": day_words(data["resume_on"])}
    else:
        text += " " + _("It stays suspended until the provider resumes it.")
    return text


def _do_degrade(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    what = "; ".join(f"{step.service.name} {dialogs.profile_words(step.service)}"
                     for step in degrade_steps(subscription))
    order = services.subscription_degrade(subscription=subscription, actor=request.user,
                                          reason=data["reason"])
    return _("%(number)s is degraded (order %(order)s): %(what)s. A resumption by the "
             "provider restores it.") % {"number": subscription.number, "order": order.number,
                                         "what": what}


def _do_resume(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    order = services.subscription_resume(subscription=subscription, actor=request.user,
                                         initiator=data["initiator"], reason=data["reason"])
    return _("%(number)s is coming back (order %(order)s); the services are on again when the "
             "element managers confirm.") % {"number": subscription.number,
                                              "order": order.number}


def _do_cancel(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    order = services.subscription_cancel(subscription=subscription, actor=request.user,
                                         initiator=data["initiator"], reason=data["reason"],
                                         effective_on=data["effective_on"])
    if order.due_on:
        text = _("%(number)s ends on %(day)s (order %(order)s); until then it can be "
                 "withdrawn.") % {"number": subscription.number,
                                  "day": day_words(order.due_on), "order": order.number}
    else:
        text = _("%(number)s is cancelled (order %(order)s); the services are disabled.") % {
            "number": subscription.number, "order": order.number}
    fee = Decimal(order.details.get("fee") or "0")
    if fee:
        text += " " + _("An early-termination fee of %(fee)s is charged on the day it ends.") % {
            "fee": dialogs.money(fee, subscription.offer_version.currency)}
    if order.work_order_ref:
        text += " " + _("Work order %(number)s collects the equipment; book it with the "
                        "customer.") % {"number": order.work_order_ref}
    return text


def _do_change_offer(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    version, options = form.version, form.chosen_options(data)
    order = services.subscription_change_offer(
        subscription=subscription, offer_version=version, actor=request.user,
        options=options, at_next_cycle=data["when"] == dialogs.ChangeOfferForm.NEXT_CYCLE)
    return _("%(number)s moves to %(offer)s. %(order)s") % {
        "number": subscription.number, "offer": version, "order": _order_words(order)}


def _do_add_option(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    service = form.items[data["service"]].service
    order = services.subscription_add_option(subscription=subscription, service=service,
                                             actor=request.user)
    return _("%(service)s is being added. %(order)s") % {"service": service.name,
                                                          "order": _order_words(order)}


def _do_remove_option(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    service = form.items[data["service"]].service
    order = services.subscription_remove_option(subscription=subscription, service=service,
                                                actor=request.user)
    return _("%(service)s is being removed. %(order)s") % {"service": service.name,
                                                            "order": _order_words(order)}


def _do_add_user(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    person = form.candidates[data["service_user"]]
    services.subscription_add_user(
        subscription=subscription, actor=request.user,
        user=services.UserSpec(service_user=person, credential=data["credential"],
                               parental_pin=data["parental_pin"],
                               ppv_allowed=data["ppv_allowed"],
                               ppv_monthly_limit=data["ppv_monthly_limit"]))
    return _("%(user)s may now use %(number)s.") % {"user": person,
                                                    "number": subscription.number}


def _do_remove_user(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    user = form.users[data["user"]]
    services.subscription_remove_user(subscription_user=user, actor=request.user)
    return _("%(user)s no longer uses %(number)s.") % {"user": user.service_user,
                                                       "number": subscription.number}


def _do_move(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    address = form.addresses[data["address"]]
    order = services.subscription_move(subscription=subscription, address=address,
                                       actor=request.user)
    text = _("%(number)s is moving to %(address)s (order %(order)s).") % {
        "number": subscription.number, "address": address, "order": order.number}
    if order.work_order_ref:
        text += " " + _("Book the technician's visit of work order %(number)s with the "
                        "customer.") % {"number": order.work_order_ref}
    return text


def _do_change_owner(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    owner = form.owner
    services.subscription_change_owner(
        subscription=subscription, customer=owner,
        billing_account=form.accounts[data["billing_account"]],
        service_address=form.addresses[data["service_address"]], actor=request.user)
    return _("%(number)s now belongs to %(customer)s, who pays for it from now on.") % {
        "number": subscription.number, "customer": f"{owner.number} {owner.display_name}"}


def _do_pay_per_view(request, subscription: Subscription, form) -> str:
    data = form.cleaned_data
    user, (event, start) = form.chosen(data)
    services.pay_per_view_order(subscription=subscription, user=user, event=event,
                                showing_starts_at=start, actor=request.user)
    local = timezone.localtime(start)
    return _("%(title)s on %(day)s at %(time)s is being authorised on the smart card; "
             "%(price)s is charged on the next bill.") % {
        "title": event.title, "day": day_words(local.date()), "time": f"{local:%H:%M}",
        "price": dialogs.money(event.price, subscription.offer_version.currency)}


@dataclass(frozen=True)
class Dialog:
    """One dialog: its form, who may open it, and the service it calls."""

    title: str
    form_class: type[dialogs.DialogForm]
    confirm: str
    call: Callable
    # Any one of them opens the dialog; with `initiators`, each initiator
    # needs its own (the customer's: manage; the provider's: impose).
    permissions: tuple[str, ...] = (MANAGE,)
    initiators: tuple[str, ...] = ()
    danger: bool = False
    intro: str = ""
    # The service's name of a field → the form's, so its error shows next to it.
    field_map: tuple[tuple[str, str], ...] = ()


INITIATOR_PERMISSIONS = {Initiator.CUSTOMER: MANAGE, Initiator.PROVIDER: IMPOSE}

DIALOGS: dict[str, Dialog] = {
    "suspend": Dialog(
        title=gettext_lazy("Suspend"), form_class=dialogs.SuspendForm,
        confirm=gettext_lazy("Confirm the suspension"), call=_do_suspend,
        permissions=(MANAGE, IMPOSE), initiators=(Initiator.CUSTOMER, Initiator.PROVIDER),
        intro=gettext_lazy("The customer's holiday comes back by itself on its date; the "
                           "provider's suspension stays until the provider resumes it.")),
    "degrade": Dialog(
        title=gettext_lazy("Degrade for the provider"), form_class=dialogs.DegradeForm,
        confirm=gettext_lazy("Confirm the degrade"), call=_do_degrade, permissions=(IMPOSE,),
        intro=gettext_lazy("The provider's first step for bad payment, before suspending: "
                           "Internet throttled, TV down to the basic package, pay-per-view "
                           "blocked.")),
    "resume": Dialog(
        title=gettext_lazy("Resume"), form_class=dialogs.ResumeForm,
        confirm=gettext_lazy("Confirm the resumption"), call=_do_resume,
        permissions=(MANAGE, IMPOSE), initiators=(Initiator.CUSTOMER, Initiator.PROVIDER)),
    "cancel": Dialog(
        title=gettext_lazy("Cancel the subscription"), form_class=dialogs.CancelForm,
        confirm=gettext_lazy("Confirm the cancellation"), call=_do_cancel,
        permissions=(MANAGE, IMPOSE), initiators=(Initiator.CUSTOMER, Initiator.PROVIDER),
        danger=True),
    "change-offer": Dialog(
        title=gettext_lazy("Change offer"), form_class=dialogs.ChangeOfferForm,
        confirm=gettext_lazy("Confirm the change of offer"), call=_do_change_offer),
    "add-option": Dialog(
        title=gettext_lazy("Add an option"), form_class=dialogs.AddOptionForm,
        confirm=gettext_lazy("Add the option"), call=_do_add_option),
    "remove-option": Dialog(
        title=gettext_lazy("Remove an option"), form_class=dialogs.RemoveOptionForm,
        confirm=gettext_lazy("Remove the option"), call=_do_remove_option, danger=True),
    "add-user": Dialog(
        title=gettext_lazy("Add a user"), form_class=dialogs.AddUserForm,
        confirm=gettext_lazy("Add the user"), call=_do_add_user,
        field_map=(("users", "service_user"),)),
    "remove-user": Dialog(
        title=gettext_lazy("Remove a user"), form_class=dialogs.RemoveUserForm,
        confirm=gettext_lazy("Remove the user"), call=_do_remove_user, danger=True),
    "move": Dialog(
        title=gettext_lazy("Move to another address"), form_class=dialogs.MoveForm,
        confirm=gettext_lazy("Confirm the move"), call=_do_move),
    "change-owner": Dialog(
        title=gettext_lazy("Change owner"), form_class=dialogs.ChangeOwnerForm,
        confirm=gettext_lazy("Confirm the change of owner"), call=_do_change_owner,
        field_map=(("customer", "new_owner"),)),
    "pay-per-view": Dialog(
        title=gettext_lazy("Pay-per-view"), form_class=dialogs.PayPerViewForm,
        confirm=gettext_lazy("Buy it"), call=_do_pay_per_view,
        field_map=(("event", "showing"), ("showing_starts_at", "showing"))),
}


def _renamed(error: ValidationError, names: dict[str, str]) -> ValidationError:
    if not names or not hasattr(error, "error_dict"):
        return error
    renamed: dict[str, list] = {}
    for name, items in error.error_dict.items():
        renamed.setdefault(names.get(name, name), []).extend(items)
    return ValidationError(renamed)


def _allowed_initiators(user, dialog: Dialog) -> list[str]:
    return [initiator for initiator in dialog.initiators
            if user.has_perm(INITIATOR_PERMISSIONS[initiator])]


def _initial_from(query, form_class: type[dialogs.DialogForm]) -> dict:
    """Values a link may preset (?initiator=provider, ?service=3...)."""
    initial = {}
    for name, form_field in form_class.base_fields.items():
        if name not in query:
            continue
        if isinstance(form_field, forms.MultipleChoiceField):
            initial[name] = query.getlist(name)
        else:
            initial[name] = query.get(name, "")[:100]
    return initial


@require_http_methods(["GET", "POST"])
@staff_view(VIEW)
def subscription_dialog(request, subscription_id: int, action: str):
    """A dialog: the form with the plan for what was typed (GET; an htmx
    request for #dialog-plan gets the plan alone), and the confirmation
    (POST), or a review of the plan without confirming (POST "preview")."""
    dialog = DIALOGS.get(action)
    if dialog is None:
        raise NotFound
    user = request.user
    if not any(user.has_perm(permission) for permission in dialog.permissions):
        raise PermissionDenied
    subscription = selectors.access_subscription(actor=user, subscription_id=subscription_id)
    subscription = selectors.subscription_detail(subscription=subscription)
    initiators = _allowed_initiators(user, dialog)
    if request.method == "POST" and dialog.initiators:
        asked = request.POST.get("initiator")
        if asked in INITIATOR_PERMISSIONS and asked not in initiators:
            raise PermissionDenied
    arguments = {"subscription": subscription, "actor": user, "initiators": initiators}
    plan_only = bool(request.htmx) and request.htmx.target == "dialog-plan"
    if request.method == "POST":
        form = dialog.form_class(request.POST, **arguments)
    elif plan_only:
        form = dialog.form_class(request.GET, **arguments)
    else:
        form = dialog.form_class(initial=_initial_from(request.GET, dialog.form_class),
                                 **arguments)
    unavailable = form.unavailable()
    status = 200
    plan = None
    if request.method == "POST" and "preview" not in request.POST and not unavailable:
        if form.is_valid():
            # The plan for what was typed, kept if the service refuses it: the
            # operator sees what they asked for next to why it cannot be done.
            plan = form.plan()
            try:
                done = dialog.call(request, subscription, form)
            except ValidationError as error:
                apply_service_errors(form, _renamed(error, dict(dialog.field_map)))
            else:
                messages.success(request, done)
                return redirect("subscriptions:detail", subscription.pk)
        status = 422
    elif request.method == "POST" and unavailable:
        status = 422
    context = {
        "subscription": subscription, "dialog": dialog, "action": action, "form": form,
        "medium_label": medium_label(subscription.access_medium),
        "plan": plan or form.plan(), "unavailable": unavailable,
        "offers": [dialogs.offer_summary(version) for version in form.on_sale]
        if isinstance(form, dialogs.ChangeOfferForm) else [],
    }
    if plan_only:
        return render(request, "subscriptions/dialog_plan.html", context)
    return render(request, "subscriptions/dialog.html", context, status=status)


urlpatterns = [
    path("<int:subscription_id>/", subscription_detail, name="detail"),
    path("<int:subscription_id>/orders/<int:order_id>/<slug:action>/", order_action,
         name="order_action"),
    path("<int:subscription_id>/<slug:action>/", subscription_dialog, name="dialog"),
]
