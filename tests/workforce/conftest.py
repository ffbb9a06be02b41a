"""Shared fixtures of the workforce tests: two zones (Madrid centro and a
far one), a field technician who works every day 08:00-17:00 in Madrid
centro with a van holding two set-top boxes, a second technician, a
dispatcher, alice's service address in Madrid centro, work orders made
through the services, bookings for tomorrow, and a real PNG signature."""

from __future__ import annotations

import base64
import itertools
import struct
import zlib
from collections.abc import Callable
from datetime import date, datetime, time, timedelta

import pytest

from customers import services as customer_services
from customers.models import Address, Customer
from inventory import services as inventory
from inventory.models import EquipmentItem, EquipmentModel, StockLocation
from sesmu.models import User
from tests.factories import UserFactory
from tests.inventory.conftest import create_item, equipment_models, error_code, warehouse
from workforce import services
from workforce.availability import WINDOWS, window_bounds
from workforce.choices import Skill
from workforce.models import Appointment, PostcodeRange, TechnicianProfile, WorkOrder, Zone

__all__ = ["equipment_models", "error_code", "warehouse"]  # fixtures re-exported

EVERY_DAY = [0, 1, 2, 3, 4, 5, 6]
TECHNICIAN_SKILLS = [Skill.CABLE_INSTALL, Skill.EQUIPMENT_RECOVERY, Skill.CABLE_REPAIR]
_serials = itertools.count(1)


def make_zone(code: str, name: str, first: int, last: int, x_km: float, y_km: float) -> Zone:
    zone = Zone.objects.create(code=code, name=name, x_km=x_km, y_km=y_km)
    PostcodeRange.objects.create(zone=zone, first=first, last=last)
    return zone


@pytest.fixture
def zone(db) -> Zone:
    """Madrid centro: 28001-28015."""
    return make_zone("mad-centro", "Madrid centro", 28001, 28015, 10, 10)


@pytest.fixture
def other_zone(db) -> Zone:
    """Barcelona, far from Madrid: 08001-08042."""
    return make_zone("bcn", "Barcelona", 8001, 8042, 500, 300)


@pytest.fixture
def dispatcher(db) -> User:
    return UserFactory(username="diego", first_name="Diego", last_name="Díaz",
                       roles=["dispatcher"])


def make_technician(username: str, *, actor: User | None, zones: list[Zone],
                    first_name: str = "", last_name: str = "", **data) -> User:
    """A field technician with a profile (and van) saved through the service;
    every day 08:00-17:00, eight orders, the three skills unless told."""
    user = UserFactory(username=username, first_name=first_name or username.title(),
                       last_name=last_name, roles=["field_technician"])
    profile_data = {
        "skills": [str(skill) for skill in TECHNICIAN_SKILLS],
        "home_zone": zones[0] if zones else None,
        "work_days": EVERY_DAY,
        "shift_start": time(8),
        "shift_end": time(17),
        "daily_capacity": 8,
    }
    profile_data.update(data)
    services.technician_profile_save(technician=user, actor=actor, data=profile_data,
                                     zones=zones)
    return user


@pytest.fixture
def technician(dispatcher, zone) -> User:
    return make_technician("tomas", actor=dispatcher, zones=[zone], first_name="Tomás",
                           last_name="Torres")


@pytest.fixture
def other_technician(dispatcher, zone) -> User:
    return make_technician("ursula", actor=dispatcher, zones=[zone], first_name="Úrsula",
                           last_name="Urquijo")


def profile_of(user: User) -> TechnicianProfile:
    return TechnicianProfile.objects.get(user=user)


def make_address(customer: Customer, *, actor: User | None = None, postal_code: str = "28013",
                 street: str = "Calle Mayor") -> Address:
    return customer_services.address_create(actor=actor, customer=customer, street=street,
                                            street_number="1", postal_code=postal_code,
                                            city="Madrid")


@pytest.fixture
def alice_address(alice_customer, operator) -> Address:
    """Alice's service address, in Madrid centro (28013)."""
    return make_address(alice_customer, actor=operator)


@pytest.fixture
def bob_address(bob_customer, operator) -> Address:
    return make_address(bob_customer, actor=operator, street="Calle Alcalá",
                        postal_code="28014")


@pytest.fixture
def tomorrow() -> date:
    from django.utils import timezone

    return timezone.localdate() + timedelta(days=1)


def window(day: date, hour: int) -> tuple[datetime, datetime]:
    """The offered arrival window of `day` starting at `hour`."""
    for start, end in WINDOWS:
        if start.hour == hour:
            return window_bounds(day, start, end)
    raise AssertionError(f"no window starts at {hour}")


@pytest.fixture
def make_order(alice_customer, alice_address, operator) -> Callable[..., WorkOrder]:
    """make_order(kind="install", skills=[cable_install], minutes=60, customer=alice,
    address=alice's, **work_order_create arguments)."""

    def make(*, kind: str = "install", skills: list[str] | None = None, minutes: int = 60,
             customer: Customer | None = None, address: Address | None = None,
             actor: User | None = None, **extra) -> WorkOrder:
        return services.work_order_create(
            customer=customer or alice_customer, service_address=address or alice_address,
            kind=kind, actor=actor if actor is not None else operator,
            required_skills=skills if skills is not None else [Skill.CABLE_INSTALL],
            estimated_minutes=minutes, **extra)

    return make


