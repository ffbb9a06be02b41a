"""The operator desk: one search box, the customer 360 page and the record of
the current call."""

from __future__ import annotations

from datetime import datetime

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import HttpResponseClientRedirect

from callcenter import panels, search
from customers import selectors as customer_selectors
from customers import services as customer_services
from customers.desk import timeline_context
from customers.forms import InteractionForm
from customers.selectors import access_customer
from sesmu.audit import audit_view
from sesmu.decorators import staff_view
from sesmu.errors import NotFound
from sesmu.forms import apply_service_errors
from sesmu.roles import works_only_in_the_field

VIEW_CUSTOMER = "customers.view_customer"


@require_GET
@staff_view(VIEW_CUSTOMER)
def home(request):
    if works_only_in_the_field(request.user):
        # Where a login leads: a technician on a phone wants their day.
        return redirect("workforce:today")
    recent = customer_selectors.interaction_list_visible_to(actor=request.user).filter(
        operator=request.user
    ).order_by("-started_at")[:10]
    return render(request, "callcenter/home.html", {"recent_interactions": recent})


@require_GET
@staff_view(VIEW_CUSTOMER)
def search_view(request):
    query = request.GET.get("q", "")
    result = search.search_everything(query=query, actor=request.user)
    single = result.single_target
    if single is not None and not request.GET.get("list"):
        if request.htmx:
            # htmx would follow a plain redirect and put the whole 360 page
            # inside the results box.
            return HttpResponseClientRedirect(single.url)
        return HttpResponseRedirect(single.url)
    template = "callcenter/partials/search_results.html" if request.htmx else \
        "callcenter/search.html"
    return render(request, template, {"result": result, "query": result.query})


def _panel_contexts(request, customer):
    rendered = {"main": [], "side": []}
    for panel in panels.panels_for(request.user):
        context = {} if panel.lazy else panel.context(customer=customer, actor=request.user)
        rendered[panel.column].append({"panel": panel, "context": context})
    return rendered


def _interaction_form(customer, data=None):
    initial = {"started_at": timezone.now().isoformat()}
    return InteractionForm(data, customer=customer, initial=initial,
                           prefix="interaction")


@require_GET
@staff_view(VIEW_CUSTOMER)
def customer_detail(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id, for_desk=True)
    audit_view(actor=request.user, target=customer, customer_id=customer.pk)
    return render(request, "callcenter/customer_360.html", {
        "customer": customer,
        "columns": _panel_contexts(request, customer),
        "interaction_form": _interaction_form(customer),
    })


@require_GET
@staff_view(VIEW_CUSTOMER)
def customer_panel(request, customer_id: int, key: str):
    """One panel on its own: lazy panels load through here, and any panel can
    be refreshed after a change."""
    panel = panels.get(key)
    if panel is None:
        raise NotFound
    if panel not in panels.panels_for(request.user):
        raise PermissionDenied
    customer = access_customer(actor=request.user, customer_id=customer_id, for_desk=True)
    context = panel.context(customer=customer, actor=request.user)
    return render(request, "callcenter/partials/panel.html", {
        "customer": customer, "item": {"panel": panel, "context": context},
        "interaction_form": _interaction_form(customer),
    })


def _parse_before(value: str) -> datetime | None:
    """The `before` of a "show older" link; a malformed one (parse_datetime
    raises on well-formed but impossible dates such as month 13) shows the
    latest entries rather than an error."""
    try:
        before = parse_datetime(value or "")
    except ValueError:
        return None
    if before is not None and timezone.is_naive(before):
        before = timezone.make_aware(before)
    return before


@require_GET
@staff_view(VIEW_CUSTOMER, "customers.view_interaction")
def customer_timeline(request, customer_id: int):
    """Every contact and change of a customer, 50 at a time. It shows what
    was said on each call, so a role that may not see interactions (a field
    technician, a dispatcher, an inventory clerk) may not open it."""
    customer = access_customer(actor=request.user, customer_id=customer_id)
    before = _parse_before(request.GET.get("before", ""))
    entries, more = customer_selectors.customer_timeline(customer=customer, limit=50,
                                                         before=before)
    context = {"customer": customer, "entries": entries, "more": more}
    if request.htmx:
        return render(request, "customers/partials/timeline_entries.html", context)
    return render(request, "customers/timeline.html", context)


@require_POST
@staff_view(VIEW_CUSTOMER, "customers.add_interaction")
def interaction_create(request, customer_id: int):
    customer = access_customer(actor=request.user, customer_id=customer_id, for_desk=True)
    form = _interaction_form(customer, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        # Both ends come from this moment when the page did not say when the
        # call started: the service's own "now" would be later than ended_at.
        ended_at = timezone.now()
        started_at: datetime = data.get("started_at") or ended_at
        try:
            customer_services.interaction_record(
                actor=request.user, customer=customer, channel=data["channel"],
                direction=data["direction"], topic=data["topic"], outcome=data["outcome"],
                summary=data["summary"], service_user=data.get("service_user"),
                started_at=started_at, ended_at=ended_at,
            )
        except ValidationError as error:
            apply_service_errors(form, error)
        else:
            if not request.htmx:
                messages.success(request, _("The interaction was recorded."))
                return redirect(reverse("callcenter:customer", args=[customer.pk]))
            form = _interaction_form(customer)
    status = 422 if form.errors else 200
    if not request.htmx and status == 422:
        return render(request, "callcenter/customer_360.html", {
            "customer": customer, "columns": _panel_contexts(request, customer),
            "interaction_form": form,
        }, status=status)
    panel = panels.get("timeline")
    return render(request, "callcenter/partials/panel.html", {
        "customer": customer,
        "item": {"panel": panel, "context": timeline_context(customer=customer,
                                                            actor=request.user)},
        "interaction_form": form,
        "saved": status == 200,
    }, status=status)
