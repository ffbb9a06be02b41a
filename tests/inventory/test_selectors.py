"""Read paths of the inventory app: who sees items, finding an item by
whatever is printed on it, stock per model and location with its low-stock
warning, and a customer's equipment."""

from __future__ import annotations

import pytest

from inventory import selectors, services
from inventory.choices import ItemState
from inventory.models import StockLocation
from sesmu.errors import NotFound
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


class TestVisibility:
    @pytest.mark.parametrize("role, sees", [
        ("inventory_clerk", True), ("cc_operator", True), ("field_technician", True),
        ("dispatcher", True), ("marketing_agent", False), (None, False),
    ])
    def test_staff_with_the_permission_see_items(self, role, sees, make_item, user_with_role):
        item = make_item()
        actor = user_with_role(role)
        assert list(selectors.item_list_visible_to(actor=actor)) == ([item] if sees else [])
        if sees:
            assert selectors.access_item(actor=actor, item_id=str(item.pk)) == item
        else:
            with pytest.raises(NotFound):
                selectors.access_item(actor=actor, item_id=item.pk)

    def test_a_portal_customer_sees_nothing_here(self, make_item, alice):
        item = make_item()
        assert not selectors.item_list_visible_to(actor=alice).exists()
        with pytest.raises(NotFound):
            selectors.access_item(actor=alice, item_id=item.pk)

    def test_missing_and_malformed_ids_are_not_found_alike(self, make_item, clerk):
        make_item()
        for item_id in (999999, "abc", None, "1; drop"):
            with pytest.raises(NotFound):
                selectors.access_item(actor=clerk, item_id=item_id)

    def test_an_inactive_user_sees_nothing(self, make_item):
        make_item()
        user = UserFactory(username="gone", roles=["inventory_clerk"], is_active=False)
        assert not selectors.item_list_visible_to(actor=user).exists()


class TestFindByIdentifier:
    @pytest.mark.parametrize("typed", [
        "00:1A:2B:3C:4D:5E", "00-1a-2b-3c-4d-5e", "001a.2b3c.4d5e", "001A2B3C4D5E",
        " 00 1a 2b 3c 4d 5e ", "00:1a:2b:3c:4d:5e",
    ])
    def test_it_finds_a_modem_by_its_mac_typed_any_way(self, typed, equipment_models,
                                                       make_item, clerk):
        modem = make_item(model=equipment_models.modem, mac_address="00:1A:2B:3C:4D:5E")
        make_item(model=equipment_models.modem)
        assert selectors.item_find_by_identifier(actor=clerk, text=typed) == [modem]

    @pytest.mark.parametrize("typed", ["ca 1234-5678", "CA12345678", " ca12345678"])
    def test_it_finds_a_card_by_its_number(self, typed, make_item, clerk):
        card = make_item(card_number="CA12345678")
        make_item()
        assert selectors.item_find_by_identifier(actor=clerk, text=typed) == [card]

    def test_it_finds_by_serial_in_any_case(self, equipment_models, make_item, clerk):
        box = make_item(model=equipment_models.box, serial_number="HMX-2024/001")
        assert selectors.item_find_by_identifier(actor=clerk, text=" hmx-2024/001 ") == [box]

    @pytest.mark.parametrize("typed", ["", "  ", "?", "HMX"])
    def test_it_finds_nothing_for_text_that_names_no_item(self, typed, make_item, clerk):
        make_item()
        assert selectors.item_find_by_identifier(actor=clerk, text=typed) == []

    def test_it_finds_nothing_for_someone_who_may_not_see_items(self, make_item, alice):
        item = make_item()
        assert selectors.item_find_by_identifier(actor=alice, text=item.serial_number) == []


