"""The field work REST API (/api/v1/field/): who may call what, each
action's answer with its state, events, appointments and equipment moves,
the domain's refusals (with nothing changed), bad input, idempotent
technician submissions, and what a list costs. Given / when / then."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from functools import cached_property

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from customers.models import Address, Customer
from inventory.choices import ItemState
from inventory.models import EquipmentItem, EquipmentMovement
from sesmu.models import AuditEvent, User
from tests.conftest import ROLES
from tests.workforce.conftest import make_technician, profile_of, van_of, window
from workforce import services
from workforce.choices import AppointmentStatus, WorkOrderState
from workforce.models import (
    Appointment,
    ScheduleRun,
    WorkOrder,
    WorkOrderEvent,
    WorkOrderItem,
)

pytestmark = pytest.mark.django_db

API = "/api/v1/field"
NOT_ALLOWED = {"code": "permission_denied",
               "message": "You do not have permission to perform this action."}
NOT_AUTHENTICATED = {"code": "not_authenticated",
                     "message": "Authentication credentials were not provided."}
NOT_FOUND = {"code": "not_found", "message": "Not found."}
WATCHED_MODELS = [WorkOrder, WorkOrderEvent, WorkOrderItem, Appointment, ScheduleRun,
                  EquipmentItem, EquipmentMovement, AuditEvent]
ORDER_FIELDS = {
    "id", "number", "kind", "state", "origin_kind", "origin_ref", "customer",
    "customer_number", "service_address", "zone", "zone_code", "required_skills",
    "estimated_minutes", "priority", "notes", "scheduled_date", "window_start", "window_end",
    "technician", "technician_username", "planned_start", "route_position",
    "unassigned_reason", "failure_reason", "result_note", "signed_by", "finished_at",
    "equipment", "appointment", "created_by", "created_at", "updated_at",
}


def database_state() -> dict[str, list[dict]]:
    """Every row the API could write, to compare before and after a call."""
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for model in WATCHED_MODELS}


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def error(code: str, field: str, message: str) -> dict:
    return {"code": code, "message": message, "fields": {field: [message]}}


def moment(value: datetime | None) -> str | None:
    """A datetime as the API writes it (local time with its offset)."""
    return None if value is None else timezone.localtime(value).isoformat()


def at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def actions_of(order: WorkOrder) -> list[str]:
    """The order's events, oldest first."""
    return list(WorkOrderEvent.objects.filter(work_order=order).order_by("id")
                .values_list("action", flat=True))


def illegal_message(order: WorkOrder, state: str, target: str) -> str:
    return (f"Work order {order.number} is “{state}”: it cannot become “{target}” from "
            "there.")


# What the operations act on, made on first use ------------------------------------


class Given:
    """Orders of alice for tomorrow in each state (those assigned, with
    Tomás), a scheduling run, made the first time an operation asks."""

    def __init__(self, request):
        self._request = request

    def fixture(self, name: str):
        return self._request.getfixturevalue(name)

    def make(self, *names: str) -> None:
        for name in names:
            getattr(self, name)

    @cached_property
    def tomorrow(self) -> date:
        return self.fixture("tomorrow")

    @cached_property
    def dispatcher(self) -> User:
        return self.fixture("dispatcher")

    @cached_property
    def operator(self) -> User:
        return self.fixture("operator")

    @cached_property
    def technician(self) -> User:
        """Tomás, with Úrsula as a second technician in the same zone."""
        self.fixture("other_technician")
        return self.fixture("technician")

    @cached_property
    def alice(self) -> Customer:
        return self.fixture("alice_customer")

    @cached_property
    def alice_address(self) -> Address:
        return self.fixture("alice_address")

    def order(self, **extra) -> WorkOrder:
        self.make("technician")
        return self.fixture("make_order")(**extra)

    def booked(self, hour: int) -> WorkOrder:
        order = self.order()
        self.fixture("book")(order, hour)
        order.refresh_from_db()
        return order

    def assigned_at(self, hour: int) -> WorkOrder:
        order = self.booked(hour)
        return services.work_order_assign(work_order=order, technician=self.technician,
                                          actor=self.dispatcher)

    @cached_property
    def generated(self) -> WorkOrder:
        return self.order(notes="Ring twice")

    @cached_property
    def scheduled(self) -> WorkOrder:
        return self.booked(10)

    @cached_property
    def assigned(self) -> WorkOrder:
        return self.assigned_at(8)

    @cached_property
    def dispatched(self) -> WorkOrder:
        order = self.assigned_at(10)
        return services.work_order_dispatch(work_order=order, actor=self.dispatcher)

    @cached_property
    def en_route(self) -> WorkOrder:
        order = self.assigned_at(12)
        services.work_order_dispatch(work_order=order, actor=self.dispatcher)
        return services.work_order_start_travel(work_order=order, actor=self.technician)

    @cached_property
    def on_site(self) -> WorkOrder:
        order = self.assigned_at(14)
        services.work_order_dispatch(work_order=order, actor=self.dispatcher)
        services.work_order_start_travel(work_order=order, actor=self.technician)
        return services.work_order_arrive(work_order=order, actor=self.technician)

    @cached_property
    def appointment(self) -> Appointment:
        return Appointment.objects.get(work_order=self.scheduled)

    @cached_property
    def run(self) -> ScheduleRun:
        # A day with nothing planned, so the run moves none of the orders above.
        self.make("technician")
        return services.schedule_day(day=self.tomorrow + timedelta(days=2),
                                     actor=self.dispatcher)

    @cached_property
    def signature(self) -> str:
        return self.fixture("png_signature")


@pytest.fixture
def given(request) -> Given:
    return Given(request)


# Every operation of the API ---------------------------------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: Callable[[Given], str]
    payload: Callable[[Given], dict] | None = None
    success: int = 200
    needs: tuple[str, ...] = ()
    writes: bool | None = None

    @property
    def is_write(self) -> bool:
        return self.method != "get" if self.writes is None else self.writes

    def __str__(self) -> str:
        return self.name

    def prepare(self, given: Given) -> tuple[str, dict | None]:
        given.make(*self.needs)
        return self.path(given), self.payload(given) if self.payload else None

    def send(self, client: APIClient, path: str, payload: dict | None):
        if payload is None:
            return getattr(client, self.method)(path)
        return getattr(client, self.method)(path, payload, format="json")


def order_action(name: str, order: str, payload: Callable[[Given], dict] | None = None,
                 **kwargs) -> Operation:
    return Operation(f"work-orders:{name}", "post",
                     lambda g: f"{API}/work-orders/{getattr(g, order).pk}/{name}/",
                     payload or (lambda g: {}), **kwargs)


