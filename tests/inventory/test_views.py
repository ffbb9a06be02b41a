"""The inventory clerk pages and the Equipment panel of the customer 360
page: who may open each, what a refused form looks like (422, the reason next
to the field, nothing changed) and what a good one does."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from integrations.models import OutboxMessage
from inventory import services
from inventory.choices import ChargeStatus, ItemState, LocationKind, ReceiptStatus
from inventory.models import (
    EquipmentCharge,
    EquipmentItem,
    EquipmentMovement,
    GoodsReceipt,
    StockLocation,
    StockTransfer,
)
from tests.inventory.conftest import snapshot
from tests.pages import ANONYMOUS, NO_ROLE, PORTAL, client_for, field_errors, login_url

pytestmark = pytest.mark.django_db

CLERK = "inventory_clerk"
OPERATOR = "cc_operator"
CALLERS = [ANONYMOUS, PORTAL, NO_ROLE, CLERK, OPERATOR]
VIEWERS = frozenset({CLERK, OPERATOR})
CLERKS = frozenset({CLERK})

DELIVERY = (
    "model,serial_number,mac_address,card_number\n"
    "nagra-card,CARD0001,,CA0000000101\n"
    "nagra-card,CARD0002,,CA0000000102\n"
    "arris-cm,MODEM0001,00:11:22:33:44:55,\n"
    "arris-cm,MODEM0002,not-a-mac,\n"
)


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    # Delivery files are stored on upload: keep the test ones out of var/.
    settings.MEDIA_ROOT = tmp_path / "media"


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def plain(page: str) -> str:
    """The page's text without tags, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def form_part(page: str, form_id: str) -> str:
    """One form of a page with several (the item page's action forms)."""
    start = page.index(f'id="{form_id}"')
    return page[start:page.index("</form>", start)]


def upload(content: str = DELIVERY, name: str = "delivery.csv"):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content.encode(), content_type="text/csv")


def receive(*, warehouse, actor, content: str = DELIVERY, capture=None) -> GoodsReceipt:
    """A delivery received through the service and read to the end."""
    with capture(execute=True):
        receipt = services.goods_receipt_create(warehouse=warehouse, file_name="delivery.csv",
                                                content=content.encode(), actor=actor,
                                                supplier="Nagra Iberia")
    receipt.refresh_from_db()
    return receipt


@pytest.fixture
def stock_file(make_item, equipment_models, warehouse, van, repair_centre, clerk,
               django_capture_on_commit_callbacks) -> SimpleNamespace:
    """Two cards and a modem in the warehouse, a box moved to the van by a
    transfer, and a delivery of four rows, one rejected."""
    card = make_item(serial_number="CARDA1")
    make_item(serial_number="CARDA2")
    modem = make_item(model=equipment_models.modem, serial_number="MODEMA1")
    box = make_item(model=equipment_models.box, serial_number="BOXA1")
    transfer = services.stock_transfer_create(from_location=warehouse, to_location=van,
                                              identifiers=["BOXA1"], actor=clerk)
    receipt = receive(warehouse=warehouse, actor=clerk,
                      capture=django_capture_on_commit_callbacks)
    return SimpleNamespace(card=card, modem=modem, box=box, transfer=transfer,
                           receipt=receipt)


# Who may open which page ------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    path: object  # (stock_file) -> str
    allowed: frozenset[str]
    htmx: bool = False


