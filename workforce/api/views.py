"""The field work REST API (/api/v1/field/): work orders from generation to
completion, the free slots of an order and its booking, appointments,
technicians and scheduling runs. An input serializer parses, one service
writes, an output serializer answers. Querysets come from the selectors;
ids in a body are resolved among what the caller may see and answered
`not_found` on their field otherwise.

Each action names the permissions it needs (booking, dispatching, carrying
out an order) instead of the change permission a POST on one record needs
elsewhere. Refusals of the domain (an illegal transition, a slot just
taken, a bad signature) come back as 400 with the service's code, like
every ValidationError of the project."""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.decorators import action
from rest_framework.response import Response

from customers import selectors as customer_selectors
from inventory import selectors as inventory_selectors
from sesmu.api.permissions import ActionPermissions
from sesmu.api.viewsets import ServiceViewSet
from sesmu.errors import field_error
from sesmu.models import User
from workforce import availability, selectors, services
from workforce.api import serializers as s
from workforce.choices import (
    AppointmentStatus,
)
from workforce.filters import (
    AppointmentFilter,
    ScheduleRunFilter,
    TechnicianFilter,
    WorkOrderFilter,
)
from workforce.models import (
    Appointment,
    WorkOrder,
    WorkOrderItem,
)

VIEW_ORDERS = "workforce.view_workorder"
VIEW_EVENTS = "workforce.view_workorderevent"
VIEW_APPOINTMENTS = "workforce.view_appointment"
VIEW_TECHNICIANS = "workforce.view_technicianprofile"
VIEW_RUNS = "workforce.view_schedulerun"
ADD_ORDERS = "workforce.add_workorder"
BOOK = "workforce.book_workorder"
DISPATCH = "workforce.dispatch_workorder"
PERFORM = "workforce.perform_workorder"


class WorkforceViewSet(ServiceViewSet):
    permission_classes = [ActionPermissions]
    action_permissions: dict[str, tuple[tuple[str, ...], ...]] = {}


# Filters (the same names as the desk's lists) ---------------------------------------


# Resolving the ids of a request ---------------------------------------------------


def _visible_items(request, item_ids: list[int], field: str) -> list:
    found = inventory_selectors.item_list_visible_to(actor=request.user).in_bulk(item_ids)
    missing = [item_id for item_id in item_ids if item_id not in found]
    if missing:
        raise field_error(field, _("No such item: %(ids)s.")
                          % {"ids": ", ".join(str(item_id) for item_id in missing)},
                          code="not_found")
    return [found[item_id] for item_id in item_ids]


def _technician(user_id: int) -> User:
    """A user with a technician's profile; the service refuses one whose
    profile is not active, with its own code."""
    profile = selectors.technician_list(active_only=False).filter(user_id=user_id).first()
    if profile is None:
        raise field_error("technician", _("No such technician."), code="not_found")
    return profile.user


# Work orders ----------------------------------------------------------------------


ORDER_READERS = ((VIEW_ORDERS,), (PERFORM,))
DISPATCHERS = ((DISPATCH,),)
BOOKERS = ((BOOK,),)
# The order's own technician (the selectors give a technician no other
# order) or a dispatcher acting for them.
PERFORMERS = ((PERFORM,), (DISPATCH,))


