"""The operator desk's subscription pages of the sale: the Subscriptions
panel of the customer 360 page, subscription and order numbers in the
search box, the new-subscription steps and the new order's page with its
installation visit. Who may open each, what a refused form looks like
(422, the reason next to the field, nothing sold) and what a good one
does (one sale, however many times it is confirmed)."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from callcenter.search import search_everything
from customers import services as customer_services
from customers.choices import CustomerStatus
from customers.models import Customer
from integrations.choices import SystemKind
from integrations.models import CoverageRecord, ExternalSystem
from integrations.simulators.coverage import accesses_at
from inventory.models import EquipmentItem
from subscriptions import services
from subscriptions.choices import Initiator, OrderState, SubscriptionState
from subscriptions.models import (
    ProvisioningStep,
    Subscription,
    SubscriptionOrder,
    SubscriptionUser,
)
from subscriptions.services import orders as order_services
from tests.pages import ANONYMOUS, NO_ROLE, PORTAL, client_for, field_errors, login_url
from tests.subscriptions.conftest import make_offer
from tests.workforce.conftest import make_technician, make_zone, window
from workforce.choices import WorkOrderState
from workforce.models import WorkOrder

pytestmark = pytest.mark.django_db

OPERATOR = "cc_operator"
SUPERVISOR = "cc_supervisor"
DISPATCHER = "dispatcher"
BILLING = "billing_agent"
TECHNICIAN = "field_technician"
CALLERS = [ANONYMOUS, PORTAL, NO_ROLE, OPERATOR, SUPERVISOR, DISPATCHER, BILLING, TECHNICIAN]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def plain(page: str) -> str:
    """The page's text without tags, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def group_errors(page: str, name: str) -> list[str]:
    """The errors shown in the group of choices (a fieldset) holding `name`."""
    control = page.index(f'name="{name}"')
    block = page[page.rfind("<fieldset", 0, control):page.index("</fieldset>", control)]
    lists = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', block, re.DOTALL)
    return [item for errors in lists for item in re.findall(r"<li>(.*?)</li>", errors, re.DOTALL)]


def assert_refused(response, caller: str, path: str) -> None:
    if caller == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == login_url(path)
    else:
        assert response.status_code == 403


def submission_of(page: str) -> str:
    return re.search(r'name="submission" value="([0-9a-f]{32})"', page).group(1)


def sold() -> tuple[int, int, int]:
    """What a refused request must leave as it was."""
    return (Subscription.objects.count(), SubscriptionOrder.objects.count(),
            EquipmentItem.objects.filter(subscription_ref__gt="").count())


# The network without servers: coverage kept from an earlier answer, and the
# element managers registered (nothing is delivered inside a test transaction).


@pytest.fixture
def kept_coverage(db):
    """28013 as the network last described it: cable 300/30 and copper 20/1."""
    checked = timezone.now() - timedelta(days=2)
    for medium, down, up in (("cable", 300, 30), ("copper", 20, 1)):
        CoverageRecord.objects.create(postal_code="28013", medium=medium, max_down_mbps=down,
                                      max_up_mbps=up, checked_at=checked)


@pytest.fixture
def element_managers(db):
    for code, service_kind in (("cas", "tv_package"), ("isp", "internet")):
        ExternalSystem.objects.create(code=code, name=code.upper(),
                                      kind=SystemKind.SERVICE_MANAGEMENT,
                                      service_kind=service_kind,
                                      base_url=f"http://127.0.0.1:9/{code}")


@pytest.fixture
def offline(kept_coverage, element_managers, published_offer, alice_account, alice_home):
    """Everything a sale needs, with the network answering from kept data."""


@pytest.fixture
def lorina(alice_customer, operator):
    return customer_services.service_user_create(actor=operator, customer=alice_customer,
                                                 given_name="Lorina", family_name="Liddell",
                                                 relationship="family")


@pytest.fixture
def bob_account(bob_customer, operator):
    return customer_services.billing_account_create(
        actor=operator, customer=bob_customer, name="Bob's", iban="ES9121000418450200051332",
        delivery_email="bob@example.com")


def sell_url(customer) -> str:
    return f"/desk/subscriptions/new/{customer.pk}/"


@pytest.fixture
def sale(published_offer, alice_home, alice_account):
    """sale(**changes): what the steps post for Fibra 300 + TV over cable at
    Alice's, billed to her account, with the mailbox option."""
    mailbox = published_offer.items.get(role="option").service_id

    def make(**changes) -> dict:
        data = {"service_address": str(alice_home.pk), "access_medium": "cable",
                "offer_version": str(published_offer.pk), "options": [str(mailbox)],
                "billing_account": str(alice_account.pk)}
        data.update(changes)
        return {key: value for key, value in data.items() if value is not None}

    return make


def review(client, customer, data: dict):
    return client.post(sell_url(customer), {**data, "step": "review"})


def confirm(client, customer, data: dict):
    """Review, then confirm with the submission id of the plan shown."""
    page = text_of(review(client, customer, data))
    return client.post(sell_url(customer), {**data, "step": "confirm",
                                            "submission": submission_of(page)})


def make_subscription(customer, account, address, version, actor, **extra) -> Subscription:
    order = services.subscription_create(actor=actor, customer=customer,
                                         billing_account=account, offer_version=version,
                                         service_address=address, access_medium="cable",
                                         **extra)
    return order.subscription


def apply_commands(order: SubscriptionOrder) -> None:
    """As if the element managers acknowledged every command of the order."""
    for step in ProvisioningStep.objects.filter(order=order).select_related("message"):
        order_services.step_applied(message=step.message)


