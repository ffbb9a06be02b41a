"""The dialogs of the subscription page: what each one asks, and the plan it
shows before the operator confirms (the dates, the fees and prices, the
commands the element managers will get, the equipment that moves). The
plans come from `subscriptions.terms`, which the services carry out, so
what the operator reads is what happens. The forms only parse; the
services decide and say why not."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Sum
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers.choices import AccountStatus
from customers.models import Address, BillingAccount, Customer
from customers.selectors import customer_search_by_number
from integrations.choices import SystemKind
from integrations.models import ExternalSystem
from sesmu.choices import SERVICE_PLATFORM, ServiceKind
from sesmu.money import format_money
from subscriptions.choices import (
    CredentialKind,
    Initiator,
    ItemRole,
    ItemState,
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
    SubscriptionUser,
)
from subscriptions.selectors import offer_price, offers_on_sale
from subscriptions.services.lifecycle import medium_label, showing_starts
from subscriptions.terms import (
    DEGRADE_PROFILES,
    MAX_HOLIDAY_DAYS,
    NetworkStep,
    add_months,
    cancellation_terms,
    degrade_steps,
    live_items,
    monthly_price,
    next_cycle_start,
    offer_change,
    resume_steps,
    suspend_steps,
)

# Bought ahead from the desk; impulse pay-per-view is bought on the set-top box.
PROGRAMME_KINDS_BOUGHT_AHEAD = (ServiceKind.PAY_PER_VIEW, ServiceKind.NEAR_VIDEO_ON_DEMAND)
PROFILE_WORDS = {
    "throttled": gettext_lazy("speed throttled"),
    "basic": gettext_lazy("down to the basic package"),
    "blocked": gettext_lazy("blocked"),
}


# Words ------------------------------------------------------------------------------


def profile_words(service: CatalogService) -> str:
    """What a degrade does to a service: “speed throttled”."""
    return str(PROFILE_WORDS.get(DEGRADE_PROFILES.get(service.kind, ""), ""))


def day_words(day: date) -> str:
    """“Thursday 26/11/2026”, in the user's language."""
    return f"{formats.date_format(day, 'l')} {formats.date_format(day, 'SHORT_DATE_FORMAT')}"


def when_words(day: date) -> str:
    if day <= timezone.localdate():
        return _("Today, as soon as you confirm")
    return day_words(day)


def money(amount: Decimal, currency: str) -> str:
    return format_money(amount, currency)


class ElementManagers:
    """Which element manager provisions each service, read once for a page:
    the service's own system, or the enabled service-management system of
    its platform (as `subscriptions.services.orders.element_manager_for`
    picks it, without a query per service)."""

    def __init__(self) -> None:
        self.systems = list(ExternalSystem.objects.order_by("code"))
        self.by_id = {system.pk: system for system in self.systems}

    def name_for(self, service: CatalogService) -> str:
        if service.provisioning_system_id:
            system = self.by_id.get(service.provisioning_system_id)
        else:
            platform = SERVICE_PLATFORM.get(service.kind)
            served = {kind for kind, its in SERVICE_PLATFORM.items() if its == platform}
            system = next((system for system in self.systems
                           if system.kind == SystemKind.SERVICE_MANAGEMENT and system.enabled
                           and system.service_kind in served), None) if platform else None
        return system.name if system is not None and system.enabled else ""

    def step_text(self, step: NetworkStep, extra: str = "") -> str:
        name = self.name_for(step.service)
        text = step.text
        if name:
            text = _("%(step)s at %(system)s") % {"step": text, "system": name}
        else:
            text = _("%(step)s (no element manager is registered for it: the order will be "
                     "refused)") % {"step": text}
        return f"{text} ({extra})" if extra else text


@dataclass
class Plan:
    """What a dialog says will happen, in sections the template lays out."""

    when: list[tuple[str, str]] = field(default_factory=list)
    money: list[str] = field(default_factory=list)
    network: list[tuple[str, list[str]]] = field(default_factory=list)
    equipment: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


# Widgets and fields ----------------------------------------------------------------


