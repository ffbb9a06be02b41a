"""Named people of the tests: an operator and a supervisor of the call
center, and two customers, alice and bob. Bob must never see Alice's data."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from customers import services
from sesmu.choices import UserKind
from tests.factories import CallCenterFactory, OperatorProfileFactory, UserFactory, make_customer

# One Chromium for every browser test of the session, wherever it lives.
pytest_plugins = ["tests.browser"]

ROLES = [
    "cc_operator", "cc_supervisor", "billing_agent", "dispatcher", "field_technician",
    "inventory_clerk", "marketing_agent", "executive", "backoffice_admin",
]


@pytest.fixture(autouse=True)
def _clear_cache():
    # Sessions and permission caches live in the cache; tests start clean.
    from django.core.cache import cache

    cache.clear()
    yield


@pytest.fixture
def call_center(db):
    return CallCenterFactory(code="mad", name="Madrid Centro")


@pytest.fixture
def operator(db, call_center):
    user = UserFactory(username="olga", first_name="Olga", last_name="Ortega",
                       roles=["cc_operator"])
    OperatorProfileFactory(user=user, call_center=call_center)
    return user


@pytest.fixture
def supervisor(db, call_center):
    user = UserFactory(username="sara", first_name="Sara", last_name="Sanz",
                       roles=["cc_supervisor"])
    OperatorProfileFactory(user=user, call_center=call_center)
    return user


@pytest.fixture
def user_with_role(db):
    def make(role: str | None):
        return UserFactory(username=f"as-{role or 'nobody'}", roles=[role] if role else [])

    return make


@pytest.fixture
def alice_customer(db, operator):
    return make_customer(actor=operator, given_name="Alice", family_name="Liddell Pleasance",
                         document_number="12345678Z", phone="+34 600 111 222",
                         email="alice@example.com", language="en")


@pytest.fixture
def bob_customer(db, operator):
    return make_customer(actor=operator, given_name="Bob", family_name="Builder Brown",
                         document_number="87654321X", phone="+34 600 333 444",
                         email="bob@example.com", language="en")


@pytest.fixture
def alice(alice_customer):
    """Alice's portal login."""
    account = services.portal_account_create(actor=None, customer=alice_customer,
                                             username="alice", email="alice@example.com",
                                             password="Wonderland-2026")
    assert account.user.kind == UserKind.PORTAL
    return account.user


@pytest.fixture
def bob(bob_customer):
    """Bob's portal login."""
    return services.portal_account_create(actor=None, customer=bob_customer, username="bob",
                                          email="bob@example.com",
                                          password="Builder-2026-yes").user


@pytest.fixture
def api_client():
    return APIClient()