@pytest.fixture
def book(tomorrow, operator) -> Callable[..., Appointment]:
    """book(order, hour, day=tomorrow): book the window starting at `hour`."""

    def do(order: WorkOrder, hour: int, day: date | None = None,
           actor: User | None = None) -> Appointment:
        start, _end = window(day or tomorrow, hour)
        return services.appointment_book(work_order=order, window_start=start,
                                         actor=actor if actor is not None else operator)

    return do


def png_data_url(width: int = 4, height: int = 2) -> str:
    """A real (tiny, white) PNG image as a data URL, without Pillow."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)  # 8-bit greyscale
    rows = b"".join(b"\x00" + b"\xff" * width for _ in range(height))
    image = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
             + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


@pytest.fixture
def png_signature() -> str:
    return png_data_url()


@pytest.fixture
def clerk(db) -> User:
    return UserFactory(username="clara", first_name="Clara", last_name="Campos",
                       roles=["inventory_clerk"])


@pytest.fixture
def box_model(equipment_models) -> EquipmentModel:
    return equipment_models.box


@pytest.fixture
def make_box(box_model, warehouse, clerk) -> Callable[..., EquipmentItem]:
    """make_box(location=warehouse, serial_number=None): a set-top box in stock."""

    def make(*, location: StockLocation | None = None,
             serial_number: str | None = None) -> EquipmentItem:
        return create_item(model=box_model, location=location or warehouse, actor=clerk,
                           serial_number=serial_number or f"STB{next(_serials):07d}")

    return make


def van_of(user: User) -> StockLocation:
    return profile_of(user).van


@pytest.fixture
def load_van(make_box, warehouse, clerk) -> Callable[..., list[EquipmentItem]]:
    """load_van(technician, count=1): boxes moved from the warehouse into the
    technician's van by a stock transfer."""

    def load(user: User, count: int = 1) -> list[EquipmentItem]:
        boxes = [make_box() for _ in range(count)]
        inventory.stock_transfer_create(from_location=warehouse, to_location=van_of(user),
                                        identifiers=[box.serial_number for box in boxes],
                                        actor=clerk)
        for box in boxes:
            box.refresh_from_db()
        return boxes

    return load


@pytest.fixture
def van_boxes(technician, load_van) -> list[EquipmentItem]:
    """Two set-top boxes in the technician's van."""
    return load_van(technician, 2)


@pytest.fixture
def installed_box(make_box, alice_customer, alice_address, clerk) -> EquipmentItem:
    """A box working at alice's (to recover)."""
    box = make_box()
    inventory.equipment_item_install(item=box, customer=alice_customer,
                                     service_address=alice_address, actor=clerk,
                                     subscription_ref="SUB-OLD")
    box.refresh_from_db()
    return box


# How an order gets to each state through the services, from "generated".
PATHS = {
    "generated": [],
    "scheduled": ["book"],
    "assigned": ["book", "assign"],
    "dispatched": ["book", "assign", "dispatch"],
    "en_route": ["book", "assign", "dispatch", "start_travel"],
    "on_site": ["book", "assign", "dispatch", "start_travel", "arrive"],
    "completed": ["book", "assign", "dispatch", "start_travel", "arrive", "complete"],
    "failed": ["book", "assign", "dispatch", "fail"],
    "cancelled": ["cancel"],
}


@pytest.fixture
def walk(technician, dispatcher, tomorrow, png_signature) -> Callable[..., WorkOrder]:
    """walk(order, state, hour=10): take an order from "generated" to `state`
    through the services (booked at `hour` tomorrow, assigned to the
    technician, moved on by the dispatcher)."""

    def go(order: WorkOrder, state: str, *, hour: int = 10,
           assignee: User | None = None) -> WorkOrder:
        steps = {
            "book": lambda: services.appointment_book(
                work_order=order, window_start=window(tomorrow, hour)[0], actor=dispatcher),
            "assign": lambda: services.work_order_assign(
                work_order=order, technician=assignee or technician, actor=dispatcher),
            "dispatch": lambda: services.work_order_dispatch(work_order=order, actor=dispatcher),
            "start_travel": lambda: services.work_order_start_travel(work_order=order,
                                                                     actor=dispatcher),
            "arrive": lambda: services.work_order_arrive(work_order=order, actor=dispatcher),
            "complete": lambda: services.work_order_complete(
                work_order=order, actor=dispatcher, signature=png_signature,
                signed_by="Alice"),
            "fail": lambda: services.work_order_fail(work_order=order, reason="customer_absent",
                                                     actor=dispatcher),
            "cancel": lambda: services.work_order_cancel(work_order=order, actor=dispatcher),
        }
        for step in PATHS[state]:
            steps[step]()
        order.refresh_from_db()
        assert order.state == state
        return order

    return go