PAGES = [
    Page("stock", lambda f: "/inventory/", VIEWERS),
    Page("items", lambda f: "/inventory/items/?q=CARD", VIEWERS),
    Page("items_htmx", lambda f: "/inventory/items/?q=CARD", VIEWERS, htmx=True),
    Page("item", lambda f: f"/inventory/items/{f.card.pk}/", VIEWERS),
    Page("transfers", lambda f: "/inventory/transfers/", CLERKS),
    Page("transfer_create", lambda f: "/inventory/transfers/new/", CLERKS),
    Page("transfer", lambda f: f"/inventory/transfers/{f.transfer.pk}/", CLERKS),
    Page("receipts", lambda f: "/inventory/receipts/", CLERKS),
    Page("receipt_create", lambda f: "/inventory/receipts/new/", CLERKS),
    Page("receipt", lambda f: f"/inventory/receipts/{f.receipt.pk}/", CLERKS),
    Page("receipt_progress", lambda f: f"/inventory/receipts/{f.receipt.pk}/progress/", CLERKS,
         htmx=True),
    Page("receipt_errors", lambda f: f"/inventory/receipts/{f.receipt.pk}/errors.csv", CLERKS),
    Page("locations", lambda f: "/inventory/locations/", CLERKS),
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_it_answers_each_caller_of_an_inventory_page_as_their_role_allows(page, caller,
                                                                          stock_file, request):
    # Given the stock and a caller
    client, _user = client_for(caller, request)
    path = page.path(stock_file)
    headers = {"HTTP_HX_REQUEST": "true"} if page.htmx else {}
    movements = EquipmentMovement.objects.count()

    # When the caller opens the page
    response = client.get(path, **headers)

    # Then anonymous callers log in first, allowed roles get the page, and
    # everyone else a 403
    if caller == ANONYMOUS and page.htmx:
        assert response.status_code == 200
        assert response["HX-Redirect"] == login_url(path)
    elif caller == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == login_url(path)
    elif caller in page.allowed:
        assert response.status_code == 200
    else:
        assert response.status_code == 403
    assert EquipmentMovement.objects.count() == movements


@pytest.mark.parametrize("role", [CLERK, OPERATOR, "dispatcher", "marketing_agent"])
def test_it_shows_the_inventory_link_only_to_staff_who_may_see_items(client, user_with_role,
                                                                      role):
    client.force_login(user_with_role(role))

    page = client.get("/desk/").content.decode()

    assert ('href="/inventory/"' in page) is (role != "marketing_agent")


def test_it_does_not_show_the_inventory_link_to_a_portal_customer(client, alice):
    client.force_login(alice)

    page = client.get("/desk/").content.decode()

    assert 'href="/inventory/"' not in page


def test_it_shows_the_operator_only_the_inventory_sections_their_role_allows(client, operator):
    client.force_login(operator)

    page = client.get("/inventory/").content.decode()

    assert 'href="/inventory/items/"' in page
    assert 'href="/inventory/transfers/"' not in page
    assert 'href="/inventory/receipts/"' not in page
    assert "Receive a delivery" not in page


@pytest.mark.parametrize("path", ["/inventory/items/999999/", "/inventory/transfers/999999/",
                                  "/inventory/receipts/999999/",
                                  "/inventory/receipts/999999/errors.csv"])
def test_it_answers_not_found_for_what_does_not_exist(client, clerk, path):
    client.force_login(clerk)

    assert client.get(path).status_code == 404


# The stock page ---------------------------------------------------------------


def test_it_shows_stock_per_model_with_a_low_stock_warning(client, clerk, stock_file):
    # Given 4 free cards in the warehouse (minimum 2) and a modem: nothing low
    client.force_login(clerk)

    # When the clerk opens the stock page
    page = plain(text_of(client.get("/inventory/")))

    # Then every model shows its counts and none is low
    assert "Smart card Nagra Merlin nagra-card 4 4 0 0 2" in page
    assert "Set-top box Humax HD-5000 humax-stb 0 1 0 0" in page
    assert "Low stock" not in page


def test_it_warns_in_words_when_a_model_is_low_on_stock(client, clerk, make_item,
                                                        equipment_models, van):
    # Given one card in the warehouse (minimum 2) and two in the van
    make_item()
    make_item(location=van)
    make_item(location=van)
    client.force_login(clerk)

    # When the clerk opens the stock page
    response = client.get("/inventory/")
    page = plain(text_of(response))

    # Then the card model says it is low, with its free count in warehouses
    assert "1 model is low on stock." in page
    assert "Smart card Nagra Merlin nagra-card ⚠ Low stock 1 3 0 0 2" in page
    assert '<tbody class="low">' in response.content.decode()


def test_it_filters_the_stock_by_location_kind_and_low_stock(client, clerk, stock_file, van,
                                                             make_item, equipment_models):
    client.force_login(clerk)

    at_van = plain(text_of(client.get(f"/inventory/?location={van.pk}")))
    modems = plain(text_of(client.get("/inventory/?kind=cable_modem")))
    low = text_of(client.get("/inventory/?low_only=on"))

    # The van holds only the box; the counts are the van's
    assert "Humax HD-5000" in at_van
    assert "Nagra Merlin" not in at_van
    assert "In stock at Van of Tomás Torres" in at_van
    assert "Arris TM822" in modems
    assert "Nagra Merlin" not in modems
    assert "No model matches these filters." in low


def test_it_refuses_a_stock_filter_for_a_location_that_does_not_exist(client, clerk,
                                                                     stock_file):
    client.force_login(clerk)

    response = client.get("/inventory/?location=999999")

    assert response.status_code == 422
    assert field_errors(text_of(response), "location") == [
        "Select a valid choice. That choice is not one of the available choices."]


def test_it_says_so_when_no_model_is_stocked(client, clerk):
    client.force_login(clerk)

    page = text_of(client.get("/inventory/"))

    assert "No equipment model is stocked yet." in page


def test_it_costs_the_same_queries_for_the_stock_page_whatever_the_stock(
    client, clerk, make_item, equipment_models, warehouse, other_warehouse, van,
    django_assert_max_num_queries,
):
    # Given a little stock, measured
    make_item()
    client.force_login(clerk)
    client.get("/inventory/")
    with CaptureQueriesContext(connection) as small:
        assert client.get("/inventory/").status_code == 200

    # When there are many more items of every model at every location
    for location in (warehouse, other_warehouse, van):
        for model in vars(equipment_models).values():
            for _ in range(3):
                make_item(model=model, location=location)

    # Then the page costs no more queries
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get("/inventory/").status_code == 200


def test_it_pages_the_stock_25_models_at_a_time(client, clerk):
    from inventory.models import EquipmentModel

    EquipmentModel.objects.bulk_create([
        EquipmentModel(code=f"lnb-{number:02d}", kind="lnb", manufacturer="Inverto",
                       model_name=f"LNB {number:02d}") for number in range(30)
    ])
    client.force_login(clerk)

    first = plain(text_of(client.get("/inventory/")))
    second = plain(text_of(client.get("/inventory/?page=2")))

    assert "LNB 24" in first and "LNB 25" not in first
    assert "Page 1 of 2 (30 in all)" in first
    assert "LNB 25" in second and "LNB 29" in second


# The item list ----------------------------------------------------------------


def test_it_finds_items_by_serial_mac_or_card_number(client, clerk, stock_file):
    client.force_login(clerk)

    by_serial = plain(text_of(client.get("/inventory/items/?q=carda")))
    by_mac = plain(text_of(client.get("/inventory/items/?q=0011.2233.4455")))
    by_card = plain(text_of(client.get("/inventory/items/?q=CA0000000102")))

    assert "CARDA1" in by_serial and "CARDA2" in by_serial and "MODEMA1" not in by_serial
    assert "MODEM0001" in by_mac and "CARDA1" not in by_mac
    assert "CARD0002" in by_card and "CARD0001" not in by_card


def test_it_filters_items_by_state_kind_location_and_customer(client, clerk, stock_file, van,
                                                              item_in_state, alice_customer):
    reserved = item_in_state(ItemState.RESERVED)
    client.force_login(clerk)

    at_van = plain(text_of(client.get(f"/inventory/items/?location={van.pk}")))
    boxes = plain(text_of(client.get("/inventory/items/?kind=set_top_box")))
    held = plain(text_of(client.get("/inventory/items/?state=reserved")))
    alices = plain(text_of(client.get(f"/inventory/items/?customer={alice_customer.pk}")))
    of_model = plain(text_of(client.get(
        f"/inventory/items/?model={stock_file.box.model_id}&location={van.pk}")))

    assert "BOXA1" in at_van and "CARDA1" not in at_van
    assert "BOXA1" in boxes and "MODEMA1" not in boxes
    assert reserved.serial_number in held and "CARDA1" not in held
    assert reserved.serial_number in alices and "CARDA1" not in alices
    assert "Only Humax HD-5000" in of_model and "BOXA1" in of_model


def test_it_refuses_a_malformed_item_filter_next_to_the_field(client, clerk, stock_file):
    client.force_login(clerk)

    response = client.get("/inventory/items/?customer=alice")

    assert response.status_code == 422
    assert field_errors(text_of(response), "customer") == ["Enter a whole number."]
    assert "CARDA1" not in text_of(response)


def test_it_answers_an_htmx_search_with_the_results_alone(client, clerk, stock_file):
    client.force_login(clerk)

    response = client.get("/inventory/items/?q=MODEMA", HTTP_HX_REQUEST="true",
                          HTTP_HX_TARGET="item-results")

    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="item-results"')
    assert "MODEMA1" in page and "<html" not in page


def test_it_pages_the_items_25_at_a_time(client, clerk, make_item):
    for number in range(30):
        make_item(serial_number=f"PAGE{number:03d}")
    client.force_login(clerk)

    first = plain(text_of(client.get("/inventory/items/?q=PAGE")))
    second = plain(text_of(client.get("/inventory/items/?q=PAGE&page=2")))

    assert "PAGE024" in first and "PAGE025" not in first
    assert "PAGE025" in second and "PAGE029" in second
    assert "Page 2 of 2 (30 in all)" in second


def test_it_says_so_when_no_item_matches(client, clerk, stock_file):
    client.force_login(clerk)

    page = text_of(client.get("/inventory/items/?q=NOTHING"))

    assert "No item matches these filters." in page


# The item page ----------------------------------------------------------------


def test_it_shows_an_installed_items_identifiers_customer_pairing_and_history(
    client, clerk, item_in_state, make_item, equipment_models, alice_customer,
):
    # Given a card paired with a box and installed at Alice's
    card = item_in_state(ItemState.INSTALLED)
    box = make_item(model=equipment_models.box, serial_number="BOXPAIR1")
    services.equipment_item_pair(card=card, box=box, actor=clerk)
    client.force_login(clerk)

    # When the clerk opens the card, and the box
    page = text_of(client.get(f"/inventory/items/{card.pk}/"))
    box_page = text_of(client.get(f"/inventory/items/{box.pk}/"))

    # Then the card says who has it, where, what it is paired with and how it got there
    text = plain(page)
    assert f"Smart card {card.serial_number}" in text
    assert card.card_number in text
    assert f'href="/desk/customers/{alice_customer.pk}/"' in page
    assert "Installed at" in text and "Calle Mayor 1, 28013 Madrid" in text
    assert "Decodes for BOXPAIR1" in text
    assert "Received from supplier" in text and "Installed" in text and "Paired" in text
    assert "Still installed" in text
    assert f"Paired card {card.serial_number}" in plain(box_page)


def test_it_shows_a_blacklisted_item_as_such(client, clerk, item_in_state, cas_and_isp):
    card = item_in_state(ItemState.INSTALLED)
    services.equipment_item_declare_missing(item=card, stolen=True, actor=clerk,
                                            reason="Burglary")
    client.force_login(clerk)

    page = plain(text_of(client.get(f"/inventory/items/{card.pk}/")))

    assert "Stolen" in page and "Blacklisted" in page and "Yes, blacklisted" in page
    assert "Found again" in page


def test_it_pages_the_movements_of_an_item_50_at_a_time(client, clerk, make_item,
                                                        equipment_models):
    card = make_item()
    box = make_item(model=equipment_models.box)
    for _ in range(30):
        services.equipment_item_pair(card=card, box=box, actor=clerk)
        services.equipment_item_unpair(card=card, actor=clerk)
    client.force_login(clerk)

    first = text_of(client.get(f"/inventory/items/{card.pk}/"))
    second = text_of(client.get(f"/inventory/items/{card.pk}/?page=2"))

    assert first.count("<strong>Unpaired</strong>") + first.count("<strong>Paired</strong>") == 50
    assert "Page 1 of 2" in first and "Received from supplier" not in first
    assert "Received from supplier" in second


def test_it_shows_the_operator_the_item_without_warehouse_actions_or_history(
    client, operator, stock_file,
):
    client.force_login(operator)

    page = text_of(client.get(f"/inventory/items/{stock_file.card.pk}/"))

    assert "CARDA1" in page
    assert 'id="warehouse-action"' not in page
    assert 'id="declare-missing"' in page  # operators may declare equipment lost
    assert "Movements" not in page
    assert "Your role does not show this item's movement history." in page


def test_it_offers_only_the_warehouse_actions_the_state_allows(client, clerk, item_in_state):
    faulty = item_in_state(ItemState.FAULTY)
    client.force_login(clerk)

    page = text_of(client.get(f"/inventory/items/{faulty.pk}/"))

    options = re.findall(r'<option value="([a-z_]+)"', page.split('id="warehouse-action"')[1]
                         .split("</form>")[0])
    assert options[:3] == ["send_to_repair", "scrap", "return_to_supplier"]


# Item actions -----------------------------------------------------------------


def test_it_sends_a_faulty_item_to_a_repair_centre(client, clerk, item_in_state, repair_centre):
    # Given a faulty item
    item = item_in_state(ItemState.FAULTY)
    client.force_login(clerk)

    # When the clerk sends it to repair at the repair centre
    response = client.post(f"/inventory/items/{item.pk}/warehouse-action/", {
        "action": "send_to_repair", "location": repair_centre.pk, "reason": "No picture"})

    # Then it is in repair there, and the item page says so
    assert response.status_code == 302
    assert response["Location"] == f"/inventory/items/{item.pk}/"
    item.refresh_from_db()
    assert (item.state, item.location) == (ItemState.IN_REPAIR, repair_centre)
    movement = EquipmentMovement.objects.filter(item=item).first()
    assert (movement.action, movement.reason, movement.actor) == ("sent_to_repair",
                                                                  "No picture", clerk)
    page = text_of(client.get(response["Location"]))
    assert "Done: the item's state was changed." in page


def test_it_refuses_a_warehouse_action_the_state_does_not_allow(client, clerk, stock_file):
    # Given an item in stock, which cannot be "put back in stock"
    client.force_login(clerk)
    before = snapshot(stock_file.card)

    # When the clerk posts it anyway
    response = client.post(f"/inventory/items/{stock_file.card.pk}/warehouse-action/",
                           {"action": "restock", "reason": ""})

    # Then it is refused next to the field and nothing changed
    assert response.status_code == 422
    assert field_errors(form_part(text_of(response), "warehouse-action"), "action") == [
        "Select a valid choice. restock is not one of the available choices."]
    assert snapshot(stock_file.card) == before


def test_it_refuses_a_destination_for_an_action_that_does_not_move_the_item(
    client, clerk, item_in_state, repair_centre,
):
    # Given a faulty item, which may be sent to repair or scrapped
    item = item_in_state(ItemState.FAULTY)
    client.force_login(clerk)
    before = snapshot(item)

    # When the clerk scraps it "to the repair centre"
    response = client.post(f"/inventory/items/{item.pk}/warehouse-action/",
                           {"action": "scrap", "location": repair_centre.pk})

    # Then the destination is refused and nothing changed
    assert response.status_code == 422
    assert field_errors(form_part(text_of(response), "warehouse-action"), "location") == [
        "Only an item sent to repair moves with this action; leave it empty."]
    assert snapshot(item) == before


def test_it_offers_no_destination_when_the_item_cannot_be_sent_to_repair(client, clerk,
                                                                          stock_file):
    client.force_login(clerk)

    page = text_of(client.get(f"/inventory/items/{stock_file.card.pk}/"))

    assert 'name="action"' in form_part(page, "warehouse-action")
    assert 'name="location"' not in form_part(page, "warehouse-action")


def test_it_does_not_let_an_operator_take_warehouse_actions(client, operator, stock_file):
    client.force_login(operator)
    before = snapshot(stock_file.card)

    response = client.post(f"/inventory/items/{stock_file.card.pk}/warehouse-action/",
                           {"action": "mark_faulty"})

    assert response.status_code == 403
    assert snapshot(stock_file.card) == before


def test_it_releases_a_reservation(client, clerk, item_in_state):
    item = item_in_state(ItemState.RESERVED)
    client.force_login(clerk)

    response = client.post(f"/inventory/items/{item.pk}/release/", {"reason": "Order cancelled"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.customer) == (ItemState.IN_STOCK, None)
    page = text_of(client.get(response["Location"]))
    assert "The reservation was released; the item is free stock again." in page


def test_it_refuses_to_release_an_item_that_is_not_reserved(client, clerk, stock_file):
    client.force_login(clerk)
    before = snapshot(stock_file.card)

    response = client.post(f"/inventory/items/{stock_file.card.pk}/release/", {"reason": ""})

    assert response.status_code == 422
    assert "Item CARDA1 is “In stock”: this action is not possible now." in text_of(response)
    assert snapshot(stock_file.card) == before


@pytest.mark.parametrize("caller", ["clerk", "operator"])
def test_it_declares_an_installed_card_stolen_with_blacklist_and_fee(
    client, caller, request, item_in_state, cas_and_isp, alice_customer,
):
    # Given a card installed at Alice's, and an element manager for TV
    card = item_in_state(ItemState.INSTALLED)
    user = request.getfixturevalue(caller)
    client.force_login(user)

    # The page says what declaring it will do
    page = plain(text_of(client.get(f"/inventory/items/{card.pk}/")))
    assert f"{card.card_number} is blocked in the network (blacklisted)." in page
    assert "The non-return fee of €30.00 is recorded for the customer's next bill." in page

    # When it is declared stolen
    response = client.post(f"/inventory/items/{card.pk}/declare-missing/",
                           {"what": "stolen", "reason": "Burglary, police report 123"})

    # Then it is stolen, blacklisted, and the fee is pending for Alice
    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.state, card.is_blacklisted) == (ItemState.STOLEN, True)
    assert OutboxMessage.objects.filter(source_id=str(card.pk)).count() == 1
    charge = EquipmentCharge.objects.get(item=card)
    assert (charge.customer, str(charge.amount), charge.status) == (alice_customer, "30.00",
                                                                   ChargeStatus.PENDING)


def test_it_asks_why_an_item_is_declared_missing(client, clerk, stock_file):
    client.force_login(clerk)
    before = snapshot(stock_file.card)

    response = client.post(f"/inventory/items/{stock_file.card.pk}/declare-missing/",
                           {"what": "lost", "reason": ""})

    assert response.status_code == 422
    page = form_part(text_of(response), "declare-missing")
    assert field_errors(page, "reason") == ["Say what happened: who reported it, and when."]
    assert snapshot(stock_file.card) == before


def test_it_shows_the_services_refusal_when_no_element_manager_can_block_the_card(
    client, clerk, item_in_state,
):
    # Given an installed card and no element manager registered for TV
    card = item_in_state(ItemState.INSTALLED)
    client.force_login(clerk)
    before = snapshot(card)

    # When the clerk declares it lost
    response = client.post(f"/inventory/items/{card.pk}/declare-missing/",
                           {"what": "lost", "reason": "Customer moved away"})

    # Then the service's reason is on the page and nothing changed
    assert response.status_code == 422
    assert (f"No element manager is registered for the services of Nagra Merlin, so "
            f"{card.serial_number} cannot be blocked in the network.") in text_of(response)
    assert snapshot(card) == before


def test_it_brings_a_lost_item_back_when_found(client, clerk, item_in_state, warehouse):
    item = item_in_state(ItemState.LOST)
    client.force_login(clerk)

    response = client.post(f"/inventory/items/{item.pk}/found/",
                           {"location": warehouse.pk, "reason": "Behind the shelf"})

    assert response.status_code == 302
    item.refresh_from_db()
    assert (item.state, item.location) == (ItemState.RETURNED, warehouse)


def test_it_refuses_to_find_an_item_that_is_not_missing(client, clerk, stock_file, warehouse):
    client.force_login(clerk)
    before = snapshot(stock_file.card)

    response = client.post(f"/inventory/items/{stock_file.card.pk}/found/",
                           {"location": warehouse.pk})

    assert response.status_code == 422
    assert "this action is not possible now" in text_of(response)
    assert snapshot(stock_file.card) == before


def test_it_asks_where_a_found_item_is(client, clerk, item_in_state):
    item = item_in_state(ItemState.STOLEN)
    client.force_login(clerk)
    before = snapshot(item)

    response = client.post(f"/inventory/items/{item.pk}/found/", {"location": ""})

    assert response.status_code == 422
    assert field_errors(form_part(text_of(response), "found"), "location") == [
        "This field is required."]
    assert snapshot(item) == before


@pytest.mark.parametrize("action", ["warehouse-action", "release", "declare-missing", "found"])
def test_it_refuses_item_actions_to_a_portal_customer(client, alice, stock_file, action):
    client.force_login(alice)
    before = snapshot(stock_file.card)

    response = client.post(f"/inventory/items/{stock_file.card.pk}/{action}/",
                           {"action": "mark_faulty", "what": "lost", "reason": "x"})

    assert response.status_code == 403
    assert snapshot(stock_file.card) == before


def test_it_answers_get_on_an_action_with_method_not_allowed(client, clerk, stock_file):
    client.force_login(clerk)

    assert client.get(f"/inventory/items/{stock_file.card.pk}/release/").status_code == 405


# Transfers --------------------------------------------------------------------


def test_it_moves_scanned_items_to_a_van(client, clerk, stock_file, warehouse, van):
    # Given the clerk on the transfer form
    client.force_login(clerk)
    assert client.get(f"/inventory/transfers/new/?to_location={van.pk}").status_code == 200

    # When two items are scanned, one by serial, one by MAC, with stray blanks
    response = client.post("/inventory/transfers/new/", {
        "from_location": warehouse.pk, "to_location": van.pk,
        "items": "CARDA1\r\n\r\n 00:11:22:33:44:55 \r\nCARDA1\r\n", "note": "Monday round"})

    # Then both are in the van, and the transfer's page lists them
    assert response.status_code == 302
    transfer = StockTransfer.objects.get(note="Monday round")
    assert response["Location"] == f"/inventory/transfers/{transfer.pk}/"
    assert set(EquipmentItem.objects.filter(location=van).values_list(
        "serial_number", flat=True)) == {"BOXA1", "CARDA1", "MODEM0001"}
    page = plain(text_of(client.get(response["Location"])))
    assert f"Transfer {transfer.number}: 2 items moved to Van of Tomás Torres." in page
    assert "CARDA1" in page and "MODEM0001" in page and "BOXA1" not in page


def test_it_refuses_a_transfer_listing_an_item_that_is_not_there(client, clerk, stock_file,
                                                                warehouse, van):
    client.force_login(clerk)
    before = (StockTransfer.objects.count(), EquipmentMovement.objects.count(),
              list(EquipmentItem.objects.order_by("pk").values_list("location_id", flat=True)))

    response = client.post("/inventory/transfers/new/", {
        "from_location": warehouse.pk, "to_location": van.pk, "items": "CARDA1\nBOXA1\nNOPE9"})

    assert response.status_code == 422
    assert field_errors(text_of(response), "items") == [
        "Not at Madrid central: BOXA1, NOPE9."]
    assert (StockTransfer.objects.count(), EquipmentMovement.objects.count(),
            list(EquipmentItem.objects.order_by("pk").values_list("location_id", flat=True))
            ) == before


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"items": " \n \n"}, "items", "List the serial numbers of the items to move."),
    ({"items": ",;,\n"}, "items", "List the serial numbers of the items to move."),
    ({"to_location": "same"}, "to_location", "Choose a different destination."),
    ({"from_location": ""}, "from_location", "This field is required."),
])
def test_it_refuses_a_bad_transfer_form_next_to_the_field(client, clerk, stock_file, warehouse,
                                                          van, data, field, message):
    client.force_login(clerk)
    post = {"from_location": warehouse.pk, "to_location": van.pk, "items": "CARDA1", "note": ""}
    post.update(data)
    if post["to_location"] == "same":
        post["to_location"] = warehouse.pk
    before = EquipmentMovement.objects.count()

    response = client.post("/inventory/transfers/new/", post)

    assert response.status_code == 422
    assert field_errors(text_of(response), field) == [message]
    assert EquipmentMovement.objects.count() == before


