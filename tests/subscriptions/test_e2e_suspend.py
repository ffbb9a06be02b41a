"""An operator suspends a subscription for the customer's holiday, in a real
browser: from the subscription page, the dialog shows the dates and the
commands the element managers will get before anything happens; once
confirmed, the page shows the subscription suspended with its planned
resumption, and the element managers have suspended every service once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from subscriptions.choices import Initiator, OrderAction, OrderState, SubscriptionState
from subscriptions.models import Subscription, SubscriptionOrder
from subscriptions.services import UserSpec
from tests.e2e.conftest import log_in, screenshot
from tests.subscriptions.test_pages_detail import lorina  # noqa: F401

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Holiday-password-2026"


def day(value) -> str:
    return f"{value:%A} {value:%d/%m/%Y}"


def fact(container, term: str):
    """The definition of `term` in a list of facts (dt/dd pairs)."""
    return container.locator("dl > div").filter(
        has=container.page.locator("dt", has_text=term)).locator("dd")


@pytest.fixture
def desk_operator(operator):
    operator.set_password(PASSWORD)
    operator.save()
    return operator


@pytest.fixture
def active(sell, simulators, lorina):  # noqa: F811
    """Alice's fibra-tv, sold and active before the browser opens: the
    simulators applied both enable commands."""
    sell(users=[UserSpec(service_user=lorina, credential="lorina@isp.example",
                         ppv_monthly_limit=Decimal("20.00"))])
    subscription = Subscription.objects.get()
    assert subscription.state == SubscriptionState.ACTIVE
    return subscription


def test_an_operator_suspends_a_subscription_for_a_holiday(page, desk_operator, active,  # noqa: F811
                                                           simulators):
    back = timezone.localdate() + timedelta(days=14)
    log_in(page, "olga", PASSWORD)

    # Given the subscription page, with what it has
    page.goto(f"/desk/subscriptions/{active.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("S00000001 · Fibra 300 + TV Total")
    expect(page.locator("#subscription-state")).to_have_text("✓ Active")
    screenshot(page, "subscription-detail")

    # When the operator opens the holiday dialog
    page.get_by_role("link", name="Suspend for a holiday…").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Suspend · S00000001")
    expect(page.get_by_label("The customer (a holiday)")).to_be_checked()
    plan = page.locator("#dialog-plan")
    expect(plan).to_contain_text("Give the day the service comes back to see the whole plan.")

    # and gives the day the service comes back
    page.get_by_label("Comes back on").fill(back.isoformat())
    page.get_by_label("Reason").fill("Summer in Asturias")

    # Then, before confirming, the dialog shows the dates and the network steps
    expect(fact(plan, "Service stops")).to_have_text("Today, as soon as you confirm")
    expect(fact(plan, "Comes back")).to_have_text(f"{day(back)}, by itself")
    expect(fact(plan, "Length")).to_have_text("14 days")
    expect(plan.locator("#plan-money")).to_have_text("No one-off charge for suspending.")
    network = plan.locator("#plan-network")
    expect(network).to_contain_text("Suspend Internet 300 at ISP")
    expect(network).to_contain_text("Suspend TV Total at CAS")
    expect(network).to_contain_text(f"{day(back)}")
    expect(network).to_contain_text("Resume TV Total at CAS")
    assert SubscriptionOrder.objects.count() == 1  # nothing happened yet
    screenshot(page, "subscription-suspend-dialog")

    # When the operator confirms
    page.get_by_role("button", name="Confirm the suspension").click()

    # Then the page says what happens next and shows it suspended
    expect(page.locator(".messages")).to_have_text(
        f"S00000001 is suspended from today (order O00000002). It comes back by itself on "
        f"{day(back)}.")
    expect(page.locator("#subscription-state")).to_have_text("‖ Suspended")
    suspension = page.locator("#suspension")
    expect(fact(suspension, "Asked by")).to_have_text("The customer")
    expect(fact(suspension, "Reason")).to_have_text("Summer in Asturias")
    expect(fact(suspension, "Comes back")).to_have_text(f"{day(back)} (order O00000003)")
    # with the planned resumption at the top of the orders
    planned = page.locator("#order-O00000003")
    expect(planned).to_contain_text("O00000003 · Resumption")
    expect(planned).to_contain_text("◷ Acknowledged")
    expect(fact(planned, "Effective")).to_have_text(day(back))
    expect(page.locator("#subscription-services")).to_contain_text("‖ Suspended")
    screenshot(page, "subscription-suspended")

    active.refresh_from_db()
    assert (active.state, active.suspension_initiator, active.suspension_reason,
            active.resume_on) == (SubscriptionState.SUSPENDED, Initiator.CUSTOMER,
                                  "Summer in Asturias", back)
    resumption = SubscriptionOrder.objects.get(action=OrderAction.RESUME)
    assert (resumption.state, resumption.due_on) == (OrderState.ACKNOWLEDGED, back)
    # Each element manager suspended its service exactly once.
    assert simulators.applied("cas") == [("enable", "S00000001-tv-total"),
                                         ("suspend", "S00000001-tv-total")]
    assert simulators.applied("isp") == [("enable", "S00000001-internet-300"),
                                         ("suspend", "S00000001-internet-300")]
