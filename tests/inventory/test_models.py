"""What the inventory models guarantee by themselves: the database
constraints that back the services up, validation of the catalog, the
protected state field, and small properties the pages use."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from inventory.choices import ItemState, LocationKind, ReceiptStatus
from inventory.models import (
    EquipmentCharge,
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    StockLocation,
    validate_access_media,
    validate_service_kinds,
)

pytestmark = pytest.mark.django_db


def refused_by_database(write) -> bool:
    try:
        with transaction.atomic():
            write()
    except IntegrityError:
        return True
    return False


class TestItemPlaceMatchesState:
    @pytest.mark.parametrize("state, place, allowed", [
        (ItemState.IN_STOCK, {"location": "warehouse"}, True),
        (ItemState.IN_STOCK, {}, False),
        (ItemState.IN_STOCK, {"location": "warehouse", "customer": True}, False),
        (ItemState.FAULTY, {"location": "warehouse", "customer": True}, False),
        (ItemState.RESERVED, {"location": "warehouse", "customer": True}, True),
        (ItemState.RESERVED, {"location": "warehouse"}, False),
        (ItemState.WITH_TECHNICIAN, {"customer": True}, False),
        (ItemState.RESERVED, {"location": "warehouse", "customer": True, "address": True},
         False),
        (ItemState.INSTALLED, {"customer": True, "address": True}, True),
        (ItemState.INSTALLED, {"location": "warehouse", "customer": True, "address": True},
         False),
        (ItemState.INSTALLED, {"customer": True}, False),
        (ItemState.INSTALLED, {}, False),
        (ItemState.LOST, {}, True),
        (ItemState.STOLEN, {"customer": True, "address": True}, True),
        (ItemState.SCRAPPED, {"location": "warehouse"}, False),
    ])
    def test_the_database_checks_the_place_of_each_state(
        self, state, place, allowed, equipment_models, warehouse, alice_customer,
        alice_address,
    ):
        item = EquipmentItem(
            model=equipment_models.box, serial_number="CHECK-1", state=state,
            location=warehouse if place.get("location") else None,
            customer=alice_customer if place.get("customer") else None,
            service_address=alice_address if place.get("address") else None,
        )
        assert refused_by_database(lambda: EquipmentItem.objects.bulk_create([item])) is (
            not allowed)

    def test_the_state_moves_only_through_transitions(self, make_item):
        item = make_item()
        with pytest.raises(AttributeError):
            item.state = ItemState.INSTALLED
        item.full_clean()  # the protected state is left out of field cleaning


class TestUniqueness:
    def test_mac_and_card_numbers_are_unique_when_present(self, equipment_models, make_item):
        make_item(model=equipment_models.modem, mac_address="00:11:22:33:44:55")
        card = make_item()
        # Items without a MAC or a card number are many.
        make_item(model=equipment_models.box)
        make_item(model=equipment_models.box)
        assert refused_by_database(lambda: EquipmentItem.objects.create(
            model=equipment_models.modem, serial_number="OTHER-1",
            mac_address="00:11:22:33:44:55", location=card.location))
        assert refused_by_database(lambda: EquipmentItem.objects.create(
            model=equipment_models.card, serial_number="OTHER-2",
            card_number=card.card_number, location=card.location))
        assert refused_by_database(lambda: EquipmentItem.objects.create(
            model=equipment_models.card, serial_number=card.serial_number,
            location=card.location))

    def test_an_item_is_not_paired_with_itself(self, make_item):
        card = make_item()
        assert refused_by_database(
            lambda: EquipmentItem.objects.filter(pk=card.pk).update(paired_with=card.pk))


class TestLocations:
    def test_a_van_has_a_technician_and_nothing_else_has(self, technician, warehouse):
        assert refused_by_database(lambda: StockLocation.objects.create(
            code="van-x", name="Van", kind=LocationKind.VAN))
        assert refused_by_database(lambda: StockLocation.objects.create(
            code="wh-x", name="Warehouse", kind=LocationKind.WAREHOUSE, technician=technician))

    def test_kind_labels(self, van, warehouse, repair_centre):
        assert [place.kind_label for place in (van, warehouse, repair_centre)] == [
            "Technician's van", "Warehouse", "Repair centre"]


class TestCatalog:
    def test_amounts_are_not_negative(self, equipment_models):
        assert refused_by_database(lambda: EquipmentModel.objects.filter(
            pk=equipment_models.box.pk).update(non_return_fee=Decimal("-1")))

    def test_sold_equipment_has_no_rental_price(self, equipment_models):
        dish = equipment_models.dish
        dish.rental_price = Decimal("1.00")
        with pytest.raises(ValidationError) as raised:
            dish.full_clean()
        assert raised.value.error_dict["rental_price"][0].code == "sold_with_rental"

    @pytest.mark.parametrize("validator, value, code", [
        (validate_service_kinds, ["tv_package", "teleportation"], "invalid_choice"),
        (validate_service_kinds, "tv_package", "not_a_list"),
        (validate_service_kinds, [1], "not_a_list"),
        (validate_access_media, ["pigeon"], "invalid_choice"),
    ])
    def test_services_and_media_are_known_lists(self, validator, value, code):
        with pytest.raises(ValidationError) as raised:
            validator(value)
        assert raised.value.error_list[0].code == code

    def test_known_lists_pass(self):
        validate_service_kinds(["tv_package", "internet"])
        validate_access_media(["cable", "satellite", "copper"])
        validate_service_kinds([])


class TestCharges:
    def test_a_charge_is_positive_and_one_pending_per_item(self, equipment_models, make_item,
                                                           alice_customer):
        item = make_item()
        movement = EquipmentMovement.objects.get(item=item)

        def charge(amount="30.00", status="pending"):
            return EquipmentCharge.objects.create(
                customer=alice_customer, item=item, kind="non_return", amount=Decimal(amount),
                currency="EUR", status=status, movement=movement)

        assert refused_by_database(lambda: charge(amount="0"))
        charge()
        assert refused_by_database(charge)
        charge(status="cancelled")
        charge(status="billed")
        assert EquipmentCharge.objects.count() == 3


def test_network_identifier_is_what_the_element_manager_knows(equipment_models, make_item):
    card = make_item(card_number="CA99887766")
    modem = make_item(model=equipment_models.modem, mac_address="00:11:22:33:44:66")
    box = make_item(model=equipment_models.box, serial_number="BOX-1")
    assert [card.network_identifier, modem.network_identifier, box.network_identifier] == [
        "CA99887766", "00:11:22:33:44:66", "BOX-1"]


@pytest.mark.parametrize("status, done, total, percent, running", [
    (ReceiptStatus.QUEUED, 0, 0, 0, True),
    (ReceiptStatus.PROCESSING, 250, 1000, 25, True),
    (ReceiptStatus.PROCESSING, 1200, 1000, 100, True),
    (ReceiptStatus.DONE, 0, 0, 100, False),
    (ReceiptStatus.FAILED, 10, 1000, 1, False),
])
def test_receipt_progress(status, done, total, percent, running):
    receipt = GoodsReceipt(status=status, rows_done=done, rows_total=total)
    assert (receipt.progress_percent, receipt.is_running) == (percent, running)
