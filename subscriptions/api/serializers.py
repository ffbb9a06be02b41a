"""Output serializers of the catalog, and the query serializers that parse
the filters of its lists. The catalog is read-only through the API: offers
change in the back office, through the services.

Choice lists keep the field names they have elsewhere in the API (the
access media of an equipment model and of a service are one component), so
that the OpenAPI schema names every enum once and without warnings."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema_field, extend_schema_serializer
from rest_framework import serializers

from inventory.api.serializers import IdField
from inventory.choices import AccessMedium
from sesmu.choices import ServiceKind
from subscriptions import selectors
from subscriptions.choices import CredentialKind, ItemRole, OfferStatus
from subscriptions.models import CatalogService, OfferItem, OfferVersion, ProgrammeEvent

KINDS = ", ".join(f"`{value}`" for value in ServiceKind.values)


def media_list(**kwargs) -> serializers.ListField:
    return serializers.ListField(child=serializers.ChoiceField(AccessMedium.choices), **kwargs)


# Services and the programme -------------------------------------------------------


class EquipmentModelReference(serializers.Serializer):
    id = serializers.IntegerField()
    code = serializers.CharField()


@extend_schema_serializer(component_name="CatalogService")
class CatalogServiceOutput(serializers.ModelSerializer):
    # Plain strings: the kinds of service are named once in the schema, as
    # the service kinds of an equipment model.
    kind = serializers.CharField(help_text=f"What kind of service it is: {KINDS}.")
    access_media = media_list(help_text="Empty: works over any access medium.")
    visit_media = serializers.ListField(
        child=serializers.CharField(),
        help_text="Access media (values of `access_media`) over which a technician must "
                  "install it.")
    equipment_models = EquipmentModelReference(
        many=True, help_text="The equipment it needs: any one model per kind of equipment.")
    provisioning_system = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="The element manager that provisions it (its code); empty: the "
                  "service-management system registered for its kind.")
    credential_kind = serializers.ChoiceField(CredentialKind.choices,
                                              help_text="What each service user needs.")

    class Meta:
        model = CatalogService
        fields = ["id", "code", "name", "kind", "description", "access_media", "visit_media",
                  "equipment_models", "provisioning_system", "credential_kind",
                  "speed_down_mbps", "speed_up_mbps", "package_code", "is_active",
                  "created_at", "updated_at"]


class ProgrammeEventOutput(serializers.ModelSerializer):
    service_code = serializers.CharField(source="service.code", read_only=True)
    showtimes = serializers.SerializerMethodField(
        help_text="The start of every showing: one for an event shown once.")

    class Meta:
        model = ProgrammeEvent
        fields = ["id", "service", "service_code", "title", "starts_at", "duration_minutes",
                  "repeat_every_minutes", "showings", "showtimes", "price", "currency",
                  "is_active"]

    @extend_schema_field(serializers.ListField(child=serializers.DateTimeField()))
    def get_showtimes(self, event: ProgrammeEvent) -> list[str]:
        field = serializers.DateTimeField()
        return [field.to_representation(start) for start in showtimes(event)]


def showtimes(event: ProgrammeEvent) -> list[datetime]:
    step = timedelta(minutes=event.repeat_every_minutes)
    return [event.starts_at + number * step for number in range(event.showings)]


def programme_end(event: ProgrammeEvent) -> datetime:
    """When the last showing ends."""
    return showtimes(event)[-1] + timedelta(minutes=event.duration_minutes)


# Offers --------------------------------------------------------------------------


@extend_schema_serializer(component_name="OfferItem")
class OfferItemOutput(serializers.ModelSerializer):
    service_code = serializers.CharField(source="service.code", read_only=True)
    service_name = serializers.CharField(source="service.name", read_only=True)
    service_kind = serializers.CharField(source="service.kind", read_only=True,
                                         help_text=f"The kind of the service: {KINDS}.")
    role = serializers.ChoiceField(ItemRole.choices, read_only=True,
                                   help_text="Included in the price, or an option with a "
                                             "monthly price of its own.")

    class Meta:
        model = OfferItem
        fields = ["service", "service_code", "service_name", "service_kind", "role",
                  "option_monthly_price"]


@extend_schema_serializer(component_name="OfferVersion")
class OfferVersionOutput(serializers.ModelSerializer):
    offer_code = serializers.CharField(source="offer.code", read_only=True)
    offer_name = serializers.CharField(source="offer.name", read_only=True)
    status = serializers.ChoiceField(OfferStatus.choices, read_only=True,
                                     help_text="Only a draft changes; a published version "
                                               "is on sale; a retired one is no longer sold.")
    access_media = media_list(help_text="Sold over these access media; empty: any.")
    regions = serializers.ListField(
        child=serializers.CharField(),
        help_text="Sold at postal codes starting with these; empty: everywhere.")
    published_by = serializers.SlugRelatedField(slug_field="username", read_only=True)
    items = OfferItemOutput(many=True, read_only=True)

    class Meta:
        model = OfferVersion
        fields = ["id", "offer", "offer_code", "offer_name", "number", "status",
                  "monthly_price", "setup_fee", "currency", "minimum_term_months",
                  "notice_days", "early_termination_fee", "access_media", "regions",
                  "valid_from", "valid_until", "items", "published_at", "published_by",
                  "created_at", "updated_at"]


class PriceOutput(serializers.Serializer):
    monthly = serializers.DecimalField(max_digits=14, decimal_places=2,
                                       help_text="The monthly price without options.")
    setup = serializers.DecimalField(max_digits=14, decimal_places=2,
                                     help_text="The one-off set-up fee.")
    currency = serializers.CharField()


@extend_schema_serializer(component_name="OfferOnSale")
class OfferOnSaleOutput(OfferVersionOutput):
    """A published version with its price; neither its status (every one is
    on sale) nor who published it, which a sales channel has no use for."""

    price = serializers.SerializerMethodField()

    class Meta(OfferVersionOutput.Meta):
        fields = [*(name for name in OfferVersionOutput.Meta.fields
                    if name not in ("status", "published_by")), "price"]

    @extend_schema_field(PriceOutput)
    def get_price(self, version: OfferVersion) -> dict:
        return PriceOutput(selectors.offer_price(version=version)).data


# Queries -------------------------------------------------------------------------


class ServiceQuery(serializers.Serializer):
    kind = serializers.ChoiceField(ServiceKind.choices, required=False,
                                   help_text="Only services of this kind.")
    access_medium = serializers.ChoiceField(
        AccessMedium.choices, required=False,
        help_text="Only services that work over this access medium.")
    is_active = serializers.BooleanField(required=False, allow_null=True, default=None,
                                         help_text="Only services sold (true) or no longer "
                                                   "sold (false).")


class ProgrammeQuery(serializers.Serializer):
    """Events with a showing between `from` and `to` (both days included)."""

    service = IdField(required=False, help_text="Only the events of this service.")
    # `from` is a Python keyword: the field is added in get_fields.
    to = serializers.DateField(required=False, help_text="Last day (included).")

    def get_fields(self):
        fields = super().get_fields()
        return {"service": fields.pop("service"),
                "from": serializers.DateField(required=False,
                                              help_text="First day (included)."),
                **fields}

    def validate(self, attrs: dict) -> dict:
        first, last = attrs.get("from"), attrs.get("to")
        if first and last and last < first:
            raise serializers.ValidationError(
                {"to": serializers.ErrorDetail(_("The last day must not be before the first."),
                                               code="bad_range")})
        return attrs


class OffersOnSaleQuery(serializers.Serializer):
    access_medium = serializers.ChoiceField(
        AccessMedium.choices, required=False,
        help_text="Only offers sold over this access medium.")
    postal_code = serializers.RegexField(
        r"^\d{5}$", required=False,
        error_messages={"invalid": _("Give a postal code of five digits.")},
        help_text="Only offers sold at this postal code (five digits).")
    date = serializers.DateField(required=False,
                                 help_text="Offers on sale that day; by default today.")


class OfferVersionQuery(serializers.Serializer):
    status = serializers.ChoiceField(OfferStatus.choices, required=False,
                                     help_text="Only versions in this status.")
    offer = IdField(required=False, help_text="Only the versions of this offer.")
