"""Benchmarks of the inventory app.

- inventory_receipt: how many rows a second a supplier's delivery file
  becomes items, end to end: `goods_receipt_create` (store, checksum, read)
  and `goods_receipt_process` (validate every row, check the serials, MAC
  addresses and card numbers against the items already known, COPY the items
  and their "received" movement, chunk by chunk). The baseline is PostgreSQL
  alone taking in the same rows on this machine now: a plain COPY of the same
  file, its columns as text, into an unindexed UNLOGGED scratch table.
  `ratio_to_copy` is the receipt's rate over that one; it is steadier than
  either figure on a shared machine.

The file is realistic for a cable and satellite provider: set-top boxes
(serial and firmware), smart cards (with their card numbers) and cable
modems (with their MAC addresses), serials unique to each round. BENCH_RECEIPT_ROWS
(default 100,000) and BENCH_RECEIPT_ROUNDS (default 3) change the size; each
metric is the median of the rounds. Everything the bench receives goes into
its own warehouse and is deleted after each round (items, movements,
rejections, receipts, stored files, their audit rows), so runs do not grow
the database."""

from __future__ import annotations

import csv
import io
import os
import random
import statistics
import time
from decimal import Decimal
from unittest import mock

from django.contrib.auth.models import Group
from django.db import connection

from inventory import services, tasks
from inventory.choices import EquipmentKind, LocationKind, ReceiptStatus, SupplyTerms
from inventory.models import EquipmentModel, EquipmentMovement, GoodsReceipt, StockLocation
from sesmu.benchmarks import Report, benchmark
from sesmu.choices import UserKind
from sesmu.models import AuditEvent, User

DEFAULT_ROWS = 100_000
DEFAULT_ROUNDS = 3
WARM_UP_ROWS = 2_000
SEED = 2026
RATIO_TARGET = 0.25

WAREHOUSE_CODE = "bench-receipts"
CLERK_USERNAME = "bench-clerk"
SCRATCH_TABLE = "bench_receipt_copy"
COPY_BLOCK = 1 << 20
HEADER = ["model", "serial_number", "mac_address", "card_number", "firmware"]

# code, kind, manufacturer, model name, services, share of the file
BENCH_MODELS = [
    ("bench-stb-hd", EquipmentKind.SET_TOP_BOX, "Humax", "HD Fox T2", ["tv_package"], 0.45),
    ("bench-card", EquipmentKind.SMART_CARD, "Nagravision", "Merlin", ["tv_package"], 0.35),
    ("bench-cable-modem", EquipmentKind.CABLE_MODEM, "Arris", "TM822", ["internet"], 0.20),
]
FIRMWARE = {
    EquipmentKind.SET_TOP_BOX: ["4.07.12", "4.08.01 build 1123", "HD-5.0, hotfix 2",
                                "R\\12 (field trial)", 'ver "B"'],
    EquipmentKind.SMART_CARD: ["", "", "MER-3.1"],
    EquipmentKind.CABLE_MODEM: ["TM822A-9.1.103", "9.1.103S5", "SB\t9.2"],
}


def _whole_number(name: str, default: int, minimum: int) -> int:
    raw = os.environ.get(name, "")
    try:
        value = int(raw) if raw else default
    except ValueError:
        raise ValueError(f"{name} must be a whole number, not {raw!r}.")
    if value < minimum:
        raise ValueError(f"{name} must be at least {minimum}.")
    return value


def _base36(value: int) -> str:
    digits = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    text = ""
    while value:
        value, digit = divmod(value, 36)
        text = digits[digit] + text
    return text or "0"


def _require_postgresql() -> None:
    if connection.vendor != "postgresql":
        raise RuntimeError(f"The receipt bench measures PostgreSQL, not {connection.vendor}.")


def _bench_clerk() -> User:
    clerk, created = User.objects.get_or_create(
        username=CLERK_USERNAME,
        defaults={"first_name": "Bench", "last_name": "Clerk", "kind": UserKind.STAFF,
                  "language": "en", "email": "bench-clerk@sesmu.example"},
    )
    if created:
        clerk.set_unusable_password()
        clerk.save(update_fields=["password"])
    clerk.groups.add(Group.objects.get(name="inventory_clerk"))
    return clerk


def _bench_warehouse() -> StockLocation:
    warehouse, _created = StockLocation.objects.update_or_create(
        code=WAREHOUSE_CODE,
        defaults={"name": "Bench receipts", "kind": LocationKind.WAREHOUSE, "is_active": True},
    )
    return warehouse


