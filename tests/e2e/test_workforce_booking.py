"""An operator books a technician's visit for a customer on the phone, in a
real browser: from the customer's 360 page, a new installation order, the
free arrival windows, one booked, and the order on the Work orders panel."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from customers import services as customer_services
from tests.e2e.conftest import log_in, screenshot
from tests.factories import UserFactory
from workforce import services
from workforce.choices import Skill, WorkOrderState
from workforce.models import PostcodeRange, WorkOrder, Zone

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Booking-password-2026"


@pytest.fixture
def desk_operator(operator):
    operator.set_password(PASSWORD)
    operator.save()
    return operator


@pytest.fixture
def madrid_technicians(db, operator):
    """Two cable technicians covering Madrid centro, every day 08:00-17:00."""
    zone = Zone.objects.create(code="mad-centro", name="Madrid centro", x_km=10, y_km=10)
    PostcodeRange.objects.create(zone=zone, first=28001, last=28015)
    dispatcher = UserFactory(username="diego", first_name="Diego", last_name="Díaz",
                             roles=["dispatcher"])
    for username, first_name in (("tomas", "Tomás"), ("ursula", "Úrsula")):
        user = UserFactory(username=username, first_name=first_name, last_name="Torres",
                           roles=["field_technician"])
        services.technician_profile_save(
            technician=user, actor=dispatcher, zones=[zone],
            data={"skills": [Skill.CABLE_INSTALL, Skill.CABLE_REPAIR],
                  "work_days": [0, 1, 2, 3, 4, 5, 6], "shift_start": time(8),
                  "shift_end": time(17), "home_zone": zone})
    return zone


def test_an_operator_creates_an_installation_and_books_a_slot(
    page, desk_operator, alice_customer, madrid_technicians,
):
    # Given Alice on the phone, with a service address in Madrid centro
    customer_services.address_create(actor=desk_operator, customer=alice_customer,
                                     street="Calle Mayor", street_number="12",
                                     details="2º A", postal_code="28013", city="Madrid")
    tomorrow = timezone.localdate() + timedelta(days=1)
    log_in(page, "olga", PASSWORD)
    page.goto(f"/desk/customers/{alice_customer.pk}/")
    panel = page.locator("#panel-work_orders")
    expect(panel).to_contain_text("No work orders.")

    # When the operator creates an installation from the Work orders panel
    panel.get_by_role("link", name="New work order").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "New work order for Alice Liddell Pleasance")
    page.get_by_label("Kind of visit").select_option(label="Installation")
    page.get_by_label("Cable installation").check()
    page.get_by_label("Estimated minutes").fill("90")
    page.get_by_label("Notes for the technician").fill("Ring at the side door.")
    screenshot(page, "workforce-order-create")
    page.get_by_role("button", name="Create and find a slot").click()

    # Then the free windows of the coming days are offered
    order = WorkOrder.objects.get()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        f"Book a visit for {order.number}")
    expect(page.locator(".messages")).to_contain_text(f"Work order {order.number} was created")
    day_row = page.locator("table.slots tr", has_text=f"{tomorrow:%A} {tomorrow:%d/%m}")
    slot = day_row.get_by_role("button", name=f"Book {tomorrow:%A} {tomorrow:%d/%m} 10:00–12:00")
    expect(slot).to_contain_text("2 technicians")
    screenshot(page, "workforce-book-slots")

    # When the operator asks for other days, the grid follows
    page.get_by_label("Last day").fill(f"{tomorrow + timedelta(days=2):%Y-%m-%d}")
    page.get_by_label("First day").fill(f"{tomorrow:%Y-%m-%d}")
    page.get_by_role("button", name="Show free slots").click()
    expect(page.locator("#slots-title")).to_have_text(
        f"Free arrival windows from {tomorrow:%d/%m/%Y} to "
        f"{tomorrow + timedelta(days=2):%d/%m/%Y}")
    expect(page.locator("table.slots tbody tr")).to_have_count(3)

    # and books the one agreed with Alice
    page.get_by_role("button", name=f"Book {tomorrow:%A} {tomorrow:%d/%m} 10:00–12:00").click()

    # Then the page says in plain words what was agreed
    agreed = (f"The technician arrives on {tomorrow:%A} {tomorrow:%d/%m} "
              "between 10:00 and 12:00.")
    expect(page.locator(".messages")).to_contain_text(agreed)
    expect(page.locator("#order-agreed")).to_have_text(agreed)
    expect(page.locator("#order-timeline")).to_contain_text("Appointment booked")
    screenshot(page, "workforce-order-detail")
    order.refresh_from_db()
    assert order.state == WorkOrderState.SCHEDULED

    # and back on Alice's page the order is in the Work orders panel
    page.get_by_role("link", name=f"{alice_customer.number} Alice Liddell Pleasance").click()
    panel = page.locator("#panel-work_orders")
    expect(panel).to_contain_text(order.number)
    expect(panel).to_contain_text("Scheduled")
    expect(panel).to_contain_text("10:00–12:00")
    panel.scroll_into_view_if_needed()
    screenshot(page, "workforce-customer-panel")

    # and the list of the customer's orders has it too
    panel.get_by_role("link", name="All work orders of this customer").click()
    expect(page.locator("#order-results tbody tr")).to_have_count(1)
    expect(page.locator("#order-results")).to_contain_text(order.number)
    screenshot(page, "workforce-order-list")


def test_a_refused_order_says_what_to_fix_next_to_the_fields(page, desk_operator,
                                                              alice_customer,
                                                              madrid_technicians):
    customer_services.address_create(actor=desk_operator, customer=alice_customer,
                                     street="Calle Mayor", street_number="12",
                                     postal_code="28013", city="Madrid")
    log_in(page, "olga", PASSWORD)
    page.goto(f"/field/customers/{alice_customer.pk}/orders/new/")

    page.get_by_label("Estimated minutes").fill("5")
    page.get_by_label("Equipment to install").fill("NOPE-1")
    page.get_by_role("button", name="Create and find a slot").click()

    expect(page.locator(".form-errors")).to_be_visible()
    expect(page.locator(".field.has-error", has=page.get_by_label("Estimated minutes"))) \
        .to_contain_text("A visit takes at least 10 minutes.")
    expect(page.locator(".field.has-error", has=page.get_by_label("Equipment to install"))) \
        .to_contain_text("No item with these numbers: NOPE-1.")
    screenshot(page, "workforce-order-create-errors")
    assert WorkOrder.objects.count() == 0


def test_a_dispatcher_assigns_and_dispatches_a_booked_order(page, alice_customer, operator,
                                                            madrid_technicians):
    address = customer_services.address_create(
        actor=operator, customer=alice_customer, street="Calle Mayor", street_number="12",
        postal_code="28013", city="Madrid")
    order = services.work_order_create(customer=alice_customer, service_address=address,
                                       kind="install", actor=operator,
                                       required_skills=[Skill.CABLE_INSTALL])
    tomorrow = timezone.localdate() + timedelta(days=1)
    start = timezone.make_aware(datetime.combine(tomorrow, time(12)))
    services.appointment_book(work_order=order, window_start=start, actor=operator)
    dispatcher = UserFactory(username="diego")
    dispatcher.set_password(PASSWORD)
    dispatcher.save()
    log_in(page, "diego", PASSWORD)
    page.goto(f"/field/orders/{order.pk}/")

    form = page.locator("#assign")
    form.get_by_label("Technician").select_option(label="Úrsula Torres")
    form.get_by_label("Planned start").fill("12:30")
    screenshot(page, "workforce-order-assign")
    form.get_by_role("button", name="Assign").click()
    expect(page.locator(".messages")).to_contain_text(
        f"{order.number} is assigned to Úrsula Torres, starting at 12:30")
    page.locator("#dispatch").get_by_role("button", name="Dispatch").click()

    expect(page.locator(".messages")).to_contain_text("was sent to Úrsula Torres's phone")
    expect(page.locator(".identity .badge").first).to_have_text("Dispatched")
    order.refresh_from_db()
    assert order.state == WorkOrderState.DISPATCHED


def test_an_operator_sees_why_no_slot_is_offered(page, desk_operator, alice_customer,
                                                 madrid_technicians):
    # Given an order for an address no zone covers
    address = customer_services.address_create(
        actor=desk_operator, customer=alice_customer, street="Calle Sierpes",
        street_number="3", postal_code="41004", city="Sevilla")
    order = services.work_order_create(customer=alice_customer, service_address=address,
                                       kind="install", actor=desk_operator,
                                       required_skills=[Skill.CABLE_INSTALL])
    log_in(page, "olga", PASSWORD)

    page.goto(f"/field/orders/{order.pk}/book/")

    expect(page.locator("#why-no-slots")).to_have_text(
        "No zone covers postal code 41004, so no technician can go there. Ask a dispatcher "
        "to add it to a zone.")
    screenshot(page, "workforce-book-empty")