class TestStock:
    def test_it_counts_by_model_location_and_state_and_warns_of_low_stock(
        self, equipment_models, make_item, item_in_state, warehouse, other_warehouse, van,
        clerk,
    ):
        # Given: cards (threshold 2): 1 free in the warehouse, 3 free in the van,
        # 1 reserved, 1 faulty, 1 installed (not at a location); boxes (no
        # threshold): 1 free in the other warehouse; no modem or dish at all.
        make_item()
        for _ in range(3):
            make_item(location=van)
        item_in_state(ItemState.RESERVED)
        item_in_state(ItemState.FAULTY)
        item_in_state(ItemState.INSTALLED)
        make_item(model=equipment_models.box, location=other_warehouse)
        equipment_models.modem.low_stock_threshold = 1
        equipment_models.modem.save()
        # When
        summary = {stock.model.code: stock for stock in selectors.stock_summary()}
        # Then
        assert set(summary) == {"nagra-card", "humax-stb", "arris-cm", "triax-dish"}
        cards = summary["nagra-card"]
        assert [(line.location, line.in_stock, line.held, line.other, line.total)
                for line in cards.lines] == [
            (warehouse, 1, 1, 1, 3), (van, 3, 0, 0, 3)]
        assert (cards.free_in_warehouses, cards.in_stock, cards.held, cards.other) == (
            1, 4, 1, 1)
        assert cards.is_low is True
        assert summary["humax-stb"].is_low is False
        assert summary["arris-cm"].lines == []
        assert summary["arris-cm"].is_low is True
        assert summary["triax-dish"].is_low is False
        low = [stock.model.code for stock in selectors.stock_summary(low_only=True)]
        assert sorted(low) == ["arris-cm", "nagra-card"]
        assert selectors.low_stock_count() == 2
        # A second free card in a warehouse lifts the warning.
        make_item()
        assert selectors.stock_summary(model_id=equipment_models.card.pk)[0].is_low is False

    def test_it_filters_by_location_model_and_kind(self, equipment_models, make_item, van,
                                                   warehouse):
        make_item()
        make_item(location=van)
        make_item(model=equipment_models.box)
        at_van = selectors.stock_summary(location_id=van.pk)
        assert [(stock.model.code, [line.location for line in stock.lines])
                for stock in at_van if stock.lines] == [("nagra-card", [van])]
        boxes = selectors.stock_summary(kind="set_top_box")
        assert [(stock.model.code, stock.in_stock) for stock in boxes] == [("humax-stb", 1)]
        rows = list(selectors.stock_counts(model_id=equipment_models.card.pk))
        assert sorted((row["location_id"], row["state"], row["count"]) for row in rows) == [
            (warehouse.pk, "in_stock", 1), (van.pk, "in_stock", 1)]

    def test_the_warning_counts_every_warehouse_whatever_the_location_shown(
        self, equipment_models, make_item, van, warehouse, other_warehouse,
    ):
        # Given two free cards (threshold 2), in two warehouses, and one in the van
        make_item()
        make_item(location=other_warehouse)
        make_item(location=van)
        for location in (van, warehouse, other_warehouse, None):
            # When only one location's lines are shown
            cards = selectors.stock_summary(location_id=location and location.pk,
                                            model_id=equipment_models.card.pk)[0]
            # Then the lines are that location's, the warning is for all warehouses
            assert [line.location for line in cards.lines] == (
                [location] if location else [other_warehouse, warehouse, van])
            assert (cards.free_in_warehouses, cards.is_low) == (2, False)
        assert selectors.stock_summary(location_id=van.pk, low_only=True) == []

    def test_inactive_models_are_left_out(self, equipment_models, make_item):
        make_item(model=equipment_models.dish)
        equipment_models.dish.is_active = False
        equipment_models.dish.save()
        codes = [stock.model.code for stock in selectors.stock_summary()]
        assert "triax-dish" not in codes

    def test_it_takes_three_queries_whatever_the_stock(self, equipment_models, make_item,
                                                        van, django_assert_num_queries):
        for model in (equipment_models.card, equipment_models.box, equipment_models.modem):
            make_item(model=model)
            make_item(model=model, location=van)
        with django_assert_num_queries(3):
            selectors.stock_summary()


class TestCustomerEquipment:
    def test_it_lists_what_the_customer_has_or_is_about_to_get(
        self, equipment_models, make_item, item_in_state, bob_customer, bob_address,
        cas_and_isp, warehouse, clerk, alice_customer,
    ):
        installed = item_in_state(ItemState.INSTALLED)
        reserved = item_in_state(ItemState.RESERVED, model=equipment_models.box)
        on_its_way = item_in_state(ItemState.WITH_TECHNICIAN, model=equipment_models.modem)
        lost_at_home = item_in_state(ItemState.INSTALLED, model=equipment_models.modem)
        services.equipment_item_declare_missing(item=lost_at_home, stolen=False, actor=clerk)
        recovered = item_in_state(ItemState.RETURNED)
        lost_in_the_van = item_in_state(ItemState.WITH_TECHNICIAN)
        services.equipment_item_declare_missing(item=lost_in_the_van, stolen=True, actor=clerk)
        bobs = make_item()
        services.equipment_item_install(item=bobs, customer=bob_customer,
                                        service_address=bob_address, actor=clerk)
        # When
        listed = selectors.customer_equipment(customer=alice_customer)
        # Then
        assert listed == [installed, lost_at_home, reserved, on_its_way]
        assert recovered not in listed and lost_in_the_van not in listed
        assert selectors.customer_equipment(customer=bob_customer) == [bobs]
        assert list(selectors.pending_charges(customer=alice_customer)
                    .values_list("item", flat=True)) == [lost_at_home.pk]
        assert not selectors.pending_charges(customer=bob_customer).exists()

    def test_it_lists_what_is_installed_for_a_subscription(self, item_in_state, clerk):
        first, second = item_in_state(ItemState.INSTALLED), item_in_state(ItemState.INSTALLED)
        item_in_state(ItemState.RESERVED)  # reserved for SUB-1 too, not installed
        assert sorted(selectors.installed_for_subscription(subscription_ref="SUB-1"),
                      key=lambda item: item.pk) == [first, second]
        assert selectors.installed_for_subscription(subscription_ref="SUB-2") == []

    def test_history_lists_installations_and_movements_newest_first(
        self, item_in_state, warehouse, alice_customer, alice_address, clerk,
    ):
        item = item_in_state(ItemState.RETURNED)
        services.equipment_item_warehouse_action(item=item, action="restock", actor=clerk)
        services.equipment_item_install(item=item, customer=alice_customer,
                                        service_address=alice_address, actor=clerk)
        history = list(selectors.installation_history(item=item))
        assert len(history) == 2
        assert history[0].removed_at is None and history[1].removed_at is not None
        assert [movement.action for movement in selectors.item_movements(item=item)] == [
            "installed", "restocked", "recovered", "installed", "received"]


def test_location_list_leaves_out_closed_places(warehouse, other_warehouse, van):
    StockLocation.objects.filter(pk=other_warehouse.pk).update(is_active=False)
    assert list(selectors.location_list()) == [van, warehouse]
    assert list(selectors.location_list(kind="van")) == [van]
    assert list(selectors.location_list(active_only=False, kind="warehouse")) == [
        other_warehouse, warehouse]
