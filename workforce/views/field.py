"""The field technician's phone page: today's orders in route order, and
for each order a big button for the next step (en route, on site), the
completion form (serials installed and recovered, the customer's signature,
a note) and the failure form. Every form carries a submission id made when
it is shown, so a form sent twice after a dropped connection is done once
(the services recognise it)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import prefetch_related_objects
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from customers.choices import ContactKind
from customers.models import ContactPoint, Customer
from customers.selectors import contact_list
from sesmu.decorators import staff_view
from sesmu.forms import apply_service_errors
from workforce import selectors, services
from workforce.choices import EquipmentDirection, FailureReason, WorkOrderState
from workforce.models import WorkOrder, WorkOrderItem

PERFORM = "workforce.perform_workorder"

# The step each state leads to, with the service that takes it.
STEPS = {
    WorkOrderState.DISPATCHED: ("en_route", gettext_lazy("En route"),
                                gettext_lazy("Press when you set off to the customer.")),
    WorkOrderState.EN_ROUTE: ("on_site", gettext_lazy("On site"),
                              gettext_lazy("Press when you arrive at the customer's.")),
}
FAILABLE = (WorkOrderState.DISPATCHED, WorkOrderState.EN_ROUTE, WorkOrderState.ON_SITE)


def _new_submission() -> str:
    return uuid.uuid4().hex


# Forms ------------------------------------------------------------------------


class SubmissionForm(forms.Form):
    submission_id = forms.CharField(widget=forms.HiddenInput, max_length=64, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_bound:
            self.initial["submission_id"] = _new_submission()


class StepForm(SubmissionForm):
    action = forms.ChoiceField(choices=[("en_route", "en_route"), ("on_site", "on_site")],
                               widget=forms.HiddenInput)


class SerialsField(forms.CharField):
    """Serials, MAC addresses or card numbers, one a line (as a scanner types them)."""

    widget = forms.Textarea(attrs={"rows": 3, "autocomplete": "off", "spellcheck": "false",
                                   "autocapitalize": "characters"})

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [line.strip() for line in text.splitlines() if line.strip()]


class CompleteForm(SubmissionForm):
    installed = SerialsField(label=gettext_lazy("Serials installed"), required=False,
                             help_text=gettext_lazy("One a line; type or scan them."))
    recovered = SerialsField(label=gettext_lazy("Serials recovered"), required=False,
                             help_text=gettext_lazy("One a line; they go into your van."))
    signed_by = forms.CharField(label=gettext_lazy("Signed by"), max_length=150,
                                required=False,
                                widget=forms.TextInput(attrs={"autocomplete": "off"}))
    # Filled by the signature pad; the service says when it is missing.
    signature = forms.CharField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=gettext_lazy("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


class FailForm(SubmissionForm):
    reason = forms.ChoiceField(label=gettext_lazy("Why could it not be done?"),
                               choices=FailureReason.choices, widget=forms.RadioSelect)
    note = forms.CharField(label=gettext_lazy("Note"), required=False,
                           widget=forms.Textarea(attrs={"rows": 2}))


# Pages ------------------------------------------------------------------------


def primary_phone(customer: Customer) -> ContactPoint | None:
    """The customer's primary phone, or their first phone when none is primary."""
    phones = [contact for contact in contact_list(customer=customer)
              if contact.kind == ContactKind.PHONE]
    phones.sort(key=lambda contact: not contact.is_primary)
    return phones[0] if phones else None


@dataclass
class Visit:
    """An order as the technician sees it: where, whom to call, what to carry."""

    order: WorkOrder
    phone: ContactPoint | None
    to_install: list[WorkOrderItem]
    to_recover: list[WorkOrderItem]

    @property
    def step(self):
        return STEPS.get(self.order.state)

    @property
    def is_closed(self) -> bool:
        return self.order.state in (WorkOrderState.COMPLETED, WorkOrderState.FAILED,
                                    WorkOrderState.CANCELLED)


def _visit(order: WorkOrder, lines: list[WorkOrderItem]) -> Visit:
    return Visit(order=order, phone=primary_phone(order.customer),
                 to_install=[line for line in lines
                             if line.direction == EquipmentDirection.INSTALL],
                 to_recover=[line for line in lines
                             if line.direction == EquipmentDirection.RECOVER])


