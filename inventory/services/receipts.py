"""Goods receipt: a supplier's delivery file becomes items in a warehouse.

The file is stored before anything is read from it. Processing goes in
chunks, each in its own transaction that also advances the receipt's
counters, so a worker that dies mid-file resumes where the last chunk ended
and never creates an item twice. Every row that creates nothing is kept
with its row number and the reason. The same file uploaded again is refused
(its checksum is known); a different file repeating serial numbers gets
those rows rejected as already received.
"""

from __future__ import annotations

import csv
import hashlib
import io
import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import IntegrityError, connection, transaction
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from inventory import errors
from inventory.choices import (
    KINDS_NEEDING_CARD_NUMBER,
    KINDS_NEEDING_MAC,
    ItemState,
    LocationKind,
    MovementAction,
    ReceiptStatus,
)
from inventory.identifiers import (
    is_valid_card_number,
    is_valid_serial,
    normalise_card_number,
    normalise_mac,
    normalise_serial,
)
from inventory.models import (
    EquipmentItem,
    EquipmentModel,
    EquipmentMovement,
    GoodsReceipt,
    ReceiptRejection,
    StockLocation,
)
from sesmu.audit import audit_record
from sesmu.errors import field_error
from sesmu.models import AuditAction, User
from sesmu.numbering import series_next

logger = logging.getLogger("sesmu.inventory")

MAX_FILE_BYTES = 20 * 1024 * 1024
CHUNK_ROWS = 20_000  # rows per transaction: the unit of resuming and of progress
FIRMWARE_MAX = 40

# Column headings suppliers use, in English and Spanish, for each field.
COLUMN_NAMES = {
    "model": ("model", "model_code", "modelo", "codigo_modelo"),
    "serial_number": ("serial_number", "serial", "sn", "numero_serie", "n_serie"),
    "mac_address": ("mac_address", "mac", "direccion_mac"),
    "card_number": ("card_number", "card", "smart_card", "ca_serial", "tarjeta",
                    "numero_tarjeta"),
    "firmware": ("firmware", "version_firmware"),
}
REQUIRED_COLUMNS = ("model", "serial_number")


@dataclass
class DeliveryFile:
    """A delivery file understood: its data rows with their line numbers,
    and which column holds which field."""

    rows: list[tuple[int, list[str]]]
    columns: dict[str, int]
    header: list[str] = field(default_factory=list)
    delimiter: str = ","


# Words a heading may carry that say nothing: "Número de serie" is
# "numero_serie".
_HEADING_FILLERS = frozenset({"de", "del", "of", "the"})


def _heading_key(text: str) -> str:
    plain = text.strip().lower().replace("º", "").replace("°", "")
    for accented, bare in (("á", "a"), ("é", "e"), ("í", "i"), ("ó", "o"), ("ú", "u")):
        plain = plain.replace(accented, bare)
    words = plain.replace(".", " ").replace("-", " ").split()
    return "_".join(word for word in words if word not in _HEADING_FILLERS)


