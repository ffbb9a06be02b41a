"""The inventory clerk's journey in a real browser: a supplier's delivery
comes in, two items go to a technician's van, and the stock page shows it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from customers import services as customer_services
from integrations.demo import seed_registry
from inventory import services
from inventory.choices import (
    EquipmentKind,
    ItemState,
    LocationKind,
    MovementAction,
    SupplyTerms,
)
from inventory.models import EquipmentItem, EquipmentModel, EquipmentMovement, StockLocation
from tests.e2e.conftest import log_in, screenshot
from tests.factories import UserFactory, make_customer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Stock-password-2026"

# Three cards, a modem, and a row whose MAC address is wrong.
DELIVERY = (
    "model,serial_number,mac_address,card_number\n"
    "nagra-card,CARD0001,,CA0000000101\n"
    "nagra-card,CARD0002,,CA0000000102\n"
    "nagra-card,CARD0003,,CA0000000103\n"
    "arris-cm,MODEM0001,00:11:22:33:44:55,\n"
    "arris-cm,MODEM0002,00-11-22-33-44,\n"
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Delivery files are stored on upload: keep the test ones out of var/.
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def clerk(db):
    user = UserFactory(username="clara", first_name="Clara", last_name="Campos",
                       roles=["inventory_clerk"])
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def warehouse(db):
    return StockLocation.objects.create(code="mad-central", name="Madrid central",
                                        kind=LocationKind.WAREHOUSE)


@pytest.fixture
def van(db, clerk):
    technician = UserFactory(username="tomas", first_name="Tomás", last_name="Torres",
                             roles=["field_technician"])
    return services.van_for_technician(technician=technician, actor=clerk)


@pytest.fixture
def catalog(db):
    EquipmentModel.objects.create(
        code="nagra-card", kind=EquipmentKind.SMART_CARD, manufacturer="Nagra",
        model_name="Merlin", service_kinds=["tv_package"], supply_terms=SupplyTerms.RENTED,
        non_return_fee="30.00", low_stock_threshold=2,
    )
    EquipmentModel.objects.create(
        code="arris-cm", kind=EquipmentKind.CABLE_MODEM, manufacturer="Arris",
        model_name="TM822", service_kinds=["internet"], supply_terms=SupplyTerms.RENTED,
        non_return_fee="60.00",
    )


def stock_row(page, model_name: str):
    return page.locator("table.stock > tbody", has_text=model_name)


def free_in_warehouses(page, model_name: str):
    return stock_row(page, model_name).locator("tr").first.locator("td").first


def line_in_stock(page, model_name: str, location_name: str):
    row = stock_row(page, model_name)
    details = row.locator("details")
    if details.get_attribute("open") is None:
        details.locator("summary").click()
    return row.locator("table.nested tr", has_text=location_name).locator("td").nth(1)


def test_a_clerk_receives_a_delivery_and_moves_two_cards_to_a_van(page, clerk, warehouse, van,
                                                                  catalog):
    # Given the clerk logged in, with nothing in stock yet
    log_in(page, "clara", PASSWORD)
    page.get_by_role("link", name="Inventory").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Stock by model")
    expect(free_in_warehouses(page, "Nagra Merlin")).to_have_text("0")
    expect(stock_row(page, "Nagra Merlin")).to_contain_text("Low stock")

    # When she receives the supplier's delivery file in the warehouse
    page.get_by_role("link", name="Receive a delivery").click()
    page.get_by_label("Warehouse").select_option(label="Madrid central (Warehouse)")
    page.get_by_label("Supplier").fill("Nagra Iberia")
    page.get_by_label("Delivery note").fill("DN-2026-77")
    page.get_by_label("Delivery file").set_input_files(
        {"name": "nagra-delivery.csv", "mimeType": "text/csv", "buffer": DELIVERY.encode()})
    page.get_by_role("button", name="Receive").click()

    # Then the receipt is read to the end: four items created, one row rejected
    expect(page.get_by_role("heading", level=1)).to_contain_text("Goods receipt")
    expect(page.locator("#receipt-progress .badge")).to_have_text("✓ Done")
    expect(page.locator("#rows-created")).to_have_text("4")
    expect(page.locator("#rows-rejected")).to_have_text("1")
    expect(page.locator("#receipt-progress table")).to_contain_text(
        "“00-11-22-33-44” is not a MAC address")
    expect(page.get_by_role("link", name="Download the error report (CSV)")).to_be_visible()
    screenshot(page, "inventory-receipt-detail")

    # and the stock page counts three free cards in the warehouse
    page.get_by_role("link", name="Stock", exact=True).click()
    expect(free_in_warehouses(page, "Nagra Merlin")).to_have_text("3")
    expect(stock_row(page, "Nagra Merlin")).not_to_contain_text("Low stock")
    expect(line_in_stock(page, "Nagra Merlin", "Madrid central")).to_have_text("3")

    # When she moves two cards to the technician's van, scanning them one per line
    page.get_by_role("link", name="New transfer").click()
    page.get_by_label("From").select_option(label="Madrid central (Warehouse)")
    page.get_by_role("combobox", name="To", exact=True).select_option(
        label="Van of Tomás Torres (Technician's van)")
    page.get_by_label("Items").fill("CARD0001\nCA0000000102\n")
    page.get_by_label("Note").fill("Monday round")
    screenshot(page, "inventory-transfer-form")
    page.get_by_role("button", name="Move the items").click()

    # Then the transfer lists both cards
    expect(page.locator(".messages")).to_contain_text("2 items moved to Van of Tomás Torres")
    expect(page.locator("main table")).to_contain_text("CARD0001")
    expect(page.locator("main table")).to_contain_text("CARD0002")

    # and the stock page shows one card left in the warehouse, two in the van,
    # and warns that cards are low again
    page.get_by_role("link", name="Stock", exact=True).click()
    expect(free_in_warehouses(page, "Nagra Merlin")).to_have_text("1")
    expect(stock_row(page, "Nagra Merlin")).to_contain_text("Low stock")
    expect(page.locator(".warning-note")).to_contain_text("1 model is low on stock.")
    expect(line_in_stock(page, "Nagra Merlin", "Madrid central")).to_have_text("1")
    expect(line_in_stock(page, "Nagra Merlin", "Van of Tomás Torres")).to_have_text("2")
    screenshot(page, "inventory-stock")

    # and the van's cards are listed from there, and its count on the locations page
    stock_row(page, "Nagra Merlin").get_by_role("link", name="Van of Tomás Torres").click()
    expect(page.locator("#item-results tbody tr")).to_have_count(2)
    screenshot(page, "inventory-items")
    page.get_by_role("link", name="Locations").click()
    expect(page.locator("main tbody tr", has_text="Van of Tomás Torres")).to_contain_text(
        "Tomás Torres")
    screenshot(page, "inventory-locations")
    page.go_back()

    # and a card's page tells where it is and how it got there
    page.get_by_role("link", name="CARD0001").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Smart card CARD0001")
    expect(page.locator("#movements")).to_contain_text("Transferred")
    expect(page.locator("#movements")).to_contain_text("Received from supplier")
    screenshot(page, "inventory-item-detail")

    assert set(EquipmentItem.objects.filter(location=van).values_list(
        "serial_number", flat=True)) == {"CARD0001", "CARD0002"}
    assert EquipmentItem.objects.filter(state=ItemState.IN_STOCK).count() == 4


def test_an_operator_sees_a_customers_equipment_on_the_360_page(page, operator, warehouse,
                                                                catalog):
    # Given Alice with a card installed at home and a modem stolen there
    seed_registry()
    operator.set_password(PASSWORD)
    operator.save()
    alice = make_customer(actor=operator, given_name="Alice", family_name="Liddell Pleasance")
    home = customer_services.address_create(actor=operator, customer=alice, street="Calle Mayor",
                                            street_number="1", postal_code="28013",
                                            city="Madrid")
    installed = []
    for code, serial, extra in (("nagra-card", "CARD7", {"card_number": "CA0000000777"}),
                                ("arris-cm", "MODEM7", {"mac_address": "00:11:22:33:44:77"})):
        item = EquipmentItem.objects.create(model=EquipmentModel.objects.get(code=code),
                                            serial_number=serial, location=warehouse, **extra)
        EquipmentMovement.objects.create(item=item, action=MovementAction.RECEIVED,
                                         to_state=ItemState.IN_STOCK, to_location=warehouse)
        installed.append(services.equipment_item_install(
            item=item, customer=alice, service_address=home, actor=operator,
            subscription_ref="SUB-7"))
    services.equipment_item_declare_missing(item=installed[1], stolen=True, actor=operator,
                                            reason="Burglary")

    # When the operator opens her 360 page
    log_in(page, operator.username, PASSWORD)
    page.goto(f"/desk/customers/{alice.pk}/")

    # Then the Equipment panel loads with both items and the pending fee
    panel = page.locator("#panel-equipment")
    expect(panel).to_contain_text("CARD7")
    expect(panel).to_contain_text("Installed at customer")
    expect(panel).to_contain_text("Stolen")
    expect(panel).to_contain_text("Blacklisted")
    expect(panel).to_contain_text("€60.00")
    screenshot(page, "inventory-equipment-panel")
