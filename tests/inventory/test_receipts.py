"""Goods receipt: a supplier's delivery file with good and bad rows, read
twice; the error report; files in other encodings, separators and
languages; files that are no delivery file at all; and a worker that dies
half-way."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.core.exceptions import ValidationError

from inventory import services
from inventory.models import (
    EquipmentItem,
    EquipmentMovement,
    GoodsReceipt,
    ReceiptRejection,
)
from inventory.services import receipts as receipts_module
from tests.inventory.conftest import error_code

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


# Line numbers are those of the file: the heading is line 1.
DELIVERY = (
    b"model,serial_number,mac_address,card_number,firmware\n"      # 1
    b"humax-stb,STB-0001,,,1.2.3\n"                                  # 2 ok
    b"ARRIS-CM,cm-0001,00-1a-2b-3c-4d-5e,,\n"                        # 3 ok
    b"nagra-card,CARD-0001,,1234 5678 9012,\n"                       # 4 ok
    b"unknown-x,X-0001,,,\n"                                         # 5 unknown model
    b"humax-stb,stb-0001,,,\n"                                       # 6 serial again in file
    b"arris-cm,CM-0002,zz:zz:zz:zz:zz:zz,,\n"                        # 7 malformed MAC
    b"arris-cm,CM-0003,,,\n"                                         # 8 modem without MAC
    b"nagra-card,CARD-0002,,,\n"                                     # 9 card without number
    b"\n"                                                            # 10 blank: skipped
    b"humax-stb,EXISTING-1,,,\n"                                     # 11 already received
    b"humax-stb,,,,\n"                                               # 12 no serial
    b"humax-stb,STB-0002,,,2.0\n"                                    # 13 ok
    b"arris-cm,CM-0004,001A2B3C4D5E,,\n"                             # 14 MAC again in file
)

EXPECTED_REPORT = (
    "row,code,reason,content\r\n"
    '5,unknown_model,Unknown model code “unknown-x”.,"unknown-x,X-0001,,,"\r\n'
    '6,duplicate_in_file,Serial number STB-0001 appears earlier in this file.,'
    '"humax-stb,stb-0001,,,"\r\n'
    '7,malformed_mac,“zz:zz:zz:zz:zz:zz” is not a MAC address (12 hexadecimal digits).,'
    '"arris-cm,CM-0002,zz:zz:zz:zz:zz:zz,,"\r\n'
    '8,missing_mac,A Cable modem needs its MAC address.,"arris-cm,CM-0003,,,"\r\n'
    '9,missing_card_number,A Smart card needs its card number.,"nagra-card,CARD-0002,,,"\r\n'
    '11,duplicate_serial,Serial number EXISTING-1 was already received.,'
    '"humax-stb,EXISTING-1,,,"\r\n'
    '12,missing_serial,The serial number is missing.,"humax-stb,,,,"\r\n'
    '14,duplicate_in_file,MAC address 00:1A:2B:3C:4D:5E appears earlier in this file.,'
    '"arris-cm,CM-0004,001A2B3C4D5E,,"\r\n'
)


def receive(content: bytes, *, warehouse, clerk, capture, file_name: str = "delivery.csv"):
    with capture(execute=True) as callbacks:
        receipt = services.goods_receipt_create(warehouse=warehouse, file_name=file_name,
                                                content=content, actor=clerk,
                                                supplier="Humax Iberia", delivery_note="DN-1")
    assert len(callbacks) == 1
    receipt.refresh_from_db()
    return receipt


def nothing_created(before_items: int, before_receipts: int) -> bool:
    return (EquipmentItem.objects.count(), GoodsReceipt.objects.count()) == (
        before_items, before_receipts)


def test_it_receives_good_rows_and_reports_bad_ones_once(
    equipment_models, make_item, warehouse, clerk, django_capture_on_commit_callbacks,
):
    # Given an item received before
    make_item(model=equipment_models.box, serial_number="EXISTING-1")
    # When
    receipt = receive(DELIVERY, warehouse=warehouse, clerk=clerk,
                      capture=django_capture_on_commit_callbacks)
    # Then
    assert (receipt.status, receipt.rows_total, receipt.rows_done, receipt.rows_created,
            receipt.rows_rejected) == ("done", 12, 12, 4, 8)
    assert (receipt.supplier, receipt.delivery_note, receipt.file_name, receipt.created_by) == (
        "Humax Iberia", "DN-1", "delivery.csv", clerk)
    assert receipt.started_at and receipt.finished_at and receipt.progress_percent == 100
    items = {item.serial_number: item for item in receipt.items.all()}
    assert {serial: (item.model.code, item.mac_address, item.card_number, item.firmware)
            for serial, item in items.items()} == {
        "STB-0001": ("humax-stb", None, None, "1.2.3"),
        "CM-0001": ("arris-cm", "00:1A:2B:3C:4D:5E", None, ""),
        "CARD-0001": ("nagra-card", None, "123456789012", ""),
        "STB-0002": ("humax-stb", None, None, "2.0"),
    }
    assert {(item.state, item.location_id) for item in items.values()} == {
        ("in_stock", warehouse.pk)}
    movements = EquipmentMovement.objects.filter(receipt=receipt)
    assert movements.count() == 4
    assert set(movements.values_list("action", "from_state", "to_state", "to_location",
                                     "actor", "reason")) == {
        ("received", "", "in_stock", warehouse.pk, clerk.pk, receipt.number)}
    assert services.goods_receipt_error_report(receipt) == EXPECTED_REPORT

    # When the same bytes come again (another name does not matter)
    before = (EquipmentItem.objects.count(), GoodsReceipt.objects.count())
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(ValidationError) as raised):
        services.goods_receipt_create(warehouse=warehouse, file_name="again.csv",
                                      content=DELIVERY, actor=clerk)
    # Then nothing is created or queued
    assert error_code(raised.value, "file") == "duplicate_file"
    assert receipt.number in raised.value.messages[0]
    assert callbacks == []
    assert nothing_created(*before)

    # Processing the stored receipt again does nothing either
    assert services.goods_receipt_process(receipt_id=receipt.pk).status == "done"
    assert nothing_created(*before)
    assert ReceiptRejection.objects.count() == 8


def test_a_different_file_repeating_identifiers_gets_those_rows_rejected(
    equipment_models, warehouse, clerk, django_capture_on_commit_callbacks,
):
    first = receive(DELIVERY, warehouse=warehouse, clerk=clerk,
                    capture=django_capture_on_commit_callbacks)
    assert first.rows_created == 5  # EXISTING-1 is new this time
    second = receive(
        b"serial_number,model,mac_address,card_number\n"
        b"STB-0001,humax-stb,,\n"
        b"CM-9999,arris-cm,00:1a:2b:3c:4d:5e,\n"
        b"CARD-9999,nagra-card,,123456789012\n"
        b"STB-0003,humax-stb,,\n",
        warehouse=warehouse, clerk=clerk, capture=django_capture_on_commit_callbacks,
    )
    assert (second.status, second.rows_created, second.rows_rejected) == ("done", 1, 3)
    assert list(second.rejections.values_list("row_number", "code")) == [
        (2, "duplicate_serial"), (3, "duplicate_mac"), (4, "duplicate_card_number")]
    assert list(second.items.values_list("serial_number", flat=True)) == ["STB-0003"]


def test_it_reads_a_latin1_semicolon_file_with_spanish_headings(
    equipment_models, warehouse, clerk, django_capture_on_commit_callbacks,
):
    content = (
        "Modelo;Número de serie;Dirección MAC;Número de tarjeta;Versión de firmware\r\n"
        "humax-stb;STB-ñ1;;;1,5\r\n"          # 2: ñ is not in a serial number
        "humax-stb;STB-0100;;;1,5\r\n"        # 3
        "nagra-card;CARD-0100;;AB-1234-56;\r\n"  # 4
        "arris-cm;CM-0100;00:1a:2b:3c:4d:ff;;\r\n"  # 5
    ).encode("latin-1")
    receipt = receive(content, warehouse=warehouse, clerk=clerk,
                      capture=django_capture_on_commit_callbacks, file_name="albarán.csv")
    assert (receipt.status, receipt.rows_created, receipt.rows_rejected) == ("done", 3, 1)
    rejection = receipt.rejections.get()
    assert (rejection.row_number, rejection.code, rejection.raw) == (
        2, "bad_serial", "humax-stb;STB-ñ1;;;1,5")
    assert sorted(receipt.items.values_list("serial_number", "mac_address", "card_number",
                                            "firmware")) == [
        ("CARD-0100", None, "AB123456", ""),
        ("CM-0100", "00:1A:2B:3C:4D:FF", None, ""),
        ("STB-0100", None, None, "1,5"),
    ]


def test_it_reads_a_utf8_file_with_bom_and_tabs(equipment_models, warehouse, clerk,
                                                 django_capture_on_commit_callbacks):
    content = "\ufeffCódigo modelo\tNº serie\nhumax-stb\tSTB-0200\n".encode()
    receipt = receive(content, warehouse=warehouse, clerk=clerk,
                      capture=django_capture_on_commit_callbacks)
    assert list(receipt.items.values_list("serial_number", flat=True)) == ["STB-0200"]


@pytest.mark.parametrize("content", [
    b"",
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00",
    b"humax-stb,STB-0001\nhumax-stb,STB-0002\n",
    b"model,firmware\nhumax-stb,1.0\n",
    b"model,serial_number\n",
    b"model,serial_number\n\n , \n",
    b"\n\n",
], ids=["empty", "binary", "no_heading", "missing_column", "only_heading", "blank_rows",
        "blank_lines"])
def test_it_refuses_what_is_no_delivery_file(content, equipment_models, warehouse, clerk,
                                              django_capture_on_commit_callbacks):
    with (django_capture_on_commit_callbacks(execute=True) as callbacks,
          pytest.raises(ValidationError) as raised):
        services.goods_receipt_create(warehouse=warehouse, file_name="x.csv",
                                      content=content, actor=clerk)
    assert error_code(raised.value, "file") == "bad_file"
    assert callbacks == []
    assert nothing_created(0, 0)


def test_it_receives_only_in_an_open_warehouse(equipment_models, warehouse, van, clerk):
    with pytest.raises(ValidationError) as raised:
        services.goods_receipt_create(warehouse=van, file_name="x.csv", content=DELIVERY,
                                      actor=clerk)
    assert error_code(raised.value, "warehouse") == "not_a_warehouse"
    warehouse.is_active = False
    warehouse.save()
    with pytest.raises(ValidationError) as raised:
        services.goods_receipt_create(warehouse=warehouse, file_name="x.csv", content=DELIVERY,
                                      actor=clerk)
    assert error_code(raised.value, "warehouse") == "location_inactive"
    assert nothing_created(0, 0)


def test_a_worker_that_died_half_way_resumes_without_duplicates(
    equipment_models, warehouse, clerk, django_capture_on_commit_callbacks,
):
    # Given a stored file whose processing has not run yet
    rows = [f"humax-stb,STB-{number:04d}" for number in range(1, 8)]
    rows.insert(4, "humax-stb,STB-0001")  # line 6: repeats line 2, after the crash point
    content = ("model,serial_number\n" + "\n".join(rows) + "\n").encode()
    with django_capture_on_commit_callbacks(execute=False):
        receipt = services.goods_receipt_create(warehouse=warehouse, file_name="big.csv",
                                                content=content, actor=clerk)
    real_chunk = receipts_module._process_chunk
    calls = []

    def dies_on_second_chunk(*args, **kwargs):
        calls.append(args[1])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real_chunk(*args, **kwargs)

    # When the worker dies on the second chunk
    with (mock.patch.object(receipts_module, "_process_chunk", dies_on_second_chunk),
          pytest.raises(RuntimeError)):
        services.goods_receipt_process(receipt_id=receipt.pk, chunk_rows=3)
    receipt.refresh_from_db()
    # (an exception marks it failed so the clerk sees it stopped; a killed
    # process leaves it processing; either way the first chunk stays done)
    assert (receipt.status, receipt.rows_done, receipt.rows_created) == ("failed", 3, 3)
    assert "3 rows" in receipt.error
    assert 0 < receipt.progress_percent < 100
    # And a new worker takes it up
    receipt = services.goods_receipt_process(receipt_id=receipt.pk, chunk_rows=3)
    # Then
    assert (receipt.status, receipt.rows_total, receipt.rows_done, receipt.rows_created,
            receipt.rows_rejected) == ("done", 8, 8, 7, 1)
    assert sorted(receipt.items.values_list("serial_number", flat=True)) == [
        f"STB-{number:04d}" for number in range(1, 8)]
    assert EquipmentMovement.objects.filter(receipt=receipt).count() == 7
    assert list(receipt.rejections.values_list("row_number", "code")) == [
        (6, "duplicate_in_file")]


def test_a_receipt_whose_file_is_gone_fails_with_the_reason(
    equipment_models, warehouse, clerk, django_capture_on_commit_callbacks,
):
    with django_capture_on_commit_callbacks(execute=False):
        receipt = services.goods_receipt_create(warehouse=warehouse, file_name="x.csv",
                                                content=b"model,serial\nhumax-stb,STB-1\n",
                                                actor=clerk)
    receipt.file.storage.delete(receipt.file.name)
    receipt = services.goods_receipt_process(receipt_id=receipt.pk)
    assert receipt.status == "failed"
    assert receipt.error
    assert receipt.finished_at is not None
    assert EquipmentItem.objects.count() == 0


def test_the_error_report_of_a_clean_file_has_only_its_heading(
    equipment_models, warehouse, clerk, django_capture_on_commit_callbacks,
):
    receipt = receive(b"model,serial\nhumax-stb,STB-1\n", warehouse=warehouse, clerk=clerk,
                      capture=django_capture_on_commit_callbacks)
    report = services.goods_receipt_error_report(receipt)
    assert list(csv.reader(io.StringIO(report))) == [["row", "code", "reason", "content"]]


def test_it_queues_again_receipts_whose_task_was_lost(
    equipment_models, warehouse, clerk, django_capture_on_commit_callbacks,
):
    # Given a receipt stored while the broker was down (its task never ran)
    with django_capture_on_commit_callbacks(execute=False):
        receipt = services.goods_receipt_create(
            warehouse=warehouse, file_name="lost.csv", actor=clerk,
            content=b"model,serial_number\nhumax-stb,STB-LOST-1\n")
    fresh = GoodsReceipt.objects.filter(pk=receipt.pk)
    # When the sweep runs before the receipt is old enough, nothing is queued
    assert services.goods_receipt_sweep(older_than_seconds=600) == []
    # And once it is old enough, it is processed (eager Celery under test)
    fresh.update(created_at=receipt.created_at - timedelta(minutes=11))
    assert services.goods_receipt_sweep(older_than_seconds=600) == [receipt.pk]
    receipt.refresh_from_db()
    assert (receipt.status, receipt.rows_created) == ("done", 1)
    # And a done receipt is never queued again
    assert services.goods_receipt_sweep(older_than_seconds=0) == []


def test_it_writes_rejection_reasons_in_the_uploaders_language(
    equipment_models, warehouse, clerk, django_capture_on_commit_callbacks,
):
    clerk.language = "es"
    clerk.save(update_fields=["language"])
    with django_capture_on_commit_callbacks(execute=True):
        receipt = services.goods_receipt_create(
            warehouse=warehouse, file_name="es.csv", actor=clerk,
            content=b"model,serial_number\nunknown-x,X-1\n")
    assert receipt.rejections.get().message == "Código de modelo desconocido «unknown-x»."