class DayInput(forms.DateInput):
    """A browser date picker: it sends and shows ISO dates whatever the
    user's language."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


INITIATOR_WORDS = {
    "suspend": {Initiator.CUSTOMER: gettext_lazy("The customer (a holiday)"),
                Initiator.PROVIDER: gettext_lazy("The provider (e.g. unpaid bills)")},
    "resume": {Initiator.CUSTOMER: gettext_lazy("The customer"),
               Initiator.PROVIDER: gettext_lazy("The provider (lifts its suspension or "
                                                "degrade)")},
    "cancel": {Initiator.CUSTOMER: gettext_lazy("The customer (with notice; fee inside the "
                                                "minimum term)"),
               Initiator.PROVIDER: gettext_lazy("The provider (no fee; now or at a date)")},
}


# The base of every dialog ------------------------------------------------------------


class DialogForm(forms.Form):
    """A dialog's form: it knows the subscription (with its services
    prefetched), who acts, and which initiators they may act for; `plan()`
    works out what would happen from the fields that are valid so far."""

    # The dialog's name in INITIATOR_WORDS when it asks who initiates.
    initiator_words = ""

    def __init__(self, *args, subscription: Subscription, actor, initiators=(),
                 element_managers: ElementManagers | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.subscription = subscription
        self.actor = actor
        self.initiators = list(initiators)
        self._element_managers = element_managers
        if "initiator" in self.fields:
            words = INITIATOR_WORDS[self.initiator_words]
            self.fields["initiator"].choices = [(value, words[value]) for value in self.initiators]
            if len(self.initiators) >= 1 and "initiator" not in self.initial:
                self.initial["initiator"] = self.default_initiator()
        self.setup()
        # Keyboard first: the dialog opens with the cursor in its first field.
        # (Not a group of choices: the focus would sit on a choice not chosen.)
        first = next((form_field for form_field in self.fields.values()
                      if not isinstance(form_field.widget, (
                          forms.HiddenInput, forms.RadioSelect, forms.CheckboxSelectMultiple))),
                     None)
        if first is not None:
            first.widget.attrs.setdefault("autofocus", True)
        # One possible answer is the answer: the plan shows at once.
        for name, form_field in self.fields.items():
            values = [value for value, _label in getattr(form_field, "choices", [])
                      if value != "" and not isinstance(_label, (list, tuple))]
            if (form_field.required and len(values) == 1 and name not in self.initial
                    and isinstance(form_field, forms.ChoiceField)
                    and not isinstance(form_field, forms.MultipleChoiceField)
                    and not isinstance(form_field.widget, forms.HiddenInput)):
                self.initial[name] = values[0]

    def setup(self) -> None:
        """Narrow the fields' choices to this subscription."""

    def default_initiator(self) -> str:
        return self.initiators[0]

    @property
    def element_managers(self) -> ElementManagers:
        if self._element_managers is None:
            self._element_managers = ElementManagers()
        return self._element_managers

    def value_of(self, name: str) -> Any:
        """The raw value of a field, typed or preset, before validation."""
        if self.is_bound:
            return self.data.get(name)
        return self.initial.get(name)

    def unavailable(self) -> str:
        """Why this dialog cannot be used on the subscription now, or ""."""
        return ""

    def plan(self) -> Plan:
        """The plan for what was typed so far (or for the preset values)."""
        source = self
        if not self.is_bound:
            source = type(self)(data=self._initial_as_data(), subscription=self.subscription,
                                actor=self.actor, initiators=self.initiators,
                                element_managers=self._element_managers)
        source.is_valid()
        return source.build_plan(getattr(source, "cleaned_data", {}))

    def build_plan(self, values: dict) -> Plan:
        raise NotImplementedError

    def _initial_as_data(self) -> dict:
        data: dict[str, Any] = {}
        for name, form_field in self.fields.items():
            value = self.get_initial_for_field(form_field, name)
            if value is None or value == "":
                continue
            if isinstance(value, date):
                value = value.isoformat()
            elif isinstance(value, bool):
                if not value:
                    continue
                value = "on"
            data[name] = value
        return data

    def step_texts(self, steps: list[NetworkStep]) -> list[str]:
        return [self.element_managers.step_text(step) for step in steps]

    def network_section(self, plan: Plan, heading: str, steps: list[NetworkStep]) -> None:
        plan.network.append((heading, self.step_texts(steps)))


def require(form: forms.Form, values: dict, name: str, message: str) -> None:
    """A field the services need in this case: say so next to it with the
    rest of the errors, rather than one at a time."""
    if name in form.errors:
        return
    value = values.get(name)
    if value is None or (isinstance(value, str) and not value.strip()):
        form.add_error(name, ValidationError(message, code="required"))


def illegal_words(subscription: Subscription, what: str) -> str:
    return _("Subscription %(number)s is “%(state)s”: it cannot be %(what)s.") % {
        "number": subscription.number, "state": subscription.state_label, "what": what}


def planned_resumptions(subscription: Subscription) -> list:
    return [order for order in subscription.orders.all()
            if order.action == OrderAction.RESUME and order.state == OrderState.ACKNOWLEDGED]


# Suspend, degrade, resume -------------------------------------------------------------


class SuspendForm(DialogForm):
    """A customer's holiday (with the day it comes back) or the provider's
    suspension (with its reason): who asks and why are kept apart."""

    initiator_words = "suspend"

    initiator = forms.ChoiceField(label=gettext_lazy("Who asks for it"),
                                  widget=forms.RadioSelect)
    starts_on = forms.DateField(
        label=gettext_lazy("Stops on"), required=False, widget=DayInput(),
        help_text=gettext_lazy("Today, or a later day. Empty: today."))
    resume_on = forms.DateField(
        label=gettext_lazy("Comes back on"), required=False, widget=DayInput(),
        help_text=gettext_lazy("Required for a holiday: the service comes back by itself that "
                               "day (at most %(days)s days later).") % {"days": MAX_HOLIDAY_DAYS})
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, max_length=300,
        help_text=gettext_lazy("Required when the provider suspends (e.g. “Bills of September "
                               "and October unpaid”)."))

    def setup(self) -> None:
        self.initial.setdefault("starts_on", timezone.localdate())
        if Initiator.PROVIDER not in self.initiators:
            self.fields["reason"].help_text = _("Optional: the customer's words (e.g. "
                                                "“Summer holiday”).")

    def unavailable(self) -> str:
        if self.subscription.state != SubscriptionState.ACTIVE:
            return illegal_words(self.subscription, _("suspended"))
        return ""

    def clean(self) -> dict:
        values = super().clean()
        if values.get("initiator") == Initiator.CUSTOMER:
            require(self, values, "resume_on", _("Say when the service comes back."))
        if values.get("initiator") == Initiator.PROVIDER:
            require(self, values, "reason", _("Say why the provider suspends the service."))
        return values

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        today = timezone.localdate()
        start = values.get("starts_on") or today
        resume = values.get("resume_on")
        initiator = values.get("initiator")
        plan.when.append((_("Service stops"), when_words(start)))
        if resume:
            plan.when.append((_("Comes back"), _("%(day)s, by itself") % {
                "day": day_words(resume)}))
            if resume > start:
                plan.when.append((_("Length"), _("%(days)s days") % {
                    "days": (resume - start).days}))
        elif initiator == Initiator.PROVIDER:
            plan.when.append((_("Comes back"), _("When the provider resumes it")))
        else:
            plan.missing.append(_("Give the day the service comes back to see the whole plan."))
        plan.money.append(_("No one-off charge for suspending."))
        steps = suspend_steps(self.subscription)
        self.network_section(plan, when_words(start), steps)
        if resume:
            self.network_section(plan, day_words(resume),
                                 [NetworkStep(step.service, "resume") for step in steps])
            plan.notes.append(_("A resumption order is planned for %(day)s; it can be withdrawn "
                                "or the service resumed earlier.") % {"day": day_words(resume)})
        if initiator == Initiator.PROVIDER:
            plan.notes.append(_("Only a resumption by the provider brings the service back."))
        if start > today:
            plan.notes.append(_("Nothing changes until %(day)s; the order waits until then.")
                              % {"day": day_words(start)})
        plan.equipment.append(_("The equipment stays with the customer."))
        return plan


