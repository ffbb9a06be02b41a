"""TMF622 product orders from external channels
(/tmf-api/productOrderingManagement/v4/productOrder): an order placed by a
web shop end to end against the element-manager simulators (add, replayed,
read back, modify, delete), who may place and read orders, every malformed
or unknown part of a body refused with 400, its path and the TMF error
shape (with nothing changed), idempotent replays, and what a list costs.
Given / when / then."""

from __future__ import annotations

import copy
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from integrations.models import OutboxMessage
from inventory.models import EquipmentItem
from sesmu.models import AuditEvent, User
from subscriptions.choices import ItemRole, OrderState, SubscriptionState
from subscriptions.models import (
    OfferVersion,
    OrderMilestone,
    ProvisioningStep,
    Subscription,
    SubscriptionItem,
    SubscriptionOrder,
)
from subscriptions.services.catalog import ItemSpec, offer_create, offer_version_publish
from tests.factories import UserFactory
from tests.subscriptions.conftest import OFFER_TERMS

TMF = "/tmf-api/productOrderingManagement/v4/productOrder"
WATCHED_MODELS = [Subscription, SubscriptionItem, SubscriptionOrder, OrderMilestone,
                  ProvisioningStep, EquipmentItem, OutboxMessage, AuditEvent]


def database_state() -> dict[str, list[dict]]:
    return {model._meta.label: list(model.objects.order_by("pk").values())
            for model in WATCHED_MODELS}


def client_for(user: User) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def tmf_error(status: int, code: str, path: str, message: str) -> dict:
    return {"@type": "Error", "code": code, "reason": message,
            "message": f"{path}: {message}", "status": str(status),
            "fields": {path: [message]}}