def test_it_does_not_let_an_operator_transfer(client, operator, stock_file, warehouse, van):
    client.force_login(operator)
    before = EquipmentMovement.objects.count()

    response = client.post("/inventory/transfers/new/", {
        "from_location": warehouse.pk, "to_location": van.pk, "items": "CARDA1"})

    assert response.status_code == 403
    assert EquipmentMovement.objects.count() == before


def test_it_lists_and_filters_transfers(client, clerk, stock_file, van, other_warehouse):
    client.force_login(clerk)

    listed = plain(text_of(client.get("/inventory/transfers/")))
    to_van = plain(text_of(client.get(f"/inventory/transfers/?to_location={van.pk}")))
    elsewhere = text_of(client.get(f"/inventory/transfers/?to_location={other_warehouse.pk}"))

    assert f"{stock_file.transfer.number} Madrid central Van of Tomás Torres 1" in listed
    assert stock_file.transfer.number in to_van
    assert "No transfer matches these filters." in elsewhere


def test_it_says_so_when_there_are_no_transfers(client, clerk):
    client.force_login(clerk)

    assert "No transfers yet." in text_of(client.get("/inventory/transfers/"))


# Goods receipts ---------------------------------------------------------------


def test_it_receives_a_delivery_file_and_shows_what_it_created(
    client, clerk, equipment_models, warehouse, django_capture_on_commit_callbacks,
):
    # Given the clerk on the upload form
    client.force_login(clerk)
    assert client.get("/inventory/receipts/new/").status_code == 200

    # When a delivery of four rows, one with a malformed MAC, is uploaded
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/inventory/receipts/new/", {
            "warehouse": warehouse.pk, "supplier": "Nagra Iberia", "delivery_note": "DN-77",
            "file": upload()})

    # Then the receipt page shows it done, with 3 items created and 1 row rejected
    assert response.status_code == 302
    receipt = GoodsReceipt.objects.get()
    assert response["Location"] == f"/inventory/receipts/{receipt.pk}/"
    assert (receipt.status, receipt.rows_created, receipt.rows_rejected) == (
        ReceiptStatus.DONE, 3, 1)
    assert (receipt.supplier, receipt.delivery_note, receipt.file_name) == (
        "Nagra Iberia", "DN-77", "delivery.csv")
    page = text_of(client.get(response["Location"]))
    text = plain(page)
    assert f"Delivery {receipt.number} received: 4 rows to read." in text
    assert "Items created 3" in text and "Rows rejected 1" in text
    assert '<progress id="receipt-bar" max="100" value="100">' in page
    assert "“not-a-mac” is not a MAC address (12 hexadecimal digits)." in text
    assert f'href="/inventory/receipts/{receipt.pk}/errors.csv"' in page
    assert 'hx-trigger="every 1s"' not in page
    assert EquipmentItem.objects.filter(location=warehouse, receipt=receipt).count() == 3


