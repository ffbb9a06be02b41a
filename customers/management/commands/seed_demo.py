"""A small realistic world for the demo: call centers, a login for every
role, a few hundred Spanish and English customers with their service users,
contacts, addresses, billing accounts and contact history.

Safe to run twice: everything is keyed (user names, document numbers) and
what exists is left as it is."""

from __future__ import annotations

import random
from datetime import timedelta

from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone
from faker import Faker
from rest_framework.authtoken.models import Token
from stdnum.es import cif, dni, nie

from callcenter.models import CallCenter, OperatorProfile
from customers import services
from customers.choices import (
    CustomerKind,
    DocumentType,
    InteractionChannel,
    InteractionOutcome,
    InteractionTopic,
    Relationship,
    Segment,
)
from customers.models import Customer, PortalAccount
from integrations.demo import seed_outbox, seed_registry
from inventory.demo import seed_inventory
from sesmu.choices import UserKind
from sesmu.demo import DEMO_PASSWORD, DEMO_STAFF
from sesmu.models import User
from subscriptions.demo import seed_catalog, seed_coverage, seed_subscriptions
from workforce.demo import seed_workforce

CALL_CENTERS = [
    ("mad", "Madrid Centro", "Madrid"),
    ("lpa", "Las Palmas Atlántico", "Las Palmas de Gran Canaria"),
]

SUMMARIES = {
    InteractionTopic.INFORMATION: [
        "Asked about the premium TV package channels.",
        "Preguntó por la velocidad de la fibra en su zona.",
    ],
    InteractionTopic.BILLING: [
        "Did not understand the last bill; explained the proration.",
        "Solicita cambiar la cuenta de domiciliación.",
    ],
    InteractionTopic.TECHNICAL: [
        "Set-top box shows no signal; guided through a restart.",
        "Internet lento por las noches; se revisa la línea.",
    ],
    InteractionTopic.SALES: [
        "Interested in adding home banking.",
        "Quiere contratar el paquete de deportes.",
    ],
    InteractionTopic.COMPLAINT: [
        "Technician did not come on the agreed day.",
        "Reclama un cargo de pago por visión que no reconoce.",
    ],
}