def add_order(alice, account, home, **extra) -> dict:
    """A web shop's order of "fibra-tv" over cable at alice's home."""
    body = {
        "externalId": "WEB-0001",
        "channel": [{"id": "webshop", "name": "Web shop"}],
        "description": "Online sale",
        "relatedParty": [{"id": alice.number, "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": account.number},
        "productOrderItem": [{
            "id": "1", "action": "add", "@type": "ProductOrderItem",
            "productOffering": {"id": "fibra-tv"},
            "product": {
                "place": [{"id": str(home.pk), "role": "installationAddress"}],
                "productCharacteristic": [{"name": "accessMedium", "value": "cable"}],
            },
        }],
    }
    body.update(extra)
    return body


def item_order(number: str, action: str, external_id: str, **item) -> dict:
    return {"externalId": external_id, "channel": [{"id": "webshop"}],
            "productOrderItem": [{"id": "1", "action": action,
                                  "product": {"id": number}, **item}]}


def publish_solo(services_catalog) -> OfferVersion:
    """"fibra-solo": Internet 300 alone, with the mailbox option."""
    draft = offer_create(code="fibra-solo", name="Fibra 300", actor=None,
                         terms={**OFFER_TERMS, "monthly_price": Decimal("29.90")},
                         items=[ItemSpec(service=services_catalog.internet),
                                ItemSpec(service=services_catalog.mailbox, role=ItemRole.OPTION,
                                         option_monthly_price=Decimal("1.99"))])
    return offer_version_publish(version=draft, actor=None)


# End to end ------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_web_shop_sells_changes_and_cancels_through_product_orders(
        simulators, stock, published_offer, services_catalog, alice_customer, alice_account,
        alice_home, operator):
    # Given the web shop's system user (an operator's grants) and a second offer
    client = client_for(operator)
    solo = publish_solo(services_catalog)
    body = add_order(alice_customer, alice_account, alice_home)

    # When the shop orders a subscription
    placed = client.post(TMF, body, format="json")

    # Then it is placed, provisioned by both element managers, and active
    assert placed.status_code == 201, placed.content
    order = SubscriptionOrder.objects.get()
    subscription = order.subscription
    answer = placed.json()
    assert {key: answer[key] for key in (
        "@type", "id", "href", "externalId", "channel", "description", "state",
        "requestedCompletionDate", "relatedParty", "billingAccount")} == {
        "@type": "ProductOrder", "id": order.number, "href": f"{TMF}/{order.number}",
        "externalId": "WEB-0001", "channel": [{"id": "webshop"}],
        "description": "New subscription", "state": "completed",
        "requestedCompletionDate": None,
        "relatedParty": [{"id": alice_customer.number, "name": "Alice Liddell Pleasance",
                          "role": "customer", "@referredType": "Customer"}],
        "billingAccount": {"id": alice_account.number, "@referredType": "BillingAccount"},
    }
    assert answer["productOrderItem"] == [{
        "@type": "ProductOrderItem", "id": "1", "quantity": 1, "action": "add",
        "state": "completed",
        "productOffering": {"id": "fibra-tv", "name": "Fibra 300 + TV Total"},
        "product": {"id": subscription.number, "status": "active",
                    "place": [{"id": str(alice_home.pk), "role": "installationAddress",
                               "@referredType": "GeographicAddress"}],
                    "productCharacteristic": [{"name": "accessMedium", "value": "cable"}]},
    }]
    milestones = answer["productOrderMilestone"]
    assert [milestone["name"] for milestone in milestones] == list(
        order.milestones.order_by("created_at", "id").values_list("code", flat=True))
    assert milestones[0]["status"] == "acknowledged"
    assert {"inProgress", "completed"} <= {milestone.get("status") for milestone in milestones}
    assert (order.channel, order.external_id) == ("api", "webshop:WEB-0001")
    tv, internet = f"{subscription.number}-tv-total", f"{subscription.number}-internet-300"
    assert simulators.applied("cas") == [("enable", tv)]
    assert simulators.applied("isp") == [("enable", internet)]
    assert simulators.service("cas", tv)["state"] == "active"

    # When the shop sends the same order again (a dropped answer)
    replayed = client.post(TMF, body, format="json")

    # Then it gets the order already placed, and nothing is done twice
    assert replayed.status_code == 200
    assert replayed.json() == answer
    assert SubscriptionOrder.objects.count() == 1
    assert simulators.applied("cas") == [("enable", tv)]

    # When it reads the order back, by number and by its own id
    one = client.get(f"{TMF}/{order.number}")
    found = client.get(f"{TMF}?externalId=WEB-0001")

    # Then
    assert (one.status_code, one.json()) == (200, answer)
    assert (found.status_code, found.json(), found["X-Total-Count"]) == (200, [answer], "1")

    # When it changes the offer to Internet alone with the mailbox
    changed = client.post(TMF, item_order(
        subscription.number, "modify", "WEB-0002", productOffering={"id": "fibra-solo"},
        product={"id": subscription.number,
                 "productCharacteristic": [{"name": "option", "value": "mailbox"}]}),
        format="json")

    # Then TV is disabled, the mailbox enabled, and the order completed
    assert changed.status_code == 201, changed.content
    assert (changed.json()["state"], changed.json()["productOrderItem"][0]["action"],
            changed.json()["productOrderItem"][0]["productOffering"]) == (
        "completed", "modify", {"id": "fibra-solo", "name": "Fibra 300"})
    subscription.refresh_from_db()
    assert subscription.offer_version == solo
    assert simulators.applied("cas") == [("enable", tv), ("disable", tv)]
    assert simulators.applied("isp")[-1] == ("enable", f"{subscription.number}-mailbox")

    # When it cancels the subscription for the customer, twice
    day = timezone.localdate() + timedelta(days=40)
    cancel = {**item_order(subscription.number, "delete", "WEB-0003"),
              "requestedCompletionDate": f"{day.isoformat()}T12:00:00+01:00"}
    cancelled = client.post(TMF, cancel, format="json")
    again = client.post(TMF, cancel, format="json")

    # Then one cancellation waits for its date, and the replay gets it
    assert cancelled.status_code == 201, cancelled.content
    assert (cancelled.json()["state"], cancelled.json()["requestedCompletionDate"],
            cancelled.json()["productOrderItem"][0]["action"],
            cancelled.json()["productOrderItem"][0]["product"]["status"]) == (
        "acknowledged", day.isoformat(), "delete", "pendingTerminate")
    assert (again.status_code, again.json()["id"]) == (200, cancelled.json()["id"])
    assert SubscriptionOrder.objects.filter(action="cancel").count() == 1
    subscription.refresh_from_db()
    assert (subscription.state, subscription.terminates_on) == (
        SubscriptionState.PENDING_TERMINATION, day)


