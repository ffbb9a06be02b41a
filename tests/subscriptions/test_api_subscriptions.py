"""The subscriptions REST API (/api/v1/subscriptions/ and
/api/v1/subscription-orders/): who may call what (the customer's requests
with manage_subscription, the provider's measures with impose_subscription,
sales with sell_subscription; portal customers read their own and do
nothing), what each action answers and does in the network, the
cancellation terms shown before confirming, references resolved among what
the caller may see, bad input refused with its field (with nothing
changed), and what a list costs. Given / when / then.

Subscriptions are sold through the services against the element-manager
simulators; `settled()` runs what the services leave for after the commit
(outbox delivery), so a sale is active when the block ends."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from functools import cached_property

import pytest
from django.contrib.auth.hashers import check_password
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from customers import services as customer_services
from customers.models import Address, BillingAccount, Customer, ServiceUser
from integrations.models import OutboxMessage
from inventory.models import EquipmentItem
from sesmu.models import AuditEvent, User
from subscriptions import services
from subscriptions.choices import ItemRole, OrderState, SubscriptionState
from subscriptions.models import (
    OfferVersion,
    OrderMilestone,
    PayPerViewPurchase,
    ProvisioningStep,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)
from subscriptions.services.catalog import ItemSpec, offer_create, offer_version_publish
from tests.factories import UserFactory
from tests.subscriptions.conftest import OFFER_TERMS
from tests.workforce.conftest import make_technician, make_zone, window
from workforce.models import Appointment, WorkOrder

pytestmark = pytest.mark.django_db

API = "/api/v1/subscriptions"
ORDERS = "/api/v1/subscription-orders"
NOT_ALLOWED = {"code": "permission_denied",
               "message": "You do not have permission to perform this action."}
NOT_AUTHENTICATED = {"code": "not_authenticated",
                     "message": "Authentication credentials were not provided."}
NOT_FOUND = {"code": "not_found", "message": "Not found."}
WATCHED_MODELS = [Subscription, SubscriptionItem, SubscriptionUser, SubscriptionOrder,
                  OrderMilestone, ProvisioningStep, SubscriptionCharge, PayPerViewPurchase,
                  EquipmentItem, OutboxMessage, WorkOrder, Appointment, AuditEvent]
SUBSCRIPTION_FIELDS = {
    "id", "number", "customer", "customer_number", "billing_account",
    "billing_account_number", "offer", "offer_code", "offer_name", "offer_version",
    "offer_version_number", "service_address", "service_address_text", "access_medium",
    "state", "degraded", "suspension_initiator", "suspension_reason", "resume_on",
    "termination_initiator", "termination_reason", "terminates_on", "activated_at",
    "commitment_ends_on", "terminated_at", "created_by", "created_at", "updated_at",
}
DETAIL_FIELDS = SUBSCRIPTION_FIELDS | {"monthly_price", "currency", "items", "users",
                                       "equipment", "open_orders"}
ORDER_FIELDS = {
    "id", "number", "subscription", "subscription_number", "customer", "customer_number",
    "action", "modify_kind", "action_label", "state", "initiator", "reason", "due_on",
    "details", "channel", "external_id", "work_order_ref", "needs_visit", "visit_done",
    "held_reason", "created_by", "created_at", "updated_at", "completed_at",
}
ORDER_DETAIL_FIELDS = ORDER_FIELDS | {"subscription_state", "milestones", "steps"}


def database_state() -> dict[str, list[dict]]:
    """Every row the API could write, to compare before and after a call."""
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for model in WATCHED_MODELS}


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def error(code: str, field: str, message: str) -> dict:
    return {"code": code, "message": message, "fields": {field: [message]}}


def today() -> date:
    return timezone.localdate()


# What the operations act on, made on first use ------------------------------------


class Given:
    """Alice's subscriptions to "fibra-tv" in each state, the other offers
    and addresses the actions need, bob as a new owner: made the first time
    an operation asks."""

    def __init__(self, request):
        self._request = request

    def fixture(self, name: str):
        return self._request.getfixturevalue(name)

    def make(self, *names: str) -> None:
        for name in names:
            getattr(self, name)

    def settled(self):
        """Run what the services leave for after the commit (outbox
        delivery to the simulators) when the block ends."""
        return self.fixture("django_capture_on_commit_callbacks")(execute=True)

    @cached_property
    def simulators(self):
        return self.fixture("simulators")

    @cached_property
    def stock(self):
        stock = self.fixture("stock")
        for model in (stock.card, stock.box, stock.modem):
            stock.add(model, 6)
        return stock

    @cached_property
    def operator(self) -> User:
        return self.fixture("operator")

    @cached_property
    def supervisor(self) -> User:
        return self.fixture("supervisor")

    @cached_property
    def alice(self) -> Customer:
        return self.fixture("alice_customer")

    @cached_property
    def account(self) -> BillingAccount:
        return self.fixture("alice_account")

    @cached_property
    def home(self) -> Address:
        return self.fixture("alice_home")

    @cached_property
    def offer(self) -> OfferVersion:
        return self.fixture("published_offer")

    @cached_property
    def catalog(self):
        return self.fixture("services_catalog")

    @cached_property
    def service_user(self) -> ServiceUser:
        return customer_services.service_user_create(actor=self.operator, customer=self.alice,
                                                     given_name="Lorina", relationship="family")

    @cached_property
    def second_home(self) -> Address:
        """Alice's flat in Madrid (28005: cable and copper)."""
        return customer_services.address_create(actor=self.operator, customer=self.alice,
                                                street="Calle Toledo", street_number="5",
                                                postal_code="28005", city="Madrid")

    @cached_property
    def bob(self) -> Customer:
        return self.fixture("bob_customer")

    @cached_property
    def bob_account(self) -> BillingAccount:
        return customer_services.billing_account_create(
            actor=self.operator, customer=self.bob, name="Bob's", delivery_email="b@example.com",
            iban="ES7921000813610123456789")

    @cached_property
    def bob_home(self) -> Address:
        return customer_services.address_create(actor=self.operator, customer=self.bob,
                                                street="Calle Mayor", street_number="1",
                                                postal_code="28013", city="Madrid")

    def publish(self, code: str, name: str, items: list[ItemSpec], **terms) -> OfferVersion:
        draft = offer_create(code=code, name=name, actor=None, terms={**OFFER_TERMS, **terms},
                             items=items)
        return offer_version_publish(version=draft, actor=None)

    @cached_property
    def other_offer(self) -> OfferVersion:
        """"fibra-solo": Internet 300 alone, with the mailbox option."""
        self.make("offer")
        return self.publish("fibra-solo", "Fibra 300", [
            ItemSpec(service=self.catalog.internet),
            ItemSpec(service=self.catalog.mailbox, role=ItemRole.OPTION,
                     option_monthly_price=Decimal("1.99"))], monthly_price=Decimal("29.90"))

    @cached_property
    def ppv_offer(self) -> OfferVersion:
        """"tv-taquilla": TV Total and the sports pay-per-view, both through the CAS."""
        self.catalog.ppv.provisioning_system = self.simulators.systems["cas"]
        self.catalog.ppv.save(update_fields=["provisioning_system"])
        self.make("offer")
        return self.publish("tv-taquilla", "TV + Taquilla", [
            ItemSpec(service=self.catalog.tv), ItemSpec(service=self.catalog.ppv)])

    def place(self, **overrides) -> SubscriptionOrder:
        """The NEW order of a sale, left in progress (nothing delivered)."""
        self.make("simulators", "stock")
        return self.fixture("sell")(**overrides)

    def sold(self, **overrides) -> Subscription:
        """A subscription sold and activated (every command applied)."""
        self.make("simulators", "stock")
        with self.settled():
            order = self.fixture("sell")(**overrides)
        subscription = Subscription.objects.get(pk=order.subscription_id)
        assert subscription.state == SubscriptionState.ACTIVE
        return subscription

    @cached_property
    def active(self) -> Subscription:
        return self.sold()

    @cached_property
    def with_mailbox(self) -> Subscription:
        return self.sold(options=[self.catalog.mailbox])

    def user_spec(self, **extra) -> services.UserSpec:
        return services.UserSpec(service_user=self.service_user, credential="lorina",
                                 parental_pin="1234", ppv_monthly_limit=Decimal("20.00"),
                                 **extra)

    @cached_property
    def with_user(self) -> Subscription:
        return self.sold(users=[self.user_spec()])

    @cached_property
    def with_ppv(self) -> Subscription:
        return self.sold(offer_version=self.ppv_offer, users=[self.user_spec()])

    @cached_property
    def on_holiday(self) -> Subscription:
        subscription = self.sold()
        with self.settled():
            services.subscription_suspend(subscription=subscription, actor=self.operator,
                                          initiator="customer", reason="Holiday",
                                          resume_on=today() + timedelta(days=10))
        subscription.refresh_from_db()
        return subscription

    @cached_property
    def imposed(self) -> Subscription:
        subscription = self.sold()
        with self.settled():
            services.subscription_suspend(subscription=subscription, actor=self.supervisor,
                                          initiator="provider", reason="Unpaid bills")
        subscription.refresh_from_db()
        return subscription

    @cached_property
    def order(self) -> SubscriptionOrder:
        """The completed NEW order of the active subscription."""
        return self.active.orders.get()

    @cached_property
    def scheduled_cancel(self) -> SubscriptionOrder:
        """Alice's cancellation, effective after 30 days' notice."""
        subscription = self.sold()
        order = services.subscription_cancel(subscription=subscription, actor=self.operator,
                                             initiator="customer", reason="Moving abroad")
        assert order.state == OrderState.ACKNOWLEDGED
        return order

    @cached_property
    def held(self) -> SubscriptionOrder:
        """A NEW order held: the CAS answered 503 and the message died
        (one attempt allowed)."""
        self.make("simulators")
        cas = self.simulators.systems["cas"]
        cas.max_attempts = 1
        cas.save(update_fields=["max_attempts"])
        self.simulators.cas.fail("error_503", count=1)
        with self.settled():
            order = self.place()
        order.refresh_from_db()
        assert order.state == OrderState.HELD, order.held_reason
        cas.max_attempts = 12
        cas.save(update_fields=["max_attempts"])
        return order

    @cached_property
    def tomorrow(self) -> date:
        return today() + timedelta(days=1)

    @cached_property
    def visit(self) -> SubscriptionOrder:
        """A NEW order whose Internet needs a technician over cable: its
        installation is to be booked (Tomás works in Madrid centro)."""
        zone = make_zone("mad-centro", "Madrid centro", 28001, 28015, 10, 10)
        make_technician("tomas", actor=None, zones=[zone])
        self.catalog.internet.visit_media = ["cable"]
        self.catalog.internet.save(update_fields=["visit_media"])
        with self.settled():
            order = self.place()
        order.refresh_from_db()
        assert order.needs_visit and order.work_order_ref
        return order


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

    @property
    def is_write(self) -> bool:
        return self.method != "get"

    def __str__(self) -> str:
        return self.name

    def prepare(self, given: Given) -> tuple[str, dict | None]:
        given.make(*self.needs)
        return self.path(given), self.payload(given) if self.payload else None

    def send(self, client: APIClient, path: str, payload: dict | None):
        if payload is None:
            return getattr(client, self.method)(path)
        return getattr(client, self.method)(path, payload, format="json")


