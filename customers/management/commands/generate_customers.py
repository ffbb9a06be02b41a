"""Load many synthetic customers fast, for benchmarks and load tests.

Each customer is a person with a valid Spanish NIF, one mobile phone (E.164)
and one e-mail, a name drawn from Spanish and British pools, and a number from
the gap-free customer series. Optionally a few of them get a long history
(interactions, events, service users, addresses, billing accounts) so the
customer 360 page has something heavy to show.

On PostgreSQL rows go in with COPY, one transaction per chunk: the chunk's
numbers are reserved in the transaction that stores it, so an interrupted
load leaves whole chunks and no gap. The series row stays locked for one
chunk (a few seconds), so an operator creating a customer meanwhile waits at
most that long. Indexes stay in place: measured at a million customers,
dropping the name index and rebuilding it afterwards saves about 5 s of 60,
not worth a window in which searches run without it (or a rebuild that
blocks writes). On SQLite the same rows go through bulk_create, which is
plenty for tests.

Documents and phones are derived from the customer number through a
bijection, not drawn at random, so generated customers never collide with
one another, whatever the seed or the number of runs; collisions with
customers typed in by hand are looked up and moved aside."""

from __future__ import annotations

import itertools
import random
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

from django.core.management.base import BaseCommand, CommandError, OutputWrapper
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from faker import Faker
from schwifty import IBAN
from stdnum.es import dni

from callcenter.models import OperatorProfile
from customers.choices import (
    AccountStatus,
    AddressPurpose,
    BillFormat,
    ContactKind,
    ContactLabel,
    CustomerEventKind,
    CustomerKind,
    CustomerStatus,
    DeliveryMethod,
    DetailLevel,
    DocumentType,
    InteractionChannel,
    InteractionDirection,
    InteractionOutcome,
    InteractionTopic,
    PaymentMethod,
    Relationship,
    Segment,
)
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    CustomerEvent,
    Interaction,
    ServiceUser,
    fold,
    search_key,
)
from sesmu.numbering import series_reserve, series_reserve_range

# Documents and phones are affine bijections of the customer number: the
# multipliers are prime and coprime with the moduli, so two numbers below the
# modulus never give the same document or phone.
NIF_FIRST = 10_000_000
NIF_SPAN = 90_000_000
NIF_MULTIPLIER = 57_885_161
NIF_OFFSET = 23_456_789
PHONE_SPAN = 100_000_000
PHONE_MULTIPLIER = 43_112_609
PHONE_OFFSET = 31_415_926
# A collision with a hand-typed customer moves the candidate by this step,
# times the attempt, on the same bijection.
COLLISION_STEP = 1_000_003

EMAIL_DOMAINS = ("example.com", "example.es", "example.net", "example.org")
STATUSES = (
    (CustomerStatus.ACTIVE, 70), (CustomerStatus.FORMER, 15), (CustomerStatus.PROSPECT, 15),
)
SEGMENTS = (
    (Segment.RESIDENTIAL, 90), (Segment.SMALL_BUSINESS, 8), (Segment.CORPORATE, 2),
)
ENGLISH_SHARE = 0.2
HISTORY_YEARS = 10

SUMMARIES = (
    "Asked about the premium TV package channels.",
    "Set-top box shows no signal; guided through a restart.",
    "Did not understand the last bill; explained the proration.",
    "Interested in adding home banking to the contract.",
    "Technician did not come on the agreed day; new appointment offered.",
    "Internet slow in the evenings; line test booked.",
    "Preguntó por la velocidad de la fibra en su zona.",
    "Solicita cambiar la cuenta de domiciliación.",
    "Quiere contratar el paquete de deportes.",
    "Reclama un cargo de pago por visión que no reconoce.",
    "El módem se reinicia solo varias veces al día.",
    "Pide una copia de la última factura en papel.",
)
STREETS = (
    "Calle Mayor", "Gran Vía", "Avenida de la Constitución", "Calle del Sol",
    "Paseo de la Castellana", "Calle de Alcalá", "Rambla de Catalunya", "Calle Real",
)
CITIES = (
    ("28", "Madrid", "Madrid"), ("08", "Barcelona", "Barcelona"),
    ("35", "Las Palmas de Gran Canaria", "Las Palmas"), ("41", "Sevilla", "Sevilla"),
    ("46", "Valencia", "Valencia"), ("48", "Bilbao", "Bizkaia"),
)


