"""Benchmarks of the customers app, at the size of a real provider: a million
customers.

- customer_generate: how long `generate_customers` takes to load them, and
  that time against a plain COPY of the same rows in the same run.
- customer_search: the operator's search box (`search_everything`) for each
  kind of query, on a fixed set of queries drawn with a fixed seed.
- customer_360: the customer 360 page of customers with long histories,
  through the whole Django stack, and its number of SQL queries.

Each bench loads what it needs if an earlier one did not. The timed benches
run ROUNDS rounds and report the median round's p50 and p95: the machine is
shared, and a burst of someone else's work should spoil one round, not the
result."""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import Group
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.management import call_command
from django.db import connection
from django.db.models import Count, Max, Min
from django.test import Client
from stdnum.es import dni

from callcenter.models import CallCenter, OperatorProfile
from callcenter.search import search_everything
from customers.contacts import display_phone
from customers.models import BillingAccount, Customer, Interaction
from sesmu.benchmarks import Report, benchmark, percentile, timings_summary
from sesmu.choices import UserKind
from sesmu.models import NumberSeries, User

SEED = 2026
DEFAULT_CUSTOMERS = 1_000_000
LONG_HISTORIES = 50
INTERACTIONS_EACH = 200
QUERIES_PER_KIND = 200
WARM_UP_PER_KIND = 40
PAGE_REQUESTS = 200
PAGE_WARM_UP = 20
ROUNDS = 3

SEARCH_TARGET_MS = 20
GENERATE_TARGET_SECONDS = 300
PAGE_TARGET_MS = 40
PAGE_QUERY_TARGET = 12

CUSTOMER_TABLES = ("customers_customer", "customers_contactpoint")
BENCH_USERNAME = "bench-operator"
SOME = "*"


def customers_wanted() -> int:
    """BENCH_CUSTOMERS overrides the million for a quick run."""
    raw = os.environ.get("BENCH_CUSTOMERS", "")
    try:
        count = int(raw) if raw else DEFAULT_CUSTOMERS
    except ValueError:
        raise ValueError(f"BENCH_CUSTOMERS must be a whole number, not {raw!r}.")
    if count < LONG_HISTORIES:
        raise ValueError(f"BENCH_CUSTOMERS must be at least {LONG_HISTORIES}.")
    return count


def _require_bench_database() -> None:
    name = str(settings.DATABASES["default"]["NAME"])
    if connection.vendor != "postgresql" or "bench" not in name:
        raise RuntimeError(f"Refusing to empty customer tables outside a bench database "
                           f"({connection.vendor} {name!r}).")


def bench_operator() -> User:
    """A call-center operator like the ones at the desk: staff, cc_operator
    role, an operator profile in a call center. Fetched afresh each time so
    its permission cache starts empty, as on a new request."""
    user, created = User.objects.get_or_create(
        username=BENCH_USERNAME,
        defaults={"first_name": "Bench", "last_name": "Operator", "kind": UserKind.STAFF,
                  "language": "en", "email": "bench-operator@sesmu.example"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name="cc_operator"))
    call_center, _created = CallCenter.objects.get_or_create(
        code="bench", defaults={"name": "Bench call center", "city": "Madrid"}
    )
    OperatorProfile.objects.get_or_create(
        user=user, defaults={"call_center": call_center, "languages": ["es", "en"]}
    )
    return User.objects.get(pk=user.pk)


def _generate(report: Report, *, count: int, histories: int) -> None:
    call_command(
        "generate_customers", count=count, seed=SEED + Customer.objects.count(),
        interactions_for=histories, interactions_each=INTERACTIONS_EACH,
        stdout=report.stderr, stderr=report.stderr,
    )


