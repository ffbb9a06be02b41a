"""The supervisors' integration pages and the back office, for each role."""

from __future__ import annotations

import pytest
from django.urls import reverse

from integrations import services
from integrations.models import ExternalSystem, OutboxMessage
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

ROLES = ["cc_operator", "cc_supervisor", "billing_agent", "dispatcher", "field_technician",
         "inventory_clerk", "marketing_agent", "executive", "backoffice_admin"]
WATCHERS = {"cc_supervisor", "backoffice_admin"}


@pytest.fixture
def dead_message(cas_system):
    message = services.outbox_enqueue(destination=cas_system, kind="service_order.enable",
                                      payload={"service_id": "S-1"}, idempotency_key="dead-1")
    OutboxMessage.objects.filter(pk=message.pk).update(status="dead", attempts=12,
                                                       last_error="503 Service Unavailable")
    return message


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("path", ["/desk/integrations/", "/desk/integrations/outbox/",
                                  "/desk/integrations/inbound/"])
def test_it_shows_the_integration_pages_to_supervisors_only(client, role, path, dead_message):
    client.force_login(UserFactory(username=f"u-{role}", roles=[role]))
    response = client.get(path)
    assert response.status_code == (200 if role in WATCHERS else 403)


def test_it_redirects_anonymous_users_to_login(client):
    response = client.get("/desk/integrations/")
    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


def test_it_shows_health_backlog_and_dead_messages(client, supervisor, dead_message, cas_system):
    ExternalSystem.objects.filter(pk=cas_system.pk).update(circuit_state="open",
                                                           consecutive_failures=5)
    client.force_login(supervisor)
    page = client.get("/desk/integrations/").content.decode()
    assert "Conditional access" in page
    assert "Open (calls held back)" in page
    assert "5 failures in a row" in page
    outbox = client.get("/desk/integrations/outbox/", {"status": "dead"}).content.decode()
    assert "dead-1" in outbox and "503 Service Unavailable" in outbox


def test_it_lets_a_supervisor_retry_a_dead_message(client, supervisor, dead_message,
                                                   monkeypatch):
    monkeypatch.setattr("integrations.adapters.deliver", lambda message: {"ok": True})
    client.force_login(supervisor)
    response = client.post(reverse("integrations:outbox_retry", args=[dead_message.pk]))
    assert response.status_code == 302
    dead_message.refresh_from_db()
    assert dead_message.status in {"pending", "delivered"}
    assert dead_message.attempts in {0, 1}


def test_it_refuses_the_retry_to_an_executive(client, dead_message):
    client.force_login(UserFactory(username="exec", roles=["executive"]))
    response = client.post(reverse("integrations:outbox_retry", args=[dead_message.pk]))
    assert response.status_code == 403
    dead_message.refresh_from_db()
    assert dead_message.status == "dead"


def test_it_tolerates_bad_filters(client, supervisor, dead_message):
    client.force_login(supervisor)
    for query in ({"status": "exploded"}, {"destination": "x"}, {"page": "-3"},
                  {"destination": "999999"}):
        assert client.get("/desk/integrations/outbox/", query).status_code == 200
    assert client.get("/desk/integrations/inbound/", {"kind": "nope"}).status_code == 200


class TestBackOffice:
    @pytest.fixture
    def admin_client(self, client):
        client.force_login(UserFactory(username="adrian", is_staff=True,
                                       roles=["backoffice_admin"]))
        return client

    @pytest.mark.parametrize("model", ["externalsystem", "outboxmessage", "inboundmessage",
                                       "deliveryattempt"])
    def test_it_lists_every_integration_model(self, admin_client, dead_message, model):
        assert admin_client.get(f"/admin/integrations/{model}/").status_code == 200

    def test_it_never_shows_the_outbound_credential_in_full(self, admin_client, cas_system):
        page = admin_client.get(
            reverse("admin:integrations_externalsystem_change", args=[cas_system.pk])
        ).content.decode()
        assert "out-secret" not in page
        assert "•cret" in page or "••••" in page

    def test_it_keeps_the_credential_when_left_empty(self, admin_client, cas_system):
        url = reverse("admin:integrations_externalsystem_change", args=[cas_system.pk])
        response = admin_client.post(url, {
            "code": "cas", "name": "CAS", "kind": "service_management",
            "service_kind": "tv_package", "base_url": "http://127.0.0.1:9", "enabled": "on",
            "outbound_token": "", "connect_timeout_ms": 2000, "read_timeout_ms": 10000,
            "max_attempts": 12, "circuit_failure_threshold": 5, "circuit_reset_seconds": 30,
            "inbound_credentials-TOTAL_FORMS": "0", "inbound_credentials-INITIAL_FORMS": "0",
        })
        assert response.status_code == 302, response.content.decode()[:3000]
        cas_system.refresh_from_db()
        assert (cas_system.name, cas_system.outbound_token) == ("CAS", "out-secret")

    def test_it_rotates_the_inbound_credential_showing_it_once(self, admin_client, cas_system):
        response = admin_client.post(reverse("admin:integrations_externalsystem_changelist"), {
            "action": "rotate_inbound_credential", "_selected_action": [cas_system.pk],
        }, follow=True)
        assert response.status_code == 200
        assert "new token" in response.content.decode()
        assert cas_system.inbound_credentials.count() == 2
        assert cas_system.inbound_credentials.filter(valid_until__isnull=False).count() == 1

    def test_it_retries_dead_messages_from_the_list(self, admin_client, dead_message,
                                                   monkeypatch):
        monkeypatch.setattr("integrations.adapters.deliver", lambda message: {"ok": True})
        admin_client.post(reverse("admin:integrations_outboxmessage_changelist"), {
            "action": "retry_dead", "_selected_action": [dead_message.pk],
        })
        dead_message.refresh_from_db()
        assert dead_message.status != "dead"


def test_it_writes_the_demo_procfile(capsys):
    from django.core.management import call_command

    call_command("demo_procfile", port=8000)
    out = capsys.readouterr().out
    assert out.count("simulate_") == 6
    assert "runserver 127.0.0.1:8000" in out
    assert "sweep_outbox --loop" in out