def nif_for(value: int, attempt: int = 0) -> str:
    body = str(NIF_FIRST + ((value + attempt * COLLISION_STEP) * NIF_MULTIPLIER + NIF_OFFSET)
               % NIF_SPAN)
    return body + dni.calc_check_digit(body)


def phone_for(value: int, attempt: int = 0) -> str:
    digits = ((value + attempt * COLLISION_STEP) * PHONE_MULTIPLIER + PHONE_OFFSET) % PHONE_SPAN
    return f"+346{digits:08d}"


class WeightedPool:
    """Names with a long-tailed frequency, like real surnames: the first
    drawn from Faker is the most common (about 2 %), the thousandth rare.
    Uniform pools would flatter the name search."""

    def __init__(self, names: Sequence[str]) -> None:
        self.names = list(names)
        weights = [1 / (rank + 10) for rank in range(1, len(self.names) + 1)]
        self.cumulative = list(itertools.accumulate(weights))

    def draw(self, rng: random.Random, count: int) -> list[str]:
        return rng.choices(self.names, cum_weights=self.cumulative, k=count)


def _faker_names(faker: Faker, method: str, wanted: int, attempts: int) -> list[str]:
    names: dict[str, None] = {}
    for _attempt in range(attempts):
        name = " ".join(getattr(faker, method)().split())
        # COPY's text format would need escaping for these; no real name has them.
        if name and not any(character in name for character in "\t\n\r\\"):
            names.setdefault(name, None)
        if len(names) >= wanted:
            break
    return list(names)


@dataclass(frozen=True)
class NamePools:
    spanish_given: WeightedPool
    spanish_family: WeightedPool
    english_given: WeightedPool
    english_family: WeightedPool

    @classmethod
    def build(cls, seed: int) -> NamePools:
        # Faker is called a few thousand times here, never per customer: at a
        # million rows it would take minutes.
        spanish, english = Faker("es_ES"), Faker("en_GB")
        spanish.seed_instance(seed)
        english.seed_instance(seed + 1)
        return cls(
            spanish_given=WeightedPool(_faker_names(spanish, "first_name", 600, 20_000)),
            spanish_family=WeightedPool(_faker_names(spanish, "last_name", 1_000, 30_000)),
            english_given=WeightedPool(_faker_names(english, "first_name", 300, 10_000)),
            english_family=WeightedPool(_faker_names(english, "last_name", 450, 20_000)),
        )


def email_word(name: str) -> str:
    """The first word of a name as it may appear in an e-mail address."""
    word = fold(name).split(" ")[0]
    return "".join(character for character in word if character.isascii() and
                   character.isalnum()) or "x"


@dataclass
class PersonRow:
    value: int
    number: str
    given_name: str
    family_name: str
    search_name: str
    document_number: str
    birth_date: date
    language: str
    segment: str
    is_vip: bool
    status: str
    consent_email: bool
    consent_phone: bool
    consent_post: bool
    created_at: datetime
    updated_at: datetime
    phone: str
    email: str