@pytest.fixture
def active_subscription(offline, alice_customer, alice_account, alice_home, published_offer,
                        operator):
    subscription = make_subscription(alice_customer, alice_account, alice_home,
                                      published_offer, operator)
    apply_commands(subscription.orders.get())
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE
    return subscription


# Who may open what ------------------------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_it_opens_the_sale_only_for_roles_that_sell(caller, request, offline, alice_customer):
    client, _user = client_for(caller, request)
    path = sell_url(alice_customer)

    response = client.get(path)

    if caller in (OPERATOR, SUPERVISOR):
        assert response.status_code == 200
        assert 'name="access_medium"' in text_of(response)
    else:
        assert_refused(response, caller, path)


@pytest.mark.parametrize("caller", [ANONYMOUS, PORTAL, NO_ROLE, DISPATCHER, BILLING])
def test_it_sells_nothing_for_roles_that_may_not_sell(caller, request, offline, alice_customer,
                                                      sale):
    client, _user = client_for(caller, request)
    path = sell_url(alice_customer)

    response = client.post(path, {**sale(), "step": "confirm",
                                  "submission": "a" * 32})

    assert_refused(response, caller, path)
    assert sold() == (0, 0, 0)


def test_it_answers_not_found_for_an_unknown_customer(client, operator, offline):
    client.force_login(operator)

    assert client.get("/desk/subscriptions/new/999999/").status_code == 404
    assert client.get("/desk/subscriptions/new/orders/999999/").status_code == 404
    assert client.post("/desk/subscriptions/new/orders/999999/book/").status_code == 404


@pytest.mark.parametrize("caller", CALLERS)
def test_it_shows_the_new_order_to_roles_that_see_subscriptions(caller, request,
                                                                active_subscription):
    client, _user = client_for(caller, request)
    order = active_subscription.orders.get()
    path = f"/desk/subscriptions/new/orders/{order.pk}/"

    response = client.get(path)

    if caller in (OPERATOR, SUPERVISOR, DISPATCHER, BILLING):
        assert response.status_code == 200
        assert order.number in text_of(response)
    elif caller == TECHNICIAN:
        # Sees subscriptions, not their orders: as if it did not exist.
        assert response.status_code == 404
    else:
        assert_refused(response, caller, path)


# The Subscriptions panel of the 360 page ----------------------------------------------


def panel_of(client, customer) -> str:
    response = client.get(f"/desk/customers/{customer.pk}/panels/subscriptions/")
    assert response.status_code == 200
    return text_of(response)


def test_it_says_when_a_customer_has_no_subscription(client, operator, bob_customer):
    client.force_login(operator)

    page = panel_of(client, bob_customer)

    assert page.lstrip().startswith('<section class="card" id="panel-subscriptions"')
    assert "No subscriptions yet." in page
    assert f'href="/desk/subscriptions/new/{bob_customer.pk}/"' in page


def test_the_360_page_loads_the_panel_lazily(client, operator, alice_customer):
    client.force_login(operator)

    page = text_of(client.get(f"/desk/customers/{alice_customer.pk}/"))

    assert f'hx-get="/desk/customers/{alice_customer.pk}/panels/subscriptions/"' in page


def test_it_shows_each_subscription_with_its_state_services_and_open_orders(
    client, operator, active_subscription, offline, alice_customer, alice_account, alice_home,
    published_offer,
):
    pending = make_subscription(alice_customer, alice_account, alice_home, published_offer,
                                operator)
    client.force_login(operator)

    page = panel_of(client, alice_customer)
    text = plain(page)

    new_order = pending.orders.get()
    assert f'href="/desk/subscriptions/{active_subscription.pk}/"' in page
    assert (f"{active_subscription.number} Fibra 300 + TV Total ✓ Active €49.90 a month"
            in text)
    assert f"{pending.number} Fibra 300 + TV Total … Pending activation" in text
    assert "Internet 300 · TV Total" in text
    assert f"{new_order.number} New subscription ▶ In progress" in text
    assert f'href="/desk/subscriptions/new/orders/{new_order.pk}/"' in page
    assert "Calle Mayor 1, 28013 Madrid · Cable · account" in text


def test_it_says_who_suspended_since_when_and_until_when(client, operator, active_subscription,
                                                         alice_customer):
    resume_on = timezone.localdate() + timedelta(days=14)
    services.subscription_suspend(subscription=active_subscription, actor=operator,
                                  initiator=Initiator.CUSTOMER, reason="Holiday in Lapland",
                                  resume_on=resume_on)
    client.force_login(operator)

    text = plain(panel_of(client, alice_customer))

    assert "⏸ Suspended" in text
    assert ("Suspended at the customer's request since "
            f"{timezone.localdate():%d/%m/%Y}: Holiday in Lapland.") in text
    assert f"Resumes by itself on {resume_on:%d/%m/%Y}." in text


def test_it_shows_a_degraded_and_a_pending_termination(client, operator, active_subscription,
                                                       alice_customer):
    services.subscription_degrade(subscription=active_subscription, actor=operator,
                                  reason="Two bills unpaid")
    apply_commands(active_subscription.orders.latest("id"))
    active_subscription.refresh_from_db()
    services.subscription_cancel(subscription=active_subscription, actor=operator,
                                 initiator=Initiator.CUSTOMER, reason="Moving abroad")
    client.force_login(operator)

    text = plain(panel_of(client, alice_customer))

    ends_on = timezone.localdate() + timedelta(days=30)
    assert "⚠ Degraded" in text
    assert (f"since {timezone.localdate():%d/%m/%Y}: Two bills unpaid.") in text
    assert "⌛ Pending termination" in text
    assert f"Cancelled by the customer: Moving abroad. Ends on {ends_on:%d/%m/%Y}." in text


