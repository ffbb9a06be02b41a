"""The inventory REST API (/api/v1/inventory/): who may call what, each
action's answer and ledger row, the domain's refusals (with nothing
changed: state, movements, outbox), bad input, the goods receipt upload and
its error report, and what a list costs. Given / when / then."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import cached_property

import pytest
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from customers.models import Customer
from integrations.models import OutboxMessage
from inventory import services
from inventory.choices import ItemState, WarehouseAction
from inventory.models import (
    EquipmentCharge,
    EquipmentInstallation,
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    ReceiptRejection,
    StockLocation,
    StockTransfer,
)
from sesmu.models import AuditEvent, User
from tests.conftest import ROLES
from tests.factories import UserFactory
from tests.inventory.conftest import create_item

pytestmark = pytest.mark.django_db

API = "/api/v1/inventory"
NOT_ALLOWED = {"code": "permission_denied",
               "message": "You do not have permission to perform this action."}
NOT_AUTHENTICATED = {"code": "not_authenticated",
                     "message": "Authentication credentials were not provided."}
NOT_FOUND = {"code": "not_found", "message": "Not found."}
WATCHED_MODELS = [EquipmentModel, StockLocation, EquipmentItem, EquipmentMovement,
                  EquipmentInstallation, StockTransfer, GoodsReceipt, ReceiptRejection,
                  EquipmentCharge, OutboxMessage, AuditEvent]

DELIVERY = (
    b"model;serial_number;mac_address;card_number;firmware\n"
    b"arris-cm;CM-0001;aa-bb-cc-00-00-01;;1.2\n"
    b"arris-cm;CM-0002;not-a-mac;;1.2\n"
    b"nagra-card;NC-0001;;CA0000009001;\n"
    b"acme-phone;AP-0001;;;\n"
    b"humax-stb;HX-0001;;;5.0\n"
)


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


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


def last_movement(item: EquipmentItem) -> EquipmentMovement:
    return EquipmentMovement.objects.filter(item=item).order_by("-id").first()


def delivery_file(content: bytes = DELIVERY, name: str = "delivery.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="text/csv")


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Delivery files are stored on upload; keep them out of var/.
    settings.MEDIA_ROOT = tmp_path / "media"


# What the operations act on, made on first use ------------------------------------


class Given:
    """Items in the states each operation needs, a transfer, a receipt and
    a charge; each made the first time an operation asks for it."""

    def __init__(self, request):
        self._request = request

    def fixture(self, name: str):
        return self._request.getfixturevalue(name)

    def make(self, *names: str) -> None:
        """Make these (properties below) now, before a call is watched."""
        for name in names:
            getattr(self, name)

    @cached_property
    def models(self):
        return self.fixture("equipment_models")

    @cached_property
    def warehouse(self) -> StockLocation:
        return self.fixture("warehouse")

    @cached_property
    def other_warehouse(self) -> StockLocation:
        return self.fixture("other_warehouse")

    @cached_property
    def van(self) -> StockLocation:
        return self.fixture("van")

    @cached_property
    def clerk(self) -> User:
        return self.fixture("clerk")

    @cached_property
    def alice(self) -> Customer:
        return self.fixture("alice_customer")

    @cached_property
    def alice_address(self):
        return self.fixture("alice_address")

    def item(self, state: str = ItemState.IN_STOCK, *, model=None) -> EquipmentItem:
        if state == ItemState.IN_STOCK:
            return self.fixture("make_item")(model=model)
        return self.fixture("item_in_state")(state, model=model)

    @cached_property
    def card(self) -> EquipmentItem:
        return self.item()

    @cached_property
    def reserved_card(self) -> EquipmentItem:
        return self.item(ItemState.RESERVED)

    @cached_property
    def installed_card(self) -> EquipmentItem:
        self.fixture("cas_and_isp")
        return self.item(ItemState.INSTALLED)

    @cached_property
    def installed_box(self) -> EquipmentItem:
        return self.item(ItemState.INSTALLED, model=self.models.box)

    @cached_property
    def spare_box(self) -> EquipmentItem:
        return self.item(model=self.models.box)

    @cached_property
    def lost_card(self) -> EquipmentItem:
        return self.item(ItemState.LOST)

    @cached_property
    def paired_card(self) -> EquipmentItem:
        card, box = self.item(), self.item(model=self.models.box)
        return services.equipment_item_pair(card=card, box=box, actor=self.clerk)

    @cached_property
    def movement(self) -> EquipmentMovement:
        return last_movement(self.card)

    @cached_property
    def transfer(self) -> StockTransfer:
        item = self.item()
        return services.stock_transfer_create(from_location=self.warehouse,
                                              to_location=self.other_warehouse,
                                              identifiers=[item.serial_number],
                                              actor=self.clerk, note="Rebalance")

    @cached_property
    def receipt(self) -> GoodsReceipt:
        """DELIVERY received and processed: three items, two rejected rows."""
        self.make("models")  # the delivery names these models
        receipt = services.goods_receipt_create(warehouse=self.warehouse,
                                                file_name="delivery.csv", content=DELIVERY,
                                                actor=self.clerk, supplier="Arris")
        return services.goods_receipt_process(receipt_id=receipt.pk)

    @cached_property
    def charge(self) -> EquipmentCharge:
        item = services.equipment_item_declare_missing(item=self.installed_card, stolen=False,
                                                       actor=self.clerk, reason="Moved out")
        return EquipmentCharge.objects.get(item=item)

    @cached_property
    def other_technician(self) -> User:
        return UserFactory(username="teo", roles=["field_technician"])


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
    multipart: bool = False
    needs: tuple[str, ...] = ()  # what to make first (see Given)

    @property
    def is_write(self) -> bool:
        return self.method not in ("get", "head", "options")

    def __str__(self) -> str:
        return self.name

    def prepare(self, given: Given) -> tuple[str, dict | None]:
        """The path and body, with what they name already made."""
        given.make(*self.needs)
        return self.path(given), self.payload(given) if self.payload else None

    def send(self, client: APIClient, path: str, payload: dict | None):
        if payload is None:
            return getattr(client, self.method)(path)
        if self.multipart:
            return client.post(path, payload, format="multipart")
        return getattr(client, self.method)(path, payload, format="json")


def item_action(name: str, item: str, payload: Callable[[Given], dict] | None = None,
                url: str | None = None) -> Operation:
    return Operation(f"items:{name}", "post",
                     lambda g: f"{API}/items/{getattr(g, item).pk}/{url or name}/",
                     payload or (lambda g: {}))


def listing(endpoint: str, touch: str) -> Operation:
    """A list, with one row of `touch` made first so the list is not empty."""
    return Operation(f"{endpoint}:list", "get", lambda g: f"{API}/{endpoint}/",
                     needs=(touch,))


OPERATIONS = [
    listing("equipment-models", "models"),
    Operation("equipment-models:retrieve", "get",
              lambda g: f"{API}/equipment-models/{g.models.card.pk}/"),
    Operation("equipment-models:create", "post", lambda g: f"{API}/equipment-models/",
              lambda g: {"code": "zyxel-adsl", "kind": "adsl_router", "manufacturer": "Zyxel",
                         "model_name": "VMG1312", "service_kinds": ["internet"],
                         "access_media": ["copper"], "rental_price": "1.50"}, 201),
    Operation("equipment-models:partial_update", "patch",
              lambda g: f"{API}/equipment-models/{g.models.card.pk}/",
              lambda g: {"low_stock_threshold": 10}),
    listing("locations", "warehouse"),
    Operation("locations:retrieve", "get", lambda g: f"{API}/locations/{g.warehouse.pk}/"),
    Operation("locations:create", "post", lambda g: f"{API}/locations/",
              lambda g: {"code": "svq-central", "name": "Sevilla central",
                         "kind": "warehouse"}, 201),
    Operation("locations:partial_update", "patch",
              lambda g: f"{API}/locations/{g.warehouse.pk}/",
              lambda g: {"address": "Calle de la Princesa 1, Madrid"}),
    Operation("locations:van", "post", lambda g: f"{API}/locations/van/",
              lambda g: {"technician": g.other_technician.pk}, 201),
    listing("items", "card"),
    Operation("items:retrieve", "get", lambda g: f"{API}/items/{g.card.pk}/"),
    Operation("items:movements", "get", lambda g: f"{API}/items/{g.card.pk}/movements/"),
    item_action("reserve", "card", lambda g: {"customer": g.alice.pk}),
    item_action("release", "reserved_card"),
    item_action("hand-over", "reserved_card", lambda g: {"van": g.van.pk}),
    item_action("install", "card", lambda g: {"customer": g.alice.pk,
                                              "service_address": g.alice_address.pk}),
    item_action("recover", "installed_box", lambda g: {"location": g.warehouse.pk}),
    item_action("swap", "installed_box", lambda g: {"new_item": g.spare_box.pk}),
    item_action("warehouse-action", "card", lambda g: {"action": "mark_faulty"}),
    item_action("declare-lost", "installed_card", lambda g: {"reason": "Moved out"}),
    item_action("declare-stolen", "card", lambda g: {"reason": "Break-in"}),
    item_action("found", "lost_card", lambda g: {"location": g.warehouse.pk}),
    item_action("pair", "card", lambda g: {"box": g.spare_box.pk}),
    item_action("unpair", "paired_card"),
    listing("movements", "card"),
    Operation("movements:retrieve", "get", lambda g: f"{API}/movements/{g.movement.pk}/"),
    listing("transfers", "transfer"),
    Operation("transfers:retrieve", "get", lambda g: f"{API}/transfers/{g.transfer.pk}/"),
    Operation("transfers:create", "post", lambda g: f"{API}/transfers/",
              lambda g: {"from_location": g.warehouse.pk, "to_location": g.van.pk,
                         "items": [g.card.serial_number]}, 201),
    listing("receipts", "receipt"),
    Operation("receipts:retrieve", "get", lambda g: f"{API}/receipts/{g.receipt.pk}/"),
    Operation("receipts:create", "post", lambda g: f"{API}/receipts/",
              lambda g: {"warehouse": g.warehouse.pk, "file": delivery_file()}, 201,
              multipart=True, needs=("models",)),
    Operation("receipts:errors", "get", lambda g: f"{API}/receipts/{g.receipt.pk}/errors/"),
    listing("stock", "card"),
    listing("charges", "charge"),
    Operation("charges:retrieve", "get", lambda g: f"{API}/charges/{g.charge.pk}/"),
]
OPERATION_BY_NAME = {operation.name: operation for operation in OPERATIONS}
WRITES = [operation for operation in OPERATIONS if operation.is_write]
EVERYTHING = {operation.name for operation in OPERATIONS}


def reads(*endpoints: str) -> set[str]:
    return {f"{endpoint}:{action}" for endpoint in endpoints for action in ("list", "retrieve")}


MOVES = {f"items:{name}" for name in ("reserve", "release", "hand-over", "install", "recover",
                                      "swap", "pair", "unpair")}
# Restock, repair, scrap, back to the supplier: handle_stock_equipmentitem,
# the clerks' own (a technician moves items but does not write them off).
DECLARES = {"items:declare-lost", "items:declare-stolen", "items:found"}
# What each role may do, read off the grants of inventory/migrations/0002_roles.py:
# reads need the view permission of what is read, moves need move_equipmentitem,
# warehouse actions need handle_stock_equipmentitem,
# losses need declare_missing_equipmentitem, a delivery needs receive_equipment,
# the stock needs to see items and locations, an item's ledger needs to see
# movements.
ALLOWED: dict[str | None, set[str]] = {
    "inventory_clerk": EVERYTHING,
    "backoffice_admin": EVERYTHING,
    "cc_operator": reads("equipment-models", "items", "charges") | DECLARES,
    "cc_supervisor": reads("equipment-models", "items", "locations", "movements", "charges")
    | {"items:movements", "stock:list"} | DECLARES,
    "field_technician": reads("equipment-models", "items", "locations") | {"stock:list"}
    | MOVES,
    "dispatcher": reads("equipment-models", "items", "locations", "movements")
    | {"items:movements", "stock:list"} | MOVES,
    "billing_agent": reads("equipment-models", "items", "charges"),
    "executive": reads("equipment-models", "items", "locations") | {"stock:list"},
    "marketing_agent": set(),
    None: set(),
}
LISTED = {"equipment-models": EquipmentModel, "locations": StockLocation,
          "items": EquipmentItem, "movements": EquipmentMovement, "transfers": StockTransfer,
          "receipts": GoodsReceipt, "charges": EquipmentCharge}


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
    # Given alice logged in to the portal, with equipment of her own
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
    client = client_for(user_with_role(role))
    before = database_state()
    # When
    response = operation.send(client, path, payload)
    # Then
    if operation.name in ALLOWED[role]:
        assert response.status_code == operation.success, response.content
        if operation.is_write:
            assert database_state() != before
        endpoint, action = operation.name.split(":")
        if action == "list" and endpoint in LISTED:
            assert response.json()["count"] == LISTED[endpoint].objects.count() > 0
        if operation.name == "stock:list":
            assert response.json()["count"] == EquipmentModel.objects.count() == 4
    else:
        assert response.status_code == 403, response.content
        assert response.json() == NOT_ALLOWED
        assert database_state() == before


class TestPermissionsOfMoves:
    """Moving an item needs move_equipmentitem, not the change permission
    of the item; a user with only that change permission moves nothing."""

    @staticmethod
    def user_with(*codenames: str) -> User:
        user = UserFactory(username="custom-role")
        user.user_permissions.add(*Permission.objects.filter(
            content_type__app_label="inventory", codename__in=codenames))
        return user

    @pytest.mark.parametrize("name", sorted(MOVES | DECLARES))
    def test_it_refuses_a_move_to_who_may_only_change_items(self, given, name):
        # Given
        operation = OPERATION_BY_NAME[name]
        path, payload = operation.prepare(given)
        client = client_for(self.user_with("view_equipmentitem", "change_equipmentitem"))
        before = database_state()
        # When
        response = operation.send(client, path, payload)
        # Then
        assert response.status_code == 403
        assert response.json() == NOT_ALLOWED
        assert database_state() == before

    def test_it_refuses_a_move_to_who_may_move_but_not_see_items(self, given):
        # Given
        operation = OPERATION_BY_NAME["items:reserve"]
        path, payload = operation.prepare(given)
        client = client_for(self.user_with("move_equipmentitem"))
        before = database_state()
        # When
        response = operation.send(client, path, payload)
        # Then
        assert response.status_code == 403
        assert database_state() == before

    @pytest.mark.parametrize(("name", "codenames"), [
        ("transfers:create", ["add_stocktransfer"]),
        ("receipts:create", ["add_goodsreceipt"]),
    ])
    def test_it_needs_the_custom_permission_besides_the_add_one(self, given, name, codenames):
        # Given
        operation = OPERATION_BY_NAME[name]
        path, payload = operation.prepare(given)
        client = client_for(self.user_with("view_equipmentitem", *codenames))
        before = database_state()
        # When
        response = operation.send(client, path, payload)
        # Then
        assert response.status_code == 403
        assert database_state() == before


# The actions on one item --------------------------------------------------------------


@pytest.fixture
def clerk_client(clerk) -> APIClient:
    return client_for(clerk)


def post(client: APIClient, item: EquipmentItem, action: str, payload: dict | None = None):
    return client.post(f"{API}/items/{item.pk}/{action}/", payload or {}, format="json")


@dataclass
class Snapshot:
    """What a refused move must leave as it was."""

    items: list[dict]
    movements: int
    outbox: int
    charges: int
    installations: int

    @classmethod
    def take(cls) -> Snapshot:
        return cls(items=list(EquipmentItem.objects.order_by("pk").values()),
                   movements=EquipmentMovement.objects.count(),
                   outbox=OutboxMessage.objects.count(),
                   charges=EquipmentCharge.objects.count(),
                   installations=EquipmentInstallation.objects.count())


class TestActions:
    def test_it_reserves_an_item_for_a_customer(self, clerk_client, clerk, make_item,
                                                alice_customer, warehouse):
        # Given
        card = make_item()
        # When
        response = post(clerk_client, card, "reserve",
                        {"customer": alice_customer.pk, "subscription_ref": "SUB-42",
                         "reason": "New TV order"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["id"], body["state"], body["location"], body["location_code"]) == (
            card.pk, "reserved", warehouse.pk, "mad-central")
        assert (body["customer"], body["customer_number"], body["subscription_ref"]) == (
            alice_customer.pk, alice_customer.number, "SUB-42")
        assert body["warehouse_actions"] == []
        movement = last_movement(card)
        assert (movement.action, movement.from_state, movement.to_state) == (
            "reserved", "in_stock", "reserved")
        assert (movement.from_location, movement.to_location, movement.customer) == (
            warehouse, warehouse, alice_customer)
        assert (movement.subscription_ref, movement.reason, movement.actor) == (
            "SUB-42", "New TV order", clerk)

    def test_it_releases_a_reserved_item(self, clerk_client, item_in_state, warehouse):
        # Given
        card = item_in_state(ItemState.RESERVED)
        # When
        response = post(clerk_client, card, "release", {"reason": "Order cancelled"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["customer"], body["subscription_ref"], body["location"]) == (
            "in_stock", None, "", warehouse.pk)
        movement = last_movement(card)
        assert (movement.action, movement.from_state, movement.to_state, movement.reason) == (
            "released", "reserved", "in_stock", "Order cancelled")

    def test_it_hands_a_reserved_item_over_to_a_van(self, technician, item_in_state, van,
                                                    alice_customer):
        # Given the technician himself takes it
        card = item_in_state(ItemState.RESERVED)
        # When
        response = post(client_for(technician), card, "hand-over",
                        {"van": van.pk, "work_order_ref": "WO-7"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["location"], body["location_code"], body["customer"]) == (
            "with_technician", van.pk, "van-tomas", alice_customer.pk)
        movement = last_movement(card)
        assert (movement.action, movement.to_location, movement.work_order_ref,
                movement.actor) == ("handed_over", van, "WO-7", technician)

    def test_it_installs_an_item_at_the_customers_address(self, clerk_client, make_item,
                                                         alice_customer, alice_address):
        # Given
        card = make_item()
        # When
        response = post(clerk_client, card, "install", {
            "customer": alice_customer.pk, "service_address": alice_address.pk,
            "subscription_ref": "SUB-1", "work_order_ref": "WO-1", "ticket_ref": "TK-1"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["location"], body["customer"], body["service_address"],
                body["subscription_ref"]) == (
            "installed", None, alice_customer.pk, alice_address.pk, "SUB-1")
        installation = EquipmentInstallation.objects.get(item=card)
        assert (installation.customer, installation.service_address,
                installation.work_order_ref, installation.removed_at) == (
            alice_customer, alice_address, "WO-1", None)
        movement = last_movement(card)
        assert (movement.action, movement.from_state, movement.to_state, movement.ticket_ref,
                movement.work_order_ref) == ("installed", "in_stock", "installed", "TK-1",
                                             "WO-1")

    def test_it_recovers_an_installed_item_as_faulty(self, clerk_client, item_in_state, van,
                                                     alice_customer):
        # Given
        box = item_in_state(ItemState.INSTALLED)
        movements = EquipmentMovement.objects.filter(item=box).count()
        # When
        response = post(clerk_client, box, "recover", {
            "location": van.pk, "faulty": True, "work_order_ref": "WO-9",
            "reason": "No picture"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["location"], body["customer"], body["service_address"]) == (
            "faulty", van.pk, None, None)
        assert body["warehouse_actions"] == ["send_to_repair", "scrap", "return_to_supplier"]
        rows = list(EquipmentMovement.objects.filter(item=box).order_by("id")[movements:])
        assert [(row.action, row.from_state, row.to_state, row.customer) for row in rows] == [
            ("recovered", "installed", "returned", alice_customer),
            ("marked_faulty", "returned", "faulty", None),
        ]
        assert EquipmentInstallation.objects.get(item=box).removal_reason == "No picture"

    def test_it_swaps_an_installed_box_and_moves_its_card_over(
        self, clerk_client, clerk, item_in_state, make_item, equipment_models, alice_customer,
        alice_address, van,
    ):
        # Given an installed box with its card, and a new box in the van
        old_box = item_in_state(ItemState.INSTALLED, model=equipment_models.box)
        card = item_in_state(ItemState.INSTALLED)
        services.equipment_item_pair(card=card, box=old_box, actor=clerk)
        new_box = make_item(model=equipment_models.box, location=van)
        # When
        response = post(clerk_client, old_box, "swap", {"new_item": new_box.pk,
                                                         "ticket_ref": "TK-5"})
        # Then
        assert response.status_code == 200
        old, new = response.json()["old_item"], response.json()["new_item"]
        assert (old["id"], old["state"], old["location"], old["customer"],
                old["paired_card"]) == (old_box.pk, "faulty", van.pk, None, None)
        assert (new["id"], new["state"], new["customer"], new["service_address"],
                new["subscription_ref"], new["paired_card"]) == (
            new_box.pk, "installed", alice_customer.pk, alice_address.pk, "SUB-1", card.pk)
        card.refresh_from_db()
        assert card.paired_with == new_box
        assert last_movement(new_box).ticket_ref == "TK-5"

    @pytest.mark.parametrize(("state", "action", "location", "expected_state"), [
        (ItemState.IN_STOCK, WarehouseAction.MARK_FAULTY, None, "faulty"),
        (ItemState.FAULTY, WarehouseAction.SEND_TO_REPAIR, "repair_centre", "in_repair"),
        (ItemState.IN_REPAIR, WarehouseAction.REPAIR, None, "refurbished"),
        (ItemState.REFURBISHED, WarehouseAction.RESTOCK, "warehouse", "in_stock"),
        (ItemState.FAULTY, WarehouseAction.SCRAP, None, "scrapped"),
        (ItemState.IN_STOCK, WarehouseAction.RETURN_TO_SUPPLIER, None, "returned_to_supplier"),
    ])
    def test_it_takes_a_warehouse_action(self, request, clerk_client, item_in_state, state,
                                         action, location, expected_state):
        # Given
        item = item_in_state(state)
        before_location = item.location_id
        place = request.getfixturevalue(location) if location else None
        # When
        response = post(clerk_client, item, "warehouse-action", {
            "action": action, "location": place.pk if place else None, "reason": "Checked"})
        # Then
        assert response.status_code == 200, response.content
        body = response.json()
        gone = expected_state in ("scrapped", "returned_to_supplier")
        assert body["state"] == expected_state
        assert body["location"] == (None if gone else place.pk if place else before_location)
        movement = last_movement(item)
        assert (movement.from_state, movement.to_state, movement.reason) == (
            state, expected_state, "Checked")

    def test_it_declares_an_installed_card_lost_with_blacklist_and_fee(
        self, operator, item_in_state, cas_and_isp, alice_customer,
    ):
        # Given an operator with the customer on the line
        card = item_in_state(ItemState.INSTALLED)
        # When
        response = post(client_for(operator), card, "declare-lost",
                        {"reason": "Customer moved abroad", "ticket_ref": "TK-77"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["location"], body["is_blacklisted"], body["customer"]) == (
            "lost", None, True, alice_customer.pk)
        message = OutboxMessage.objects.get()
        assert (message.destination, message.kind, message.source_id) == (
            cas_and_isp.cas, "service_order.blacklist_device", str(card.pk))
        assert message.payload == {"service_id": "SUB-1", "subscriber": alice_customer.number,
                                   "device_serial": card.card_number,
                                   "device_kind": "smart_card"}
        charge = EquipmentCharge.objects.get()
        assert (charge.customer, charge.item, charge.amount, charge.currency, charge.status,
                charge.reason) == (alice_customer, card, Decimal("30.00"), "EUR", "pending",
                                   "Customer moved abroad")
        movement = last_movement(card)
        assert (movement.action, movement.ticket_ref, movement.actor) == (
            "declared_lost", "TK-77", operator)

    def test_it_declares_an_item_in_stock_stolen_without_blacklist_or_fee(
        self, clerk_client, make_item, warehouse,
    ):
        # Given
        card = make_item()
        # When
        response = post(clerk_client, card, "declare-stolen", {"reason": "Break-in"})
        # Then
        assert response.status_code == 200
        assert (response.json()["state"], response.json()["is_blacklisted"]) == ("stolen", False)
        assert OutboxMessage.objects.count() == EquipmentCharge.objects.count() == 0
        movement = last_movement(card)
        assert (movement.action, movement.from_location, movement.to_location) == (
            "declared_stolen", warehouse, None)

    def test_it_finds_a_lost_card_and_unblocks_it(self, clerk_client, operator, item_in_state,
                                                  cas_and_isp, warehouse):
        # Given a card declared lost at alice's, blacklisted, with its fee
        card = item_in_state(ItemState.INSTALLED)
        services.equipment_item_declare_missing(item=card, stolen=False, actor=operator)
        # When
        response = post(clerk_client, card, "found", {"location": warehouse.pk,
                                                      "reason": "Back by courier"})
        # Then
        assert response.status_code == 200
        body = response.json()
        assert (body["state"], body["location"], body["customer"], body["is_blacklisted"]) == (
            "returned", warehouse.pk, None, False)
        assert list(OutboxMessage.objects.order_by("id").values_list("kind", flat=True)) == [
            "service_order.blacklist_device", "service_order.unblacklist_device"]
        assert EquipmentCharge.objects.get().status == "cancelled"

    def test_it_pairs_and_unpairs_a_card_with_a_box(self, clerk_client, make_item,
                                                    equipment_models):
        # Given
        card, box = make_item(), make_item(model=equipment_models.box)
        # When
        paired = post(clerk_client, card, "pair", {"box": box.pk})
        box_seen = clerk_client.get(f"{API}/items/{box.pk}/")
        unpaired = post(clerk_client, card, "unpair")
        # Then
        assert paired.status_code == unpaired.status_code == 200
        assert paired.json()["paired_with"] == box.pk
        assert box_seen.json()["paired_card"] == card.pk
        assert unpaired.json()["paired_with"] is None
        assert [row.action for row in EquipmentMovement.objects.filter(item=card)
                .order_by("-id")[:2]] == ["unpaired", "paired"]

    def test_it_shows_an_items_ledger_newest_first(self, clerk_client, clerk, item_in_state,
                                                   van, warehouse, alice_customer):
        # Given
        card = item_in_state(ItemState.WITH_TECHNICIAN)
        # When
        response = clerk_client.get(f"{API}/items/{card.pk}/movements/")
        # Then
        assert response.status_code == 200
        rows = response.json()["results"]
        assert response.json()["count"] == 3
        assert [(row["action"], row["from_state"], row["to_state"]) for row in rows] == [
            ("handed_over", "reserved", "with_technician"),
            ("reserved", "in_stock", "reserved"),
            ("received", "", "in_stock"),
        ]
        assert rows[0] == {
            "id": rows[0]["id"], "item": card.pk, "item_serial": card.serial_number,
            "action": "handed_over", "from_state": "reserved", "to_state": "with_technician",
            "from_location": warehouse.pk, "to_location": van.pk, "customer": alice_customer.pk,
            "service_address": None, "subscription_ref": "SUB-1", "work_order_ref": "",
            "ticket_ref": "", "transfer": None, "transfer_number": None, "receipt": None,
            "receipt_number": None, "reason": "", "actor": "clara",
            "created_at": rows[0]["created_at"],
        }

    def test_it_shows_an_item_in_full(self, clerk_client, make_item, equipment_models,
                                      warehouse):
        # Given
        modem = make_item(model=equipment_models.modem, serial_number="CM-ONE",
                          mac_address="02:00:00:AA:BB:CC")
        # When
        response = clerk_client.get(f"{API}/items/{modem.pk}/")
        # Then
        assert response.status_code == 200
        assert response.json() == {
            "id": modem.pk, "serial_number": "CM-ONE", "mac_address": "02:00:00:AA:BB:CC",
            "card_number": None, "firmware": "", "model": equipment_models.modem.pk,
            "model_code": "arris-cm", "state": "in_stock", "location": warehouse.pk,
            "location_code": "mad-central", "customer": None, "customer_number": None,
            "service_address": None, "subscription_ref": "", "paired_with": None,
            "is_blacklisted": False, "receipt": None,
            "created_at": response.json()["created_at"],
            "updated_at": response.json()["updated_at"], "paired_card": None,
            "warehouse_actions": ["mark_faulty", "scrap", "return_to_supplier"],
        }


class TestRefusedActions:
    """The domain's refusals come back as 400 with the service's code (the
    project maps every ValidationError to 400), and change nothing."""

    def refused(self, client, item, action, payload):
        before = Snapshot.take()
        response = post(client, item, action, payload)
        assert response.status_code == 400, response.content
        assert Snapshot.take() == before
        return response.json()

    def test_it_refuses_an_item_reserved_for_another_customer(
        self, clerk_client, item_in_state, bob_customer, alice_customer,
    ):
        # Given a card reserved for alice
        card = item_in_state(ItemState.RESERVED)
        # When bob's order asks for it
        body = self.refused(clerk_client, card, "reserve", {"customer": bob_customer.pk})
        # Then
        message = (f"Item {card.serial_number} is already reserved for customer "
                   f"{alice_customer.number}.")
        assert body == error("held_for_another_customer", "item", message)

    def test_it_refuses_to_install_an_item_held_for_another_customer(
        self, clerk_client, item_in_state, bob_customer, bob_address,
    ):
        # Given
        card = item_in_state(ItemState.WITH_TECHNICIAN)
        # When
        body = self.refused(clerk_client, card, "install", {
            "customer": bob_customer.pk, "service_address": bob_address.pk})
        # Then
        assert body["code"] == "held_for_another_customer"

    def test_it_refuses_to_install_an_installed_item(self, clerk_client, item_in_state,
                                                    bob_customer, bob_address):
        # Given
        card = item_in_state(ItemState.INSTALLED)
        # When
        body = self.refused(clerk_client, card, "install", {
            "customer": bob_customer.pk, "service_address": bob_address.pk})
        # Then
        assert body["code"] == "already_installed"

    def test_it_refuses_the_address_of_another_customer(self, clerk_client, make_item,
                                                        alice_customer, bob_address):
        # Given
        card = make_item()
        # When
        body = self.refused(clerk_client, card, "install", {
            "customer": alice_customer.pk, "service_address": bob_address.pk})
        # Then
        assert body == error("wrong_customer", "service_address",
                             "This address belongs to another customer.")

    def test_it_refuses_an_illegal_move(self, clerk_client, make_item):
        # Given
        card = make_item()
        # When
        body = self.refused(clerk_client, card, "release", {})
        # Then
        assert body == error("illegal_move", "state",
                             f"Item {card.serial_number} is “In stock”: it cannot become "
                             f"“In stock” from there.")

    def test_it_refuses_a_hand_over_to_a_warehouse(self, clerk_client, item_in_state,
                                                   other_warehouse):
        # Given
        card = item_in_state(ItemState.RESERVED)
        # When
        body = self.refused(clerk_client, card, "hand-over", {"van": other_warehouse.pk})
        # Then
        assert body == error("not_a_van", "van", "Barcelona central is not a technician's van.")

    def test_it_refuses_to_recover_into_a_closed_location(self, clerk_client, item_in_state,
                                                          other_warehouse):
        # Given
        card = item_in_state(ItemState.INSTALLED)
        StockLocation.objects.filter(pk=other_warehouse.pk).update(is_active=False)
        # When
        body = self.refused(clerk_client, card, "recover", {"location": other_warehouse.pk})
        # Then
        assert body == error("location_inactive", "location", "Barcelona central is closed.")

    def test_it_refuses_to_swap_for_another_kind(self, clerk_client, item_in_state, make_item,
                                                 equipment_models):
        # Given
        box = item_in_state(ItemState.INSTALLED, model=equipment_models.box)
        modem = make_item(model=equipment_models.modem)
        # When
        body = self.refused(clerk_client, box, "swap", {"new_item": modem.pk})
        # Then
        assert body == error("illegal_move", "new_item",
                             "A Set-top box can only be swapped for another Set-top box, not "
                             "a Cable modem.")

    def test_it_refuses_a_warehouse_action_the_state_does_not_allow(self, clerk_client,
                                                                    make_item):
        # Given
        card = make_item()
        # When
        body = self.refused(clerk_client, card, "warehouse-action", {"action": "restock"})
        # Then
        assert body["code"] == "illegal_move"
        assert body["fields"] == {"state": [body["message"]]}

    def test_it_refuses_to_declare_lost_what_no_element_manager_can_block(
        self, operator, item_in_state,
    ):
        # Given an installed card, and no element manager registered
        card = item_in_state(ItemState.INSTALLED)
        # When
        body = self.refused(client_for(operator), card, "declare-lost", {"reason": "Lost"})
        # Then the card stays installed, with no command and no fee
        assert body["code"] == "no_element_manager"
        assert list(body["fields"]) == ["item"]

    def test_it_refuses_to_declare_lost_an_item_already_gone(self, clerk_client,
                                                            item_in_state):
        # Given
        card = item_in_state(ItemState.SCRAPPED)
        # When
        body = self.refused(clerk_client, card, "declare-lost", {})
        # Then
        assert body["code"] == "illegal_move"

    def test_it_refuses_to_find_an_item_that_was_not_missing(self, clerk_client, make_item,
                                                            warehouse):
        # Given
        card = make_item()
        # When
        body = self.refused(clerk_client, card, "found", {"location": warehouse.pk})
        # Then
        assert body["code"] == "illegal_move"

    def test_it_refuses_to_pair_a_card_with_a_modem(self, clerk_client, make_item,
                                                    equipment_models):
        # Given
        card, modem = make_item(), make_item(model=equipment_models.modem)
        # When
        body = self.refused(clerk_client, card, "pair", {"box": modem.pk})
        # Then
        assert body == error("not_pairable", "box",
                             "A Smart card cannot be paired with a Cable modem.")

    def test_it_refuses_to_unpair_a_card_that_is_not_paired(self, clerk_client, make_item):
        # Given
        card = make_item()
        # When
        body = self.refused(clerk_client, card, "unpair", {})
        # Then
        assert body == error("not_paired", "card", f"{card.serial_number} is not paired.")


class TestBadInput:
    """Malformed or unknown references are answered on their field, before
    any service runs."""

    def bad(self, client, path: str, payload, *, method: str = "post"):
        before = database_state()
        response = getattr(client, method)(path, payload, format="json")
        assert response.status_code == 400, response.content
        assert database_state() == before
        return response.json()

    @pytest.mark.parametrize(("action", "field", "payload"), [
        ("reserve", "customer", {"customer": 999999}),
        ("install", "customer", {"customer": 999999, "service_address": 1}),
        ("install", "service_address", {"customer": "ALICE", "service_address": 999999}),
        ("hand-over", "van", {"van": 999999}),
        ("recover", "location", {"location": 999999}),
        ("swap", "new_item", {"new_item": 999999}),
        ("swap", "location", {"new_item": "SPARE", "location": 999999}),
        ("warehouse-action", "location", {"action": "mark_faulty", "location": 999999}),
        ("found", "location", {"location": 999999}),
        ("pair", "box", {"box": 999999}),
    ])
    def test_it_answers_an_unknown_reference_as_not_found(
        self, clerk_client, make_item, alice_customer, alice_address, equipment_models,
        action, field, payload,
    ):
        # Given
        card = make_item()
        spare = make_item()
        payload = {key: {"ALICE": alice_customer.pk, "SPARE": spare.pk}.get(value, value)
                   for key, value in payload.items()}
        # When
        body = self.bad(clerk_client, f"{API}/items/{card.pk}/{action}/", payload)
        # Then
        assert body["code"] == "not_found"
        assert list(body["fields"]) == [field]

    def test_it_answers_a_customer_out_of_sight_as_one_that_does_not_exist(
        self, make_item, alice_customer,
    ):
        # Given a user who may move items but not see customers
        card = make_item()
        user = UserFactory(username="blind-mover")
        user.user_permissions.add(*Permission.objects.filter(
            content_type__app_label="inventory",
            codename__in=["view_equipmentitem", "move_equipmentitem"]))
        client = client_for(user)
        # When
        hidden = self.bad(client, f"{API}/items/{card.pk}/reserve/",
                          {"customer": alice_customer.pk})
        missing = self.bad(client, f"{API}/items/{card.pk}/reserve/", {"customer": 999999})
        # Then
        assert hidden == missing == error("not_found", "customer", "No such customer.")

    @pytest.mark.parametrize(("payload", "expected"), [
        ({}, error("required", "customer", "This field is required.")),
        ({"customer": "abc"}, error("invalid", "customer", "A valid integer is required.")),
        ({"customer": 0}, error("min_value", "customer",
                                "Ensure this value is greater than or equal to 1.")),
        ({"customer": 10**20}, error("max_value", "customer",
                                     "Ensure this value is less than or equal to "
                                     "9223372036854775807.")),
        ({"customer": [1]}, error("invalid", "customer", "A valid integer is required.")),
        ({"customer": "ALICE", "subscription_ref": "S" * 41},
         error("max_length", "subscription_ref",
               "Ensure this field has no more than 40 characters.")),
    ], ids=["missing", "text", "zero", "absurd", "list", "long-reference"])
    def test_it_refuses_a_bad_reservation(self, clerk_client, make_item, alice_customer,
                                          payload, expected):
        # Given
        card = make_item()
        payload = {key: alice_customer.pk if value == "ALICE" else value
                   for key, value in payload.items()}
        # When
        body = self.bad(clerk_client, f"{API}/items/{card.pk}/reserve/", payload)
        # Then
        assert body == expected

    @pytest.mark.parametrize(("payload", "expected"), [
        ({"location": "WAREHOUSE", "faulty": "maybe"},
         error("invalid", "faulty", "Must be a valid boolean.")),
        ({"location": None}, error("null", "location", "This field may not be null.")),
    ])
    def test_it_refuses_a_bad_recovery(self, clerk_client, item_in_state, warehouse, payload,
                                       expected):
        # Given
        card = item_in_state(ItemState.INSTALLED)
        payload = {key: warehouse.pk if value == "WAREHOUSE" else value
                   for key, value in payload.items()}
        # When
        body = self.bad(clerk_client, f"{API}/items/{card.pk}/recover/", payload)
        # Then
        assert body == expected

    def test_it_refuses_an_unknown_warehouse_action(self, clerk_client, make_item):
        # Given
        card = make_item()
        # When
        body = self.bad(clerk_client, f"{API}/items/{card.pk}/warehouse-action/",
                        {"action": "polish"})
        # Then
        assert body == error("invalid_choice", "action", '"polish" is not a valid choice.')

    @pytest.mark.parametrize("item_id", ["999999", "abc", str(10**30)])
    @pytest.mark.parametrize("suffix", ["", "movements/"])
    def test_it_answers_404_for_an_item_that_does_not_exist(self, clerk_client, item_id,
                                                            suffix):
        # When
        response = clerk_client.get(f"{API}/items/{item_id}/{suffix}")
        # Then
        assert (response.status_code, response.json()) == (404, NOT_FOUND)

    @pytest.mark.parametrize("item_id", ["999999", "abc", str(10**30)])
    def test_it_answers_404_to_an_action_on_an_item_that_does_not_exist(
        self, clerk_client, alice_customer, item_id,
    ):
        # Given
        before = database_state()
        # When
        response = clerk_client.post(f"{API}/items/{item_id}/reserve/",
                                     {"customer": alice_customer.pk}, format="json")
        # Then
        assert (response.status_code, response.json()) == (404, NOT_FOUND)
        assert database_state() == before

    @pytest.mark.parametrize(("query", "expected"), [
        ("state=floating", error("invalid_choice", "state",
                                 "Select a valid choice. floating is not one of the available "
                                 "choices.")),
        ("location=abc", error("invalid", "location", "Enter a whole number.")),
        (f"customer={10**20}", error("max_value", "customer",
                                     "Ensure this value is less than or equal to "
                                     "9223372036854775807.")),
    ])
    def test_it_refuses_a_bad_item_filter(self, clerk_client, query, expected):
        # When
        response = clerk_client.get(f"{API}/items/?{query}")
        # Then
        assert (response.status_code, response.json()) == (400, expected)

    @pytest.mark.parametrize(("payload", "expected"), [
        ({"service_kinds": ["telepathy"]},
         {"service_kinds": {"0": ['"telepathy" is not a valid choice.']}}),
        ({"service_kinds": "internet"},
         {"service_kinds": ['Expected a list of items but got type "str".']}),
        ({"access_media": ["fibre"]},
         {"access_media": {"0": ['"fibre" is not a valid choice.']}}),
        ({"kind": "toaster"}, {"kind": ['"toaster" is not a valid choice.']}),
        ({"rental_price": "-1"},
         {"rental_price": ["Ensure this value is greater than or equal to 0."]}),
        ({"code": "nagra-card"},
         {"code": ["Equipment model with this Code already exists."]}),
        ({"supply_terms": "sold", "rental_price": "5.00"},
         {"rental_price": ["Sold equipment has no rental price."]}),
    ], ids=["unknown-service", "services-not-a-list", "unknown-medium", "kind",
            "negative-price", "code-taken", "sold-with-rental"])
    def test_it_refuses_a_bad_equipment_model(self, clerk_client, equipment_models, payload,
                                              expected):
        # Given
        valid = {"code": "zyxel-adsl", "kind": "adsl_router", "manufacturer": "Zyxel",
                 "model_name": "VMG1312"}
        # When
        body = self.bad(clerk_client, f"{API}/equipment-models/", {**valid, **payload})
        # Then
        assert body["fields"] == expected

    def test_it_refuses_to_make_a_van_without_a_technician(self, clerk_client):
        # When
        body = self.bad(clerk_client, f"{API}/locations/",
                        {"code": "van-x", "name": "Van X", "kind": "van"})
        # Then
        assert body == error("invalid_choice", "kind",
                             "A van belongs to a field technician: make it with POST "
                             "locations/van/.")

    @pytest.mark.parametrize(("technician", "code"), [
        ("CLERK", "not_a_technician"), (999999, "not_found"), ("abc", "invalid"),
    ])
    def test_it_refuses_a_van_for_who_is_not_a_technician(self, clerk_client, clerk,
                                                          technician, code):
        # When
        body = self.bad(clerk_client, f"{API}/locations/van/",
                        {"technician": clerk.pk if technician == "CLERK" else technician})
        # Then
        assert body["code"] == code
        assert list(body["fields"]) == ["technician"]


class TestReferenceData:
    def test_it_creates_and_changes_an_equipment_model(self, clerk_client, clerk):
        # When
        created = clerk_client.post(f"{API}/equipment-models/", {
            "code": "zyxel-adsl", "kind": "adsl_router", "manufacturer": "Zyxel",
            "model_name": "VMG1312", "service_kinds": ["internet", "email"],
            "access_media": ["copper"], "rental_price": "1.50", "non_return_fee": "40",
        }, format="json")
        changed = clerk_client.patch(f"{API}/equipment-models/{created.json()['id']}/",
                                     {"low_stock_threshold": 5, "is_active": False},
                                     format="json")
        # Then
        assert created.status_code == 201
        model = EquipmentModel.objects.get(code="zyxel-adsl")
        assert created.json() == {
            "id": model.pk, "code": "zyxel-adsl", "kind": "adsl_router",
            "manufacturer": "Zyxel", "model_name": "VMG1312",
            "service_kinds": ["internet", "email"], "access_media": ["copper"],
            "supply_terms": "rented", "currency": "EUR", "rental_price": "1.50",
            "deposit": "0.00", "non_return_fee": "40.00", "low_stock_threshold": 0,
            "is_active": True, "created_at": created.json()["created_at"],
            "updated_at": created.json()["updated_at"],
        }
        assert changed.status_code == 200
        assert (changed.json()["low_stock_threshold"], changed.json()["is_active"]) == (5, False)
        audits = AuditEvent.objects.filter(object_type="inventory.equipmentmodel").order_by("id")
        assert [(audit.action, audit.actor) for audit in audits] == [
            ("create", clerk), ("update", clerk)]
        assert audits[1].changes == {"low_stock_threshold": [0, 5], "is_active": [True, False]}

    def test_it_creates_a_van_once_per_technician(self, clerk_client, technician):
        # When
        first = clerk_client.post(f"{API}/locations/van/", {"technician": technician.pk},
                                  format="json")
        second = clerk_client.post(f"{API}/locations/van/", {"technician": technician.pk},
                                   format="json")
        # Then
        assert (first.status_code, second.status_code) == (201, 200)
        assert first.json() == second.json()
        assert (first.json()["kind"], first.json()["code"], first.json()["technician"],
                first.json()["technician_username"]) == ("van", "van-tomas", technician.pk,
                                                         "tomas")
        assert StockLocation.objects.filter(technician=technician).count() == 1

    def test_it_creates_and_closes_a_warehouse(self, clerk_client):
        # When
        created = clerk_client.post(f"{API}/locations/", {
            "code": "svq-central", "name": "Sevilla central", "kind": "warehouse"},
            format="json")
        closed = clerk_client.patch(f"{API}/locations/{created.json()['id']}/",
                                    {"is_active": False, "kind": "van"}, format="json")
        listed = clerk_client.get(f"{API}/locations/?is_active=false")
        # Then the kind is not among what a PATCH changes
        assert created.status_code == 201
        assert closed.status_code == 200
        assert (closed.json()["is_active"], closed.json()["kind"]) == (False, "warehouse")
        assert ids(listed) == [created.json()["id"]]


# Lists and filters -------------------------------------------------------------------


class TestLists:
    @pytest.mark.parametrize("typed", ["02:00:00:aa:bb:cc", "0200.00AA.BBCC",
                                       "02-00-00-AA-BB-CC", "cm-o"])
    def test_it_finds_an_item_by_any_identifier(self, clerk_client, make_item,
                                                equipment_models, typed):
        # Given
        modem = make_item(model=equipment_models.modem, serial_number="CM-ONE",
                          mac_address="02:00:00:AA:BB:CC")
        make_item(model=equipment_models.modem, serial_number="XX-TWO")
        # When
        response = clerk_client.get(f"{API}/items/", {"q": typed})
        # Then
        assert ids(response) == [modem.pk]

    def test_it_finds_a_card_by_its_number(self, clerk_client, make_item):
        # Given
        card = make_item(card_number="CA0000123456")
        make_item()
        # When
        response = clerk_client.get(f"{API}/items/", {"q": "ca 0000-123456"})
        # Then
        assert ids(response) == [card.pk]

    def test_it_filters_items(self, clerk_client, item_in_state, make_item, equipment_models,
                              alice_customer, van):
        # Given
        reserved = item_in_state(ItemState.RESERVED)
        handed = item_in_state(ItemState.WITH_TECHNICIAN)
        modem = make_item(model=equipment_models.modem)
        # When
        held = clerk_client.get(f"{API}/items/?state=reserved&state=with_technician")
        in_van = clerk_client.get(f"{API}/items/", {"location": van.pk})
        modems = clerk_client.get(f"{API}/items/", {"kind": "cable_modem"})
        alices = clerk_client.get(f"{API}/items/", {"customer": alice_customer.pk})
        # Then
        assert sorted(ids(held)) == sorted([reserved.pk, handed.pk])
        assert ids(in_van) == [handed.pk]
        assert ids(modems) == [modem.pk]
        assert sorted(ids(alices)) == sorted([reserved.pk, handed.pk])

    def test_it_filters_the_ledger(self, clerk_client, item_in_state, van):
        # Given
        handed = item_in_state(ItemState.WITH_TECHNICIAN)
        # When
        response = clerk_client.get(f"{API}/movements/", {"location": van.pk})
        by_action = clerk_client.get(f"{API}/movements/", {"action": "reserved"})
        # Then
        assert [(row["item"], row["action"]) for row in response.json()["results"]] == [
            (handed.pk, "handed_over")]
        assert [row["item"] for row in by_action.json()["results"]] == [handed.pk]

    def test_it_counts_stock_per_model_and_location(self, clerk_client, make_item,
                                                    item_in_state, equipment_models,
                                                    warehouse, van):
        # Given two free cards (threshold 2), one reserved, one handed over
        make_item()
        make_item()
        item_in_state(ItemState.RESERVED)
        item_in_state(ItemState.WITH_TECHNICIAN)
        # When
        response = clerk_client.get(f"{API}/stock/", {"kind": "smart_card"})
        low = clerk_client.get(f"{API}/stock/", {"low_only": "true"})
        in_van = clerk_client.get(f"{API}/stock/", {"location": van.pk, "kind": "smart_card"})
        # Then
        assert response.status_code == 200
        assert response.json() == {"count": 1, "next": None, "previous": None, "results": [{
            "model": equipment_models.card.pk, "model_code": "nagra-card",
            "manufacturer": "Nagra", "model_name": "Merlin", "low_stock_threshold": 2,
            "free_in_warehouses": 2, "in_stock": 2, "held": 2, "other": 0, "is_low": False,
            "locations": [
                {"location": warehouse.pk, "location_code": "mad-central",
                 "location_name": "Madrid central", "in_stock": 2, "held": 1, "other": 0,
                 "total": 3},
                {"location": van.pk, "location_code": "van-tomas",
                 "location_name": "Van of Tomás Torres", "in_stock": 0, "held": 1,
                 "other": 0, "total": 1},
            ],
        }]}
        assert low.json()["count"] == 0
        # and limited to the van, the warning still counts every warehouse
        van_row = in_van.json()["results"][0]
        assert [line["location"] for line in van_row["locations"]] == [van.pk]
        assert (van_row["in_stock"], van_row["held"], van_row["free_in_warehouses"],
                van_row["is_low"]) == (0, 1, 2, False)

    def test_it_warns_of_low_stock(self, clerk_client, make_item, equipment_models):
        # Given one free card for a threshold of two
        make_item()
        # When
        response = clerk_client.get(f"{API}/stock/", {"low_only": "true"})
        # Then
        assert [(row["model_code"], row["is_low"], row["free_in_warehouses"])
                for row in response.json()["results"]] == [("nagra-card", True, 1)]

    @pytest.mark.parametrize(("query", "expected"), [
        ("kind=toaster", error("invalid_choice", "kind", '"toaster" is not a valid choice.')),
        ("location=abc", error("invalid", "location", "A valid integer is required.")),
        ("low_only=perhaps", error("invalid", "low_only", "Must be a valid boolean.")),
    ])
    def test_it_refuses_a_bad_stock_filter(self, clerk_client, query, expected):
        # When
        response = clerk_client.get(f"{API}/stock/?{query}")
        # Then
        assert (response.status_code, response.json()) == (400, expected)

    def test_it_lists_charges_for_billing(self, user_with_role, item_in_state, cas_and_isp,
                                          operator, alice_customer):
        # Given
        card = item_in_state(ItemState.INSTALLED)
        services.equipment_item_declare_missing(item=card, stolen=True, actor=operator,
                                                reason="Burglary")
        client = client_for(user_with_role("billing_agent"))
        # When
        pending = client.get(f"{API}/charges/", {"status": "pending"})
        billed = client.get(f"{API}/charges/", {"status": "billed"})
        # Then
        charge = EquipmentCharge.objects.get()
        assert pending.json()["results"] == [{
            "id": charge.pk, "customer": alice_customer.pk,
            "customer_number": alice_customer.number, "item": card.pk,
            "item_serial": card.serial_number, "model_code": "nagra-card",
            "kind": "non_return", "amount": "30.00", "currency": "EUR", "status": "pending",
            "subscription_ref": "SUB-1", "reason": "Burglary", "billed_ref": "",
            "created_at": pending.json()["results"][0]["created_at"],
            "updated_at": pending.json()["results"][0]["updated_at"],
        }]
        assert billed.json()["count"] == 0


# Transfers ---------------------------------------------------------------------------


class TestTransfers:
    def test_it_moves_items_into_a_van(self, clerk_client, clerk, make_item, item_in_state,
                                       equipment_models, warehouse, van):
        # Given a free modem (typed by its MAC) and a card reserved for alice
        modem = make_item(model=equipment_models.modem, mac_address="02:00:00:00:00:99")
        card = item_in_state(ItemState.RESERVED)
        # When
        response = clerk_client.post(f"{API}/transfers/", {
            "from_location": warehouse.pk, "to_location": van.pk,
            "items": ["02-00-00-00-00-99", card.serial_number.lower()],
            "note": "Monday round"}, format="json")
        # Then
        assert response.status_code == 201
        transfer = StockTransfer.objects.get()
        assert response.json() == {
            "id": transfer.pk, "number": transfer.number, "from_location": warehouse.pk,
            "to_location": van.pk, "item_count": 2, "note": "Monday round",
            "created_by": "clara", "created_at": response.json()["created_at"],
            "items": sorted([modem.serial_number, card.serial_number]),
        }
        modem.refresh_from_db()
        card.refresh_from_db()
        assert (modem.state, modem.location) == ("in_stock", van)
        assert (card.state, card.location) == ("with_technician", van)
        assert sorted(EquipmentMovement.objects.filter(transfer=transfer)
                      .values_list("action", flat=True)) == ["handed_over", "transferred"]
        detail = clerk_client.get(f"{API}/transfers/{transfer.pk}/")
        assert detail.json() == response.json()

    @pytest.mark.parametrize(("payload", "code", "field"), [
        ({"to_location": "FROM"}, "same_location", "to_location"),
        ({"items": ["NOPE-1"]}, "unknown_items", "items"),
        ({"items": []}, "no_items", "items"),
        ({"items": "CARD"}, "not_a_list", "items"),
        ({"to_location": 999999}, "not_found", "to_location"),
    ], ids=["same-location", "unknown-serial", "no-items", "not-a-list", "unknown-location"])
    def test_it_refuses_a_bad_transfer(self, clerk_client, make_item, warehouse, van, payload,
                                       code, field):
        # Given
        card = make_item()
        valid = {"from_location": warehouse.pk, "to_location": van.pk,
                 "items": [card.serial_number]}
        payload = {key: {"FROM": warehouse.pk, "CARD": card.serial_number}.get(value, value)
                   if isinstance(value, str) else value for key, value in payload.items()}
        before = Snapshot.take()
        # When
        response = clerk_client.post(f"{API}/transfers/", {**valid, **payload}, format="json")
        # Then
        assert response.status_code == 400
        assert response.json()["code"] == code
        assert list(response.json()["fields"]) == [field]
        assert Snapshot.take() == before
        assert StockTransfer.objects.count() == 0

    def test_it_refuses_a_transfer_of_an_installed_item(self, clerk_client, item_in_state,
                                                        warehouse, van):
        # Given an item that is at no location
        card = item_in_state(ItemState.INSTALLED)
        before = Snapshot.take()
        # When
        response = clerk_client.post(f"{API}/transfers/", {
            "from_location": warehouse.pk, "to_location": van.pk,
            "items": [card.serial_number]}, format="json")
        # Then
        assert (response.status_code, response.json()["code"]) == (400, "unknown_items")
        assert Snapshot.take() == before


# Goods receipts ----------------------------------------------------------------------


class TestReceipts:
    def upload(self, client, warehouse, content: bytes = DELIVERY, **fields):
        return client.post(f"{API}/receipts/", {
            "warehouse": warehouse.pk, "file": delivery_file(content), **fields,
        }, format="multipart")

    def test_it_receives_a_file_with_good_and_bad_rows_once(
        self, clerk_client, clerk, equipment_models, warehouse,
        django_capture_on_commit_callbacks,
    ):
        # When the clerk uploads the delivery (processed after commit)
        with django_capture_on_commit_callbacks(execute=True):
            response = self.upload(clerk_client, warehouse, supplier="Arris Iberia",
                                   delivery_note="DN-2026-001")
        # Then it is queued at once and done after commit
        assert response.status_code == 201, response.content
        receipt = GoodsReceipt.objects.get()
        assert response.json() == {
            "id": receipt.pk, "number": receipt.number, "warehouse": warehouse.pk,
            "supplier": "Arris Iberia", "delivery_note": "DN-2026-001",
            "file_name": "delivery.csv", "status": "queued", "rows_total": 5, "rows_done": 0,
            "rows_created": 0, "rows_rejected": 0, "progress_percent": 0, "error": "",
            "created_by": "clara", "created_at": response.json()["created_at"],
            "started_at": None, "finished_at": None,
        }
        shown = clerk_client.get(f"{API}/receipts/{receipt.pk}/").json()
        assert (shown["status"], shown["rows_total"], shown["rows_done"], shown["rows_created"],
                shown["rows_rejected"], shown["progress_percent"]) == ("done", 5, 5, 3, 2, 100)
        items = EquipmentItem.objects.filter(receipt=receipt).order_by("serial_number")
        assert [(item.serial_number, item.mac_address, item.card_number, item.state,
                 item.location) for item in items] == [
            ("CM-0001", "AA:BB:CC:00:00:01", None, "in_stock", warehouse),
            ("HX-0001", None, None, "in_stock", warehouse),
            ("NC-0001", None, "CA0000009001", "in_stock", warehouse),
        ]
        assert EquipmentMovement.objects.filter(receipt=receipt, action="received").count() == 3

        # When the same file is uploaded again
        before = database_state()
        with django_capture_on_commit_callbacks(execute=True):
            again = self.upload(clerk_client, warehouse)
        # Then nothing new is created
        assert again.status_code == 400
        assert again.json()["code"] == "duplicate_file"
        assert list(again.json()["fields"]) == ["file"]
        assert receipt.number in again.json()["message"]
        assert database_state() == before

    def test_it_serves_the_error_report_as_csv(self, clerk_client, given):
        # Given a processed delivery with two bad rows
        receipt = given.receipt
        # When
        response = clerk_client.get(f"{API}/receipts/{receipt.pk}/errors/")
        # Then
        assert response.status_code == 200
        assert response["Content-Type"] == "text/csv; charset=utf-8"
        assert response["Content-Disposition"] == (
            f'attachment; filename="{receipt.number}-errors.csv"')
        rows = list(csv.reader(io.StringIO(response.content.decode())))
        assert rows == [
            ["row", "code", "reason", "content"],
            ["3", "malformed_mac", "“not-a-mac” is not a MAC address (12 hexadecimal digits).",
             "arris-cm;CM-0002;not-a-mac;;1.2"],
            ["5", "unknown_model", "Unknown model code “acme-phone”.", "acme-phone;AP-0001;;;"],
        ]

    def test_it_lists_receipts_by_status(self, clerk_client, given):
        # Given
        receipt = given.receipt
        # When
        done = clerk_client.get(f"{API}/receipts/", {"status": "done"})
        failed = clerk_client.get(f"{API}/receipts/", {"status": "failed"})
        # Then
        assert ids(done) == [receipt.pk]
        assert failed.json()["count"] == 0

    @pytest.mark.parametrize(("content", "code", "field"), [
        (b"", "empty", "file"),
        (b"just some words\nand more\n", "bad_file", "file"),
        (b"\x00\x01\x02binary", "bad_file", "file"),
    ], ids=["empty", "no-columns", "binary"])
    def test_it_refuses_a_file_that_is_no_delivery(self, clerk_client, equipment_models,
                                                   warehouse, content, code, field):
        # Given
        before = database_state()
        # When
        response = self.upload(clerk_client, warehouse, content)
        # Then
        assert response.status_code == 400
        assert (response.json()["code"], list(response.json()["fields"])) == (code, [field])
        assert database_state() == before

    def test_it_receives_only_in_a_warehouse(self, clerk_client, equipment_models, van):
        # Given
        before = database_state()
        # When
        response = self.upload(clerk_client, van)
        # Then
        assert response.status_code == 400
        assert response.json() == error("not_a_warehouse", "warehouse",
                                        "Deliveries are received in a warehouse.")
        assert database_state() == before

    def test_it_refuses_json(self, clerk_client, warehouse):
        # When
        response = clerk_client.post(f"{API}/receipts/", {"warehouse": warehouse.pk},
                                     format="json")
        # Then
        assert response.status_code == 415
        assert response.json()["code"] == "unsupported_media_type"


# What a list costs ---------------------------------------------------------------------


def _more_items(given: Given, count: int) -> None:
    for _index in range(count):
        given.item(ItemState.RESERVED)


def _more_vans(given: Given, count: int) -> None:
    for index in range(count):
        technician = UserFactory(username=f"technician-{index}", roles=["field_technician"])
        services.van_for_technician(technician=technician, actor=given.clerk)


def _more_transfers(given: Given, count: int) -> None:
    for _index in range(count):
        services.stock_transfer_create(from_location=given.warehouse,
                                       to_location=given.other_warehouse,
                                       identifiers=[given.item().serial_number],
                                       actor=given.clerk)


def _more_charges(given: Given, count: int) -> None:
    for _index in range(count):
        services.equipment_item_declare_missing(item=given.item(ItemState.INSTALLED),
                                                stolen=False, actor=given.clerk)


def _more_models(given: Given, count: int) -> None:
    for index in range(count):
        EquipmentModel.objects.create(code=f"lnb-{index}", kind="lnb", manufacturer="Inverto",
                                      model_name=f"L{index}")


def _more_stock(given: Given, count: int) -> None:
    _more_models(given, count)
    for model in EquipmentModel.objects.all():
        for location in (given.warehouse, given.other_warehouse, given.van):
            create_item(model=model, location=location)


@pytest.mark.parametrize(("endpoint", "grow"), [
    ("items", _more_items), ("movements", _more_items), ("locations", _more_vans),
    ("transfers", _more_transfers), ("charges", _more_charges),
    ("equipment-models", _more_models), ("stock", _more_stock),
])
def test_it_lists_with_as_many_queries_for_many_rows_as_for_one(
    given, clerk, endpoint, grow, django_assert_max_num_queries,
):
    # Given one row of each, counted
    client = client_for(clerk)
    given.make("card", "transfer", "charge")
    client.get(f"{API}/{endpoint}/")
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(f"{API}/{endpoint}/").status_code == 200
    # and many more
    grow(given, 12)
    # When / Then
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(f"{API}/{endpoint}/")
    assert response.json()["count"] > 1


def test_it_shows_an_item_with_a_fixed_number_of_queries(given, clerk,
                                                         django_assert_max_num_queries):
    # Given a paired card with a long history
    card = given.paired_card
    for _round in range(5):
        services.equipment_item_warehouse_action(item=card, action="mark_faulty",
                                                 actor=given.clerk)
        services.equipment_item_warehouse_action(item=card, action="send_to_repair",
                                                 actor=given.clerk)
        services.equipment_item_warehouse_action(item=card, action="repair", actor=given.clerk)
        services.equipment_item_warehouse_action(item=card, action="restock",
                                                 actor=given.clerk)
    client = client_for(clerk)
    client.get(f"{API}/items/{card.pk}/")
    # When / Then: session, user, permissions, item, paired card, and the ledger page
    with django_assert_max_num_queries(6):
        assert client.get(f"{API}/items/{card.pk}/").status_code == 200
    with django_assert_max_num_queries(6):
        response = client.get(f"{API}/items/{card.pk}/movements/")
    assert response.json()["count"] == 22


# The schema ------------------------------------------------------------------------------


def test_it_documents_every_inventory_endpoint(api_client):
    # When
    paths = api_client.get("/api/schema/",
                           HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    # Then
    inventory = {path for path in paths if path.startswith("/api/v1/inventory/")}
    assert inventory == {
        f"/api/v1/inventory/{path}" for path in (
            "equipment-models/", "equipment-models/{id}/", "locations/", "locations/{id}/",
            "locations/van/", "items/", "items/{id}/", "items/{id}/movements/",
            "items/{id}/reserve/", "items/{id}/release/", "items/{id}/hand-over/",
            "items/{id}/install/", "items/{id}/recover/", "items/{id}/swap/",
            "items/{id}/warehouse-action/", "items/{id}/declare-lost/",
            "items/{id}/declare-stolen/", "items/{id}/found/", "items/{id}/pair/",
            "items/{id}/unpair/", "movements/", "movements/{id}/", "transfers/",
            "transfers/{id}/", "receipts/", "receipts/{id}/", "receipts/{id}/errors/",
            "stock/", "charges/", "charges/{id}/",
        )
    }
    assert set(paths["/api/v1/inventory/receipts/"]["post"]["requestBody"]["content"]) >= {
        "multipart/form-data"}
    assert list(paths["/api/v1/inventory/receipts/{id}/errors/"]["get"]["responses"]["200"][
        "content"]) == ["text/csv"]