def test_it_downloads_the_error_report_of_a_receipt(client, clerk, stock_file):
    client.force_login(clerk)

    response = client.get(f"/inventory/receipts/{stock_file.receipt.pk}/errors.csv")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="{stock_file.receipt.number}-errors.csv"')
    assert response.content.decode().splitlines() == [
        "row,code,reason,content",
        "5,malformed_mac,“not-a-mac” is not a MAC address (12 hexadecimal digits).,"
        '"arris-cm,MODEM0002,not-a-mac,"',
    ]


def test_it_refuses_the_same_delivery_file_twice(client, clerk, stock_file, warehouse):
    client.force_login(clerk)
    items = EquipmentItem.objects.count()

    response = client.post("/inventory/receipts/new/",
                           {"warehouse": warehouse.pk, "file": upload()})

    assert response.status_code == 422
    [message] = field_errors(text_of(response), "file")
    assert message.startswith(f"This file was already received as {stock_file.receipt.number}")
    assert GoodsReceipt.objects.count() == 1
    assert EquipmentItem.objects.count() == items


@pytest.mark.parametrize(("data", "field", "message"), [
    ({"file": None}, "file", "Choose the supplier's delivery file."),
    ({"file": ""}, "file", "The file is empty."),
    ({"file": "serial;model_name\nX;Y\n"}, "file",
     "The first line must name the columns; missing: model. Expected columns: model, "
     "serial_number, and optionally mac_address, card_number, firmware."),
    ({"warehouse": "van"}, "warehouse",
     "Select a valid choice. That choice is not one of the available choices."),
])
def test_it_refuses_a_bad_upload_next_to_the_field(client, clerk, equipment_models, warehouse,
                                                   van, data, field, message):
    client.force_login(clerk)
    post = {"warehouse": warehouse.pk, "supplier": "", "delivery_note": ""}
    if data.get("warehouse") == "van":
        post["warehouse"] = van.pk
    if "file" in data:
        if data["file"] is not None:
            post["file"] = upload(data["file"])
    else:
        post["file"] = upload()

    response = client.post("/inventory/receipts/new/", post)

    assert response.status_code == 422
    assert field_errors(text_of(response), field) == [message]
    assert GoodsReceipt.objects.count() == 0
    assert EquipmentItem.objects.count() == 0