def act(name: str, subscription: str, payload: Callable[[Given], dict], *,
        label: str = "") -> Operation:
    return Operation(f"subscriptions:{name}{label}", "post",
                     lambda g: f"{API}/{getattr(g, subscription).pk}/{name}/", payload, 201)


def order_act(name: str, order: str, payload: Callable[[Given], dict] | None = None
              ) -> Operation:
    return Operation(f"subscription-orders:{name}", "post",
                     lambda g: f"{ORDERS}/{getattr(g, order).pk}/{name}/",
                     payload or (lambda g: {}))


def sale(given: Given) -> dict:
    given.make("simulators", "stock")
    return {"customer": given.alice.pk, "billing_account": given.account.pk,
            "offer_version": given.offer.pk, "service_address": given.home.pk,
            "access_medium": "cable"}


HOLIDAY = {"initiator": "customer", "reason": "Holiday"}

OPERATIONS = [
    Operation("subscriptions:list", "get", lambda g: f"{API}/", needs=("active",)),
    Operation("subscriptions:retrieve", "get", lambda g: f"{API}/{g.active.pk}/"),
    Operation("subscriptions:terms", "get",
              lambda g: f"{API}/{g.active.pk}/terms/?initiator=customer"),
    Operation("subscriptions:terms (provider)", "get",
              lambda g: f"{API}/{g.active.pk}/terms/?initiator=provider"),
    Operation("subscriptions:create", "post", lambda g: f"{API}/", sale, 201),
    act("suspend", "active", lambda g: {
        **HOLIDAY, "resume_on": (today() + timedelta(days=14)).isoformat()}),
    act("suspend", "active", lambda g: {"initiator": "provider", "reason": "Unpaid bills"},
        label=" (provider)"),
    act("degrade", "active", lambda g: {"reason": "Unpaid bills"}),
    act("resume", "on_holiday", lambda g: {"initiator": "customer"}),
    act("resume", "imposed", lambda g: {"initiator": "provider", "reason": "Paid"},
        label=" (provider)"),
    act("cancel", "active", lambda g: {"initiator": "customer", "reason": "Moving"}),
    act("cancel", "active", lambda g: {"initiator": "provider", "reason": "Fraud"},
        label=" (provider)"),
    act("change-offer", "active", lambda g: {"offer_version": g.other_offer.pk}),
    act("add-option", "active", lambda g: {"service": g.catalog.mailbox.pk}),
    act("remove-option", "with_mailbox", lambda g: {"service": g.catalog.mailbox.pk}),
    act("add-user", "active", lambda g: {"service_user": g.service_user.pk,
                                         "credential": "lorina"}),
    act("remove-user", "with_user", lambda g: {"user": g.with_user.users.get().pk}),
    act("move", "active", lambda g: {"address": g.second_home.pk}),
    act("change-owner", "active", lambda g: {
        "customer": g.bob.pk, "billing_account": g.bob_account.pk,
        "service_address": g.bob_home.pk}),
    act("ppv", "with_ppv", lambda g: {
        "user": g.with_ppv.users.get().pk, "event": g.catalog.ppv_event.pk,
        "showing_starts_at": g.catalog.ppv_event.starts_at.isoformat()}),
    Operation("subscription-orders:list", "get", lambda g: f"{ORDERS}/", needs=("order",)),
    Operation("subscription-orders:retrieve", "get", lambda g: f"{ORDERS}/{g.order.pk}/"),
    order_act("retry", "held"),
    order_act("cancel", "scheduled_cancel", lambda g: {"reason": "Staying after all"}),
    order_act("book-visit", "visit", lambda g: {
        "window_start": window(g.tomorrow, 10)[0].isoformat()}),
]
EVERYTHING = {operation.name for operation in OPERATIONS}
READS = {f"{endpoint}:{action}" for endpoint in ("subscriptions", "subscription-orders")
         for action in ("list", "retrieve")}
