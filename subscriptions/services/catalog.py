"""Write paths of the catalog: offers and their versions. Services and
programme events are reference data edited in the back office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from sesmu.audit import audit_record, diff
from sesmu.errors import field_error
from sesmu.models import AuditAction, User
from subscriptions import errors
from subscriptions.choices import ItemRole, OfferStatus
from subscriptions.models import CatalogService, Offer, OfferItem, OfferVersion

TERM_FIELDS = ("monthly_price", "setup_fee", "currency", "minimum_term_months", "notice_days",
               "early_termination_fee", "access_media", "regions", "valid_from", "valid_until")


@dataclass(frozen=True)
class ItemSpec:
    service: CatalogService
    role: str = ItemRole.INCLUDED
    option_monthly_price: Decimal = Decimal("0")


def _set_items(version: OfferVersion, items: list[ItemSpec]) -> None:
    seen: set[int] = set()
    for spec in items:
        if spec.service.pk in seen:
            raise field_error("items", _("%(service)s is in the offer twice.")
                              % {"service": spec.service}, code=errors.DUPLICATE_SERVICE)
        seen.add(spec.service.pk)
        if spec.role == ItemRole.INCLUDED and spec.option_monthly_price:
            raise field_error("items", _("%(service)s is included: it has no price of its own.")
                              % {"service": spec.service}, code="invalid")
    version.items.all().delete()
    OfferItem.objects.bulk_create([
        OfferItem(version=version, service=spec.service, role=spec.role,
                  option_monthly_price=spec.option_monthly_price)
        for spec in items
    ])


def _check_draft(version: OfferVersion) -> None:
    if version.status != OfferStatus.DRAFT:
        raise field_error("version", _("%(version)s is %(status)s: published terms never "
                                       "change; make a new version.")
                          % {"version": version, "status": version.status_label.lower()},
                          code=errors.NOT_A_DRAFT)


@transaction.atomic
def offer_create(*, code: str, name: str, actor: User | None, terms: dict[str, Any],
                 items: list[ItemSpec], description: str = "") -> OfferVersion:
    """A new offer with its first version, as a draft."""
    offer = Offer(code=code, name=name, description=description)
    offer.full_clean()
    try:
        with transaction.atomic():
            offer.save()
    except IntegrityError:
        raise field_error("code", _("This code is already in use."), code="unique")
    version = OfferVersion(offer=offer, number=1, **terms)
    version.full_clean()
    version.save()
    _set_items(version, items)
    audit_record(actor=actor, action=AuditAction.CREATE, target=version,
                 changes=diff({}, {name: getattr(version, name) for name in TERM_FIELDS}))
    return version


@transaction.atomic
def offer_version_update(*, version: OfferVersion, actor: User | None,
                         terms: dict[str, Any] | None = None,
                         items: list[ItemSpec] | None = None) -> OfferVersion:
    """Change a draft's terms and/or its services."""
    version = OfferVersion.objects.select_for_update().get(pk=version.pk)
    _check_draft(version)
    before = {name: getattr(version, name) for name in TERM_FIELDS}
    for name, value in (terms or {}).items():
        if name not in TERM_FIELDS:
            raise ValueError(f"{name} is not a term of an offer version")
        setattr(version, name, value)
    version.full_clean()
    version.save()
    if items is not None:
        _set_items(version, items)
    audit_record(actor=actor, action=AuditAction.UPDATE, target=version,
                 changes=diff(before, {name: getattr(version, name) for name in TERM_FIELDS}))
    return version