def test_it_does_not_let_an_operator_receive_a_delivery(client, operator, equipment_models,
                                                        warehouse):
    client.force_login(operator)

    response = client.post("/inventory/receipts/new/",
                           {"warehouse": warehouse.pk, "file": upload()})

    assert response.status_code == 403
    assert GoodsReceipt.objects.count() == 0


def test_it_polls_the_progress_of_a_running_receipt_until_it_is_done(client, clerk,
                                                                     equipment_models,
                                                                     warehouse):
    # Given a receipt queued but not yet read (the task waits for the commit)
    receipt = services.goods_receipt_create(warehouse=warehouse, file_name="d.csv",
                                            content=DELIVERY.encode(), actor=clerk)
    client.force_login(clerk)

    # When its page is open, the progress part polls every second
    page = text_of(client.get(f"/inventory/receipts/{receipt.pk}/"))
    assert (f'hx-get="/inventory/receipts/{receipt.pk}/progress/" '
            'hx-trigger="every 1s"') in page
    assert "0 of 4 rows read (0 %)" in page

    # Then, once read, the partial comes back without the polling
    services.goods_receipt_process(receipt_id=receipt.pk)
    partial = text_of(client.get(f"/inventory/receipts/{receipt.pk}/progress/",
                                 HTTP_HX_REQUEST="true"))
    assert partial.lstrip().startswith('<section class="card" id="receipt-progress"')
    assert "hx-trigger" not in partial
    assert "4 of 4 rows read (100 %)" in partial