PROVIDER = {"subscriptions:terms (provider)", "subscriptions:suspend (provider)",
            "subscriptions:degrade", "subscriptions:resume (provider)",
            "subscriptions:cancel (provider)"}
CUSTOMER = EVERYTHING - READS - PROVIDER
# What each role may do, read off the grants of
# subscriptions/migrations/0004_subscription_roles.py: cc_operator sells and
# acts for the customer, cc_supervisor also imposes the provider's
# measures, billing_agent only imposes them, the dispatcher reads
# subscriptions and their orders, marketing reads subscriptions only (and
# so stands for every role without a grant on orders).
ALLOWED: dict[str, set[str]] = {
    "cc_operator": READS | CUSTOMER,
    "cc_supervisor": EVERYTHING,
    "billing_agent": READS | PROVIDER,
    "dispatcher": READS,
    "marketing_agent": {"subscriptions:list", "subscriptions:retrieve"},
}
PORTAL_READS = READS


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
def test_it_lets_portal_customers_read_their_own_and_do_nothing(given, alice, operation):
    # Given alice logged in to the portal; the subscriptions are hers
    path, payload = operation.prepare(given)
    client = APIClient()
    assert client.login(username="alice", password="Wonderland-2026")
    before = database_state()
    # When
    response = operation.send(client, path, payload)
    # Then
    if operation.name in PORTAL_READS:
        assert response.status_code == 200, response.content
        if operation.name.endswith(":list"):
            assert response.json()["count"] == 1
    else:
        assert response.status_code == 403, response.content
        assert response.json() == NOT_ALLOWED
    assert database_state() == before