def slots_query(given: Given) -> str:
    return f"from={given.tomorrow.isoformat()}&to={given.tomorrow.isoformat()}"


OPERATIONS = [
    Operation("work-orders:list", "get", lambda g: f"{API}/work-orders/",
              needs=("generated", "assigned")),
    Operation("work-orders:retrieve", "get", lambda g: f"{API}/work-orders/{g.assigned.pk}/"),
    Operation("work-orders:events", "get",
              lambda g: f"{API}/work-orders/{g.assigned.pk}/events/"),
    Operation("work-orders:create", "post", lambda g: f"{API}/work-orders/",
              lambda g: {"customer": g.alice.pk, "service_address": g.alice_address.pk,
                         "kind": "install", "required_skills": ["cable_install"]}, 201),
    Operation("work-orders:slots", "get",
              lambda g: f"{API}/work-orders/{g.generated.pk}/slots/?{slots_query(g)}"),
    Operation("work-orders:slots (post)", "post",
              lambda g: f"{API}/work-orders/{g.generated.pk}/slots/?{slots_query(g)}",
              lambda g: {}, writes=False),
    order_action("book", "generated",
                 lambda g: {"window_start": window(g.tomorrow, 12)[0].isoformat()}),
    order_action("assign", "scheduled",
                 lambda g: {"technician": g.technician.pk,
                            "planned_start": at(g.tomorrow, 11).isoformat()}),
    order_action("unassign", "assigned", lambda g: {"reason": "Van broke down"}),
    order_action("dispatch", "assigned"),
    order_action("en-route", "dispatched", lambda g: {"submission_id": "s-1"}),
    order_action("on-site", "en_route", lambda g: {"submission_id": "s-2"}),
    order_action("complete", "on_site",
                 lambda g: {"signature": g.signature, "signed_by": "Alice"}),
    order_action("fail", "dispatched", lambda g: {"reason": "customer_absent"}),
    order_action("cancel", "scheduled", lambda g: {"reason": "Customer moved"}),
    Operation("appointments:list", "get", lambda g: f"{API}/appointments/",
              needs=("scheduled",)),
    Operation("appointments:retrieve", "get",
              lambda g: f"{API}/appointments/{g.appointment.pk}/"),
    Operation("technicians:list", "get", lambda g: f"{API}/technicians/",
              needs=("technician",)),
    Operation("technicians:retrieve", "get",
              lambda g: f"{API}/technicians/{profile_of(g.technician).pk}/"),
    Operation("schedule-runs:list", "get", lambda g: f"{API}/schedule-runs/", needs=("run",)),
    Operation("schedule-runs:retrieve", "get", lambda g: f"{API}/schedule-runs/{g.run.pk}/"),
    Operation("schedule-runs:create", "post", lambda g: f"{API}/schedule-runs/",
              lambda g: {"date": g.tomorrow.isoformat()}, 201, needs=("scheduled",)),
]
EVERYTHING = {operation.name for operation in OPERATIONS}


def reads(*endpoints: str) -> set[str]:
    return {f"{endpoint}:{action}" for endpoint in endpoints for action in ("list", "retrieve")}


BOOKING = {"work-orders:slots", "work-orders:slots (post)", "work-orders:book"}
PERFORMING = {f"work-orders:{name}" for name in ("en-route", "on-site", "complete", "fail")}
# What each role may do, read off the grants of workforce/migrations/0002_roles.py:
# reads need the view permission of what is read (a technician reads the
# orders he carries out), creating needs add_workorder, slots and booking
# need book_workorder, planning and cancelling need dispatch_workorder, the
# technician's steps need perform_workorder (or dispatch_workorder).
ALLOWED: dict[str | None, set[str]] = {
    "dispatcher": EVERYTHING,
    "backoffice_admin": EVERYTHING,
    "cc_operator": reads("work-orders", "appointments") | BOOKING
    | {"work-orders:events", "work-orders:create"},
    "cc_supervisor": reads("work-orders", "appointments", "technicians", "schedule-runs")
    | BOOKING | {"work-orders:events", "work-orders:create"},
    "field_technician": reads("work-orders") | {"work-orders:events"} | PERFORMING,
    "inventory_clerk": reads("work-orders"),
    "executive": reads("work-orders", "schedule-runs"),
    "billing_agent": set(),
    "marketing_agent": set(),
    None: set(),
}


def caller(given: Given, user_with_role, role: str | None) -> User:
    """The technician role is played by Tomás, whose orders they are."""
    if role == "field_technician":
        return given.technician
    return user_with_role(role)


def test_it_covers_every_role_of_the_project():
    # Given the roles of the project, When the matrix above is read,
    # Then it has a row for each of them and for a user with none.
    assert set(ALLOWED) == {*ROLES, None}


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_it_answers_401_to_anonymous_callers(given, api_client, operation):
    # Given
    path, payload = operation.prepare(given)
    before = database_state()
    # When
    response = operation.send(api_client, path, payload)
    # Then
    assert response.status_code == 401
    assert response.json() == NOT_AUTHENTICATED
    assert database_state() == before


@pytest.mark.parametrize("operation", OPERATIONS, ids=str)
def test_it_gives_portal_customers_nothing(given, alice, operation):
    # Given alice logged in to the portal; the orders are hers
    path, payload = operation.prepare(given)
    client = APIClient()
    assert client.login(username="alice", password="Wonderland-2026")
    before = database_state()
    # When
    response = operation.send(client, path, payload)
    # Then
    assert response.status_code == 403
    assert response.json() == NOT_ALLOWED
    assert database_state() == before


MATRIX = [
    pytest.param(role, operation, id=f"{role or 'no-role'}-{operation}")
    for role in ALLOWED
    for operation in OPERATIONS
]


@pytest.mark.parametrize(("role", "operation"), MATRIX)
def test_it_answers_each_role_as_its_grants_say(given, user_with_role, role, operation):
    # Given
    path, payload = operation.prepare(given)
    user = caller(given, user_with_role, role)
    client = client_for(user)
    before = database_state()
    # When
    response = operation.send(client, path, payload)
    # Then
    if operation.name in ALLOWED[role]:
        assert response.status_code == operation.success, response.content
        assert (database_state() != before) == operation.is_write
        if operation.name == "work-orders:list":
            visible = WorkOrder.objects.all()
            if role == "field_technician":
                visible = visible.filter(technician=user)
            assert response.json()["count"] == visible.count() > 0
        if operation.name == "appointments:list":
            assert response.json()["count"] == Appointment.objects.count() > 0
    else:
        assert response.status_code == 403, response.content
        assert response.json() == NOT_ALLOWED
        assert database_state() == before