class PersonFactory:
    """Builds the rows of a chunk of customers from their number values. The
    chunk's own random stream is seeded by the seed and its first value, so a
    chunk's people do not depend on the chunks before it."""

    def __init__(self, *, seed: int, now: datetime) -> None:
        self.seed = seed
        self.pools = NamePools.build(seed)
        self.now = now
        self.history_start = now - timedelta(days=365 * HISTORY_YEARS)
        first_birth = date(1935, 1, 1)
        self.birth_dates = [first_birth + timedelta(days=offset)
                            for offset in range((date(2007, 12, 31) - first_birth).days)]
        self._email_words: dict[str, str] = {}

    def _email_word(self, name: str) -> str:
        word = self._email_words.get(name)
        if word is None:
            word = self._email_words[name] = email_word(name)
        return word

    def rows(self, *, series_format, values: range) -> list[PersonRow]:
        rng = random.Random(f"{self.seed}:{values.start}")
        count = len(values)
        english = [rng.random() < ENGLISH_SHARE for _value in values]
        spanish_given = self.pools.spanish_given.draw(rng, count)
        spanish_family = self.pools.spanish_family.draw(rng, 2 * count)
        english_given = self.pools.english_given.draw(rng, count)
        english_family = self.pools.english_family.draw(rng, count)
        statuses = rng.choices([s for s, _w in STATUSES], [w for _s, w in STATUSES], k=count)
        segments = rng.choices([s for s, _w in SEGMENTS], [w for _s, w in SEGMENTS], k=count)
        history_seconds = (self.now - self.history_start).total_seconds() - 86_400
        start = self.history_start.timestamp()
        rows = []
        for index, value in enumerate(values):
            if english[index]:
                given, family, language = english_given[index], english_family[index], "en"
                first_family = family
            else:
                given, language = spanish_given[index], "es"
                first_family = spanish_family[2 * index]
                family = f"{first_family} {spanish_family[2 * index + 1]}"
            created_at = datetime.fromtimestamp(start + rng.random() * history_seconds,
                                                tz=dt_timezone.utc)
            updated_at = created_at + (self.now - created_at) * rng.random()
            rows.append(PersonRow(
                value=value,
                number=series_format(value),
                given_name=given,
                family_name=family,
                # Exactly what Customer.refresh_search_name stores.
                search_name=search_key(" ".join((given, family, ""))),
                document_number=nif_for(value),
                birth_date=self.birth_dates[rng.randrange(len(self.birth_dates))],
                language=language,
                segment=segments[index],
                is_vip=rng.random() < 0.02,
                status=statuses[index],
                consent_email=rng.random() < 0.5,
                consent_phone=rng.random() < 0.3,
                consent_post=rng.random() < 0.1,
                created_at=created_at,
                updated_at=updated_at,
                phone=phone_for(value),
                email=f"{self._email_word(given)}.{self._email_word(first_family)}.{value}"
                      f"@{EMAIL_DOMAINS[value % len(EMAIL_DOMAINS)]}",
            ))
        return rows


class ProgressBar:
    """A one-line bar on a terminal; in a log, a line every tenth of the way."""

    WIDTH = 30

    def __init__(self, *, total: int, label: str, stream: OutputWrapper) -> None:
        self.total = max(total, 1)
        self.label = label
        self.stream = stream
        self.done = 0
        self.started = time.perf_counter()
        self.interactive = stream.isatty()
        self.logged_tenths = 0

    def advance(self, amount: int) -> None:
        self.done += amount
        filled = int(self.WIDTH * self.done / self.total)
        elapsed = time.perf_counter() - self.started
        line = (f"[{'#' * filled}{'.' * (self.WIDTH - filled)}] {self.done:>10,}/{self.total:,} "
                f"{self.label} {elapsed:6.1f} s")
        if self.interactive:
            ending = "\n" if self.done >= self.total else ""
            self.stream.write("\r" + line, ending=ending)
        elif 10 * self.done // self.total > self.logged_tenths or self.done >= self.total:
            self.logged_tenths = 10 * self.done // self.total
            self.stream.write(line)
        self.stream.flush()