def _bench_models() -> dict[str, EquipmentModel]:
    models = {}
    for code, kind, manufacturer, model_name, service_kinds, _share in BENCH_MODELS:
        models[code], _created = EquipmentModel.objects.update_or_create(
            code=code,
            defaults={"kind": kind, "manufacturer": manufacturer, "model_name": model_name,
                      "service_kinds": service_kinds, "supply_terms": SupplyTerms.RENTED,
                      "rental_price": Decimal("3.00"), "non_return_fee": Decimal("60.00"),
                      "is_active": True},
        )
    return models


def delivery_file(*, prefix: str, rows: int, seed: int) -> bytes:
    """A supplier's CSV of `rows` items whose identifiers all start with
    `prefix` (upper-case letters and digits), so each round's are new."""
    rng = random.Random(seed)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(HEADER)
    shares = [share for *_rest, share in BENCH_MODELS]
    # Two bytes of the MAC come from the prefix: a round's modems do not
    # collide with an earlier round's, should its clean-up have failed.
    mac_run = sum(ord(char) * 31 ** index for index, char in enumerate(prefix)) & 0xFFFF
    for number in range(rows):
        code, kind, *_rest = rng.choices(BENCH_MODELS, weights=shares)[0]
        firmware = rng.choice(FIRMWARE[kind])
        if kind == EquipmentKind.SMART_CARD:
            writer.writerow([code, f"{prefix}S{number:07d}", "", f"{prefix}{number:010d}",
                             firmware])
        elif kind == EquipmentKind.CABLE_MODEM:
            value = (mac_run << 24) | number
            mac = "02" + "".join(f"{(value >> shift) & 0xFF:02x}" for shift in (32, 24, 16, 8, 0))
            writer.writerow([code, f"{prefix}M{number:07d}",
                             ":".join(mac[index:index + 2] for index in range(0, 12, 2)),
                             "", firmware])
        else:
            writer.writerow([code, f"{prefix}B{number:07d}", "", "", firmware])
    return out.getvalue().encode("utf-8")


def copy_rows_per_second(content: bytes, rows: int) -> float:
    """The file COPYed as it is (its columns as text) into a fresh unindexed
    UNLOGGED table, dropped afterwards."""
    columns = ", ".join(f"{name} text" for name in HEADER)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
        cursor.execute(f"CREATE UNLOGGED TABLE {SCRATCH_TABLE} ({columns})")
        try:
            view = memoryview(content)
            started = time.perf_counter()
            with cursor.copy(f"COPY {SCRATCH_TABLE} FROM STDIN "  # noqa: S608 - fixed name
                             "WITH (FORMAT csv, HEADER true)") as copy:
                for start in range(0, len(view), COPY_BLOCK):
                    copy.write(view[start:start + COPY_BLOCK])
            seconds = time.perf_counter() - started
            cursor.execute(f"SELECT count(*) FROM {SCRATCH_TABLE}")  # noqa: S608
            (copied,) = cursor.fetchone()
        finally:
            cursor.execute(f"DROP TABLE IF EXISTS {SCRATCH_TABLE}")
    if copied != rows:
        raise RuntimeError(f"The plain COPY took in {copied} rows, not {rows}.")
    return rows / seconds


def receive(*, warehouse: StockLocation, clerk: User, content: bytes, file_name: str,
            rows: int) -> tuple[float, float, float]:
    """Receive the file through the services; seconds to create, seconds to
    process, and rows a second in all. The task create queues on commit is
    caught and not run: the processing is timed here, once."""
    queued: list[int] = []
    with mock.patch.object(tasks.goods_receipt_process_task, "delay", queued.append):
        started = time.perf_counter()
        receipt = services.goods_receipt_create(warehouse=warehouse, file_name=file_name,
                                                content=content, actor=clerk,
                                                supplier="Bench supplier",
                                                delivery_note=file_name[:60])
        created = time.perf_counter()
    if queued != [receipt.pk]:
        raise RuntimeError(f"goods_receipt_create queued {queued}, not [{receipt.pk}].")
    receipt = services.goods_receipt_process(receipt_id=receipt.pk)
    finished = time.perf_counter()
    movements = EquipmentMovement.objects.filter(receipt=receipt).count()
    outcome = (receipt.status, receipt.rows_created, receipt.rows_rejected, movements)
    if outcome != (ReceiptStatus.DONE, rows, 0, rows):
        raise RuntimeError(f"Receipt {receipt.number} ended as (status, created, rejected, "
                           f"movements) {outcome}, not {('done', rows, 0, rows)}.")
    return created - started, finished - created, rows / (finished - started)


