"""Shared fixtures of the inventory tests: a catalog of four models, a
warehouse, a repair centre, a field technician with his van, an inventory
clerk, the demo element managers, and items made the way a delivery makes
them (an item plus its "received" movement, so the ledger is whole)."""

from __future__ import annotations

import itertools
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.db import transaction

from customers import services as customer_services
from customers.models import Address, Customer
from inventory import services
from inventory.choices import (
    EquipmentKind,
    ItemState,
    LocationKind,
    MovementAction,
    SupplyTerms,
    WarehouseAction,
)
from inventory.models import EquipmentItem, EquipmentModel, EquipmentMovement, StockLocation
from sesmu.models import User
from tests.factories import UserFactory

_numbers = itertools.count(1)


@pytest.fixture
def equipment_models(db) -> SimpleNamespace:
    """card: smart card for TV, rented, 30.00 non-return fee; box: set-top
    box; modem: cable modem for internet, rented, 60.00; dish: satellite
    dish, sold (with a fee that must never be charged)."""
    card = EquipmentModel.objects.create(
        code="nagra-card", kind=EquipmentKind.SMART_CARD, manufacturer="Nagra",
        model_name="Merlin", service_kinds=["tv_package"], access_media=["cable", "satellite"],
        supply_terms=SupplyTerms.RENTED, non_return_fee=Decimal("30.00"), low_stock_threshold=2,
    )
    box = EquipmentModel.objects.create(
        code="humax-stb", kind=EquipmentKind.SET_TOP_BOX, manufacturer="Humax",
        model_name="HD-5000", service_kinds=["tv_package"], access_media=["cable"],
        supply_terms=SupplyTerms.RENTED, rental_price=Decimal("3.00"),
        non_return_fee=Decimal("80.00"),
    )
    modem = EquipmentModel.objects.create(
        code="arris-cm", kind=EquipmentKind.CABLE_MODEM, manufacturer="Arris",
        model_name="TM822", service_kinds=["internet"], access_media=["cable"],
        supply_terms=SupplyTerms.RENTED, rental_price=Decimal("2.50"),
        non_return_fee=Decimal("60.00"),
    )
    dish = EquipmentModel.objects.create(
        code="triax-dish", kind=EquipmentKind.SATELLITE_DISH, manufacturer="Triax",
        model_name="TD-80", service_kinds=["tv_package"], access_media=["satellite"],
        supply_terms=SupplyTerms.SOLD, non_return_fee=Decimal("45.00"),
    )
    return SimpleNamespace(card=card, box=box, modem=modem, dish=dish)


@pytest.fixture
def warehouse(db) -> StockLocation:
    return StockLocation.objects.create(code="mad-central", name="Madrid central",
                                        kind=LocationKind.WAREHOUSE)


@pytest.fixture
def other_warehouse(db) -> StockLocation:
    return StockLocation.objects.create(code="bcn-central", name="Barcelona central",
                                        kind=LocationKind.WAREHOUSE)


@pytest.fixture
def repair_centre(db) -> StockLocation:
    return StockLocation.objects.create(code="repair-getafe", name="Getafe repairs",
                                        kind=LocationKind.REPAIR_CENTRE)


@pytest.fixture
def clerk(db) -> User:
    return UserFactory(username="clara", first_name="Clara", last_name="Campos",
                       roles=["inventory_clerk"])


@pytest.fixture
def technician(db) -> User:
    return UserFactory(username="tomas", first_name="Tomás", last_name="Torres",
                       roles=["field_technician"])


@pytest.fixture
def van(technician, clerk) -> StockLocation:
    return services.van_for_technician(technician=technician, actor=clerk)


@pytest.fixture
def cas_and_isp(db):
    """The demo element managers: "cas" for TV, "isp" for internet."""
    from integrations.demo import seed_registry

    systems = {system.code: system for system in seed_registry()}
    return SimpleNamespace(cas=systems["cas"], isp=systems["isp"])


def make_address(customer: Customer, *, actor: User | None = None,
                 street: str = "Calle Mayor") -> Address:
    return customer_services.address_create(actor=actor, customer=customer, street=street,
                                            street_number="1", postal_code="28013",
                                            city="Madrid")


@pytest.fixture
def alice_address(alice_customer, operator) -> Address:
    return make_address(alice_customer, actor=operator)


@pytest.fixture
def bob_address(bob_customer, operator) -> Address:
    return make_address(bob_customer, actor=operator, street="Calle Alcalá")


def create_item(
    *,
    model: EquipmentModel,
    location: StockLocation,
    actor: User | None = None,
    serial_number: str | None = None,
    mac_address: str | None = None,
    card_number: str | None = None,
) -> EquipmentItem:
    """An item in stock at `location` with its "received" movement, as a
    delivery leaves it. Identifiers the model needs are made up if not given."""
    number = next(_numbers)
    if mac_address is None and model.kind in (EquipmentKind.CABLE_MODEM,
                                              EquipmentKind.ADSL_ROUTER):
        digits = f"{number:06X}"
        mac_address = f"02:00:00:{digits[0:2]}:{digits[2:4]}:{digits[4:6]}"
    if card_number is None and model.kind in (EquipmentKind.SMART_CARD,
                                              EquipmentKind.CA_MODULE):
        card_number = f"CA{number:010d}"
    with transaction.atomic():
        item = EquipmentItem.objects.create(
            model=model, serial_number=serial_number or f"SN{model.pk}X{number:07d}",
            mac_address=mac_address, card_number=card_number, location=location,
        )
        EquipmentMovement.objects.create(
            item=item, action=MovementAction.RECEIVED, from_state="",
            to_state=ItemState.IN_STOCK, to_location=location, reason="test delivery",
            actor=actor if actor is not None and actor.pk else None,
        )
    return item


