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
an event's service and title), so a second run creates nothing."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from inventory.choices import AccessMedium
from inventory.models import EquipmentModel
from sesmu.choices import ServiceKind
from sesmu.models import User
from subscriptions import services
from subscriptions.choices import CredentialKind, ItemRole
from subscriptions.models import CatalogService, Offer, ProgrammeEvent

MARKETING_USERNAME = "marketing"
COPPER, CABLE, SATELLITE = AccessMedium.COPPER, AccessMedium.CABLE, AccessMedium.SATELLITE
ONLINE = [COPPER, CABLE]  # the services that need an Internet line
TV_MEDIA = [COPPER, CABLE, SATELLITE]  # TV over ADSL as IPTV, like the incumbent's
BROADCAST = [CABLE, SATELLITE]

# Equipment models of inventory/demo.py.
TV_EQUIPMENT = ["sagemcom-dsi87", "humax-uhd4k", "nagra-merlin", "smit-ci-cam",
                "televes-dish-100", "inverto-quad-lnb"]
CARD_AND_BOX = ["sagemcom-dsi87", "humax-uhd4k", "nagra-merlin", "smit-ci-cam"]
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
CABLE_REGIONS = ["28", "08", "46"]  # where the cable network reaches

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