class TestTechniciansReachOnlyTheirOrders:
    @pytest.mark.parametrize(("name", "order", "payload"), [
        ("en-route", "dispatched", {}),
        ("fail", "dispatched", {"reason": "no_access"}),
    ])
    def test_it_answers_404_for_the_order_of_another_technician(self, given, name, order,
                                                                 payload):
        # Given Úrsula, a technician, and an order of Tomás
        target = getattr(given, order)
        ursula = User.objects.get(username="ursula")
        before = database_state()
        # When
        response = client_for(ursula).post(f"{API}/work-orders/{target.pk}/{name}/", payload,
                                           format="json")
        # Then
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        assert database_state() == before

    def test_it_lists_only_the_technicians_own_orders(self, given):
        # Given an order of Tomás and one nobody has
        mine, other = given.assigned, given.generated
        # When
        response = client_for(given.technician).get(f"{API}/work-orders/")
        # Then
        assert [row["id"] for row in response.json()["results"]] == [mine.pk]
        assert other.pk != mine.pk

    def test_it_lets_a_dispatcher_act_for_the_technician(self, given):
        # Given an order of Tomás on its way
        order = given.en_route
        # When
        response = client_for(given.dispatcher).post(
            f"{API}/work-orders/{order.pk}/on-site/", {}, format="json")
        # Then
        assert response.status_code == 200
        assert response.json()["state"] == "on_site"
        assert actions_of(order)[-1] == "on_site"
        assert WorkOrderEvent.objects.filter(work_order=order).latest("id").actor == \
            given.dispatcher


# The actions on one order -------------------------------------------------------------


def post(client: APIClient, order: WorkOrder, name: str, payload: dict | None = None):
    return client.post(f"{API}/work-orders/{order.pk}/{name}/", payload or {}, format="json")


@pytest.fixture
def dispatcher_client(dispatcher) -> APIClient:
    return client_for(dispatcher)


@pytest.fixture
def operator_client(operator) -> APIClient:
    return client_for(operator)


class TestCreate:
    def test_it_generates_an_order_reserving_and_listing_its_equipment(
        self, given, operator_client, operator, make_box, installed_box, zone,
    ):
        # Given a box in the warehouse to install and one working at alice's
        box = make_box()
        given.make("technician")
        # When
        response = operator_client.post(f"{API}/work-orders/", {
            "customer": given.alice.pk, "service_address": given.alice_address.pk,
            "kind": "swap", "required_skills": ["cable_install", "equipment_recovery"],
            "estimated_minutes": 90, "priority": 3, "notes": "Dog in the garden",
            "origin_kind": "ticket", "origin_ref": "T000042",
            "install_items": [box.pk], "recover_items": [installed_box.pk],
        }, format="json")
        # Then
        assert response.status_code == 201, response.content
        body = response.json()
        order = WorkOrder.objects.get()
        assert set(body) == ORDER_FIELDS
        assert {key: body[key] for key in ORDER_FIELDS - {"created_at", "updated_at"}} == {
            "id": order.pk, "number": order.number, "kind": "swap", "state": "generated",
            "origin_kind": "ticket", "origin_ref": "T000042", "customer": given.alice.pk,
            "customer_number": given.alice.number, "service_address": given.alice_address.pk,
            "zone": zone.pk, "zone_code": "mad-centro",
            "required_skills": ["cable_install", "equipment_recovery"],
            "estimated_minutes": 90, "priority": 3, "notes": "Dog in the garden",
            "scheduled_date": None, "window_start": None, "window_end": None,
            "technician": None, "technician_username": None, "planned_start": None,
            "route_position": None, "unassigned_reason": "", "failure_reason": "",
            "result_note": "", "signed_by": "", "finished_at": None,
            "equipment": [
                {"id": WorkOrderItem.objects.get(item=box).pk, "item": box.pk,
                 "serial_number": box.serial_number, "model_code": "humax-stb",
                 "item_state": "reserved", "direction": "install", "done": False},
                {"id": WorkOrderItem.objects.get(item=installed_box).pk,
                 "item": installed_box.pk, "serial_number": installed_box.serial_number,
                 "model_code": "humax-stb", "item_state": "installed",
                 "direction": "recover", "done": False},
            ],
            "appointment": None, "created_by": "olga",
        }
        box.refresh_from_db()
        assert (box.state, box.customer_id) == (ItemState.RESERVED, given.alice.pk)
        assert actions_of(order) == ["generated"]

    @pytest.mark.parametrize(("change", "expected"), [
        ({"customer": 10**20}, error("max_value", "customer", "Ensure this value is less than "
                                     "or equal to 9223372036854775807.")),
        ({"customer": "abc"}, error("invalid", "customer", "A valid integer is required.")),
        ({"customer": 999_999}, error("not_found", "customer", "No such customer.")),
        ({"service_address": 999_999}, error("not_found", "service_address",
                                             "No such address.")),
        ({"install_items": [999_999]}, error("not_found", "install_items",
                                             "No such item: 999999.")),
        ({"recover_items": [0]}, {"code": "min_value",
                                  "message": "Ensure this value is greater than or equal to 1.",
                                  "fields": {"recover_items": {"0": [
                                      "Ensure this value is greater than or equal to 1."]}}}),
        ({"kind": "teleport"}, error("invalid_choice", "kind",
                                     '"teleport" is not a valid choice.')),
        ({"required_skills": ["juggling"]}, {
            "code": "invalid_choice", "message": '"juggling" is not a valid choice.',
            "fields": {"required_skills": {"0": ['"juggling" is not a valid choice.']}}}),
        ({"estimated_minutes": 5}, error("min_value", "estimated_minutes",
                                         "Ensure this value is greater than or equal to 10.")),
        ({"priority": 9}, error("invalid_choice", "priority", '"9" is not a valid choice.')),
        ({"required_skills": []}, error("required", "required_skills",
                                        "Say which skills the visit needs.")),
    ])
    def test_it_refuses_bad_input(self, given, operator_client, change, expected):
        # Given
        payload = {"customer": given.alice.pk, "service_address": given.alice_address.pk,
                   "kind": "install", "required_skills": ["cable_install"], **change}
        before = database_state()
        # When
        response = operator_client.post(f"{API}/work-orders/", payload, format="json")
        # Then
        assert (response.status_code, response.json()) == (400, expected)
        assert database_state() == before

    def test_it_refuses_the_address_of_another_customer(self, given, operator_client,
                                                        bob_address):
        # Given
        given.make("alice")
        before = database_state()
        # When
        response = operator_client.post(f"{API}/work-orders/", {
            "customer": given.alice.pk, "service_address": bob_address.pk, "kind": "repair",
            "required_skills": ["cable_repair"]}, format="json")
        # Then
        assert (response.status_code, response.json()) == (400, error(
            "wrong_customer", "service_address", "This address belongs to another customer."))
        assert database_state() == before

    def test_it_refuses_an_item_twice(self, given, operator_client, make_box):
        # Given
        box = make_box()
        given.make("alice", "alice_address")
        before = database_state()
        # When
        response = operator_client.post(f"{API}/work-orders/", {
            "customer": given.alice.pk, "service_address": given.alice_address.pk,
            "kind": "install", "required_skills": ["cable_install"],
            "install_items": [box.pk, box.pk]}, format="json")
        # Then
        assert (response.status_code, response.json()) == (400, error(
            "duplicate", "install_items", "Name each item once."))
        assert database_state() == before

    def test_it_refuses_to_recover_what_is_not_installed_at_the_customers(
        self, given, operator_client, make_box,
    ):
        # Given a box in the warehouse
        box = make_box()
        given.make("alice", "alice_address")
        before = database_state()
        # When
        response = operator_client.post(f"{API}/work-orders/", {
            "customer": given.alice.pk, "service_address": given.alice_address.pk,
            "kind": "recover", "recover_items": [box.pk]}, format="json")
        # Then
        assert (response.status_code, response.json()) == (400, error(
            "equipment_mismatch", "recover_items",
            f"{box.serial_number} is not installed at this customer's."))
        assert database_state() == before