class DegradeForm(DialogForm):
    """The provider's first step for bad payment."""

    reason = forms.CharField(
        label=gettext_lazy("Reason"), max_length=300,
        help_text=gettext_lazy("Why the provider degrades the service (e.g. “Bill of October "
                               "unpaid”)."),
        error_messages={"required": gettext_lazy("Say why the service is degraded.")})

    def unavailable(self) -> str:
        subscription = self.subscription
        if subscription.state != SubscriptionState.ACTIVE:
            return illegal_words(subscription, _("degraded"))
        if subscription.degraded or not degrade_steps(subscription):
            return _("Nothing of this subscription can be degraded; suspend it instead.")
        return ""

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        plan.when.append((_("Takes effect"), when_words(timezone.localdate())))
        plan.money.append(_("No one-off charge."))
        plan.network.append((when_words(timezone.localdate()), [
            self.element_managers.step_text(step, profile_words(step.service))
            for step in degrade_steps(self.subscription)]))
        plan.notes.append(_("Pay-per-view cannot be bought while it is degraded."))
        plan.notes.append(_("Services not listed are left as they are. A resumption by the "
                            "provider restores everything."))
        return plan


class ResumeForm(DialogForm):
    """Bring the service back: after a holiday, or once the provider's
    reason is gone (which also undoes a degrade)."""

    initiator_words = "resume"

    initiator = forms.ChoiceField(label=gettext_lazy("Who asks for it"),
                                  widget=forms.RadioSelect)
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=300,
                             help_text=gettext_lazy("Optional (e.g. “Back from holiday early”, "
                                                    "“Debt paid”)."))

    def setup(self) -> None:
        if self.imposed():
            self.fields["initiator"].help_text = _(
                "The provider suspended or degraded it: only the provider can resume it.")

    def imposed(self) -> bool:
        subscription = self.subscription
        return subscription.suspension_initiator == Initiator.PROVIDER or subscription.degraded

    def default_initiator(self) -> str:
        wanted = Initiator.PROVIDER if self.imposed() else Initiator.CUSTOMER
        return wanted if wanted in self.initiators else self.initiators[0]

    def unavailable(self) -> str:
        subscription = self.subscription
        if subscription.state == SubscriptionState.SUSPENDED or (
                subscription.state == SubscriptionState.ACTIVE and subscription.degraded):
            if self.imposed() and Initiator.PROVIDER not in self.initiators:
                return _("The provider suspended or degraded this service; only the provider "
                         "can resume it. Ask a supervisor or the billing team.")
            return ""
        return illegal_words(subscription, _("resumed"))

    def clean(self) -> dict:
        values = super().clean()
        if values.get("initiator") == Initiator.CUSTOMER and self.imposed():
            self.add_error("initiator", ValidationError(
                _("The provider suspended this service; only the provider can resume it."),
                code="not_orderable"))
        return values

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        today = timezone.localdate()
        restore = values.get("initiator") == Initiator.PROVIDER
        plan.when.append((_("Service comes back"), when_words(today)))
        plan.money.append(_("No one-off charge."))
        self.network_section(plan, when_words(today),
                             resume_steps(self.subscription, restore=restore))
        for order in planned_resumptions(self.subscription):
            plan.notes.append(_("The resumption planned for %(day)s (order %(number)s) is "
                                "withdrawn: it is no longer needed.")
                              % {"day": day_words(order.due_on) if order.due_on else today,
                                 "number": order.number})
        if self.subscription.degraded and not restore:
            plan.notes.append(_("The degrade stays: only the provider restores it."))
        return plan


# Cancel -------------------------------------------------------------------------------