def forget_receipts(warehouse: StockLocation) -> int:
    """Delete everything received into the bench warehouse: the ledger rows
    first (they protect their items), then items, rejections, receipts,
    their files and audit rows. Raw SQL: the ORM would fetch every row."""
    receipts = list(GoodsReceipt.objects.filter(warehouse=warehouse))
    if not receipts:
        return 0
    ids = [receipt.pk for receipt in receipts]
    with connection.cursor() as cursor:
        cursor.execute(
            "DELETE FROM inventory_equipmentmovement WHERE item_id IN "
            "(SELECT id FROM inventory_equipmentitem WHERE receipt_id = ANY(%s))", [ids])
        cursor.execute("DELETE FROM inventory_equipmentitem WHERE receipt_id = ANY(%s)", [ids])
        cursor.execute("DELETE FROM inventory_receiptrejection WHERE receipt_id = ANY(%s)",
                       [ids])
        cursor.execute("DELETE FROM inventory_goodsreceipt WHERE id = ANY(%s)", [ids])
    for receipt in receipts:
        receipt.file.delete(save=False)
    AuditEvent.objects.filter(object_type="inventory.goodsreceipt",
                              object_id__in=[str(pk) for pk in ids]).delete()
    with connection.cursor() as cursor:
        # The next round starts on tables without the dead rows of this one.
        for table in ("inventory_equipmentitem", "inventory_equipmentmovement"):
            cursor.execute(f"VACUUM (ANALYZE) {table}")
    return len(ids)


@benchmark("inventory_receipt")
def inventory_receipt(report: Report) -> None:
    """Rows per second of a 100,000-row delivery file received, against a plain COPY."""
    _require_postgresql()
    rows = _whole_number("BENCH_RECEIPT_ROWS", DEFAULT_ROWS, 1)
    rounds = _whole_number("BENCH_RECEIPT_ROUNDS", DEFAULT_ROUNDS, 1)
    clerk = _bench_clerk()
    warehouse = _bench_warehouse()
    _bench_models()
    if forgotten := forget_receipts(warehouse):
        report.progress(f"deleted {forgotten} receipts left by an earlier run")
    run = _base36(int(time.time()))[-5:]
    try:
        # Warm up: imports, plan caches, the scratch table's first creation.
        content = delivery_file(prefix=f"W{run}", rows=WARM_UP_ROWS, seed=SEED)
        copy_rows_per_second(content, WARM_UP_ROWS)
        receive(warehouse=warehouse, clerk=clerk, content=content, file_name="warm-up.csv",
                rows=WARM_UP_ROWS)
        forget_receipts(warehouse)
        receipt_rates, copy_rates, ratios = [], [], []
        for round_number in range(1, rounds + 1):
            content = delivery_file(prefix=f"R{run}{round_number}", rows=rows,
                                    seed=SEED + round_number)
            copy_rate = copy_rows_per_second(content, rows)
            create_seconds, process_seconds, rate = receive(
                warehouse=warehouse, clerk=clerk, content=content,
                file_name=f"bench-delivery-{run}-{round_number}.csv", rows=rows)
            forget_receipts(warehouse)
            report.progress(
                f"round {round_number}: {rows:,} rows ({len(content) / 1e6:.1f} MB); receipt "
                f"{rate:,.0f} rows/s (create {create_seconds:.2f} s, process "
                f"{process_seconds:.2f} s), plain COPY {copy_rate:,.0f} rows/s, ratio "
                f"{rate / copy_rate:.3f}")
            receipt_rates.append(rate)
            copy_rates.append(copy_rate)
            ratios.append(rate / copy_rate)
    finally:
        forget_receipts(warehouse)
    report.metric(metric="rows_per_s", value=statistics.median(receipt_rates), target=None,
                  higher_is_better=True)
    report.metric(metric="rows_per_s", kind="copy_scratch_table",
                  value=statistics.median(copy_rates), target=None, higher_is_better=True)
    report.metric(metric="ratio_to_copy", value=statistics.median(ratios), target=RATIO_TARGET,
                  baseline="copy_scratch_table", higher_is_better=True)