# Who may call ----------------------------------------------------------------------


@pytest.fixture
def sale(simulators, stock, published_offer, alice_customer, alice_account, alice_home):
    return add_order(alice_customer, alice_account, alice_home)


@pytest.fixture
def placed(sale, operator, django_capture_on_commit_callbacks) -> SubscriptionOrder:
    """The web shop's order, placed and provisioned."""
    with django_capture_on_commit_callbacks(execute=True):
        response = client_for(operator).post(TMF, sale, format="json")
    assert response.status_code == 201, response.content
    return SubscriptionOrder.objects.get(number=response.json()["id"])


READERS = {"cc_operator", "cc_supervisor", "billing_agent", "dispatcher"}
SELLERS = {"cc_operator", "cc_supervisor"}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["cc_operator", "cc_supervisor", "billing_agent",
                                  "dispatcher", "marketing_agent", None])
def test_it_answers_each_role_as_its_grants_say(placed, sale, user_with_role, role):
    # Given
    client = client_for(user_with_role(role))
    order = placed
    before = database_state()
    # When
    listed = client.get(TMF)
    one = client.get(f"{TMF}/{order.number}")
    new = client.post(TMF, {**sale, "externalId": "WEB-0009"}, format="json")
    # Then
    if role in READERS:
        assert (listed.status_code, one.status_code) == (200, 200)
        assert [row["id"] for row in listed.json()] == [order.number]
    else:
        assert (listed.status_code, one.status_code) == (403, 403)
        assert listed.json()["code"] == "permission_denied"
    if role in SELLERS:
        assert new.status_code == 201, new.content
    else:
        assert (new.status_code, new.json()) == (403, {
            "@type": "Error", "code": "permission_denied",
            "reason": "You do not have permission to perform this action.",
            "message": "You do not have permission to perform this action.", "status": "403"})
        assert database_state() == before


@pytest.mark.django_db
def test_it_answers_401_to_anonymous_callers(placed, sale, api_client):
    before = database_state()
    answers = [api_client.get(TMF), api_client.get(f"{TMF}/{placed.number}"),
               api_client.post(TMF, sale, format="json")]
    assert [(answer.status_code, answer.json()) for answer in answers] == [(401, {
        "@type": "Error", "code": "not_authenticated",
        "reason": "Authentication credentials were not provided.",
        "message": "Authentication credentials were not provided.", "status": "401"})] * 3
    assert database_state() == before


@pytest.mark.django_db
def test_it_gives_portal_customers_nothing(placed, sale, alice):
    # Given alice on the portal; the order is hers
    client = APIClient()
    assert client.login(username="alice", password="Wonderland-2026")
    before = database_state()
    # When
    answers = [client.get(TMF), client.get(f"{TMF}/{placed.number}"),
               client.post(TMF, {**sale, "externalId": "WEB-0009"}, format="json")]
    # Then
    assert [answer.status_code for answer in answers] == [403, 403, 403]
    assert database_state() == before


@pytest.mark.django_db
def test_it_needs_the_manage_permission_to_cancel(placed, sale):
    # Given a channel allowed to sell (and read) but not to change subscriptions
    seller = UserFactory(username="webshop")
    seller.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="subscriptions",
        codename__in=["sell_subscription", "view_subscription", "view_subscriptionorder"]))
    client = client_for(seller)
    before = database_state()
    # When
    response = client.post(TMF, item_order(placed.subscription.number, "delete", "WEB-0009"),
                           format="json")
    # Then
    assert (response.status_code, response.json()["reason"]) == (
        403, "You may not place “delete” product orders.")
    assert database_state() == before