class CancelForm(DialogForm):
    """End the subscription: the customer with notice (and the fee inside
    the minimum term) or the provider with a reason, now or at a date."""

    initiator_words = "cancel"

    initiator = forms.ChoiceField(label=gettext_lazy("Who asks for it"),
                                  widget=forms.RadioSelect)
    effective_on = forms.DateField(
        label=gettext_lazy("Ends on"), required=False, widget=DayInput(),
        help_text=gettext_lazy("The customer: empty for the earliest day after the notice "
                               "period. The provider: empty for now."))
    reason = forms.CharField(
        label=gettext_lazy("Reason"), required=False, max_length=300,
        help_text=gettext_lazy("Required when the provider cancels."))

    def setup(self) -> None:
        if Initiator.PROVIDER not in self.initiators:
            self.fields["reason"].help_text = _("Optional: the customer's words (e.g. "
                                                "“Moving abroad”).")
            self.fields["effective_on"].help_text = _(
                "Empty: the earliest day after the notice period.")
        elif Initiator.CUSTOMER not in self.initiators:
            self.fields["effective_on"].help_text = _("Empty: now.")

    def unavailable(self) -> str:
        if self.subscription.state not in (SubscriptionState.PENDING_ACTIVATION,
                                           SubscriptionState.ACTIVE,
                                           SubscriptionState.SUSPENDED):
            return illegal_words(self.subscription, _("cancelled"))
        return ""

    def clean(self) -> dict:
        values = super().clean()
        if values.get("initiator") == Initiator.PROVIDER:
            require(self, values, "reason", _("Say why the provider cancels the subscription."))
        day = values.get("effective_on")
        if day is not None and day < timezone.localdate():
            self.add_error("effective_on", ValidationError(
                _("A cancellation cannot take effect in the past."), code="bad_date"))
        return values

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        subscription = self.subscription
        initiator = values.get("initiator") or Initiator.CUSTOMER
        if subscription.state == SubscriptionState.PENDING_ACTIVATION:
            plan.when.append((_("Ends"), when_words(timezone.localdate())))
            plan.money.append(_("No fee: it was never active."))
            self.network_section(plan, when_words(timezone.localdate()),
                                 [NetworkStep(item.service, "disable")
                                  for item in live_items(subscription)
                                  if item.state != ItemState.PENDING])
            plan.equipment.append(_("Reserved equipment goes back to stock and any booked "
                                    "visit is cancelled."))
            return plan
        requested = values.get("effective_on")
        if requested is not None and requested < timezone.localdate():
            requested = None
        terms = cancellation_terms(subscription=subscription, initiator=initiator,
                                   requested_on=requested)
        version = subscription.offer_version
        plan.when.append((_("Ends"), when_words(terms.effective_on)))
        if initiator == Initiator.CUSTOMER and subscription.activated_at is not None:
            plan.when.append((_("Notice"), _("%(days)s days: the earliest end is %(day)s") % {
                "days": version.notice_days, "day": day_words(terms.earliest_on)}))
            if requested is not None and requested < terms.earliest_on:
                plan.notes.append(_("The customer asked for %(asked)s; the notice period "
                                    "moves the end to %(day)s.")
                                  % {"asked": day_words(requested),
                                     "day": day_words(terms.effective_on)})
        if terms.commitment_ends_on:
            plan.when.append((_("Minimum term ends"), day_words(terms.commitment_ends_on)))
        if terms.fee:
            plan.money.append(_("Early-termination fee: %(fee)s, because it ends before the "
                                "minimum term ends on %(day)s.")
                              % {"fee": money(terms.fee, terms.currency),
                                 "day": day_words(terms.commitment_ends_on)})
        elif initiator == Initiator.PROVIDER:
            plan.money.append(_("No early-termination fee: the provider cancels."))
        elif terms.commitment_ends_on:
            plan.money.append(_("No early-termination fee: the minimum term is over by then."))
        else:
            plan.money.append(_("No early-termination fee: this offer has no minimum term."))
        self.network_section(plan, when_words(terms.effective_on), terms.steps)
        for item in terms.to_recover:
            plan.equipment.append(_("A technician collects %(model)s %(serial)s (%(terms)s).")
                                  % {"model": item.model, "serial": item.serial_number,
                                     "terms": item.model.get_supply_terms_display().lower()})
        for item in terms.to_release:
            plan.equipment.append(_("%(model)s %(serial)s goes back to stock.")
                                  % {"model": item.model, "serial": item.serial_number})
        if not terms.to_recover and not terms.to_release:
            plan.equipment.append(_("No equipment to collect."))
        if not terms.is_now:
            plan.notes.append(_("Until then it stays as it is, pending termination; the "
                                "cancellation can be withdrawn before that day."))
        return plan


# Modifications --------------------------------------------------------------------------


def option_label(service: CatalogService, price: Decimal, currency: str) -> str:
    return _("%(service)s (+%(price)s a month)") % {"service": service.name,
                                                     "price": money(price, currency)}


