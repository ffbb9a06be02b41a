"""factory-boy factories. Customers are built through the services, so a
factory-made customer has a number, events and audit rows like a real one."""

from __future__ import annotations

import importlib
import random

import factory
from django.contrib.auth.models import Group
from faker import Faker
from stdnum.es import dni

from callcenter.models import CallCenter, OperatorProfile
from customers import services
from customers.models import Customer
from sesmu.choices import UserKind
from sesmu.models import User

_fake = Faker("es_ES")


def ensure_roles() -> None:
    """Re-run the role migrations when a transactional test flushed the
    groups they made (data migrations do not survive a flush)."""
    if Group.objects.filter(name="cc_operator", permissions__isnull=False).exists():
        return
    from django.apps import apps as global_apps
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(None, ignore_no_migrations=True)
    for key in sorted(loader.disk_migrations, key=lambda key: (key[0] != "sesmu", key)):
        module = importlib.import_module(loader.disk_migrations[key].__module__)
        for name in ("create_roles", "grant_roles"):
            if hasattr(module, name):
                getattr(module, name)(global_apps, None)


def valid_nif(seed: int | None = None) -> str:
    rng = random.Random(seed)
    body = f"{rng.randint(10000000, 99999999)}"
    return body + dni.calc_check_digit(body)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda user: f"{user.username}@sesmu.example")
    kind = UserKind.STAFF
    language = "en"

    @factory.post_generation
    def roles(self, create, extracted, **kwargs):
        if not create or not extracted:
            return
        ensure_roles()
        for role in extracted:
            self.groups.add(Group.objects.get(name=role))


class CallCenterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CallCenter
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"cc{n}")
    name = factory.Sequence(lambda n: f"Call center {n}")
    city = "Madrid"


class OperatorProfileFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = OperatorProfile

    user = factory.SubFactory(UserFactory)
    call_center = factory.SubFactory(CallCenterFactory)
    languages = ["es", "en"]


def make_customer(*, actor: User | None = None, **overrides) -> Customer:
    """A person with a valid NIF, a phone and an e-mail, through the service."""
    seed = overrides.pop("seed", None)
    data = {
        "given_name": _fake.first_name(),
        "family_name": f"{_fake.last_name()} {_fake.last_name()}",
        "document_type": "nif",
        "document_number": valid_nif(seed),
        "language": "es",
    }
    data.update(overrides)
    return services.customer_create(actor=actor, **data)