def _vacuum_analyze(report: Report) -> None:
    # After a bulk load the planner knows nothing of the new rows, and the
    # visibility map is empty; production runs autovacuum, a bench cannot
    # wait for it.
    started = time.perf_counter()
    with connection.cursor() as cursor:
        for table in (*CUSTOMER_TABLES, "customers_interaction", "customers_customerevent"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    report.progress(f"VACUUM ANALYZE in {time.perf_counter() - started:.1f} s")


def long_history_customer_ids() -> list[int]:
    return list(
        Interaction.objects.values("customer")
        .annotate(interactions=Count("id"))
        .filter(interactions__gte=INTERACTIONS_EACH)
        .order_by("customer")
        .values_list("customer", flat=True)
    )


def ensure_customers(report: Report) -> None:
    """Load the missing customers (and long histories) if the bench database
    has fewer than wanted, e.g. when customer_search runs alone."""
    wanted = customers_wanted()
    bench_operator()
    existing = Customer.objects.count()
    missing_histories = max(LONG_HISTORIES - len(long_history_customer_ids()), 0)
    if existing >= wanted and not missing_histories:
        return
    count = max(wanted - existing, missing_histories)
    report.progress(f"{existing:,} customers loaded; adding {count:,}")
    _generate(report, count=count, histories=missing_histories)
    _vacuum_analyze(report)


# customer_generate -------------------------------------------------------------------


@benchmark("customer_generate")
def customer_generate(report: Report) -> None:
    """Seconds to load a million customers with generate_customers."""
    _require_bench_database()
    count = customers_wanted()
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE customers_customer RESTART IDENTITY CASCADE")
    # Numbers restart too, so every run loads C00000001.. like the first.
    NumberSeries.objects.filter(name__in=["customer", "billing_account"]).update(next_value=1)
    bench_operator()
    report.progress(f"loading {count:,} customers")
    started = time.perf_counter()
    _generate(report, count=count, histories=LONG_HISTORIES)
    seconds = time.perf_counter() - started
    _vacuum_analyze(report)
    report.metric(metric="seconds", value=seconds, target=GENERATE_TARGET_SECONDS)
    baseline = _plain_copy_seconds(report)
    report.metric(metric="seconds", kind="plain_copy", value=baseline, target=None)
    report.metric(metric="ratio_to_baseline", value=seconds / baseline, target=None,
                  baseline="plain_copy")


def _plain_copy_seconds(report: Report) -> float:
    """The same customer and contact rows, COPYed into unindexed temporary
    tables: what PostgreSQL alone needs to take them in on this machine now.
    The generator's ratio to it is steadier than its seconds."""
    total = 0.0
    with connection.cursor() as cursor:
        for table in CUSTOMER_TABLES:
            buffer = bytearray()
            with cursor.copy(f"COPY {table} TO STDOUT") as copy:  # noqa: S608 - fixed names
                for block in copy:
                    buffer += block
            scratch = f"bench_plain_{table}"
            cursor.execute(f"DROP TABLE IF EXISTS {scratch}")
            cursor.execute(f"CREATE UNLOGGED TABLE {scratch} (LIKE {table} INCLUDING DEFAULTS)")
            started = time.perf_counter()
            with cursor.copy(f"COPY {scratch} FROM STDIN") as copy:  # noqa: S608
                view = memoryview(buffer)
                for start in range(0, len(view), 1 << 20):
                    copy.write(view[start:start + (1 << 20)])
            total += time.perf_counter() - started
            cursor.execute(f"DROP TABLE {scratch}")
    report.progress(f"plain COPY of the same rows: {total:.1f} s")
    return total


# customer_search ---------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """One search. `expected` is the customer number the results must hold,
    or SOME when any hit will do (a common name has hundreds of customers
    and only the first page comes back), or "" for a miss."""

    text: str
    expected: str
    group: str = "all"  # a finer label, for the progress output only


def _sample_customers(rng: random.Random, count: int) -> list[Customer]:
    bounds = Customer.objects.aggregate(low=Min("id"), high=Max("id"))
    ids = rng.sample(range(bounds["low"], bounds["high"] + 1), count * 2)
    by_id = Customer.objects.prefetch_related("contacts").in_bulk(ids)
    return [by_id[customer_id] for customer_id in ids if customer_id in by_id][:count]


def _free_nif(rng: random.Random) -> str:
    while True:
        body = str(rng.randint(10_000_000, 99_999_999))
        nif = body + dni.calc_check_digit(body)
        if not Customer.objects.filter(document_number=nif).exists():
            return nif


def search_queries(*, seed: int, per_kind: int) -> dict[str, list[Query]]:
    """A fixed set of queries of each kind: hits drawn from the loaded
    customers with a fixed seed, typed the ways operators type them, and a
    tenth of misses."""
    rng = random.Random(seed)
    hits = per_kind - per_kind // 10
    misses = per_kind // 10
    customers = _sample_customers(rng, hits)
    queries: dict[str, list[Query]] = {}

    queries["customer_number"] = [
        Query(rng.choice((c.number, c.number.lower(), c.number.lstrip("C").lstrip("0"))),
              c.number)
        for c in customers
    ] + [Query(f"C{rng.randint(50_000_000, 99_999_999)}", "") for _ in range(misses)]

    queries["document"] = [
        Query(rng.choice((c.document_number, c.document_number.lower(),
                          f"{c.document_number[:8]}-{c.document_number[8:]}")), c.number)
        for c in customers
    ] + [Query(_free_nif(rng), "") for _ in range(misses)]

    def phone_of(customer: Customer) -> str:
        return next(p.value for p in customer.contacts.all() if p.kind == "phone")

    def email_of(customer: Customer) -> str:
        return next(p.value for p in customer.contacts.all() if p.kind == "email")

    queries["phone"] = [
        Query(rng.choice((phone_of(c), phone_of(c)[3:], display_phone(phone_of(c)))), c.number)
        for c in customers
    ] + [Query(f"+34 71{rng.randint(0, 9_999_999):07d}", "") for _ in range(misses)]

    queries["email"] = [
        Query(rng.choice((email_of(c), email_of(c).upper())), c.number) for c in customers
    ] + [Query(f"nobody.{rng.randint(1, 10**9)}@example.com", "") for _ in range(misses)]

    accounts = list(BillingAccount.objects.select_related("customer").order_by("number"))
    if accounts:
        queries["account_number"] = [
            Query(rng.choice((a.number, a.number.lower(), "A" + a.number.lstrip("A0"))),
                  a.customer.number)
            for a in (rng.choice(accounts) for _ in range(hits))
        ] + [Query(f"A{rng.randint(50_000_000, 99_999_999)}", "") for _ in range(misses)]

    queries["name"] = _name_queries(rng, customers, misses)
    return queries


def _name_queries(rng: random.Random, customers: list[Customer], misses: int) -> list[Query]:
    """Full names, single common surnames and prefixes, in the proportions of
    a desk where most callers are found by number or phone first."""
    common_surnames = [
        surname for surname, _count in _most_common_first_surnames(limit=40)
    ]
    queries: list[Query] = []
    for index, customer in enumerate(customers):
        given = customer.given_name
        families = customer.family_name.split(" ")
        slot = index % 9
        if slot in (0, 1, 2):
            queries.append(Query(f"{given} {families[0]}", SOME, "full name"))
        elif slot == 3:
            queries.append(Query(f"{given} {customer.family_name}", SOME, "full name"))
        elif slot in (4, 5):
            queries.append(Query(rng.choice(common_surnames), SOME, "common surname"))
        elif slot == 6:
            queries.append(Query(f"{given[:3]} {families[0][:3]}", SOME, "prefixes"))
        elif slot == 7:
            queries.append(Query(f"{given} {families[0][:4]}", SOME, "prefixes"))
        else:
            queries.append(Query(families[0][:3], SOME, "prefixes"))
    letters = "bcdfghjklmnpqrstvwxz"
    for _index in range(misses):
        word = "".join(rng.choice(letters) for _ in range(7))
        queries.append(Query(f"{word} {word[::-1]}", "", "miss"))
    return queries


def _most_common_first_surnames(*, limit: int) -> list[tuple[str, int]]:
    sample = Customer.objects.order_by("id").values_list("family_name", flat=True)[:50_000]
    counts: dict[str, int] = {}
    for family_name in sample:
        first = family_name.split(" ")[0]
        counts[first] = counts.get(first, 0) + 1
    return sorted(counts.items(), key=lambda item: -item[1])[:limit]


def _run_search(query: Query, operator: User) -> float:
    started = time.perf_counter()
    result = search_everything(query=query.text, actor=operator)
    elapsed = (time.perf_counter() - started) * 1000
    # A fast wrong answer is no result: check each one.
    titles = [hit.title for hit in result.hits]
    if query.expected == "" and titles:
        raise AssertionError(f"Search {query.text!r} should find nothing, found {titles[0]}")
    if query.expected == SOME and not titles:
        raise AssertionError(f"Search {query.text!r} found nothing")
    found = any(title.startswith(query.expected) for title in titles)
    if query.expected not in ("", SOME) and not found:
        raise AssertionError(f"Search {query.text!r} did not find {query.expected}: "
                             f"{titles[:3]}")
    return elapsed


@benchmark("customer_search")
def customer_search(report: Report) -> None:
    """p50 and p95 of the desk's search box, per kind of query."""
    ensure_customers(report)
    operator = bench_operator()
    report.progress("drawing the queries")
    queries = search_queries(seed=SEED, per_kind=QUERIES_PER_KIND)
    warm_up = search_queries(seed=SEED + 1, per_kind=WARM_UP_PER_KIND)
    for kind_queries in warm_up.values():
        for query in kind_queries:
            _run_search(query, operator)
    # Each round times every query once; the machine is shared, so a burst
    # of someone else's work can spoil one round: the median round counts.
    rounds: dict[str, list[dict[str, float]]] = {kind: [] for kind in queries}
    for round_number in range(1, ROUNDS + 1):
        for kind, kind_queries in queries.items():
            timings = [_run_search(query, operator) for query in kind_queries]
            rounds[kind].append(timings_summary(timings))
            by_group: dict[str, list[float]] = {}
            for query, elapsed in zip(kind_queries, timings, strict=True):
                by_group.setdefault(query.group, []).append(elapsed)
            report.progress(f"round {round_number} {kind}: " + ", ".join(
                f"{group} p95 {percentile(values, 0.95):.1f} ms (n={len(values)})"
                for group, values in by_group.items()
            ))
    for kind, summaries in rounds.items():
        # p50 is shown for context; the target is on p95.
        report.metric(kind=kind, metric="p50_ms", target=None,
                      value=statistics.median(summary["p50_ms"] for summary in summaries))
        report.metric(kind=kind, metric="p95_ms", target=SEARCH_TARGET_MS,
                      value=statistics.median(summary["p95_ms"] for summary in summaries))


# customer_360 ------------------------------------------------------------------------


class QueryCounter:
    """Counts the SQL statements of a request (an execute wrapper, lighter
    than CaptureQueriesContext, which keeps every statement's text)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, execute: Callable, sql: str, params, many: bool, context):
        self.count += 1
        return execute(sql, params, many, context)


def _ensure_static_manifest(report: Report) -> None:
    """Without DEBUG the pages name their static files through the manifest
    of collectstatic, as in production."""
    manifest = getattr(staticfiles_storage, "manifest_name", None)
    if manifest and not staticfiles_storage.exists(manifest):
        report.progress("collectstatic (the pages need the static manifest)")
        call_command("collectstatic", interactive=False, verbosity=0)


@benchmark("customer_360")
def customer_360(report: Report) -> None:
    """p95 and SQL queries of the customer 360 page for long histories."""
    ensure_customers(report)
    _ensure_static_manifest(report)
    customer_ids = long_history_customer_ids()[:LONG_HISTORIES]
    operator = bench_operator()
    client = Client()
    client.force_login(operator)
    urls = [f"/desk/customers/{customer_id}/" for customer_id in customer_ids]
    for index in range(PAGE_WARM_UP):
        _get(client, urls[index % len(urls)])
    summaries: list[dict[str, float]] = []
    queries: list[int] = []
    for round_number in range(1, ROUNDS + 1):
        timings: list[float] = []
        for index in range(PAGE_REQUESTS):
            counter = QueryCounter()
            with connection.execute_wrapper(counter):
                started = time.perf_counter()
                _get(client, urls[index % len(urls)])
                timings.append((time.perf_counter() - started) * 1000)
            queries.append(counter.count)
        summaries.append(timings_summary(timings))
        report.progress(f"round {round_number}: {PAGE_REQUESTS} pages of {len(urls)} customers "
                        f"with {INTERACTIONS_EACH}+ interactions: p50 "
                        f"{summaries[-1]['p50_ms']:.1f} ms, p95 {summaries[-1]['p95_ms']:.1f} ms")
    report.progress(f"queries per page {min(queries)}..{max(queries)}")
    # The median round counts, as in customer_search.
    report.metric(metric="p50_ms", target=None,
                  value=statistics.median(summary["p50_ms"] for summary in summaries))
    report.metric(metric="p95_ms", target=PAGE_TARGET_MS,
                  value=statistics.median(summary["p95_ms"] for summary in summaries))
    report.metric(metric="queries", value=max(queries), target=PAGE_QUERY_TARGET)


def _get(client: Client, url: str) -> None:
    response = client.get(url)
    if response.status_code != 200:
        raise AssertionError(f"GET {url} answered {response.status_code}")
    if b"Timeline" not in response.content and b"timeline" not in response.content:
        raise AssertionError(f"GET {url} has no timeline")