class ChangeOfferForm(DialogForm):
    """Another offer on sale where the subscription is (its access medium
    and postal code), with options, now or at the next billing cycle."""

    NOW, NEXT_CYCLE = "now", "next_cycle"

    offer_version = forms.TypedChoiceField(label=gettext_lazy("New offer"), coerce=int,
                                           widget=forms.HiddenInput)
    options = forms.TypedMultipleChoiceField(label=gettext_lazy("Options"), coerce=int,
                                             required=False,
                                             widget=forms.CheckboxSelectMultiple)
    when = forms.ChoiceField(label=gettext_lazy("When"), widget=forms.RadioSelect,
                             initial=NOW)

    def setup(self) -> None:
        subscription = self.subscription
        self.on_sale = [version for version in offers_on_sale(
            access_medium=subscription.access_medium,
            postal_code=subscription.service_address.postal_code)
            if version.pk != subscription.offer_version_id]
        self.fields["offer_version"].choices = [(version.pk, str(version))
                                                for version in self.on_sale]
        self.fields["offer_version"].error_messages["invalid_choice"] = _(
            "Choose one of the offers on sale at this address.")
        self.version = self.chosen_version()
        option_items = ([item for item in self.version.items.all()
                         if item.role == ItemRole.OPTION] if self.version else [])
        self.fields["options"].choices = [
            (item.service_id, option_label(item.service, item.option_monthly_price,
                                           self.version.currency)) for item in option_items]
        held = {item.service_id for item in live_items(subscription)}
        self.initial.setdefault("options", [item.service_id for item in option_items
                                            if item.service_id in held])
        cycle = next_cycle_start(bill_day=subscription.billing_account.bill_day,
                                 after=timezone.localdate())
        self.fields["when"].choices = [
            (self.NOW, _("Now")),
            (self.NEXT_CYCLE, _("At the next billing cycle, on %(day)s")
             % {"day": day_words(cycle)}),
        ]

    def chosen_version(self) -> OfferVersion | None:
        value = self.value_of("offer_version")
        return next((version for version in self.on_sale if str(version.pk) == str(value)),
                    None)

    def unavailable(self) -> str:
        if self.subscription.state != SubscriptionState.ACTIVE:
            return illegal_words(self.subscription, _("changed"))
        return ""

    def chosen_options(self, values: dict) -> list[CatalogService]:
        if self.version is None:
            return []
        services = {item.service_id: item.service for item in self.version.items.all()}
        return [services[pk] for pk in values.get("options") or [] if pk in services]

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        version = self.version
        if version is None or "offer_version" not in values:
            plan.missing.append(_("Choose the new offer to see what changes."))
            return plan
        subscription = self.subscription
        change = offer_change(subscription=subscription, version=version,
                              options=self.chosen_options(values),
                              at_next_cycle=values.get("when") == self.NEXT_CYCLE)
        currency = version.currency
        plan.when.append((_("Takes effect"), when_words(change.effective_on)))
        plan.money.append(_("Monthly price: %(before)s now, %(after)s after the change.")
                          % {"before": money(change.monthly_before,
                                             subscription.offer_version.currency),
                             "after": money(change.monthly_after, currency)})
        if version.minimum_term_months:
            new_end = add_months(change.effective_on, version.minimum_term_months)
            current = subscription.commitment_ends_on
            end = max(new_end, current) if current else new_end
            plan.money.append(_("Minimum term: until %(day)s (%(months)s months from the "
                                "change, or the current term if it ends later).")
                              % {"day": day_words(end), "months": version.minimum_term_months})
        if change.added:
            plan.notes.append(_("Added: %(services)s.") % {
                "services": ", ".join(service.name for service in change.added)})
        if change.removed:
            plan.notes.append(_("Removed: %(services)s.") % {
                "services": ", ".join(item.service.name for item in change.removed)})
        if change.kept:
            plan.notes.append(_("Kept as they are: %(services)s.") % {
                "services": ", ".join(item.service.name for item in change.kept)})
        self.network_section(plan, when_words(change.effective_on), change.steps)
        needing = [service.name for service in change.added
                   if service.equipment_models.exists()]
        if needing:
            plan.equipment.append(_("Equipment for %(services)s is reserved from stock (a "
                                    "technician installs it when the access medium needs a "
                                    "visit).") % {"services": ", ".join(needing)})
        else:
            plan.equipment.append(_("No new equipment."))
        return plan


class AddOptionForm(DialogForm):
    service = forms.TypedChoiceField(label=gettext_lazy("Option"), coerce=int,
                                     widget=forms.RadioSelect,
                                     error_messages={"required": gettext_lazy(
                                         "Choose the option to add.")})

    def setup(self) -> None:
        version = self.subscription.offer_version
        held = {item.service_id for item in live_items(self.subscription)}
        self.items = {item.service_id: item for item in version.items.all()
                      if item.role == ItemRole.OPTION and item.service_id not in held}
        self.fields["service"].choices = [
            (pk, option_label(item.service, item.option_monthly_price, version.currency))
            for pk, item in self.items.items()]

    def unavailable(self) -> str:
        if self.subscription.state != SubscriptionState.ACTIVE:
            return illegal_words(self.subscription, _("changed"))
        if not self.items:
            return _("The subscription already has every option of its offer.")
        return ""

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        item = self.items.get(values.get("service"))
        if item is None:
            plan.missing.append(_("Choose the option to see what changes."))
            return plan
        subscription = self.subscription
        currency = subscription.offer_version.currency
        before = monthly_price(subscription)
        plan.when.append((_("Takes effect"), when_words(timezone.localdate())))
        plan.money.append(_("Monthly price: %(before)s now, %(after)s with %(service)s.")
                          % {"before": money(before, currency),
                             "after": money(before + item.option_monthly_price, currency),
                             "service": item.service.name})
        self.network_section(plan, when_words(timezone.localdate()),
                             [NetworkStep(item.service, "enable")])
        if item.service.equipment_models.exists():
            plan.equipment.append(_("Equipment it needs is reserved from stock if the "
                                    "subscription does not have it yet."))
        return plan


class RemoveOptionForm(DialogForm):
    service = forms.TypedChoiceField(label=gettext_lazy("Option"), coerce=int,
                                     widget=forms.RadioSelect,
                                     error_messages={"required": gettext_lazy(
                                         "Choose the option to remove.")})

    def setup(self) -> None:
        currency = self.subscription.offer_version.currency
        self.items = {item.service_id: item for item in live_items(self.subscription)
                      if item.role == ItemRole.OPTION}
        self.fields["service"].choices = [
            (pk, option_label(item.service, item.monthly_price, currency))
            for pk, item in self.items.items()]

    def unavailable(self) -> str:
        if self.subscription.state not in (SubscriptionState.ACTIVE,
                                           SubscriptionState.SUSPENDED):
            return illegal_words(self.subscription, _("changed"))
        if not self.items:
            return _("The subscription has no option to remove.")
        return ""

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        item = self.items.get(values.get("service"))
        if item is None:
            plan.missing.append(_("Choose the option to see what changes."))
            return plan
        subscription = self.subscription
        currency = subscription.offer_version.currency
        before = monthly_price(subscription)
        plan.when.append((_("Takes effect"), when_words(timezone.localdate())))
        plan.money.append(_("Monthly price: %(before)s now, %(after)s without %(service)s.")
                          % {"before": money(before, currency),
                             "after": money(before - item.monthly_price, currency),
                             "service": item.service.name})
        if item.state == ItemState.PENDING:
            plan.network.append((when_words(timezone.localdate()), []))
            plan.notes.append(_("%(service)s was never enabled: it is removed without a "
                                "command.") % {"service": item.service.name})
        else:
            self.network_section(plan, when_words(timezone.localdate()),
                                 [NetworkStep(item.service, "disable")])
        return plan