@require_GET
@staff_view(PERFORM)
def today(request):
    day = timezone.localdate()
    orders = selectors.technician_day(technician=request.user, day=day)
    prefetch_related_objects(orders, "customer__contacts")
    visits = [_visit(order, list(order.equipment.all())) for order in orders]
    open_visits = [visit for visit in visits if not visit.is_closed]
    return render(request, "workforce/field/today.html", {
        "day": day, "visits": visits, "open_count": len(open_visits),
        "next_visit": open_visits[0] if open_visits else None,
    })


def _complete_initial(visit: Visit) -> dict:
    return {
        "installed": "\n".join(line.item.serial_number for line in visit.to_install
                               if not line.done),
        "recovered": "\n".join(line.item.serial_number for line in visit.to_recover
                               if not line.done),
        "signed_by": visit.order.customer.display_name,
    }


def _order_page(request, order: WorkOrder, *, step_form: StepForm | None = None,
                complete_form: CompleteForm | None = None, fail_form: FailForm | None = None,
                status: int = 200):
    visit = _visit(order, selectors.work_order_equipment(work_order=order))
    context = {"visit": visit, "order": order, "step_form": step_form,
               "complete_form": complete_form, "fail_form": fail_form}
    if visit.step and step_form is None:
        context["step_form"] = StepForm(initial={"action": visit.step[0]})
    if order.state == WorkOrderState.ON_SITE and complete_form is None:
        context["complete_form"] = CompleteForm(initial=_complete_initial(visit))
    if order.state in FAILABLE and fail_form is None:
        context["fail_form"] = FailForm()
    if visit.is_closed:
        later = [other for other in selectors.technician_day(technician=request.user,
                                                             day=timezone.localdate())
                 if other.state not in (WorkOrderState.COMPLETED, WorkOrderState.FAILED)]
        context["next_order"] = later[0] if later else None
    return render(request, "workforce/field/order.html", context, status=status)


@require_GET
@staff_view(PERFORM)
def today_order(request, work_order_id: int):
    order = selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
    return _order_page(request, order)


def _submit(request, order: WorkOrder, form: SubmissionForm, form_key: str, call, done: str):
    """Validate the form, call one service; back to the order on success,
    the page with the reason (422) otherwise."""
    if form.is_valid():
        try:
            call(form.cleaned_data)
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            messages.success(request, done % {"number": order.number})
            return redirect("workforce:today_order", order.pk)
    order.refresh_from_db()
    return _order_page(request, order, status=422, **{form_key: form})


@require_POST
@staff_view(PERFORM)
def today_action(request, work_order_id: int):
    """The next step: en route, then on site."""
    order = selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
    form = StepForm(request.POST)

    def call(data):
        service = (services.work_order_start_travel if data["action"] == "en_route"
                   else services.work_order_arrive)
        service(work_order=order, actor=request.user, submission_id=data["submission_id"])

    done = (_("%(number)s: you are on your way.") if request.POST.get("action") == "en_route"
            else _("%(number)s: you are on site."))
    return _submit(request, order, form, "step_form", call, done)


@require_POST
@staff_view(PERFORM)
def today_complete(request, work_order_id: int):
    order = selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
    form = CompleteForm(request.POST)

    def call(data):
        services.work_order_complete(
            work_order=order, actor=request.user, signature=data["signature"],
            signed_by=data["signed_by"], installed=data["installed"],
            recovered=data["recovered"], note=data["note"],
            submission_id=data["submission_id"])

    return _submit(request, order, form, "complete_form", call, _("%(number)s is completed."))


@require_POST
@staff_view(PERFORM)
def today_fail(request, work_order_id: int):
    order = selectors.access_work_order(actor=request.user, work_order_id=work_order_id)
    form = FailForm(request.POST)

    def call(data):
        services.work_order_fail(work_order=order, reason=data["reason"], actor=request.user,
                                 note=data["note"], submission_id=data["submission_id"])

    return _submit(request, order, form, "fail_form", call,
                   _("%(number)s is recorded as not done."))


urlpatterns = [
    path("today/", today, name="today"),
    path("today/<int:work_order_id>/", today_order, name="today_order"),
    path("today/<int:work_order_id>/step/", today_action, name="today_action"),
    path("today/<int:work_order_id>/complete/", today_complete, name="today_complete"),
    path("today/<int:work_order_id>/fail/", today_fail, name="today_fail"),
]
