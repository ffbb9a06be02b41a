"""The demo equipment: loaded through the services with a whole ledger,
and loaded twice without creating anything the second time."""

from __future__ import annotations

from decimal import Decimal
from itertools import pairwise

import pytest

from customers import services as customer_services
from customers.models import Customer
from integrations.models import OutboxMessage
from inventory import selectors
from inventory.choices import ChargeStatus, ItemState, LocationKind, MovementAction
from inventory.demo import seed_inventory
from inventory.models import (
    EquipmentCharge,
    EquipmentInstallation,
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    ReceiptRejection,
    StockLocation,
    StockTransfer,
)
from sesmu.models import AuditEvent
from tests.factories import UserFactory, make_customer
from tests.inventory.conftest import make_address

pytestmark = pytest.mark.django_db

TABLES = [EquipmentModel, StockLocation, GoodsReceipt, ReceiptRejection, EquipmentItem,
          EquipmentMovement, EquipmentInstallation, StockTransfer, EquipmentCharge,
          OutboxMessage, AuditEvent]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def demo_people(db):
    """The demo logins the seeding uses, and four customers: three active
    with a service address, one prospect (who gets nothing)."""
    clerk = UserFactory(username="clerk", roles=["inventory_clerk"])
    technician = UserFactory(username="technician", first_name="Tomás", last_name="Torres",
                             roles=["field_technician"])
    active = []
    for seed in range(3):
        customer = make_customer(seed=seed)
        make_address(customer)
        active.append(customer_services.customer_activate(actor=None, customer=customer))
    prospect = make_customer(seed=99)
    make_address(prospect)
    return clerk, technician, active, prospect


def counts() -> dict[str, int]:
    return {table.__name__: table.objects.count() for table in TABLES}


def test_it_loads_the_demo_stock_through_the_services(demo_people, cas_and_isp):
    clerk, technician, active, prospect = demo_people

    summary = seed_inventory(customers=3)

    assert summary == {"received": 468, "installed_customers": 3, "items": 468}
    assert EquipmentModel.objects.count() == 9
    receipts = GoodsReceipt.objects.order_by("number")
    assert [(r.status, r.rows_created, r.rows_rejected) for r in receipts] == [
        ("done", 310, 0), ("done", 120, 2), ("done", 38, 0)]
    assert sorted(ReceiptRejection.objects.values_list("code", flat=True)) == [
        "duplicate_serial", "missing_mac"]
    van = StockLocation.objects.get(technician=technician)
    assert van.kind == LocationKind.VAN
    assert EquipmentItem.objects.filter(location=van, state=ItemState.IN_STOCK).count() == 15
    assert EquipmentItem.objects.filter(location__code="reparaciones-getafe",
                                        state=ItemState.IN_REPAIR).count() == 2
    card_states = []
    for customer in active:
        box = EquipmentItem.objects.get(customer=customer, model__kind="set_top_box")
        card = EquipmentItem.objects.get(customer=customer, model__kind="smart_card")
        assert (box.state, card.paired_with_id) == (ItemState.INSTALLED, box.pk)
        card_states.append(card.state)
    assert card_states == [ItemState.INSTALLED, ItemState.INSTALLED, ItemState.STOLEN]
    assert not EquipmentItem.objects.filter(customer=prospect).exists()
    stolen = EquipmentItem.objects.get(state=ItemState.STOLEN)
    assert (stolen.customer_id, stolen.is_blacklisted) == (active[-1].pk, True)
    charge = EquipmentCharge.objects.get()
    assert (charge.item_id, charge.amount, charge.status) == (stolen.pk, Decimal("30.00"),
                                                              ChargeStatus.PENDING)
    assert OutboxMessage.objects.filter(destination=cas_and_isp.cas,
                                        kind__endswith="blacklist_device").count() == 1
    low = [stock.model.code for stock in selectors.stock_summary(low_only=True)]
    assert low == ["smit-ci-cam"]


def test_it_creates_nothing_the_second_time(demo_people, cas_and_isp):
    seed_inventory(customers=3)
    before = counts()

    summary = seed_inventory(customers=3)

    assert counts() == before
    assert (summary["received"], summary["installed_customers"]) == (0, 0)


def test_its_ledger_tells_where_every_item_is(demo_people, cas_and_isp):
    seed_inventory(customers=3)

    movements: dict[int, list[EquipmentMovement]] = {}
    for movement in EquipmentMovement.objects.order_by("id"):
        movements.setdefault(movement.item_id, []).append(movement)
    for item in EquipmentItem.objects.all():
        ledger = movements[item.pk]
        first, last = ledger[0], ledger[-1]
        assert (first.action, first.from_state, first.to_state) == (
            MovementAction.RECEIVED, "", ItemState.IN_STOCK)
        assert first.receipt_id == item.receipt_id is not None
        for earlier, later in pairwise(ledger):
            assert later.from_state == earlier.to_state, item.serial_number
        assert (last.to_state, last.to_location_id) == (item.state, item.location_id)
    installed = set(EquipmentItem.objects.filter(state=ItemState.INSTALLED)
                    .values_list("pk", flat=True))
    open_installations = list(EquipmentInstallation.objects.filter(removed_at__isnull=True)
                              .values_list("item_id", flat=True))
    assert sorted(open_installations) == sorted(installed)
    receipts = GoodsReceipt.objects.all()
    assert sum(r.rows_created for r in receipts) == EquipmentMovement.objects.filter(
        action=MovementAction.RECEIVED).count() == EquipmentItem.objects.count()


def test_it_declares_nothing_stolen_without_a_conditional_access_system(demo_people):
    seed_inventory(customers=3)

    assert not EquipmentItem.objects.filter(state=ItemState.STOLEN).exists()
    assert (EquipmentCharge.objects.count(), OutboxMessage.objects.count()) == (0, 0)
    assert EquipmentItem.objects.filter(state=ItemState.INSTALLED).count() == 6


def test_it_equips_nobody_without_customers(db):
    assert Customer.objects.count() == 0

    summary = seed_inventory()

    assert (summary["received"], summary["installed_customers"]) == (468, 0)
    assert not StockLocation.objects.filter(kind=LocationKind.VAN).exists()