def test_it_offers_no_new_subscription_to_a_role_that_may_not_sell(client, user_with_role,
                                                                   active_subscription,
                                                                   alice_customer):
    client.force_login(user_with_role(BILLING))

    page = panel_of(client, alice_customer)

    assert active_subscription.number in page
    assert "New subscription" not in page.replace("New subscription ▶", "")
    assert "/desk/subscriptions/new/" not in page.replace(
        "/desk/subscriptions/new/orders/", "")


def test_it_shows_no_orders_to_a_role_that_may_not_see_them(client, user_with_role, offline,
                                                            alice_customer, alice_account,
                                                            alice_home, published_offer,
                                                            operator):
    pending = make_subscription(alice_customer, alice_account, alice_home, published_offer,
                                operator)
    client.force_login(user_with_role("marketing_agent"))

    page = panel_of(client, alice_customer)

    assert pending.number in page
    assert pending.orders.get().number not in page


def test_it_does_not_serve_the_panel_to_a_role_without_the_permission(client, user_with_role,
                                                                       alice_customer):
    client.force_login(user_with_role("inventory_clerk"))

    response = client.get(f"/desk/customers/{alice_customer.pk}/panels/subscriptions/")

    assert response.status_code == 403


def test_the_panel_costs_the_same_queries_for_2_or_8_subscriptions(
    client, operator, offline, alice_customer, alice_account, alice_home, published_offer,
):
    def add(count: int) -> None:
        for _ in range(count):
            subscription = make_subscription(alice_customer, alice_account, alice_home,
                                             published_offer, operator)
            apply_commands(subscription.orders.get())
            services.subscription_suspend(subscription=subscription, actor=operator,
                                          initiator=Initiator.PROVIDER, reason="Unpaid")
            make_subscription(alice_customer, alice_account, alice_home, published_offer,
                              operator)

    add(1)
    client.force_login(operator)
    panel_of(client, alice_customer)  # sessions and permissions cached

    with CaptureQueriesContext(connection) as small:
        panel_of(client, alice_customer)
    add(3)
    with CaptureQueriesContext(connection) as large:
        page = panel_of(client, alice_customer)

    assert Subscription.objects.count() == 8
    assert page.count("Suspended by the provider") == 4
    assert len(large) == len(small)
    assert len(small) <= 12


# The search box ----------------------------------------------------------------------


def test_a_subscription_number_opens_the_subscription(client, operator, active_subscription):
    client.force_login(operator)
    number = active_subscription.number

    for query in (number, number.lower(), f"S{int(number[1:])}", f" s {int(number[1:])} "):
        response = client.get("/desk/search/", {"q": query})

        assert (query, response.status_code, response["Location"]) == (
            query, 302, f"/desk/subscriptions/{active_subscription.pk}/")


def test_an_order_number_opens_its_subscription_at_the_order(client, operator,
                                                             active_subscription):
    order = active_subscription.orders.get()
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": f"o{int(order.number[1:])}"})

    assert response.status_code == 302
    assert response["Location"] == (f"/desk/subscriptions/{active_subscription.pk}/"
                                    f"#order-{order.number}")


def test_the_search_lists_what_matched(client, operator, active_subscription):
    client.force_login(operator)

    page = text_of(client.get("/desk/search/", {"q": active_subscription.number,
                                                "list": "1"}))

    assert f"{active_subscription.number} · Fibra 300 + TV Total" in plain(page)
    assert "Subscription: <mark>" in page
    assert "Alice Liddell Pleasance · Active" in page


@pytest.mark.parametrize("query", ["S99999999", "O99999999", "S", "S-12", "SO12",
                                   "S1234567890123", "subscription"])
def test_an_unknown_or_malformed_number_finds_no_subscription(operator, active_subscription,
                                                              query):
    result = search_everything(query=query, actor=operator)

    assert [hit for hit in result.hits if hit.kind.startswith("subscription")] == []


def test_a_role_that_may_not_see_orders_finds_no_order(user_with_role, active_subscription):
    technician = user_with_role(TECHNICIAN)
    order = active_subscription.orders.get()

    assert search_everything(query=order.number, actor=technician).hits == []
    assert [hit.kind for hit in search_everything(query=active_subscription.number,
                                                  actor=technician).hits] == ["subscription"]


def test_a_role_that_may_not_see_subscriptions_finds_none(user_with_role, active_subscription):
    clerk = user_with_role("inventory_clerk")

    result = search_everything(query=active_subscription.number, actor=clerk)

    assert result.hits == []


# Step 1: where ------------------------------------------------------------------------


def test_it_offers_only_the_customers_active_service_addresses(client, operator, offline,
                                                               alice_customer, bob_customer):
    bobs = customer_services.address_create(actor=operator, customer=bob_customer,
                                            street="Calle Alcalá", street_number="3",
                                            postal_code="28014", city="Madrid")
    client.force_login(operator)

    page = text_of(client.get(sell_url(alice_customer)))

    assert "Calle Mayor 1, 28013 Madrid" in page
    assert f'value="{bobs.pk}"' not in page


def test_it_says_when_there_is_no_service_address(client, operator, bob_customer):
    client.force_login(operator)

    page = text_of(client.get(sell_url(bob_customer)))

    assert "This customer has no active service address" in page
    assert 'name="access_medium"' not in page