class TestSlots:
    def test_it_offers_the_windows_technicians_can_take(self, given, operator_client):
        # Given Tomás and Úrsula, both free, working 08:00-17:00
        order = given.generated
        day = given.tomorrow
        # When
        response = operator_client.get(
            f"{API}/work-orders/{order.pk}/slots/?from={day}&to={day}")
        # Then the 16-18 window ends after their shifts
        assert response.status_code == 200
        assert response.json() == [
            {"date": day.isoformat(), "window_start": moment(window(day, hour)[0]),
             "window_end": moment(window(day, hour)[1]), "technicians": 2}
            for hour in (8, 10, 12, 14)
        ]

    def test_it_takes_the_range_from_the_body_of_a_post(self, given, operator_client):
        # Given Tomás booked full at 08:00 (two orders of an hour) and Úrsula absent
        day = given.tomorrow
        given.make("technician")
        services.absence_add(technician=profile_of(User.objects.get(username="ursula")),
                             start_date=day, end_date=day, actor=given.dispatcher)
        given.booked(8)
        given.booked(8)
        given.make("generated")
        before = database_state()
        # When
        response = post(operator_client, given.generated, "slots",
                        {"from": day.isoformat(), "to": day.isoformat()})
        # Then
        assert response.status_code == 200
        assert [row["window_start"] for row in response.json()] == [
            moment(window(day, hour)[0]) for hour in (10, 12, 14)]
        assert {row["technicians"] for row in response.json()} == {1}
        assert database_state() == before

    @pytest.mark.parametrize(("query", "expected"), [
        ("from=2030-03-10&to=2030-03-09",
         error("bad_range", "to", "The last day must not be before the first.")),
        ("from=2030-03-01&to=2030-04-01",
         error("bad_range", "to", "Search at most 31 days at a time.")),
        ("from=2030-02-31",
         error("invalid", "from", "Date has wrong format. Use one of these formats instead: "
                                  "YYYY-MM-DD.")),
        ("from=10/03/2030",
         error("invalid", "from", "Date has wrong format. Use one of these formats instead: "
                                  "YYYY-MM-DD.")),
    ])
    def test_it_refuses_a_bad_range(self, given, operator_client, query, expected):
        # When
        response = operator_client.get(f"{API}/work-orders/{given.generated.pk}/slots/?{query}")
        # Then
        assert (response.status_code, response.json()) == (400, expected)

    def test_it_searches_31_days_at_most(self, given, operator_client):
        # When
        response = operator_client.get(f"{API}/work-orders/{given.generated.pk}/slots/"
                                       f"?from=2030-03-01&to=2030-03-31")
        # Then: four windows a day, every day (they work every day)
        assert response.status_code == 200
        assert len(response.json()) == 31 * 4

    def test_it_searches_a_week_from_today_by_default(self, given, operator_client):
        # When
        response = operator_client.get(f"{API}/work-orders/{given.generated.pk}/slots/")
        # Then
        days = {row["date"] for row in response.json()}
        today = timezone.localdate()
        assert days <= {(today + timedelta(days=offset)).isoformat() for offset in range(7)}
        assert (today + timedelta(days=6)).isoformat() in days


class TestBook:
    def test_it_books_a_window_holding_a_technicians_time(self, given, operator_client,
                                                          operator):
        # Given
        order = given.generated
        start, end = window(given.tomorrow, 12)
        # When
        response = post(operator_client, order, "book", {"window_start": start.isoformat()})
        # Then
        assert response.status_code == 200, response.content
        body = response.json()
        appointment = Appointment.objects.get(work_order=order)
        assert (body["state"], body["scheduled_date"], body["window_start"],
                body["window_end"]) == ("scheduled", given.tomorrow.isoformat(), moment(start),
                                        moment(end))
        assert body["appointment"] == {
            "id": appointment.pk, "work_order": order.pk, "work_order_number": order.number,
            "technician": appointment.technician.user_id,
            "technician_username": appointment.technician.user.username,
            "date": given.tomorrow.isoformat(), "window_start": moment(start),
            "window_end": moment(end), "minutes": 60, "status": "booked",
            "created_by": "olga", "created_at": moment(appointment.created_at),
        }
        assert appointment.technician.user.username in ("tomas", "ursula")
        assert actions_of(order) == ["generated", "scheduled"]

    def test_it_reschedules_keeping_the_old_appointment(self, given, operator_client):
        # Given an order booked at 10:00
        order = given.scheduled
        first = Appointment.objects.get(work_order=order)
        start = window(given.tomorrow + timedelta(days=1), 14)[0]
        # When
        response = post(operator_client, order, "book", {"window_start": start.isoformat()})
        # Then
        assert response.status_code == 200
        assert response.json()["window_start"] == moment(start)
        assert list(Appointment.objects.filter(work_order=order).order_by("id")
                    .values_list("pk", "status")) == [
            (first.pk, AppointmentStatus.RESCHEDULED),
            (response.json()["appointment"]["id"], AppointmentStatus.BOOKED)]
        assert actions_of(order) == ["generated", "scheduled", "rescheduled"]

    def test_it_tells_the_second_booking_of_a_full_window_it_was_taken(
        self, given, operator_client, make_order,
    ):
        # Given both technicians holding two hours in the 08-10 window
        given.make("technician")
        for _index in range(2):
            given.fixture("book")(make_order(minutes=120), 8)
        order = given.generated
        before = database_state()
        # When
        response = post(operator_client, order, "book",
                        {"window_start": window(given.tomorrow, 8)[0].isoformat()})
        # Then
        assert (response.status_code, response.json()) == (400, error(
            "slot_taken", "window_start", "This window was just taken; choose another one."))
        assert database_state() == before

    @pytest.mark.parametrize(("value", "expected"), [
        ("09:00", error("no_slot", "window_start",
                        "Choose one of the offered arrival windows.")),
        ("past", error("no_slot", "window_start", "This window has already begun.")),
        ("tomorrow", error("invalid", "window_start",
                           "Datetime has wrong format. Use one of these formats instead: "
                           "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")),
        (None, error("required", "window_start", "This field is required.")),
    ])
    def test_it_refuses_a_window_that_is_not_offered(self, given, operator_client, value,
                                                     expected):
        # Given
        order = given.generated
        payload = {
            "09:00": {"window_start": at(given.tomorrow, 9).isoformat()},
            "past": {"window_start": window(timezone.localdate() - timedelta(days=1),
                                            10)[0].isoformat()},
            "tomorrow": {"window_start": "tomorrow"},
            None: {},
        }[value]
        before = database_state()
        # When
        response = post(operator_client, order, "book", payload)
        # Then
        assert (response.status_code, response.json()) == (400, expected)
        assert database_state() == before


