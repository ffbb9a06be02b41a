"""The demo world's field work: zones covering the postal codes of the demo
customers (Madrid, Barcelona, Las Palmas, Sevilla and Valencia, on a
kilometre grid centred on Madrid's Puerta del Sol), the demo technician's
profile and five more technicians, and thirty work orders across the next
working days:

- four on the first day dispatched to the demo technician (so "My day"
  shows a route), one of them installing the box and card reserved from
  the technician's van;
- two booked that day and left in the dispatcher's queue;
- twelve booked the day after and planned by the automatic scheduler;
- seven booked on the two days after, one of them cancelled by the customer;
- five generated and not booked yet, one in a zone nobody covers;
- and a technician away on training on the fourth day.

The first day is today, unless it is a weekend or past 14:00 (too few
windows left): then the next working day. Windows are only ever booked in
the future, as an operator would.

Zones are reference data, created as they are; profiles, absences and
orders go through the workforce services. Everything is keyed (zone codes,
user names, one batch of orders per seeding day, skipped while an earlier
batch still has days ahead), so a second run creates nothing."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from customers.choices import AddressPurpose, CustomerStatus
from customers.models import Address, Customer
from inventory.choices import ItemState, LocationKind
from inventory.models import EquipmentItem
from sesmu.choices import UserKind
from sesmu.models import User
from sesmu.roles import Role
from workforce import availability, services
from workforce.choices import OPEN_STATES, OriginKind, Priority, Skill, WorkOrderKind
from workforce.models import PostcodeRange, TechnicianProfile, WorkOrder, Zone

DEMO_TECHNICIAN = "technician"
OPERATOR = "operator"
DISPATCHER = "dispatcher"
ORIGIN_PREFIX = "demo-"
LATEST_FIRST_DAY_START = time(14)  # after this, today has too few windows left
TRAVEL_BETWEEN_VISITS = timedelta(minutes=20)
BOX_MODEL, CARD_MODEL = "sagemcom-dsi87", "nagra-merlin"

# code, name, point (km east, km north of Puerta del Sol), postal-code ranges
ZONES = [
    ("madrid-centro", "Madrid Centro", (0.0, 0.0), [(28000, 28020)]),
    ("madrid-norte", "Madrid Norte (Chamartín, Fuencarral, Hortaleza)", (1.5, 7.5),
     [(28021, 28050)]),
    ("madrid-sur", "Madrid Sur (Usera, Vallecas, Villaverde)", (1.0, -7.0), [(28051, 28099)]),
    ("madrid-norte-metropolitano", "Alcobendas, San Sebastián de los Reyes y Tres Cantos",
     (3.0, 17.0), [(28100, 28199), (28700, 28799)]),
    ("madrid-oeste", "Pozuelo, Las Rozas, Majadahonda y la Sierra", (-15.0, 8.0),
     [(28200, 28699)]),
    ("madrid-este", "Corredor del Henares (Alcalá, Torrejón, Coslada)", (22.0, 6.0),
     [(28800, 28899)]),
    ("madrid-sur-metropolitano", "Getafe, Leganés, Fuenlabrada y Móstoles", (-9.0, -14.0),
     [(28900, 28999)]),
    ("barcelona-ciutat", "Barcelona ciudad", (500.0, 108.0), [(8000, 8099)]),
    ("barcelona-valles", "Vallès (Sabadell, Terrassa, Mollet)", (492.0, 128.0),
     [(8100, 8299)]),
    ("barcelona-maresme", "Maresme (Mataró)", (525.0, 122.0), [(8300, 8399)]),
    ("barcelona-interior", "Barcelona interior (Granollers, Manresa, Igualada)",
     (470.0, 140.0), [(8400, 8799)]),
    ("barcelona-llobregat", "Baix Llobregat y L'Hospitalet", (492.0, 102.0), [(8800, 8999)]),
    ("las-palmas-capital", "Las Palmas de Gran Canaria", (-1150.0, -1365.0),
     [(35000, 35099)]),
    ("gran-canaria", "Gran Canaria (Telde, Maspalomas, Arucas)", (-1158.0, -1385.0),
     [(35100, 35499)]),
    ("lanzarote-fuerteventura", "Lanzarote y Fuerteventura", (-1000.0, -1250.0),
     [(35500, 35999)]),
    ("sevilla-capital", "Sevilla capital", (-198.0, -336.0), [(41000, 41099)]),
    ("sevilla-provincia", "Provincia de Sevilla", (-192.0, -345.0), [(41100, 41999)]),
    ("valencia-ciutat", "València ciudad", (282.0, -105.0), [(46000, 46099)]),
    ("valencia-provincia", "Provincia de Valencia", (276.0, -115.0), [(46100, 46999)]),
]
MADRID = [code for code, *_rest in ZONES if code.startswith("madrid-")]
BARCELONA = [code for code, *_rest in ZONES if code.startswith("barcelona-")]

ALL_SKILLS = list(Skill.values)
MONDAY_TO_FRIDAY = [0, 1, 2, 3, 4]


@dataclass(frozen=True)
class DemoTechnician:
    username: str
    given_name: str
    family_name: str
    skills: list[str]
    zones: list[str]
    home_zone: str
    work_days: list[int] = field(default_factory=lambda: list(MONDAY_TO_FRIDAY))
    shift: tuple[time, time] = (time(8), time(17))
    daily_capacity: int = 8


# The demo technician's login comes from sesmu.demo; the others have no
# password (nobody logs in as them: they fill the board and the scheduler).
TECHNICIANS = [
    DemoTechnician(DEMO_TECHNICIAN, "Tomás", "Torres", ALL_SKILLS, MADRID, "madrid-centro",
                   work_days=[0, 1, 2, 3, 4, 5]),
    DemoTechnician("technician.madrid", "Lucía", "Navarro Gil",
                   [Skill.CABLE_INSTALL, Skill.CABLE_REPAIR, Skill.COPPER_INSTALL,
                    Skill.COPPER_REPAIR, Skill.EQUIPMENT_RECOVERY, Skill.SITE_SURVEY],
                   ["madrid-centro", "madrid-sur", "madrid-este", "madrid-sur-metropolitano"],
                   "madrid-sur-metropolitano"),
    DemoTechnician("technician.barcelona", "Jordi", "Puig Soler",
                   [Skill.CABLE_INSTALL, Skill.CABLE_REPAIR, Skill.SATELLITE_INSTALL,
                    Skill.SATELLITE_REPAIR, Skill.COPPER_REPAIR, Skill.EQUIPMENT_RECOVERY],
                   BARCELONA, "barcelona-ciutat"),
    DemoTechnician("technician.valencia", "Carmen", "Ferrer Llopis", ALL_SKILLS,
                   ["valencia-ciutat", "valencia-provincia"], "valencia-ciutat",
                   daily_capacity=7),
    DemoTechnician("technician.sevilla", "Manuel", "Romero Vega",
                   [skill for skill in ALL_SKILLS if skill != Skill.SITE_SURVEY],
                   ["sevilla-capital", "sevilla-provincia"], "sevilla-capital",
                   shift=(time(8), time(15)), daily_capacity=6),
    DemoTechnician("technician.canarias", "Yeray", "Santana Déniz",
                   [Skill.SATELLITE_INSTALL, Skill.SATELLITE_REPAIR, Skill.COPPER_INSTALL,
                    Skill.COPPER_REPAIR, Skill.EQUIPMENT_RECOVERY],
                   ["las-palmas-capital", "gran-canaria"], "las-palmas-capital",
                   shift=(time(8), time(15)), daily_capacity=6),
]

# What happens to an order after it is generated.
MINE = "dispatched to the demo technician on the first day"
QUEUE = "booked on the first day, not assigned"
PLANNED = "booked the day after, planned by the scheduler"
LATER = "booked two or three days ahead"
CANCELLED = "booked, then cancelled"
GENERATED = "not booked yet"
UNCOVERED = "not booked: nobody covers its zone"


@dataclass(frozen=True)
class DemoOrder:
    plan: str
    kind: str
    skill: str
    minutes: int
    note: str
    priority: int = Priority.NORMAL
    day: int = 0  # which demo day, for LATER and CANCELLED


ORDERS = [
    DemoOrder(MINE, WorkOrderKind.INSTALL, Skill.CABLE_INSTALL, 60,
              "Nueva alta: instalar decodificador y tarjeta. El portero automático no "
              "funciona: llamar al móvil al llegar."),
    DemoOrder(MINE, WorkOrderKind.REPAIR, Skill.CABLE_REPAIR, 45,
              "Sin señal en el decodificador del salón desde ayer.", Priority.HIGH),
    DemoOrder(MINE, WorkOrderKind.SWAP, Skill.CABLE_REPAIR, 30,
              "Cambiar el módem: la fuente de alimentación se apaga sola."),
    DemoOrder(MINE, WorkOrderKind.SURVEY, Skill.SITE_SURVEY, 30,
              "Valorar antena parabólica en la azotea; la llave la tiene el presidente de la "
              "comunidad (2º B).", Priority.LOW),
    DemoOrder(QUEUE, WorkOrderKind.REPAIR, Skill.COPPER_REPAIR, 45,
              "Cortes de ADSL todas las tardes."),
    DemoOrder(QUEUE, WorkOrderKind.REPAIR, Skill.SATELLITE_REPAIR, 60,
              "Sin señal tras el temporal; posible LNB dañado.", Priority.URGENT),
    DemoOrder(PLANNED, WorkOrderKind.INSTALL, Skill.CABLE_INSTALL, 60,
              "Alta de televisión por cable en dos habitaciones."),
    DemoOrder(PLANNED, WorkOrderKind.INSTALL, Skill.SATELLITE_INSTALL, 90,
              "Instalación de parabólica y LNB en el tejado; llevar escalera larga."),
    DemoOrder(PLANNED, WorkOrderKind.INSTALL, Skill.COPPER_INSTALL, 45,
              "Alta de ADSL; el PTR está en el garaje."),
    DemoOrder(PLANNED, WorkOrderKind.REPAIR, Skill.CABLE_REPAIR, 45,
              "Pixelación en todos los canales HD.", Priority.HIGH),
    DemoOrder(PLANNED, WorkOrderKind.REPAIR, Skill.COPPER_REPAIR, 30,
              "Ruido en la línea de teléfono."),
    DemoOrder(PLANNED, WorkOrderKind.REPAIR, Skill.SATELLITE_REPAIR, 60,
              "La parabólica se ha movido con el viento."),
    DemoOrder(PLANNED, WorkOrderKind.RECOVER, Skill.EQUIPMENT_RECOVERY, 20,
              "Baja del servicio: recoger decodificador y tarjeta."),
    DemoOrder(PLANNED, WorkOrderKind.SWAP, Skill.CABLE_REPAIR, 30,
              "Cambio de decodificador HD por uno 4K (mejora contratada)."),
    DemoOrder(PLANNED, WorkOrderKind.SURVEY, Skill.SITE_SURVEY, 30,
              "Comprobar si llega el cable al local comercial.", Priority.LOW),
    DemoOrder(PLANNED, WorkOrderKind.INSTALL, Skill.CABLE_INSTALL, 60,
              "Alta de internet y televisión; cliente VIP.", Priority.HIGH),
    DemoOrder(PLANNED, WorkOrderKind.REPAIR, Skill.CABLE_REPAIR, 45,
              "El módem pierde la sincronización varias veces al día."),
    DemoOrder(PLANNED, WorkOrderKind.RECOVER, Skill.EQUIPMENT_RECOVERY, 20,
              "Impago: recoger el equipo alquilado."),
    DemoOrder(LATER, WorkOrderKind.INSTALL, Skill.CABLE_INSTALL, 60,
              "Alta en segunda residencia.", day=2),
    DemoOrder(LATER, WorkOrderKind.REPAIR, Skill.COPPER_REPAIR, 45,
              "Velocidad muy por debajo de la contratada.", day=2),
    DemoOrder(LATER, WorkOrderKind.INSTALL, Skill.SATELLITE_INSTALL, 90,
              "Parabólica en fachada; el cliente aporta el permiso de la comunidad.", day=3),
    DemoOrder(LATER, WorkOrderKind.REPAIR, Skill.CABLE_REPAIR, 30,
              "El mando no responde; revisar el receptor.", Priority.LOW, day=3),
    DemoOrder(LATER, WorkOrderKind.RECOVER, Skill.EQUIPMENT_RECOVERY, 20,
              "Cambio de compañía: recoger el módem.", day=2),
    DemoOrder(LATER, WorkOrderKind.INSTALL, Skill.COPPER_INSTALL, 45,
              "Alta de ADSL y teléfono fijo en un despacho.", day=3),
    DemoOrder(CANCELLED, WorkOrderKind.INSTALL, Skill.COPPER_INSTALL, 45,
              "Alta de ADSL.", day=2),
    DemoOrder(GENERATED, WorkOrderKind.INSTALL, Skill.SATELLITE_INSTALL, 90,
              "Pendiente de acordar la cita con el cliente."),
    DemoOrder(GENERATED, WorkOrderKind.REPAIR, Skill.CABLE_REPAIR, 45,
              "El cliente llamará para dar fecha."),
    DemoOrder(GENERATED, WorkOrderKind.SURVEY, Skill.SITE_SURVEY, 30,
              "Estudio de cobertura para una comunidad de vecinos."),
    DemoOrder(GENERATED, WorkOrderKind.RECOVER, Skill.EQUIPMENT_RECOVERY, 20,
              "Recoger el equipo tras la baja."),
    DemoOrder(UNCOVERED, WorkOrderKind.INSTALL, Skill.COPPER_INSTALL, 45,
              "Aún no hay técnico que cubra esta zona."),
]
CANCEL_REASON = "El cliente ha decidido no contratar el servicio."
# On the fourth day one technician is away: the board shows them not working.
ABSENT_TECHNICIAN = "technician.madrid"
ABSENCE_REASON = "Formación en fibra óptica"


@dataclass
class Place:
    customer: Customer
    address: Address
    zone_id: int | None


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _zones() -> dict[str, Zone]:
    zones = {}
    for code, name, (east, north), ranges in ZONES:
        zone, created = Zone.objects.get_or_create(
            code=code, defaults={"name": name, "x_km": Decimal(str(east)),
                                 "y_km": Decimal(str(north))})
        if created:
            PostcodeRange.objects.bulk_create(
                PostcodeRange(zone=zone, first=first, last=last) for first, last in ranges)
        zones[code] = zone
    return zones


def _technician_user(entry: DemoTechnician) -> User:
    user, created = User.objects.get_or_create(
        username=entry.username,
        defaults={"first_name": entry.given_name, "last_name": entry.family_name,
                  "kind": UserKind.STAFF, "language": "es",
                  "email": f"{entry.username}@sesmu.example"},
    )
    if created:
        user.set_unusable_password()
        user.save(update_fields=["password"])
    user.groups.add(Group.objects.get(name=Role.FIELD_TECHNICIAN))
    return user


def _technicians(zones: dict[str, Zone], actor: User | None) -> dict[str, TechnicianProfile]:
    """Profiles of the demo technicians; one changed since (in the admin or
    the desk) is left as it is."""
    profiles = {}
    for entry in TECHNICIANS:
        if entry.username == DEMO_TECHNICIAN:
            user = _user(entry.username)
            if user is None:  # seed_demo makes the demo logins first
                continue
        else:
            user = _technician_user(entry)
        profile = TechnicianProfile.objects.filter(user=user).first()
        if profile is None:
            profile = services.technician_profile_save(
                technician=user, actor=actor,
                data={"skills": [str(skill) for skill in entry.skills],
                      "home_zone": zones[entry.home_zone], "work_days": entry.work_days,
                      "shift_start": entry.shift[0], "shift_end": entry.shift[1],
                      "daily_capacity": entry.daily_capacity},
                zones=[zones[code] for code in entry.zones])
        profiles[entry.username] = profile
    return profiles


def demo_days(now: datetime) -> list[date]:
    """The four working days (Monday to Friday) the orders fall on."""
    local = timezone.localtime(now)
    day = local.date()
    if day.weekday() >= 5 or local.time() >= LATEST_FIRST_DAY_START:
        day = _next_working_day(day)
    days = [day]
    while len(days) < 4:
        days.append(_next_working_day(days[-1]))
    return days


def _next_working_day(day: date) -> date:
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


def _places() -> list[Place]:
    """Active customers (by number) with their service address and its zone."""
    ranges = list(PostcodeRange.objects.filter(zone__is_active=True)
                  .values_list("first", "last", "zone_id").order_by("last"))
    places = []
    addresses = (Address.objects.filter(purpose=AddressPurpose.SERVICE, is_active=True,
                                        customer__status=CustomerStatus.ACTIVE)
                 .select_related("customer").order_by("customer__number", "pk"))
    seen = set()
    for address in addresses:
        if address.customer_id in seen:
            continue
        seen.add(address.customer_id)
        digits = "".join(character for character in address.postal_code if character.isdigit())
        number = int(digits) if digits else None
        zone_id = next((zone for first, last, zone in ranges
                        if number is not None and first <= number <= last), None)
        places.append(Place(customer=address.customer, address=address, zone_id=zone_id))
    return places


class Chooser:
    """Picks a customer for each order: one whose zone a technician with the
    skill covers, not used yet in this batch and without an open order,
    when there is one, in the zone with the fewest orders so far."""

    def __init__(self, places: list[Place], profiles: dict[str, TechnicianProfile]) -> None:
        self.places = places
        self.used: set[int] = set()
        self.per_zone: Counter[int | None] = Counter()
        self.busy = set(WorkOrder.objects.filter(state__in=OPEN_STATES)
                        .values_list("customer_id", flat=True))
        self.equipped = set(EquipmentItem.objects.filter(state=ItemState.INSTALLED)
                            .values_list("customer_id", flat=True))
        self.skills_in_zone: dict[int, set[str]] = {}
        for profile in profiles.values():
            for zone in profile.zones.all():
                self.skills_in_zone.setdefault(zone.pk, set()).update(profile.skills)
        demo = profiles.get(DEMO_TECHNICIAN)
        self.demo_zones = {zone.pk for zone in demo.zones.all()} if demo else set()
        # The demo technician's first day stays near home, as the scheduler would keep it.
        home = demo.home_zone if demo is not None else None
        self.from_home = {
            zone.pk: math.dist((float(zone.x_km), float(zone.y_km)),
                               (float(home.x_km), float(home.y_km)))
            for zone in (demo.zones.all() if home is not None else [])
        }

    def fits(self, place: Place, order: DemoOrder, equipped: bool) -> bool:
        if order.plan == UNCOVERED:
            return order.skill not in self.skills_in_zone.get(place.zone_id, set())
        if order.plan == MINE and self.demo_zones and place.zone_id not in self.demo_zones:
            return False
        if equipped and place.customer.pk not in self.equipped:
            return False
        return order.skill in self.skills_in_zone.get(place.zone_id, set())

    def choose(self, order: DemoOrder) -> Place | None:
        # A recovery goes to a customer with equipment installed, if any has.
        recovery = order.kind == WorkOrderKind.RECOVER
        matching = [place for place in self.places if self.fits(place, order, recovery)]
        if not matching and recovery:
            matching = [place for place in self.places if self.fits(place, order, False)]
        if not matching and order.plan == UNCOVERED:
            # Every zone is covered: any customer, the order just waits.
            matching = list(self.places)
        fresh = [place for place in matching
                 if place.customer.pk not in self.used and place.customer.pk not in self.busy]
        unused = [place for place in matching if place.customer.pk not in self.used]
        pool = fresh or unused or matching
        if not pool:
            return None
        if order.plan == MINE and self.from_home:
            chosen = min(pool, key=lambda place: self.from_home.get(place.zone_id, math.inf))
        else:
            # The zone with the fewest orders so far: the days spread over the map.
            chosen = min(pool, key=lambda place: self.per_zone[place.zone_id])
        self.used.add(chosen.customer.pk)
        self.per_zone[chosen.zone_id] += 1
        return chosen


def _van_items(profile: TechnicianProfile | None) -> list[EquipmentItem]:
    """A box and a card from the technician's van (else from any shelf) to
    reserve for the installation they do."""
    items = []
    for model_code in (BOX_MODEL, CARD_MODEL):
        free = EquipmentItem.objects.filter(model__code=model_code, state=ItemState.IN_STOCK,
                                            location__kind__in=[LocationKind.VAN,
                                                                LocationKind.WAREHOUSE])
        if profile is not None and profile.van_id is not None:
            in_van = free.filter(location=profile.van).order_by("serial_number").first()
            if in_van is not None:
                items.append(in_van)
                continue
        item = (free.filter(location__kind=LocationKind.WAREHOUSE).order_by("serial_number")
                .first())
        if item is not None:
            items.append(item)
    return items


def _book(order: WorkOrder, day: date, actor: User | None, turn: int,
          accept: Callable[[availability.Slot], bool] = lambda slot: True) -> bool:
    """Book one of the day's offered windows (the `turn`-th, to spread the
    orders over the day); False if none could be booked."""
    slots = [slot for slot in availability.free_slots(order, day, day) if accept(slot)]
    if not slots:
        return False
    turn %= len(slots)
    for slot in slots[turn:] + slots[:turn]:
        try:
            services.appointment_book(work_order=order, window_start=slot.start, actor=actor)
        except ValidationError:
            continue  # taken meanwhile by an earlier order of the demo
        return True
    return False


class DemoRoute:
    """Where the demo technician's first day has got to: each order starts
    after the previous one ends and the drive, inside its window and the
    shift."""

    def __init__(self, profile: TechnicianProfile, day: date) -> None:
        self.shift_end = timezone.make_aware(datetime.combine(day, profile.shift_end))
        self.free_from = timezone.make_aware(datetime.combine(day, profile.shift_start))
        self.first = True

    def start_in(self, slot: availability.Slot, minutes: int) -> datetime | None:
        gap = timedelta(0) if self.first else TRAVEL_BETWEEN_VISITS
        start = max(slot.start, self.free_from + gap)
        if start > slot.end or start + timedelta(minutes=minutes) > self.shift_end:
            return None
        return start

    def take(self, start: datetime, minutes: int) -> None:
        self.free_from, self.first = start + timedelta(minutes=minutes), False


def _send_to_demo_technician(order: WorkOrder, route: DemoRoute, user: User, day: date,
                             operator: User | None, dispatcher: User | None) -> None:
    if not _book(order, day, operator, 0,
                 accept=lambda slot: route.start_in(slot, order.estimated_minutes) is not None):
        return
    order.refresh_from_db()
    start = route.start_in(availability.Slot(date=day, start=order.window_start,
                                             end=order.window_end, technicians=1),
                           order.estimated_minutes)
    if start is None:
        return
    try:
        services.work_order_assign(work_order=order, technician=user, actor=dispatcher,
                                   planned_start=start)
    except ValidationError:
        return  # booked; the dispatcher assigns it from the board
    route.take(start, order.estimated_minutes)
    services.work_order_dispatch(work_order=order, actor=dispatcher)


@transaction.atomic
def seed_workforce() -> dict[str, int]:
    """Load the demo field work (idempotent). Needs the demo logins and
    customers; the equipment to install or recover comes from the demo
    inventory when it is there."""
    operator, dispatcher = _user(OPERATOR), _user(DISPATCHER)
    zones = _zones()
    profiles = _technicians(zones, dispatcher)
    created = _orders(profiles, operator, dispatcher)
    return {"zones": Zone.objects.count(), "technicians": TechnicianProfile.objects.count(),
            "orders_created": created}


def _orders(profiles: dict[str, TechnicianProfile], operator: User | None,
            dispatcher: User | None) -> int:
    now = timezone.now()
    today = timezone.localtime(now).date()
    ahead = WorkOrder.objects.filter(origin_ref__startswith=ORIGIN_PREFIX,
                                     scheduled_date__gte=today).exists()
    batch = f"{ORIGIN_PREFIX}{today:%Y%m%d}-"
    if ahead or WorkOrder.objects.filter(origin_ref__startswith=batch).exists():
        return 0
    places = _places()
    if not places:
        return 0
    days = demo_days(now)
    if (absent := profiles.get(ABSENT_TECHNICIAN)) is not None:
        services.absence_add(technician=absent, start_date=days[3], end_date=days[3],
                             actor=dispatcher, reason=ABSENCE_REASON)
    chooser = Chooser(places, profiles)
    demo_profile = profiles.get(DEMO_TECHNICIAN)
    route = DemoRoute(demo_profile, days[0]) if demo_profile is not None else None
    created = 0
    for number, spec in enumerate(ORDERS, start=1):
        place = chooser.choose(spec)
        if place is None:
            continue
        install_items = (_van_items(demo_profile)
                         if spec.plan == MINE and spec.kind == WorkOrderKind.INSTALL else [])
        recover_items = (list(EquipmentItem.objects.filter(customer=place.customer,
                                                           state=ItemState.INSTALLED))
                         if spec.kind == WorkOrderKind.RECOVER else [])
        order = services.work_order_create(
            customer=place.customer, service_address=place.address, kind=spec.kind,
            actor=operator, required_skills=[str(spec.skill)],
            estimated_minutes=spec.minutes, priority=spec.priority, notes=spec.note,
            origin_kind=OriginKind.MANUAL, origin_ref=f"{batch}{number:02d}",
            install_items=install_items, recover_items=recover_items,
        )
        created += 1
        if spec.plan == MINE and route is not None:
            _send_to_demo_technician(order, route, demo_profile.user, days[0], operator,
                                     dispatcher)
        elif spec.plan in (MINE, QUEUE):
            _book(order, days[0], operator, number)
        elif spec.plan == PLANNED:
            _book(order, days[1], operator, number)
        elif spec.plan in (LATER, CANCELLED):
            booked = _book(order, days[spec.day], operator, number)
            if booked and spec.plan == CANCELLED:
                services.work_order_cancel(work_order=order, actor=operator,
                                           reason=CANCEL_REASON)
    if created:
        services.schedule_day(day=days[1], actor=dispatcher)
    return created