class AddUserForm(DialogForm):
    """One of the customer's service users, with their own credential and
    rights. The parental PIN is stored hashed and never shown again."""

    service_user = forms.TypedChoiceField(label=gettext_lazy("Service user"), coerce=int,
                                          error_messages={"required": gettext_lazy(
                                              "Choose who will use the subscription.")})
    credential = forms.CharField(label=gettext_lazy("Login or card"), required=False,
                                 max_length=100)
    parental_pin = forms.CharField(
        label=gettext_lazy("Parental PIN"), required=False, max_length=4, min_length=4,
        widget=forms.PasswordInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=gettext_lazy("Optional: 4 digits. Stored hashed; nobody can read it back."),
        error_messages={"min_length": gettext_lazy("A parental PIN has 4 digits."),
                        "max_length": gettext_lazy("A parental PIN has 4 digits.")})
    ppv_allowed = forms.BooleanField(label=gettext_lazy("May buy pay-per-view"),
                                     required=False, initial=True)
    ppv_monthly_limit = forms.DecimalField(
        label=gettext_lazy("Pay-per-view limit a month"), required=False, min_value=0,
        max_digits=8, decimal_places=2,
        help_text=gettext_lazy("Empty: no limit."),
        error_messages={"min_value": gettext_lazy("A limit cannot be negative.")})

    def setup(self) -> None:
        subscription = self.subscription
        using = {user.service_user_id for user in subscription.users.all() if user.is_active}
        self.candidates = {user.pk: user for user in subscription.customer.service_users.all()
                           if user.is_active and user.pk not in using}
        self.fields["service_user"].choices = [("", _("Choose…"))] + [
            (pk, str(user)) for pk, user in self.candidates.items()]
        kinds = {}
        for item in live_items(subscription):
            if item.service.credential_kind != CredentialKind.NONE:
                kinds.setdefault(item.service.get_credential_kind_display(), []).append(
                    item.service.name)
        if kinds:
            self.fields["credential"].help_text = _("What this user needs: %(needs)s.") % {
                "needs": "; ".join(f"{kind} ({', '.join(names)})"
                                   for kind, names in kinds.items())}

    def clean_parental_pin(self) -> str:
        pin = self.cleaned_data.get("parental_pin", "").strip()
        if pin and not pin.isdigit():
            raise ValidationError(_("A parental PIN has 4 digits."), code="invalid")
        return pin

    def unavailable(self) -> str:
        if self.subscription.state not in (SubscriptionState.ACTIVE,
                                           SubscriptionState.SUSPENDED):
            return illegal_words(self.subscription, _("changed"))
        if not self.candidates:
            return _("The customer has no other service user to add. Add the person on the "
                     "customer's page first.")
        return ""

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        user = self.candidates.get(values.get("service_user"))
        if user is None:
            plan.missing.append(_("Choose the service user."))
            return plan
        plan.when.append((_("Takes effect"), when_words(timezone.localdate())))
        plan.money.append(_("No charge."))
        plan.network.append((when_words(timezone.localdate()), []))
        plan.notes.append(_("%(user)s may use the subscription.") % {"user": user})
        if values.get("ppv_allowed"):
            limit = values.get("ppv_monthly_limit")
            currency = self.subscription.offer_version.currency
            plan.notes.append(_("May buy pay-per-view up to %(limit)s a month.")
                              % {"limit": money(limit, currency)} if limit is not None
                              else _("May buy pay-per-view without a monthly limit."))
        else:
            plan.notes.append(_("May not buy pay-per-view."))
        return plan


class RemoveUserForm(DialogForm):
    user = forms.TypedChoiceField(label=gettext_lazy("User"), coerce=int,
                                  widget=forms.RadioSelect,
                                  error_messages={"required": gettext_lazy(
                                      "Choose the user to remove.")})

    def setup(self) -> None:
        self.users = {user.pk: user for user in self.subscription.users.all() if user.is_active}
        self.fields["user"].choices = [(pk, str(user.service_user))
                                       for pk, user in self.users.items()]

    def unavailable(self) -> str:
        if self.subscription.state not in (SubscriptionState.ACTIVE,
                                           SubscriptionState.SUSPENDED):
            return illegal_words(self.subscription, _("changed"))
        if not self.users:
            return _("Nobody uses this subscription.")
        return ""

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        user = self.users.get(values.get("user"))
        if user is None:
            plan.missing.append(_("Choose the user to remove."))
            return plan
        plan.when.append((_("Takes effect"), when_words(timezone.localdate())))
        plan.money.append(_("No charge."))
        plan.network.append((when_words(timezone.localdate()), []))
        plan.notes.append(_("%(user)s no longer uses the subscription; their pay-per-view "
                            "purchases stay on record.") % {"user": user.service_user})
        return plan