def test_it_resumes_a_failed_receipt(client, clerk, equipment_models, warehouse):
    # Given a receipt whose reading stopped (its worker was lost)
    receipt = services.goods_receipt_create(warehouse=warehouse, file_name="d.csv",
                                            content=DELIVERY.encode(), actor=clerk)
    GoodsReceipt.objects.filter(pk=receipt.pk).update(status=ReceiptStatus.FAILED,
                                                      error="Worker lost.")
    client.force_login(clerk)
    page = plain(text_of(client.get(f"/inventory/receipts/{receipt.pk}/")))
    assert "Reading the delivery stopped. Worker lost." in page
    assert "Resume" in page

    # When the clerk resumes it
    response = client.post(f"/inventory/receipts/{receipt.pk}/resume/")

    # Then it is read to the end
    assert response.status_code == 302
    receipt.refresh_from_db()
    assert (receipt.status, receipt.rows_created) == (ReceiptStatus.DONE, 3)
    assert "goes on from row 1" in text_of(client.get(response["Location"]))


def test_it_does_not_resume_a_receipt_that_is_done(client, clerk, stock_file):
    client.force_login(clerk)
    items = EquipmentItem.objects.count()

    response = client.post(f"/inventory/receipts/{stock_file.receipt.pk}/resume/", follow=True)

    assert "only a failed one can be resumed" in text_of(response)
    assert EquipmentItem.objects.count() == items


