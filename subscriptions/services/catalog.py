"""Write paths of the catalog: offers and their versions. Services and
programme events are reference data edited in the back office."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_fsm import can_proceed

from inventory.choices import AccessMedium
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


def _item_rows(version: OfferVersion) -> list[str]:
    """The items of a version as the audit trail keeps them."""
    return [f"{item.service.code} {item.role} {item.option_monthly_price}"
            for item in version.items.select_related("service").order_by("service__code")]


def _set_items(version: OfferVersion, items: list[ItemSpec]) -> None:
    seen: set[int] = set()
    for spec in items:
        if spec.service.pk in seen:
            raise field_error("items", _("%(service)s is in the offer twice.")
                              % {"service": spec.service}, code=errors.DUPLICATE_SERVICE)
        seen.add(spec.service.pk)
        if spec.role not in ItemRole.values:
            raise field_error("items", _("%(service)s is neither included nor an option.")
                              % {"service": spec.service}, code="invalid")
        if spec.role == ItemRole.INCLUDED and spec.option_monthly_price:
            raise field_error("items", _("%(service)s is included: it has no price of its own.")
                              % {"service": spec.service}, code="invalid")
        # The database refuses it too, but as an IntegrityError: a 500 for the caller.
        if spec.option_monthly_price < 0:
            raise field_error("items", _("%(service)s cannot have a negative price.")
                              % {"service": spec.service}, code="invalid")
    version.items.all().delete()
    OfferItem.objects.bulk_create([
        OfferItem(version=version, service=spec.service, role=spec.role,
                  option_monthly_price=spec.option_monthly_price)
        for spec in items
    ])


def _check_term_names(terms: dict[str, Any]) -> None:
    # Status, number and publication are set by the transitions alone: a
    # version created as "published" would skip every check of publishing.
    for name in terms:
        if name not in TERM_FIELDS:
            raise ValueError(f"{name} is not a term of an offer version")


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
    _check_term_names(terms)
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
    terms = terms or {}
    _check_term_names(terms)
    before = {name: getattr(version, name) for name in TERM_FIELDS}
    for name, value in terms.items():
        setattr(version, name, value)
    version.full_clean()
    version.save(update_fields=[*TERM_FIELDS, "updated_at"])
    changes = diff(before, {name: getattr(version, name) for name in TERM_FIELDS})
    if items is not None:
        items_before = _item_rows(version)
        _set_items(version, items)
        items_after = _item_rows(version)
        if items_before != items_after:
            changes["items"] = [items_before, items_after]
    audit_record(actor=actor, action=AuditAction.UPDATE, target=version, changes=changes)
    return version


@transaction.atomic
def offer_version_draft(*, offer: Offer, actor: User | None) -> OfferVersion:
    """A new draft version copying the latest one, to change the offer."""
    Offer.objects.select_for_update().get(pk=offer.pk)
    latest = offer.versions.order_by("-number").first()
    if latest is not None and latest.status == OfferStatus.DRAFT:
        raise field_error("offer", _("%(offer)s already has a draft: version %(number)s.")
                          % {"offer": offer, "number": latest.number},
                          code=errors.DRAFT_EXISTS)
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
                          % {"services": ", ".join(inactive)}, code=errors.INACTIVE_SERVICE)
    # Sold over any medium means every included service must work over each.
    for medium in version.access_media or AccessMedium.values:
        for item in items:
            if item.role == ItemRole.INCLUDED and not item.service.works_over(medium):
                raise field_error(
                    "access_media",
                    _("%(service)s does not work over %(medium)s.")
                    % {"service": item.service, "medium": medium},
                    code=errors.MEDIUM_NOT_SERVED,
                )


def _sold_through(version: OfferVersion, today: date) -> date | None:
    """The last day `version` was on sale before today, None if never."""
    last = today - timedelta(days=1)
    if version.valid_until is not None:
        last = min(last, version.valid_until)
    return last if last >= version.valid_from else None


@transaction.atomic
def offer_version_publish(*, version: OfferVersion, actor: User | None) -> OfferVersion:
    """Put a draft on sale. The version published before it stays on sale
    until the day before this one starts, then is retired (its subscribers
    keep it); one that would never be sold again is retired at once."""
    version = OfferVersion.objects.select_for_update().get(pk=version.pk)
    if not can_proceed(version.publish):
        raise field_error("version", _("Only a draft can be published."),
                          code=errors.NOT_A_DRAFT)
    version.full_clean()
    check_publishable(version)
    today = timezone.localdate()
    previous_versions = list(OfferVersion.objects.select_for_update().filter(
        offer=version.offer, status=OfferStatus.PUBLISHED).order_by("number"))
    for previous in previous_versions:
        # Days already sold under the previous terms stay theirs: a new
        # version cannot claim them after the fact.
        sold_through = _sold_through(previous, today)
        if sold_through is not None and version.valid_from <= sold_through:
            raise field_error(
                "valid_from",
                _("%(previous)s was on sale until %(day)s: this version can start on "
                  "%(next)s at the earliest.")
                % {"previous": previous, "day": sold_through,
                   "next": sold_through + timedelta(days=1)},
                code=errors.BAD_DATES)
    for previous in previous_versions:
        before = {"status": previous.status, "valid_until": previous.valid_until}
        end = max(previous.valid_from, version.valid_from - timedelta(days=1))
        if previous.valid_until is None or previous.valid_until > end:
            previous.valid_until = end
        # Retired once it will never be sold again; superseded only from a day
        # still to come, it stays on sale until then (never off sale between).
        if version.valid_from <= previous.valid_from or previous.valid_until < today:
            previous.retire()
        changes = diff(before, {"status": previous.status, "valid_until": previous.valid_until})
        if not changes:
            continue
        previous.save(update_fields=["status", "valid_until", "updated_at"])
        audit_record(actor=actor, target=previous, changes=changes,
                     action=AuditAction.TRANSITION if "status" in changes
                     else AuditAction.UPDATE)
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
                          code=errors.NOT_PUBLISHED)
    version.retire()
    today = timezone.localdate()
    if version.valid_until is None or version.valid_until > today:
        version.valid_until = max(version.valid_from, today)
    version.save(update_fields=["status", "valid_until", "updated_at"])
    audit_record(actor=actor, action=AuditAction.TRANSITION, target=version,
                 changes={"status": [OfferStatus.PUBLISHED, OfferStatus.RETIRED]})
    return version


def offer_versions_retire_expired(*, on: date | None = None) -> list[OfferVersion]:
    """Retire the published versions whose last day of sale has passed, so
    the catalog says what is really on sale. One transaction each."""
    day = on or timezone.localdate()
    retired = []
    for version in OfferVersion.objects.filter(status=OfferStatus.PUBLISHED,
                                               valid_until__lt=day).order_by("id"):
        with transaction.atomic():
            retired.append(offer_version_retire(version=version, actor=None))
    return retired
