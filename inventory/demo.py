"""The demo world's equipment: a catalog priced for the Spanish market, the
Madrid warehouse, a repair centre and a van for each demo technician, three
supplier deliveries received through the receipt services (so every item
has its ledger from the first row), stock in the vans, two boxes in repair,
a set-top box and its paired smart card installed at twenty customers, and
one card stolen from a customer's home (blacklisted at the conditional
access system, with its non-return fee waiting for billing).

Everything goes through the inventory services and is keyed (model and
location codes, file checksums, what each customer already has), so a
second run creates nothing."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from decimal import Decimal

from django.db import transaction

from customers.choices import AddressPurpose, CustomerStatus
from customers.models import Address, Customer
from integrations.selectors import service_management_system_for
from inventory import services
from inventory.choices import (
    AccessMedium,
    EquipmentKind,
    ItemState,
    LocationKind,
    SupplyTerms,
    WarehouseAction,
)
from inventory.models import (
    EquipmentItem,
    EquipmentModel,
    GoodsReceipt,
    StockLocation,
    StockTransfer,
)
from sesmu.choices import ServiceKind
from sesmu.demo import DEMO_STAFF
from sesmu.models import User
from sesmu.roles import Role

WAREHOUSE_CODE = "almacen-madrid"
REPAIR_CENTRE_CODE = "reparaciones-getafe"
CLERK_USERNAME = "clerk"
INSTALLED_CUSTOMERS = 20
VAN_STOCK = {"sagemcom-dsi87": 6, "nagra-merlin": 6, "arris-tg2492": 3}
VAN_TRANSFER_NOTE = "Demo: van stock for the week"
IN_REPAIR = 2

TV = [ServiceKind.TV_PACKAGE, ServiceKind.PAY_PER_VIEW, ServiceKind.IMPULSE_PAY_PER_VIEW,
      ServiceKind.NEAR_VIDEO_ON_DEMAND]
ONLINE = [ServiceKind.INTERNET_ACCESS, ServiceKind.EMAIL]


@dataclass(frozen=True)
class DemoModel:
    code: str
    kind: str
    manufacturer: str
    model_name: str
    service_kinds: list[str]
    access_media: list[str]
    supply_terms: str
    rental_price: Decimal
    deposit: Decimal
    non_return_fee: Decimal
    low_stock_threshold: int


# Monthly rentals and fees as Spanish cable and satellite providers charge
# them (VAT included). The CA module is deliberately short: six in stock
# against a threshold of twenty, so the low-stock warning shows.
CATALOG = [
    DemoModel("sagemcom-dsi87", EquipmentKind.SET_TOP_BOX, "Sagemcom", "DSI87 HD", TV,
              [AccessMedium.CABLE], SupplyTerms.RENTED, Decimal("3.00"), Decimal("0.00"),
              Decimal("90.00"), 40),
    DemoModel("humax-uhd4k", EquipmentKind.SET_TOP_BOX, "Humax", "UHD 4K Vision", TV,
              [AccessMedium.CABLE, AccessMedium.SATELLITE], SupplyTerms.RENTED,
              Decimal("5.00"), Decimal("0.00"), Decimal("150.00"), 15),
    DemoModel("zte-b866", EquipmentKind.SET_TOP_BOX, "ZTE", "B866V2 IPTV", TV,
              [AccessMedium.COPPER], SupplyTerms.RENTED, Decimal("3.00"), Decimal("0.00"),
              Decimal("70.00"), 10),
    DemoModel("nagra-merlin", EquipmentKind.SMART_CARD, "Nagravision", "Merlin smart card", TV,
              [AccessMedium.CABLE, AccessMedium.SATELLITE, AccessMedium.COPPER],
              SupplyTerms.RENTED,
              Decimal("0.00"), Decimal("0.00"), Decimal("30.00"), 60),
    DemoModel("arris-tg2492", EquipmentKind.CABLE_MODEM, "Arris", "TG2492 EuroDOCSIS 3.0",
              ONLINE, [AccessMedium.CABLE], SupplyTerms.RENTED, Decimal("2.50"),
              Decimal("0.00"), Decimal("80.00"), 30),
    DemoModel("zyxel-vmg3625", EquipmentKind.ADSL_ROUTER, "Zyxel", "VMG3625-T20A", ONLINE,
              [AccessMedium.COPPER], SupplyTerms.RENTED, Decimal("2.00"), Decimal("0.00"),
              Decimal("60.00"), 15),
    DemoModel("televes-dish-100", EquipmentKind.SATELLITE_DISH, "Televés", "Offset 100 cm",
              [ServiceKind.TV_PACKAGE], [AccessMedium.SATELLITE], SupplyTerms.SOLD,
              Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), 5),
    DemoModel("inverto-quad-lnb", EquipmentKind.LNB, "Inverto", "Black Ultra Quad LNB",
              [ServiceKind.TV_PACKAGE], [AccessMedium.SATELLITE], SupplyTerms.SOLD,
              Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), 8),
    DemoModel("smit-ci-cam", EquipmentKind.CA_MODULE, "SMIT", "CI+ 1.3 CA module", TV,
              [AccessMedium.CABLE, AccessMedium.SATELLITE], SupplyTerms.LENT, Decimal("0.00"),
              Decimal("20.00"), Decimal("45.00"), 20),
]


def _rows(code: str, count: int) -> list[list[str]]:
    """`count` rows of a delivery file for a model: serial, MAC or card
    number and firmware in the formats its maker prints."""
    rows = []
    for number in range(1, count + 1):
        if code == "sagemcom-dsi87":
            rows.append([code, f"SGM87HD{number:07d}", "", "", "DSI87_2.14.3"])
        elif code == "humax-uhd4k":
            rows.append([code, f"HUX4K{number:08d}", "", "", "UHD 1.03.20"])
        elif code == "zte-b866":
            rows.append([code, f"ZTE866{number:08d}", "", "", "V2.1.7"])
        elif code == "nagra-merlin":
            rows.append([code, f"NGM{number:09d}", "", f"0015{number:08d}", ""])
        elif code == "arris-tg2492":
            mac = 0x4A0000 + number
            rows.append([code, f"ARTG{number:09d}", f"00:1D:CE:{mac >> 16:02X}:"
                         f"{(mac >> 8) & 0xFF:02X}:{mac & 0xFF:02X}", "", "9.1.103S5"])
        elif code == "zyxel-vmg3625":
            mac = 0x2B0000 + number
            rows.append([code, f"S19Z{number:08d}", f"5C-F4-AB-{mac >> 16:02X}-"
                         f"{(mac >> 8) & 0xFF:02X}-{mac & 0xFF:02X}", "", "V5.50(ABPM.6)C0"])
        elif code == "televes-dish-100":
            rows.append([code, f"TVD100{number:06d}", "", "", ""])
        elif code == "inverto-quad-lnb":
            rows.append([code, f"IDLB-QDL{number:05d}", "", "", ""])
        elif code == "smit-ci-cam":
            rows.append([code, f"SMCAM{number:07d}", "", f"CAM{number:09d}", "CI+ 1.3"])
    return rows


def _csv(header: list[str], rows: list[list[str]], delimiter: str = ",") -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


ENGLISH_HEADER = ["model", "serial_number", "mac_address", "card_number", "firmware"]
SPANISH_HEADER = ["modelo", "numero_serie", "direccion_mac", "numero_tarjeta",
                  "version_firmware"]


def deliveries() -> list[tuple[str, str, str, bytes]]:
    """(supplier, delivery note, file name, content) of the demo deliveries.
    The second repeats a serial of the first and forgets a modem's MAC, so
    its error report has something to show; the third is a Spanish
    semicolon-separated file, as Televés sends them."""
    tv = _rows("sagemcom-dsi87", 120) + _rows("humax-uhd4k", 40) + _rows("nagra-merlin", 150)
    online = (_rows("arris-tg2492", 60) + _rows("zyxel-vmg3625", 30) + _rows("zte-b866", 30)
              + [["sagemcom-dsi87", "SGM87HD0000001", "", "", ""],
                 ["arris-tg2492", "ARTG900000001", "", "", "9.1.103S5"]])
    satellite = (_rows("televes-dish-100", 12) + _rows("inverto-quad-lnb", 20)
                 + _rows("smit-ci-cam", 6))
    return [
        ("Telecom Logística Ibérica S.L.", "ALB-26-00117", "albaran-00117.csv",
         _csv(ENGLISH_HEADER, tv)),
        ("CommScope Spain S.L.", "CS-2026-0342", "commscope-0342.csv",
         _csv(ENGLISH_HEADER, online)),
        ("Televés S.A.U.", "TV/26/409", "televes_409.csv",
         _csv(SPANISH_HEADER, satellite, delimiter=";")),
    ]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _catalog() -> dict[str, EquipmentModel]:
    models = {}
    for entry in CATALOG:
        models[entry.code], _created = EquipmentModel.objects.get_or_create(
            code=entry.code,
            defaults={"kind": entry.kind, "manufacturer": entry.manufacturer,
                      "model_name": entry.model_name, "service_kinds": list(entry.service_kinds),
                      "access_media": list(entry.access_media),
                      "supply_terms": entry.supply_terms, "rental_price": entry.rental_price,
                      "deposit": entry.deposit, "non_return_fee": entry.non_return_fee,
                      "low_stock_threshold": entry.low_stock_threshold},
        )
    return models


def _locations(clerk: User | None) -> tuple[StockLocation, StockLocation, list[StockLocation]]:
    warehouse, _created = StockLocation.objects.get_or_create(
        code=WAREHOUSE_CODE,
        defaults={"name": "Almacén Madrid", "kind": LocationKind.WAREHOUSE,
                  "address": "Calle de la Hidroeléctrica 12, 28021 Madrid"},
    )
    repair_centre, _created = StockLocation.objects.get_or_create(
        code=REPAIR_CENTRE_CODE,
        defaults={"name": "Centro de reparación Getafe", "kind": LocationKind.REPAIR_CENTRE,
                  "address": "Polígono Los Olivos, Calle Innovación 4, 28906 Getafe"},
    )
    technicians = [
        user for username, role, *_rest in DEMO_STAFF
        if role == Role.FIELD_TECHNICIAN and (user := _user(username)) is not None
    ]
    vans = [services.van_for_technician(technician=technician, actor=clerk)
            for technician in technicians]
    return warehouse, repair_centre, vans


def _receive(warehouse: StockLocation, clerk: User | None) -> int:
    received = 0
    for supplier, delivery_note, file_name, content in deliveries():
        if GoodsReceipt.objects.filter(file_sha256=hashlib.sha256(content).hexdigest()).exists():
            continue
        receipt = services.goods_receipt_create(
            warehouse=warehouse, file_name=file_name, content=content, actor=clerk,
            supplier=supplier, delivery_note=delivery_note,
        )
        # Processed here, so the demo has its stock at once; the task the
        # create queued after commit finds the receipt done.
        receipt = services.goods_receipt_process(receipt_id=receipt.pk)
        received += receipt.rows_created
    return received


def _free(model: EquipmentModel, location: StockLocation) -> list[EquipmentItem]:
    return list(EquipmentItem.objects.filter(model=model, location=location,
                                             state=ItemState.IN_STOCK)
                .order_by("serial_number"))


def _stock_vans(vans: list[StockLocation], warehouse: StockLocation,
                models: dict[str, EquipmentModel], clerk: User | None) -> None:
    for van in vans:
        if StockTransfer.objects.filter(to_location=van, note=VAN_TRANSFER_NOTE).exists():
            continue
        serials = []
        for code, count in VAN_STOCK.items():
            # From the end of the shelf: the first boxes go to customers.
            serials += [item.serial_number for item in _free(models[code], warehouse)[-count:]]
        services.stock_transfer_create(from_location=warehouse, to_location=van,
                                       identifiers=serials, actor=clerk, note=VAN_TRANSFER_NOTE)


def _send_to_repair(repair_centre: StockLocation, warehouse: StockLocation,
                    box_model: EquipmentModel, clerk: User | None) -> None:
    if EquipmentItem.objects.filter(location=repair_centre).exists():
        return
    # Boxes from the back of the shelf, which no customer gets in the demo.
    for item in _free(box_model, warehouse)[-IN_REPAIR:]:
        item = services.equipment_item_warehouse_action(
            item=item, action=WarehouseAction.MARK_FAULTY, actor=clerk,
            reason="No video output on HDMI")
        services.equipment_item_warehouse_action(
            item=item, action=WarehouseAction.SEND_TO_REPAIR, actor=clerk,
            location=repair_centre, reason="Warranty repair")


def _customers_to_equip(count: int) -> list[tuple[Customer, Address]]:
    """The first active customers (by number) with a service address."""
    chosen = []
    customers = Customer.objects.filter(status=CustomerStatus.ACTIVE).order_by("number")
    for customer in customers.iterator(chunk_size=100):
        address = (Address.objects.filter(customer=customer, purpose=AddressPurpose.SERVICE,
                                          is_active=True).order_by("pk").first())
        if address is not None:
            chosen.append((customer, address))
        if len(chosen) == count:
            break
    return chosen


def _install(customers: list[tuple[Customer, Address]], warehouse: StockLocation,
             models: dict[str, EquipmentModel], installer: User | None) -> list[EquipmentItem]:
    """A box and its paired card at each customer who has no equipment yet.
    Returns the cards installed now."""
    cards_installed = []
    boxes = iter(_free(models["sagemcom-dsi87"], warehouse))
    cards = iter(_free(models["nagra-merlin"], warehouse))
    for customer, address in customers:
        if EquipmentItem.objects.filter(customer=customer).exists():
            continue
        box = services.equipment_item_install(
            item=next(boxes), customer=customer, service_address=address, actor=installer,
            reason="Initial installation")
        card = services.equipment_item_install(
            item=next(cards), customer=customer, service_address=address, actor=installer,
            reason="Initial installation")
        services.equipment_item_pair(card=card, box=box, actor=installer)
        cards_installed.append(card)
    return cards_installed


def _declare_one_stolen(cards: list[EquipmentItem], clerk: User | None) -> None:
    """The last card installed now is stolen from its customer's home, when
    there is a conditional-access system to blacklist it in."""
    if not cards or service_management_system_for(ServiceKind.TV_PACKAGE) is None:
        return
    if EquipmentItem.objects.filter(state=ItemState.STOLEN).exists():
        return
    services.equipment_item_declare_missing(
        item=cards[-1], stolen=True, actor=clerk,
        reason="Stolen in a burglary at the customer's home (police report 2026/118734)")


@transaction.atomic
def seed_inventory(*, customers: int = INSTALLED_CUSTOMERS) -> dict[str, int]:
    """Load the demo equipment (idempotent). Needs the demo staff (clerk,
    technicians) and customers; the stolen card needs the demo registry."""
    clerk = _user(CLERK_USERNAME)
    models = _catalog()
    warehouse, repair_centre, vans = _locations(clerk)
    received = _receive(warehouse, clerk)
    _stock_vans(vans, warehouse, models, clerk)
    _send_to_repair(repair_centre, warehouse, models["sagemcom-dsi87"], clerk)
    installer = vans[0].technician if vans else clerk
    cards = _install(_customers_to_equip(customers), warehouse, models, installer)
    _declare_one_stolen(cards, clerk)
    return {"received": received, "installed_customers": len(cards),
            "items": EquipmentItem.objects.count()}