@pytest.fixture
def make_item(equipment_models, warehouse, clerk):
    """make_item(model=None, location=None, serial_number=None, ...): an item
    in stock (a smart card unless told), in the warehouse unless told."""

    def make(*, model: EquipmentModel | None = None, location: StockLocation | None = None,
             **identifiers) -> EquipmentItem:
        return create_item(model=model or equipment_models.card,
                           location=location or warehouse, actor=clerk, **identifiers)

    return make


# Every state, and how an item in stock gets there through the services.
ALL_STATES = [state.value for state in ItemState]


def walk_to(item: EquipmentItem, state: str, *, customer: Customer, address: Address,
            van: StockLocation, warehouse: StockLocation, repair_centre: StockLocation,
            actor: User | None) -> EquipmentItem:
    """Take an item in stock to `state` through the services only."""
    def warehouse_action(action: str, location: StockLocation | None = None):
        return services.equipment_item_warehouse_action(item=item, action=action, actor=actor,
                                                        location=location)

    if state == ItemState.IN_STOCK:
        pass
    elif state == ItemState.RESERVED:
        item = services.equipment_item_reserve(item=item, customer=customer, actor=actor,
                                               subscription_ref="SUB-1")
    elif state == ItemState.WITH_TECHNICIAN:
        item = walk_to(item, ItemState.RESERVED, customer=customer, address=address, van=van,
                       warehouse=warehouse, repair_centre=repair_centre, actor=actor)
        item = services.equipment_item_hand_over(item=item, van=van, actor=actor)
    elif state == ItemState.INSTALLED:
        item = services.equipment_item_install(item=item, customer=customer,
                                               service_address=address, actor=actor,
                                               subscription_ref="SUB-1")
    elif state == ItemState.RETURNED:
        item = walk_to(item, ItemState.INSTALLED, customer=customer, address=address, van=van,
                       warehouse=warehouse, repair_centre=repair_centre, actor=actor)
        item = services.equipment_item_recover(item=item, location=warehouse, actor=actor)
    elif state == ItemState.FAULTY:
        item = warehouse_action(WarehouseAction.MARK_FAULTY)
    elif state == ItemState.IN_REPAIR:
        item = warehouse_action(WarehouseAction.MARK_FAULTY)
        item = warehouse_action(WarehouseAction.SEND_TO_REPAIR, repair_centre)
    elif state == ItemState.REFURBISHED:
        item = warehouse_action(WarehouseAction.MARK_FAULTY)
        item = warehouse_action(WarehouseAction.SEND_TO_REPAIR, repair_centre)
        item = warehouse_action(WarehouseAction.REPAIR)
    elif state in (ItemState.LOST, ItemState.STOLEN):
        item = services.equipment_item_declare_missing(item=item, actor=actor,
                                                       stolen=state == ItemState.STOLEN)
    elif state == ItemState.SCRAPPED:
        item = warehouse_action(WarehouseAction.SCRAP)
    elif state == ItemState.RETURNED_TO_SUPPLIER:
        item = warehouse_action(WarehouseAction.RETURN_TO_SUPPLIER)
    else:  # pragma: no cover - a new state needs a path here
        raise AssertionError(f"no path to {state}")
    item.refresh_from_db()
    assert item.state == state
    return item


@pytest.fixture
def item_in_state(make_item, alice_customer, alice_address, van, warehouse, repair_centre,
                  clerk):
    """item_in_state(state, model=None): an item walked to `state` for
    alice (reserved for, with the technician for, or installed at alice's)."""

    def make(state: str, *, model: EquipmentModel | None = None) -> EquipmentItem:
        item = make_item(model=model)
        return walk_to(item, state, customer=alice_customer, address=alice_address, van=van,
                       warehouse=warehouse, repair_centre=repair_centre, actor=clerk)

    return make


def error_code(error, field: str | None = None) -> str:
    """The code of a service's ValidationError (on `field`, or its only field)."""
    if field is None:
        (field,) = error.error_dict
    return error.error_dict[field][0].code


def snapshot(item: EquipmentItem) -> dict:
    """Everything a refused move must leave as it was, for this item and
    for the side effects (ledger, outbox, charges, installations)."""
    from integrations.models import OutboxMessage
    from inventory.models import EquipmentCharge, EquipmentInstallation

    fresh = EquipmentItem.objects.get(pk=item.pk)
    return {
        "state": fresh.state,
        "location": fresh.location_id,
        "customer": fresh.customer_id,
        "service_address": fresh.service_address_id,
        "subscription_ref": fresh.subscription_ref,
        "is_blacklisted": fresh.is_blacklisted,
        "paired_with": fresh.paired_with_id,
        "movements": EquipmentMovement.objects.count(),
        "outbox": OutboxMessage.objects.count(),
        "charges": sorted(EquipmentCharge.objects.values_list("pk", "status")),
        "installations": sorted(
            EquipmentInstallation.objects.values_list("pk", "removed_at")),
    }
