"""The customers REST API (/api/v1/): who may call what, what a portal
customer sees, how bad input is answered, what the answers look like, what is
audited and what a list costs. Given / when / then; every refused call also
asserts that nothing changed in the database."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth.models import Permission
from django.contrib.staticfiles import finders
from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from drf_spectacular.drainage import GENERATOR_STATS
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from customers import services
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    CustomerEvent,
    Interaction,
    ServiceUser,
)
from sesmu.api.errors import exception_handler
from sesmu.choices import UserKind
from sesmu.models import AuditEvent, NumberSeries, User
from tests.conftest import ROLES
from tests.factories import UserFactory, make_customer

pytestmark = pytest.mark.django_db

IBAN = "ES9121000418450200051332"
IBAN_SPACED = "ES91 2100 0418 4502 0005 1332"
IBAN_MASKED = "ES91 **** **** **** **** 1332"
NOT_ALLOWED = {"code": "permission_denied",
               "message": "You do not have permission to perform this action."}
NOT_FOUND = {"code": "not_found", "message": "Not found."}
WATCHED_MODELS = [Customer, ServiceUser, BillingAccount, Interaction, ContactPoint, Address,
                  CustomerEvent, AuditEvent, NumberSeries]


def database_state() -> dict[str, list[dict]]:
    """Every row the API could write, to compare before and after a call."""
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for model in WATCHED_MODELS}


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


def ids(response) -> list[int]:
    return [row["id"] for row in response.json()["results"]]


# The records of one customer --------------------------------------------------


@dataclass
class Records:
    """A customer with one of everything the API serves."""

    customer: Customer
    service_user: ServiceUser
    address: Address
    account: BillingAccount
    interaction: Interaction
    contacts: list[ContactPoint]


def give_records(customer: Customer, *, actor: User, name: str) -> Records:
    service_user = services.service_user_create(
        actor=actor, customer=customer, given_name=name, family_name="Junior",
        relationship="family", phone="+34 611 000 111",
    )
    address = services.address_create(actor=actor, customer=customer, street="Calle Mayor",
                                      street_number="1", postal_code="28013", city="Madrid")
    account = services.billing_account_create(
        actor=actor, customer=customer, name=f"{name} at home", iban=IBAN_SPACED,
        delivery_email=f"{name.lower()}.bills@example.com", billing_address=address,
    )
    interaction = services.interaction_record(
        actor=actor, customer=customer, service_user=service_user, topic="billing",
        summary=f"{name} asked about the last bill.", outcome="resolved",
    )
    return Records(customer=customer, service_user=service_user, address=address,
                   account=account, interaction=interaction,
                   contacts=list(customer.contacts.order_by("id")))


@pytest.fixture
def alice_records(alice_customer, operator) -> Records:
    return give_records(alice_customer, actor=operator, name="Alice")


@pytest.fixture
def bob_records(bob_customer, operator) -> Records:
    return give_records(bob_customer, actor=operator, name="Bob")


@dataclass
class World:
    """Alice, a prospect, and Bob, an active customer, each with every record."""

    alice: Records
    bob: Records
    active_customer: Customer


@pytest.fixture
def world(alice_records, bob_records, operator) -> World:
    active = services.customer_activate(actor=operator, customer=bob_records.customer)
    return World(alice=alice_records, bob=bob_records, active_customer=active)


# Every operation of the API ---------------------------------------------------


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: Callable[[World], str]
    payload: Callable[[World], dict] | None = None
    success: int = 200

    @property
    def is_write(self) -> bool:
        return self.method not in ("get", "head", "options")

    def __str__(self) -> str:
        return self.name


def send(client: APIClient, operation: Operation, world: World):
    path = operation.path(world)
    if operation.payload is None:
        return getattr(client, operation.method)(path)
    return getattr(client, operation.method)(path, operation.payload(world), format="json")


OPERATIONS = [
    Operation("customers:list", "get", lambda w: "/api/v1/customers/"),
    Operation("customers:retrieve", "get",
              lambda w: f"/api/v1/customers/{w.alice.customer.pk}/"),
    Operation("customers:create", "post", lambda w: "/api/v1/customers/",
              lambda w: {"given_name": "Carmen", "family_name": "Calvo Casas",
                         "document_type": "nif", "document_number": "11111111H",
                         "phone": "600 999 888", "email": "carmen@example.com"}, 201),
    Operation("customers:partial_update", "patch",
              lambda w: f"/api/v1/customers/{w.alice.customer.pk}/",
              lambda w: {"segment": "small_business"}),
    Operation("customers:activate", "post",
              lambda w: f"/api/v1/customers/{w.alice.customer.pk}/activate/",
              lambda w: {"reason": "Signed the contract"}),
    Operation("customers:make-former", "post",
              lambda w: f"/api/v1/customers/{w.active_customer.pk}/make-former/",
              lambda w: {"reason": "Moved abroad"}),
    Operation("service-users:list", "get", lambda w: "/api/v1/service-users/"),
    Operation("service-users:retrieve", "get",
              lambda w: f"/api/v1/service-users/{w.alice.service_user.pk}/"),
    Operation("service-users:create", "post", lambda w: "/api/v1/service-users/",
              lambda w: {"customer": w.alice.customer.pk, "given_name": "Dora",
                         "relationship": "family"}, 201),
    Operation("service-users:partial_update", "patch",
              lambda w: f"/api/v1/service-users/{w.alice.service_user.pk}/",
              lambda w: {"given_name": "Dorothy"}),
    Operation("billing-accounts:list", "get", lambda w: "/api/v1/billing-accounts/"),
    Operation("billing-accounts:retrieve", "get",
              lambda w: f"/api/v1/billing-accounts/{w.alice.account.pk}/"),
    Operation("billing-accounts:create", "post", lambda w: "/api/v1/billing-accounts/",
              lambda w: {"customer": w.alice.customer.pk, "name": "Holiday home",
                         "iban": IBAN, "delivery_email": "alice@example.com"}, 201),
    Operation("billing-accounts:partial_update", "patch",
              lambda w: f"/api/v1/billing-accounts/{w.alice.account.pk}/",
              lambda w: {"bill_day": 15}),
    Operation("billing-accounts:close", "post",
              lambda w: f"/api/v1/billing-accounts/{w.alice.account.pk}/close/",
              lambda w: {"reason": "Moved the services to another account"}),
    Operation("interactions:list", "get", lambda w: "/api/v1/interactions/"),
    Operation("interactions:retrieve", "get",
              lambda w: f"/api/v1/interactions/{w.alice.interaction.pk}/"),
    Operation("interactions:create", "post", lambda w: "/api/v1/interactions/",
              lambda w: {"customer": w.alice.customer.pk, "channel": "phone",
                         "topic": "technical", "summary": "No signal on channel 5.",
                         "outcome": "follow_up"}, 201),
    Operation("contacts:list", "get", lambda w: "/api/v1/contacts/"),
    Operation("contacts:retrieve", "get",
              lambda w: f"/api/v1/contacts/{w.alice.contacts[0].pk}/"),
    Operation("contacts:create", "post", lambda w: "/api/v1/contacts/",
              lambda w: {"customer": w.alice.customer.pk, "kind": "email",
                         "value": "alice.work@example.com", "label": "work"}, 201),
    Operation("contacts:destroy", "delete",
              lambda w: f"/api/v1/contacts/{w.alice.contacts[0].pk}/", success=204),
    Operation("addresses:list", "get", lambda w: "/api/v1/addresses/"),
    Operation("addresses:retrieve", "get",
              lambda w: f"/api/v1/addresses/{w.alice.address.pk}/"),
    Operation("addresses:create", "post", lambda w: "/api/v1/addresses/",
              lambda w: {"customer": w.alice.customer.pk, "purpose": "billing",
                         "street": "Gran Vía", "street_number": "28",
                         "postal_code": "28013", "city": "Madrid"}, 201),
]
OPERATION_BY_NAME = {operation.name: operation for operation in OPERATIONS}
WRITES = [operation for operation in OPERATIONS if operation.is_write]


def reads(*endpoints: str) -> set[str]:
    return {f"{endpoint}:{action}" for endpoint in endpoints for action in ("list", "retrieve")}


EVERYTHING = {operation.name for operation in OPERATIONS}
# What each role may do through the API, read off the grants of
# customers/migrations/0002_search_index_and_roles.py.
ALLOWED: dict[str | None, set[str]] = {
    "cc_operator": EVERYTHING,
    "cc_supervisor": EVERYTHING,
    "backoffice_admin": EVERYTHING,
    "billing_agent": reads("customers", "service-users", "billing-accounts", "interactions",
                           "contacts", "addresses")
    | {"billing-accounts:create", "billing-accounts:partial_update", "billing-accounts:close"},
    "dispatcher": reads("customers", "service-users", "contacts", "addresses"),
    "field_technician": reads("customers", "contacts", "addresses"),
    "inventory_clerk": reads("customers", "addresses"),
    "marketing_agent": reads("customers", "contacts", "addresses", "interactions"),
    "executive": reads("customers", "billing-accounts", "interactions"),
    None: set(),
}


def test_it_covers_every_role_of_the_project():
    # Given the roles of the project, When the matrix below is read,
    # Then it has a row for each of them and for a user with none.
    assert set(ALLOWED) == {*ROLES, None}


# Anonymous callers and authentication -----------------------------------------


class TestAuthentication:
    @pytest.mark.parametrize("operation", OPERATIONS, ids=str)
    def test_it_answers_401_to_anonymous_callers(self, world, api_client, operation):
        # Given
        before = database_state()
        # When
        response = send(api_client, operation, world)
        # Then
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Token"
        assert response.json() == {"code": "not_authenticated",
                                   "message": "Authentication credentials were not provided."}
        assert database_state() == before

    def test_it_serves_a_system_with_a_token(self, world, api_client):
        # Given an external system with the operator's role and a token
        system = UserFactory(username="billing-gateway", kind=UserKind.SYSTEM,
                             roles=["cc_operator"])
        token = Token.objects.create(user=system)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        # When
        listed = api_client.get("/api/v1/customers/")
        created = send(api_client, OPERATION_BY_NAME["interactions:create"], world)
        # Then
        assert listed.status_code == 200
        assert ids(listed) == [world.alice.customer.pk, world.bob.customer.pk]
        assert created.status_code == 201
        interaction = Interaction.objects.get(pk=created.json()["id"])
        assert (interaction.customer, interaction.operator) == (world.alice.customer, None)
        audit = AuditEvent.objects.get(object_type="customers.interaction",
                                       object_id=str(interaction.pk))
        assert (audit.action, audit.actor, audit.channel) == ("create", system, "api")

    def test_it_refuses_an_unknown_token(self, world, api_client):
        # Given
        api_client.credentials(HTTP_AUTHORIZATION="Token 0123456789abcdef0123456789abcdef01234567")
        before = database_state()
        # When
        response = send(api_client, OPERATION_BY_NAME["customers:create"], world)
        # Then
        assert response.status_code == 401
        assert response.json() == {"code": "authentication_failed", "message": "Invalid token."}
        assert database_state() == before

    def test_it_refuses_the_token_of_a_deactivated_system(self, api_client):
        # Given
        system = UserFactory(username="old-gateway", kind=UserKind.SYSTEM,
                             roles=["cc_operator"], is_active=False)
        token = Token.objects.create(user=system)
        api_client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
        # When
        response = api_client.get("/api/v1/customers/")
        # Then
        assert response.status_code == 401
        assert response.json() == {"code": "authentication_failed",
                                   "message": "User inactive or deleted."}

    def test_it_serves_a_user_logged_in_with_a_session(self, operator, alice_customer,
                                                       api_client):
        # Given
        operator.set_password("Olga-at-the-desk-1")
        operator.save(update_fields=["password"])
        assert api_client.login(username="olga", password="Olga-at-the-desk-1")
        # When
        response = api_client.get("/api/v1/customers/")
        # Then
        assert response.status_code == 200
        assert ids(response) == [alice_customer.pk]

    def test_it_demands_the_csrf_token_from_a_session(self, operator, alice_customer):
        # Given a browser session, without the CSRF token a page would carry
        client = APIClient(enforce_csrf_checks=True)
        client.force_login(operator)
        before = database_state()
        # When
        response = client.patch(f"/api/v1/customers/{alice_customer.pk}/",
                                {"segment": "corporate"}, format="json")
        # Then
        assert response.status_code == 403
        assert response.json() == {"code": "permission_denied",
                                   "message": "CSRF Failed: CSRF cookie not set."}
        assert database_state() == before


# Role × operation -------------------------------------------------------------


LISTED_MODELS = {"customers": Customer, "service-users": ServiceUser,
                 "billing-accounts": BillingAccount, "interactions": Interaction,
                 "contacts": ContactPoint, "addresses": Address}
MATRIX = [
    pytest.param(role, operation, id=f"{role or 'no-role'}-{operation}")
    for role in ALLOWED
    for operation in OPERATIONS
]


@pytest.mark.parametrize(("role", "operation"), MATRIX)
def test_it_answers_each_role_as_its_grants_say(world, user_with_role, role, operation):
    # Given
    client = client_for(user_with_role(role))
    before = database_state()
    # When
    response = send(client, operation, world)
    # Then
    if operation.name in ALLOWED[role]:
        assert response.status_code == operation.success, response.content
        if operation.is_write:
            assert database_state() != before
        if operation.name.endswith(":list"):
            model = LISTED_MODELS[operation.name.split(":")[0]]
            assert response.json()["count"] == model.objects.count() > 0
    else:
        assert response.status_code == 403
        assert response.json() == NOT_ALLOWED
        assert database_state() == before


class TestPermissionsOfSingleRecordActions:
    """Activating, making former and closing change a record: they need the
    change permission, not the add permission of a create."""

    @staticmethod
    def user_with(*codenames: str) -> User:
        user = UserFactory(username="custom-role")
        user.user_permissions.add(*Permission.objects.filter(
            content_type__app_label="customers", codename__in=codenames))
        return user

    @pytest.mark.parametrize("name", ["customers:activate", "customers:make-former",
                                      "billing-accounts:close"])
    def test_it_refuses_a_transition_to_who_may_only_add(self, world, name):
        # Given
        client = client_for(self.user_with("view_customer", "add_customer",
                                           "view_billingaccount", "add_billingaccount"))
        before = database_state()
        # When
        response = send(client, OPERATION_BY_NAME[name], world)
        # Then
        assert response.status_code == 403
        assert response.json() == NOT_ALLOWED
        assert database_state() == before

    @pytest.mark.parametrize(("name", "status"), [
        ("customers:activate", "active"),
        ("customers:make-former", "former"),
        ("billing-accounts:close", "closed"),
    ])
    def test_it_allows_a_transition_to_who_may_change(self, world, name, status):
        # Given
        client = client_for(self.user_with("view_customer", "change_customer",
                                           "view_billingaccount", "change_billingaccount"))
        # When
        response = send(client, OPERATION_BY_NAME[name], world)
        # Then
        assert response.status_code == 200
        assert response.json()["status"] == status


# Portal customers -------------------------------------------------------------


@pytest.fixture
def alice_client(alice, alice_records, bob_records) -> APIClient:
    client = APIClient()
    assert client.login(username="alice", password="Wonderland-2026")
    return client


class TestPortalCustomer:
    def test_it_lists_only_her_own_customer(self, alice_client, alice_records):
        # When
        response = alice_client.get("/api/v1/customers/")
        # Then
        assert response.status_code == 200
        assert response.json()["count"] == 1
        assert ids(response) == [alice_records.customer.pk]
        assert response.json()["results"][0]["number"] == "C00000001"

    def test_it_answers_bobs_customer_as_if_it_did_not_exist(self, alice_client, bob_records):
        # When
        bobs = alice_client.get(f"/api/v1/customers/{bob_records.customer.pk}/")
        missing = alice_client.get("/api/v1/customers/999999/")
        # Then
        assert (bobs.status_code, bobs.json()) == (404, NOT_FOUND)
        assert (missing.status_code, missing.json()) == (404, NOT_FOUND)
        assert not AuditEvent.objects.filter(action="view").exists()

    @pytest.mark.parametrize(("endpoint", "own"), [
        ("service-users", lambda records: [records.service_user.pk]),
        ("billing-accounts", lambda records: [records.account.pk]),
        ("interactions", lambda records: [records.interaction.pk]),
        ("contacts", lambda records: [contact.pk for contact in records.contacts]),
        ("addresses", lambda records: [records.address.pk]),
    ], ids=["service-users", "billing-accounts", "interactions", "contacts", "addresses"])
    def test_it_shows_her_only_her_own_records(self, alice_client, alice_records, bob_records,
                                              endpoint, own):
        # When
        listed = alice_client.get(f"/api/v1/{endpoint}/")
        mine = alice_client.get(f"/api/v1/{endpoint}/{own(alice_records)[0]}/")
        bobs = alice_client.get(f"/api/v1/{endpoint}/{own(bob_records)[0]}/")
        # Then
        assert listed.status_code == 200
        assert sorted(ids(listed)) == sorted(own(alice_records))
        assert {row["customer"] for row in listed.json()["results"]} == {
            alice_records.customer.pk
        }
        assert mine.status_code == 200
        assert (bobs.status_code, bobs.json()) == (404, NOT_FOUND)

    @pytest.mark.parametrize("endpoint", ["service-users", "billing-accounts", "interactions",
                                          "contacts", "addresses"])
    def test_it_does_not_tell_her_which_customer_ids_exist(self, alice_client, bob_records,
                                                           endpoint):
        # When she filters by Bob's customer and by one that does not exist
        bobs = alice_client.get(f"/api/v1/{endpoint}/?customer={bob_records.customer.pk}")
        missing = alice_client.get(f"/api/v1/{endpoint}/?customer=999999")
        # Then both answers are the same empty page
        assert (bobs.status_code, bobs.json()["count"]) == (200, 0)
        assert bobs.json() == missing.json()

    @pytest.mark.parametrize("operation", WRITES, ids=str)
    def test_it_refuses_her_every_write(self, alice_client, world, operation):
        # Given
        before = database_state()
        # When
        response = send(alice_client, operation, world)
        # Then
        assert response.status_code == 403
        assert response.json() == NOT_ALLOWED
        assert database_state() == before

    def test_it_shows_bob_only_his_own_customer(self, bob, alice_records, bob_records):
        # Given
        client = APIClient()
        assert client.login(username="bob", password="Builder-2026-yes")
        # When
        customers = client.get("/api/v1/customers/")
        interactions = client.get("/api/v1/interactions/")
        alices = client.get(f"/api/v1/billing-accounts/{alice_records.account.pk}/")
        # Then
        assert ids(customers) == [bob_records.customer.pk]
        assert ids(interactions) == [bob_records.interaction.pk]
        assert (alices.status_code, alices.json()) == (404, NOT_FOUND)


# Bad input --------------------------------------------------------------------


def error(code: str, field: str, message: str) -> dict:
    return {"code": code, "message": message, "fields": {field: [message]}}


CUSTOMER = {"given_name": "Carmen", "family_name": "Calvo Casas", "document_type": "nif",
            "document_number": "11111111H"}
PHONE_MESSAGE = ("This is not a valid phone number. Write it with its country code if it is "
                 "not Spanish, e.g. +44 20 7946 0958.")
EMAIL_MESSAGE = "Enter a valid e-mail address, like name@example.com."


class TestBadInput:
    @pytest.fixture
    def client(self, operator) -> APIClient:
        return client_for(operator)

    def post(self, client, path: str, payload):
        before = database_state()
        response = client.post(path, payload, format="json")
        assert database_state() == before
        return response

    @pytest.mark.parametrize(("changes", "expected"), [
        ({"document_number": "11111111A"},
         error("invalid_check_digit", "document_number",
               "This NIF has a wrong check letter; expected H.")),
        ({"document_number": "1234"},
         error("invalid_document", "document_number",
               "This is not a valid NIF; it should look like 12345678Z.")),
        ({"phone": "12"}, error("invalid_phone", "phone", PHONE_MESSAGE)),
        ({"email": "carmen@"}, error("invalid_email", "email", EMAIL_MESSAGE)),
        ({"given_name": "   "}, error("required", "given_name", "Enter the given name.")),
        ({"birth_date": "2999-01-01"},
         error("future_date", "birth_date", "The date of birth cannot be in the future.")),
        ({"document_type": "dni"},
         error("invalid_choice", "document_type", '"dni" is not a valid choice.')),
        ({"is_vip": "perhaps"}, error("invalid", "is_vip", "Must be a valid boolean.")),
        ({"birth_date": "yesterday"},
         error("invalid", "birth_date",
               "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")),
        ({"given_name": ["Carmen"]}, error("invalid", "given_name", "Not a valid string.")),
    ], ids=["nif-check-letter", "nif-shape", "phone", "email", "blank-name", "future-birth",
            "document-type", "boolean", "date", "list-for-string"])
    def test_it_refuses_a_bad_customer(self, client, changes, expected):
        # When
        response = self.post(client, "/api/v1/customers/", {**CUSTOMER, **changes})
        # Then
        assert response.status_code == 400
        assert response.json() == expected

    def test_it_names_every_missing_field(self, client):
        # When
        response = self.post(client, "/api/v1/customers/", {})
        # Then
        assert response.status_code == 400
        assert response.json() == {
            "code": "required",
            "message": "This field is required.",
            "fields": {"document_type": ["This field is required."],
                       "document_number": ["This field is required."]},
        }

    def test_it_names_the_customer_who_already_has_the_document(self, client, alice_customer):
        # When the same NIF is typed another way
        response = self.post(client, "/api/v1/customers/",
                             {**CUSTOMER, "document_number": "12345678-z"})
        # Then
        assert response.status_code == 400
        assert response.json() == error("duplicate_document", "document_number",
                                        "Customer C00000001 already has this document.")

    def test_it_refuses_a_changed_document_that_another_customer_has(self, client,
                                                                     alice_customer,
                                                                     bob_customer):
        # Given
        before = database_state()
        # When
        response = client.patch(f"/api/v1/customers/{bob_customer.pk}/",
                                {"document_number": "12345678Z"}, format="json")
        # Then
        assert response.status_code == 400
        assert response.json() == error("duplicate_document", "document_number",
                                        "Customer C00000001 already has this document.")
        assert database_state() == before

    def test_it_refuses_malformed_json(self, client):
        # When
        response = self.post_raw(client, '{"given_name": ', "application/json")
        # Then
        assert response.status_code == 400
        assert response.json() == {
            "code": "parse_error",
            "message": "JSON parse error - Expecting value: line 1 column 16 (char 15)",
        }

    def test_it_refuses_json_that_is_not_an_object(self, client):
        # When
        response = self.post_raw(client, "[1, 2]", "application/json")
        # Then
        assert response.status_code == 400
        assert response.json() == error("invalid", "non_field_errors",
                                        "Invalid data. Expected a dictionary, but got list.")

    def test_it_refuses_a_body_that_is_not_json(self, client):
        # When
        response = self.post_raw(client, "given_name=Carmen", "text/plain")
        # Then
        assert response.status_code == 415
        assert response.json() == {"code": "unsupported_media_type",
                                   "message": 'Unsupported media type "text/plain" in request.'}

    def post_raw(self, client, body: str, content_type: str):
        before = database_state()
        response = client.generic("POST", "/api/v1/customers/", body, content_type)
        assert database_state() == before
        return response

    @pytest.mark.parametrize(("changes", "expected"), [
        ({"iban": "ES91 2100 0418 4502 0005 1333"},
         error("invalid_iban_checksum", "iban",
               "This IBAN has wrong check digits; check it was typed correctly.")),
        ({"iban": "XX00 1234"},
         error("invalid_iban", "iban",
               "This is not a valid IBAN, e.g. ES91 2100 0418 4502 0005 1332.")),
        ({"iban": ""},
         error("iban_required", "iban", "Direct debit needs the IBAN of the account to charge.")),
        ({"bill_day": 0},
         error("min_value", "bill_day", "Ensure this value is greater than or equal to 1.")),
        ({"bill_day": 29},
         error("max_value", "bill_day", "Ensure this value is less than or equal to 28.")),
        ({"bill_day": "first"}, error("invalid", "bill_day", "A valid integer is required.")),
        ({"delivery_email": ""},
         error("delivery_email_required", "delivery_email",
               "Bills sent by e-mail need an e-mail address.")),
        ({"delivery_method": "post"},
         error("billing_address_required", "billing_address",
               "Bills sent by post need a billing address.")),
        ({"currency": "XYZ"}, error("invalid_choice", "currency", '"XYZ" is not a valid choice.')),
        ({"billing_address": 999999}, error("not_found", "billing_address", "No such address.")),
    ], ids=["iban-checksum", "iban-shape", "direct-debit-without-iban", "bill-day-0",
            "bill-day-29", "bill-day-text", "no-delivery-email", "post-without-address",
            "currency", "unknown-address"])
    def test_it_refuses_a_bad_billing_account(self, client, alice_customer, changes, expected):
        # Given
        payload = {"customer": alice_customer.pk, "name": "Home", "iban": IBAN,
                   "delivery_email": "alice@example.com", **changes}
        # When
        response = self.post(client, "/api/v1/billing-accounts/", payload)
        # Then
        assert response.status_code == 400
        assert response.json() == expected

    def test_it_refuses_the_billing_address_of_another_customer(self, client, alice_customer,
                                                                bob_records):
        # When
        response = self.post(client, "/api/v1/billing-accounts/", {
            "customer": alice_customer.pk, "name": "Home", "iban": IBAN,
            "delivery_email": "alice@example.com", "billing_address": bob_records.address.pk,
        })
        # Then
        assert response.status_code == 400
        assert response.json() == error("address_of_other_customer", "billing_address",
                                        "This address belongs to another customer.")

    def test_it_refuses_to_move_an_account_to_the_address_of_another_customer(
        self, client, alice_records, bob_records
    ):
        # Given
        before = database_state()
        # When
        response = client.patch(f"/api/v1/billing-accounts/{alice_records.account.pk}/",
                                {"billing_address": bob_records.address.pk}, format="json")
        # Then
        assert response.status_code == 400
        assert response.json() == error("address_of_other_customer", "billing_address",
                                        "This address belongs to another customer.")
        assert database_state() == before

    @pytest.mark.parametrize(("changes", "expected"), [
        ({"service_user": 999999}, error("not_found", "service_user", "No such service user.")),
        ({"summary": "  "}, error("blank", "summary", "This field may not be blank.")),
        ({"started_at": "2999-01-01T10:00:00+01:00"},
         error("future_date", "started_at", "The contact cannot start in the future.")),
        ({"started_at": "2026-01-01T10:00:00+01:00", "ended_at": "2026-01-01T09:00:00+01:00"},
         error("ends_before_start", "ended_at", "The contact must end after it started.")),
        ({"topic": "gossip"}, error("invalid_choice", "topic", '"gossip" is not a valid choice.')),
        ({"started_at": "soon"},
         error("invalid", "started_at",
               "Datetime has wrong format. Use one of these formats instead: "
               "YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")),
    ], ids=["unknown-service-user", "blank-summary", "future", "ends-before-start", "topic",
            "datetime-text"])
    def test_it_refuses_a_bad_interaction(self, client, alice_customer, changes, expected):
        # Given
        payload = {"customer": alice_customer.pk, "channel": "phone", "topic": "billing",
                   "summary": "Asked about the bill.", "outcome": "resolved", **changes}
        # When
        response = self.post(client, "/api/v1/interactions/", payload)
        # Then
        assert response.status_code == 400
        assert response.json() == expected

    def test_it_refuses_the_service_user_of_another_customer(self, client, alice_customer,
                                                             bob_records):
        # When
        response = self.post(client, "/api/v1/interactions/", {
            "customer": alice_customer.pk, "service_user": bob_records.service_user.pk,
            "channel": "phone", "topic": "billing", "summary": "Asked about the bill.",
            "outcome": "resolved",
        })
        # Then
        assert response.status_code == 400
        assert response.json() == error("service_user_of_other_customer", "service_user",
                                        "This service user belongs to another customer.")

    @pytest.mark.parametrize(("path", "payload", "expected"), [
        ("/api/v1/service-users/", {"given_name": "Dora", "phone": "12"},
         error("invalid_phone", "phone", PHONE_MESSAGE)),
        ("/api/v1/service-users/", {"given_name": "Dora", "email": "dora@"},
         error("invalid_email", "email", EMAIL_MESSAGE)),
        ("/api/v1/contacts/", {"kind": "phone", "value": "12"},
         error("invalid_phone", "value", PHONE_MESSAGE)),
        ("/api/v1/contacts/", {"kind": "email", "value": "alice at example"},
         error("invalid_email", "value", EMAIL_MESSAGE)),
        ("/api/v1/contacts/", {"kind": "phone", "value": "600 111 222"},
         error("duplicate_contact", "value", "This customer already has this contact.")),
        ("/api/v1/addresses/", {"street": "Calle Mayor", "postal_code": "99999",
                                "city": "Madrid"},
         error("invalid_postal_code", "postal_code",
               "A Spanish postal code has 5 digits, from 01000 to 52999.")),
        ("/api/v1/addresses/", {"street": "Calle Mayor", "postal_code": "28013",
                                "city": "Madrid", "country": "XX"},
         error("invalid_country", "country", "Choose a country.")),
    ], ids=["service-user-phone", "service-user-email", "contact-phone", "contact-email",
            "contact-duplicate", "postal-code", "country"])
    def test_it_refuses_a_bad_record(self, client, alice_customer, path, payload, expected):
        # When
        response = self.post(client, path, {"customer": alice_customer.pk, **payload})
        # Then
        assert response.status_code == 400
        assert response.json() == expected

    CREATES = {"service-users:create": "add_serviceuser",
               "billing-accounts:create": "add_billingaccount",
               "interactions:create": "add_interaction",
               "contacts:create": "add_contactpoint",
               "addresses:create": "add_address"}

    @pytest.mark.parametrize("name", CREATES)
    @pytest.mark.parametrize("customer", [999999, "abc"])
    def test_it_refuses_a_customer_that_does_not_exist(self, client, world, name, customer):
        # Given
        operation = OPERATION_BY_NAME[name]
        payload = {**operation.payload(world), "customer": customer}
        # When
        response = self.post(client, operation.path(world), payload)
        # Then
        assert response.status_code == 400
        if customer == "abc":
            assert response.json() == error("invalid", "customer",
                                            "A valid integer is required.")
        else:
            assert response.json() == error("not_found", "customer", "No such customer.")

    @pytest.mark.parametrize("name", CREATES)
    def test_it_answers_a_customer_out_of_sight_as_one_that_does_not_exist(self, world, name):
        # Given a user who may add records but not see customers
        operation = OPERATION_BY_NAME[name]
        user = UserFactory(username="blind-clerk")
        user.user_permissions.add(Permission.objects.get(
            content_type__app_label="customers", codename=self.CREATES[name]))
        client = client_for(user)
        # When
        hidden = self.post(client, operation.path(world), operation.payload(world))
        missing = self.post(client, operation.path(world),
                            {**operation.payload(world), "customer": 999999})
        # Then
        assert hidden.status_code == missing.status_code == 400
        assert hidden.json() == missing.json() == error("not_found", "customer",
                                                        "No such customer.")

    def test_it_refuses_to_make_a_prospect_former(self, client, alice_customer):
        # Given
        before = database_state()
        # When
        response = client.post(f"/api/v1/customers/{alice_customer.pk}/make-former/",
                               {"reason": "Left"}, format="json")
        # Then
        assert response.status_code == 400
        assert response.json() == error("invalid_transition", "non_field_errors",
                                        "A customer who is prospect cannot make this change.")
        assert database_state() == before

    def test_it_refuses_to_activate_an_active_customer(self, client, world):
        # Given
        before = database_state()
        # When
        response = client.post(f"/api/v1/customers/{world.active_customer.pk}/activate/",
                               {}, format="json")
        # Then
        assert response.status_code == 400
        assert response.json() == error("invalid_transition", "non_field_errors",
                                        "A customer who is active cannot make this change.")
        assert database_state() == before

    def test_it_refuses_to_change_or_close_a_closed_account(self, client, operator,
                                                           alice_records):
        # Given
        services.billing_account_close(actor=operator, account=alice_records.account)
        before = database_state()
        path = f"/api/v1/billing-accounts/{alice_records.account.pk}/"
        # When
        changed = client.patch(path, {"bill_day": 10}, format="json")
        closed = client.post(f"{path}close/", {}, format="json")
        # Then
        assert changed.status_code == closed.status_code == 400
        assert changed.json() == error("account_closed", "non_field_errors",
                                       "This billing account is closed.")
        assert closed.json() == error("account_closed", "non_field_errors",
                                      "This billing account is already closed.")
        assert database_state() == before

    @pytest.mark.parametrize(("changes", "expected"), [
        ({"given_name": ""}, error("required", "given_name", "Enter the given name.")),
        ({"birth_date": 5},
         error("invalid", "birth_date",
               "Date has wrong format. Use one of these formats instead: YYYY-MM-DD.")),
        ({"segment": "galactic"},
         error("invalid_choice", "segment", '"galactic" is not a valid choice.')),
    ], ids=["blank-name", "number-for-date", "segment"])
    def test_it_refuses_a_bad_change_of_customer(self, client, alice_customer, changes,
                                                expected):
        # Given
        before = database_state()
        # When
        response = client.patch(f"/api/v1/customers/{alice_customer.pk}/", changes,
                                format="json")
        # Then
        assert response.status_code == 400
        assert response.json() == expected
        assert database_state() == before

    @pytest.mark.parametrize(("query", "expected"), [
        ("status=asleep",
         error("invalid_choice", "status",
               "Select a valid choice. asleep is not one of the available choices.")),
        ("created_after=monday",
         error("invalid", "created_after", "Enter a valid date/time.")),
    ])
    def test_it_refuses_a_bad_filter(self, client, alice_customer, query, expected):
        # When
        response = client.get(f"/api/v1/customers/?{query}")
        # Then
        assert response.status_code == 400
        assert response.json() == expected

    @pytest.mark.parametrize(("value", "expected"), [
        (str(10**20), error("max_value", "customer",
                            "Ensure this value is less than or equal to 9223372036854775807.")),
        ("1.5", error("invalid", "customer", "Enter a whole number.")),
    ])
    @pytest.mark.parametrize("endpoint", ["service-users", "billing-accounts", "interactions",
                                          "contacts", "addresses"])
    def test_it_refuses_a_customer_id_that_no_database_could_hold(self, client, alice_customer,
                                                                  endpoint, value, expected):
        # When
        response = client.get(f"/api/v1/{endpoint}/?customer={value}")
        # Then
        assert response.status_code == 400
        assert response.json() == expected

    def test_it_answers_a_page_past_the_end_with_404(self, client, alice_customer):
        # When
        response = client.get("/api/v1/customers/?page=9")
        # Then
        assert response.status_code == 404
        assert response.json() == {"code": "not_found", "message": "Invalid page."}

    def test_it_answers_405_to_a_method_an_endpoint_does_not_have(self, client, world):
        # Given
        before = database_state()
        # When
        replaced = client.put(f"/api/v1/customers/{world.alice.customer.pk}/",
                              {**CUSTOMER}, format="json")
        edited = client.patch(f"/api/v1/interactions/{world.alice.interaction.pk}/",
                              {"summary": "Rewritten history."}, format="json")
        # Then
        assert replaced.status_code == edited.status_code == 405
        assert replaced.json() == {"code": "method_not_allowed",
                                   "message": 'Method "PUT" not allowed.'}
        assert database_state() == before


class TestErrorShape:
    """Domain errors are Django ValidationErrors, turned into the API shape
    once, by sesmu.api.errors."""

    def test_it_takes_code_and_message_from_the_same_error(self):
        # Given a first field error without a code and a second one with
        raised = DjangoValidationError(
            {"name": "Enter a name.",
             "phone": DjangoValidationError("Not a phone.", code="invalid_phone")}
        )
        # When
        response = exception_handler(raised, {})
        # Then
        assert response.status_code == 400
        assert response.data == {
            "code": "invalid",
            "message": "Enter a name.",
            "fields": {"name": ["Enter a name."], "phone": ["Not a phone."]},
        }

    def test_it_keeps_the_code_of_a_list_of_errors(self):
        # Given
        raised = DjangoValidationError([
            DjangoValidationError("This account is closed.", code="account_closed"),
            DjangoValidationError("And overdue.", code="overdue"),
        ])
        # When
        response = exception_handler(raised, {})
        # Then
        assert response.data == {
            "code": "account_closed",
            "message": "This account is closed.",
            "fields": {"non_field_errors": ["This account is closed.", "And overdue."]},
        }


# What the answers look like ---------------------------------------------------


class TestOutput:
    @pytest.fixture
    def client(self, operator) -> APIClient:
        return client_for(operator)

    def test_it_never_shows_an_iban_in_full(self, client, world):
        # Given
        path = f"/api/v1/billing-accounts/{world.alice.account.pk}/"
        # When
        responses = [
            send(client, OPERATION_BY_NAME["billing-accounts:create"], world),
            client.get("/api/v1/billing-accounts/"),
            client.get(path),
            client.patch(path, {"iban": "GB82 WEST 1234 5698 7654 32"}, format="json"),
            client.post(f"{path}close/", {}, format="json"),
        ]
        # Then
        assert [response.status_code for response in responses] == [201, 200, 200, 200, 200]
        for response in responses:
            content = response.content.decode()
            for secret in (IBAN, IBAN_SPACED, "GB82WEST12345698765432", "2100 0418",
                           "21000418"):
                assert secret not in content
            assert '"iban":' not in content
        assert responses[0].json()["iban_masked"] == IBAN_MASKED
        assert responses[1].json()["results"][0]["iban_masked"] == IBAN_MASKED
        assert responses[2].json()["iban_masked"] == IBAN_MASKED
        assert responses[3].json()["iban_masked"] == "GB82 **** **** **** **54 32"

    def test_it_answers_a_new_customer_in_full(self, client):
        # When
        response = client.post("/api/v1/customers/", {**CUSTOMER, "phone": "600 999 888",
                                                      "email": "Carmen@Example.com"},
                               format="json")
        # Then
        assert response.status_code == 201
        body = response.json()
        customer = Customer.objects.get()
        assert (body["id"], body["number"], body["status"]) == (customer.pk, "C00000001",
                                                                "prospect")
        assert body["display_name"] == "Carmen Calvo Casas"
        assert [(contact["kind"], contact["value"]) for contact in body["contacts"]] == [
            ("email", "carmen@example.com"), ("phone", "+34600999888"),
        ]

    def test_it_stores_and_shows_phones_in_e164(self, client, alice_customer):
        # When
        service_user = client.post("/api/v1/service-users/", {
            "customer": alice_customer.pk, "given_name": "Dora", "phone": "611 22 33 44",
        }, format="json")
        contact = client.post("/api/v1/contacts/", {
            "customer": alice_customer.pk, "kind": "phone", "value": "+44 20 7946 0958",
            "label": "work",
        }, format="json")
        listed = client.get(f"/api/v1/contacts/?customer={alice_customer.pk}&kind=phone")
        # Then
        assert service_user.json()["phone"] == "+34611223344"
        assert contact.json()["value"] == "+442079460958"
        assert [row["value"] for row in listed.json()["results"]] == [
            "+34600111222", "+442079460958",
        ]

    def test_it_pages_lists(self, client, operator):
        # Given
        for seed in range(5):
            make_customer(actor=operator, seed=seed)
        # When
        first = client.get("/api/v1/customers/?page_size=2")
        last = client.get("/api/v1/customers/?page_size=2&page=3")
        default = client.get("/api/v1/customers/")
        # Then
        assert first.json()["count"] == 5
        assert first.json()["next"] == "http://testserver/api/v1/customers/?page=2&page_size=2"
        assert first.json()["previous"] is None
        assert [row["number"] for row in first.json()["results"]] == ["C00000001", "C00000002"]
        assert set(last.json()) == {"count", "next", "previous", "results"}
        assert last.json()["next"] is None
        assert last.json()["previous"] == (
            "http://testserver/api/v1/customers/?page=2&page_size=2"
        )
        assert [row["number"] for row in last.json()["results"]] == ["C00000005"]
        assert len(default.json()["results"]) == 5

    def test_it_never_pages_more_than_200_rows(self, client):
        # Given 205 customers, written directly: only the list is under test
        Customer.objects.bulk_create(
            Customer(number=f"C{index:08d}", given_name="Test", family_name=f"Number {index}",
                     document_type="passport", document_number=f"P{index:07d}",
                     document_country="FR")
            for index in range(1, 206)
        )
        # When
        response = client.get("/api/v1/customers/?page_size=1000")
        # Then
        assert response.json()["count"] == 205
        assert len(response.json()["results"]) == 200
        assert response.json()["next"] == (
            "http://testserver/api/v1/customers/?page=2&page_size=1000"
        )

    def test_it_uses_the_default_page_size_for_a_bad_one(self, client):
        # Given
        Customer.objects.bulk_create(
            Customer(number=f"C{index:08d}", given_name="Test", family_name=f"Number {index}",
                     document_type="passport", document_number=f"P{index:07d}",
                     document_country="FR")
            for index in range(1, 31)
        )
        # When
        zero = client.get("/api/v1/customers/?page_size=0")
        text = client.get("/api/v1/customers/?page_size=many")
        # Then
        assert len(zero.json()["results"]) == len(text.json()["results"]) == 25


class TestFilters:
    @pytest.fixture
    def client(self, operator) -> APIClient:
        return client_for(operator)

    @pytest.fixture
    def customers(self, operator, alice_customer, bob_customer) -> dict[str, Customer]:
        services.customer_activate(actor=operator, customer=bob_customer)
        carmen = make_customer(actor=operator, given_name="Carmen", family_name="Alicante Ruiz",
                               document_number="11111111H", segment="small_business")
        return {"alice": alice_customer, "bob": bob_customer, "carmen": carmen}

    @pytest.mark.parametrize(("query", "expected"), [
        ("status=active", ["bob"]),
        ("status=prospect", ["alice", "carmen"]),
        ("segment=small_business", ["carmen"]),
        ("number=C00000002", ["bob"]),
        ("document_number=12345678-z", ["alice"]),
        ("document_number=%2011.111.111%20h", ["carmen"]),
        ("name=liddell", ["alice"]),
        ("name=Alice%20Pleasance", ["alice"]),
        ("name=ali", ["alice", "carmen"]),
        ("name=alice%20builder", []),
        ("name=B%C3%96B", ["bob"]),
        ("status=active&segment=residential", ["bob"]),
    ])
    def test_it_filters_customers(self, client, customers, query, expected):
        # When
        response = client.get(f"/api/v1/customers/?{query}")
        # Then
        assert response.status_code == 200
        assert ids(response) == [customers[name].pk for name in expected]

    def test_it_filters_service_users_by_customer(self, client, alice_records, bob_records):
        # When
        response = client.get(f"/api/v1/service-users/?customer={bob_records.customer.pk}")
        # Then
        assert ids(response) == [bob_records.service_user.pk]

    def test_it_filters_interactions(self, client, operator, alice_records, bob_records):
        # Given an older complaint of Alice's
        old = services.interaction_record(
            actor=operator, customer=alice_records.customer, topic="complaint",
            summary="The technician did not come.", outcome="escalated",
            started_at=timezone.now() - timedelta(days=10),
        )
        since = (timezone.now() - timedelta(days=1)).isoformat()
        # When
        by_customer = client.get(f"/api/v1/interactions/?customer={alice_records.customer.pk}")
        by_topic = client.get("/api/v1/interactions/?topic=complaint")
        recent = client.get("/api/v1/interactions/", {"started_after": since})
        both = client.get("/api/v1/interactions/",
                          {"customer": alice_records.customer.pk, "started_after": since})
        # Then, newest first
        assert ids(by_customer) == [alice_records.interaction.pk, old.pk]
        assert ids(by_topic) == [old.pk]
        assert ids(recent) == [bob_records.interaction.pk, alice_records.interaction.pk]
        assert ids(both) == [alice_records.interaction.pk]


# Audit ------------------------------------------------------------------------


class TestAudit:
    def test_it_records_who_viewed_a_customer(self, operator, alice_customer):
        # Given
        client = client_for(operator)
        AuditEvent.objects.all().delete()
        # When
        response = client.get(f"/api/v1/customers/{alice_customer.pk}/",
                              HTTP_X_REQUEST_ID="req-42")
        # Then
        assert response.status_code == 200
        event = AuditEvent.objects.get()
        assert (event.action, event.channel, event.actor, event.actor_label) == (
            "view", "api", operator, "olga")
        assert (event.object_type, event.object_id, event.customer_id) == (
            "customers.customer", str(alice_customer.pk), alice_customer.pk)
        assert (event.request_id, event.ip_address) == ("req-42", "127.0.0.1")

    def test_it_records_a_customer_viewing_herself(self, alice, alice_customer):
        # Given
        client = client_for(alice)
        AuditEvent.objects.all().delete()
        # When
        client.get(f"/api/v1/customers/{alice_customer.pk}/")
        # Then
        event = AuditEvent.objects.get()
        assert (event.action, event.channel, event.actor, event.customer_id) == (
            "view", "api", alice, alice_customer.pk)

    @pytest.mark.parametrize(("name", "object_type"), [
        ("customers:create", "customers.customer"),
        ("service-users:create", "customers.serviceuser"),
        ("billing-accounts:create", "customers.billingaccount"),
        ("interactions:create", "customers.interaction"),
        ("contacts:create", "customers.contactpoint"),
        ("addresses:create", "customers.address"),
    ])
    def test_it_records_who_created_what(self, world, supervisor, name, object_type):
        # Given
        client = client_for(supervisor)
        # When
        response = send(client, OPERATION_BY_NAME[name], world)
        # Then
        assert response.status_code == 201
        event = AuditEvent.objects.get(object_type=object_type,
                                       object_id=str(response.json()["id"]))
        assert (event.action, event.channel, event.actor) == ("create", "api", supervisor)

    def test_it_records_a_transition_with_its_actor(self, world, supervisor):
        # Given
        client = client_for(supervisor)
        # When
        send(client, OPERATION_BY_NAME["customers:activate"], world)
        # Then
        event = AuditEvent.objects.get(action="transition",
                                       customer_id=world.alice.customer.pk)
        assert (event.actor, event.channel, event.changes) == (
            supervisor, "api", {"status": ["prospect", "active"]})
        timeline = CustomerEvent.objects.get(customer=world.alice.customer,
                                             kind="status_changed")
        assert (timeline.actor, timeline.reason) == (supervisor, "Signed the contract")


# Query counts -----------------------------------------------------------------


@pytest.mark.parametrize(("endpoint", "rows_on_page"), [
    ("customers", 21), ("service-users", 21), ("billing-accounts", 21), ("interactions", 21),
    ("contacts", 25), ("addresses", 21),
])
def test_it_lists_with_as_many_queries_for_many_rows_as_for_one(
    operator, endpoint, rows_on_page, django_assert_max_num_queries
):
    # Given one customer with its records, counted
    client = client_for(operator)

    def customer_with_records(seed: int) -> None:
        customer = make_customer(actor=operator, seed=seed, phone=f"6000001{seed:02d}",
                                 email=f"customer{seed}@example.com")
        give_records(customer, actor=operator, name=f"Number{seed}")

    customer_with_records(0)
    client.get(f"/api/v1/{endpoint}/")
    with CaptureQueriesContext(connection) as one_row:
        assert client.get(f"/api/v1/{endpoint}/").status_code == 200
    # and twenty more customers
    for seed in range(1, 21):
        customer_with_records(seed)
    # When / Then
    with django_assert_max_num_queries(len(one_row)):
        response = client.get(f"/api/v1/{endpoint}/")
    assert len(response.json()["results"]) == rows_on_page


# The schema and its documentation ---------------------------------------------


class TestSchema:
    def test_it_generates_the_schema_without_warnings_or_errors(self, tmp_path, capsys):
        # Given
        GENERATOR_STATS.reset()
        target = tmp_path / "schema.yaml"
        # When
        call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
        # Then
        assert capsys.readouterr().err == ""
        assert target.read_text().startswith("openapi: 3.")

    def test_it_serves_the_schema_to_anyone(self, api_client):
        # When
        response = api_client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        # Then
        assert response.status_code == 200
        schema = response.json()
        assert schema["info"]["title"] == "SESMU API"
        assert {"/api/v1/customers/", "/api/v1/customers/{id}/make-former/",
                "/api/v1/billing-accounts/{id}/close/", "/api/v1/contacts/{id}/"} <= set(
            schema["paths"])

    def test_it_documents_what_writes_answer(self, api_client):
        # Given
        paths = api_client.get(
            "/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json"
        ).json()["paths"]

        def answer(path: str, method: str, status: str) -> str:
            return paths[path][method]["responses"][status]["content"]["application/json"][
                "schema"]["$ref"]

        # Then
        assert answer("/api/v1/customers/", "post", "201") == (
            "#/components/schemas/CustomerDetailOutput")
        assert answer("/api/v1/customers/{id}/", "patch", "200") == (
            "#/components/schemas/CustomerDetailOutput")
        assert answer("/api/v1/customers/{id}/activate/", "post", "200") == (
            "#/components/schemas/CustomerDetailOutput")
        assert answer("/api/v1/billing-accounts/", "post", "201") == (
            "#/components/schemas/BillingAccountOutput")
        assert answer("/api/v1/service-users/{id}/", "patch", "200") == (
            "#/components/schemas/ServiceUserOutput")
        assert answer("/api/v1/interactions/", "post", "201") == (
            "#/components/schemas/InteractionOutput")

    def test_it_serves_the_documentation_from_local_files(self, api_client):
        # When
        page = api_client.get("/api/docs/")
        script = api_client.get("/api/docs/?script=")
        # Then
        assert page.status_code == script.status_code == 200
        html = page.content.decode()
        assert '<script src="/static/drf_spectacular_sidecar/swagger-ui-dist/' in html
        assert '<link rel="stylesheet" href="/static/drf_spectacular_sidecar/' in html
        for text in (html, script.content.decode()):
            assert "http://" not in text
            assert "https://" not in text
            assert "cdn" not in text.lower()
        for name in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js",
                     "swagger-ui.css", "favicon-32x32.png"):
            assert finders.find(f"drf_spectacular_sidecar/swagger-ui-dist/{name}") is not None


def test_it_hides_internal_notes_and_handlers_from_portal_customers(api_client, operator,
                                                                   alice, alice_customer):
    # Given an internal note and a call handled by an operator
    services.customer_update(actor=operator, customer=alice_customer,
                             data={"notes": "Complains a lot"})
    services.interaction_record(actor=operator, customer=alice_customer, topic="sales",
                                outcome="resolved", summary="Asked for prices")
    # When Alice reads her own data
    api_client.force_authenticate(alice)
    customer = api_client.get(f"/api/v1/customers/{alice_customer.pk}/").json()
    interactions = api_client.get("/api/v1/interactions/").json()["results"]
    # Then the staff-only fields are not there, and staff still sees them
    assert "notes" not in customer
    assert "operator" not in interactions[0] and "call_center" not in interactions[0]
    api_client.force_authenticate(operator)
    assert api_client.get(f"/api/v1/customers/{alice_customer.pk}/").json()["notes"] == (
        "Complains a lot")