@pytest.mark.django_db
def test_it_needs_the_view_permissions_to_place_orders(placed, sale):
    # Given a channel allowed to sell but not to read orders
    seller = UserFactory(username="webshop")
    seller.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="subscriptions",
        codename__in=["sell_subscription", "view_subscription"]))
    before = database_state()
    # When
    response = client_for(seller).post(TMF, {**sale, "externalId": "WEB-0009"},
                                       format="json")
    # Then
    assert (response.status_code, response.json()["code"]) == (403, "permission_denied")
    assert database_state() == before


# Idempotency -------------------------------------------------------------------------


@pytest.mark.django_db
class TestIdempotency:
    def test_it_answers_a_replay_with_the_order_already_placed(self, placed, sale, operator):
        # When the same order comes again, even with another body
        response = client_for(operator).post(TMF, {**sale, "description": "Again"},
                                             format="json")
        # Then
        assert (response.status_code, response.json()["id"]) == (200, placed.number)
        assert SubscriptionOrder.objects.count() == 1

    def test_it_tells_channels_apart(self, placed, sale, operator, stock,
                                     django_capture_on_commit_callbacks):
        # When another channel uses the same externalId, and the shop another one
        client = client_for(operator)
        other_channel = client.post(TMF, {**sale, "channel": [{"id": "partner"}]},
                                    format="json")
        other_id = client.post(TMF, {**sale, "externalId": "WEB-0002"}, format="json")
        # Then each is an order of its own
        assert (other_channel.status_code, other_id.status_code) == (201, 201)
        assert sorted(SubscriptionOrder.objects.values_list("external_id", flat=True)) == [
            "partner:WEB-0001", "webshop:WEB-0001", "webshop:WEB-0002"]

    def test_it_replays_a_cancellation(self, placed, operator):
        # Given a cancellation placed by the shop
        client = client_for(operator)
        body = item_order(placed.subscription.number, "delete", "WEB-0002")
        first = client.post(TMF, body, format="json")
        before = database_state()
        # When it comes again (the subscription is no longer cancellable)
        second = client.post(TMF, body, format="json")
        # Then
        assert (first.status_code, second.status_code) == (201, 200)
        assert second.json() == first.json()
        assert database_state() == before


# Bad bodies --------------------------------------------------------------------------


def without(body: dict, *path: str) -> dict:
    body = copy.deepcopy(body)
    target = body
    for key in path[:-1]:
        target = target[key]
    del target[path[-1]]
    return body


def with_item(body: dict, **changes) -> dict:
    body = copy.deepcopy(body)
    body["productOrderItem"][0].update(changes)
    return body


def with_product(body: dict, **changes) -> dict:
    body = copy.deepcopy(body)
    body["productOrderItem"][0]["product"].update(changes)
    return body


def characteristics(*pairs) -> list[dict]:
    return [{"name": name, "value": value} for name, value in pairs]