def read_delivery_file(raw: bytes) -> DeliveryFile:
    """Decode and split a delivery file (UTF-8, with or without BOM, or
    Latin-1; comma, semicolon or tab separated). Raises ValidationError on
    the `file` field when it cannot be a delivery file at all."""
    if b"\x00" in raw[:4096]:
        raise field_error("file", _("This is not a text (CSV) file."), code=errors.BAD_FILE)
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = raw.decode("latin-1")
    first_line = text.split("\n", 1)[0]
    delimiter = max((",", ";", "\t"), key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        header = next(reader)
    except StopIteration:
        raise field_error("file", _("The file is empty."), code=errors.BAD_FILE)
    except csv.Error as error:
        raise field_error("file", _("The file cannot be read as CSV: %(error)s")
                          % {"error": error}, code=errors.BAD_FILE)
    keys = [_heading_key(heading) for heading in header]
    columns: dict[str, int] = {}
    for name, aliases in COLUMN_NAMES.items():
        for index, key in enumerate(keys):
            if key in aliases and name not in columns:
                columns[name] = index
    missing = [name for name in REQUIRED_COLUMNS if name not in columns]
    if missing:
        raise field_error(
            "file",
            _("The first line must name the columns; missing: %(missing)s. Expected columns: "
              "model, serial_number, and optionally mac_address, card_number, firmware.")
            % {"missing": ", ".join(missing)},
            code=errors.BAD_FILE,
        )
    rows: list[tuple[int, list[str]]] = []
    try:
        for values in reader:
            if any(value.strip() for value in values):
                rows.append((reader.line_num, values))
    except csv.Error as error:
        raise field_error("file", _("Line %(line)s cannot be read as CSV: %(error)s")
                          % {"line": reader.line_num, "error": error}, code=errors.BAD_FILE)
    if not rows:
        raise field_error("file", _("The file has no rows after the column names."),
                          code=errors.BAD_FILE)
    return DeliveryFile(rows=rows, columns=columns, header=header, delimiter=delimiter)


@transaction.atomic
def goods_receipt_create(
    *,
    warehouse: StockLocation,
    file_name: str,
    content: bytes,
    actor: User | None,
    supplier: str = "",
    delivery_note: str = "",
) -> GoodsReceipt:
    """Store a delivery file for `warehouse` and queue its processing."""
    if warehouse.kind != LocationKind.WAREHOUSE:
        raise field_error("warehouse", _("Deliveries are received in a warehouse."),
                          code=errors.NOT_A_WAREHOUSE)
    if not warehouse.is_active:
        raise field_error("warehouse", _("%(location)s is closed.")
                          % {"location": warehouse.name}, code=errors.LOCATION_INACTIVE)
    if not content:
        raise field_error("file", _("The file is empty."), code=errors.BAD_FILE)
    if len(content) > MAX_FILE_BYTES:
        raise field_error("file", _("The file is larger than %(size)s MB; split it.")
                          % {"size": MAX_FILE_BYTES // (1024 * 1024)}, code=errors.BAD_FILE)
    checksum = hashlib.sha256(content).hexdigest()
    _refuse_known_file(checksum)
    delivery = read_delivery_file(content)
    try:
        with transaction.atomic():
            receipt = GoodsReceipt(
                number=series_next(name="goods_receipt"), warehouse=warehouse,
                supplier=supplier.strip()[:100], delivery_note=delivery_note.strip()[:60],
                file_name=(file_name or "delivery.csv")[-200:], file_sha256=checksum,
                rows_total=len(delivery.rows),
                created_by=actor if actor is not None and actor.pk else None,
            )
            receipt.file.save(f"{receipt.number}.csv", ContentFile(content), save=False)
            receipt.save()
    except IntegrityError:
        _refuse_known_file(checksum)
        raise
    audit_record(actor=actor, action=AuditAction.CREATE, target=receipt,
                 changes={"file": [None, receipt.file_name], "rows": [None, receipt.rows_total]})
    from inventory import tasks  # tasks are a leaf; imported here to queue after commit

    transaction.on_commit(lambda: tasks.goods_receipt_process_task.delay(receipt.pk))
    return receipt


def _refuse_known_file(checksum: str) -> None:
    known = GoodsReceipt.objects.filter(file_sha256=checksum).first()
    if known is not None:
        raise field_error(
            "file",
            _("This file was already received as %(number)s on %(date)s; nothing was created "
              "again.") % {"number": known.number,
                           "date": date_format(timezone.localtime(known.created_at),
                                               "SHORT_DATE_FORMAT")},
            code=errors.DUPLICATE_FILE,
        )


@dataclass
class _Row:
    line: int
    model_id: int
    serial: str
    mac: str | None
    card: str | None
    firmware: str
    raw: str


@dataclass
class _Checker:
    """Validates rows against the catalog and against the rows seen before
    in the same file."""

    models: dict[str, EquipmentModel]
    columns: dict[str, int]
    # The file's own separator: a rejected row is shown as it was written
    # (a semicolon file's "1,5" firmware must not become two columns).
    delimiter: str = ","
    seen_serials: set[str] = field(default_factory=set)
    seen_macs: set[str] = field(default_factory=set)
    seen_cards: set[str] = field(default_factory=set)

    def value(self, values: list[str], name: str) -> str:
        index = self.columns.get(name)
        if index is None or index >= len(values):
            return ""
        return values[index].strip()

    def check(self, line: int, values: list[str]) -> _Row | ReceiptRejection:
        raw = self.delimiter.join(values)[:1000]

        def reject(code: str, message: str) -> ReceiptRejection:
            return ReceiptRejection(row_number=line, code=code, message=message[:300], raw=raw)

        code = self.value(values, "model")
        model = self.models.get(code.lower())
        if model is None:
            if not code:
                return reject(errors.ROW_UNKNOWN_MODEL, _("The model code is missing."))
            return reject(errors.ROW_UNKNOWN_MODEL,
                          _("Unknown model code “%(code)s”.") % {"code": code[:40]})
        if not model.is_active:
            return reject(errors.ROW_UNKNOWN_MODEL,
                          _("Model “%(code)s” is no longer stocked.") % {"code": model.code})
        serial = normalise_serial(self.value(values, "serial_number"))
        if not serial:
            return reject(errors.ROW_MISSING_SERIAL, _("The serial number is missing."))
        if not is_valid_serial(serial):
            return reject(errors.ROW_BAD_SERIAL,
                          _("“%(serial)s” is not a serial number (3 to 40 letters, digits, "
                            "- / .).") % {"serial": serial[:40]})
        mac_text = self.value(values, "mac_address")
        mac = normalise_mac(mac_text) if mac_text else None
        if mac_text and mac is None:
            return reject(errors.ROW_MALFORMED_MAC,
                          _("“%(mac)s” is not a MAC address (12 hexadecimal digits).")
                          % {"mac": mac_text[:40]})
        if mac is None and model.kind in KINDS_NEEDING_MAC:
            return reject(errors.ROW_MISSING_MAC, _("A %(kind)s needs its MAC address.")
                          % {"kind": model.kind_label})
        card_text = self.value(values, "card_number")
        card = normalise_card_number(card_text) if card_text else None
        if card is not None and not is_valid_card_number(card):
            return reject(errors.ROW_MISSING_CARD_NUMBER,
                          _("“%(card)s” is not a card number (6 to 32 letters or digits).")
                          % {"card": card_text[:40]})
        if card is None and model.kind in KINDS_NEEDING_CARD_NUMBER:
            return reject(errors.ROW_MISSING_CARD_NUMBER, _("A %(kind)s needs its card number.")
                          % {"kind": model.kind_label})
        if serial in self.seen_serials:
            return reject(errors.ROW_DUPLICATE_IN_FILE,
                          _("Serial number %(serial)s appears earlier in this file.")
                          % {"serial": serial})
        if mac is not None and mac in self.seen_macs:
            return reject(errors.ROW_DUPLICATE_IN_FILE,
                          _("MAC address %(mac)s appears earlier in this file.") % {"mac": mac})
        if card is not None and card in self.seen_cards:
            return reject(errors.ROW_DUPLICATE_IN_FILE,
                          _("Card number %(card)s appears earlier in this file.") % {"card": card})
        self.seen_serials.add(serial)
        if mac is not None:
            self.seen_macs.add(mac)
        if card is not None:
            self.seen_cards.add(card)
        return _Row(line=line, model_id=model.pk, serial=serial, mac=mac, card=card,
                    firmware=self.value(values, "firmware")[:FIRMWARE_MAX], raw=raw)


def _already_known(rows: list[_Row]) -> dict[int, ReceiptRejection]:
    """Rows whose serial, MAC or card number some item already has."""
    serials = [row.serial for row in rows]
    macs = [row.mac for row in rows if row.mac]
    cards = [row.card for row in rows if row.card]
    if connection.vendor == "postgresql":
        # One round trip with one array per identifier: thousands of
        # placeholders cost more to build and parse than the lookups.
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT 's', serial_number FROM inventory_equipmentitem"
                " WHERE serial_number = ANY(%s::text[])"
                " UNION ALL SELECT 'm', mac_address FROM inventory_equipmentitem"
                " WHERE mac_address = ANY(%s::text[])"
                " UNION ALL SELECT 'c', card_number FROM inventory_equipmentitem"
                " WHERE card_number = ANY(%s::text[])",
                [serials, macs, cards],
            )
            found = cursor.fetchall()
        known_serials = {value for kind, value in found if kind == "s"}
        known_macs = {value for kind, value in found if kind == "m"}
        known_cards = {value for kind, value in found if kind == "c"}
    else:
        # SQLite caps the parameters of one query: a few thousand at a time.
        known_serials, known_macs, known_cards = set(), set(), set()
        for name, values, known in (("serial_number", serials, known_serials),
                                    ("mac_address", macs, known_macs),
                                    ("card_number", cards, known_cards)):
            for start in range(0, len(values), 2000):
                known.update(EquipmentItem.objects.filter(
                    **{f"{name}__in": values[start:start + 2000]}
                ).values_list(name, flat=True))
    if not (known_serials or known_macs or known_cards):
        return {}
    rejected: dict[int, ReceiptRejection] = {}
    for row in rows:
        if row.serial in known_serials:
            code, message = errors.ROW_DUPLICATE_SERIAL, _(
                "Serial number %(serial)s was already received.") % {"serial": row.serial}
        elif row.mac and row.mac in known_macs:
            code, message = errors.ROW_DUPLICATE_MAC, _(
                "MAC address %(mac)s belongs to an item already received.") % {"mac": row.mac}
        elif row.card and row.card in known_cards:
            code, message = errors.ROW_DUPLICATE_CARD_NUMBER, _(
                "Card number %(card)s belongs to an item already received.") % {"card": row.card}
        else:
            continue
        rejected[row.line] = ReceiptRejection(row_number=row.line, code=code, message=message,
                                              raw=row.raw)
    return rejected


def _insert_postgresql(rows: list[_Row], receipt: GoodsReceipt, actor_id: int | None) -> None:
    """COPY the items, then write their first movement: ids come from the
    sequence first, so the movements name their items without reading them
    back.

    The COPY text is built here rather than field by field through the
    driver, as most of each line is the same for the whole chunk; text
    fields escape what COPY's text format gives a meaning to (the firmware
    is whatever the supplier wrote). The movements are made in the server
    from the array of ids instead of being sent row by row."""
    escapes = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
    null = "\\N"
    now = timezone.now()
    warehouse_id = receipt.warehouse_id
    with connection.cursor() as cursor:
        # The sequence is looked up once (MATERIALIZED), not for each value.
        cursor.execute(
            "WITH sequence AS MATERIALIZED (SELECT pg_get_serial_sequence("
            "'inventory_equipmentitem', 'id')::regclass AS name) "
            "SELECT nextval(sequence.name) FROM sequence, generate_series(1, %s)", [len(rows)],
        )
        ids = [value for (value,) in cursor.fetchall()]
        # state, location, subscription, blacklisted, receipt, created, updated
        tail = (f"\t{ItemState.IN_STOCK.value}\t{warehouse_id}\t\tf\t{receipt.pk}"
                f"\t{now.isoformat()}\t{now.isoformat()}\n")
        lines = [
            f"{item_id}\t{row.model_id}\t{row.serial.translate(escapes)}"
            f"\t{null if row.mac is None else row.mac.translate(escapes)}"
            f"\t{null if row.card is None else row.card.translate(escapes)}"
            f"\t{row.firmware.translate(escapes)}{tail}"
            for item_id, row in zip(ids, rows, strict=True)
        ]
        with cursor.copy(
            "COPY inventory_equipmentitem (id, model_id, serial_number, mac_address, card_number,"
            " firmware, state, location_id, subscription_ref, is_blacklisted, receipt_id,"
            " created_at, updated_at) FROM STDIN"
        ) as copy:
            copy.write("".join(lines))
        cursor.execute(
            "INSERT INTO inventory_equipmentmovement (item_id, action, from_state, to_state,"
            " to_location_id, subscription_ref, work_order_ref, ticket_ref, receipt_id, reason,"
            " actor_id, created_at)"
            " SELECT item_id, %s, '', %s, %s, '', '', '', %s, %s, %s, %s"
            " FROM unnest(%s::bigint[]) AS item_id",
            [MovementAction.RECEIVED.value, ItemState.IN_STOCK.value, warehouse_id, receipt.pk,
             receipt.number, actor_id, now, ids],
        )


def _insert_orm(rows: list[_Row], receipt: GoodsReceipt, actor_id: int | None) -> None:
    items = EquipmentItem.objects.bulk_create([
        EquipmentItem(model_id=row.model_id, serial_number=row.serial, mac_address=row.mac,
                      card_number=row.card, firmware=row.firmware,
                      location_id=receipt.warehouse_id, receipt=receipt)
        for row in rows
    ], batch_size=500)
    if any(item.pk is None for item in items):
        items = list(EquipmentItem.objects.filter(
            serial_number__in=[row.serial for row in rows]).only("pk"))
    EquipmentMovement.objects.bulk_create([
        EquipmentMovement(item_id=item.pk, action=MovementAction.RECEIVED, from_state="",
                          to_state=ItemState.IN_STOCK, to_location_id=receipt.warehouse_id,
                          receipt=receipt, reason=receipt.number, actor_id=actor_id)
        for item in items
    ], batch_size=500)


def _insert(rows: list[_Row], receipt: GoodsReceipt, actor_id: int | None) -> None:
    if not rows:
        return
    if connection.vendor == "postgresql":
        _insert_postgresql(rows, receipt, actor_id)
    else:
        _insert_orm(rows, receipt, actor_id)


def _insert_one_by_one(rows: list[_Row], receipt: GoodsReceipt, actor_id: int | None,
                       rejections: list[ReceiptRejection]) -> int:
    """After a chunk collided with items created meanwhile by someone else:
    each row on its own, the colliding ones rejected."""
    created = 0
    for row in rows:
        try:
            with transaction.atomic():
                _insert_orm([row], receipt, actor_id)
            created += 1
        except IntegrityError:
            rejections.append(ReceiptRejection(
                row_number=row.line, code=errors.ROW_DUPLICATE_SERIAL, raw=row.raw,
                message=_("Serial number %(serial)s, or its MAC or card number, was already "
                          "received.") % {"serial": row.serial}))
    return created


def _process_chunk(receipt_id: int, start: int, chunk: list[tuple[int, list[str]]],
                   checker: _Checker) -> bool:
    """One chunk in one transaction. False when another worker already did it."""
    with transaction.atomic():
        receipt = GoodsReceipt.objects.select_for_update().get(pk=receipt_id)
        if receipt.rows_done != start or receipt.status != ReceiptStatus.PROCESSING:
            return False
        rejections: list[ReceiptRejection] = []
        good: list[_Row] = []
        for line, values in chunk:
            outcome = checker.check(line, values)
            if isinstance(outcome, ReceiptRejection):
                rejections.append(outcome)
            else:
                good.append(outcome)
        if good:
            known = _already_known(good)
            if known:
                rejections.extend(known.values())
                good = [row for row in good if row.line not in known]
        actor_id = receipt.created_by_id
        try:
            with transaction.atomic():
                _insert(good, receipt, actor_id)
            created = len(good)
        except IntegrityError:
            created = _insert_one_by_one(good, receipt, actor_id, rejections)
        for rejection in rejections:
            rejection.receipt = receipt
        ReceiptRejection.objects.bulk_create(sorted(rejections, key=lambda r: r.row_number),
                                             batch_size=1000)
        GoodsReceipt.objects.filter(pk=receipt.pk).update(
            rows_done=start + len(chunk),
            rows_created=receipt.rows_created + created,
            rows_rejected=receipt.rows_rejected + len(rejections),
        )
    return True


def goods_receipt_process(*, receipt_id: int, chunk_rows: int = CHUNK_ROWS) -> GoodsReceipt:
    """Create the items of a stored delivery file, chunk by chunk. Safe to
    call again on a receipt that is done (nothing happens) or that stopped
    half-way (it goes on from the last chunk)."""
    uploader_language = (
        GoodsReceipt.objects.filter(pk=receipt_id).values_list("created_by__language", flat=True)
        .first()
    )
    # The rejection reasons are read by the clerk who uploaded the file, in
    # their language, whatever the worker's.
    with translation.override(uploader_language or translation.get_language()):
        return _process(receipt_id=receipt_id, chunk_rows=chunk_rows)


def _process(*, receipt_id: int, chunk_rows: int) -> GoodsReceipt:
    with transaction.atomic():
        receipt = GoodsReceipt.objects.select_for_update().get(pk=receipt_id)
        if receipt.status == ReceiptStatus.DONE:
            return receipt
        receipt.status = ReceiptStatus.PROCESSING
        receipt.error = ""
        receipt.started_at = receipt.started_at or timezone.now()
        receipt.save(update_fields=["status", "error", "started_at"])
    try:
        with receipt.file.open("rb") as stored:
            delivery = read_delivery_file(stored.read())
        models = {model.code.lower(): model for model in EquipmentModel.objects.all()}
        checker = _Checker(models=models, columns=delivery.columns,
                           delimiter=delivery.delimiter)
        # Rows done before a restart still count for "earlier in this file".
        for line, values in delivery.rows[:receipt.rows_done]:
            checker.check(line, values)
        start = receipt.rows_done
        while start < len(delivery.rows):
            chunk = delivery.rows[start:start + chunk_rows]
            if not _process_chunk(receipt.pk, start, chunk, checker):
                break
            start += len(chunk)
    except (OSError, ValidationError) as error:
        message = error.messages[0] if isinstance(error, ValidationError) else str(error)
        GoodsReceipt.objects.filter(pk=receipt.pk).update(
            status=ReceiptStatus.FAILED, error=message[:500], finished_at=timezone.now())
        logger.warning("goods receipt %s failed: %s", receipt.number, message)
        receipt.refresh_from_db()
        return receipt
    except Exception:
        # Anything else (the database went away, a bug): the chunks done so
        # far are committed; the receipt says it stopped, so a clerk can
        # resume it from its page, and the worker logs the cause.
        logger.exception("goods receipt %s stopped", receipt.number)
        GoodsReceipt.objects.filter(pk=receipt.pk).update(
            status=ReceiptStatus.FAILED,
            error=_("Processing stopped unexpectedly after %(rows)s rows; resume it.")
            % {"rows": GoodsReceipt.objects.filter(pk=receipt.pk)
               .values_list("rows_done", flat=True).first()},
            finished_at=timezone.now())
        raise
    with transaction.atomic():
        receipt = GoodsReceipt.objects.select_for_update().get(pk=receipt.pk)
        if receipt.status == ReceiptStatus.PROCESSING and receipt.rows_done >= receipt.rows_total:
            receipt.status = ReceiptStatus.DONE
            receipt.finished_at = timezone.now()
            receipt.save(update_fields=["status", "finished_at"])
            audit_record(actor=receipt.created_by, action=AuditAction.UPDATE, target=receipt,
                         changes={"items_created": [None, receipt.rows_created],
                                  "rows_rejected": [None, receipt.rows_rejected]})
    return receipt


def goods_receipt_error_report(receipt: GoodsReceipt) -> str:
    """The rejected rows as CSV: row number, reason code, reason, the row."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["row", "code", "reason", "content"])
    for rejection in receipt.rejections.order_by("row_number").iterator(chunk_size=2000):
        writer.writerow([rejection.row_number, rejection.code, rejection.message, rejection.raw])
    return out.getvalue()


def goods_receipt_sweep(*, older_than_seconds: int = 600) -> list[int]:
    """Receipts still queued or processing long after they were stored lost
    their task (the broker was down at upload, a worker was killed): queue
    them again. Running one twice is harmless: each chunk checks that it is
    the next one before it writes."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    stuck = list(
        GoodsReceipt.objects.filter(
            status__in=[ReceiptStatus.QUEUED, ReceiptStatus.PROCESSING], created_at__lt=cutoff
        ).values_list("pk", flat=True)[:100]
    )
    from inventory import tasks  # tasks are a leaf; imported here to queue

    for receipt_id in stuck:
        tasks.goods_receipt_process_task.delay(receipt_id)
    return stuck