class MoveForm(DialogForm):
    """Another address of the same customer: re-provisioned there, with a
    technician when the access medium needs one."""

    address = forms.TypedChoiceField(label=gettext_lazy("New service address"), coerce=int,
                                     widget=forms.RadioSelect,
                                     error_messages={"required": gettext_lazy(
                                         "Choose the address the service moves to.")})

    def setup(self) -> None:
        subscription = self.subscription
        self.addresses = {address.pk: address
                          for address in subscription.customer.addresses.all()
                          if address.is_active and address.pk != subscription.service_address_id}
        self.fields["address"].choices = [(pk, str(address))
                                          for pk, address in self.addresses.items()]

    def unavailable(self) -> str:
        if self.subscription.state != SubscriptionState.ACTIVE:
            return illegal_words(self.subscription, _("moved"))
        if not self.addresses:
            return _("The customer has no other address. Add it on the customer's page first.")
        return ""

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        address = self.addresses.get(values.get("address"))
        if address is None:
            plan.missing.append(_("Choose the new address."))
            return plan
        subscription = self.subscription
        today = timezone.localdate()
        active = [item for item in live_items(subscription) if item.state == ItemState.ACTIVE]
        plan.when.append((_("Takes effect"), when_words(today)))
        plan.when.append((_("From"), str(subscription.service_address)))
        plan.when.append((_("To"), str(address)))
        plan.money.append(_("No one-off charge; the monthly price stays."))
        self.network_section(plan, _("At the old address"),
                             [NetworkStep(item.service, "disable") for item in active])
        self.network_section(plan, _("At the new address"),
                             [NetworkStep(item.service, "enable") for item in active])
        plan.notes.append(_("SESMU checks that %(medium)s reaches %(code)s when you confirm.")
                          % {"medium": medium_label(subscription.access_medium),
                             "code": address.postal_code})
        if any(item.service.needs_visit_over(subscription.access_medium) for item in active):
            plan.equipment.append(_("A technician installs the service at the new address (a "
                                    "work order is created to book)."))
        plan.equipment.append(_("Installed equipment moves with the service to the new "
                                "address."))
        return plan


