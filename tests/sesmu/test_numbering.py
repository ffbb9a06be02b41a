import threading

import pytest
from django.db import connection, transaction

from sesmu.models import NumberSeries
from sesmu.numbering import series_next, series_reserve


@pytest.mark.django_db
def test_it_gives_consecutive_numbers():
    with transaction.atomic():
        first = series_next(name="customer")
        second = series_next(name="customer")
        block = series_reserve(name="customer", count=3)
    assert [first, second, *block] == [f"C{n:08d}" for n in range(1, 6)]


@pytest.mark.django_db
def test_it_gives_the_number_back_when_the_transaction_rolls_back():
    class Abort(Exception):
        pass

    with pytest.raises(Abort), transaction.atomic():
        assert series_next(name="customer") == "C00000001"
        raise Abort
    with transaction.atomic():
        assert series_next(name="customer") == "C00000001"


@pytest.mark.django_db(transaction=True)
def test_it_refuses_to_number_outside_a_transaction():
    with pytest.raises(RuntimeError):
        series_next(name="customer")


@pytest.mark.django_db
def test_it_refuses_an_empty_reservation():
    with pytest.raises(ValueError), transaction.atomic():
        series_reserve(name="customer", count=0)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_it_never_gives_the_same_number_twice_under_concurrency():
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL")
    with transaction.atomic():
        series_next(name="race")  # create the row before the race
    numbers: list[str] = []
    errors: list[Exception] = []

    def take():
        try:
            for _ in range(10):
                with transaction.atomic():
                    numbers.append(series_next(name="race"))
        except Exception as error:  # noqa: BLE001 - collected and asserted below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=take) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert sorted(numbers) == [f"{n:08d}" for n in range(2, 82)]
    assert NumberSeries.objects.get(name="race").next_value == 82
