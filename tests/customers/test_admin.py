"""The back office: every model listed, searchable and filterable, with its
change history; saves go through the services."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from customers.models import Customer, CustomerEvent
from sesmu.models import AuditEvent
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = [
    "customers/customer", "customers/serviceuser", "customers/address",
    "customers/billingaccount", "customers/interaction", "customers/customerevent",
    "customers/portalaccount", "callcenter/callcenter", "callcenter/operatorprofile",
    "sesmu/user", "sesmu/auditevent", "sesmu/numberseries",
]


@pytest.fixture
def admin_user(db):
    return UserFactory(username="adrian", is_staff=True, roles=["backoffice_admin"])


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.mark.parametrize("model", MODELS)
def test_it_lists_searches_and_filters_every_model(admin_client, alice_customer, model):
    url = f"/admin/{model}/"
    assert admin_client.get(url).status_code == 200
    assert admin_client.get(url, {"q": "alice"}).status_code == 200


def test_it_opens_a_customer_with_its_history(admin_client, alice_customer):
    url = reverse("admin:customers_customer_change", args=[alice_customer.pk])
    assert admin_client.get(url).status_code == 200
    history = reverse("admin:customers_customer_history", args=[alice_customer.pk])
    assert admin_client.get(history).status_code == 200


def test_it_creates_a_customer_through_the_service(admin_client, admin_user):
    response = admin_client.post(reverse("admin:customers_customer_add"), {
        "kind": "person", "given_name": "Irene", "family_name": "Vega Sol",
        "organisation_name": "", "document_type": "nif", "document_number": "12345678z",
        "document_country": "ES", "birth_date": "", "language": "es",
        "segment": "residential", "notes": "",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
        "addresses-TOTAL_FORMS": "0", "addresses-INITIAL_FORMS": "0",
        "service_users-TOTAL_FORMS": "0", "service_users-INITIAL_FORMS": "0",
    })
    assert response.status_code == 302, response.content.decode()[:2000]
    customer = Customer.objects.get()
    assert (customer.number, customer.document_number) == ("C00000001", "12345678Z")
    assert CustomerEvent.objects.filter(customer=customer, kind="created").count() == 1
    assert AuditEvent.objects.filter(action="create", actor=admin_user,
                                     channel="admin").count() == 1
    assert LogEntry.objects.filter(object_id=str(customer.pk)).count() == 1


def test_it_shows_a_bad_document_next_to_the_field(admin_client):
    response = admin_client.post(reverse("admin:customers_customer_add"), {
        "kind": "person", "given_name": "Irene", "family_name": "Vega",
        "document_type": "nif", "document_number": "12345678A", "document_country": "ES",
        "language": "es", "segment": "residential",
        "contacts-TOTAL_FORMS": "0", "contacts-INITIAL_FORMS": "0",
        "addresses-TOTAL_FORMS": "0", "addresses-INITIAL_FORMS": "0",
        "service_users-TOTAL_FORMS": "0", "service_users-INITIAL_FORMS": "0",
    })
    assert response.status_code == 200
    assert "expected Z" in response.content.decode()
    assert Customer.objects.count() == 0


def test_it_keeps_the_audit_trail_read_only(admin_client, alice_customer):
    event = AuditEvent.objects.first()
    url = reverse("admin:sesmu_auditevent_change", args=[event.pk])
    assert admin_client.get(url).status_code == 200
    assert admin_client.post(url, {"action": "delete"}).status_code == 403
    assert reverse("admin:sesmu_auditevent_changelist")
    assert admin_client.get(reverse("admin:sesmu_auditevent_add")).status_code == 403


def test_it_refuses_the_back_office_to_an_operator(client, operator):
    client.force_login(operator)
    response = client.get("/admin/customers/customer/")
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
