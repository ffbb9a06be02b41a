"""The dispatcher's morning in a real browser: the board of tomorrow shows
booked orders waiting, the automatic scheduler gives them to the
technicians, and one button sends them to the technicians' phones."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.e2e.conftest import log_in, screenshot
from tests.factories import UserFactory, make_customer
from tests.workforce.conftest import make_address, make_technician, make_zone, window
from workforce import services
from workforce.choices import Skill, WorkOrderState
from workforce.models import ScheduleRun, WorkOrder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Dispatch-password-2026"


@pytest.fixture
def day():
    return timezone.localdate() + timedelta(days=1)


@pytest.fixture
def dispatcher(db):
    user = UserFactory(username="diego", first_name="Diego", last_name="Díaz",
                       roles=["dispatcher"])
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def booked_day(day, dispatcher):
    """Two technicians in Madrid centro and four orders booked for `day`."""
    centro = make_zone("mad-centro", "Madrid centro", 28001, 28015, 10, 10)
    norte = make_zone("mad-norte", "Madrid norte", 28016, 28050, 12, 18)
    make_technician("victor", actor=dispatcher, zones=[norte], first_name="Víctor",
                    last_name="Vega")
    tomas = make_technician("tomas", actor=dispatcher, zones=[centro], first_name="Tomás",
                            last_name="Torres")
    ursula = make_technician("ursula", actor=dispatcher, zones=[centro], first_name="Úrsula",
                             last_name="Urquijo")
    orders = []
    for number, (given, hour, kind, skills) in enumerate([
        ("Alice", 8, "install", [Skill.CABLE_INSTALL]),
        ("Bruno", 10, "repair", [Skill.CABLE_REPAIR]),
        ("Carmen", 10, "install", [Skill.CABLE_INSTALL]),
        ("Dolores", 14, "recover", [Skill.EQUIPMENT_RECOVERY]),
    ], start=1):
        customer = make_customer(actor=dispatcher, given_name=given, family_name="García López",
                                 seed=number)
        address = make_address(customer, actor=dispatcher, street=f"Calle {given}")
        order = services.work_order_create(customer=customer, service_address=address,
                                           kind=kind, actor=dispatcher, required_skills=skills,
                                           estimated_minutes=60)
        services.appointment_book(work_order=order, window_start=window(day, hour)[0],
                                  actor=dispatcher)
        orders.append(order)
    return orders, (tomas, ursula)


def test_a_dispatcher_schedules_the_day_and_dispatches_it(page, dispatcher, booked_day, day):
    orders, technicians = booked_day

    # Given the dispatcher on the board of tomorrow, with four orders waiting
    log_in(page, "diego", PASSWORD)
    page.get_by_role("link", name="Dispatch").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Dispatch board")
    page.get_by_role("link", name="Next day →").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(day.strftime("%d/%m/%Y"))
    queue = page.locator("#queue")
    expect(queue).to_contain_text("Not assigned (4)")
    for order in orders:
        expect(queue).to_contain_text(order.number)
    expect(page.locator("#last-run")).to_contain_text("Not run for this day yet.")

    # When the dispatcher runs the automatic scheduling
    page.get_by_role("button", name="Run automatic scheduling").click()

    # Then every order sits under a technician, in time order, and the
    # run's figures are shown next to first-fit's
    expect(page.locator(".messages")).to_contain_text("4 of 4 orders assigned")
    expect(queue).to_contain_text("Every order of the day has a technician.")
    run = ScheduleRun.objects.get()
    expect(page.locator("#last-run")).to_contain_text(
        f"4 / 4 (first-fit: {run.first_fit_assigned})")
    expect(page.locator("#last-run")).to_contain_text(f"{run.travel_km} km")
    for order in orders:
        order.refresh_from_db()
        assert order.state == WorkOrderState.ASSIGNED
        row = page.locator(f"#technician-{order.technician_id}")
        expect(row.locator(f"#order-{order.pk}")).to_contain_text("Assigned")
    expect(page.locator(".technician-day", has_text="Tomás Torres")).to_be_visible()
    expect(page.locator(".technician-day", has_text="Úrsula Urquijo")).to_be_visible()
    screenshot(page, "workforce-board")

    # When the dispatcher tries to give the first order to Víctor, who
    # works in Madrid norte
    first = orders[0]
    page.get_by_role("link", name=f"Reassign {first.number}").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Reassign {first.number}")
    page.get_by_role("combobox", name="Technician").select_option(label="Víctor Vega")
    page.get_by_role("button", name="Reassign").click()

    # Then he is told why, and nothing changed
    expect(page.locator(".field.has-error")).to_contain_text(
        "Víctor Vega does not cover this address's zone.")
    screenshot(page, "workforce-board-assign-refused")
    technician_before = first.technician_id
    first.refresh_from_db()
    assert first.technician_id == technician_before
    page.get_by_role("link", name="Back to the board").click()

    # When the dispatcher sends the whole day to the phones
    page.get_by_role("button", name="Dispatch all assigned (4)").click()

    # Then every order is dispatched and the board says so
    expect(page.locator(".messages")).to_contain_text("4 orders sent to their technicians.")
    for order in orders:
        expect(page.locator(f"#order-{order.pk}")).to_contain_text("Dispatched")
    expect(page.get_by_role("button", name="Dispatch all assigned (0)")).to_be_disabled()
    screenshot(page, "workforce-board-dispatched")
    assert set(WorkOrder.objects.values_list("state", flat=True)) == {WorkOrderState.DISPATCHED}
