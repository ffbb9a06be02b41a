"""Races for one item: sixteen orders reserving it, or sixteen technicians
installing it, at the same moment, each on its own database connection.
Exactly one wins; the others are told who has it. Behind the services'
locks the database itself refuses a second open installation and a place
that contradicts the state."""

from __future__ import annotations

import threading
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from inventory import services
from inventory.choices import ItemState
from inventory.models import EquipmentInstallation, EquipmentItem, EquipmentMovement
from tests.factories import make_customer
from tests.inventory.conftest import error_code, make_address

RACERS = 16


def race(work: Callable[[int], object]) -> list[tuple[str, object]]:
    """Run work(0..15) in sixteen threads released together; each thread
    has its own connection, closed when it is done."""
    barrier = threading.Barrier(RACERS)
    outcomes: list[tuple[str, object]] = [("missing", None)] * RACERS

    def run(index: int) -> None:
        try:
            barrier.wait(timeout=30)
            outcomes[index] = ("won", work(index))
        except ValidationError as error:
            outcomes[index] = ("refused", error)
        except Exception as error:  # noqa: BLE001 - asserted below
            outcomes[index] = ("crashed", error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(index,)) for index in range(RACERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not [thread for thread in threads if thread.is_alive()]
    return outcomes


@pytest.fixture
def customers(operator):
    people = [make_customer(actor=operator, given_name=f"Racer{index}", seed=1000 + index)
              for index in range(RACERS)]
    return [(person, make_address(person, actor=operator)) for person in people]


def _needs_postgresql() -> None:
    if connection.vendor != "postgresql":
        pytest.skip("concurrent writers need PostgreSQL")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_orders_reserve_one_item_and_exactly_one_gets_it(make_item, customers, clerk):
    _needs_postgresql()
    item = make_item()

    def reserve(index: int):
        customer, _address = customers[index]
        return services.equipment_item_reserve(item=EquipmentItem.objects.get(pk=item.pk),
                                               customer=customer, actor=clerk,
                                               subscription_ref=f"SUB-{index}")

    outcomes = race(reserve)

    assert [kind for kind, _ in outcomes if kind not in ("won", "refused")] == [], outcomes
    winners = [result for kind, result in outcomes if kind == "won"]
    assert len(winners) == 1
    item.refresh_from_db()
    winner = item.customer
    assert (item.state, item.customer_id) == (ItemState.RESERVED, winners[0].customer_id)
    assert item.subscription_ref == f"SUB-{[c for c, _ in customers].index(winner)}"
    refusals = [result for kind, result in outcomes if kind == "refused"]
    assert len(refusals) == RACERS - 1
    for refusal in refusals:
        assert error_code(refusal, "item") == "held_for_another_customer"
        assert winner.number in refusal.messages[0]
    assert list(EquipmentMovement.objects.filter(item=item).values_list("action", flat=True)
                .order_by("id")) == ["received", "reserved"]


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sixteen_technicians_install_one_item_and_exactly_one_does(make_item, customers,
                                                                   clerk):
    _needs_postgresql()
    item = make_item()

    def install(index: int):
        customer, address = customers[index]
        return services.equipment_item_install(item=EquipmentItem.objects.get(pk=item.pk),
                                               customer=customer, service_address=address,
                                               actor=clerk)

    outcomes = race(install)

    assert [kind for kind, _ in outcomes if kind not in ("won", "refused")] == [], outcomes
    assert sum(1 for kind, _ in outcomes if kind == "won") == 1
    item.refresh_from_db()
    assert item.state == ItemState.INSTALLED
    refusals = [result for kind, result in outcomes if kind == "refused"]
    assert len(refusals) == RACERS - 1
    for refusal in refusals:
        assert error_code(refusal, "item") == "already_installed"
        assert item.customer.number in refusal.messages[0]
    installation = EquipmentInstallation.objects.get(item=item)
    assert installation.removed_at is None
    assert (installation.customer_id, installation.service_address_id) == (
        item.customer_id, item.service_address_id)
    assert EquipmentMovement.objects.filter(item=item).count() == 2


@pytest.mark.django_db
def test_the_database_refuses_a_second_open_installation(item_in_state, bob_customer,
                                                         bob_address):
    # Given an item installed at alice's (one open installation)
    item = item_in_state(ItemState.INSTALLED)
    # When a second open installation row is written past the services
    with pytest.raises(IntegrityError), transaction.atomic():
        EquipmentInstallation.objects.create(item=item, customer=bob_customer,
                                             service_address=bob_address,
                                             installed_at=timezone.now())
    # Then only a closed one may be added
    EquipmentInstallation.objects.create(item=item, customer=bob_customer,
                                         service_address=bob_address,
                                         installed_at=timezone.now(),
                                         removed_at=timezone.now())
    assert EquipmentInstallation.objects.filter(item=item, removed_at__isnull=True).count() == 1


@pytest.mark.django_db
def test_the_database_refuses_an_installed_item_at_a_location(item_in_state, warehouse):
    item = item_in_state(ItemState.INSTALLED)
    with pytest.raises(IntegrityError), transaction.atomic():
        EquipmentItem.objects.filter(pk=item.pk).update(location=warehouse)
    item.refresh_from_db()
    assert item.location is None
