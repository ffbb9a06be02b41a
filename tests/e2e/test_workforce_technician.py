"""A field technician's visit on a phone-sized screen, in a real browser:
My day, en route, on site, the serial of the installed box typed in, the
customer's signature drawn with the finger on the screen, and the order
completed with the box installed at the customer's."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import datetime, time
from unittest import mock

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from inventory import services as inventory
from inventory.choices import EquipmentKind, ItemState, LocationKind, SupplyTerms
from inventory.models import EquipmentItem, EquipmentModel, StockLocation
from tests.e2e.conftest import log_in, screenshot
from tests.factories import UserFactory, make_customer
from tests.inventory.conftest import create_item
from tests.workforce.conftest import make_address, make_technician, make_zone, van_of, window
from workforce import services
from workforce.choices import Skill, WorkOrderState
from workforce.models import WorkOrder

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Field-password-2026"
PHONE = {"width": 390, "height": 844}


@contextmanager
def early_morning():
    """As if it were 07:00 today, so that today's windows can still be booked."""
    seven = timezone.make_aware(datetime.combine(timezone.localdate(), time(7)))
    with mock.patch("django.utils.timezone.now", return_value=seven):
        yield


@pytest.fixture
def phone(browser, live_server):
    context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=PHONE,
                                  device_scale_factor=2, is_mobile=True, has_touch=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def visit_day(db):
    """Tomás with a box in his van and two orders of today dispatched to him:
    installing a box at Alice's at 10:00, a repair at Bruno's at 12:00."""
    dispatcher = UserFactory(username="diego", first_name="Diego", last_name="Díaz",
                             roles=["dispatcher"])
    zone = make_zone("mad-centro", "Madrid centro", 28001, 28015, 10, 10)
    tomas = make_technician("tomas", actor=dispatcher, zones=[zone], first_name="Tomás",
                            last_name="Torres")
    tomas.set_password(PASSWORD)
    tomas.save()
    warehouse = StockLocation.objects.create(code="mad-central", name="Madrid central",
                                             kind=LocationKind.WAREHOUSE)
    box_model = EquipmentModel.objects.create(
        code="humax-stb", kind=EquipmentKind.SET_TOP_BOX, manufacturer="Humax",
        model_name="HD-5000", service_kinds=["tv_package"], access_media=["cable"],
        supply_terms=SupplyTerms.RENTED, non_return_fee="80.00")
    box = create_item(model=box_model, location=warehouse, serial_number="STB7000123")
    inventory.stock_transfer_create(from_location=warehouse, to_location=van_of(tomas),
                                    identifiers=["STB7000123"], actor=dispatcher)
    alice = make_customer(actor=dispatcher, given_name="Alice", family_name="Liddell Pleasance",
                          phone="+34 600 111 222", seed=1)
    bruno = make_customer(actor=dispatcher, given_name="Bruno", family_name="Bravo",
                          phone="+34 600 333 444", seed=2)
    orders = []
    with early_morning():
        for customer, hour, kind, skill, notes in (
            (alice, 10, "install", Skill.CABLE_INSTALL, "Third floor, no lift. Ring twice."),
            (bruno, 12, "repair", Skill.CABLE_REPAIR, ""),
        ):
            address = make_address(customer, actor=dispatcher,
                                   street=f"Calle {customer.given_name}")
            order = services.work_order_create(customer=customer, service_address=address,
                                               kind=kind, actor=dispatcher,
                                               required_skills=[skill], notes=notes)
            services.appointment_book(work_order=order,
                                      window_start=window(timezone.localdate(), hour)[0],
                                      actor=dispatcher)
            services.work_order_assign(work_order=order, technician=tomas, actor=dispatcher)
            services.work_order_dispatch(work_order=order, actor=dispatcher)
            orders.append(order)
    return orders, box, alice


def sign(page) -> None:
    """Draw a signature on the pad, as a finger would."""
    pad = page.locator("canvas.signature-pad")
    pad.scroll_into_view_if_needed()
    box = pad.bounding_box()
    left, top, width, height = box["x"], box["y"], box["width"], box["height"]
    page.mouse.move(left + width * 0.1, top + height * 0.7)
    page.mouse.down()
    for step in range(1, 21):
        x = left + width * (0.1 + 0.04 * step)
        y = top + height * (0.7 - 0.4 * ((step % 5) / 5))
        page.mouse.move(x, y, steps=2)
    page.mouse.up()