class WorkOrderViewSet(WorkforceViewSet):
    """Visits of field technicians to customers: installations, repairs,
    equipment swaps and recoveries, site surveys. Generated, booked with the
    customer (slots/, book/), assigned, dispatched, and carried out by the
    technician (en-route/, on-site/, complete/ or fail/), or cancelled."""

    output_serializer_class = s.WorkOrderOutput
    create_input_class = s.WorkOrderCreateInput
    filterset_class = WorkOrderFilter
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {
        "list": ORDER_READERS, "retrieve": ORDER_READERS,
        "events": ((VIEW_ORDERS, VIEW_EVENTS), (PERFORM,)),
        "create": ((ADD_ORDERS,),),
        "slots": BOOKERS, "book": BOOKERS,
        "assign": DISPATCHERS, "unassign": DISPATCHERS, "dispatch_order": DISPATCHERS,
        "cancel": DISPATCHERS,
        "en_route": PERFORMERS, "on_site": PERFORMERS, "complete": PERFORMERS,
        "fail": PERFORMERS,
    }

    def get_queryset(self):
        queryset = selectors.work_order_list_visible_to(actor=self.request.user)
        if self.action in ("list", "retrieve"):
            queryset = self.with_details(queryset)
        return queryset.order_by("-created_at", "-id")

    @staticmethod
    def with_details(queryset):
        """What the answer shows besides the order: its equipment and its
        booked appointment, a query each for a whole page."""
        return queryset.select_related("created_by").prefetch_related(
            Prefetch("equipment", queryset=WorkOrderItem.objects.select_related(
                "item", "item__model").order_by("direction", "id")),
            Prefetch("appointments", to_attr="booked_appointments",
                     queryset=Appointment.objects.filter(status=AppointmentStatus.BOOKED)
                     .select_related("work_order", "technician__user", "created_by")),
        )

    def fresh(self, order: WorkOrder) -> WorkOrder:
        """The order as the service left it, with what the answer shows."""
        return self.with_details(
            selectors.work_order_list_visible_to(actor=self.request.user)).get(pk=order.pk)

    def act(self, order: WorkOrder):
        return self.respond(self.fresh(order))

    def create(self, request, *args, **kwargs):
        data = self.parse(s.WorkOrderCreateInput)
        customer = customer_selectors.customer_referenced(
            actor=request.user, customer_id=data.pop("customer"))
        address = customer_selectors.address_referenced(
            actor=request.user, address_id=data.pop("service_address"))
        data["install_items"] = _visible_items(request, data["install_items"], "install_items")
        data["recover_items"] = _visible_items(request, data["recover_items"], "recover_items")
        order = services.work_order_create(customer=customer, service_address=address,
                                           actor=request.user, **data)
        return self.respond(self.fresh(order), status.HTTP_201_CREATED)

    @extend_schema(responses=s.WorkOrderEventOutput(many=True), filters=False)
    @action(detail=True, methods=["get"])
    def events(self, request, pk=None):
        """The order's timeline, newest first: every change with who, when and why."""
        order = self.get_object()
        page = self.paginate_queryset(selectors.work_order_events(work_order=order))
        serializer = s.WorkOrderEventOutput(page, many=True,
                                            context=self.get_serializer_context())
        return self.get_paginated_response(serializer.data)

    @extend_schema(methods=["GET"], parameters=[s.SlotQuery],
                   responses=s.SlotOutput(many=True), filters=False)
    @extend_schema(methods=["POST"], request=s.SlotQuery, responses=s.SlotOutput(many=True))
    @action(detail=True, methods=["get", "post"], pagination_class=None, filter_backends=[])
    def slots(self, request, pk=None):
        """The arrival windows from `from` to `to` (at most 31 days) in which a
        technician with the skills and the zone still has room for the
        order; none in the past. A POST may give the range in its body or,
        like a GET, in the query."""
        order = self.get_object()
        given = request.query_params.dict()
        if request.method == "POST" and isinstance(request.data, dict):
            given.update(request.data)
        query = s.SlotQuery(data=given)
        query.is_valid(raise_exception=True)
        found = availability.free_slots(order, query.validated_data["from"],
                                        query.validated_data["to"])
        return Response(s.SlotOutput(found, many=True).data)

    @extend_schema(request=s.BookInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"])
    def book(self, request, pk=None):
        """Book an offered arrival window with the customer; booking again
        reschedules (the old appointment is kept, marked rescheduled)."""
        order = self.get_object()
        data = self.parse(s.BookInput)
        services.appointment_book(work_order=order, window_start=data["window_start"],
                                  actor=request.user)
        return self.act(order)

    @extend_schema(request=s.AssignInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"])
    def assign(self, request, pk=None):
        """Give a booked order to a technician (or another one) at a planned
        start within the arrival window."""
        order = self.get_object()
        data = self.parse(s.AssignInput)
        technician = _technician(data["technician"])
        services.work_order_assign(work_order=order, technician=technician,
                                   actor=request.user, planned_start=data["planned_start"])
        return self.act(order)

    @extend_schema(request=s.WorkOrderReasonInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"])
    def unassign(self, request, pk=None):
        """Take an assigned order back to the day's queue."""
        order = self.get_object()
        data = self.parse(s.WorkOrderReasonInput)
        services.work_order_unassign(work_order=order, actor=request.user,
                                     reason=data["reason"])
        return self.act(order)

    @extend_schema(request=None, responses=s.WorkOrderOutput)
    # Not named `dispatch`: that is the method of every view that runs it.
    @action(detail=True, methods=["post"], url_path="dispatch")
    def dispatch_order(self, request, pk=None):
        """Send an assigned order to its technician's page."""
        order = self.get_object()
        services.work_order_dispatch(work_order=order, actor=request.user)
        return self.act(order)

    @extend_schema(request=s.SubmissionInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"], url_path="en-route")
    def en_route(self, request, pk=None):
        """The technician is on the way."""
        order = self.get_object()
        data = self.parse(s.SubmissionInput)
        services.work_order_start_travel(work_order=order, actor=request.user,
                                         submission_id=data["submission_id"])
        return self.act(order)

    @extend_schema(request=s.SubmissionInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"], url_path="on-site")
    def on_site(self, request, pk=None):
        """The technician is at the customer's."""
        order = self.get_object()
        data = self.parse(s.SubmissionInput)
        services.work_order_arrive(work_order=order, actor=request.user,
                                   submission_id=data["submission_id"])
        return self.act(order)

    @extend_schema(request=s.CompleteInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"])
    def complete(self, request, pk=None):
        """Done and signed: the items installed go from the van (or their
        reservation) to the customer's address, those recovered into the
        van, and the items reserved but not installed are released."""
        order = self.get_object()
        data = self.parse(s.CompleteInput)
        services.work_order_complete(work_order=order, actor=request.user, **data)
        return self.act(order)

    @extend_schema(request=s.FailInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"])
    def fail(self, request, pk=None):
        """The visit could not be done, for `reason`; the equipment stays
        reserved for the next attempt."""
        order = self.get_object()
        data = self.parse(s.FailInput)
        services.work_order_fail(work_order=order, actor=request.user, **data)
        return self.act(order)

    @extend_schema(request=s.WorkOrderReasonInput, responses=s.WorkOrderOutput)
    @action(detail=True, methods=["post"])
    def cancel(self, request, pk=None):
        """Not needed any more: the appointment is cancelled and the
        equipment reserved for the order released."""
        order = self.get_object()
        data = self.parse(s.WorkOrderReasonInput)
        services.work_order_cancel(work_order=order, actor=request.user, reason=data["reason"])
        return self.act(order)


# Appointments, technicians, scheduling runs -------------------------------------------


class AppointmentViewSet(WorkforceViewSet):
    """Arrival windows agreed with customers, each holding a technician's
    time; a reschedule keeps the old one, marked so. Read only: book through
    the work order."""

    output_serializer_class = s.AppointmentOutput
    filterset_class = AppointmentFilter
    http_method_names = ["get", "head", "options"]
    action_permissions = {"list": ((VIEW_APPOINTMENTS,),),
                          "retrieve": ((VIEW_APPOINTMENTS,),)}

    def get_queryset(self):
        return selectors.appointment_list_visible_to(actor=self.request.user)


class TechnicianViewSet(WorkforceViewSet):
    """Field technicians: skills, zones covered, working days and hours,
    orders a day and van. Read only."""

    output_serializer_class = s.TechnicianOutput
    filterset_class = TechnicianFilter
    http_method_names = ["get", "head", "options"]
    action_permissions = {"list": ((VIEW_TECHNICIANS,),),
                          "retrieve": ((VIEW_TECHNICIANS,),)}

    def get_queryset(self):
        return selectors.technician_list(active_only=False).order_by(
            "user__last_name", "user__first_name", "id")


class ScheduleRunViewSet(WorkforceViewSet):
    """Runs of the automatic scheduler, each with what a plain first-fit
    would have achieved on the same day. A POST plans a day and applies it."""

    output_serializer_class = s.ScheduleRunOutput
    create_input_class = s.ScheduleRunInput
    filterset_class = ScheduleRunFilter
    http_method_names = ["get", "post", "head", "options"]
    action_permissions = {"list": ((VIEW_RUNS,),), "retrieve": ((VIEW_RUNS,),),
                          "create": DISPATCHERS}

    def get_queryset(self):
        return selectors.schedule_run_list()

    def create(self, request, *args, **kwargs):
        data = self.parse(s.ScheduleRunInput)
        run = services.schedule_day(day=data["date"], actor=request.user)
        return self.respond(run, status.HTTP_201_CREATED)