class Command(BaseCommand):
    help = ("Load COUNT synthetic customers (valid NIF, phone, e-mail) quickly; COPY on "
            "PostgreSQL. Adds to what exists.")

    def add_arguments(self, parser) -> None:
        parser.add_argument("--count", type=int, required=True, help="customers to add")
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--interactions-for", type=int, default=0,
                            help="how many of the new customers get a long history")
        parser.add_argument("--interactions-each", type=int, default=200,
                            help="interactions of each customer with a long history")
        parser.add_argument("--chunk-size", type=int, default=50_000,
                            help="customers per transaction")

    def handle(self, *args, count: int, seed: int, interactions_for: int,
               interactions_each: int, chunk_size: int, **options) -> None:
        if count < 1:
            raise CommandError("--count must be at least 1.")
        if chunk_size < 1 or interactions_for < 0 or interactions_each < 0:
            raise CommandError("--chunk-size must be positive and the history sizes not "
                               "negative.")
        started = time.perf_counter()
        factory = PersonFactory(seed=seed, now=timezone.now())
        progress = ProgressBar(total=count, label="customers", stream=self.stderr)
        load_chunk = (self._copy_chunk if connection.vendor == "postgresql"
                      else self._bulk_create_chunk)
        # Generated customers never collide with one another, so on an empty
        # table there is nothing to look up: that saves a tenth of the load.
        others_exist = Customer.objects.exists()
        new_ids: list[int] = []
        for chunk_start in range(0, count, chunk_size):
            size = min(chunk_size, count - chunk_start)
            with transaction.atomic():
                series, values = series_reserve_range(name="customer", count=size)
                rows = factory.rows(series_format=series.format, values=values)
                if others_exist:
                    self._move_collisions_aside(rows)
                ids = load_chunk(rows)
            new_ids.extend(self._history_picks(ids, chunk_start, count, interactions_for))
            progress.advance(size)
        if interactions_for and interactions_each:
            self._add_histories(customer_ids=new_ids, each=interactions_each, seed=seed,
                                now=factory.now)
        if connection.vendor == "postgresql":
            self._settle()
        self.stderr.write(f"{count:,} customers added in {time.perf_counter() - started:.1f} s.")

    def _settle(self) -> None:
        """Make the new rows searchable at full speed now rather than after
        autovacuum: merge the pending lists of the GIN (name search) indexes,
        which every search scans linearly, and give the planner statistics of
        the new rows."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT gin_clean_pending_list(index.indexrelid) FROM pg_index AS index "
                "JOIN pg_class AS class ON class.oid = index.indexrelid "
                "JOIN pg_am AS method ON method.oid = class.relam "
                "WHERE index.indrelid = 'customers_customer'::regclass "
                "AND method.amname = 'gin' AND index.indisvalid"
            )
            cursor.execute("ANALYZE customers_customer, customers_contactpoint")

    # Customers ------------------------------------------------------------------

    @staticmethod
    def _history_picks(ids: list[int], chunk_start: int, count: int, wanted: int) -> list[int]:
        """Spread the long histories evenly over the whole load."""
        if not wanted:
            return []
        wanted = min(wanted, count)
        positions = {position * count // wanted for position in range(wanted)}
        return [customer_id for offset, customer_id in enumerate(ids)
                if chunk_start + offset in positions]

    def _move_collisions_aside(self, rows: list[PersonRow]) -> None:
        """Generated documents and phones never collide with each other; a
        customer typed in by hand may hold one. Move those few along their
        bijection until they are free."""
        for attempt in range(1, 50):
            taken_documents = _taken(
                "SELECT document_number FROM customers_customer WHERE document_type = 'nif' "
                "AND document_country = 'ES' AND document_number",
                [row.document_number for row in rows],
            )
            taken_phones = _taken(
                "SELECT value FROM customers_contactpoint WHERE kind = 'phone' AND value",
                [row.phone for row in rows],
            )
            moved = False
            for row in rows:
                if row.document_number in taken_documents:
                    row.document_number = nif_for(row.value, attempt)
                    moved = True
                if row.phone in taken_phones:
                    row.phone = phone_for(row.value, attempt)
                    moved = True
            if not moved:
                return
        raise CommandError("Could not find free documents and phones for the new customers.")

    def _copy_chunk(self, rows: list[PersonRow]) -> list[int]:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('customers_customer', 'id')) "
                "FROM generate_series(1, %s)", [len(rows)],
            )
            ids = [customer_id for (customer_id,) in cursor.fetchall()]
            customer_lines = []
            contact_lines = []
            flag = {True: "t", False: "f"}
            for customer_id, row in zip(ids, rows, strict=True):
                # Formatted by hand: a generic per-value formatter costs more
                # than PostgreSQL takes to store the row. No value holds a tab,
                # newline or backslash (NamePools drops such names).
                created = row.created_at.isoformat()
                consents = (row.consent_email, row.consent_phone, row.consent_post)
                consent_at = created if any(consents) else "\\N"
                customer_lines.append(
                    f"{customer_id}\t{row.number}\tperson\t{row.given_name}\t"
                    f"{row.family_name}\t\t{row.search_name}\tnif\t{row.document_number}\tES\t"
                    f"{row.birth_date.isoformat()}\t{row.language}\t{row.segment}\t"
                    f"{flag[row.is_vip]}\t{row.status}\t{flag[consents[0]]}\t"
                    f"{flag[consents[1]]}\t{flag[consents[2]]}\t{consent_at}\t\t\\N\t"
                    f"{created}\t{row.updated_at.isoformat()}"
                )
                contact_lines.append(
                    f"{customer_id}\tphone\t{row.phone}\tmobile\tt\t{created}\n"
                    f"{customer_id}\temail\t{row.email}\thome\tt\t{created}"
                )
            _copy(cursor, "customers_customer", (
                "id", "number", "kind", "given_name", "family_name", "organisation_name",
                "search_name", "document_type", "document_number", "document_country",
                "birth_date", "language", "segment", "is_vip", "status",
                "consent_marketing_email", "consent_marketing_phone", "consent_marketing_post",
                "consent_updated_at", "notes", "created_by_id", "created_at", "updated_at",
            ), customer_lines)
            _copy(cursor, "customers_contactpoint",
                  ("customer_id", "kind", "value", "label", "is_primary", "created_at"),
                  contact_lines)
        return ids

    def _bulk_create_chunk(self, rows: list[PersonRow]) -> list[int]:
        customers = [
            Customer(
                number=row.number, kind=CustomerKind.PERSON, given_name=row.given_name,
                family_name=row.family_name, search_name=row.search_name,
                document_type=DocumentType.NIF, document_number=row.document_number,
                document_country="ES", birth_date=row.birth_date, language=row.language,
                segment=row.segment, is_vip=row.is_vip, status=row.status,
                consent_marketing_email=row.consent_email,
                consent_marketing_phone=row.consent_phone,
                consent_marketing_post=row.consent_post,
                consent_updated_at=row.created_at if (row.consent_email or row.consent_phone
                                                      or row.consent_post) else None,
            )
            for row in rows
        ]
        Customer.objects.bulk_create(customers, batch_size=500)
        contacts = []
        for customer, row in zip(customers, rows, strict=True):
            contacts.append(ContactPoint(customer=customer, kind=ContactKind.PHONE,
                                         value=row.phone, label=ContactLabel.MOBILE,
                                         is_primary=True))
            contacts.append(ContactPoint(customer=customer, kind=ContactKind.EMAIL,
                                         value=row.email, label=ContactLabel.HOME,
                                         is_primary=True))
        ContactPoint.objects.bulk_create(contacts, batch_size=500)
        # auto_now_add stamped them now; a generated customer has its own past.
        for customer, row in zip(customers, rows, strict=True):
            customer.created_at, customer.updated_at = row.created_at, row.updated_at
        Customer.objects.bulk_update(customers, ["created_at", "updated_at"], batch_size=500)
        return [customer.pk for customer in customers]

    # Long histories ---------------------------------------------------------------

    @transaction.atomic
    def _add_histories(self, *, customer_ids: list[int], each: int, seed: int,
                       now: datetime) -> None:
        """A few customers with years of contacts: what the 360 page must
        still show fast. Through the ORM on both databases: it is a few
        thousand rows."""
        rng = random.Random(f"{seed}:histories")
        profiles = list(OperatorProfile.objects.select_related("user").order_by("id")[:20])
        customers = list(Customer.objects.filter(pk__in=customer_ids).order_by("id"))
        progress = ProgressBar(total=len(customers), label="long histories", stream=self.stderr)
        account_numbers = iter(series_reserve(name="billing_account", count=2 * len(customers)))
        for customer in customers:
            self._add_history(customer=customer, each=each, rng=rng, now=now,
                              profiles=profiles, account_numbers=account_numbers)
            progress.advance(1)

    def _add_history(self, *, customer: Customer, each: int, rng: random.Random,
                     now: datetime, profiles: list[OperatorProfile],
                     account_numbers: Iterator[str]) -> None:
        start = customer.created_at
        span = max((now - start).total_seconds() - 3_600, 60)

        def moment() -> datetime:
            return start + timedelta(seconds=rng.random() * span)

        def actor():
            return rng.choice(profiles).user if profiles else None

        events: list[tuple[CustomerEvent, datetime]] = [
            (CustomerEvent(customer=customer, kind=CustomerEventKind.CREATED,
                           description=customer.display_name, to_status=CustomerStatus.PROSPECT,
                           actor=actor()), start),
        ]
        if customer.status != CustomerStatus.ACTIVE:
            Customer.objects.filter(pk=customer.pk).update(status=CustomerStatus.ACTIVE)
        events.append((CustomerEvent(
            customer=customer, kind=CustomerEventKind.STATUS_CHANGED,
            from_status=CustomerStatus.PROSPECT, to_status=CustomerStatus.ACTIVE,
            reason="Contract signed.", actor=actor()), start + timedelta(days=1)))

        family_name = customer.family_name
        service_users = ServiceUser.objects.bulk_create([
            ServiceUser(customer=customer, relationship=Relationship.SELF,
                        given_name=customer.given_name, family_name=family_name,
                        language=customer.language),
            ServiceUser(customer=customer, relationship=Relationship.FAMILY,
                        given_name=rng.choice(("Lucía", "Pablo", "Emma", "Hugo")),
                        family_name=family_name, language=customer.language,
                        phone=phone_for(customer.pk + 90_000_000)),
            ServiceUser(customer=customer, relationship=Relationship.FAMILY,
                        given_name=rng.choice(("Carmen", "Jorge", "Sofía", "Daniel")),
                        family_name=family_name, language=customer.language),
        ])
        for service_user in service_users[1:]:
            events.append((CustomerEvent(
                customer=customer, kind=CustomerEventKind.SERVICE_USER_ADDED,
                description=str(service_user), actor=actor()), moment()))

        province_code, city, province = rng.choice(CITIES)
        addresses = Address.objects.bulk_create([
            Address(customer=customer, purpose=purpose, street=rng.choice(STREETS),
                    street_number=str(rng.randint(1, 200)),
                    details=f"{rng.randint(1, 9)}º {rng.choice('ABCD')}",
                    postal_code=f"{province_code}{rng.randint(1, 999):03d}", city=city,
                    province=province)
            for purpose in (AddressPurpose.SERVICE, AddressPurpose.BILLING)
        ])
        for address in addresses:
            events.append((CustomerEvent(customer=customer, kind=CustomerEventKind.ADDRESS_ADDED,
                                         description=str(address), actor=actor()), moment()))

        iban = IBAN.generate("ES", bank_code="2100", branch_code="0418",
                             account_code=f"{customer.pk % 10_000_000_000:010d}").compact
        accounts = BillingAccount.objects.bulk_create([
            BillingAccount(number=next(account_numbers), customer=customer, name="Home",
                           bill_language=customer.language, bill_format=BillFormat.PDF,
                           detail_level=DetailLevel.ITEMISED,
                           delivery_method=DeliveryMethod.EMAIL,
                           delivery_email=f"bills.{customer.pk}@example.com",
                           payment_method=PaymentMethod.DIRECT_DEBIT, iban=iban,
                           bill_day=rng.randint(1, 28)),
            BillingAccount(number=next(account_numbers), customer=customer, name="Second home",
                           bill_language=customer.language, bill_format=BillFormat.PDF,
                           detail_level=DetailLevel.SUMMARY,
                           delivery_method=DeliveryMethod.POST, billing_address=addresses[1],
                           payment_method=PaymentMethod.CARD,
                           status=rng.choice((AccountStatus.ACTIVE, AccountStatus.CLOSED)),
                           bill_day=rng.randint(1, 28)),
        ])
        for account in accounts:
            events.append((CustomerEvent(customer=customer, kind=CustomerEventKind.ACCOUNT_OPENED,
                                         description=str(account), actor=actor()), moment()))

        interactions = []
        for _index in range(each):
            started_at = moment()
            profile = rng.choice(profiles) if profiles else None
            interactions.append(Interaction(
                customer=customer,
                service_user=rng.choice(service_users) if rng.random() < 0.3 else None,
                channel=rng.choice(InteractionChannel.values),
                direction=InteractionDirection.INBOUND if rng.random() < 0.8
                else InteractionDirection.OUTBOUND,
                call_center=profile.call_center if profile else None,
                operator=profile.user if profile else None,
                topic=rng.choice(InteractionTopic.values),
                summary=rng.choice(SUMMARIES),
                outcome=rng.choice(InteractionOutcome.values),
                started_at=started_at,
                ended_at=started_at + timedelta(seconds=rng.randint(30, 1_200)),
            ))
        Interaction.objects.bulk_create(interactions, batch_size=1_000)
        # auto_now_add stamped "recorded at" now; a call is recorded as it ends.
        Interaction.objects.filter(customer=customer).update(created_at=F("ended_at"))

        for _index in range(max(each // 10, 1)):
            events.append((CustomerEvent(customer=customer, kind=CustomerEventKind.UPDATED,
                                         description="Details changed",
                                         changes={"consent_marketing_email": [False, True]},
                                         actor=actor()), moment()))
        created_events = CustomerEvent.objects.bulk_create([event for event, _when in events])
        for event, (_event, when) in zip(created_events, events, strict=True):
            event.created_at = when
        CustomerEvent.objects.bulk_update(created_events, ["created_at"], batch_size=500)


def _taken(select: str, values: list[str]) -> set[str]:
    """Which of these values the query (ending in the compared column) finds.
    One array parameter on PostgreSQL; batches under SQLite's variable limit."""
    found: set[str] = set()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(f"{select} = ANY(%s)", [values])
            return {value for (value,) in cursor.fetchall()}
        for start in range(0, len(values), 900):
            batch = values[start:start + 900]
            cursor.execute(f"{select} IN ({', '.join(['%s'] * len(batch))})", batch)
            found.update(value for (value,) in cursor.fetchall())
    return found


def _copy(cursor, table: str, columns: Sequence[str], lines: list[str]) -> None:
    statement = f"COPY {table} ({', '.join(columns)}) FROM STDIN"  # noqa: S608 - fixed names
    with cursor.copy(statement) as copy:
        block: list[str] = []
        size = 0
        for line in lines:
            block.append(line)
            size += len(line)
            if size > 1 << 20:
                copy.write("\n".join(block) + "\n")
                block, size = [], 0
        if block:
            copy.write("\n".join(block) + "\n")