ITEM = "productOrderItem[0]"
CHARACTERISTIC = f"{ITEM}.product.productCharacteristic"
BAD_BODIES = [
    ("no externalId", lambda b: without(b, "externalId"),
     ("required", "externalId", "This field is required.")),
    ("long externalId", lambda b: {**b, "externalId": "X" * 60},
     ("max_length", "externalId", "Ensure this field has no more than 59 characters.")),
    ("no channel", lambda b: {**b, "channel": []},
     ("min_length", "channel", "Name the channel the order comes from.")),
    ("bad channel", lambda b: {**b, "channel": [{"id": "web shop"}]},
     ("invalid", "channel[0].id", "Give the channel's id: up to 20 letters, digits, dots, "
                                  "dashes or underscores.")),
    ("no item", lambda b: {**b, "productOrderItem": []},
     ("min_length", "productOrderItem", "Give the product order item.")),
    ("two items", lambda b: {**b, "productOrderItem": b["productOrderItem"] * 2},
     ("max_length", "productOrderItem", "SESMU takes one product order item per product "
                                        "order: send each item as an order of its own.")),
    ("noChange", lambda b: with_item(b, action="noChange"),
     ("not_orderable", f"{ITEM}.action",
      "SESMU takes add (a new subscription), modify (a change of offer) and delete (a "
      "cancellation) here; “noChange” is not taken. Suspensions, resumptions, options and "
      "users go through /api/v1/subscriptions/.")),
    ("no offering", lambda b: without(b, "productOrderItem", 0, "productOffering"),
     ("required", f"{ITEM}.productOffering", "Give the product offering (the offer's code).")),
    ("unknown offering", lambda b: with_item(b, productOffering={"id": "nope"}),
     ("not_found", f"{ITEM}.productOffering.id", "No such product offering: nope.")),
    ("no customer", lambda b: {**b, "relatedParty": [{"id": "C1", "role": "payer"}]},
     ("required", "relatedParty", "Name the customer: one related party with the role "
                                  "“customer”.")),
    ("unknown customer", lambda b: {**b, "relatedParty": [{"id": "C99999999",
                                                            "role": "customer"}]},
     ("not_found", "relatedParty", "No such customer: C99999999.")),
    ("no account", lambda b: without(b, "billingAccount"),
     ("required", "billingAccount", "Give the billing account that pays.")),
    ("unknown account", lambda b: {**b, "billingAccount": {"id": "A99999999"}},
     ("not_found", "billingAccount.id", "No such billing account: A99999999.")),
    ("no place", lambda b: with_product(b, place=[]),
     ("required", f"{ITEM}.product.place", "Give the service address (its id).")),
    ("bad place", lambda b: with_product(b, place=[{"id": "home"}]),
     ("invalid", f"{ITEM}.product.place[0].id", "A valid integer is required.")),
    ("unknown place", lambda b: with_product(b, place=[{"id": "999999"}]),
     ("not_found", f"{ITEM}.product.place", "No such address.")),
    ("no medium", lambda b: with_product(b, productCharacteristic=[]),
     ("required", f"{CHARACTERISTIC}.accessMedium",
      "Give one accessMedium: copper, cable, satellite.")),
    ("bad medium", lambda b: with_product(b, productCharacteristic=characteristics(
        ("accessMedium", "pigeon"))),
     ("required", f"{CHARACTERISTIC}.accessMedium",
      "Give one accessMedium: copper, cable, satellite.")),
    ("unknown characteristic", lambda b: with_product(b, productCharacteristic=characteristics(
        ("accessMedium", "cable"), ("colour", "blue"))),
     ("unknown_characteristic", CHARACTERISTIC,
      "SESMU does not read the characteristic “colour” on add; it reads: accessMedium, "
      "option, serial.")),
    ("unknown option", lambda b: with_product(b, productCharacteristic=characteristics(
        ("accessMedium", "cable"), ("option", "jacuzzi"))),
     ("not_found", f"{CHARACTERISTIC}.option", "No such service: jacuzzi.")),
    ("not an option", lambda b: with_product(b, productCharacteristic=characteristics(
        ("accessMedium", "cable"), ("option", "ppv-sports"))),
     ("not_an_option", f"{CHARACTERISTIC}.option",
      "Sports PPV is not an option of Fibra 300 + TV Total v1.")),
    ("object value", lambda b: with_product(b, productCharacteristic=[
        {"name": "accessMedium", "value": {"medium": "cable"}}]),
     ("invalid", f"{CHARACTERISTIC}[0].value", "Give a text, a number or true/false.")),
    ("bad date", lambda b: {**b, "requestedCompletionDate": "soon"},
     ("invalid", "requestedCompletionDate", "Give a date (YYYY-MM-DD) or a date-time.")),
    ("medium not sold", lambda b: with_product(b, productCharacteristic=characteristics(
        ("accessMedium", "copper"))),
     ("medium_not_served", f"{ITEM}.productOffering.id",
      "Fibra 300 + TV Total v1 is not sold over this access medium.")),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("change", "expected"),
                         [pytest.param(change, expected, id=name)
                          for name, change, expected in BAD_BODIES])
def test_it_refuses_a_bad_body_with_the_path_of_the_problem(sale, operator, change, expected):
    # Given
    body = change(sale)
    before = database_state()
    # When
    response = client_for(operator).post(TMF, body, format="json")
    # Then
    code, path, message = expected
    assert response.status_code == 400, response.content
    answer = response.json()
    assert (answer["@type"], answer["status"], answer["code"]) == ("Error", "400", code)
    assert answer["fields"][path] == [message]
    assert answer["reason"] == next(iter(answer["fields"].values()))[0]
    assert database_state() == before


