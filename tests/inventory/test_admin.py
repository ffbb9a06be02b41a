"""The inventory back office: every model listed, searchable, filterable and
opened by a back-office administrator; the catalog and the locations edited
there; items, their ledger, installations, transfers, deliveries and
charges only shown (they change through the services)."""

from __future__ import annotations

from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.urls import reverse

from inventory import services
from inventory.choices import EquipmentKind, ItemState, LocationKind
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
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = {"equipmentitem": EquipmentItem, "equipmentmovement": EquipmentMovement,
          "equipmentinstallation": EquipmentInstallation, "stocktransfer": StockTransfer,
          "goodsreceipt": GoodsReceipt, "receiptrejection": ReceiptRejection,
          "equipmentcharge": EquipmentCharge, "equipmentmodel": EquipmentModel,
          "stocklocation": StockLocation}
READ_ONLY = ["equipmentitem", "equipmentmovement", "equipmentinstallation", "stocktransfer",
             "goodsreceipt", "receiptrejection", "equipmentcharge"]
EDITABLE = ["equipmentmodel", "stocklocation"]


@pytest.fixture(autouse=True)
def _media_in_tmp(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(db):
    return UserFactory(username="adrian", is_staff=True, roles=["backoffice_admin"])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture
def stock(make_item, item_in_state, equipment_models, warehouse, van, clerk, cas_and_isp):
    """One row at least in every inventory table: a card and a modem in
    stock, a box installed at alice's, a card stolen from her home (with
    its non-return fee), the modem moved to the van, and a delivery with a
    rejected row."""
    card = make_item(card_number="CA0012345678")
    modem = make_item(model=equipment_models.modem, mac_address="02:1A:2B:3C:4D:5E")
    box = item_in_state(ItemState.INSTALLED, model=equipment_models.box)
    stolen = item_in_state(ItemState.INSTALLED)
    services.equipment_item_declare_missing(item=stolen, stolen=True, actor=clerk,
                                            reason="Burglary")
    transfer = services.stock_transfer_create(from_location=warehouse, to_location=van,
                                              identifiers=[modem.serial_number], actor=clerk)
    receipt = services.goods_receipt_create(
        warehouse=warehouse, file_name="delivery.csv", actor=clerk,
        content=b"model,serial_number,card_number\nhumax-stb,STB-ADMIN-1,\nnagra-card,CARD-X,\n",
    )
    receipt = services.goods_receipt_process(receipt_id=receipt.pk)
    return SimpleNamespace(card=card, modem=modem, box=box, stolen=stolen, transfer=transfer,
                           receipt=receipt)


def change_url(model: str, pk: int) -> str:
    return reverse(f"admin:inventory_{model}_change", args=[pk])


def first_of(model: str) -> int:
    return MODELS[model].objects.order_by("pk").values_list("pk", flat=True).first()


@pytest.mark.parametrize("model", READ_ONLY + EDITABLE)
def test_it_lists_searches_filters_and_opens_every_model(admin_client, stock, model):
    url = reverse(f"admin:inventory_{model}_changelist")

    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "CA0012345678"}).status_code == 200
    assert admin_client.get(url, {"q": "nothing-like-this"}).status_code == 200
    assert admin_client.get(change_url(model, first_of(model))).status_code == 200


@pytest.mark.parametrize("model", READ_ONLY)
def test_it_refuses_to_add_change_or_delete_what_services_own(admin_client, stock, model):
    pk = first_of(model)
    before = list(MODELS[model].objects.order_by("pk").values())

    add = admin_client.get(reverse(f"admin:inventory_{model}_add"))
    change = admin_client.post(change_url(model, pk), {"reason": "edited", "state": "lost"})
    delete = admin_client.post(reverse(f"admin:inventory_{model}_delete", args=[pk]),
                               {"post": "yes"})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert list(MODELS[model].objects.order_by("pk").values()) == before


def test_it_shows_an_item_read_only_with_its_movements(admin_client, stock):
    response = admin_client.get(change_url("equipmentitem", stock.stolen.pk))

    page = response.content.decode()
    assert response.status_code == 200
    assert "Received from supplier" in page
    assert "Installed" in page
    assert "Declared stolen" in page
    assert "Burglary" in page
    assert 'name="_save"' not in page


def test_it_finds_an_item_by_serial_mac_or_card_typed_any_way(admin_client, stock):
    url = reverse("admin:inventory_equipmentitem_changelist")

    def found(term: str) -> list[str]:
        response = admin_client.get(url, {"q": term})
        return [item.serial_number for item in response.context["cl"].result_list]

    assert found(stock.box.serial_number.lower()) == [stock.box.serial_number]
    assert found("02-1a-2b-3c-4d-5e") == [stock.modem.serial_number]
    assert found("CA 0012 3456 78") == [stock.card.serial_number]
    assert found("no such thing") == []


