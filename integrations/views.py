"""The supervisors' page of the integrations: health of every external
system, the outbox by destination and status, retry of dead messages, and
inbound messages waiting for attention."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from integrations import selectors, services
from integrations.choices import InboundKind, InboundStatus, OutboxStatus
from integrations.models import InboundMessage, OutboxMessage
from sesmu.decorators import staff_view


def _int_or_none(value: str) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


@require_GET
@staff_view("integrations.view_outboxmessage")
def health(request):
    return render(request, "integrations/health.html", {
        "systems": selectors.system_health_list(),
        "inbound_attention": selectors.inbound_attention_count(),
    })


@require_GET
@staff_view("integrations.view_outboxmessage")
def outbox(request):
    destination_id = _int_or_none(request.GET.get("destination", ""))
    status = request.GET.get("status", "")
    if status not in OutboxStatus.values:
        status = ""
    page = Paginator(selectors.outbox_list(destination_id=destination_id, status=status),
                     50).get_page(request.GET.get("page"))
    return render(request, "integrations/outbox.html", {
        "page": page, "status": status, "destination_id": destination_id,
        "statuses": OutboxStatus.choices,
        "systems": [health.system for health in selectors.system_health_list()],
    })


@require_POST
@staff_view("integrations.change_outboxmessage")
def outbox_retry(request, message_id: int):
    message = get_object_or_404(OutboxMessage, pk=message_id)
    try:
        services.outbox_retry(message=message, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("Message %(id)s will be sent again.") % {"id": message.pk})
    return redirect(request.POST.get("next") or "integrations:outbox")


@require_GET
@staff_view("integrations.view_inboundmessage")
def inbound(request):
    status = request.GET.get("status", "")
    kind = request.GET.get("kind", "")
    status = status if status in InboundStatus.values else ""
    kind = kind if kind in InboundKind.values else ""
    page = Paginator(selectors.inbound_list(status=status, kind=kind), 50).get_page(
        request.GET.get("page"))
    return render(request, "integrations/inbound.html", {
        "page": page, "status": status, "kind": kind,
        "statuses": InboundStatus.choices, "kinds": InboundKind.choices,
    })


@require_POST
@staff_view("integrations.change_inboundmessage")
def inbound_process(request, message_id: int):
    message = get_object_or_404(InboundMessage, pk=message_id)
    result = services.inbound_process(message_id=message.pk)
    if result is None:
        messages.error(request, _("This message cannot be processed again."))
    else:
        messages.success(request, _("Message %(id)s: %(status)s.") % {
            "id": message.pk, "status": InboundStatus(result).label})
    return redirect("integrations:inbound")