def test_it_shows_the_coverage_before_a_medium_is_chosen(client, operator, offline,
                                                         alice_customer, alice_home):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer),
                           {"service_address": alice_home.pk, "step": "check"})

    assert response.status_code == 200
    text = plain(text_of(response))
    assert "Copper (ADSL) ✓ Yes 20 Mbit/s down, 1 up" in text
    assert "Cable ✓ Yes 300 Mbit/s down, 30 up" in text
    assert "Satellite ✕ No" in text
    # The network did not answer: the coverage it gave two days ago.
    assert "The network management system does not answer: this is the coverage it gave" in text


def test_it_says_next_to_the_medium_when_it_does_not_reach_the_address(
    client, operator, offline, alice_customer, sale,
):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer),
                           {**sale(access_medium="satellite"), "step": "check"})

    assert response.status_code == 422
    assert group_errors(text_of(response), "access_medium") == [
        "Satellite does not reach 28013. Available there: Cable, Copper (ADSL)."]


def test_it_says_next_to_the_address_when_nobody_can_tell_the_coverage(
    client, operator, element_managers, alice_customer, sale,
):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {**sale(), "step": "check"})

    assert response.status_code == 422
    assert field_errors(text_of(response), "service_address") == [
        "Cannot check coverage at 28013: No network management system is registered. "
        "Try again later."]


def test_it_asks_the_network_when_it_answers(client, operator, simulators, published_offer,
                                             alice_customer, sale):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {**sale(), "step": "check"})

    assert response.status_code == 200
    text = plain(text_of(response))
    cable = next(access for access in accesses_at("28013") if access.medium == "cable")
    assert f"✓ Cable {cable.down_mbps}/{cable.up_mbps} Mbit/s" in text
    assert "(the network answered just now)" in text
    assert "On sale over Cable at 28013" in text
    assert "Choose Fibra 300 + TV Total" in text
    assert CoverageRecord.objects.filter(postal_code="28013", medium="satellite").exists()


# Step 2: the offers and the details ----------------------------------------------------


def test_it_lists_the_offers_on_sale_with_their_terms(client, operator, offline, services_catalog,
                                                      marketing, alice_customer, sale):
    # An offer sold only in Barcelona is not offered in Madrid
    from subscriptions.services.catalog import offer_version_publish

    offer_version_publish(version=make_offer(services_catalog, actor=marketing, code="bcn",
                                             name="Barcelona only", regions=["08"]),
                          actor=marketing)
    client.force_login(operator)

    text = plain(text_of(client.post(sell_url(alice_customer), {**sale(), "step": "check"})))

    assert "Fibra 300 + TV Total v1 €49.90 a month" in text
    assert ("Set-up fee €30.00 Minimum term 12 months Notice to cancel 30 days "
            "Early-termination fee €100.00") in text
    assert "Included: Internet 300 (300/30 Mbit/s) TV Total" in text
    assert "Options: Mailbox +€1.99 a month" in text
    assert "Barcelona only" not in text


def test_it_flags_an_offer_the_line_is_too_slow_for(client, operator, offline, alice_customer,
                                                    published_offer, sale):
    published_offer.offer_id  # noqa: B018 (fibra-tv is sold over cable only)
    published_offer.__class__.objects.filter(pk=published_offer.pk).update(access_media=[])
    client.force_login(operator)

    text = plain(text_of(client.post(sell_url(alice_customer),
                                     {**sale(access_medium="copper"), "step": "check"})))

    assert "⚠ Internet 300 needs 300 Mbit/s; this line gives 20." in text


def test_it_says_when_no_offer_is_on_sale_there(client, operator, offline, alice_customer,
                                                published_offer, sale):
    client.force_login(operator)

    page = text_of(client.post(sell_url(alice_customer),
                               {**sale(access_medium="copper"), "step": "check"}))

    assert "No offer is on sale over Copper (ADSL) at 28013." in page


def test_choosing_an_offer_shows_its_options_accounts_and_users(client, operator, offline,
                                                                alice_customer, sale, lorina,
                                                                alice_account):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {**sale(options=None), "step": "offer"})

    assert response.status_code == 200
    page = text_of(response)
    text = plain(page)
    assert "Mailbox +€1.99 a month" in text
    assert "Monthly total: €49.90" in text
    assert f'<option value="{alice_account.pk}" selected>' in page
    assert f'name="users" value="{lorina.pk}"' in page
    assert f'name="user-{lorina.pk}-parental_pin"' in page


def test_the_total_follows_the_options_ticked(client, operator, offline, alice_customer, sale):
    client.force_login(operator)
    url = f"{sell_url(alice_customer)}total/"

    with_mailbox = client.post(url, sale(), headers={"HX-Request": "true"})
    without = client.post(url, sale(options=None), headers={"HX-Request": "true"})
    garbage = client.post(url, sale(offer_version="nope"), headers={"HX-Request": "true"})

    assert plain(text_of(with_mailbox)).startswith("Monthly total: €51.89 (€49.90 for the "
                                                   "offer + €1.99 Mailbox)")
    assert "Monthly total: €49.90" in plain(text_of(without))
    assert "<html" not in text_of(with_mailbox)
    assert garbage.status_code == 422
    assert "The total cannot be worked out" in text_of(garbage)


# Step 3: the plan and the confirmation --------------------------------------------------