def test_it_does_not_let_an_operator_resume_a_receipt(client, operator, stock_file):
    client.force_login(operator)

    response = client.post(f"/inventory/receipts/{stock_file.receipt.pk}/resume/")

    assert response.status_code == 403


def test_it_lists_and_filters_receipts(client, clerk, stock_file):
    client.force_login(clerk)

    listed = plain(text_of(client.get("/inventory/receipts/")))
    failed = text_of(client.get("/inventory/receipts/?status=failed"))
    bad = client.get("/inventory/receipts/?warehouse=x")

    assert f"{stock_file.receipt.number} delivery.csv Madrid central Nagra Iberia" in listed
    assert "✓ Done 4 3 1" in listed
    assert "No receipt matches these filters." in failed
    assert bad.status_code == 422


def test_it_says_so_when_no_delivery_was_received(client, clerk):
    client.force_login(clerk)

    assert "No delivery received yet." in text_of(client.get("/inventory/receipts/"))


# Locations --------------------------------------------------------------------


def test_it_lists_locations_with_their_technician_and_item_counts(client, clerk, stock_file,
                                                                  repair_centre):
    client.force_login(clerk)

    page = plain(text_of(client.get("/inventory/locations/")))
    vans = plain(text_of(client.get(f"/inventory/locations/?kind={LocationKind.VAN}")))

    assert "Madrid central mad-central Warehouse — 6 0 0 6" in page
    assert "Getafe repairs repair-getafe Repair centre — 0 0 0 0" in page
    assert "Van of Tomás Torres van-tomas Technician's van Tomás Torres 1 0 0 1" in vans
    assert "Madrid central" not in vans


