"""Read paths of the integrations app."""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from integrations.choices import InboundStatus, OutboxStatus, SystemKind
from integrations.models import ExternalSystem, InboundMessage, OutboxMessage
from sesmu.choices import SERVICE_PLATFORM


@dataclass
class SystemHealth:
    system: ExternalSystem
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def backlog(self) -> int:
        return sum(self.counts.get(status, 0) for status in
                   (OutboxStatus.PENDING, OutboxStatus.DELIVERING, OutboxStatus.FAILED))

    @property
    def dead(self) -> int:
        return self.counts.get(OutboxStatus.DEAD, 0)


def system_health_list() -> list[SystemHealth]:
    """Every external system with its outbox counts by status: two queries."""
    systems = list(ExternalSystem.objects.order_by("kind", "code"))
    rows = (
        OutboxMessage.objects.exclude(status=OutboxStatus.DELIVERED)
        .values("destination_id", "status").annotate(total=Count("id"))
    )
    by_system: dict[int, dict[str, int]] = {}
    for row in rows:
        by_system.setdefault(row["destination_id"], {})[row["status"]] = row["total"]
    return [SystemHealth(system=system, counts=by_system.get(system.pk, {}))
            for system in systems]


def outbox_list(*, destination_id: int | None = None, status: str = "") -> QuerySet:
    queryset = OutboxMessage.objects.select_related("destination").order_by("-id")
    if destination_id:
        queryset = queryset.filter(destination_id=destination_id)
    if status:
        queryset = queryset.filter(status=status)
    return queryset


def inbound_list(*, status: str = "", kind: str = "") -> QuerySet:
    queryset = InboundMessage.objects.select_related("system").defer("body").order_by("-id")
    if status:
        queryset = queryset.filter(status=status)
    if kind:
        queryset = queryset.filter(kind=kind)
    return queryset


def inbound_attention_count() -> int:
    return InboundMessage.objects.filter(
        Q(status=InboundStatus.FAILED) | Q(status=InboundStatus.UNHANDLED)
    ).count()


def service_management_system_for(service_kind: str) -> ExternalSystem | None:
    """The enabled element manager that provisions a kind of service (the
    conditional-access system for every TV service, the ISP platform for
    every on-line one), or None when none is registered."""
    platform = SERVICE_PLATFORM.get(service_kind)
    if platform is None:
        return None
    served = [kind for kind, its_platform in SERVICE_PLATFORM.items() if its_platform == platform]
    return (
        ExternalSystem.objects.filter(
            kind=SystemKind.SERVICE_MANAGEMENT, service_kind__in=served, enabled=True
        )
        .order_by("code")
        .first()
    )