def test_the_plan_says_what_will_happen(client, operator, offline, alice_customer, sale, stock,
                                        lorina):
    client.force_login(operator)

    response = review(client, alice_customer, {
        **sale(), "users": [str(lorina.pk)], f"user-{lorina.pk}-credential": "lorina",
        f"user-{lorina.pk}-parental_pin": "1234", f"user-{lorina.pk}-ppv_allowed": "on",
        f"user-{lorina.pk}-ppv_monthly_limit": "20"})

    assert response.status_code == 200
    text = plain(text_of(response))
    assert "€51.89 a month from the day it is active, billed to account" in text
    assert "A set-up fee of €30.00, charged once when the subscription is active" in text
    assert "Minimum term: 12 months from activation. Leaving earlier costs €100.00." in text
    assert "To cancel, give 30 days of notice." in text
    assert "Set-top box: Humax HD-5000, reserved from the warehouse" in text
    assert "No technician visit" in text
    assert "ISP : Enable Internet 300; Enable Mailbox" in text
    assert "CAS : Enable TV Total" in text
    assert ("Lorina Liddell · login or card lorina · parental PIN set · pay-per-view up to "
            "€20.00 a month") in text
    assert sold() == (0, 0, 0)


def test_the_plan_warns_when_the_warehouse_is_empty(client, operator, offline, alice_customer,
                                                    sale, stock):
    EquipmentItem.objects.filter(model=stock.box).delete()
    client.force_login(operator)

    text = plain(text_of(review(client, alice_customer, sale())))

    assert "Set-top box: Humax HD-5000, reserved from the warehouse — ⚠ none in stock now" in text


def test_an_operator_sells_and_goes_to_the_new_order(client, operator, offline, alice_customer,
                                                     sale, stock, lorina):
    client.force_login(operator)

    response = confirm(client, alice_customer, {
        **sale(), "users": [str(lorina.pk)], f"user-{lorina.pk}-parental_pin": "1234",
        f"user-{lorina.pk}-ppv_monthly_limit": "20"})

    subscription = Subscription.objects.get()
    order = subscription.orders.get()
    assert response.status_code == 302
    assert response["Location"] == f"/desk/subscriptions/new/orders/{order.pk}/"
    assert (subscription.customer, subscription.created_by, subscription.access_medium) == (
        alice_customer, operator, "cable")
    assert sorted(subscription.items.values_list("service__code", "role")) == [
        ("internet-300", "included"), ("mailbox", "option"), ("tv-total", "included")]
    user = SubscriptionUser.objects.get()
    assert (user.service_user, user.ppv_monthly_limit, user.ppv_allowed) == (
        lorina, Decimal("20.00"), False)
    assert user.parental_pin.startswith(("pbkdf2", "argon2", "md5"))
    page = text_of(client.get(response["Location"]))
    assert f"Subscription {subscription.number} was sold: order {order.number} is under way." \
        in page
    assert "Cable reaches 28013 (coverage data kept on" in page


def test_confirming_twice_sells_once(client, operator, offline, alice_customer, sale, stock):
    client.force_login(operator)
    data = sale()
    submission = submission_of(text_of(review(client, alice_customer, data)))
    posted = {**data, "step": "confirm", "submission": submission}

    first = client.post(sell_url(alice_customer), posted)
    second = client.post(sell_url(alice_customer), posted)

    assert sold()[:2] == (1, 1)
    assert first.status_code == second.status_code == 302
    assert second["Location"] == first["Location"]
    assert "This sale was already confirmed; here is its order." in text_of(
        client.get(second["Location"]))


def test_a_confirmation_that_crossed_the_first_one_finds_its_sale(
    client, operator, offline, alice_customer, sale, stock, monkeypatch,
):
    # Given the first click made the sale while the second was on its way
    from subscriptions.views import sell as sell_views

    client.force_login(operator)
    data = sale()
    submission = submission_of(text_of(review(client, alice_customer, data)))
    posted = {**data, "step": "confirm", "submission": submission}
    first = client.post(sell_url(alice_customer), posted)
    looked_up = []
    real = sell_views._already_sold

    def not_yet_then_found(customer, token):
        looked_up.append(token)
        return None if len(looked_up) == 1 else real(customer, token)

    monkeypatch.setattr(sell_views, "_already_sold", not_yet_then_found)

    # When the second reaches the service, which refuses the same submission
    second = client.post(sell_url(alice_customer), posted)

    # Then it goes to the same order, and nothing more was sold
    assert second.status_code == 302
    assert second["Location"] == first["Location"]
    assert len(looked_up) == 2
    assert sold()[:2] == (1, 1)


def test_a_submission_of_another_customers_sale_sells_nothing_for_them(
    client, operator, offline, alice_customer, sale, stock, bob_customer,
):
    client.force_login(operator)
    data = sale()
    submission = submission_of(text_of(review(client, alice_customer, data)))
    client.post(sell_url(alice_customer), {**data, "step": "confirm", "submission": submission})
    bobs_address = customer_services.address_create(actor=operator, customer=bob_customer,
                                                    street="Calle Alcalá", street_number="3",
                                                    postal_code="28013", city="Madrid")
    bobs_account = customer_services.billing_account_create(
        actor=operator, customer=bob_customer, name="Bob's", delivery_email="bob@example.com",
        iban="ES9121000418450200051332")

    response = client.post(sell_url(bob_customer), {
        **sale(service_address=str(bobs_address.pk), billing_account=str(bobs_account.pk)),
        "step": "confirm", "submission": submission})

    assert response.status_code == 422
    assert "An order with this external id was already received." in text_of(response)
    assert Subscription.objects.filter(customer=bob_customer).count() == 0


def test_each_review_makes_a_new_submission(client, operator, offline, alice_customer, sale):
    client.force_login(operator)

    first = submission_of(text_of(review(client, alice_customer, sale())))
    second = submission_of(text_of(review(client, alice_customer, sale())))

    assert first != second