class ChangeOwnerForm(DialogForm):
    """Pass the subscription to another customer, found by their number,
    who pays with one of their accounts from now on."""

    new_owner = forms.CharField(label=gettext_lazy("New owner's customer number"),
                                max_length=20,
                                error_messages={"required": gettext_lazy(
                                    "Type the new owner's customer number.")})
    billing_account = forms.TypedChoiceField(
        label=gettext_lazy("Billing account that pays"), coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the account that pays from now on.")})
    service_address = forms.TypedChoiceField(
        label=gettext_lazy("New owner's service address"), coerce=int,
        widget=forms.RadioSelect,
        error_messages={"required": gettext_lazy("Choose the new owner's address where the "
                                                 "service is.")})

    def setup(self) -> None:
        self.owner = self.find_owner(self.value_of("new_owner") or "")
        accounts, addresses = [], []
        if self.owner is not None:
            accounts = list(BillingAccount.objects.filter(
                customer=self.owner, status=AccountStatus.ACTIVE).order_by("number"))
            addresses = list(Address.objects.filter(customer=self.owner, is_active=True)
                             .order_by("purpose", "id"))
        self.accounts = {account.pk: account for account in accounts}
        self.addresses = {address.pk: address for address in addresses}
        self.fields["billing_account"].choices = [(pk, str(account))
                                                  for pk, account in self.accounts.items()]
        self.fields["service_address"].choices = [(pk, str(address))
                                                  for pk, address in self.addresses.items()]

    def find_owner(self, text: str) -> Customer | None:
        if not isinstance(text, str) or not text.strip():
            return None
        found = customer_search_by_number(actor=self.actor, text=text[:20])
        return found[0] if found else None

    def clean_new_owner(self) -> str:
        text = self.cleaned_data["new_owner"]
        if self.owner is None:
            raise ValidationError(_("No customer has the number %(number)s.")
                                  % {"number": text}, code="not_found")
        if self.owner.pk == self.subscription.customer_id:
            raise ValidationError(_("This customer already owns the subscription."),
                                  code="already_there")
        return text

    def unavailable(self) -> str:
        if self.subscription.state not in (SubscriptionState.ACTIVE,
                                           SubscriptionState.SUSPENDED):
            return illegal_words(self.subscription, _("passed on"))
        return ""

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        if self.owner is None or "new_owner" not in values:
            plan.missing.append(_("Find the new owner by their customer number."))
            return plan
        subscription = self.subscription
        plan.when.append((_("Takes effect"), when_words(timezone.localdate())))
        plan.when.append((_("From"), f"{subscription.customer.number} "
                                     f"{subscription.customer.display_name}"))
        plan.when.append((_("To"), f"{self.owner.number} {self.owner.display_name}"))
        account = self.accounts.get(values.get("billing_account"))
        if account is not None:
            plan.money.append(_("From now on %(account)s pays the monthly price.")
                              % {"account": account})
        else:
            plan.missing.append(_("Choose the account that pays."))
        plan.network.append((when_words(timezone.localdate()), []))
        users = [str(user.service_user) for user in subscription.users.all() if user.is_active]
        if users:
            plan.notes.append(_("These users stop using it: %(users)s. Add the new owner's "
                                "users afterwards.") % {"users": ", ".join(users)})
        address = self.addresses.get(values.get("service_address"))
        if address is not None:
            plan.notes.append(_("The service address becomes %(address)s; the service stays "
                                "where it is.") % {"address": address})
        else:
            plan.missing.append(_("Choose the new owner's service address."))
        plan.equipment.append(_("Installed and reserved equipment passes to the new owner."))
        return plan


class PayPerViewForm(DialogForm):
    """An event (or a showing of a near-video-on-demand title) for one user,
    within their rights and monthly limit."""

    user = forms.TypedChoiceField(label=gettext_lazy("Who buys it"), coerce=int,
                                  error_messages={"required": gettext_lazy(
                                      "Choose who buys it.")})
    showing = forms.ChoiceField(label=gettext_lazy("Event and showing"),
                                error_messages={"required": gettext_lazy(
                                    "Choose the event and the showing.")})

    def setup(self) -> None:
        subscription = self.subscription
        self.users = {user.pk: user for user in subscription.users.all() if user.is_active}
        self.fields["user"].choices = [("", _("Choose…"))] + [
            (pk, str(user.service_user) if user.ppv_allowed
             else _("%(user)s (may not buy pay-per-view)") % {"user": user.service_user})
            for pk, user in self.users.items()]
        services = [item.service_id for item in live_items(subscription)
                    if item.state == ItemState.ACTIVE
                    and item.service.kind in PROGRAMME_KINDS_BOUGHT_AHEAD]
        now = timezone.now()
        self.showings: dict[str, tuple[ProgrammeEvent, datetime]] = {}
        groups = []
        events = (ProgrammeEvent.objects.filter(service_id__in=services, is_active=True)
                  .select_related("service").order_by("starts_at", "title")) if services else []
        currency = subscription.offer_version.currency
        for event in events:
            choices = []
            for start in showing_starts(event):
                if start <= now:
                    continue
                key = f"{event.pk}|{start.isoformat()}"
                self.showings[key] = (event, start)
                local = timezone.localtime(start)
                choices.append((key, f"{day_words(local.date())} {local:%H:%M}"))
            if choices:
                groups.append((_("%(title)s (%(service)s, %(price)s)") % {
                    "title": event.title, "service": event.service.name,
                    "price": money(event.price, currency)}, choices))
        self.fields["showing"].choices = [("", _("Choose…"))] + groups

    def unavailable(self) -> str:
        subscription = self.subscription
        if subscription.state != SubscriptionState.ACTIVE:
            return illegal_words(subscription, _("used for pay-per-view"))
        if subscription.degraded:
            return _("Pay-per-view is blocked on this subscription while it is degraded.")
        if not self.showings:
            return _("Nothing on the programme of this subscription's pay-per-view services "
                     "can be bought now.")
        if not self.users:
            return _("Nobody uses this subscription: add a user first.")
        return ""

    def clean_user(self) -> int:
        pk = self.cleaned_data["user"]
        user = self.users.get(pk)
        if user is not None and not user.ppv_allowed:
            raise ValidationError(_("%(user)s may not buy pay-per-view.")
                                  % {"user": user.service_user}, code="ppv_blocked")
        return pk

    def chosen(self, values: dict) -> tuple[SubscriptionUser | None,
                                            tuple[ProgrammeEvent, datetime] | None]:
        return self.users.get(values.get("user")), self.showings.get(values.get("showing") or "")

    def build_plan(self, values: dict) -> Plan:
        plan = Plan()
        user, showing = self.chosen(values)
        currency = self.subscription.offer_version.currency
        if showing is None:
            plan.missing.append(_("Choose the event and the showing."))
        else:
            event, start = showing
            local = timezone.localtime(start)
            end = timezone.localtime(start + timedelta(minutes=event.duration_minutes))
            plan.when.append((_("Showing"), f"{day_words(local.date())} {local:%H:%M}–"
                                            f"{end:%H:%M}"))
            plan.money.append(_("Price: %(price)s, charged once on the next bill.")
                              % {"price": money(event.price, currency)})
            self.network_section(plan, when_words(timezone.localdate()),
                                 [NetworkStep(event.service, "authorise_device")])
            plan.equipment.append(_("Authorised on the subscription's smart card for the "
                                    "showing only."))
        if user is None:
            plan.missing.append(_("Choose who buys it."))
        elif user.ppv_monthly_limit is None:
            plan.money.append(_("%(user)s has no monthly limit.") % {"user": user.service_user})
        else:
            spent = spent_this_month(user)
            left = max(user.ppv_monthly_limit - spent, Decimal("0"))
            plan.money.append(_("%(user)s's limit: %(limit)s a month; %(spent)s spent this "
                                "month, %(left)s left.")
                              % {"user": user.service_user,
                                 "limit": money(user.ppv_monthly_limit, currency),
                                 "spent": money(spent, currency),
                                 "left": money(left, currency)})
            if showing is not None and showing[0].price > left:
                plan.notes.append(_("This event costs more than what is left: it will be "
                                    "refused."))
        return plan


def spent_this_month(user: SubscriptionUser) -> Decimal:
    month_start = timezone.localdate().replace(day=1)
    return (PayPerViewPurchase.objects.filter(user=user, created_at__date__gte=month_start)
            .aggregate(total=Sum("price"))["total"] or Decimal("0"))


# Orders -------------------------------------------------------------------------------


class WithdrawForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), required=False, max_length=300,
                             widget=forms.TextInput(attrs={"style": "max-width: 22rem"}))


class RetryForm(forms.Form):
    """Nothing to ask: the refused commands are sent again."""


def withdraw_consequence(order) -> str:
    """What withdrawing an open order means, in words to tell the customer."""
    if order.action == OrderAction.NEW:
        return _("The subscription is cancelled before it starts; reserved equipment goes "
                 "back to stock.")
    if order.action == OrderAction.CANCEL:
        return _("The subscription is kept as it is.")
    if order.action == OrderAction.RESUME:
        return _("The service stays suspended until someone resumes it.")
    if order.action == OrderAction.SUSPEND:
        return _("The service is not suspended.")
    return _("Nothing of this order is done.")


def offer_summary(version: OfferVersion) -> dict:
    """One offer on sale as the change-of-offer dialog lists it."""
    included = [item.service.name for item in version.items.all()
                if item.role == ItemRole.INCLUDED]
    options = [option_label(item.service, item.option_monthly_price, version.currency)
               for item in version.items.all() if item.role == ItemRole.OPTION]
    return {"version": version, "included": included, "options": options,
            "monthly": money(offer_price(version=version).monthly, version.currency)}