@transaction.atomic
def offer_version_draft(*, offer: Offer, actor: User | None) -> OfferVersion:
    """A new draft version copying the latest one, to change the offer."""
    Offer.objects.select_for_update().get(pk=offer.pk)
    latest = offer.versions.order_by("-number").first()
    if latest is not None and latest.status == OfferStatus.DRAFT:
        raise field_error("offer", _("%(offer)s already has a draft: version %(number)s.")
                          % {"offer": offer, "number": latest.number}, code=errors.NOT_A_DRAFT)
    terms = {name: getattr(latest, name) for name in TERM_FIELDS} if latest else {
        "valid_from": timezone.localdate()}
    terms["valid_from"] = max(terms["valid_from"], timezone.localdate())
    if terms.get("valid_until") and terms["valid_until"] < terms["valid_from"]:
        terms["valid_until"] = None
    version = OfferVersion.objects.create(offer=offer,
                                          number=(latest.number + 1) if latest else 1, **terms)
    if latest is not None:
        OfferItem.objects.bulk_create([
            OfferItem(version=version, service_id=item.service_id, role=item.role,
                      option_monthly_price=item.option_monthly_price)
            for item in latest.items.all()
        ])
    audit_record(actor=actor, action=AuditAction.CREATE, target=version)
    return version


def check_publishable(version: OfferVersion) -> None:
    """Refuse a version that cannot be sold as it is."""
    items = list(version.items.select_related("service"))
    if not any(item.role == ItemRole.INCLUDED for item in items):
        raise field_error("items", _("An offer needs at least one included service."),
                          code=errors.EMPTY_OFFER)
    inactive = [str(item.service) for item in items if not item.service.is_active]
    if inactive:
        raise field_error("items", _("Services no longer sold: %(services)s.")
                          % {"services": ", ".join(inactive)}, code=errors.EMPTY_OFFER)
    for medium in version.access_media or []:
        for item in items:
            if item.role == ItemRole.INCLUDED and not item.service.works_over(medium):
                raise field_error(
                    "access_media",
                    _("%(service)s does not work over %(medium)s.")
                    % {"service": item.service, "medium": medium},
                    code=errors.MEDIUM_NOT_SERVED,
                )


@transaction.atomic
def offer_version_publish(*, version: OfferVersion, actor: User | None) -> OfferVersion:
    """Put a draft on sale. The version published before it stops being
    sold the day before this one starts (its subscribers keep it)."""
    version = OfferVersion.objects.select_for_update().get(pk=version.pk)
    if not can_proceed(version.publish):
        raise field_error("version", _("Only a draft can be published."),
                          code=errors.NOT_A_DRAFT)
    version.full_clean()
    check_publishable(version)
    for previous in OfferVersion.objects.select_for_update().filter(
            offer=version.offer, status=OfferStatus.PUBLISHED):
        previous.retire()
        end = max(previous.valid_from, version.valid_from - timedelta(days=1))
        if previous.valid_until is None or previous.valid_until > end:
            previous.valid_until = end
        previous.save(update_fields=["status", "valid_until", "updated_at"])
        audit_record(actor=actor, action=AuditAction.TRANSITION, target=previous,
                     changes={"status": [OfferStatus.PUBLISHED, OfferStatus.RETIRED]})
    version.publish()
    version.published_at = timezone.now()
    version.published_by = actor if actor is not None and actor.pk else None
    version.save(update_fields=["status", "published_at", "published_by", "updated_at"])
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=version,
                 changes={"status": [OfferStatus.DRAFT, OfferStatus.PUBLISHED]})
    return version


@transaction.atomic
def offer_version_retire(*, version: OfferVersion, actor: User | None) -> OfferVersion:
    """Stop selling a version from today; its subscribers keep it."""
    version = OfferVersion.objects.select_for_update().get(pk=version.pk)
    if not can_proceed(version.retire):
        raise field_error("version", _("Only a published version can be retired."),
                          code=errors.NOT_A_DRAFT)
    version.retire()
    today = timezone.localdate()
    if version.valid_until is None or version.valid_until > today:
        version.valid_until = max(version.valid_from, today)
    version.save(update_fields=["status", "valid_until", "updated_at"])
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=version,
                 changes={"status": [OfferStatus.PUBLISHED, OfferStatus.RETIRED]})
    return version
