"""`manage.py bench`: what it refuses, and the shape of what it prints. The
benches themselves run with `make bench`, on a million customers."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from sesmu.benchmarks import Report, discover, percentile


def test_it_registers_the_customer_benches_in_load_order():
    names = list(discover())

    customer_benches = [name for name in names if name.startswith("customer_")]
    assert customer_benches == ["customer_generate", "customer_search", "customer_360"]
    assert "outbox_delivery" in names


def test_it_rejects_an_unknown_bench_naming_the_known_ones():
    with pytest.raises(CommandError, match="Unknown benchmark nope.*customer_search"):
        call_command("bench", "nope", stdout=StringIO(), stderr=StringIO())


@pytest.mark.django_db
def test_it_refuses_a_database_that_is_not_a_bench_one():
    # SQLite is refused as such; the PostgreSQL test database is not named
    # *bench*. Either way nothing is loaded.
    expected = "measure PostgreSQL" if connection.vendor == "sqlite" else "not a bench database"

    with pytest.raises(CommandError, match=expected):
        call_command("bench", "customer_search", stdout=StringIO(), stderr=StringIO())


def test_it_prints_one_json_object_per_metric_and_progress_elsewhere():
    stdout, stderr = StringIO(), StringIO()
    report = Report(bench="customer_search", stdout=stdout, stderr=stderr)

    report.progress("warming up")
    report.metric(kind="name", metric="p95_ms", value=7.4, target=20)
    report.metric(kind="name", metric="p50_ms", value=3.0, target=None)
    report.metric(metric="ratio_to_baseline", value=1.5, target=None, baseline="plain_copy")
    report.metric(metric="seconds", value=301.0, target=300)

    lines = [json.loads(line) for line in stdout.getvalue().splitlines()]
    assert lines == [
        {"bench": "customer_search", "kind": "name", "metric": "p95_ms", "value": 7.4,
         "target": 20, "baseline": None, "ok": True},
        {"bench": "customer_search", "kind": "name", "metric": "p50_ms", "value": 3.0,
         "target": None, "baseline": None, "ok": None},
        {"bench": "customer_search", "kind": None, "metric": "ratio_to_baseline", "value": 1.5,
         "target": None, "baseline": "plain_copy", "ok": None},
        {"bench": "customer_search", "kind": None, "metric": "seconds", "value": 301.0,
         "target": 300, "baseline": None, "ok": False},
    ]
    assert stderr.getvalue() == "[customer_search] warming up\n"


def test_it_interpolates_percentiles_between_ranks():
    values = [float(value) for value in range(1, 101)]

    assert percentile(values, 0.5) == 50.5
    assert percentile(values, 0.95) == pytest.approx(95.05)
    assert percentile([4.0], 0.95) == 4.0