@pytest.mark.django_db
def test_it_answers_the_tmf_error_shape(sale, operator):
    response = client_for(operator).post(TMF, with_item(sale, action="suspend"), format="json")
    message = ("SESMU takes add (a new subscription), modify (a change of offer) and delete (a "
               "cancellation) here; “suspend” is not taken. Suspensions, resumptions, options "
               "and users go through /api/v1/subscriptions/.")
    assert response.json() == tmf_error(400, "not_orderable", f"{ITEM}.action", message)


@pytest.mark.django_db
@pytest.mark.parametrize(("content", "code"), [
    ("[1, 2]", "invalid"), ("{", "parse_error"), ('"order"', "invalid"), ("", "required")])
def test_it_refuses_what_is_not_an_order(sale, operator, content, code):
    response = client_for(operator).post(TMF, content, content_type="application/json")
    assert (response.status_code, response.json()["code"]) == (400, code)


@pytest.mark.django_db
class TestChangesOfExistingSubscriptions:
    @pytest.mark.parametrize(("body", "expected"), [
        (lambda n: item_order(n, "delete", "W-9", product={}),
         ("required", f"{ITEM}.product.id", "Give the product: the subscription's number.")),
        (lambda n: item_order("S99999999", "delete", "W-9"),
         ("not_found", f"{ITEM}.product.id", "No such subscription: S99999999.")),
        (lambda n: item_order(n, "delete", "W-9", product={
            "id": n, "productCharacteristic": characteristics(("option", "mailbox"))}),
         ("unknown_characteristic", CHARACTERISTIC,
          "SESMU does not read the characteristic “option” on delete; it reads: none.")),
        (lambda n: item_order(n, "modify", "W-9"),
         ("required", f"{ITEM}.productOffering", "Give the product offering (the offer's "
                                                  "code).")),
        (lambda n: item_order(n, "modify", "W-9", productOffering={"id": "fibra-tv"}),
         ("already_there", f"{ITEM}.productOffering.id",
          "The subscription already has this offer.")),
    ])
    def test_it_refuses_a_bad_change(self, placed, operator, body, expected):
        # Given
        number = placed.subscription.number
        before = database_state()
        # When
        response = client_for(operator).post(TMF, body(number), format="json")
        # Then
        code, path, message = expected
        assert response.status_code == 400, response.content
        assert response.json()["code"] == code
        assert response.json()["fields"] == {path: [message]}
        assert database_state() == before

    def test_it_refuses_an_offer_not_on_sale(self, placed, operator, services_catalog):
        # Given "fibra-solo", sold until yesterday
        OfferVersion.objects.filter(pk=publish_solo(services_catalog).pk).update(
            valid_until=timezone.localdate() - timedelta(days=1))
        before = database_state()
        # When
        response = client_for(operator).post(TMF, item_order(
            placed.subscription.number, "modify", "W-9", productOffering={"id": "fibra-solo"}),
            format="json")
        # Then
        assert response.json()["fields"] == {
            f"{ITEM}.productOffering.id": ["The offer fibra-solo is not on sale today."]}
        assert database_state() == before

    def test_it_cancels_a_subscription_not_yet_active(self, sale, operator):
        # Given an order placed but not yet provisioned
        client = client_for(operator)
        new = client.post(TMF, sale, format="json").json()
        number = new["productOrderItem"][0]["product"]["id"]
        # When the shop deletes it
        response = client.post(TMF, item_order(number, "delete", "WEB-0002"), format="json")
        # Then it is aborted, and the first order shows it was cancelled
        assert response.status_code == 201, response.content
        assert response.json()["productOrderItem"][0]["product"]["status"] == "aborted"
        assert client.get(f"{TMF}/{new['id']}").json()["state"] == "cancelled"
        assert Subscription.objects.get(number=number).state == SubscriptionState.ABORTED


