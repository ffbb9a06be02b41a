"""The demo world's catalog, as a Spanish cable, satellite and ADSL provider
sells it: TV Básica and TV Total (with the premium channels) and the
premium channels alone as an option; pay-per-view football next weekend
and a boxing night; films bought on the set-top box (impulse PPV); near
video on demand with each film every 30 minutes, 8 showings; Internet over
copper (ADSL 20 Mb) and over the cable network (Fibra 300 and 600 Mb);
e-mail, an extra mailbox, FTP, web hosting, home banking and home shopping.

Four offers on sale, each published with a 12-month minimum term, 30 days'
notice and an early-termination fee: "Fibra 300 + TV" over cable (version 1
retired, version 2 on sale since today, to show versioning), "ADSL +
Básica" over copper, "Satélite Total" over satellite and "Solo Fibra 600".

Services and events are reference data, created as they are; offers go
through the catalog services. Everything is keyed (service and offer codes,
an event's service and title), so a second run creates nothing.

The kept coverage data mirrors what the demo's network simulator answers
(Madrid 280.. cable 300 Mb and copper 20 Mb, Seville cable 120 and copper
10, Barcelona copper 20, satellite everywhere) for every postal code of the
demo customers: the seeding runs before the simulators start, and new
subscriptions are checked against it while the network does not answer.

Then sixteen subscriptions, sold and changed through the lifecycle
services as the desk would (see STORIES), each to a customer who had
nothing yet: ADSL over copper active, with a user or an option added, on
holiday, degraded and then suspended for unpaid bills, cancelled by the
customer with notice and terminated by the provider; Fibra + TV over cable
and Satélite Total waiting for their installation visit (booked, or still
to book), one held because the technician could not get in, one withdrawn
before the visit. Equipment is reserved from the demo stock by the
services. The element managers cannot be reached while seeding, so every
command waits in the outbox; where a story needs an order done to go on
(a sale to be active before it is suspended), the element managers'
acknowledgement is recorded as the outbox reports it (`step_applied`).
The last change of each story completes when the sweeper delivers its
commands, once the simulators are up; an earlier command delivered then
finds its step applied and changes nothing. Loaded once: with any
subscription in the database, no story is played."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from customers.choices import AccountStatus, AddressPurpose, CustomerStatus
from customers.models import Address, BillingAccount, Customer, ServiceUser
from integrations.models import CoverageRecord
from inventory.choices import AccessMedium
from inventory.models import EquipmentItem, EquipmentModel
from sesmu.choices import ServiceKind
from sesmu.models import User
from subscriptions import services
from subscriptions.choices import (
    CredentialKind,
    Initiator,
    ItemRole,
    OfferStatus,
    StepStatus,
    SubscriptionState,
)
from subscriptions.models import (
    CatalogService,
    Offer,
    OfferVersion,
    ProgrammeEvent,
    Subscription,
    SubscriptionOrder,
)
from subscriptions.services.lifecycle import INSTALL_SKILLS
from subscriptions.services.orders import step_applied
from workforce import availability
from workforce import services as workforce
from workforce.choices import OPEN_STATES as WORK_ORDER_OPEN_STATES
from workforce.choices import FailureReason
from workforce.models import Appointment, TechnicianProfile, WorkOrder

MARKETING_USERNAME = "marketing"
COPPER, CABLE, SATELLITE = AccessMedium.COPPER, AccessMedium.CABLE, AccessMedium.SATELLITE
ONLINE = [COPPER, CABLE]  # the services that need an Internet line
TV_MEDIA = [COPPER, CABLE, SATELLITE]  # TV over ADSL as IPTV, like the incumbent's
BROADCAST = [CABLE, SATELLITE]

# Equipment models of inventory/demo.py: a subscription needs one item of
# each kind listed, so TV takes a set-top box and its smart card (and over
# satellite a dish and an LNB). The CA module is left out: it stands in for
# a box in a CI+ television, it is not one more piece of every sale.
TV_EQUIPMENT = ["sagemcom-dsi87", "humax-uhd4k", "zte-b866", "nagra-merlin",
                "televes-dish-100", "inverto-quad-lnb"]
CARD_AND_BOX = ["sagemcom-dsi87", "humax-uhd4k", "zte-b866", "nagra-merlin"]
CABLE_MODEM = ["arris-tg2492"]
ADSL_ROUTER = ["zyxel-vmg3625"]


@dataclass(frozen=True)
class DemoService:
    code: str
    name: str
    kind: str
    description: str
    access_media: list[str] = field(default_factory=list)
    visit_media: list[str] = field(default_factory=list)
    equipment: list[str] = field(default_factory=list)
    credential_kind: str = CredentialKind.NONE
    speed: tuple[int, int] | None = None
    package_code: str = ""


SERVICES = [
    DemoService("tv-basica", "TV Básica", ServiceKind.TV_PACKAGE,
                "70 canales: generalistas, autonómicos, noticias, infantiles y documentales.",
                TV_MEDIA, [SATELLITE], TV_EQUIPMENT, CredentialKind.SMART_CARD,
                package_code="PKG-BASICA"),
    DemoService("tv-total", "TV Total", ServiceKind.TV_PACKAGE,
                "120 canales con los premium: cine de estreno, series, fútbol y deportes.",
                TV_MEDIA, [SATELLITE], TV_EQUIPMENT, CredentialKind.SMART_CARD,
                package_code="PKG-TOTAL"),
    DemoService("tv-premium", "Canales Premium", ServiceKind.TV_PACKAGE,
                "Cine, series y deportes premium, sobre TV Básica.", TV_MEDIA, [],
                CARD_AND_BOX, CredentialKind.SMART_CARD, package_code="PKG-PREMIUM"),
    DemoService("ppv-futbol", "Taquilla Fútbol", ServiceKind.PAY_PER_VIEW,
                "Partidos de liga en pago por visión, comprados antes del partido.",
                BROADCAST, [], CARD_AND_BOX, CredentialKind.SMART_CARD),
    DemoService("ppv-eventos", "Taquilla Eventos", ServiceKind.PAY_PER_VIEW,
                "Veladas de boxeo y grandes eventos en pago por visión.", BROADCAST, [],
                CARD_AND_BOX, CredentialKind.SMART_CARD),
    DemoService("ippv-cine", "Cine al Momento", ServiceKind.IMPULSE_PAY_PER_VIEW,
                "Películas compradas con el mando del descodificador.", BROADCAST, [],
                CARD_AND_BOX, CredentialKind.SMART_CARD),
    DemoService("nvod-estrenos", "Estrenos cada 30 minutos", ServiceKind.NEAR_VIDEO_ON_DEMAND,
                "Cada estreno empieza cada media hora, ocho pases.", BROADCAST, [],
                CARD_AND_BOX, CredentialKind.SMART_CARD),
    DemoService("adsl-20", "ADSL 20 Mb", ServiceKind.INTERNET_ACCESS,
                "ADSL2+ hasta 20 Mbit/s de bajada y 1 Mbit/s de subida, por la línea de "
                "cobre.", [COPPER], [], ADSL_ROUTER, CredentialKind.ISP_LOGIN, (20, 1)),
    DemoService("fibra-300", "Fibra 300 Mb", ServiceKind.INTERNET_ACCESS,
                "300 Mbit/s de bajada y 30 de subida por la red de fibra y cable (HFC).",
                [CABLE], [CABLE], CABLE_MODEM, CredentialKind.ISP_LOGIN, (300, 30)),
    DemoService("fibra-600", "Fibra 600 Mb", ServiceKind.INTERNET_ACCESS,
                "600 Mbit/s de bajada y 60 de subida por la red de fibra y cable (HFC).",
                [CABLE], [CABLE], CABLE_MODEM, CredentialKind.ISP_LOGIN, (600, 60)),
    DemoService("correo", "Correo electrónico", ServiceKind.EMAIL,
                "Un buzón de 5 GB con la conexión.", ONLINE, [], [], CredentialKind.MAILBOX),
    DemoService("correo-extra", "Buzón adicional", ServiceKind.EMAIL,
                "Otro buzón de 5 GB para la familia.", ONLINE, [], [],
                CredentialKind.MAILBOX),
    DemoService("ftp", "Espacio FTP", ServiceKind.FTP, "1 GB para intercambiar ficheros.",
                ONLINE, [], [], CredentialKind.FTP_ACCOUNT),
    DemoService("hosting", "Alojamiento web", ServiceKind.WEB_HOSTING,
                "Una web con dominio propio, 10 GB y certificado.", ONLINE, [], [],
                CredentialKind.HOSTING_ACCOUNT),
    DemoService("banca", "Banca en casa", ServiceKind.HOME_BANKING,
                "Consultas y transferencias desde el televisor o el ordenador.", [], [], [],
                CredentialKind.BANKING_USER),
    DemoService("teletienda", "Teletienda", ServiceKind.HOME_SHOPPING,
                "Compras desde el televisor con el mando.", [], [], [],
                CredentialKind.SHOPPING_USER),
]


@dataclass(frozen=True)
class DemoEvent:
    service: str
    title: str
    day: int  # days after next Saturday (-1: the Friday before)
    at: time
    duration_minutes: int
    price: Decimal
    repeat_every_minutes: int = 0
    showings: int = 1


NVOD_STAGGER, NVOD_SHOWINGS = 30, 8

EVENTS = [
    DemoEvent("ppv-futbol", "Real Madrid – FC Barcelona", 0, time(21), 120, Decimal("12.00")),
    DemoEvent("ppv-futbol", "Atlético de Madrid – Sevilla FC", 1, time(18, 30), 120,
              Decimal("9.95")),
    DemoEvent("ppv-futbol", "Valencia CF – Real Betis", 1, time(21), 120, Decimal("9.95")),
    DemoEvent("ppv-eventos", "Noche de boxeo: campeonato de Europa del peso medio", 0,
              time(22, 30), 240, Decimal("19.95")),
    DemoEvent("ippv-cine", "Ocho apellidos vascos", -1, time(22), 98, Decimal("3.95")),
    DemoEvent("ippv-cine", "El laberinto del fauno", 0, time(22), 119, Decimal("3.95")),
    DemoEvent("nvod-estrenos", "Campeones", 0, time(16), 124, Decimal("4.95"),
              NVOD_STAGGER, NVOD_SHOWINGS),
    DemoEvent("nvod-estrenos", "Mientras dure la guerra", 0, time(20), 107, Decimal("4.95"),
              NVOD_STAGGER, NVOD_SHOWINGS),
    DemoEvent("nvod-estrenos", "As bestas", 1, time(19), 137, Decimal("4.95"),
              NVOD_STAGGER, NVOD_SHOWINGS),
]


@dataclass(frozen=True)
class DemoOffer:
    code: str
    name: str
    description: str
    monthly_price: Decimal
    setup_fee: Decimal
    early_termination_fee: Decimal
    access_media: list[str]
    regions: list[str]
    included: list[str]
    options: dict[str, Decimal]


CONTRACT = {"minimum_term_months": 12, "notice_days": 30}
CABLE_REGIONS = ["280", "41"]  # where the cable network reaches (Madrid, Seville)

OFFERS = [
    DemoOffer("fibra-300-tv", "Fibra 300 + TV",
              "Fibra de 300 Mb y TV Básica por cable, con instalación.",
              Decimal("52.90"), Decimal("0.00"), Decimal("150.00"), [CABLE], CABLE_REGIONS,
              ["fibra-300", "tv-basica", "correo"],
              {"tv-premium": Decimal("12.00"), "correo-extra": Decimal("1.00"),
               "hosting": Decimal("4.95"), "ppv-futbol": Decimal("0.00")}),
    DemoOffer("adsl-basica", "ADSL + Básica", "ADSL de 20 Mb y TV Básica por la línea de cobre.",
              Decimal("39.90"), Decimal("30.00"), Decimal("100.00"), [COPPER], [],
              ["adsl-20", "tv-basica", "correo"],
              {"tv-premium": Decimal("12.00"), "correo-extra": Decimal("1.00"),
               "ftp": Decimal("2.00"), "banca": Decimal("0.00")}),
    DemoOffer("satelite-total", "Satélite Total",
              "TV Total por satélite en toda España, con taquilla y estrenos; antena "
              "instalada.",
              Decimal("44.90"), Decimal("60.00"), Decimal("180.00"), [SATELLITE], [],
              ["tv-total", "ppv-futbol", "ppv-eventos", "ippv-cine", "nvod-estrenos"],
              {"teletienda": Decimal("0.00"), "banca": Decimal("2.00")}),
    DemoOffer("solo-fibra-600", "Solo Fibra 600", "Fibra de 600 Mb por cable, sin TV.",
              Decimal("39.90"), Decimal("0.00"), Decimal("120.00"), [CABLE], CABLE_REGIONS,
              ["fibra-600", "correo"],
              {"correo-extra": Decimal("1.00"), "hosting": Decimal("4.95"),
               "ftp": Decimal("2.00")}),
]

# "Fibra 300 + TV" was first sold six months ago, cheaper and without web
# hosting; version 2 replaces it from today.
VERSIONED_OFFER = "fibra-300-tv"
FIRST_VERSION_AGE = timedelta(days=182)
FIRST_VERSION_PRICE = Decimal("49.90")
FIRST_VERSION_LEFT_OUT = "hosting"


def next_saturday(today: date) -> date:
    """The Saturday of the coming weekend (a week ahead on a Saturday)."""
    return today + timedelta(days=(5 - today.weekday()) % 7 or 7)


def _services() -> dict[str, CatalogService]:
    equipment = {model.code: model for model in EquipmentModel.objects.filter(
        code__in={code for entry in SERVICES for code in entry.equipment})}
    catalog = {}
    for entry in SERVICES:
        service, created = CatalogService.objects.get_or_create(
            code=entry.code,
            defaults={"name": entry.name, "kind": entry.kind, "description": entry.description,
                      "access_media": list(entry.access_media),
                      "visit_media": list(entry.visit_media),
                      "credential_kind": entry.credential_kind,
                      "speed_down_mbps": entry.speed[0] if entry.speed else None,
                      "speed_up_mbps": entry.speed[1] if entry.speed else None,
                      "package_code": entry.package_code},
        )
        if created:
            service.full_clean()
            # The models the inventory demo stocks; without it, none.
            service.equipment_models.set([equipment[code] for code in entry.equipment
                                          if code in equipment])
        catalog[entry.code] = service
    return catalog


def _events(catalog: dict[str, CatalogService], today: date) -> int:
    saturday = next_saturday(today)
    created = 0
    for entry in EVENTS:
        starts_at = timezone.make_aware(datetime.combine(saturday + timedelta(days=entry.day),
                                                         entry.at))
        _event, was_created = ProgrammeEvent.objects.get_or_create(
            service=catalog[entry.service], title=entry.title,
            defaults={"starts_at": starts_at, "duration_minutes": entry.duration_minutes,
                      "repeat_every_minutes": entry.repeat_every_minutes,
                      "showings": entry.showings, "price": entry.price},
        )
        created += was_created
    return created


def _items(entry: DemoOffer, catalog: dict[str, CatalogService],
           leave_out: str = "") -> list[services.ItemSpec]:
    included = [services.ItemSpec(service=catalog[code]) for code in entry.included]
    options = [services.ItemSpec(service=catalog[code], role=ItemRole.OPTION,
                                 option_monthly_price=price)
               for code, price in entry.options.items() if code != leave_out]
    return included + options


def _offer(entry: DemoOffer, catalog: dict[str, CatalogService], today: date,
           actor: User | None) -> None:
    terms = {"monthly_price": entry.monthly_price, "setup_fee": entry.setup_fee,
             "early_termination_fee": entry.early_termination_fee,
             "access_media": list(entry.access_media), "regions": list(entry.regions),
             "valid_from": today, **CONTRACT}
    if entry.code != VERSIONED_OFFER:
        version = services.offer_create(code=entry.code, name=entry.name, actor=actor,
                                        description=entry.description, terms=terms,
                                        items=_items(entry, catalog))
        services.offer_version_publish(version=version, actor=actor)
        return
    first = services.offer_create(
        code=entry.code, name=entry.name, actor=actor, description=entry.description,
        terms={**terms, "valid_from": today - FIRST_VERSION_AGE,
               "monthly_price": FIRST_VERSION_PRICE},
        items=_items(entry, catalog, leave_out=FIRST_VERSION_LEFT_OUT))
    services.offer_version_publish(version=first, actor=actor)
    # Publishing the second retires the first the day before.
    second = services.offer_version_draft(offer=first.offer, actor=actor)
    second = services.offer_version_update(version=second, actor=actor,
                                           terms={"monthly_price": entry.monthly_price},
                                           items=_items(entry, catalog))
    services.offer_version_publish(version=second, actor=actor)


@transaction.atomic
def seed_catalog() -> dict[str, int]:
    """Load the demo catalog (idempotent). Uses the inventory demo's
    equipment models and the demo marketing agent when they exist."""
    today = timezone.localdate()
    actor = User.objects.filter(username=MARKETING_USERNAME).first()
    services_before = CatalogService.objects.count()
    catalog = _services()
    events = _events(catalog, today)
    offers = 0
    for entry in OFFERS:
        if Offer.objects.filter(code=entry.code).exists():
            continue
        _offer(entry, catalog, today, actor)
        offers += 1
    return {"services": CatalogService.objects.count() - services_before, "events": events,
            "offers": offers}


# Coverage kept for the demo network -------------------------------------------------


def seed_coverage() -> int:
    """Keep the coverage the demo network gives for every postal code of
    the demo customers' addresses (idempotent: a postal code with records,
    answered by the network or typed in the back office, is left as it is).
    Returns how many records were added."""
    from integrations.simulators.coverage import accesses_at

    codes = {code.strip() for code in Address.objects.values_list("postal_code", flat=True)
             .distinct()}
    known = set(CoverageRecord.objects.values_list("postal_code", flat=True).distinct())
    now = timezone.now()
    # Loaded as reference data, not asked of the network: no source.
    records = [CoverageRecord(postal_code=code, medium=access.medium,
                              max_down_mbps=access.down_mbps, max_up_mbps=access.up_mbps,
                              checked_at=now)
               for code in sorted(codes - known) for access in accesses_at(code)]
    CoverageRecord.objects.bulk_create(records, batch_size=500)
    return len(records)


# Subscriptions ------------------------------------------------------------------------

OPERATOR_USERNAME = "operator"  # sells and changes them for the customer
BILLING_USERNAME = "billing"  # degrades and suspends for unpaid bills
SUPERVISOR_USERNAME = "supervisor"  # ends a subscription on the provider's side
DISPATCHER_USERNAME = "dispatcher"
BOOKING_DAYS = 14  # how far ahead a visit is looked for
HOLIDAY_DAYS = 21

ADSL, FIBRA_TV, SATELLITE_TOTAL = "adsl-basica", "fibra-300-tv", "satelite-total"
# What each story does after the sale, step by step (see _play).
ACTIVATE, ADD_USER, ADD_OPTION = "activate", "add_user", "add_option"
HOLIDAY, DEGRADE, SUSPEND_UNPAID = "holiday", "degrade", "suspend_unpaid"
CANCEL_BY_CUSTOMER, CANCEL_BY_PROVIDER = "cancel_by_customer", "cancel_by_provider"
BOOK_VISIT, BOOK_VISIT_LATER, FAIL_VISIT, WITHDRAW = ("book_visit", "book_visit_later",
                                                      "fail_visit", "withdraw")


@dataclass(frozen=True)
class Story:
    """A demo subscription: the offer sold, over what, with which options,
    and what happened to it since."""

    name: str
    offer: str
    medium: str
    steps: tuple[str, ...] = ()
    options: tuple[str, ...] = ()
    users: int = 1  # service users it starts with (a second one is a family member)


# Cable first: few demo customers live where the cable reaches.
STORIES = [
    Story("cable-visit-booked", FIBRA_TV, CABLE, (BOOK_VISIT_LATER,), ("ppv-futbol",)),
    Story("satellite-visit-booked", SATELLITE_TOTAL, SATELLITE, (BOOK_VISIT_LATER,)),
    Story("satellite-visit-to-book", SATELLITE_TOTAL, SATELLITE),
    Story("satellite-visit-failed", SATELLITE_TOTAL, SATELLITE, (FAIL_VISIT,)),
    Story("satellite-withdrawn", SATELLITE_TOTAL, SATELLITE, (BOOK_VISIT_LATER, WITHDRAW)),
    Story("active-family", ADSL, COPPER, (ACTIVATE,), ("tv-premium", "correo-extra"), users=2),
    Story("active", ADSL, COPPER, (ACTIVATE,)),
    Story("active-with-ftp", ADSL, COPPER, (ACTIVATE,), ("ftp",)),
    Story("active-extra-mailbox", ADSL, COPPER, (ACTIVATE,), ("correo-extra",)),
    Story("user-added", ADSL, COPPER, (ACTIVATE, ADD_USER)),
    Story("option-added", ADSL, COPPER, (ACTIVATE, ADD_OPTION)),
    Story("on-holiday", ADSL, COPPER, (ACTIVATE, HOLIDAY)),
    Story("degraded", ADSL, COPPER, (ACTIVATE, DEGRADE)),
    Story("suspended-unpaid", ADSL, COPPER, (ACTIVATE, DEGRADE, SUSPEND_UNPAID)),
    Story("leaving", ADSL, COPPER, (ACTIVATE, CANCEL_BY_CUSTOMER)),
    Story("terminated", ADSL, COPPER, (ACTIVATE, DEGRADE, SUSPEND_UNPAID, CANCEL_BY_PROVIDER)),
]
ADDED_OPTION = "banca"
HOLIDAY_REASON = "Vacaciones: pasa la Navidad fuera"
UNPAID_REASON = "Recibo de este mes devuelto por el banco"
SUSPEND_REASON = "Segundo recibo devuelto; se avisó al cliente de la suspensión"
LEAVING_REASON = "Se traslada a otra ciudad"
TERMINATION_REASON = "Impago: baja definitiva tras la suspensión"
VISIT_FAILURE_NOTE = ("La comunidad de vecinos no permite instalar la parabólica en la fachada "
                      "hasta la próxima junta; el cliente avisó antes de la visita.")
WITHDRAW_REASON = "El cliente ha cambiado de idea antes de la instalación"
FAMILY_PIN = "2580"  # the family member's parental PIN (stored hashed)


@dataclass
class Cast:
    """The demo logins who act in the stories (any may be missing)."""

    operator: User | None
    billing: User | None
    supervisor: User | None
    dispatcher: User | None


@dataclass
class Candidate:
    customer: Customer
    address: Address
    account: BillingAccount
    users: list[ServiceUser]


def _user(username: str) -> User | None:
    return User.objects.filter(username=username).first()


def _candidates() -> list[Candidate]:
    """Customers who could sign a demo subscription, by number: with a
    service address and an open billing account, and no equipment, visit
    or subscription of their own yet, so each story starts clean."""
    taken = (set(EquipmentItem.objects.exclude(customer=None)
                 .values_list("customer_id", flat=True))
             | set(WorkOrder.objects.filter(state__in=WORK_ORDER_OPEN_STATES)
                   .values_list("customer_id", flat=True))
             | set(Subscription.objects.values_list("customer_id", flat=True)))
    addresses: dict[int, Address] = {}
    for address in Address.objects.filter(purpose=AddressPurpose.SERVICE, is_active=True,
                                          customer__status__in=[CustomerStatus.ACTIVE,
                                                                CustomerStatus.PROSPECT]
                                          ).order_by("pk"):
        addresses.setdefault(address.customer_id, address)
    accounts: dict[int, BillingAccount] = {}
    for account in BillingAccount.objects.filter(status=AccountStatus.ACTIVE).order_by("pk"):
        accounts.setdefault(account.customer_id, account)
    users: dict[int, list[ServiceUser]] = {}
    for user in ServiceUser.objects.filter(is_active=True).order_by("pk"):
        users.setdefault(user.customer_id, []).append(user)
    customers = Customer.objects.filter(pk__in=set(addresses) & set(accounts)).exclude(
        pk__in=taken).order_by("number")
    return [Candidate(customer=customer, address=addresses[customer.pk],
                      account=accounts[customer.pk], users=users.get(customer.pk, []))
            for customer in customers]


class Chooser:
    """Finds each story a customer whose address its offer reaches: the
    medium in the kept coverage, fast enough for its Internet service, the
    offer sold at the postal code, and, when it needs a visit, a technician
    covering the zone with the skill to install over it."""

    def __init__(self, candidates: list[Candidate]) -> None:
        self.candidates = candidates
        self.used: set[int] = set()
        self.coverage: dict[tuple[str, str], int] = {
            (record.postal_code, record.medium): record.max_down_mbps
            for record in CoverageRecord.objects.all()}
        self.skilled_zones: dict[str, set[int]] = {}
        for profile in TechnicianProfile.objects.filter(is_active=True,
                                                        user__is_active=True).prefetch_related(
                                                            "zones"):
            for skill in profile.skills:
                self.skilled_zones.setdefault(skill, set()).update(
                    zone.pk for zone in profile.zones.all())
        self.zones: dict[str, int | None] = {}

    def _zone(self, postal_code: str) -> int | None:
        if postal_code not in self.zones:
            zone = availability.zone_for_postcode(postal_code)
            self.zones[postal_code] = zone.pk if zone is not None else None
        return self.zones[postal_code]

    def fits(self, candidate: Candidate, story: Story, version: OfferVersion,
             needs: Needs) -> bool:
        code = candidate.address.postal_code.strip()
        down = self.coverage.get((code, story.medium))
        if down is None or down < needs.speed or not version.sold_at(code):
            return False
        if len(candidate.users) < story.users:
            return False
        if ADD_USER in story.steps and len(candidate.users) < story.users + 1:
            return False
        if needs.visit:
            # Somebody must be able to install it: the visit can be booked.
            skill = INSTALL_SKILLS.get(story.medium)
            return self._zone(code) in self.skilled_zones.get(skill, set())
        return True

    def choose(self, story: Story, version: OfferVersion, needs: Needs) -> Candidate | None:
        for candidate in self.candidates:
            if candidate.customer.pk in self.used:
                continue
            if self.fits(candidate, story, version, needs):
                self.used.add(candidate.customer.pk)
                return candidate
        return None


def _credential(user: ServiceUser, customer: Customer, kind: str) -> str:
    name = slugify(f"{user.given_name}.{user.family_name.split(' ')[0]}") or "cliente"
    suffix = customer.number[-4:]
    if kind == CredentialKind.ISP_LOGIN:
        return f"{name}{suffix}@adsl.sesmu.es"
    if kind == CredentialKind.MAILBOX:
        return f"{name}{suffix}@correo.sesmu.es"
    return ""


def _user_specs(candidate: Candidate, story: Story,
                version: OfferVersion) -> list[services.UserSpec]:
    """The customer (or first employee) with the login of the Internet
    service; a family member with their own mailbox, a parental PIN and no
    pay-per-view."""
    kinds = {item.service.credential_kind for item in version.items.select_related("service")
             if item.role == ItemRole.INCLUDED}
    first = (CredentialKind.ISP_LOGIN if CredentialKind.ISP_LOGIN in kinds
             else CredentialKind.NONE)
    specs = []
    for index, user in enumerate(candidate.users[:story.users]):
        if index == 0:
            specs.append(services.UserSpec(service_user=user,
                                           credential=_credential(user, candidate.customer,
                                                                  first)))
        else:
            specs.append(services.UserSpec(
                service_user=user,
                credential=_credential(user, candidate.customer, CredentialKind.MAILBOX),
                parental_pin=FAMILY_PIN, ppv_allowed=False, ppv_monthly_limit=Decimal("0.00")))
    return specs


def _acknowledged(order: SubscriptionOrder) -> None:
    """The element managers applied every command the order sent: what the
    outbox reports when it delivers them. The seeding cannot reach them, so
    this is recorded now; the messages still wait in the outbox, and their
    delivery later finds the steps applied and changes nothing."""
    for step in (order.steps.filter(status=StepStatus.WAITING).select_related("message")
                 .order_by("pk")):
        if step.message is not None:
            step_applied(message=step.message)


def _book(order: SubscriptionOrder, cast: Cast, *, later: bool = False,
          dispatch: bool = False) -> WorkOrder:
    """Book the first free window for the order's visit (`later`: the first
    one of another day, so not every visit falls on the same morning;
    `dispatch`: one its technician can also be given and sent)."""
    work_order = WorkOrder.objects.get(number=order.work_order_ref)
    today = timezone.localdate()
    slots = availability.free_slots(work_order, today, today + timedelta(days=BOOKING_DAYS))
    if later and slots:
        slots = [slot for slot in slots if slot.date > slots[0].date] or slots
    for slot in slots:
        try:
            with transaction.atomic():
                appointment = services.subscription_book_visit(
                    order=order, window_start=slot.start, actor=cast.operator)
                if dispatch:
                    _dispatch(work_order, appointment, cast)
        except ValidationError:
            continue  # taken, or its technician is busy then: the next one
        work_order.refresh_from_db()
        return work_order
    raise ValidationError(f"No free window for {work_order.number}.")


def _dispatch(work_order: WorkOrder, appointment: Appointment, cast: Cast) -> None:
    """Give the booked visit to the technician whose time it holds, at the
    first quarter of the window free in their day, and send it to them."""
    technician = appointment.technician.user
    start = appointment.window_start
    while start < appointment.window_end:
        try:
            workforce.work_order_assign(work_order=work_order, technician=technician,
                                        actor=cast.dispatcher, planned_start=start)
            break
        except ValidationError:
            start += timedelta(minutes=15)  # overlaps another visit: a little later
    else:
        raise ValidationError(f"{technician} cannot take {work_order.number}.")
    workforce.work_order_dispatch(work_order=work_order, actor=cast.dispatcher)


def _fail_visit(order: SubscriptionOrder, cast: Cast) -> None:
    """The visit is booked and sent to its technician, who reports that it
    cannot be done; the order is held once the failure is committed
    (subscriptions.receivers)."""
    work_order = _book(order, cast, dispatch=True)
    workforce.work_order_fail(work_order=work_order, reason=FailureReason.NO_ACCESS,
                              actor=work_order.technician, note=VISIT_FAILURE_NOTE)


def _play(story: Story, candidate: Candidate, version: OfferVersion,
          catalog: dict[str, CatalogService], cast: Cast) -> Subscription:
    today = timezone.localdate()
    order = services.subscription_create(
        actor=cast.operator, customer=candidate.customer, billing_account=candidate.account,
        offer_version=version, service_address=candidate.address, access_medium=story.medium,
        options=[catalog[code] for code in story.options],
        users=_user_specs(candidate, story, version))
    subscription = order.subscription
    for step in story.steps:
        # The story goes on: what the last order sent was applied. The
        # last order's commands are left to the outbox; a sale waiting for
        # its visit is left as it is.
        if step not in (BOOK_VISIT, BOOK_VISIT_LATER, FAIL_VISIT):
            _acknowledged(order)
        subscription.refresh_from_db()
        if step == ACTIVATE:
            if subscription.state != SubscriptionState.ACTIVE:
                raise ValidationError(f"{subscription.number} did not activate.")
            continue
        if step in (BOOK_VISIT, BOOK_VISIT_LATER):
            _book(order, cast, later=step == BOOK_VISIT_LATER)
        elif step == FAIL_VISIT:
            _fail_visit(order, cast)
        elif step == WITHDRAW:
            # Withdrawing the sale places the cancellation that aborts it.
            order = services.subscription_order_cancel(order=order, actor=cast.operator,
                                                       reason=WITHDRAW_REASON)
        elif step == ADD_USER:
            on = set(subscription.users.values_list("service_user_id", flat=True))
            extra = next((user for user in candidate.users if user.pk not in on), None)
            if extra is None:
                raise ValidationError(f"{candidate.customer.number} has nobody else to add.")
            order = services.subscription_add_user(
                subscription=subscription, actor=cast.operator,
                user=services.UserSpec(service_user=extra, credential=_credential(
                    extra, candidate.customer, CredentialKind.MAILBOX)))
        elif step == ADD_OPTION:
            order = services.subscription_add_option(subscription=subscription,
                                                     service=catalog[ADDED_OPTION],
                                                     actor=cast.operator)
        elif step == HOLIDAY:
            order = services.subscription_suspend(
                subscription=subscription, actor=cast.operator, initiator=Initiator.CUSTOMER,
                reason=HOLIDAY_REASON, resume_on=today + timedelta(days=HOLIDAY_DAYS))
        elif step == DEGRADE:
            order = services.subscription_degrade(subscription=subscription,
                                                  actor=cast.billing, reason=UNPAID_REASON)
        elif step == SUSPEND_UNPAID:
            order = services.subscription_suspend(
                subscription=subscription, actor=cast.billing, initiator=Initiator.PROVIDER,
                reason=SUSPEND_REASON)
        elif step == CANCEL_BY_CUSTOMER:
            order = services.subscription_cancel(subscription=subscription, actor=cast.operator,
                                                 initiator=Initiator.CUSTOMER,
                                                 reason=LEAVING_REASON)
        elif step == CANCEL_BY_PROVIDER:
            order = services.subscription_cancel(subscription=subscription,
                                                 actor=cast.supervisor,
                                                 initiator=Initiator.PROVIDER,
                                                 reason=TERMINATION_REASON)
        else:
            raise ValueError(f"unknown step {step!r}")
    subscription.refresh_from_db()
    return subscription


@dataclass(frozen=True)
class Needs:
    """What an address must have for an offer over a medium: the speed of
    its fastest Internet service, and a technician if it needs a visit."""

    speed: int
    visit: bool


def _needs(version: OfferVersion, medium: str) -> Needs:
    services_sold = [item.service for item in version.items.select_related("service")
                     if item.role == ItemRole.INCLUDED]
    return Needs(speed=max((service.speed_down_mbps or 0 for service in services_sold),
                           default=0),
                 visit=any(service.needs_visit_over(medium) for service in services_sold))


@transaction.atomic
def seed_subscriptions() -> dict[str, Any]:
    """Sell and change the demo subscriptions (see STORIES) through the
    lifecycle services. Needs the demo registry, catalog, customers, stock
    and technicians, and the kept coverage (seed_coverage). Loaded once: with
    any subscription in the database, nothing is done."""
    if Subscription.objects.exists():
        return {"subscriptions": 0, "sold": [], "skipped": []}
    return play_stories(STORIES)


@transaction.atomic
def play_stories(stories: list[Story]) -> dict[str, Any]:
    """Play each story with the first customer it fits who has nothing yet.
    A story no customer fits, or that the services refuse (it leaves
    nothing behind), is left out and named in `skipped` with the reason."""
    cast = Cast(operator=_user(OPERATOR_USERNAME), billing=_user(BILLING_USERNAME),
                supervisor=_user(SUPERVISOR_USERNAME), dispatcher=_user(DISPATCHER_USERNAME))
    catalog = {service.code: service for service in CatalogService.objects.all()}
    on_sale = {version.offer.code: version for version in
               OfferVersion.objects.filter(status=OfferStatus.PUBLISHED).select_related(
                   "offer").order_by("number")}
    chooser = Chooser(_candidates())
    sold, skipped = [], []
    for story in stories:
        version = on_sale.get(story.offer)
        candidate = (chooser.choose(story, version, _needs(version, story.medium))
                     if version is not None else None)
        if candidate is None:
            skipped.append((story.name, "no customer fits"))
            continue
        try:
            with transaction.atomic():
                subscription = _play(story, candidate, version, catalog, cast)
        except ValidationError as error:
            skipped.append((story.name, " ".join(error.messages)))
            continue
        sold.append((story.name, candidate.customer.number, subscription.number))
    return {"subscriptions": len(sold), "sold": sold, "skipped": skipped}
