"""The subscriptions REST API.

The catalog (/api/v1/catalog/), read-only: services, the pay-per-view and
near-video-on-demand programme, the offers on sale (by access medium,
postal code and day) and every offer version. Offers change in the back
office, through the services. Staff and external systems read it with the
view permissions of their roles; portal customers get nothing from it. A
query parameter that does not parse is refused with 400 and the field's
code.

Subscriptions (/api/v1/subscriptions/) and their orders
(/api/v1/subscription-orders/): an input serializer parses, one service
writes, an output serializer answers. Each action names the permission it
needs instead of the change permission a POST on one record needs
elsewhere. TMF622 product orders from external channels are in tmf622.py."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db.models import F, Max, Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from customers import selectors as customer_selectors
from sesmu.api.permissions import ActionPermissions, RolePermissions
from sesmu.api.viewsets import ServiceViewSet
from sesmu.errors import field_error
from subscriptions import errors, selectors, services
from subscriptions.api import serializers as s
from subscriptions.choices import OPEN_ORDER_STATES, Channel, Initiator, SubscriptionState
from subscriptions.filters import SubscriptionFilter, SubscriptionOrderFilter
from subscriptions.models import (
    CatalogService,
    OfferItem,
    OfferVersion,
    OrderMilestone,
    ProgrammeEvent,
    ProvisioningStep,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)
from subscriptions.services.orders import illegal
from subscriptions.terms import cancellation_terms


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


# Subscriptions and their orders ---------------------------------------------------

VIEW = "subscriptions.view_subscription"
VIEW_ORDERS = "subscriptions.view_subscriptionorder"
SELL = "subscriptions.sell_subscription"
MANAGE = "subscriptions.manage_subscription"
IMPOSE = "subscriptions.impose_subscription"
# Every write answers with the order it placed: it also needs the view
# permissions of what it answers. Asked by the customer (manage) or imposed
# by the provider (impose): which one the body's `initiator` needs is
# checked once it is parsed.
FOR_CUSTOMER_OR_PROVIDER = ((VIEW, VIEW_ORDERS, MANAGE), (VIEW, VIEW_ORDERS, IMPOSE))
FOR_CUSTOMER = ((VIEW, VIEW_ORDERS, MANAGE),)


def _visible(queryset: QuerySet, object_id: int, field: str, message: str):
    """The row among those the caller may see, or a not-found error on the
    field, alike for missing and forbidden. Whether it is the right
    customer's is the services' rule, with its own code."""
    found = queryset.filter(pk=object_id).first()
    if found is None:
        raise field_error(field, message, code="not_found")
    return found


def _offer_version(version_id: int, field: str = "offer_version") -> OfferVersion:
    # The catalog is reference data every seller reads; whether the version
    # is on sale is the services' rule.
    return _visible(OfferVersion.objects.select_related("offer"), version_id, field,
                    _("No such offer version."))


def _services(service_ids: list[int], field: str) -> list[CatalogService]:
    found = CatalogService.objects.in_bulk(service_ids)
    missing = [service_id for service_id in service_ids if service_id not in found]
    if missing:
        raise field_error(field, _("No such service: %(ids)s.")
                          % {"ids": ", ".join(str(service_id) for service_id in missing)},
                          code="not_found")
    return [found[service_id] for service_id in service_ids]


def _user_specs(actor, users: list[dict], field: str = "users") -> list[services.UserSpec]:
    visible = customer_selectors.service_user_list_visible_to(actor=actor)
    specs = []
    for user in users:
        service_user = _visible(visible, user["service_user"], field, _("No such service user."))
        specs.append(services.UserSpec(
            service_user=service_user, credential=user["credential"],
            parental_pin=user["parental_pin"], ppv_allowed=user["ppv_allowed"],
            ppv_monthly_limit=user["ppv_monthly_limit"]))
    return specs


def check_initiator(user, initiator: str) -> None:
    """The customer's requests need `manage_subscription`; the provider's
    measures need `impose_subscription`."""
    if initiator == Initiator.PROVIDER and not user.has_perm(IMPOSE):
        raise PermissionDenied(_("You may not act for the provider on subscriptions."))
    if initiator != Initiator.PROVIDER and not user.has_perm(MANAGE):
        raise PermissionDenied(_("You may not act for the customer on subscriptions."))


def orders_with_details(queryset: QuerySet[SubscriptionOrder]) -> QuerySet[SubscriptionOrder]:
    """What an order's answer shows besides the order: its milestones and
    its commands, a query each for a whole page."""
    return queryset.select_related("subscription__customer", "created_by").prefetch_related(
        Prefetch("milestones", queryset=OrderMilestone.objects.select_related("actor")
                 .order_by("created_at", "id")),
        Prefetch("steps", queryset=ProvisioningStep.objects.select_related(
            "item__service", "item__subscription").order_by("id")),
    )


class SubscriptionViewSet(ServiceViewSet):
    """What customers signed: their services, users and equipment, and the
    orders still open. Staff read them with `view_subscription`; portal
    customers read their own, and nothing else.

    Every change is a subscription order: POST / sells (`sell_subscription`),
    and each action places an order — the customer's requests with
    `manage_subscription`, the provider's measures (`initiator: provider`,
    degrade/) with `impose_subscription`, each besides the view permissions
    of subscriptions and their orders. Each answers 201 with the order it
    placed, its milestones and the commands it sent (as they are when it
    answers: commands go out once the order is saved); terms/ shows what a
    cancellation would do before it is asked for. Ids in a body are resolved
    among what the caller may see (400 `not_found` on the field otherwise);
    the domain's refusals come back as 400 with the service's code."""

    permission_classes = [ActionPermissions]
    output_serializer_class = s.SubscriptionOutput
    detail_serializer_class = s.SubscriptionDetailOutput
    create_input_class = s.SubscriptionCreateInput
    filterset_class = SubscriptionFilter
    portal_readable = True
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {
        "create": ((VIEW, VIEW_ORDERS, SELL),),
        "terms": FOR_CUSTOMER_OR_PROVIDER,
        "suspend": FOR_CUSTOMER_OR_PROVIDER,
        "resume": FOR_CUSTOMER_OR_PROVIDER,
        "cancel": FOR_CUSTOMER_OR_PROVIDER,
        "degrade": ((VIEW, VIEW_ORDERS, IMPOSE),),
        **dict.fromkeys(("change_offer", "add_option", "remove_option", "add_user",
                         "remove_user", "move", "change_owner", "ppv"), FOR_CUSTOMER),
    }

    def get_queryset(self):
        queryset = selectors.subscription_list_visible_to(
            actor=self.request.user).select_related("created_by")
        if self.action == "retrieve":
            queryset = queryset.prefetch_related(
                Prefetch("items", queryset=SubscriptionItem.objects.select_related("service")
                         .order_by("id")),
                Prefetch("users", queryset=SubscriptionUser.objects.select_related(
                    "service_user").order_by("-is_active", "id")),
                Prefetch("orders", to_attr="open_orders",
                         queryset=SubscriptionOrder.objects.filter(state__in=OPEN_ORDER_STATES)
                         .select_related("created_by").order_by("created_at", "id")),
            )
        return queryset.order_by("-created_at", "-id")

    def placed(self, order: SubscriptionOrder) -> Response:
        """The order an action placed, as the service left it."""
        fresh = orders_with_details(selectors.subscription_order_list_visible_to(
            actor=self.request.user)).get(pk=order.pk)
        answer = s.SubscriptionOrderDetailOutput(fresh, context=self.get_serializer_context())
        return Response(answer.data, status=status.HTTP_201_CREATED)

    @extend_schema(request=s.SubscriptionCreateInput,
                   responses={201: s.SubscriptionOrderDetailOutput})
    def create(self, request, *args, **kwargs):
        """Sell a subscription: the address's serviceability is checked, the
        equipment reserved, the installation visit planned when the medium
        needs one, and the enable commands sent. Answers the NEW order; the
        subscription is active once every command is applied and the visit
        (if any) done."""
        data = self.parse(s.SubscriptionCreateInput)
        actor = request.user
        customer = customer_selectors.customer_referenced(actor=actor,
                                                          customer_id=data["customer"])
        account = _visible(customer_selectors.billing_account_list_visible_to(actor=actor),
                           data["billing_account"], "billing_account",
                           _("No such billing account."))
        version = _offer_version(data["offer_version"])
        address = customer_selectors.address_referenced(actor=actor,
                                                        address_id=data["service_address"])
        order = services.subscription_create(
            actor=actor, customer=customer, billing_account=account, offer_version=version,
            service_address=address, access_medium=data["access_medium"],
            options=_services(data["options"], "options"),
            users=_user_specs(actor, data["users"]), serials=data["serials"],
            channel=Channel.API)
        return self.placed(order)

    @extend_schema(parameters=[s.CancellationTermsQuery], responses=s.CancellationTermsOutput,
                   filters=False)
    @action(detail=True, methods=["get"], filter_backends=[], pagination_class=None)
    def terms(self, request, pk=None):
        """What cancelling would do if asked now by `initiator` for
        `effective_on`: the dates, the early-termination fee, the commands
        the element managers get and the equipment collected or released —
        the plan cancel/ carries out."""
        subscription = self.get_object()
        query = s.CancellationTermsQuery(data=request.query_params)
        query.is_valid(raise_exception=True)
        initiator, effective_on = (query.validated_data["initiator"],
                                   query.validated_data["effective_on"])
        check_initiator(request.user, initiator)
        if subscription.state not in (SubscriptionState.PENDING_ACTIVATION,
                                      SubscriptionState.ACTIVE, SubscriptionState.SUSPENDED):
            raise illegal(subscription, _("cancelled"))
        if effective_on is not None and effective_on < timezone.localdate():
            raise field_error("effective_on", _("A cancellation cannot take effect in the "
                                                "past."), code=errors.BAD_DATE)
        plan = cancellation_terms(subscription=subscription, initiator=initiator,
                                  requested_on=effective_on)
        return Response(s.CancellationTermsOutput(plan, context=self.get_serializer_context())
                        .data)

    @extend_schema(request=s.SuspendInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"])
    def suspend(self, request, pk=None):
        """Suspend the service: the customer's holiday (with the day it comes
        back by itself) or the provider's measure (with a reason)."""
        subscription = self.get_object()
        data = self.parse(s.SuspendInput)
        check_initiator(request.user, data["initiator"])
        return self.placed(services.subscription_suspend(
            subscription=subscription, actor=request.user, channel=Channel.API, **data))

    @extend_schema(request=s.DegradeInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"])
    def degrade(self, request, pk=None):
        """The provider's first step for bad payment: Internet throttled, TV
        down to the basic package, pay-per-view blocked."""
        subscription = self.get_object()
        data = self.parse(s.DegradeInput)
        return self.placed(services.subscription_degrade(
            subscription=subscription, actor=request.user, reason=data["reason"],
            channel=Channel.API))

    @extend_schema(request=s.ResumeInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"])
    def resume(self, request, pk=None):
        """Bring the service back (and undo a degrade when the provider
        resumes); only the provider lifts what the provider imposed."""
        subscription = self.get_object()
        data = self.parse(s.ResumeInput)
        check_initiator(request.user, data["initiator"])
        return self.placed(services.subscription_resume(
            subscription=subscription, actor=request.user, channel=Channel.API, **data))

    @extend_schema(request=s.CancelInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """End the subscription, as terms/ showed: now or at a date (after
        the customer's notice period), with the early-termination fee inside
        the minimum term; before activation it is aborted."""
        subscription = self.get_object()
        data = self.parse(s.CancelInput)
        check_initiator(request.user, data["initiator"])
        return self.placed(services.subscription_cancel(
            subscription=subscription, actor=request.user, channel=Channel.API, **data))

    @extend_schema(request=s.ChangeOfferInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"], url_path="change-offer")
    def change_offer(self, request, pk=None):
        """Move to another offer version (up or down), now or at the next
        bill day: services it no longer has are disabled, new ones enabled."""
        subscription = self.get_object()
        data = self.parse(s.ChangeOfferInput)
        return self.placed(services.subscription_change_offer(
            subscription=subscription, offer_version=_offer_version(data["offer_version"]),
            options=_services(data["options"], "options"), at_next_cycle=data["at_next_cycle"],
            actor=request.user, channel=Channel.API))

    @extend_schema(request=s.OptionInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"], url_path="add-option")
    def add_option(self, request, pk=None):
        """Add an option of the subscription's offer, at its monthly price."""
        subscription = self.get_object()
        data = self.parse(s.OptionInput)
        (service,) = _services([data["service"]], "service")
        return self.placed(services.subscription_add_option(
            subscription=subscription, service=service, actor=request.user,
            channel=Channel.API))

    @extend_schema(request=s.OptionInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"], url_path="remove-option")
    def remove_option(self, request, pk=None):
        """Remove an option: disabled at its element manager."""
        subscription = self.get_object()
        data = self.parse(s.OptionInput)
        (service,) = _services([data["service"]], "service")
        return self.placed(services.subscription_remove_option(
            subscription=subscription, service=service, actor=request.user,
            channel=Channel.API))

    @extend_schema(request=s.SubscriptionUserInput,
                   responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"], url_path="add-user")
    def add_user(self, request, pk=None):
        """Let one of the customer's service users use the subscription, with
        their credential and rights."""
        subscription = self.get_object()
        data = self.parse(s.SubscriptionUserInput)
        (spec,) = _user_specs(request.user, [data], field="service_user")
        return self.placed(services.subscription_add_user(
            subscription=subscription, user=spec, actor=request.user, channel=Channel.API))

    @extend_schema(request=s.RemoveUserInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"], url_path="remove-user")
    def remove_user(self, request, pk=None):
        """A service user no longer uses the subscription."""
        subscription = self.get_object()
        data = self.parse(s.RemoveUserInput)
        user = _visible(subscription.users.all(), data["user"], "user",
                        _("No such user of this subscription."))
        return self.placed(services.subscription_remove_user(
            subscription_user=user, actor=request.user, channel=Channel.API))

    @extend_schema(request=s.MoveInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"])
    def move(self, request, pk=None):
        """Move the service to another of the customer's addresses: disabled
        here, enabled there, with a visit when the medium needs one."""
        subscription = self.get_object()
        data = self.parse(s.MoveInput)
        address = customer_selectors.address_referenced(actor=request.user,
                                                        address_id=data["address"],
                                                        field="address")
        return self.placed(services.subscription_move(
            subscription=subscription, address=address, actor=request.user,
            channel=Channel.API))

    @extend_schema(request=s.ChangeOwnerInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"], url_path="change-owner")
    def change_owner(self, request, pk=None):
        """Pass the subscription to another customer, who pays with their own
        account from now on; the service and equipment stay where they are."""
        subscription = self.get_object()
        data = self.parse(s.ChangeOwnerInput)
        actor = request.user
        customer = customer_selectors.customer_referenced(actor=actor,
                                                          customer_id=data["customer"])
        account = _visible(customer_selectors.billing_account_list_visible_to(actor=actor),
                           data["billing_account"], "billing_account",
                           _("No such billing account."))
        address = customer_selectors.address_referenced(actor=actor,
                                                        address_id=data["service_address"])
        return self.placed(services.subscription_change_owner(
            subscription=subscription, customer=customer, billing_account=account,
            service_address=address, users=_user_specs(actor, data["users"]), actor=actor,
            channel=Channel.API))

    @extend_schema(request=s.PayPerViewInput, responses={201: s.SubscriptionOrderDetailOutput})
    @action(detail=True, methods=["post"])
    def ppv(self, request, pk=None):
        """Buy a pay-per-view event (or a near-video-on-demand showing) for a
        user of the subscription: within their rights and monthly limit,
        authorised on the smart card, charged once."""
        subscription = self.get_object()
        data = self.parse(s.PayPerViewInput)
        user = _visible(subscription.users.all(), data["user"], "user",
                        _("No such user of this subscription."))
        event = _visible(ProgrammeEvent.objects.select_related("service"), data["event"],
                         "event", _("No such event."))
        return self.placed(services.pay_per_view_order(
            subscription=subscription, user=user, event=event,
            showing_starts_at=data["showing_starts_at"], actor=request.user,
            channel=Channel.API))


class SubscriptionOrderViewSet(ServiceViewSet):
    """Every change to every subscription, with its milestones and the
    commands it sent. Read with `view_subscriptionorder` (portal customers:
    their own); a held order is retried, an order not yet carried out is
    withdrawn, and an order's installation visit is booked here."""

    permission_classes = [ActionPermissions]
    output_serializer_class = s.SubscriptionOrderOutput
    detail_serializer_class = s.SubscriptionOrderDetailOutput
    filterset_class = SubscriptionOrderFilter
    portal_readable = True
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {
        "retry": FOR_CUSTOMER_OR_PROVIDER,
        "cancel": FOR_CUSTOMER_OR_PROVIDER,
        "book_visit": ((VIEW, VIEW_ORDERS, SELL), (VIEW, VIEW_ORDERS, MANAGE)),
    }

    def get_queryset(self):
        queryset = selectors.subscription_order_list_visible_to(actor=self.request.user)
        if self.action == "retrieve":
            queryset = orders_with_details(queryset)
        return queryset.order_by("-created_at", "-id")

    def answer(self, order: SubscriptionOrder) -> Response:
        fresh = orders_with_details(selectors.subscription_order_list_visible_to(
            actor=self.request.user)).get(pk=order.pk)
        return self.respond(fresh)

    @extend_schema(request=None, responses=s.SubscriptionOrderDetailOutput)
    @action(detail=True, methods=["post"])
    def retry(self, request, pk=None):
        """Someone dealt with what held the order: send the refused commands
        again (the element managers apply each once) and go on."""
        order = self.get_object()
        check_initiator(request.user, order.initiator)
        services.order_retry(order=order, actor=request.user)
        return self.answer(order)

    @extend_schema(request=s.OrderCancelInput, responses=s.SubscriptionOrderDetailOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Withdraw an order not carried out yet (a scheduled change, the
        planned end of a holiday, a cancellation during its notice period),
        or the NEW order of a subscription not yet active, which aborts it."""
        order = self.get_object()
        data = self.parse(s.OrderCancelInput)
        check_initiator(request.user, order.initiator)
        services.subscription_order_cancel(order=order, actor=request.user,
                                           reason=data["reason"], channel=Channel.API)
        return self.answer(order)

    @extend_schema(request=s.BookVisitInput, responses=s.SubscriptionOrderDetailOutput)
    @action(detail=True, methods=["post"], url_path="book-visit")
    def book_visit(self, request, pk=None):
        """Book the arrival window of the order's installation (or
        collection) visit with the customer."""
        order = self.get_object()
        data = self.parse(s.BookVisitInput)
        services.subscription_book_visit(order=order, window_start=data["window_start"],
                                         actor=request.user)
        return self.answer(order)
