"""Read paths of the subscriptions app."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from sesmu.errors import field_error
from sesmu.money import round_amount
from subscriptions.choices import ItemRole, OfferStatus
from subscriptions.models import CatalogService, OfferItem, OfferVersion


def service_list(*, active_only: bool = True) -> QuerySet[CatalogService]:
    queryset = CatalogService.objects.prefetch_related("equipment_models")
    if active_only:
        queryset = queryset.filter(is_active=True)
    return queryset.order_by("kind", "name")


def offers_on_sale(*, access_medium: str = "", postal_code: str = "",
                   on: date | None = None) -> list[OfferVersion]:
    """The offer versions a customer can sign on `on` (today by default)
    over that access medium at that postal code."""
    day = on or timezone.localdate()
    versions = (
        OfferVersion.objects.filter(status=OfferStatus.PUBLISHED, valid_from__lte=day)
        .filter(Q(valid_until__isnull=True) | Q(valid_until__gte=day))
        .select_related("offer")
        .prefetch_related(Prefetch("items", queryset=OfferItem.objects.select_related("service")
                                   .order_by("role", "service__kind", "service__name")))
        .order_by("offer__name")
    )
    return [version for version in versions
            if (not access_medium or version.sold_over(access_medium))
            and (not postal_code or version.sold_at(postal_code))]


@dataclass(frozen=True)
class Price:
    monthly: Decimal
    setup: Decimal
    currency: str


def offer_price(*, version: OfferVersion, options: list[CatalogService] = ()) -> Price:
    """The monthly price with the chosen options, and the set-up fee. An
    option chosen twice is paid once; a service that is not an option of
    this version is refused, never priced at nothing."""
    prices = {item.service_id: item.option_monthly_price
              for item in version.items.all() if item.role == ItemRole.OPTION}
    chosen = {service.pk: service for service in options}
    unknown = [str(service) for pk, service in chosen.items() if pk not in prices]
    if unknown:
        raise field_error("options", _("Not an option of %(version)s: %(services)s.")
                          % {"version": version, "services": ", ".join(unknown)},
                          code="invalid")
    monthly = version.monthly_price + sum((prices[pk] for pk in chosen), Decimal("0"))
    return Price(monthly=round_amount(monthly), setup=round_amount(version.setup_fee),
                 currency=version.currency)