def test_change_something_goes_back_with_what_was_typed(client, operator, offline,
                                                        alice_customer, sale, lorina):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {
        **sale(), "users": [str(lorina.pk)], f"user-{lorina.pk}-credential": "lorina",
        "step": "details"})

    page = text_of(response)
    assert response.status_code == 200
    assert f'name="user-{lorina.pk}-credential" value="lorina"' in page
    assert re.search(r'name="options" value="\d+"[^>]*checked', page)
    assert "Monthly total: €51.89" in plain(page)


def test_a_refusal_at_confirmation_shows_next_to_the_field(client, operator, offline,
                                                           alice_customer, sale, stock):
    client.force_login(operator)
    data = sale()
    submission = submission_of(text_of(review(client, alice_customer, data)))
    EquipmentItem.objects.filter(model=stock.box).delete()  # taken meanwhile

    response = client.post(sell_url(alice_customer),
                           {**data, "step": "confirm", "submission": submission})

    assert response.status_code == 422
    assert field_errors(text_of(response), "serials") == [
        "No set-top box of a suitable model is in stock."]
    assert sold() == (0, 0, 0)


def test_a_former_customer_is_told_to_reactivate_first(client, operator, offline,
                                                       alice_customer, sale):
    Customer.objects.filter(pk=alice_customer.pk).update(status=CustomerStatus.FORMER)
    client.force_login(operator)

    opened = text_of(client.get(sell_url(alice_customer)))
    response = confirm(client, alice_customer, sale())

    assert "This is a former customer" in opened
    assert response.status_code == 422
    assert "A former customer must be reactivated first." in text_of(response)
    assert sold() == (0, 0, 0)


# Bad input: the reason next to the field, never a crash, nothing sold --------------------


@pytest.fixture
def strangers(bob_customer, bob_account, operator):
    """Bob's address and user, which Alice's sale may not use."""
    address = customer_services.address_create(actor=operator, customer=bob_customer,
                                               street="Calle Alcalá", street_number="3",
                                               postal_code="28014", city="Madrid")
    user = customer_services.service_user_create(actor=operator, customer=bob_customer,
                                                 given_name="Wendy")
    return address, bob_account, user


BAD_WHERE = [
    ({"service_address": ""}, "service_address", "Choose the address where the service is used."),
    ({"service_address": "abc"}, "service_address",
     "Choose one of the customer's service addresses."),
    ({"service_address": "99999999999999999999999"}, "service_address",
     "Choose one of the customer's service addresses."),
    ({"access_medium": "fibre"}, "access_medium", "Choose copper, cable or satellite."),
]


@pytest.mark.parametrize("step", ["check", "offer", "review", "confirm"])
@pytest.mark.parametrize(("changes", "field", "message"), BAD_WHERE)
def test_it_refuses_a_bad_address_or_medium_at_any_step(client, operator, offline,
                                                        alice_customer, sale, step, changes,
                                                        field, message):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {**sale(**changes), "step": step,
                                                      "submission": "b" * 32})

    assert response.status_code == 422
    page = text_of(response)
    errors = group_errors(page, field) if field == "access_medium" else field_errors(page, field)
    assert errors == [message]
    assert sold() == (0, 0, 0)


def test_it_asks_for_a_medium_before_the_offers(client, operator, offline, alice_customer, sale):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer),
                           {**sale(access_medium=""), "step": "offer"})

    assert response.status_code == 422
    assert group_errors(text_of(response), "access_medium") == [
        "Choose how the service reaches the address."]


@pytest.mark.parametrize("offer_version", ["", "x", "-1", "1e9", "999999"])
def test_it_refuses_an_offer_that_is_not_on_sale_there(client, operator, offline,
                                                       alice_customer, sale, offer_version):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer),
                           {**sale(offer_version=offer_version), "step": "review"})

    assert response.status_code == 422
    page = plain(text_of(response))
    assert ("Choose an offer." if not offer_version else
            "That offer is not on sale for this address and medium any more") in page
    assert "Choose Fibra 300 + TV Total" in page
    assert sold() == (0, 0, 0)


def bad_details(lorina, strangers, services_catalog) -> list[tuple[dict, str, str]]:
    bobs_address, bobs_account, wendy = strangers
    key = str(lorina.pk)
    return [
        ({"billing_account": ""}, "billing_account", "Choose the account that pays."),
        ({"billing_account": str(bobs_account.pk)}, "billing_account",
         "Choose one of the customer's open accounts."),
        ({"billing_account": "x" * 500}, "billing_account",
         "Choose one of the customer's open accounts."),
        ({"options": [str(services_catalog.tv.pk)]}, "options",
         f"{services_catalog.tv.pk} is not an option of this offer."),
        ({"users": [str(wendy.pk)]}, "users",
         "Choose among the customer's active service users."),
        ({"users": [key], f"user-{key}-parental_pin": "12ab"}, f"user-{key}-parental_pin",
         "A parental PIN has 4 digits."),
        ({"users": [key], f"user-{key}-parental_pin": "12345"}, f"user-{key}-parental_pin",
         "Ensure this value has at most 4 characters (it has 5)."),
        ({"users": [key], f"user-{key}-ppv_monthly_limit": "-1"}, f"user-{key}-ppv_monthly_limit",
         "A limit cannot be negative."),
        ({"users": [key], f"user-{key}-ppv_monthly_limit": "abc"},
         f"user-{key}-ppv_monthly_limit", "Type an amount such as 20 or 20.50."),
        ({"users": [key], f"user-{key}-ppv_monthly_limit": "1e999"},
         f"user-{key}-ppv_monthly_limit", "At most 999999.99."),
        ({"users": [key], f"user-{key}-ppv_monthly_limit": "NaN"},
         f"user-{key}-ppv_monthly_limit", "Type an amount such as 20 or 20.50."),
        ({f"user-{key}-credential": "lorina"}, f"user-{key}-credential",
         "Tick Lorina Liddell to add them to the subscription, or clear their fields."),
        ({"serials": "NOPE-1"}, "serials", "No equipment item NOPE-1. Check it against the label."),
        ({"serials": " ".join(f"S{number}" for number in range(11))}, "serials",
         "At most 10 serials."),
        ({"serials": "X" * 65}, "serials", "A serial number has at most 64 characters."),
    ]