class TestPlanning:
    def test_it_assigns_a_booked_order_at_the_start_of_its_window(self, given,
                                                                  dispatcher_client):
        # Given
        order = given.scheduled
        tomas = given.technician
        # When
        response = post(dispatcher_client, order, "assign", {"technician": tomas.pk})
        # Then
        assert response.status_code == 200, response.content
        body = response.json()
        assert (body["state"], body["technician"], body["technician_username"],
                body["planned_start"]) == ("assigned", tomas.pk, "tomas",
                                           moment(window(given.tomorrow, 10)[0]))
        assert body["appointment"]["technician"] == tomas.pk
        assert Appointment.objects.get(work_order=order).technician == profile_of(tomas)
        assert actions_of(order) == ["generated", "scheduled", "assigned"]

    @pytest.mark.parametrize(("who", "expected"), [
        ("dispatcher", error("not_found", "technician", "No such technician.")),
        ("absurd", error("max_value", "technician", "Ensure this value is less than or equal "
                                                    "to 9223372036854775807.")),
        ("far", error("outside_zone", "technician",
                      "Fernando does not cover this address's zone.")),
        ("late", error("outside_hours", "planned_start",
                       "The customer expects the technician between 10:00 and 12:00.")),
    ])
    def test_it_refuses_a_technician_who_cannot_go(self, given, dispatcher_client, other_zone,
                                                   who, expected):
        # Given
        order = given.scheduled
        payload = {
            "dispatcher": {"technician": given.dispatcher.pk},
            "absurd": {"technician": 10**20},
            "far": {"technician": make_technician("fernando", actor=given.dispatcher,
                                                  zones=[other_zone]).pk},
            "late": {"technician": given.technician.pk,
                     "planned_start": at(given.tomorrow, 13).isoformat()},
        }[who]
        before = database_state()
        # When
        response = post(dispatcher_client, order, "assign", payload)
        # Then
        assert (response.status_code, response.json()) == (400, expected)
        assert database_state() == before

    def test_it_unassigns_back_to_the_queue(self, given, dispatcher_client):
        # Given
        order = given.assigned
        # When
        response = post(dispatcher_client, order, "unassign", {"reason": "Van broke down"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["technician"], body["planned_start"]) == (
            "scheduled", None, None)
        event = WorkOrderEvent.objects.filter(work_order=order).latest("id")
        assert (event.action, event.from_state, event.to_state, event.reason) == (
            "unassign", "assigned", "scheduled", "Van broke down")

    def test_it_dispatches_to_the_technician(self, given, dispatcher_client):
        # Given
        order = given.assigned
        # When
        response = post(dispatcher_client, order, "dispatch")
        # Then
        assert response.status_code == 200
        assert response.json()["state"] == "dispatched"
        assert actions_of(order) == ["generated", "scheduled", "assigned", "dispatch"]

    def test_it_cancels_releasing_the_appointment_and_the_equipment(
        self, given, dispatcher_client, make_box,
    ):
        # Given a booked order with a box reserved for it
        box = make_box()
        order = given.order(install_items=[box])
        given.fixture("book")(order, 10)
        # When
        response = post(dispatcher_client, order, "cancel", {"reason": "Customer moved"})
        # Then
        assert response.status_code == 200
        assert response.json()["state"] == "cancelled"
        assert response.json()["appointment"] is None
        assert Appointment.objects.get(work_order=order).status == AppointmentStatus.CANCELLED
        box.refresh_from_db()
        assert (box.state, box.customer_id) == (ItemState.IN_STOCK, None)
        event = WorkOrderEvent.objects.filter(work_order=order).latest("id")
        assert (event.action, event.to_state, event.reason) == (
            "cancel", "cancelled", "Customer moved")


class TestTechnicianSteps:
    def test_it_follows_the_visit_from_the_road_to_the_signature(
        self, given, van_boxes, installed_box, make_box, alice_customer, alice_address,
    ):
        # Given a dispatched order with a warehouse box reserved for it, a box
        # in Tomás's van, and a box working at alice's to take back
        reserved = make_box()
        order = given.order(kind="swap", skills=["cable_install", "equipment_recovery"],
                            install_items=[reserved], recover_items=[installed_box])
        given.fixture("book")(order, 8)
        services.work_order_assign(work_order=order, technician=given.technician,
                                   actor=given.dispatcher)
        services.work_order_dispatch(work_order=order, actor=given.dispatcher)
        client = client_for(given.technician)
        van = van_of(given.technician)
        # When
        on_the_way = post(client, order, "en-route", {"submission_id": "road-1"})
        there = post(client, order, "on-site", {"submission_id": "site-1"})
        done = post(client, order, "complete", {
            "signature": given.signature, "signed_by": "Alice Liddell",
            "installed": [van_boxes[0].serial_number.lower()],
            "recovered": [installed_box.serial_number], "note": "All working",
            "submission_id": "done-1"})
        # Then
        assert [on_the_way.status_code, there.status_code, done.status_code] == [200] * 3
        assert [on_the_way.json()["state"], there.json()["state"]] == ["en_route", "on_site"]
        body = done.json()
        assert (body["state"], body["signed_by"], body["result_note"]) == (
            "completed", "Alice Liddell", "All working")
        assert body["finished_at"] is not None
        assert {(line["serial_number"], line["direction"], line["done"], line["item_state"])
                for line in body["equipment"]} == {
            (reserved.serial_number, "install", False, "in_stock"),
            (installed_box.serial_number, "recover", True, "returned"),
            (van_boxes[0].serial_number, "install", True, "installed"),
        }
        states = {item.pk: (item.state, item.location_id, item.customer_id)
                  for item in EquipmentItem.objects.all()}
        assert states[van_boxes[0].pk] == (ItemState.INSTALLED, None, alice_customer.pk)
        assert states[van_boxes[1].pk] == (ItemState.IN_STOCK, van.pk, None)
        assert states[installed_box.pk] == (ItemState.RETURNED, van.pk, None)
        assert (states[reserved.pk][0], states[reserved.pk][2]) == (ItemState.IN_STOCK, None)
        assert EquipmentItem.objects.get(pk=van_boxes[0].pk).service_address == alice_address
        assert actions_of(order) == ["generated", "scheduled", "assigned", "dispatch",
                                     "en_route", "on_site", "completed"]
        completed = WorkOrderEvent.objects.get(work_order=order, action="completed")
        assert (completed.payload, completed.submission_id, completed.actor) == (
            {"installed": [van_boxes[0].serial_number],
             "recovered": [installed_box.serial_number]},
            "done-1", given.technician)
        order.refresh_from_db()
        assert order.signature == given.signature

    def test_it_completes_once_when_the_form_arrives_twice(self, given):
        # Given an order on site, completed once
        order = given.on_site
        client = client_for(given.technician)
        payload = {"signature": given.signature, "signed_by": "Alice",
                   "submission_id": "sig-77"}
        first = post(client, order, "complete", payload)
        assert first.status_code == 200
        before = database_state()
        # When the same submission arrives again
        again = post(client, order, "complete", payload)
        # Then it answers as the first time and does nothing more
        assert again.status_code == 200
        assert again.json()["state"] == first.json()["state"] == "completed"
        assert database_state() == before
        assert actions_of(order).count("completed") == 1

    def test_it_goes_on_the_way_once_when_the_form_arrives_twice(self, given):
        # Given
        order = given.dispatched
        client = client_for(given.technician)
        assert post(client, order, "en-route", {"submission_id": "r-9"}).status_code == 200
        before = database_state()
        # When
        again = post(client, order, "en-route", {"submission_id": "r-9"})
        # Then
        assert (again.status_code, again.json()["state"]) == (200, "en_route")
        assert database_state() == before

    def test_it_fails_with_the_reason(self, given):
        # Given
        order = given.dispatched
        # When
        response = post(client_for(given.technician), order, "fail",
                        {"reason": "customer_absent", "note": "Nobody answered",
                         "submission_id": "f-1"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["failure_reason"], body["result_note"]) == (
            "failed", "customer_absent", "Nobody answered")
        event = WorkOrderEvent.objects.filter(work_order=order).latest("id")
        assert (event.action, event.from_state, event.to_state, event.reason,
                event.payload) == ("failed", "dispatched", "failed", "Nobody answered",
                                   {"reason": "customer_absent"})

    @pytest.mark.parametrize(("payload", "expected"), [
        ({"reason": "bored"}, error("invalid_choice", "reason",
                                    "Choose why it could not be done.")),
        ({}, error("required", "reason", "This field is required.")),
    ])
    def test_it_refuses_an_unknown_failure_reason(self, given, payload, expected):
        # Given
        order = given.dispatched
        before = database_state()
        # When
        response = post(client_for(given.technician), order, "fail", payload)
        # Then
        assert (response.status_code, response.json()) == (400, expected)
        assert database_state() == before

    @pytest.mark.parametrize(("signature", "expected"), [
        ("data:image/gif;base64,R0lGODlhAQABAAAAACw=",
         error("bad_signature", "signature", "The signature must be a PNG image.")),
        ("data:image/png;base64,not base64!",
         error("bad_signature", "signature", "The signature could not be read; sign again.")),
        ("data:image/png;base64,R0lGODlhAQABAAAAACw=",
         error("bad_signature", "signature", "The signature could not be read; sign again.")),
        ("", error("signature_required", "signature", "Ask the customer to sign.")),
        ("x" * 500_001, error("max_length", "signature",
                              "Ensure this field has no more than 500000 characters.")),
    ])
    def test_it_refuses_a_bad_signature(self, given, signature, expected):
        # Given
        order = given.on_site
        before = database_state()
        # When
        response = post(client_for(given.technician), order, "complete",
                        {"signature": signature})
        # Then
        assert (response.status_code, response.json()) == (400, expected)
        assert database_state() == before

    def test_it_refuses_a_serial_that_is_neither_in_the_van_nor_reserved(self, given,
                                                                         make_box):
        # Given a box in the warehouse
        box = make_box()
        order = given.on_site
        before = database_state()
        # When
        response = post(client_for(given.technician), order, "complete",
                        {"signature": given.signature, "installed": [box.serial_number]})
        # Then
        assert (response.status_code, response.json()) == (400, error(
            "equipment_mismatch", "installed",
            f"{box.serial_number} is neither in the van nor reserved for this customer."))
        assert database_state() == before


# Transitions the state does not allow ---------------------------------------------


REFUSED = [
    # (action, order, who, payload, state label, target label)
    ("dispatch", "scheduled", "dispatcher", {}, "Scheduled", "Dispatched"),
    ("unassign", "generated", "dispatcher", {}, "Generated", "Scheduled"),
    ("assign", "dispatched", "dispatcher", {"technician": "ursula"}, "Dispatched",
     "Assigned"),
    ("cancel", "en_route", "dispatcher", {}, "En route", "Cancelled"),
    ("book", "dispatched", "operator", {"window_start": "tomorrow-14"}, "Dispatched",
     "Scheduled"),
    ("en-route", "assigned", "technician", {}, "Assigned", "En route"),
    ("on-site", "dispatched", "technician", {}, "Dispatched", "On site"),
    ("complete", "en_route", "technician", {"signature": "signature"}, "En route",
     "Completed"),
    ("fail", "assigned", "technician", {"reason": "no_access"}, "Assigned", "Failed"),
]


@pytest.mark.parametrize(("name", "order_name", "who", "payload", "state", "target"), REFUSED,
                         ids=[f"{row[0]}-from-{row[1]}" for row in REFUSED])
def test_it_refuses_an_illegal_transition_changing_nothing(given, name, order_name, who,
                                                           payload, state, target):
    # Given
    order = getattr(given, order_name)
    replacements = {"ursula": lambda: User.objects.get(username="ursula").pk,
                    "tomorrow-14": lambda: window(given.tomorrow, 14)[0].isoformat(),
                    "signature": lambda: given.signature}
    payload = {key: replacements[value]() if value in replacements else value
               for key, value in payload.items()}
    user = {"dispatcher": given.dispatcher, "operator": given.operator,
            "technician": given.technician}[who]
    before = database_state()
    # When
    response = post(client_for(user), order, name, payload)
    # Then
    assert (response.status_code, response.json()) == (400, error(
        "illegal_transition", "state", illegal_message(order, state, target)))
    assert database_state() == before


@pytest.mark.parametrize("order_id", ["999999", "abc", str(10**30)])
@pytest.mark.parametrize(("method", "suffix"), [("get", ""), ("get", "events/"),
                                                ("get", "slots/"), ("post", "dispatch/")])
def test_it_answers_404_for_an_order_that_does_not_exist(dispatcher_client, order_id, method,
                                                         suffix):
    # When
    response = getattr(dispatcher_client, method)(f"{API}/work-orders/{order_id}/{suffix}")
    # Then
    assert (response.status_code, response.json()) == (404, NOT_FOUND)


# Reading ---------------------------------------------------------------------------


class TestReading:
    def test_it_shows_the_timeline_newest_first(self, given, dispatcher_client):
        # Given
        order = given.dispatched
        # When
        response = dispatcher_client.get(f"{API}/work-orders/{order.pk}/events/")
        # Then
        assert response.status_code == 200
        rows = response.json()["results"]
        assert [(row["action"], row["from_state"], row["to_state"], row["actor"])
                for row in rows] == [
            ("dispatch", "assigned", "dispatched", "diego"),
            ("assigned", "scheduled", "assigned", "diego"),
            ("scheduled", "generated", "scheduled", "olga"),
            ("generated", "", "generated", "olga"),
        ]
        assert set(rows[0]) == {"id", "action", "from_state", "to_state", "reason", "payload",
                                "actor", "created_at"}
        assert rows[1]["payload"] == {
            "technician": "tomas",
            "planned_start": timezone.localtime(window(given.tomorrow, 10)[0])
            .strftime("%Y-%m-%d %H:%M")}

    @pytest.mark.parametrize(("query", "expected"), [
        ("state=scheduled", ["scheduled"]),
        ("state=scheduled&state=generated", ["bob", "generated", "recovery", "scheduled"]),
        ("kind=recover", ["recovery"]),
        ("technician={tomas}", ["assigned"]),
        ("scheduled_date={tomorrow}", ["assigned", "scheduled"]),
        ("customer={bob}", ["bob"]),
        ("origin_kind=ticket", ["recovery"]),
        ("origin_ref=T000001", ["recovery"]),
        ("state=completed", []),
    ])
    def test_it_filters_orders(self, given, dispatcher_client, make_order, bob_customer,
                               bob_address, query, expected):
        # Given
        named = {
            "generated": given.generated, "scheduled": given.scheduled,
            "assigned": given.assigned,
            "recovery": make_order(kind="recover", skills=["equipment_recovery"],
                                   origin_kind="ticket", origin_ref="T000001"),
            "bob": make_order(customer=bob_customer, address=bob_address),
        }
        names = {order.pk: name for name, order in named.items()}
        query = query.format(tomas=given.technician.pk, tomorrow=given.tomorrow,
                             bob=bob_customer.pk)
        # When
        response = dispatcher_client.get(f"{API}/work-orders/?{query}")
        # Then
        assert response.status_code == 200
        found = sorted(names[row["id"]] for row in response.json()["results"])
        assert found == expected

    @pytest.mark.parametrize(("query", "expected"), [
        ("state=floating", error("invalid_choice", "state", "Select a valid choice. floating "
                                 "is not one of the available choices.")),
        ("technician=abc", error("invalid", "technician", "Enter a whole number.")),
        (f"customer={10**20}", error("max_value", "customer", "Ensure this value is less than "
                                     "or equal to 9223372036854775807.")),
        ("scheduled_date=31/02/2030", error("invalid", "scheduled_date",
                                            "Enter a valid date.")),
    ])
    def test_it_refuses_a_bad_filter(self, dispatcher_client, query, expected):
        # When
        response = dispatcher_client.get(f"{API}/work-orders/?{query}")
        # Then
        assert (response.status_code, response.json()) == (400, expected)

    def test_it_lists_appointments_with_their_filters(self, given, dispatcher_client):
        # Given one order booked at 10, then moved to 14
        order = given.scheduled
        services.appointment_book(work_order=order, window_start=window(given.tomorrow, 14)[0],
                                  actor=given.operator)
        old, new = Appointment.objects.filter(work_order=order).order_by("id")
        assigned = Appointment.objects.get(work_order=given.assigned)
        # When
        every = dispatcher_client.get(f"{API}/appointments/")
        booked = dispatcher_client.get(f"{API}/appointments/?status=booked")
        moved = dispatcher_client.get(f"{API}/appointments/?work_order={order.pk}"
                                      f"&status=rescheduled")
        of_tomas = dispatcher_client.get(f"{API}/appointments/?technician="
                                         f"{given.technician.pk}&date={given.tomorrow}")
        # Then
        def ids(response):
            return [row["id"] for row in response.json()["results"]]

        assert ids(every) == [new.pk, old.pk, assigned.pk]  # latest window first
        assert ids(booked) == [new.pk, assigned.pk]
        assert ids(moved) == [old.pk]
        assert assigned.pk in ids(of_tomas)
        assert all(row["technician"] == given.technician.pk
                   for row in of_tomas.json()["results"])

    def test_it_shows_a_technician(self, given, dispatcher_client, zone):
        # Given
        tomas = given.technician
        profile = profile_of(tomas)
        # When
        response = dispatcher_client.get(f"{API}/technicians/{profile.pk}/")
        # Then
        assert response.status_code == 200
        body = response.json()
        assert {key: value for key, value in body.items()
                if key not in ("created_at", "updated_at")} == {
            "id": profile.pk, "user": tomas.pk, "username": "tomas", "name": "Tomás Torres",
            "skills": ["cable_install", "equipment_recovery", "cable_repair"],
            "zones": [{"id": zone.pk, "code": "mad-centro", "name": "Madrid centro"}],
            "home_zone": {"id": zone.pk, "code": "mad-centro", "name": "Madrid centro"},
            "work_days": [0, 1, 2, 3, 4, 5, 6], "shift_start": "08:00:00",
            "shift_end": "17:00:00", "daily_capacity": 8, "van": van_of(tomas).pk,
            "is_active": True,
        }

    def test_it_lists_technicians_by_name_and_zone(self, given, dispatcher_client, other_zone):
        # Given Tomás and Úrsula in Madrid centro, Fernando in Barcelona
        given.make("technician")
        make_technician("fernando", actor=given.dispatcher, zones=[other_zone],
                        last_name="Ferrer")
        # When
        every = dispatcher_client.get(f"{API}/technicians/")
        far = dispatcher_client.get(f"{API}/technicians/?zone={other_zone.pk}")
        # Then
        assert [row["username"] for row in every.json()["results"]] == [
            "fernando", "tomas", "ursula"]
        assert [row["username"] for row in far.json()["results"]] == ["fernando"]


class TestScheduleRuns:
    def test_it_plans_a_day_and_keeps_the_figures(self, given, dispatcher_client):
        # Given two booked orders tomorrow
        first, second = given.scheduled, given.booked(8)
        # When
        response = dispatcher_client.post(f"{API}/schedule-runs/",
                                          {"date": given.tomorrow.isoformat()}, format="json")
        # Then
        assert response.status_code == 201, response.content
        run = ScheduleRun.objects.get()
        body = response.json()
        assert body == {
            "id": run.pk, "date": given.tomorrow.isoformat(), "orders": 2, "assigned": 2,
            "unassigned": 0, "travel_km": f"{run.travel_km:.1f}",
            "first_fit_assigned": 2, "first_fit_travel_km": f"{run.first_fit_travel_km:.1f}",
            "seconds": f"{run.seconds:.2f}", "created_by": "diego",
            "created_at": moment(run.created_at),
        }
        for order in (first, second):
            order.refresh_from_db()
            assert order.state == WorkOrderState.ASSIGNED
            assert order.technician is not None
        # and the run is listed
        listed = dispatcher_client.get(f"{API}/schedule-runs/?date={given.tomorrow}")
        assert [row["id"] for row in listed.json()["results"]] == [run.pk]

    @pytest.mark.parametrize(("payload", "expected"), [
        ({}, error("required", "date", "This field is required.")),
        ({"date": "31/02/2030"}, error("invalid", "date", "Date has wrong format. Use one of "
                                       "these formats instead: YYYY-MM-DD.")),
    ])
    def test_it_refuses_a_bad_date(self, dispatcher_client, payload, expected):
        # Given
        before = database_state()
        # When
        response = dispatcher_client.post(f"{API}/schedule-runs/", payload, format="json")
        # Then
        assert (response.status_code, response.json()) == (400, expected)
        assert database_state() == before


# What a list costs -----------------------------------------------------------------------


def _more_orders(given: Given, count: int) -> None:
    """Orders booked over the coming days, with equipment and events."""
    make_box = given.fixture("make_box")
    for index in range(count):
        order = given.order(install_items=[make_box()])
        services.appointment_book(
            work_order=order,
            window_start=window(given.tomorrow + timedelta(days=1 + index // 8),
                                (8, 10, 12, 14)[index % 4])[0],
            actor=given.operator)


def _more_technicians(given: Given, count: int) -> None:
    zone = given.fixture("zone")
    for index in range(count):
        make_technician(f"tech-{index}", actor=given.dispatcher, zones=[zone])


def _more_runs(given: Given, count: int) -> None:
    for index in range(count):
        services.schedule_day(day=given.tomorrow + timedelta(days=10 + index),
                              actor=given.dispatcher)


@pytest.mark.parametrize(("endpoint", "grow"), [
    ("work-orders", _more_orders), ("appointments", _more_orders),
    ("technicians", _more_technicians), ("schedule-runs", _more_runs),
    ("work-orders/{order}/events", lambda given, count: [
        services.appointment_book(work_order=given.scheduled,
                                  window_start=window(given.tomorrow, (8, 12)[index % 2])[0],
                                  actor=given.operator) for index in range(count)]),
])
def test_it_lists_with_as_many_queries_for_many_rows_as_for_one(
    given, dispatcher, endpoint, grow, django_assert_max_num_queries,
):
    # Given one row of each, counted
    given.make("scheduled", "run")
    path = f"{API}/{endpoint.format(order=given.scheduled.pk)}/"
    client = client_for(dispatcher)
    client.get(path)
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(path).status_code == 200
    # and many more
    grow(given, 12)
    # When / Then
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(path)
    assert response.json()["count"] > 1


def test_it_shows_an_order_with_a_fixed_number_of_queries(given, dispatcher, make_box,
                                                         django_assert_max_num_queries):
    # Given an order with three items, booked
    order = given.order(install_items=[make_box(), make_box(), make_box()])
    given.fixture("book")(order, 8)
    client = client_for(dispatcher)
    client.get(f"{API}/work-orders/{order.pk}/")
    # When / Then: session, user, permissions, order, equipment, appointment
    with django_assert_max_num_queries(7):
        response = client.get(f"{API}/work-orders/{order.pk}/")
    assert len(response.json()["equipment"]) == 3


# The schema ------------------------------------------------------------------------------


def test_it_documents_every_field_endpoint(api_client):
    # When
    paths = api_client.get("/api/schema/",
                           HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    # Then
    field = {path for path in paths if path.startswith("/api/v1/field/")}
    assert field == {
        f"/api/v1/field/{path}" for path in (
            "work-orders/", "work-orders/{id}/", "work-orders/{id}/events/",
            "work-orders/{id}/slots/", "work-orders/{id}/book/", "work-orders/{id}/assign/",
            "work-orders/{id}/unassign/", "work-orders/{id}/dispatch/",
            "work-orders/{id}/en-route/", "work-orders/{id}/on-site/",
            "work-orders/{id}/complete/", "work-orders/{id}/fail/",
            "work-orders/{id}/cancel/", "appointments/", "appointments/{id}/",
            "technicians/", "technicians/{id}/", "schedule-runs/", "schedule-runs/{id}/",
        )
    }
    assert set(paths["/api/v1/field/work-orders/{id}/slots/"]) == {"get", "post"}
    assert [parameter["name"] for parameter in
            paths["/api/v1/field/work-orders/{id}/slots/"]["get"]["parameters"]] == [
        "from", "id", "to"]
    complete = paths["/api/v1/field/work-orders/{id}/complete/"]["post"]
    assert complete["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CompleteInputRequest"}
    assert complete["responses"]["200"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/WorkOrder"}