def test_it_says_so_when_there_are_no_locations(client, clerk):
    StockLocation.objects.all().delete()
    client.force_login(clerk)

    assert "No stock location yet." in text_of(client.get("/inventory/locations/"))


# The Equipment panel of the customer 360 page ---------------------------------


def test_it_shows_alices_equipment_on_her_360_panel(client, operator, item_in_state, make_item,
                                                    equipment_models, alice_customer,
                                                    cas_and_isp, clerk):
    # Given a box installed at Alice's with a paired card, and a modem stolen there
    box = item_in_state(ItemState.INSTALLED, model=equipment_models.box)
    card = item_in_state(ItemState.INSTALLED)
    services.equipment_item_pair(card=card, box=box, actor=clerk)
    modem = item_in_state(ItemState.INSTALLED, model=equipment_models.modem)
    services.equipment_item_declare_missing(item=modem, stolen=True, actor=clerk,
                                            reason="Burglary")
    client.force_login(operator)

    # When the operator's page loads the panel
    response = client.get(f"/desk/customers/{alice_customer.pk}/panels/equipment/",
                          HTTP_HX_REQUEST="true")

    # Then it lists each item with what identifies it, and the pending fee
    assert response.status_code == 200
    page = text_of(response)
    assert page.lstrip().startswith('<section class="card" id="panel-equipment"')
    text = plain(page)
    assert f"Set-top box Humax HD-5000 Installed at customer Serial {box.serial_number}" in text
    assert f"Paired card {card.serial_number}" in text
    assert f"Paired with {box.serial_number}" in text
    assert f"MAC {modem.mac_address}" in text and "Blacklisted" in text
    assert "At Calle Mayor 1, 28013 Madrid" in text
    assert "Was installed at Calle Mayor 1, 28013 Madrid" in text
    assert "Pending non-return fees €60.00 Arris TM822" in text
    assert f'href="/inventory/items/{box.pk}/"' in page


def test_it_shows_an_empty_equipment_panel(client, operator, bob_customer):
    client.force_login(operator)

    response = client.get(f"/desk/customers/{bob_customer.pk}/panels/equipment/")

    assert response.status_code == 200
    assert "No equipment." in text_of(response)


def test_it_loads_the_equipment_panel_lazily_on_the_360_page(client, operator, alice_customer):
    client.force_login(operator)

    page = text_of(client.get(f"/desk/customers/{alice_customer.pk}/"))

    assert (f'hx-get="/desk/customers/{alice_customer.pk}/panels/equipment/" '
            'hx-trigger="load"') in page


@pytest.mark.parametrize("role", ["marketing_agent", NO_ROLE])
def test_it_does_not_serve_the_equipment_panel_to_a_role_without_the_permission(
    client, user_with_role, alice_customer, role,
):
    client.force_login(user_with_role(None if role == NO_ROLE else role))

    page = client.get(f"/desk/customers/{alice_customer.pk}/")
    panel = client.get(f"/desk/customers/{alice_customer.pk}/panels/equipment/")

    assert 'id="panel-equipment"' not in page.content.decode()
    assert panel.status_code == 403