def test_a_technician_completes_an_installation_on_the_phone(phone, visit_day):
    orders, box, alice = visit_day
    first, second = orders
    page = phone

    # Given Tomás logged in on his phone
    log_in(page, "tomas", PASSWORD)
    page.goto("/field/today/")

    # Then My day lists his two orders in order, with address, phone and notes
    expect(page.get_by_role("heading", level=1)).to_contain_text("My day")
    cards = page.locator(".field-order")
    expect(cards).to_have_count(2)
    expect(cards.nth(0)).to_contain_text("10:00 Alice Liddell Pleasance")
    expect(cards.nth(0)).to_contain_text("Calle Alice 1, 28013 Madrid")
    expect(cards.nth(0)).to_contain_text("Third floor, no lift. Ring twice.")
    expect(cards.nth(0).get_by_role("link", name="Call")).to_have_attribute(
        "href", "tel:+34600111222")
    expect(cards.nth(1)).to_contain_text("12:00 Bruno Bravo")
    screenshot(page, "workforce-technician-day")

    # When he opens the first one and sets off, then arrives
    cards.nth(0).get_by_role("link", name=f"Open {first.number}").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Alice Liddell Pleasance")
    page.get_by_text("Could not be done?").click()
    expect(page.get_by_label("Customer not at home")).to_be_visible()
    screenshot(page, "workforce-technician-order")
    page.get_by_text("Could not be done?").click()
    page.get_by_role("button", name="En route").click()
    expect(page.locator(".messages")).to_contain_text("you are on your way")
    expect(page.locator("#order-state")).to_have_text("En route")
    page.get_by_role("button", name="On site").click()
    expect(page.locator("#order-state")).to_have_text("On site")

    # and a wrong serial, sent without a signature, is stopped on the phone
    page.get_by_label("Serials installed").fill("STB-NOT-MINE")
    page.get_by_label("Signed by").fill("Alice Liddell")
    page.get_by_label("Note").fill("Box working, channels checked.")
    page.get_by_role("button", name="Complete", exact=True).click()
    expect(page.locator("[data-signature-status]")).to_have_text("Ask the customer to sign.")

    # and once Alice has signed, the server says which serial is wrong,
    # keeping her signature
    sign(page)
    assert page.locator("input[name=signature]").input_value().startswith(
        "data:image/png;base64,")
    page.get_by_role("button", name="Complete", exact=True).click()
    expect(page.locator(".form-errors")).to_contain_text("Nothing was changed.")
    expect(page.locator(".field.has-error", has_text="Serials installed")).to_contain_text(
        "No item STB-NOT-MINE.")
    assert page.locator("input[name=signature]").input_value().startswith(
        "data:image/png;base64,")
    screenshot(page, "workforce-technician-complete-error")

    # When he types the box's serial instead and completes
    page.get_by_label("Serials installed").fill("stb7000123")
    screenshot(page, "workforce-technician-complete-form")
    page.get_by_role("button", name="Complete", exact=True).click()

    # Then the order is completed, signed, and the next order is offered
    expect(page.locator(".messages")).to_contain_text(f"{first.number} is completed.")
    expect(page.locator("#order-state")).to_have_text("Completed")
    expect(page.get_by_role("img", name="Customer's signature")).to_be_visible()
    expect(page.get_by_role("link", name="Next order: Bruno Bravo")).to_be_visible()
    screenshot(page, "workforce-technician-completed")

    # and the box is installed at Alice's, out of the van
    first.refresh_from_db()
    assert first.state == WorkOrderState.COMPLETED
    assert first.signed_by == "Alice Liddell"
    assert first.signature.startswith("data:image/png;base64,")
    box.refresh_from_db()
    assert (box.state, box.customer_id, box.location_id) == (ItemState.INSTALLED, alice.pk, None)
    assert box.service_address_id == first.service_address_id
    assert WorkOrder.objects.get(pk=second.pk).state == WorkOrderState.DISPATCHED
    assert EquipmentItem.objects.filter(location=van_of(first.technician)).count() == 0