class Command(BaseCommand):
    help = "Load the demo world (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument("--customers", type=int, default=300)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, customers: int, seed: int, **options):
        with transaction.atomic():
            centers = self._call_centers()
            staff = self._staff(centers)
            created = self._customers(count=customers, seed=seed, operators=staff)
            self._portal_and_api()
            seed_registry()
            seed_outbox(list(Customer.objects.order_by("number")
                             .values_list("number", flat=True)[:5]))
            seed_inventory()
            seed_workforce()
            seed_catalog()
            seed_coverage()
            seed_subscriptions()
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready: {Customer.objects.count()} customers "
                f"({created} new), {len(staff)} operators."
            )
        )

    def _call_centers(self) -> list[CallCenter]:
        return [
            CallCenter.objects.get_or_create(code=code, defaults={"name": name, "city": city})[0]
            for code, name, city in CALL_CENTERS
        ]

    def _staff(self, centers: list[CallCenter]) -> list[User]:
        operators = []
        for index, (username, role, given, family, language, is_staff) in enumerate(DEMO_STAFF):
            user, created = User.objects.get_or_create(
                username=username,
                defaults={
                    "first_name": given,
                    "last_name": family,
                    "language": language,
                    "kind": UserKind.STAFF,
                    "is_staff": is_staff,
                    "email": f"{username}@sesmu.example",
                },
            )
            if created:
                user.set_password(DEMO_PASSWORD)
                user.save(update_fields=["password"])
            user.groups.add(Group.objects.get(name=role))
            if role in ("cc_operator", "cc_supervisor"):
                OperatorProfile.objects.get_or_create(
                    user=user,
                    defaults={
                        "call_center": centers[index % len(centers)],
                        "languages": ["es", "en"] if language == "en" else ["es"],
                    },
                )
                operators.append(user)
        return operators

    def _customers(self, *, count: int, seed: int, operators: list[User]) -> int:
        spanish, english = Faker("es_ES"), Faker("en_GB")
        now = timezone.now()
        created = 0
        for index in range(count):
            # One random stream per customer: a customer skipped because it
            # exists does not shift the data of the next ones.
            rng = random.Random(seed * 1_000_003 + index)
            spanish.seed_instance(seed + 2 * index)
            english.seed_instance(seed + 2 * index + 1)
            is_english = index % 5 == 0
            fake = english if is_english else spanish
            is_organisation = index % 17 == 0
            document_type, document_number, country = self._document(
                rng, is_english, is_organisation
            )
            if Customer.objects.filter(
                document_type=document_type, document_number=document_number
            ).exists():
                continue
            given, family = fake.first_name(), fake.last_name()
            if not is_english:
                family = f"{family} {spanish.last_name()}"
            language = "en" if is_english else "es"
            customer = services.customer_create(
                actor=rng.choice(operators),
                kind=CustomerKind.ORGANISATION if is_organisation else CustomerKind.PERSON,
                given_name="" if is_organisation else given,
                family_name="" if is_organisation else family,
                organisation_name=fake.company() if is_organisation else "",
                document_type=document_type,
                document_number=document_number,
                document_country=country,
                birth_date=None
                if is_organisation
                else fake.date_of_birth(minimum_age=18, maximum_age=90),
                language=language,
                segment=Segment.CORPORATE
                if is_organisation
                else (Segment.SMALL_BUSINESS if index % 11 == 0 else Segment.RESIDENTIAL),
                is_vip=index % 23 == 0,
                consent_marketing_email=rng.random() < 0.5,
                consent_marketing_phone=rng.random() < 0.3,
                phone="+34 6" + "".join(str(rng.randint(0, 9)) for _ in range(8)),
                email=f"{fake.user_name()}.{index}@example.{'com' if is_english else 'es'}",
            )
            created += 1
            address = services.address_create(
                actor=None,
                customer=customer,
                purpose="service",
                street=spanish.street_name(),
                street_number=str(rng.randint(1, 200)),
                details=f"{rng.randint(1, 9)}º {rng.choice('ABCD')}",
                postal_code=f"{rng.choice([28, 8, 35, 41, 46]):02d}{rng.randint(0, 999):03d}",
                city=spanish.city(),
                province=spanish.state_name(),
            )
            if not is_organisation:
                services.service_user_create(
                    actor=None,
                    customer=customer,
                    given_name=given,
                    family_name=family,
                    relationship=Relationship.SELF,
                    language=language,
                )
            if rng.random() < 0.4:
                services.service_user_create(
                    actor=None,
                    customer=customer,
                    given_name=fake.first_name(),
                    family_name=family if not is_organisation else fake.last_name(),
                    relationship=Relationship.EMPLOYEE if is_organisation else Relationship.FAMILY,
                    language=language,
                )
            services.billing_account_create(
                actor=None,
                customer=customer,
                name="Main account" if is_english else "Cuenta principal",
                delivery_method="email",
                delivery_email=customer.contacts.filter(kind="email").first().value,
                billing_address=address,
                payment_method="direct_debit",
                iban=spanish.iban(),
                bill_day=rng.choice([1, 5, 10, 15, 20]),
                detail_level=rng.choice(["summary", "itemised"]),
            )
            if rng.random() < 0.8:
                services.customer_activate(
                    actor=None, customer=customer, reason="Signed the first contract"
                )
            for _ in range(rng.randint(0, 8)):
                topic = rng.choice(list(SUMMARIES))
                started = now - timedelta(days=rng.randint(1, 700), minutes=rng.randint(0, 600))
                services.interaction_record(
                    actor=rng.choice(operators),
                    customer=customer,
                    channel=rng.choice(
                        [InteractionChannel.PHONE] * 4
                        + [InteractionChannel.EMAIL, InteractionChannel.CHAT]
                    ),
                    topic=topic,
                    summary=rng.choice(SUMMARIES[topic]),
                    outcome=rng.choice(list(InteractionOutcome.values)),
                    started_at=started,
                    ended_at=started + timedelta(seconds=rng.randint(40, 1500)),
                )
        return created

    def _document(self, rng: random.Random, is_english: bool, is_organisation: bool):
        if is_organisation:
            body = f"B{rng.randint(1000000, 9999999)}"
            return DocumentType.CIF, body + cif.calc_check_digits(body)[0], "ES"
        if is_english:
            if rng.random() < 0.5:
                body = f"X{rng.randint(1000000, 9999999)}"
                return DocumentType.NIE, body + nie.calc_check_digit(body), "ES"
            return DocumentType.PASSPORT, f"{rng.randint(100000000, 999999999)}", "GB"
        body = f"{rng.randint(10000000, 99999999)}"
        return DocumentType.NIF, body + dni.calc_check_digit(body), "ES"

    def _portal_and_api(self) -> None:
        if not PortalAccount.objects.filter(user__username="alice").exists():
            customer = Customer.objects.filter(kind=CustomerKind.PERSON).order_by("number").first()
            if customer is not None:
                services.portal_account_create(
                    actor=None,
                    customer=customer,
                    username="alice",
                    email="alice@example.com",
                    password=DEMO_PASSWORD,
                )
        system, created = User.objects.get_or_create(
            username="crm-gateway",
            defaults={"kind": UserKind.SYSTEM, "first_name": "CRM gateway"},
        )
        if created:
            system.set_unusable_password()
            system.save(update_fields=["password"])
            system.groups.add(Group.objects.get(name="cc_operator"))
        Token.objects.get_or_create(user=system)