@pytest.mark.parametrize("case", range(15))
def test_it_refuses_bad_details_next_to_the_field(client, operator, offline, alice_customer, sale,
                                                  lorina, strangers, services_catalog, stock,
                                                  case):
    changes, field, message = bad_details(lorina, strangers, services_catalog)[case]
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {**sale(**changes), "step": "review"})

    assert response.status_code == 422
    page = text_of(response)
    errors = (group_errors(page, field) if field in ("options", "users")
              else field_errors(page, field))
    assert errors == [message]
    assert sold() == (0, 0, 0)


def test_a_serial_the_offer_does_not_need_is_refused(client, operator, offline, alice_customer,
                                                     sale, stock):
    card = EquipmentItem.objects.filter(model=stock.card).first()
    stock.card.access_media = ["satellite"]
    stock.card.save(update_fields=["access_media"])
    client.force_login(operator)

    response = review(client, alice_customer, sale(serials=card.serial_number))

    assert response.status_code == 422
    assert field_errors(text_of(response), "serials") == [
        f"{card.serial_number} (Nagra Merlin) is not equipment this offer needs over Cable."]


def test_a_serial_that_is_not_in_stock_is_refused(client, operator, offline, alice_customer,
                                                  sale, stock, bob_customer, bob_account):
    from inventory import services as inventory

    box = EquipmentItem.objects.filter(model=stock.box).first()
    inventory.equipment_item_reserve(item=box, customer=bob_customer, actor=operator)
    client.force_login(operator)

    response = review(client, alice_customer, sale(serials=box.serial_number))

    assert response.status_code == 422
    assert field_errors(text_of(response), "serials") == [
        f"{box.serial_number} is not in stock: it is “Reserved”. Give another one, or leave it "
        "empty to take one from the warehouse."]


def test_a_serial_in_hand_is_reserved(client, operator, offline, alice_customer, sale, stock):
    box = EquipmentItem.objects.filter(model=stock.box).order_by("-id").first()
    client.force_login(operator)

    text = plain(text_of(review(client, alice_customer, sale(serials=box.serial_number.lower()))))
    response = confirm(client, alice_customer, sale(serials=box.serial_number))

    assert f"Set-top box: {box.serial_number} (in hand), reserved for the customer" in text
    assert response.status_code == 302
    box.refresh_from_db()
    assert box.subscription_ref == Subscription.objects.get().number


@pytest.mark.parametrize("submission", ["", "x", "A" * 32, "0" * 31, "g" * 32, "0" * 33])
def test_a_confirmation_without_a_good_submission_sells_nothing(client, operator, offline,
                                                                alice_customer, sale, stock,
                                                                submission):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {**sale(), "step": "confirm",
                                                      "submission": submission})

    assert response.status_code == 422
    page = text_of(response)
    assert "This confirmation has expired; review the sale again." in page
    assert re.fullmatch(r"[0-9a-f]{32}", submission_of(page))
    assert sold() == (0, 0, 0)


@pytest.mark.parametrize("step", ["", "explode", "confirm\x00", "where"])
def test_an_unknown_step_never_crashes(client, operator, offline, alice_customer, sale, step):
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {**sale(), "step": step})

    assert response.status_code in (200, 422)
    assert sold() == (0, 0, 0)


def test_an_empty_post_asks_for_the_address(client, operator, offline, alice_customer,
                                            bob_customer):
    customer_services.address_create(actor=operator, customer=alice_customer,
                                     street="Calle Sol", street_number="2",
                                     postal_code="28013", city="Madrid")
    client.force_login(operator)

    response = client.post(sell_url(alice_customer), {})

    assert response.status_code == 422
    assert field_errors(text_of(response), "service_address") == [
        "Choose the address where the service is used."]


# The new order and its installation visit -------------------------------------------------


@pytest.fixture
def visit_order(offline, services_catalog, alice_customer, alice_account, alice_home,
                published_offer, operator, stock):
    """A sale whose TV needs a technician over cable, in a zone with one."""
    services_catalog.tv.visit_media = ["cable", "satellite"]
    services_catalog.tv.save(update_fields=["visit_media"])
    zone = make_zone("mad-centro", "Madrid centro", 28001, 28015, 10, 10)
    make_technician("tomas", actor=None, zones=[zone], first_name="Tomás")
    subscription = make_subscription(alice_customer, alice_account, alice_home,
                                     published_offer, operator)
    return subscription.orders.get()


def test_the_new_order_offers_the_free_windows_of_the_week(client, operator, visit_order):
    client.force_login(operator)
    tomorrow = timezone.localdate() + timedelta(days=1)

    response = client.get(f"/desk/subscriptions/new/orders/{visit_order.pk}/")

    page = text_of(response)
    assert response.status_code == 200
    assert f"Book {tomorrow:%A} {tomorrow:%d/%m} 10:00–12:00" in page
    assert "Work order created" not in page  # milestones are in words of their own
    assert f"Work order {visit_order.work_order_ref} created (Installation)" in page
    assert "Waiting for the network to enable the services and for the technician" in page