MATRIX = [
    pytest.param(role, operation, id=f"{role}-{operation}")
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
        assert (database_state() != before) == operation.is_write
    else:
        assert response.status_code == 403, response.content
        assert response.json()["code"] == "permission_denied"
        assert database_state() == before


def test_it_needs_the_view_permissions_to_sell(given):
    # Given a user who may sell but not read what a sale answers
    seller = UserFactory(username="seller")
    seller.user_permissions.add(Permission.objects.get(codename="sell_subscription"))
    payload = sale(given)
    before = database_state()
    # When
    response = client_for(seller).post(f"{API}/", payload, format="json")
    # Then
    assert (response.status_code, response.json()) == (403, NOT_ALLOWED)
    assert database_state() == before


class TestPortal:
    def test_it_hides_bobs_subscriptions_from_alice(self, given, alice, bob):
        # Given a subscription of alice's and bob logged in to the portal
        subscription, order = given.active, given.order
        client = APIClient()
        assert client.login(username="bob", password="Builder-2026-yes")
        # When
        answers = [client.get(f"{API}/"), client.get(f"{ORDERS}/"),
                   client.get(f"{API}/{subscription.pk}/"), client.get(f"{ORDERS}/{order.pk}/")]
        # Then
        assert [answer.json()["count"] for answer in answers[:2]] == [0, 0]
        assert [(answer.status_code, answer.json()) for answer in answers[2:]] == [
            (404, NOT_FOUND), (404, NOT_FOUND)]

    def test_it_leaves_out_what_is_for_staff(self, given, alice):
        # Given alice's order, and alice on the portal
        order = given.order
        client = APIClient()
        assert client.login(username="alice", password="Wonderland-2026")
        # When
        body = client.get(f"{ORDERS}/{order.pk}/").json()
        subscription = client.get(f"{API}/{order.subscription_id}/").json()
        # Then
        assert set(body) == ORDER_DETAIL_FIELDS - {"created_by", "held_reason", "steps"}
        assert all(set(milestone) == {"id", "code", "text", "from_state", "to_state",
                                      "created_at"} for milestone in body["milestones"])
        assert "created_by" not in subscription


class TestInitiator:
    @pytest.mark.parametrize(("role", "name", "payload", "message"), [
        ("cc_operator", "suspend", {"initiator": "provider", "reason": "Unpaid"},
         "You may not act for the provider on subscriptions."),
        ("cc_operator", "cancel", {"initiator": "provider", "reason": "Fraud"},
         "You may not act for the provider on subscriptions."),
        ("billing_agent", "cancel", {"reason": "Moving"},
         "You may not act for the customer on subscriptions."),
        ("billing_agent", "resume", {"initiator": "customer"},
         "You may not act for the customer on subscriptions."),
    ])
    def test_it_needs_the_permission_of_who_asks(self, given, user_with_role, role, name,
                                                 payload, message):
        # Given an active subscription
        subscription = given.active
        before = database_state()
        # When
        response = client_for(user_with_role(role)).post(
            f"{API}/{subscription.pk}/{name}/", payload, format="json")
        # Then
        assert (response.status_code, response.json()) == (
            403, {"code": "permission_denied", "message": message})
        assert database_state() == before

    def test_it_lets_only_the_provider_withdraw_what_the_provider_asked(self, given,
                                                                       user_with_role):
        # Given a cancellation by the provider at a later date
        subscription = given.active
        order = services.subscription_cancel(
            subscription=subscription, actor=given.supervisor, initiator="provider",
            reason="Fraud", effective_on=today() + timedelta(days=5))
        before = database_state()
        # When the operator (the customer's side) withdraws it
        response = client_for(user_with_role("cc_operator")).post(
            f"{ORDERS}/{order.pk}/cancel/", {}, format="json")
        # Then
        assert response.status_code == 403
        assert database_state() == before


# Reading ---------------------------------------------------------------------------


@pytest.fixture
def operator_client(operator) -> APIClient:
    return client_for(operator)


@pytest.fixture
def supervisor_client(supervisor) -> APIClient:
    return client_for(supervisor)


class TestList:
    def test_it_lists_newest_first_with_the_offer_and_the_customer(self, given,
                                                                   operator_client):
        # Given two subscriptions of alice
        first, second = given.active, given.with_mailbox
        # When
        body = operator_client.get(f"{API}/").json()
        # Then
        assert body["count"] == 2
        assert [row["number"] for row in body["results"]] == [second.number, first.number]
        row = body["results"][1]
        assert set(row) == SUBSCRIPTION_FIELDS
        assert {key: row[key] for key in (
            "id", "customer", "customer_number", "billing_account", "billing_account_number",
            "offer_code", "offer_name", "offer_version", "offer_version_number",
            "service_address", "service_address_text", "access_medium", "state", "degraded",
            "commitment_ends_on", "created_by")} == {
            "id": first.pk, "customer": given.alice.pk, "customer_number": given.alice.number,
            "billing_account": given.account.pk,
            "billing_account_number": given.account.number, "offer_code": "fibra-tv",
            "offer_name": "Fibra 300 + TV Total", "offer_version": given.offer.pk,
            "offer_version_number": 1, "service_address": given.home.pk,
            "service_address_text": "Calle Mayor 1, 28013 Madrid", "access_medium": "cable",
            "state": "active", "degraded": False,
            "commitment_ends_on": first.commitment_ends_on.isoformat(), "created_by": "olga",
        }

    def test_it_filters_by_customer_state_and_offer(self, given, operator_client):
        # Given alice's active subscription, one on holiday, and bob's on another offer
        active, holiday = given.active, given.on_holiday
        bobs = given.sold(customer=given.bob, billing_account=given.bob_account,
                          service_address=given.bob_home, offer_version=given.other_offer)

        def numbers(query: str) -> list[str]:
            response = operator_client.get(f"{API}/?{query}")
            assert response.status_code == 200, response.json()
            return sorted(row["number"] for row in response.json()["results"])

        # When / Then
        assert numbers(f"customer={given.alice.pk}") == sorted([active.number, holiday.number])
        assert numbers(f"customer={given.bob.pk}") == [bobs.number]
        assert numbers("state=suspended") == [holiday.number]
        assert numbers("state=active&state=suspended") == sorted(
            [active.number, holiday.number, bobs.number])
        assert numbers(f"offer={given.other_offer.offer_id}") == [bobs.number]
        assert numbers(f"offer_version={given.offer.pk}") == sorted(
            [active.number, holiday.number])
        assert numbers(f"number={bobs.number.lower()}") == [bobs.number]
        assert numbers("customer=999999") == []

    @pytest.mark.parametrize(("query", "field", "code"), [
        ("state=sleeping", "state", "invalid_choice"),
        ("customer=abc", "customer", "invalid"),
        ("offer=-1x", "offer", "invalid"),
        ("access_medium=pigeon", "access_medium", "invalid_choice"),
    ])
    def test_it_refuses_filters_that_do_not_parse(self, given, operator_client, query, field,
                                                  code):
        # When
        response = operator_client.get(f"{API}/?{query}")
        # Then
        assert response.status_code == 400
        assert response.json()["code"] == code
        assert list(response.json()["fields"]) == [field]

    def test_it_pages(self, given, operator_client):
        # Given three subscriptions
        numbers = [given.sold().number for _ in range(3)]
        # When
        body = operator_client.get(f"{API}/?page_size=2&page=2").json()
        # Then
        assert body["count"] == 3
        assert [row["number"] for row in body["results"]] == [numbers[0]]

    def test_it_costs_the_same_queries_for_one_or_many(self, given, operator_client,
                                                       django_assert_max_num_queries):
        # Given one subscription, measured (with the caller's permissions
        # read once for the whole test); then four more
        given.make("active")
        with CaptureQueriesContext(connection) as one:
            assert operator_client.get(f"{API}/").status_code == 200
        limit = len(one)
        for _ in range(2):
            given.sold()
        given.sold(options=[given.catalog.mailbox])
        given.sold(customer=given.bob, billing_account=given.bob_account,
                   service_address=given.bob_home)
        # When / Then
        with django_assert_max_num_queries(limit):
            body = operator_client.get(f"{API}/").json()
        assert body["count"] == 5


class TestRetrieve:
    def test_it_shows_services_users_equipment_and_open_orders(self, given, operator_client):
        # Given a subscription with the mailbox option and Lorina with a PIN,
        # and a cancellation waiting for its notice period
        subscription = given.sold(options=[given.catalog.mailbox], users=[given.user_spec()])
        cancel = services.subscription_cancel(subscription=subscription, actor=given.operator,
                                              initiator="customer", reason="Moving")
        user = subscription.users.get()
        # When
        response = operator_client.get(f"{API}/{subscription.pk}/")
        # Then
        assert response.status_code == 200
        body = response.json()
        assert set(body) == DETAIL_FIELDS
        assert (body["state"], body["monthly_price"], body["currency"]) == (
            "pending_termination", "51.89", "EUR")
        assert [(item["service_code"], item["role"], item["monthly_price"], item["state"],
                 item["network_id"]) for item in body["items"]] == [
            (code, role, price, "active", f"{subscription.number}-{code}")
            for code, role, price in (
                (item.service.code, item.role, str(item.monthly_price))
                for item in subscription.items.order_by("id"))]
        assert body["users"] == [{
            "id": user.pk, "service_user": given.service_user.pk,
            "service_user_name": "Lorina", "credential": "lorina", "has_parental_pin": True,
            "ppv_allowed": True, "ppv_monthly_limit": "20.00", "is_active": True,
            "added_at": timezone.localtime(user.added_at).isoformat(), "removed_at": None}]
        # The PIN is stored hashed, and the hash is never shown.
        assert user.parental_pin and user.parental_pin not in response.content.decode()
        assert '"parental_pin"' not in response.content.decode()
        assert sorted((item["model_code"], item["state"], item["supply_terms"])
                      for item in body["equipment"]) == [
            ("arris-cm", "installed", "rented"), ("humax-stb", "installed", "rented"),
            ("nagra-card", "installed", "rented")]
        assert [(order["number"], order["action"], order["state"], order["due_on"])
                for order in body["open_orders"]] == [
            (cancel.number, "cancel", "acknowledged", cancel.due_on.isoformat())]

    def test_it_costs_a_fixed_number_of_queries(self, given, operator_client,
                                                django_assert_max_num_queries):
        # Given a subscription with options, users and orders
        subscription = given.sold(options=[given.catalog.mailbox], users=[given.user_spec()])
        services.subscription_cancel(subscription=subscription, actor=given.operator,
                                     initiator="customer", reason="Moving")
        # When / Then: the user, the subscription, items, users, open
        # orders, equipment (and the session's few)
        with django_assert_max_num_queries(10):
            assert operator_client.get(f"{API}/{subscription.pk}/").status_code == 200

    def test_it_answers_404_for_what_does_not_exist(self, given, operator_client):
        given.make("simulators")
        assert operator_client.get(f"{API}/999999/").json() == NOT_FOUND
        assert operator_client.get(f"{ORDERS}/999999/").json() == NOT_FOUND


# Selling ---------------------------------------------------------------------------


class TestCreate:
    def test_it_sells_and_answers_the_new_order(self, given, operator_client):
        # Given
        payload = {**sale(given), "options": [given.catalog.mailbox.pk],
                   "users": [{"service_user": given.service_user.pk, "credential": "lorina",
                              "parental_pin": "4321", "ppv_allowed": False}]}
        # When the sale is made and its commands delivered
        with given.settled():
            response = operator_client.post(f"{API}/", payload, format="json")
        # Then
        assert response.status_code == 201, response.content
        body = response.json()
        subscription = Subscription.objects.get()
        order = subscription.orders.get()
        assert set(body) == ORDER_DETAIL_FIELDS
        assert {key: body[key] for key in ("id", "number", "subscription",
                                           "subscription_number", "customer", "action",
                                           "channel", "initiator", "created_by")} == {
            "id": order.pk, "number": order.number, "subscription": subscription.pk,
            "subscription_number": subscription.number, "customer": given.alice.pk,
            "action": "new", "channel": "api", "initiator": "customer", "created_by": "olga"}
        # The answer is what the order was when the sale was made: commands sent.
        assert (body["state"], body["subscription_state"]) == ("in_progress",
                                                               "pending_activation")
        assert sorted((step["service_code"], step["command"]) for step in body["steps"]) == [
            ("internet-300", "enable"), ("mailbox", "enable"), ("tv-total", "enable")]
        assert body["milestones"][0]["code"] == "acknowledged"
        # Then, delivered: active, and each element manager enabled its services once.
        subscription.refresh_from_db()
        assert subscription.state == SubscriptionState.ACTIVE
        assert given.simulators.applied("cas") == [("enable", f"{subscription.number}-tv-total")]
        assert sorted(given.simulators.applied("isp")) == [
            ("enable", f"{subscription.number}-internet-300"),
            ("enable", f"{subscription.number}-mailbox")]
        user = subscription.users.get()
        assert (user.credential, user.ppv_allowed) == ("lorina", False)
        assert user.parental_pin != "4321" and check_password("4321", user.parental_pin)

    @pytest.mark.parametrize(("change", "expected"), [
        ({"customer": 999_999}, error("not_found", "customer", "No such customer.")),
        ({"billing_account": 999_999}, error("not_found", "billing_account",
                                             "No such billing account.")),
        ({"offer_version": 999_999}, error("not_found", "offer_version",
                                           "No such offer version.")),
        ({"service_address": 999_999}, error("not_found", "service_address",
                                             "No such address.")),
        ({"options": [999_999]}, error("not_found", "options", "No such service: 999999.")),
        ({"users": [{"service_user": 999_999}]}, error("not_found", "users",
                                                       "No such service user.")),
        ({"customer": "abc"}, error("invalid", "customer", "A valid integer is required.")),
        ({"customer": 10**20}, error("max_value", "customer", "Ensure this value is less than "
                                     "or equal to 9223372036854775807.")),
        ({"access_medium": "pigeon"}, error("invalid_choice", "access_medium",
                                           '"pigeon" is not a valid choice.')),
        ({"options": "mailbox"}, error("not_a_list", "options",
                                       'Expected a list of items but got type "str".')),
        ({"users": [{"service_user": 1, "parental_pin": "12a4"}]}, {
            "code": "invalid", "message": "A parental PIN has 4 digits.",
            "fields": {"users": [{"parental_pin": ["A parental PIN has 4 digits."]}]}}),
        ({"serials": ["X" * 65]}, {
            "code": "max_length", "message": "Ensure this field has no more than 64 "
                                             "characters.",
            "fields": {"serials": {"0": ["Ensure this field has no more than 64 "
                                         "characters."]}}}),
        ({"access_medium": "copper"}, error(
            "medium_not_served", "offer_version",
            "Fibra 300 + TV Total v1 is not sold over this access medium.")),
    ])
    def test_it_refuses_bad_input(self, given, operator_client, change, expected):
        # Given
        payload = {**sale(given), **change}
        before = database_state()
        # When
        response = operator_client.post(f"{API}/", payload, format="json")
        # Then
        assert response.status_code == 400, response.content
        assert response.json() == expected
        assert database_state() == before

    def test_it_refuses_a_body_that_is_not_an_object(self, given, operator_client):
        given.make("simulators")
        response = operator_client.post(f"{API}/", [1, 2], format="json")
        assert response.status_code == 400
        assert response.json()["code"] == "invalid"

    @pytest.mark.parametrize("missing", ["customer", "billing_account", "offer_version",
                                         "service_address", "access_medium"])
    def test_it_needs_every_reference(self, given, operator_client, missing):
        payload = sale(given)
        del payload[missing]
        response = operator_client.post(f"{API}/", payload, format="json")
        assert response.json() == error("required", missing, "This field is required.")

    def test_it_refuses_the_account_of_another_customer(self, given, operator_client):
        # Given bob's account for alice's subscription
        payload = {**sale(given), "billing_account": given.bob_account.pk}
        before = database_state()
        # When
        response = operator_client.post(f"{API}/", payload, format="json")
        # Then
        assert response.json() == error("wrong_customer", "billing_account",
                                        "This billing account belongs to another customer.")
        assert database_state() == before

    def test_it_refuses_a_user_named_twice(self, given, operator_client):
        payload = {**sale(given), "users": [{"service_user": given.service_user.pk}] * 2}
        response = operator_client.post(f"{API}/", payload, format="json")
        assert response.json() == error("duplicate", "users", "Name each service user once.")


# The lifecycle actions ---------------------------------------------------------------


def post(client: APIClient, subscription: Subscription, name: str, payload: dict):
    return client.post(f"{API}/{subscription.pk}/{name}/", payload, format="json")


class TestActions:
    def test_it_suspends_for_a_holiday_and_plans_the_resumption(self, given, operator_client):
        # Given
        subscription = given.active
        back = today() + timedelta(days=14)
        # When
        with given.settled():
            response = post(operator_client, subscription, "suspend",
                            {**HOLIDAY, "resume_on": back.isoformat()})
        # Then
        assert response.status_code == 201, response.content
        body = response.json()
        assert (body["action"], body["initiator"], body["reason"], body["subscription_state"]) \
            == ("suspend", "customer", "Holiday", "suspended")
        subscription.refresh_from_db()
        assert (subscription.state, subscription.resume_on) == ("suspended", back)
        assert subscription.orders.filter(action="resume", state="acknowledged",
                                          due_on=back).exists()
        assert given.simulators.applied("cas")[-1] == (
            "suspend", f"{subscription.number}-tv-total")

    def test_it_wants_a_resume_date_for_a_holiday(self, given, operator_client):
        subscription = given.active
        before = database_state()
        response = post(operator_client, subscription, "suspend", HOLIDAY)
        assert response.json() == error("required", "resume_on",
                                        "Say when the service comes back.")
        assert database_state() == before

    def test_it_degrades_then_the_provider_restores(self, given, supervisor_client):
        # Given
        subscription = given.active
        # When
        with given.settled():
            degraded = post(supervisor_client, subscription, "degrade",
                            {"reason": "Unpaid bills"})
        with given.settled():
            restored = post(supervisor_client, subscription, "resume",
                            {"initiator": "provider", "reason": "Paid"})
        # Then
        assert (degraded.status_code, degraded.json()["modify_kind"]) == (201, "degrade")
        assert (restored.status_code, restored.json()["action"]) == (201, "resume")
        subscription.refresh_from_db()
        assert (subscription.state, subscription.degraded) == ("active", False)
        tv = f"{subscription.number}-tv-total"
        assert given.simulators.applied("cas") == [("enable", tv), ("degrade", tv),
                                                   ("restore", tv)]

    def test_it_refuses_an_illegal_transition_with_its_code(self, given, operator_client):
        # Given a subscription on holiday
        subscription = given.on_holiday
        before = database_state()
        # When it is suspended again
        response = post(operator_client, subscription, "suspend",
                        {**HOLIDAY, "resume_on": (today() + timedelta(days=20)).isoformat()})
        # Then
        assert response.json() == error(
            "illegal_transition", "state",
            f"Subscription {subscription.number} is “Suspended”: it cannot be suspended.")
        assert database_state() == before

    def test_it_cancels_after_the_notice_with_the_fee(self, given, operator_client):
        # Given
        subscription = given.active
        # When
        response = post(operator_client, subscription, "cancel", {"reason": "Moving"})
        # Then
        assert response.status_code == 201
        body = response.json()
        due = today() + timedelta(days=30)
        assert (body["action"], body["state"], body["due_on"], body["details"],
                body["subscription_state"]) == (
            "cancel", "acknowledged", due.isoformat(),
            {"effective_on": due.isoformat(), "fee": "100.00"}, "pending_termination")

    def test_it_cancels_for_the_provider_at_once(self, given, supervisor_client):
        # Given
        subscription = given.active
        # When
        with given.settled():
            response = post(supervisor_client, subscription, "cancel",
                            {"initiator": "provider", "reason": "Fraud"})
        # Then
        assert response.status_code == 201
        subscription.refresh_from_db()
        assert subscription.state == SubscriptionState.TERMINATED
        assert given.simulators.applied("cas")[-1] == (
            "disable", f"{subscription.number}-tv-total")
        assert not SubscriptionCharge.objects.filter(kind="early_termination_fee").exists()

    def test_it_refuses_a_cancellation_in_the_past(self, given, operator_client):
        subscription = given.active
        response = post(operator_client, subscription, "cancel",
                        {"effective_on": (today() - timedelta(days=1)).isoformat()})
        assert response.json() == error("bad_date", "effective_on",
                                        "A cancellation cannot take effect in the past.")

    def test_it_changes_the_offer(self, given, operator_client):
        # Given
        subscription = given.active
        # When
        with given.settled():
            response = post(operator_client, subscription, "change-offer",
                            {"offer_version": given.other_offer.pk,
                             "options": [given.catalog.mailbox.pk]})
        # Then
        assert response.status_code == 201, response.content
        assert response.json()["modify_kind"] == "change_offer"
        subscription.refresh_from_db()
        assert subscription.offer_version == given.other_offer
        assert given.simulators.applied("cas")[-1] == (
            "disable", f"{subscription.number}-tv-total")
        assert given.simulators.applied("isp")[-1] == (
            "enable", f"{subscription.number}-mailbox")

    @pytest.mark.parametrize(("change", "expected"), [
        ({"offer_version": 999_999}, error("not_found", "offer_version",
                                           "No such offer version.")),
        ({"options": [999_999]}, error("not_found", "options", "No such service: 999999.")),
        ({"at_next_cycle": "sometimes"}, error("invalid", "at_next_cycle",
                                               "Must be a valid boolean.")),
    ])
    def test_it_refuses_a_bad_change_of_offer(self, given, operator_client, change, expected):
        subscription = given.active
        payload = {"offer_version": given.other_offer.pk, **change}
        before = database_state()
        response = post(operator_client, subscription, "change-offer", payload)
        assert response.json() == expected
        assert database_state() == before

    def test_it_adds_and_removes_an_option(self, given, operator_client):
        # Given
        subscription = given.active
        mailbox = given.catalog.mailbox
        # When
        with given.settled():
            added = post(operator_client, subscription, "add-option", {"service": mailbox.pk})
        with given.settled():
            removed = post(operator_client, subscription, "remove-option",
                           {"service": mailbox.pk})
        # Then
        assert [added.json()["modify_kind"], removed.json()["modify_kind"]] == [
            "add_option", "remove_option"]
        assert given.simulators.applied("isp")[-2:] == [
            ("enable", f"{subscription.number}-mailbox"),
            ("disable", f"{subscription.number}-mailbox")]

    def test_it_refuses_to_remove_what_is_not_an_option(self, given, operator_client):
        subscription = given.active
        before = database_state()
        response = post(operator_client, subscription, "remove-option",
                        {"service": given.catalog.tv.pk})
        assert response.json() == error("not_there", "service",
                                        "TV Total is not an option of this subscription.")
        assert database_state() == before

    def test_it_adds_and_removes_a_user(self, given, operator_client):
        # Given
        subscription = given.active
        # When
        added = post(operator_client, subscription, "add-user",
                     {"service_user": given.service_user.pk, "credential": "lorina",
                      "parental_pin": "9753", "ppv_monthly_limit": "15.00"})
        user = subscription.users.get()
        removed = post(operator_client, subscription, "remove-user", {"user": user.pk})
        # Then
        assert (added.status_code, added.json()["modify_kind"], added.json()["state"]) == (
            201, "add_user", "completed")
        assert (removed.status_code, removed.json()["modify_kind"]) == (201, "remove_user")
        user.refresh_from_db()
        assert (user.ppv_monthly_limit, user.is_active) == (Decimal("15.00"), False)
        assert '"parental_pin"' not in added.content.decode()
        assert user.parental_pin not in added.content.decode()

    @pytest.mark.parametrize(("name", "payload", "expected"), [
        ("add-user", {"service_user": 999_999}, error("not_found", "service_user",
                                                      "No such service user.")),
        ("add-user", {"service_user": 1, "ppv_monthly_limit": "-1"}, error(
            "min_value", "ppv_monthly_limit",
            "Ensure this value is greater than or equal to 0.")),
        ("remove-user", {"user": 999_999}, error("not_found", "user",
                                                 "No such user of this subscription.")),
        ("move", {"address": 999_999}, error("not_found", "address", "No such address.")),
        ("add-option", {"service": 999_999}, error("not_found", "service",
                                                   "No such service: 999999.")),
        ("add-option", {}, error("required", "service", "This field is required.")),
        ("ppv", {"user": 999_999, "event": 1, "showing_starts_at": "2030-01-01T21:00:00Z"},
         error("not_found", "user", "No such user of this subscription.")),
        ("ppv", {"user": 1, "event": 1, "showing_starts_at": "tonight"}, error(
            "invalid", "showing_starts_at", "Datetime has wrong format. Use one of these "
            "formats instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")),
        ("change-owner", {"customer": 999_999, "billing_account": 1, "service_address": 1},
         error("not_found", "customer", "No such customer.")),
    ])
    def test_it_refuses_unknown_references(self, given, operator_client, name, payload,
                                           expected):
        subscription = given.active
        before = database_state()
        response = post(operator_client, subscription, name, payload)
        assert response.status_code == 400
        assert response.json() == expected
        assert database_state() == before

    def test_it_does_not_remove_the_user_of_another_subscription(self, given,
                                                                 operator_client):
        # Given Lorina on one subscription, and another subscription
        user = given.with_user.users.get()
        other = given.active
        before = database_state()
        # When
        response = post(operator_client, other, "remove-user", {"user": user.pk})
        # Then
        assert response.json() == error("not_found", "user",
                                        "No such user of this subscription.")
        assert database_state() == before

    def test_it_moves_to_another_address(self, given, operator_client):
        # Given
        subscription = given.active
        # When
        with given.settled():
            response = post(operator_client, subscription, "move",
                            {"address": given.second_home.pk})
        # Then
        assert response.status_code == 201
        subscription.refresh_from_db()
        assert subscription.service_address == given.second_home
        tv = f"{subscription.number}-tv-total"
        assert given.simulators.applied("cas")[-2:] == [("disable", tv), ("enable", tv)]

    def test_it_passes_the_subscription_to_bob(self, given, operator_client):
        # Given
        subscription = given.active
        # When
        response = post(operator_client, subscription, "change-owner", {
            "customer": given.bob.pk, "billing_account": given.bob_account.pk,
            "service_address": given.bob_home.pk})
        # Then
        assert response.status_code == 201, response.content
        assert (response.json()["modify_kind"], response.json()["customer"]) == (
            "change_owner", given.bob.pk)
        subscription.refresh_from_db()
        assert (subscription.customer, subscription.billing_account) == (given.bob,
                                                                         given.bob_account)

    def test_it_buys_pay_per_view(self, given, operator_client):
        # Given
        subscription = given.with_ppv
        event = given.catalog.ppv_event
        # When
        with given.settled():
            response = post(operator_client, subscription, "ppv", {
                "user": subscription.users.get().pk, "event": event.pk,
                "showing_starts_at": event.starts_at.isoformat()})
        # Then
        assert response.status_code == 201, response.content
        assert response.json()["modify_kind"] == "ppv"
        assert PayPerViewPurchase.objects.get().price == Decimal("9.95")
        assert given.simulators.applied("cas")[-1] == (
            "authorise_device", f"{subscription.number}-ppv-sports")

    def test_it_refuses_pay_per_view_beyond_the_limit(self, given, operator_client):
        # Given Lorina may spend 5.00 a month
        subscription = given.sold(offer_version=given.ppv_offer, users=[services.UserSpec(
            service_user=given.service_user, ppv_monthly_limit=Decimal("5.00"))])
        event = given.catalog.ppv_event
        before = database_state()
        # When
        response = post(operator_client, subscription, "ppv", {
            "user": subscription.users.get().pk, "event": event.pk,
            "showing_starts_at": event.starts_at.isoformat()})
        # Then
        assert response.status_code == 400
        assert response.json()["code"] == "spend_limit"
        assert database_state() == before


# Cancellation terms ----------------------------------------------------------------


class TestTerms:
    def test_it_shows_what_the_customer_would_pay_and_get_back(self, given, operator_client):
        # Given
        subscription = given.active
        equipment = EquipmentItem.objects.filter(subscription_ref=subscription.number)
        # When
        response = operator_client.get(f"{API}/{subscription.pk}/terms/?initiator=customer")
        # Then
        assert response.status_code == 200
        body = response.json()
        due = today() + timedelta(days=30)
        assert {key: body[key] for key in ("initiator", "effective_on", "earliest_on",
                                           "is_now", "fee", "currency",
                                           "commitment_ends_on")} == {
            "initiator": "customer", "effective_on": due.isoformat(),
            "earliest_on": due.isoformat(), "is_now": False, "fee": "100.00",
            "currency": "EUR",
            "commitment_ends_on": subscription.commitment_ends_on.isoformat()}
        assert sorted((step["service_code"], step["command"], step["text"])
                      for step in body["steps"]) == [
            ("internet-300", "disable", "Disable Internet 300"),
            ("tv-total", "disable", "Disable TV Total")]
        assert sorted(item["serial_number"] for item in body["to_recover"]) == sorted(
            equipment.values_list("serial_number", flat=True))
        assert body["to_release"] == []

    def test_it_matches_what_cancel_then_does(self, given, operator_client):
        # Given the plan for a date after the notice period
        subscription = given.active
        day = (today() + timedelta(days=45)).isoformat()
        plan = operator_client.get(
            f"{API}/{subscription.pk}/terms/?initiator=customer&effective_on={day}").json()
        # When
        order = post(operator_client, subscription, "cancel",
                     {"effective_on": day}).json()
        # Then
        assert (plan["effective_on"], plan["fee"]) == (day, "100.00")
        assert order["details"] == {"effective_on": day, "fee": plan["fee"]}

    def test_it_shows_the_provider_ends_it_now_without_a_fee(self, given, supervisor_client):
        subscription = given.active
        body = supervisor_client.get(f"{API}/{subscription.pk}/terms/?initiator=provider")
        assert (body.json()["effective_on"], body.json()["is_now"], body.json()["fee"]) == (
            today().isoformat(), True, "0.00")

    @pytest.mark.parametrize(("query", "expected"), [
        ("initiator=neighbour", error("invalid_choice", "initiator",
                                      '"neighbour" is not a valid choice.')),
        ("effective_on=soon", error("invalid", "effective_on", "Date has wrong format. Use one "
                                    "of these formats instead: YYYY-MM-DD.")),
        ("effective_on=2020-01-01", error("bad_date", "effective_on",
                                          "A cancellation cannot take effect in the past.")),
    ])
    def test_it_refuses_a_query_that_does_not_parse(self, given, operator_client, query,
                                                    expected):
        response = operator_client.get(f"{API}/{given.active.pk}/terms/?{query}")
        assert (response.status_code, response.json()) == (400, expected)

    def test_it_refuses_terms_for_what_cannot_be_cancelled(self, given, operator_client):
        # Given a cancellation already asked for
        subscription = given.scheduled_cancel.subscription
        # When
        response = operator_client.get(f"{API}/{subscription.pk}/terms/")
        # Then
        assert response.json()["code"] == "illegal_transition"


# Orders ----------------------------------------------------------------------------


class TestOrders:
    def test_it_lists_and_filters_orders(self, given, operator_client):
        # Given a sale, a holiday (with its planned resumption) and a cancellation
        holiday = given.on_holiday
        cancel = given.scheduled_cancel

        def numbers(query: str = "") -> list[str]:
            response = operator_client.get(f"{ORDERS}/?{query}")
            assert response.status_code == 200, response.json()
            return [row["number"] for row in response.json()["results"]]

        # When / Then
        assert len(numbers()) == SubscriptionOrder.objects.count() == 5
        assert numbers(f"subscription={holiday.pk}") == list(
            holiday.orders.order_by("-created_at", "-id").values_list("number", flat=True))
        assert numbers("action=cancel") == [cancel.number]
        assert numbers("state=acknowledged") == list(
            SubscriptionOrder.objects.filter(state="acknowledged")
            .order_by("-created_at", "-id").values_list("number", flat=True))
        assert numbers("action=suspend&action=resume") == list(
            holiday.orders.filter(action__in=["suspend", "resume"])
            .order_by("-created_at", "-id").values_list("number", flat=True))
        assert operator_client.get(f"{ORDERS}/?action=pause").status_code == 400

    def test_it_shows_an_order_with_its_milestones_and_steps(self, given, operator_client):
        # Given
        order = given.order
        # When
        body = operator_client.get(f"{ORDERS}/{order.pk}/").json()
        # Then
        assert set(body) == ORDER_DETAIL_FIELDS
        assert [milestone["code"] for milestone in body["milestones"]] == list(
            order.milestones.order_by("created_at", "id").values_list("code", flat=True))
        assert body["milestones"][0] == {
            "id": order.milestones.order_by("id").first().pk, "code": "acknowledged",
            "text": "New subscription acknowledged.", "from_state": "",
            "to_state": "acknowledged", "actor": "olga",
            "created_at": timezone.localtime(
                order.milestones.order_by("id").first().created_at).isoformat()}
        assert sorted((step["service_code"], step["command"], step["status"])
                      for step in body["steps"]) == [
            ("internet-300", "enable", "applied"), ("tv-total", "enable", "applied")]

    def test_it_costs_the_same_queries_for_one_or_many(self, given, operator_client,
                                                       django_assert_max_num_queries):
        given.make("order")
        with CaptureQueriesContext(connection) as one:
            assert operator_client.get(f"{ORDERS}/").status_code == 200
        limit = len(one)
        given.make("on_holiday", "scheduled_cancel", "with_mailbox")
        with django_assert_max_num_queries(limit):
            assert operator_client.get(f"{ORDERS}/").json()["count"] == 7

    def test_it_retries_a_held_order(self, given, operator_client):
        # Given a sale held because the CAS refused to enable TV
        order = given.held
        assert "TV Total" in order.held_reason
        # When the CAS is back and the operator retries
        with given.settled():
            response = operator_client.post(f"{ORDERS}/{order.pk}/retry/", format="json")
        # Then the answer is the order going on again; delivered, it completes
        assert response.status_code == 200, response.content
        assert (response.json()["state"], response.json()["held_reason"]) == ("in_progress", "")
        order.refresh_from_db()
        assert order.state == OrderState.COMPLETED
        subscription = order.subscription
        subscription.refresh_from_db()
        assert subscription.state == SubscriptionState.ACTIVE
        assert given.simulators.applied("cas") == [("enable", f"{subscription.number}-tv-total")]

    def test_it_retries_only_a_held_order(self, given, operator_client):
        order = given.order
        before = database_state()
        response = operator_client.post(f"{ORDERS}/{order.pk}/retry/", format="json")
        assert response.json() == error("illegal_transition", "state",
                                        "Only a held order can be retried.")
        assert database_state() == before

    def test_it_withdraws_a_cancellation_before_it_takes_effect(self, given, operator_client):
        # Given
        order = given.scheduled_cancel
        # When
        response = operator_client.post(f"{ORDERS}/{order.pk}/cancel/",
                                        {"reason": "Staying"}, format="json")
        # Then
        assert response.status_code == 200
        assert (response.json()["state"], response.json()["subscription_state"]) == (
            "cancelled", "active")

    def test_it_aborts_a_sale_by_withdrawing_its_order(self, given, operator_client):
        # Given a sale not yet active
        order = given.place()
        # When
        response = operator_client.post(f"{ORDERS}/{order.pk}/cancel/", {}, format="json")
        # Then
        assert response.status_code == 200, response.content
        assert (response.json()["state"], response.json()["subscription_state"]) == (
            "cancelled", "aborted")
        assert not EquipmentItem.objects.filter(subscription_ref=order.subscription.number,
                                                state="reserved").exists()

    def test_it_refuses_to_withdraw_a_finished_order(self, given, operator_client):
        order = given.order
        before = database_state()
        response = operator_client.post(f"{ORDERS}/{order.pk}/cancel/", {}, format="json")
        assert response.json() == error("illegal_transition", "state",
                                        f"Order {order.number} is already completed.")
        assert database_state() == before

    def test_it_books_the_installation_visit(self, given, operator_client):
        # Given a sale that needs a technician
        order = given.visit
        start, end = window(given.tomorrow, 10)
        # When
        response = operator_client.post(f"{ORDERS}/{order.pk}/book-visit/",
                                        {"window_start": start.isoformat()}, format="json")
        # Then
        assert response.status_code == 200, response.content
        assert response.json()["milestones"][-1]["code"] == "visit_booked"
        work_order = WorkOrder.objects.get(number=order.work_order_ref)
        assert (work_order.state, work_order.window_start, work_order.window_end) == (
            "scheduled", start, end)

    @pytest.mark.parametrize(("payload", "expected"), [
        ({}, error("required", "window_start", "This field is required.")),
        ({"window_start": "at ten"}, error(
            "invalid", "window_start", "Datetime has wrong format. Use one of these formats "
            "instead: YYYY-MM-DDThh:mm[:ss[.uuuuuu]][+HH:MM|-HH:MM|Z].")),
    ])
    def test_it_refuses_a_bad_window(self, given, operator_client, payload, expected):
        order = given.visit
        before = database_state()
        response = operator_client.post(f"{ORDERS}/{order.pk}/book-visit/", payload,
                                        format="json")
        assert response.json() == expected
        assert database_state() == before

    def test_it_has_no_visit_to_book_for_an_order_without_one(self, given, operator_client):
        order = given.order
        response = operator_client.post(
            f"{ORDERS}/{order.pk}/book-visit/",
            {"window_start": window(given.tomorrow, 10)[0].isoformat()}, format="json")
        assert response.json() == error("no_visit", "window_start",
                                        "This order has no visit to book.")


def test_it_documents_every_subscription_endpoint(api_client):
    # When
    paths = api_client.get("/api/schema/",
                           HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    # Then
    assert {path for path in paths if path.startswith(("/api/v1/subscription",))} == {
        *(f"{API}/{path}" for path in (
            "", "{id}/", "{id}/terms/", "{id}/suspend/", "{id}/degrade/", "{id}/resume/",
            "{id}/cancel/", "{id}/change-offer/", "{id}/add-option/", "{id}/remove-option/",
            "{id}/add-user/", "{id}/remove-user/", "{id}/move/", "{id}/change-owner/",
            "{id}/ppv/")),
        *(f"{ORDERS}/{path}" for path in ("", "{id}/", "{id}/retry/", "{id}/cancel/",
                                          "{id}/book-visit/")),
    }
    suspend = paths[f"{API}/{{id}}/suspend/"]["post"]
    assert suspend["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/SubscriptionOrderDetail"}
    assert [parameter["name"] for parameter in
            paths[f"{API}/{{id}}/terms/"]["get"]["parameters"]] == [
        "effective_on", "id", "initiator"]