def test_it_finds_the_ledger_of_an_item_and_a_customer(admin_client, stock, alice_customer):
    url = reverse("admin:inventory_equipmentmovement_changelist")

    by_item = admin_client.get(url, {"q": stock.modem.mac_address})
    by_customer = admin_client.get(url, {"q": alice_customer.number.lower()})
    by_transfer = admin_client.get(url, {"q": stock.transfer.number})

    assert {m.item_id for m in by_item.context["cl"].result_list} == {stock.modem.pk}
    assert {m.item_id for m in by_customer.context["cl"].result_list} == {stock.box.pk,
                                                                          stock.stolen.pk}
    assert [m.action for m in by_transfer.context["cl"].result_list] == ["transferred"]


def test_it_finds_rejected_rows_by_receipt_number_and_code(admin_client, stock):
    url = reverse("admin:inventory_receiptrejection_changelist")

    by_number = admin_client.get(url, {"q": stock.receipt.number.lower()})
    by_code = admin_client.get(url, {"q": "missing_card_number"})

    assert [r.row_number for r in by_number.context["cl"].result_list] == [3]
    assert [r.row_number for r in by_code.context["cl"].result_list] == [3]
    receipt_page = admin_client.get(change_url("goodsreceipt", stock.receipt.pk)).content
    assert f"?receipt__id__exact={stock.receipt.pk}".encode() in receipt_page


def test_it_finds_charges_and_installations_by_customer(admin_client, stock, alice_customer):
    charges = admin_client.get(reverse("admin:inventory_equipmentcharge_changelist"),
                               {"q": alice_customer.number})
    installations = admin_client.get(
        reverse("admin:inventory_equipmentinstallation_changelist"),
        {"q": alice_customer.number, "removed_at__isempty": "1"})

    assert [(c.item_id, c.amount) for c in charges.context["cl"].result_list] == [
        (stock.stolen.pk, Decimal("30.00"))]
    assert [i.item_id for i in installations.context["cl"].result_list] == [stock.box.pk]


def test_it_edits_the_catalog(admin_client):
    response = admin_client.post(reverse("admin:inventory_equipmentmodel_add"), {
        "code": "zyxel-vmg", "kind": EquipmentKind.ADSL_ROUTER, "manufacturer": "Zyxel",
        "model_name": "VMG3625", "service_kinds": ["internet"], "access_media": ["copper"],
        "supply_terms": "rented", "currency": "EUR", "rental_price": "2.00", "deposit": "0",
        "non_return_fee": "50.00", "low_stock_threshold": "20", "is_active": "on",
    })

    assert response.status_code == 302, response.content.decode()[:3000]
    model = EquipmentModel.objects.get(code="zyxel-vmg")
    assert (model.service_kinds, model.access_media, model.non_return_fee) == (
        ["internet"], ["copper"], Decimal("50.00"))


def test_it_keeps_the_code_and_kind_of_a_stocked_model(admin_client, stock, equipment_models):
    card = equipment_models.card
    response = admin_client.post(change_url("equipmentmodel", card.pk), {
        "code": "renamed", "kind": EquipmentKind.LNB, "manufacturer": "Nagra",
        "model_name": "Merlin 2", "service_kinds": ["tv_package"], "supply_terms": "rented",
        "currency": "EUR", "rental_price": "0", "deposit": "0", "non_return_fee": "30.00",
        "low_stock_threshold": "2", "is_active": "on",
    })

    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.code, card.kind, card.model_name) == ("nagra-card", EquipmentKind.SMART_CARD,
                                                       "Merlin 2")


def test_it_adds_a_location_and_refuses_a_van_without_technician(admin_client, technician):
    url = reverse("admin:inventory_stocklocation_add")

    repair = admin_client.post(url, {"code": "repair-sevilla", "name": "Sevilla repairs",
                                     "kind": LocationKind.REPAIR_CENTRE, "address": "",
                                     "is_active": "on"})
    van = admin_client.post(url, {"code": "van-nobody", "name": "Van", "kind": LocationKind.VAN,
                                  "address": "", "is_active": "on"})

    assert repair.status_code == 302
    assert van.status_code == 200
    assert "A van belongs to a field technician" in van.content.decode()
    assert list(StockLocation.objects.values_list("code", flat=True)) == ["repair-sevilla"]


def test_it_deletes_no_reference_data(admin_client, stock, equipment_models, warehouse):
    model = admin_client.post(
        reverse("admin:inventory_equipmentmodel_delete", args=[equipment_models.dish.pk]),
        {"post": "yes"})
    location = admin_client.post(
        reverse("admin:inventory_stocklocation_delete", args=[warehouse.pk]), {"post": "yes"})

    assert (model.status_code, location.status_code) == (403, 403)
    assert EquipmentModel.objects.filter(pk=equipment_models.dish.pk).exists()
    assert StockLocation.objects.filter(pk=warehouse.pk).exists()
