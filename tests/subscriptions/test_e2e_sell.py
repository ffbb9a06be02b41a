"""An operator sells a subscription to a customer on the phone, in a real
browser: from the customer's 360 page, the coverage of the address, the
offers on sale there, the options with the running total, the service
users, the plan read to the customer, the confirmation, the installation
visit booked in a free window, and the order's milestones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers import services as customer_services
from integrations.simulators.coverage import accesses_at
from subscriptions.choices import OrderState, SubscriptionState
from subscriptions.models import Subscription, SubscriptionOrder
from tests.e2e.conftest import log_in, screenshot
from tests.factories import UserFactory
from tests.workforce.conftest import make_technician, make_zone
from workforce.choices import WorkOrderState
from workforce.models import WorkOrder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Selling-password-2026"


@pytest.fixture
def desk_operator(operator):
    operator.set_password(PASSWORD)
    operator.save()
    return operator


@pytest.fixture
def cable_installers(db):
    """Madrid centro (28001-28015) with a cable installer every day, and
    TV Total needing a technician over cable too."""
    zone = make_zone("mad-centro", "Madrid centro", 28001, 28015, 10, 10)
    dispatcher = UserFactory(username="diego", roles=["dispatcher"])
    make_technician("tomas", actor=dispatcher, zones=[zone], first_name="Tomás",
                    last_name="Torres")
    return zone


def test_an_operator_sells_internet_and_tv_and_books_the_installation(
    page, desk_operator, alice_customer, alice_account, alice_home,
    published_offer, services_catalog, stock, simulators, cable_installers,
):
    # Given Alice on the phone, with her daughter as a service user, and a
    # TV package that needs a technician over cable
    services_catalog.tv.visit_media = ["cable", "satellite"]
    services_catalog.tv.save(update_fields=["visit_media"])
    customer_services.service_user_create(actor=desk_operator, customer=alice_customer,
                                          given_name="Lorina", family_name="Liddell",
                                          relationship="family")
    tomorrow = timezone.localdate() + timedelta(days=1)
    log_in(page, "olga", PASSWORD)
    page.goto(f"/desk/customers/{alice_customer.pk}/")
    panel = page.locator("#panel-subscriptions")
    expect(panel).to_contain_text("No subscriptions yet.")
    screenshot(page, "subscriptions-sell-0-customer")

    # When the operator starts a new subscription from the panel
    panel.get_by_role("link", name="New subscription").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "New subscription for Alice Liddell Pleasance")
    expect(page.get_by_label("Service address")).to_have_value(str(alice_home.pk))
    screenshot(page, "subscriptions-sell-1-where")
    page.get_by_role("button", name="Check coverage and show offers").click()

    # Then the network says what reaches the address
    coverage = page.locator("#coverage")
    expect(coverage).to_contain_text("The network management system answered just now.")
    cable = next(access for access in accesses_at("28013") if access.medium == "cable")
    expect(coverage.get_by_role("row", name="Cable")).to_contain_text(
        f"{cable.down_mbps} Mbit/s down, {cable.up_mbps} up")
    screenshot(page, "subscriptions-sell-1-coverage")

    # When the operator picks cable, the offers on sale there show
    page.get_by_label("Cable").check()
    page.get_by_role("button", name="Show the offers").click()
    expect(page.locator("#coverage")).to_contain_text(
        f"✓ Cable {cable.down_mbps}/{cable.up_mbps} Mbit/s")
    offer = page.get_by_role("region", name="Fibra 300 + TV Total")
    expect(offer).to_contain_text("€49.90 a month")
    expect(offer.get_by_role("definition").last).to_have_text("€100.00")
    expect(offer).to_contain_text("Mailbox +€1.99 a month")
    screenshot(page, "subscriptions-sell-2-offers")
    offer.get_by_role("button", name="Choose Fibra 300 + TV Total").click()

    # When the mailbox option is ticked, the monthly total follows
    expect(page.locator("#sell-monthly")).to_have_text("€49.90")
    page.get_by_label("Mailbox").check()
    expect(page.locator("#sell-monthly")).to_have_text("€51.89")
    expect(page.get_by_label("Billing account")).to_have_value(str(alice_account.pk))
    page.get_by_label("Lorina Liddell", exact=True).check()
    page.get_by_label("Login or card of Lorina Liddell").fill("lorina")
    page.get_by_label("Parental PIN of Lorina Liddell").fill("12")
    screenshot(page, "subscriptions-sell-3-details")
    page.get_by_role("button", name="Review the sale").click()

    # Then a wrong PIN is refused next to its field, with the rest kept
    pin = page.get_by_label("Parental PIN of Lorina Liddell")
    expect(page.locator(".field.has-error", has=pin)).to_contain_text(
        "A parental PIN has 4 digits.")
    expect(page.get_by_label("Mailbox")).to_be_checked()
    expect(page.locator("#sell-monthly")).to_have_text("€51.89")
    screenshot(page, "subscriptions-sell-3-details-error")
    pin.fill("1234")
    page.get_by_role("button", name="Review the sale").click()

    # Then the plan says what will happen, in words for the customer
    plan = page.locator("#sale-plan")
    expect(plan).to_contain_text("€51.89 a month from the day it is active")
    expect(plan).to_contain_text("A set-up fee of €30.00")
    expect(plan).to_contain_text("Leaving earlier costs €100.00.")
    expect(plan).to_contain_text("Set-top box: Humax HD-5000, reserved from the warehouse")
    expect(page.locator("#plan-visit")).to_contain_text(
        "A technician must install TV Total over Cable")
    expect(plan).to_contain_text("CAS: Enable TV Total")
    expect(plan).to_contain_text("Lorina Liddell · login or card lorina · parental PIN set")
    screenshot(page, "subscriptions-sell-4-confirm")
    assert Subscription.objects.count() == 0
    page.get_by_role("button", name="Confirm the sale").click()

    # Then the new order shows, with the free windows for the installation
    order = SubscriptionOrder.objects.get()
    subscription = order.subscription
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"{order.number} · New subscription")
    expect(page.locator(".messages")).to_contain_text(
        f"Subscription {subscription.number} was sold")
    slot = page.get_by_role("button", name=f"Book {tomorrow:%A} {tomorrow:%d/%m} 10:00–12:00")
    expect(slot).to_contain_text("1 technician")
    screenshot(page, "subscriptions-sell-5-order")

    # When the operator books the window agreed with Alice
    slot.click()

    # Then the page gives the sentence to read and the milestones say so
    agreed = f"The technician arrives on {tomorrow:%A} {tomorrow:%d/%m} between 10:00 and 12:00."
    expect(page.locator(".messages")).to_contain_text(agreed)
    expect(page.locator("#order-agreed")).to_have_text(agreed)
    milestones = page.locator("#order-milestones")
    expect(milestones).to_contain_text("Cable reaches 28013 (network management system).")
    expect(milestones).to_contain_text("Humax HD-5000")
    expect(milestones).to_contain_text(f"Visit booked on {tomorrow:%d/%m/%Y} between 10:00 "
                                       "and 12:00.")
    expect(milestones).to_contain_text("Enable applied for TV Total.")
    screenshot(page, "subscriptions-sell-6-booked")
    work_order = WorkOrder.objects.get(number=order.work_order_ref)
    assert work_order.state == WorkOrderState.SCHEDULED
    order.refresh_from_db()
    subscription.refresh_from_db()
    # Waiting for the technician: the network part is done.
    assert (order.state, subscription.state) == (OrderState.IN_PROGRESS,
                                                 SubscriptionState.PENDING_ACTIVATION)
    assert sorted(simulators.applied("cas")) == [("enable", f"{subscription.number}-tv-total")]

    # And back on Alice's page the subscription is on the panel
    page.get_by_role("link", name=f"{alice_customer.number} Alice Liddell Pleasance").first.click()
    panel = page.locator("#panel-subscriptions")
    expect(panel).to_contain_text(subscription.number)
    expect(panel).to_contain_text("Pending activation")
    expect(panel).to_contain_text(order.number)
    panel.scroll_into_view_if_needed()
    screenshot(page, "subscriptions-sell-7-panel")

    # and its number in the search box opens it
    page.locator("#search-box").fill(subscription.number)
    page.locator("#search-box").press("Enter")
    page.wait_for_url(f"**/desk/subscriptions/{subscription.pk}/**")


def test_the_operator_is_told_what_reaches_an_address_and_what_is_sold_there(
    page, desk_operator, alice_customer, alice_account, published_offer,
    simulators,
):
    # Given Alice's second home in Barcelona, where only copper and satellite reach
    customer_services.address_create(actor=desk_operator, customer=alice_customer,
                                     street="Carrer de Mallorca", street_number="401",
                                     postal_code="08013", city="Barcelona")
    log_in(page, "olga", PASSWORD)
    page.goto(f"/desk/subscriptions/new/{alice_customer.pk}/")

    # When the operator asks for cable there
    page.get_by_label("Cable").check()
    page.get_by_role("button", name="Check coverage and show offers").click()

    # Then the refusal is next to the medium, with what does reach it
    medium = page.get_by_role("group", name="Access medium")
    expect(medium).to_contain_text("Cable does not reach 08013. Available there: "
                                   "Copper (ADSL), Satellite.")
    expect(page.locator("#coverage").get_by_role("row", name="Cable")).to_contain_text("✕ No")
    screenshot(page, "subscriptions-sell-where-refused")

    # When the operator takes copper, nothing is on sale there
    page.get_by_label("Copper (ADSL)").check()
    page.get_by_role("button", name="Check coverage and show offers").click()
    expect(page.locator("#no-offers")).to_have_text(
        "No offer is on sale over Copper (ADSL) at 08013. Try another access medium that "
        "reaches the address.")
    screenshot(page, "subscriptions-sell-no-offers")
    assert Subscription.objects.count() == 0