# Reading ------------------------------------------------------------------------------


@pytest.mark.django_db
class TestReading:
    def test_it_finds_orders_by_external_id_channel_and_state(self, placed, sale, operator,
                                                              django_capture_on_commit_callbacks):
        # Given a second order from a partner, with an externalId holding the separator
        client = client_for(operator)
        with django_capture_on_commit_callbacks(execute=True):
            partner = client.post(TMF, {**sale, "externalId": "x:WEB-0001",
                                        "channel": [{"id": "partner"}]}, format="json").json()

        def ids(query: str) -> list[str]:
            response = client.get(f"{TMF}?{query}")
            assert response.status_code == 200, response.json()
            return [row["id"] for row in response.json()]

        # When / Then
        assert ids("externalId=WEB-0001") == [placed.number]
        assert ids("externalId=x:WEB-0001") == [partner["id"]]
        assert ids("channel.id=partner") == [partner["id"]]
        assert ids("channel.id=webshop&externalId=WEB-0001") == [placed.number]
        assert ids("state=completed") == [partner["id"], placed.number]
        assert ids("state=held") == []
        assert ids("limit=1&offset=1") == [placed.number]
        assert client.get(f"{TMF}?limit=1")["X-Total-Count"] == "2"

    @pytest.mark.parametrize(("query", "path"), [
        ("limit=0", "limit"), ("limit=500", "limit"), ("offset=-1", "offset"),
        ("state=sleeping", "state"), ("channel.id=a%20b", "channel.id")])
    def test_it_refuses_a_query_that_does_not_parse(self, placed, operator, query, path):
        response = client_for(operator).get(f"{TMF}?{query}")
        assert response.status_code == 400
        assert list(response.json()["fields"]) == [path]

    def test_it_answers_404_for_an_unknown_order(self, placed, operator):
        response = client_for(operator).get(f"{TMF}/O99999999")
        assert (response.status_code, response.json()) == (404, {
            "@type": "Error", "code": "not_found", "reason": "Not found.",
            "message": "Not found.", "status": "404"})

    def test_it_shows_orders_placed_elsewhere_too(self, placed, operator):
        # Given a holiday asked for at the desk
        from subscriptions import services

        order = services.subscription_suspend(
            subscription=placed.subscription, actor=operator, initiator="customer",
            reason="Holiday", resume_on=timezone.localdate() + timedelta(days=7),
            starts_on=timezone.localdate() + timedelta(days=2))
        # When
        answer = client_for(operator).get(f"{TMF}/{order.number}").json()
        # Then
        assert (answer["externalId"], answer["channel"], answer["state"],
                answer["productOrderItem"][0]["action"]) == ("", [{"id": "desk"}],
                                                            "acknowledged", "modify")
        assert order.state == OrderState.ACKNOWLEDGED

    def test_it_costs_the_same_queries_for_one_or_many(self, placed, sale, operator, stock,
                                                       django_assert_max_num_queries,
                                                       django_capture_on_commit_callbacks):
        client = client_for(operator)
        for model in (stock.card, stock.box, stock.modem):
            stock.add(model, 3)
        with CaptureQueriesContext(connection) as one:
            assert len(client.get(TMF).json()) == 1
        # Counted now: the next requests clear the connection's query log.
        limit = len(one)
        for number in range(2, 5):
            with django_capture_on_commit_callbacks(execute=True):
                response = client.post(TMF, {**sale, "externalId": f"WEB-000{number}"},
                                       format="json")
            assert response.status_code == 201, response.content
        with django_assert_max_num_queries(limit):
            assert len(client.get(TMF).json()) == 4


@pytest.mark.django_db
def test_it_documents_the_product_order_endpoints(api_client):
    paths = api_client.get("/api/schema/",
                           HTTP_ACCEPT="application/vnd.oai.openapi+json").json()["paths"]
    tmf = {path: set(operations) for path, operations in paths.items()
           if path.startswith("/tmf-api/")}
    assert tmf == {TMF: {"get", "post"}, f"{TMF}/{{number}}": {"get"}}
    post = paths[TMF]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/ProductOrderInputRequest"}

