"""The catalog REST API (/api/v1/catalog/), read-only: services, the
pay-per-view and near-video-on-demand programme, the offers on sale (by
access medium, postal code and day) and every offer version. Offers change
in the back office, through the services.

Staff and external systems read it with the view permissions of their
roles; portal customers get nothing from it. A query parameter that does
not parse is refused with 400 and the field's code."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import F, Max, Prefetch, QuerySet
from django.utils import timezone
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets

from sesmu.api.permissions import RolePermissions
from sesmu.api.viewsets import ServiceViewSet
from subscriptions import selectors
from subscriptions.api import serializers as s
from subscriptions.models import CatalogService, OfferItem, OfferVersion, ProgrammeEvent


def start_of(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


class CatalogViewSet(ServiceViewSet):
    """Lists and records, filtered by a query serializer instead of a
    filter set: the filters are few and `from` is a Python keyword."""

    permission_classes = [RolePermissions]
    http_method_names = ["get", "head", "options"]
    filter_backends: list = []
    query_class: type[serializers.Serializer] | None = None

    def query(self) -> dict:
        query = self.query_class(data=self.request.query_params)
        query.is_valid(raise_exception=True)
        return dict(query.validated_data)

    def narrow(self, queryset: QuerySet, query: dict) -> QuerySet:
        return queryset

    def list(self, request, *args, **kwargs):
        queryset = self.narrow(self.get_queryset(), self.query())
        page = self.paginate_queryset(queryset)
        return self.get_paginated_response(
            self.get_serializer(page, many=True).data)


class CatalogServiceViewSet(CatalogViewSet):
    """Every service the provider sells or sold: its kind, the access media
    it works over and those that need a technician's visit, the equipment
    it needs and the element manager that provisions it."""

    output_serializer_class = s.CatalogServiceOutput
    query_class = s.ServiceQuery

    def get_queryset(self):
        return selectors.service_list(active_only=False).select_related("provisioning_system")

    def narrow(self, queryset, query):
        if query.get("kind"):
            queryset = queryset.filter(kind=query["kind"])
        if query.get("is_active") is not None:
            queryset = queryset.filter(is_active=query["is_active"])
        if query.get("access_medium"):
            # A list in a JSON column, empty for "any medium": read in Python,
            # which every database does alike; the catalog is small.
            medium = query["access_medium"]
            serving = [service.pk for service in CatalogService.objects.filter(
                pk__in=queryset.values("pk")).only("pk", "access_media")
                if service.works_over(medium)]
            queryset = queryset.filter(pk__in=serving)
        return queryset

    @extend_schema(parameters=[s.ServiceQuery])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class ProgrammeEventViewSet(CatalogViewSet):
    """What the pay-per-view and near-video-on-demand services show, with
    the start of every showing; `from` and `to` keep the events with a
    showing on those days."""

    output_serializer_class = s.ProgrammeEventOutput
    query_class = s.ProgrammeQuery

    def get_queryset(self):
        return ProgrammeEvent.objects.select_related("service").order_by("starts_at", "title",
                                                                          "pk")

    def narrow(self, queryset, query):
        if query.get("service"):
            queryset = queryset.filter(service_id=query["service"])
        if query.get("to"):
            queryset = queryset.filter(starts_at__lt=start_of(query["to"] + timedelta(days=1)))
        first = query.get("from")
        if first is None:
            return queryset
        # An event with repeats may have begun before the first day and still
        # be showing: none began earlier than the longest programme lasts.
        start = start_of(first)
        longest = ProgrammeEvent.objects.aggregate(
            minutes=Max(F("showings") * F("repeat_every_minutes") + F("duration_minutes"))
        )["minutes"] or 0
        candidates = queryset.filter(starts_at__gte=start - timedelta(minutes=longest))
        showing = [event.pk for event in candidates if s.programme_end(event) > start]
        return queryset.filter(pk__in=showing)

    @extend_schema(parameters=[s.ProgrammeQuery])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)


class OffersOnSaleViewSet(viewsets.GenericViewSet):
    """The offer versions a customer can sign: published and valid on the
    day, sold over the access medium and at the postal code, with their
    services, options and price."""

    permission_classes = [RolePermissions]
    http_method_names = ["get", "head", "options"]
    filter_backends: list = []
    serializer_class = s.OfferOnSaleOutput

    def get_queryset(self):
        # Names the model whose view permission is needed; the list itself
        # comes from selectors.offers_on_sale.
        return OfferVersion.objects.none()

    @extend_schema(parameters=[s.OffersOnSaleQuery], responses=s.OfferOnSaleOutput(many=True))
    def list(self, request):
        query = s.OffersOnSaleQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        versions = selectors.offers_on_sale(
            access_medium=query.validated_data.get("access_medium", ""),
            postal_code=query.validated_data.get("postal_code", ""),
            on=query.validated_data.get("date"),
        )
        page = self.paginate_queryset(versions)
        return self.get_paginated_response(
            s.OfferOnSaleOutput(page, many=True, context=self.get_serializer_context()).data)


class OfferVersionViewSet(CatalogViewSet):
    """Every version of every offer, drafts and retired ones included: what
    each subscriber signed stays readable."""

    output_serializer_class = s.OfferVersionOutput
    query_class = s.OfferVersionQuery

    def get_queryset(self):
        items = OfferItem.objects.select_related("service").order_by("role", "service__kind",
                                                                     "service__name")
        return (OfferVersion.objects.select_related("offer", "published_by")
                .prefetch_related(Prefetch("items", queryset=items))
                .order_by("offer__name", "-number"))

    def narrow(self, queryset, query):
        if query.get("status"):
            queryset = queryset.filter(status=query["status"])
        if query.get("offer"):
            queryset = queryset.filter(offer_id=query["offer"])
        return queryset

    @extend_schema(parameters=[s.OfferVersionQuery])
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)