def test_the_slot_search_answers_htmx_with_the_booking_part_only(client, operator, visit_order):
    client.force_login(operator)
    first = timezone.localdate() + timedelta(days=2)

    response = client.get(f"/desk/subscriptions/new/orders/{visit_order.pk}/",
                          {"first": f"{first:%Y-%m-%d}", "last": f"{first:%Y-%m-%d}"},
                          headers={"HX-Request": "true", "HX-Target": "booking"})

    page = text_of(response)
    assert page.lstrip().startswith('<div id="booking">')
    assert f"Free arrival windows from {first:%d/%m/%Y} to {first:%d/%m/%Y}" in page


def test_it_refuses_a_bad_range_of_days_next_to_the_field(client, operator, visit_order):
    client.force_login(operator)
    today = timezone.localdate()

    response = client.get(f"/desk/subscriptions/new/orders/{visit_order.pk}/",
                          {"first": f"{today:%Y-%m-%d}", "last": "2001-01-01"})

    assert response.status_code == 422
    assert field_errors(text_of(response), "last") == ["The last day must be on or after the "
                                                       "first."]


@pytest.mark.parametrize(("first", "last"), [("9999-12-31", "9999-12-31"),
                                              ("2100-01-01", "2100-01-07")])
def test_it_looks_a_year_ahead_at_most(client, operator, visit_order, first, last):
    client.force_login(operator)

    response = client.get(f"/desk/subscriptions/new/orders/{visit_order.pk}/",
                          {"first": first, "last": last})

    assert response.status_code == 422
    horizon = timezone.localdate() + timedelta(days=365)
    assert field_errors(text_of(response), "last") == [
        f"Look at most a year ahead, up to {horizon:%d/%m/%Y}."]


def test_an_operator_books_the_visit_and_is_told_what_to_say(client, operator, visit_order):
    client.force_login(operator)
    tomorrow = timezone.localdate() + timedelta(days=1)
    start, _end = window(tomorrow, 12)

    response = client.post(f"/desk/subscriptions/new/orders/{visit_order.pk}/book/",
                           {"window_start": start.isoformat()})

    assert response.status_code == 302
    assert response["Location"] == f"/desk/subscriptions/new/orders/{visit_order.pk}/"
    page = text_of(client.get(response["Location"]))
    agreed = f"The technician arrives on {tomorrow:%A} {tomorrow:%d/%m} between 12:00 and 14:00."
    assert f"Visit booked for {visit_order.number}. Tell the customer: {agreed}" in page
    assert f'<p class="agreed" id="order-agreed"><strong>{agreed}</strong></p>' in page
    assert f"Visit booked on {tomorrow:%d/%m/%Y} between 12:00 and 14:00." in page
    assert "Reschedule: show the free windows" in page
    work_order = WorkOrder.objects.get(number=visit_order.work_order_ref)
    assert work_order.state == WorkOrderState.SCHEDULED


@pytest.mark.parametrize("window_start", ["", "tomorrow", "2001-01-01T10:00:00+01:00",
                                          "9999-12-31T23:59:59", "2026-13-45T10:00"])
def test_it_refuses_a_window_that_was_never_offered(client, operator, visit_order,
                                                    window_start):
    client.force_login(operator)

    response = client.post(f"/desk/subscriptions/new/orders/{visit_order.pk}/book/",
                           {"window_start": window_start})

    assert response.status_code == 422
    assert '<div class="form-errors" role="alert">' in text_of(response)
    work_order = WorkOrder.objects.get(number=visit_order.work_order_ref)
    assert work_order.state == WorkOrderState.GENERATED


@pytest.mark.parametrize("caller", [ANONYMOUS, PORTAL, DISPATCHER, BILLING])
def test_only_sellers_book_the_visit(caller, request, visit_order):
    client, _user = client_for(caller, request)
    path = f"/desk/subscriptions/new/orders/{visit_order.pk}/book/"
    start, _end = window(timezone.localdate() + timedelta(days=1), 10)

    response = client.post(path, {"window_start": start.isoformat()})

    assert_refused(response, caller, path)
    work_order = WorkOrder.objects.get(number=visit_order.work_order_ref)
    assert work_order.state == WorkOrderState.GENERATED


def test_an_order_without_a_visit_says_so(client, operator, active_subscription):
    client.force_login(operator)
    order = active_subscription.orders.get()

    page = text_of(client.get(f"/desk/subscriptions/new/orders/{order.pk}/"))

    assert order.state == OrderState.COMPLETED
    assert "Done: every service is enabled and the subscription is active." in page
    assert 'id="visit"' not in page
    assert "✓ Applied" in page


def test_it_says_why_no_window_can_be_offered(client, operator, offline, services_catalog,
                                              alice_customer, alice_account, alice_home,
                                              published_offer, stock):
    # A visit is needed, but no zone covers 28013
    services_catalog.tv.visit_media = ["cable"]
    services_catalog.tv.save(update_fields=["visit_media"])
    order = make_subscription(alice_customer, alice_account, alice_home, published_offer,
                              operator).orders.get()
    client.force_login(operator)

    page = text_of(client.get(f"/desk/subscriptions/new/orders/{order.pk}/"))

    assert ("No zone covers postal code 28013, so no technician can go there. Ask a "
            "dispatcher to add it to a zone.") in page
    assert 'name="window_start"' not in page
