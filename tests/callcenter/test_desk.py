"""The operator desk: who may open each page, the customer 360 page, its
panels and timeline, recording the current call, and the pages around them
(language, login, logout, back office)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from customers import services
from customers.models import CustomerEvent, Interaction
from sesmu.models import AuditEvent, User
from tests.factories import CallCenterFactory, make_customer
from tests.pages import (
    ALICE_IBAN,
    ALICE_IBAN_MASKED,
    ANONYMOUS,
    CALLERS,
    NO_ROLE,
    PORTAL,
    ROLES,
    AliceFile,
    client_for,
    database_snapshot,
    field_errors,
    give_alice_everything,
    hidden_value,
    login_url,
)

# Every test here uses the database, some only through fixtures looked up at
# run time (client_for): marking them all keeps pytest-django running them
# before the transactional tests that flush the roles the migrations made.
pytestmark = pytest.mark.django_db

VIEWERS = frozenset(ROLES)
# Roles granted customers.view_interaction (the timeline shows what was said).
TIMELINE_VIEWERS = frozenset({"cc_operator", "cc_supervisor", "billing_agent",
                              "marketing_agent", "executive", "backoffice_admin"})
RECORDERS = frozenset({"cc_operator", "cc_supervisor", "backoffice_admin"})
# Roles granted customers.view_billingaccount: the accounts panel is theirs.
ACCOUNT_VIEWERS = frozenset({"cc_operator", "cc_supervisor", "billing_agent", "executive",
                             "backoffice_admin"})
PANEL_KEYS = ["accounts", "timeline", "contacts", "addresses", "service_users"]


def customer_url(customer) -> str:
    return f"/desk/customers/{customer.pk}/"


def interaction_data(**overrides) -> dict[str, str]:
    data = {
        "interaction-channel": "phone",
        "interaction-direction": "inbound",
        "interaction-topic": "billing",
        "interaction-outcome": "resolved",
        "interaction-service_user": "",
        "interaction-summary": "Asked why the last bill was higher.",
        "interaction-started_at": timezone.now().isoformat(),
    }
    data.update({f"interaction-{key}": value for key, value in overrides.items()})
    return data


def timeline_items(page: str) -> list[str]:
    """The entries of the timeline on a page, first to last, as plain text."""
    timeline = re.search(r'<ul class="timeline" id="timeline-entries">(.*?)</ul>', page, re.DOTALL)
    assert timeline is not None, "no timeline on the page"
    return list_items(timeline.group(1))


def list_items(fragment: str) -> list[str]:
    items = re.findall(r"<li[^>]*>(.*?)</li>", fragment, re.DOTALL)
    return [" ".join(re.sub(r"<[^>]+>", " ", item).split()) for item in items]


@pytest.fixture
def alice_file(operator, alice_customer) -> AliceFile:
    return give_alice_everything(operator=operator, customer=alice_customer)


# Who may open which page ------------------------------------------------------


@dataclass(frozen=True)
class Page:
    name: str
    method: str
    path: Callable[[AliceFile], str]
    allowed: frozenset[str]
    status: int  # what an allowed caller gets
    data: Callable[[AliceFile], dict] = field(default=lambda alice_file: {})
    htmx: bool = False
    writes: bool = False


DESK_PAGES = [
    Page("home", "get", lambda f: "/desk/", VIEWERS, 200),
    Page("search", "get", lambda f: "/desk/search/?q=liddell&list=1", VIEWERS, 200),
    Page("customer_360", "get", lambda f: customer_url(f.customer), VIEWERS, 200, writes=True),
    Page("panel", "get", lambda f: f"{customer_url(f.customer)}panels/accounts/",
         ACCOUNT_VIEWERS, 200),
    Page("timeline", "get", lambda f: f"{customer_url(f.customer)}timeline/", TIMELINE_VIEWERS,
         200),
    Page("timeline_htmx", "get", lambda f: f"{customer_url(f.customer)}timeline/",
         TIMELINE_VIEWERS, 200, htmx=True),
    Page("interaction_create", "post", lambda f: f"{customer_url(f.customer)}interactions/",
         RECORDERS, 302, data=lambda f: interaction_data(), writes=True),
    Page("interaction_create_htmx", "post",
         lambda f: f"{customer_url(f.customer)}interactions/", RECORDERS, 200,
         data=lambda f: interaction_data(), htmx=True, writes=True),
]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("page", DESK_PAGES, ids=lambda page: page.name)
def test_it_answers_each_caller_of_a_desk_page_as_their_role_allows(page, caller, alice_file,
                                                                     request):
    # Given Alice's file and a caller
    client, _user = client_for(caller, request)
    path = page.path(alice_file)
    headers = {"HTTP_HX_REQUEST": "true"} if page.htmx else {}
    before = database_snapshot()

    # When the caller opens the page
    response = getattr(client, page.method)(path, data=page.data(alice_file), **headers)

    # Then anonymous callers log in first, allowed roles get the page and
    # everyone else a 403 that changed nothing
    if caller == ANONYMOUS and page.htmx:
        assert response.status_code == 200
        assert response["HX-Redirect"] == login_url(path)
    elif caller == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == login_url(path)
    elif page.name == "home" and caller == "field_technician":
        # A technician's start page is their day on the phone page.
        assert response.status_code == 302
        assert response["Location"] == "/field/today/"
    elif caller in page.allowed:
        assert response.status_code == page.status
        assert (database_snapshot() != before) is page.writes
        return
    else:
        assert response.status_code == 403
        assert "You cannot open this page" in response.content.decode()
    assert database_snapshot() == before


@pytest.mark.parametrize("caller", [PORTAL, NO_ROLE, "dispatcher", "executive"])
def test_it_refuses_to_record_an_interaction_for_a_role_without_the_permission(caller,
                                                                              alice_file,
                                                                              request):
    # Given a caller who may not record interactions (some may see the page)
    client, _user = client_for(caller, request)
    before = database_snapshot()

    # When they post one, as htmx does
    response = client.post(f"{customer_url(alice_file.customer)}interactions/",
                           interaction_data(), HTTP_HX_REQUEST="true")

    # Then it is refused and nothing was recorded
    assert response.status_code == 403
    assert Interaction.objects.count() == 0
    assert database_snapshot() == before


def test_it_sends_the_browser_to_log_in_when_htmx_asks_after_the_session_ended(client,
                                                                              alice_customer):
    # Given a 360 page left open after the session ended
    page = f"http://testserver{customer_url(alice_customer)}"
    before = database_snapshot()

    # When the call form on it is sent through htmx
    response = client.post(f"{customer_url(alice_customer)}interactions/", interaction_data(),
                           HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL=page)

    # Then the whole browser goes to log in, and back to that page afterwards
    assert response.status_code == 200
    assert response["HX-Redirect"] == login_url(customer_url(alice_customer))
    assert response.content == b""
    assert database_snapshot() == before


def test_it_does_not_send_the_browser_back_to_another_site_after_logging_in(client,
                                                                           alice_customer):
    response = client.get(f"{customer_url(alice_customer)}panels/accounts/",
                          HTTP_HX_REQUEST="true", HTTP_HX_CURRENT_URL="https://evil.example/x")

    assert response["HX-Redirect"] == login_url(f"{customer_url(alice_customer)}panels/accounts/")


@pytest.mark.parametrize("path", ["/desk/customers/999999/", "/desk/customers/999999/timeline/",
                                  "/desk/customers/999999/panels/accounts/"])
def test_it_answers_not_found_for_a_customer_that_does_not_exist(client, operator, path):
    # Given an operator
    client.force_login(operator)

    # When they open a customer that does not exist
    response = client.get(path)

    # Then it is not found and no view is recorded
    assert response.status_code == 404
    assert AuditEvent.objects.filter(action="view").count() == 0


def test_it_refuses_to_record_an_interaction_for_a_customer_that_does_not_exist(client,
                                                                                 operator):
    client.force_login(operator)

    response = client.post("/desk/customers/999999/interactions/", interaction_data(),
                           HTTP_HX_REQUEST="true")

    assert response.status_code == 404
    assert Interaction.objects.count() == 0


@pytest.mark.parametrize(("method", "path"), [
    ("post", "/desk/"),
    ("post", "/desk/search/"),
    ("get", "/desk/customers/{id}/interactions/"),
    ("delete", "/desk/customers/{id}/"),
])
def test_it_refuses_the_wrong_method(client, operator, alice_customer, method, path):
    client.force_login(operator)
    before = database_snapshot()

    response = getattr(client, method)(path.format(id=alice_customer.pk))

    assert response.status_code == 405
    assert database_snapshot() == before


# The pages around the desk ----------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_it_switches_the_language_for_anyone(caller, request):
    # Given a caller
    client, user = client_for(caller, request)

    # When they choose Spanish
    response = client.post("/language/", {"language": "es", "next": "/desk/"})

    # Then they go back where they were, with the choice in a cookie and,
    # when logged in, on their profile
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert response.cookies["django_language"].value == "es"
    if user is not None:
        user.refresh_from_db()
        assert user.language == "es"


@pytest.mark.parametrize("caller", CALLERS)
def test_it_shows_the_login_page_to_anonymous_visitors_only(caller, request):
    client, _user = client_for(caller, request)

    response = client.get("/login/")

    if caller == ANONYMOUS:
        assert response.status_code == 200
        assert 'name="username"' in response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"] == "/desk/"


@pytest.mark.parametrize("caller", CALLERS)
def test_it_logs_anyone_out(caller, request):
    # Given a caller
    client, _user = client_for(caller, request)

    # When they log out
    response = client.post("/logout/")

    # Then they land on the login page and the desk asks them to log in
    assert response.status_code == 302
    assert response["Location"] == "/login/"
    assert client.get("/desk/")["Location"] == login_url("/desk/")


def test_it_does_not_log_out_on_a_get(client, operator):
    client.force_login(operator)

    response = client.get("/logout/")

    assert response.status_code == 405
    assert client.get("/desk/").status_code == 200


def test_it_logs_an_operator_in_and_opens_the_desk(client, operator):
    # Given an operator with a password
    operator.set_password("Desk-password-2026")
    operator.save(update_fields=["password"])

    # When they log in
    response = client.post("/login/", {"username": "olga", "password": "Desk-password-2026"})

    # Then they land on the desk
    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert client.get("/desk/").status_code == 200


def test_it_refuses_a_wrong_password(client, operator):
    operator.set_password("Desk-password-2026")
    operator.save(update_fields=["password"])

    response = client.post("/login/", {"username": "olga", "password": "wrong"})

    assert response.status_code == 200
    assert "Please enter a correct username and password" in response.content.decode()
    assert client.get("/desk/").status_code == 302


def test_it_sends_a_logged_in_user_back_to_where_they_were_going(client, operator):
    operator.set_password("Desk-password-2026")
    operator.save(update_fields=["password"])

    response = client.post("/login/?next=/desk/search/%3Fq%3Dalice",
                           {"username": "olga", "password": "Desk-password-2026",
                            "next": "/desk/search/?q=alice"})

    assert response.status_code == 302
    assert response["Location"] == "/desk/search/?q=alice"


@pytest.mark.parametrize("caller", CALLERS)
def test_it_keeps_the_back_office_to_back_office_staff(caller, request):
    # Given a caller who is not back-office staff (is_staff), whatever their role
    client, _user = client_for(caller, request)

    # When they open the back office
    response = client.get("/admin/")

    # Then they are asked to log in as back-office staff
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"


def test_it_opens_the_back_office_to_a_back_office_administrator(client, user_with_role):
    # Given a back-office administrator marked as back-office staff
    admin = user_with_role("backoffice_admin")
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)

    # When they open the back office
    response = client.get("/admin/")

    # Then they see the customers they may manage
    assert response.status_code == 200
    assert 'href="/admin/customers/customer/"' in response.content.decode()


# Language ---------------------------------------------------------------------


def test_it_keeps_an_operators_language_and_shows_the_next_page_in_it(client, operator):
    # Given an operator working in English
    client.force_login(operator)
    assert '<html lang="en">' in client.get("/desk/").content.decode()

    # When they switch to Spanish
    response = client.post("/language/", {"language": "es", "next": "/desk/"})

    # Then it is kept on their profile, recorded, and the next page is Spanish
    assert response.status_code == 302
    operator.refresh_from_db()
    assert operator.language == "es"
    event = AuditEvent.objects.get(action="update", object_type="sesmu.user")
    assert (event.actor, event.object_id, event.changes) == (
        operator, str(operator.pk), {"language": ["en", "es"]}
    )
    page = client.get("/desk/")
    assert '<html lang="es">' in page.content.decode()
    assert page["Content-Language"] == "es"
    assert "Mis interacciones recientes" in page.content.decode()


def test_it_follows_the_operator_to_another_browser(client, operator):
    # Given an operator who chose Spanish
    operator.language = "es"
    operator.save(update_fields=["language"])

    # When they log in on a browser without the language cookie
    client.force_login(operator)
    page = client.get("/desk/")

    # Then the desk is in Spanish
    assert '<html lang="es">' in page.content.decode()


def test_it_switches_an_anonymous_visitors_language_with_a_cookie(client):
    response = client.post("/language/", {"language": "es", "next": "/login/"})

    assert response["Location"] == "/login/"
    assert '<html lang="es">' in client.get("/login/").content.decode()


@pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/", "",
                                      "javascript:alert(1)"])
def test_it_never_sends_the_user_to_another_site_after_switching(client, operator, next_url):
    client.force_login(operator)

    response = client.post("/language/", {"language": "es", "next": next_url})

    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.parametrize("language", ["fr", "", "es-ES"])
def test_it_ignores_a_language_it_does_not_offer(client, operator, language):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post("/language/", {"language": language, "next": "/desk/"})

    assert response.status_code == 302
    assert response["Location"] == "/desk/"
    assert "django_language" not in response.cookies
    assert database_snapshot() == before


def test_it_does_not_switch_the_language_on_a_get(client, operator):
    client.force_login(operator)

    response = client.get("/language/?language=es")

    assert response.status_code == 405
    operator.refresh_from_db()
    assert operator.language == "en"


# The desk home ----------------------------------------------------------------


def test_it_lists_the_operators_own_recent_interactions(client, operator, supervisor,
                                                         alice_customer, bob_customer):
    # Given one call recorded by the operator and one by the supervisor
    services.interaction_record(actor=operator, customer=alice_customer, topic="sales",
                                summary="Wants TV.", outcome="follow_up")
    services.interaction_record(actor=supervisor, customer=bob_customer, topic="billing",
                                summary="Bill.", outcome="resolved")
    client.force_login(operator)

    # When the operator opens the desk
    page = client.get("/desk/").content.decode()

    # Then only their own call is listed, with a link to the customer
    assert f'href="/desk/customers/{alice_customer.pk}/">{alice_customer}</a>' in page
    assert str(bob_customer) not in page
    assert "Follow-up needed" in page
    assert 'href="/desk/customers/new/"' in page


def test_it_shows_the_empty_desk_to_a_new_operator(client, operator):
    client.force_login(operator)

    page = client.get("/desk/").content.decode()

    assert "You have not recorded any interaction yet." in page


def test_it_offers_a_new_customer_only_to_roles_that_may_create_one(client, user_with_role):
    client.force_login(user_with_role("dispatcher"))

    page = client.get("/desk/").content.decode()

    assert 'href="/desk/customers/new/"' not in page


# The customer 360 page --------------------------------------------------------


def test_it_shows_everything_about_the_customer_on_one_page(client, operator, alice_file):
    # Given Alice's file with a call on record
    customer = alice_file.customer
    services.interaction_record(actor=operator, customer=customer, topic="technical",
                                summary="Router blinks red.", outcome="escalated",
                                service_user=alice_file.service_user)
    client.force_login(operator)

    # When the operator opens her 360 page
    response = client.get(customer_url(customer))

    # Then identity, contacts, addresses, service users, accounts and the
    # timeline are all there
    assert response.status_code == 200
    page = response.content.decode()
    assert '<h1 id="customer-name">Alice Liddell Pleasance</h1>' in page
    assert f'<span class="muted">{customer.number}</span>' in page
    assert '<span class="badge prospect">Prospect</span>' in page
    assert "<dt>NIF (Spanish DNI)</dt><dd>12345678Z</dd>" in page
    assert "<dt>Language</dt><dd>English</dd>" in page
    assert "<strong>600 11 12 22</strong>" in page
    assert "<strong>alice@example.com</strong>" in page
    assert "Calle de Alcalá 42, 3º B<br>" in page
    assert "28014 Madrid (Madrid)" in page
    assert "<strong>Lorina Liddell</strong>" in page
    assert "☎ 600 99 98 88" in page
    assert f"<strong>{alice_file.account.number}</strong>" in page
    assert ALICE_IBAN_MASKED in page
    items = timeline_items(page)
    assert "Technical problem → Escalated Router blinks red." in items[0]
    assert "Olga Ortega · Madrid Centro · caller: Lorina Liddell" in items[0]
    assert "Customer created" in items[-1]


def test_it_shows_what_was_typed_as_text(client, operator):
    # Given a customer, a note and a call with markup typed in them
    customer = make_customer(actor=operator, given_name="<img src=x onerror=alert(1)>",
                             family_name="O'Hara", notes="<script>alert(2)</script>")
    services.interaction_record(actor=operator, customer=customer, topic="other",
                                summary="<b>shouted</b>", outcome="resolved")
    client.force_login(operator)

    # When the operator opens the 360 page
    page = client.get(customer_url(customer)).content.decode()

    # Then all of it is shown as text
    assert "<img src=x" not in page
    assert "<script>alert(2)" not in page
    assert "<b>shouted</b>" not in page
    assert "&lt;img src=x onerror=alert(1)&gt; O&#x27;Hara</h1>" in page
    assert "&lt;script&gt;alert(2)&lt;/script&gt;" in page
    assert "&lt;b&gt;shouted&lt;/b&gt;" in page


def test_it_never_shows_the_full_iban(client, operator, alice_file):
    # Given Alice's account whose IBAN was changed once
    new_iban = "ES7921000813610123456789"
    services.billing_account_update(actor=operator, account=alice_file.account,
                                    data={"iban": new_iban})
    client.force_login(operator)

    # When the operator opens her 360 page and the accounts panel
    pages = [client.get(customer_url(alice_file.customer)).content.decode(),
             client.get(f"{customer_url(alice_file.customer)}panels/accounts/").content.decode(),
             client.get(f"{customer_url(alice_file.customer)}timeline/").content.decode()]

    # Then only the masked IBAN is shown, never the old or the new one in full
    for page in pages:
        for iban in (ALICE_IBAN, new_iban):
            assert iban not in page
            assert iban[4:12] not in page
            assert " ".join(iban[index:index + 4] for index in range(0, 24, 4)) not in page
    assert "ES79 **** **** **** **** 6789" in pages[0]


def test_it_shows_each_panels_empty_state_for_a_customer_with_nothing(client, operator):
    # Given a customer with no contact, address, service user, account or history
    customer = make_customer(actor=operator, given_name="Nadia", family_name="Nada")
    CustomerEvent.objects.filter(customer=customer).delete()
    client.force_login(operator)

    # When the operator opens the 360 page
    page = client.get(customer_url(customer)).content.decode()

    # Then every panel says it is empty and offers to add the first one
    assert '<p class="empty">No phone or e-mail on record.</p>' in page
    assert '<p class="empty">No address on record.</p>' in page
    assert '<p class="empty">No service users yet.</p>' in page
    assert ('<p class="empty">No billing account yet. Open one before the first subscription.'
            '</p>') in page
    assert '<p class="empty">No contacts or changes yet.</p>' in page
    for link in ("contacts/new/", "addresses/new/", "service-users/new/", "accounts/new/"):
        assert f'href="/desk/customers/{customer.pk}/{link}"' in page


def test_it_shows_a_read_only_360_page_to_a_role_that_may_only_look(client, user_with_role,
                                                                   alice_file):
    # Given an executive, who may see customers but change nothing
    client.force_login(user_with_role("executive"))

    # When they open Alice's 360 page
    page = client.get(customer_url(alice_file.customer)).content.decode()

    # Then no button offers a change they may not make
    assert "/edit/" not in page
    assert "/status/" not in page
    assert "/new/" not in page
    assert "/remove/" not in page
    assert "Record this contact" not in page


def test_it_records_who_viewed_the_customer(client, operator, alice_customer):
    # Given an operator
    client.force_login(operator)

    # When they open Alice's 360 page
    client.get(customer_url(alice_customer), REMOTE_ADDR="10.1.2.3")

    # Then the view is in the audit trail
    event = AuditEvent.objects.get(action="view")
    assert (event.actor, event.actor_label, event.object_type, event.object_id,
            event.customer_id, event.channel, event.ip_address) == (
        operator, "olga", "customers.customer", str(alice_customer.pk), alice_customer.pk,
        "web", "10.1.2.3",
    )


def _fill_the_file(*, operator: User, supervisor: User, customer, interactions: int,
                   extras: int) -> None:
    other_center = CallCenterFactory(code="bcn", name="Barcelona")
    service_users = [
        services.service_user_create(actor=operator, customer=customer,
                                     given_name=f"User {index}")
        for index in range(extras)
    ]
    for index in range(extras):
        services.contact_point_add(actor=operator, customer=customer, kind="email",
                                   value=f"extra{index}@example.com")
        address = services.address_create(actor=operator, customer=customer,
                                          street=f"Calle {index}", postal_code="28001",
                                          city="Madrid", purpose="billing")
        services.billing_account_create(actor=operator, customer=customer,
                                        name=f"Account {index}", delivery_method="post",
                                        billing_address=address, payment_method="card")
        services.customer_update(actor=supervisor, customer=customer,
                                 data={"notes": f"note {index}"})
    for index in range(interactions):
        services.interaction_record(
            actor=operator if index % 2 else supervisor, customer=customer,
            topic="billing", summary=f"Call {index}", outcome="resolved",
            service_user=service_users[index % extras] if index % 3 else None,
            call_center=other_center if index % 5 == 0 else None,
        )


def test_it_costs_the_same_queries_whatever_the_customer_has(
    client, operator, supervisor, alice_customer, bob_customer, django_assert_max_num_queries
):
    # Given Bob with one of everything and Alice with 200 calls and many
    # contacts, addresses, accounts, service users and changes by others
    _fill_the_file(operator=operator, supervisor=supervisor, customer=bob_customer,
                   interactions=1, extras=1)
    _fill_the_file(operator=operator, supervisor=supervisor, customer=alice_customer,
                   interactions=200, extras=12)
    client.force_login(operator)
    client.get("/desk/")

    # When the operator opens each 360 page
    with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as small:
        small_page = client.get(customer_url(bob_customer))
    with django_assert_max_num_queries(12), CaptureQueriesContext(connection) as large:
        large_page = client.get(customer_url(alice_customer))

    # Then both cost the same few queries
    assert small_page.status_code == large_page.status_code == 200
    assert "Call 199" in large_page.content.decode()
    assert len(small.captured_queries) == len(large.captured_queries)


PANELS_A_ROLE_MAY_NOT_SEE = [
    ("field_technician", "accounts"), ("field_technician", "timeline"),
    ("field_technician", "service_users"), ("dispatcher", "accounts"),
    ("dispatcher", "timeline"), ("inventory_clerk", "contacts"),
    ("inventory_clerk", "service_users"), ("marketing_agent", "accounts"),
    ("executive", "contacts"),
]


@pytest.mark.parametrize(("role", "key"), PANELS_A_ROLE_MAY_NOT_SEE)
def test_it_hides_the_panels_a_role_may_not_see(client, user_with_role, alice_file, role, key):
    # Given a role not granted the model a panel shows
    client.force_login(user_with_role(role))

    # When they open Alice's page, and the panel on its own
    page = client.get(customer_url(alice_file.customer)).content.decode()
    alone = client.get(f"{customer_url(alice_file.customer)}panels/{key}/")

    # Then the panel is neither on the page nor served
    assert f'id="panel-{key}"' not in page
    assert alone.status_code == 403


@pytest.mark.parametrize("key", PANEL_KEYS)
def test_it_serves_each_panel_on_its_own(client, operator, alice_file, key):
    # Given an operator on Alice's page
    client.force_login(operator)

    # When htmx refreshes one panel
    response = client.get(f"{customer_url(alice_file.customer)}panels/{key}/",
                          HTTP_HX_REQUEST="true")

    # Then the panel comes alone, without the page around it
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith(f'<section class="card" id="panel-{key}"')
    assert "<html" not in page


def test_it_does_not_serve_an_unknown_panel(client, operator, alice_customer):
    client.force_login(operator)

    response = client.get(f"{customer_url(alice_customer)}panels/secrets/")

    assert response.status_code == 404


def test_it_costs_the_same_queries_for_a_panel_whatever_the_customer_has(
    client, operator, supervisor, alice_customer, bob_customer
):
    _fill_the_file(operator=operator, supervisor=supervisor, customer=bob_customer,
                   interactions=1, extras=1)
    _fill_the_file(operator=operator, supervisor=supervisor, customer=alice_customer,
                   interactions=60, extras=5)
    client.force_login(operator)
    client.get("/desk/")

    with CaptureQueriesContext(connection) as small:
        client.get(f"{customer_url(bob_customer)}panels/timeline/")
    with CaptureQueriesContext(connection) as large:
        client.get(f"{customer_url(alice_customer)}panels/timeline/")

    assert len(small.captured_queries) == len(large.captured_queries)


# The timeline -----------------------------------------------------------------


def test_it_pages_the_full_timeline_newest_first(client, operator, alice_customer):
    # Given Alice, created now, with 60 earlier calls, one a minute
    start = timezone.now() - timedelta(hours=2)
    for index in range(60):
        services.interaction_record(actor=operator, customer=alice_customer, topic="billing",
                                    summary=f"Call {index}", outcome="resolved",
                                    started_at=start + timedelta(minutes=index),
                                    ended_at=start + timedelta(minutes=index, seconds=30))
    client.force_login(operator)

    # When the operator opens the full timeline
    page = client.get(f"{customer_url(alice_customer)}timeline/").content.decode()

    # Then the latest 50 are shown, newest first, with a link to older ones
    items = timeline_items(page)
    assert len(items) == 51
    assert "Customer created" in items[0]
    assert "Call 59" in items[1]
    assert "Call 11" in items[49]
    assert items[50] == "Show older"
    older_url = re.search(r'hx-get="([^"]+)"', page).group(1).replace("&amp;", "&")

    # And when htmx asks for the older ones
    response = client.get(older_url, HTTP_HX_REQUEST="true")

    # Then the rest come as list items only
    assert response.status_code == 200
    rest = response.content.decode()
    assert "<html" not in rest
    texts = list_items(rest)
    assert len(texts) == 11
    assert "Call 10" in texts[0]
    assert "Call 0" in texts[10]
    assert "Show older" not in rest


@pytest.mark.parametrize("before", ["2024-13-45T00:00", "yesterday", "2024-02-30T10:00:00"])
def test_it_shows_the_latest_entries_for_a_malformed_before(client, operator, alice_customer,
                                                            before):
    client.force_login(operator)

    response = client.get(f"{customer_url(alice_customer)}timeline/", {"before": before})

    assert response.status_code == 200
    assert "Customer created" in response.content.decode()


def test_it_says_when_there_is_nothing_older(client, operator, alice_customer):
    client.force_login(operator)

    response = client.get(f"{customer_url(alice_customer)}timeline/",
                          {"before": "2000-01-01T00:00:00+00:00"})

    assert response.status_code == 200
    assert '<p class="empty">Nothing older.</p>' in response.content.decode()


# Recording the current call ---------------------------------------------------


def test_it_records_a_call_and_returns_the_timeline_with_a_fresh_form(client, operator,
                                                                      alice_file):
    # Given an operator on Alice's page, with an older call on record
    services.interaction_record(actor=operator, customer=alice_file.customer, topic="sales",
                                summary="Older call.", outcome="resolved",
                                started_at=timezone.now() - timedelta(days=1),
                                ended_at=timezone.now() - timedelta(days=1))
    client.force_login(operator)

    # When they record the current call through htmx
    response = client.post(f"{customer_url(alice_file.customer)}interactions/",
                           interaction_data(summary="Asked why the bill was higher."),
                           HTTP_HX_REQUEST="true")

    # Then the timeline panel comes back with the new call on top and an empty form
    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="panel-timeline"')
    assert "<html" not in page
    assert '<p class="saved-note" role="status">The interaction was recorded.</p>' in page
    items = timeline_items(page)
    assert "Billing → Resolved on the call Asked why the bill was higher." in items[0]
    assert "Older call." in items[-1]
    assert re.search(r'<textarea name="interaction-summary"[^>]*>\s*</textarea>', page)
    assert 'aria-invalid="true"' not in page
    assert Interaction.objects.filter(summary="Asked why the bill was higher.").count() == 1


def test_it_stores_the_operators_call_center_and_when_the_call_started(client, operator,
                                                                        alice_file):
    # Given an operator who opened Alice's page a while ago
    client.force_login(operator)
    page = client.get(customer_url(alice_file.customer)).content.decode()
    started_at = hidden_value(page, "interaction-started_at")

    # When they record the call, said to be made by Lorina, her service user
    response = client.post(
        f"{customer_url(alice_file.customer)}interactions/",
        interaction_data(started_at=started_at, service_user=str(alice_file.service_user.pk),
                         channel="chat", direction="outbound", topic="technical",
                         outcome="callback"),
        HTTP_HX_REQUEST="true",
    )

    # Then the call is stored with the operator, their call center and the
    # moment the page was opened
    assert response.status_code == 200
    interaction = Interaction.objects.get()
    assert (interaction.customer, interaction.operator, interaction.call_center.code,
            interaction.service_user, interaction.channel, interaction.direction,
            interaction.topic, interaction.outcome) == (
        alice_file.customer, operator, "mad", alice_file.service_user, "chat", "outbound",
        "technical", "callback",
    )
    assert interaction.started_at == parse_datetime(started_at)
    assert interaction.started_at <= interaction.ended_at <= timezone.now()
    assert AuditEvent.objects.filter(action="create", object_type="customers.interaction",
                                     object_id=str(interaction.pk)).count() == 1


def test_it_records_a_call_without_htmx_and_goes_back_to_the_page(client, operator,
                                                                   alice_customer):
    client.force_login(operator)

    response = client.post(f"{customer_url(alice_customer)}interactions/", interaction_data(),
                           follow=True)

    assert response.redirect_chain == [(customer_url(alice_customer), 302)]
    assert "The interaction was recorded." in response.content.decode()
    assert Interaction.objects.count() == 1


def test_it_refuses_a_call_without_a_summary_and_says_so_next_to_it(client, operator,
                                                                    alice_file):
    # Given an operator on Alice's page
    client.force_login(operator)
    before = database_snapshot()

    # When they save the call with an empty summary
    response = client.post(f"{customer_url(alice_file.customer)}interactions/",
                           interaction_data(summary="   "), HTTP_HX_REQUEST="true")

    # Then the form comes back with the error next to the summary, keeping
    # what was chosen, and nothing was saved
    assert response.status_code == 422
    page = response.content.decode()
    assert page.lstrip().startswith('<section class="card" id="panel-timeline"')
    assert field_errors(page, "interaction-summary") == ["Write what the contact was about."]
    assert '<option value="billing" selected>Billing</option>' in page
    assert "saved-note" not in page
    assert database_snapshot() == before


def test_it_refuses_a_call_without_a_summary_on_the_full_page_without_htmx(client, operator,
                                                                          alice_customer):
    client.force_login(operator)
    before = database_snapshot()

    response = client.post(f"{customer_url(alice_customer)}interactions/",
                           interaction_data(summary=""))

    assert response.status_code == 422
    page = response.content.decode()
    assert '<h1 id="customer-name">Alice Liddell Pleasance</h1>' in page
    assert field_errors(page, "interaction-summary") == ["Write what the contact was about."]
    assert database_snapshot() == before


def test_it_refuses_a_service_user_of_another_customer(client, operator, alice_file,
                                                        bob_customer):
    # Given a service user of Bob
    bobs_user = services.service_user_create(actor=operator, customer=bob_customer,
                                             given_name="Wendy")
    client.force_login(operator)
    before = database_snapshot()

    # When a call on Alice's page says Bob's service user called
    response = client.post(f"{customer_url(alice_file.customer)}interactions/",
                           interaction_data(service_user=str(bobs_user.pk)),
                           HTTP_HX_REQUEST="true")

    # Then it is refused next to the field and nothing was saved
    assert response.status_code == 422
    assert field_errors(response.content.decode(), "interaction-service_user") == [
        "Select a valid choice. That choice is not one of the available choices."
    ]
    assert database_snapshot() == before


def test_it_refuses_a_call_that_starts_in_the_future_and_says_why(client, operator,
                                                                   alice_customer):
    # Given an operator whose page says the call starts tomorrow (a tampered form)
    client.force_login(operator)
    before = database_snapshot()
    tomorrow = (timezone.now() + timedelta(days=1)).isoformat()

    # When they save it
    response = client.post(f"{customer_url(alice_customer)}interactions/",
                           interaction_data(started_at=tomorrow), HTTP_HX_REQUEST="true")

    # Then the error is shown (the field is hidden, so above the form)
    assert response.status_code == 422
    page = response.content.decode()
    errors = re.search(r'<div class="form-errors" role="alert">(.*?)</div>', page, re.DOTALL)
    assert errors is not None
    assert "The contact cannot start in the future." in errors.group(1)
    assert database_snapshot() == before


def test_it_records_a_call_when_the_start_time_is_missing(client, operator, alice_customer):
    # Given a form that lost its hidden start time
    client.force_login(operator)
    data = interaction_data()
    del data["interaction-started_at"]

    # When the operator saves it
    response = client.post(f"{customer_url(alice_customer)}interactions/", data,
                           HTTP_HX_REQUEST="true")

    # Then the call is recorded as starting now
    assert response.status_code == 200
    interaction = Interaction.objects.get()
    assert timezone.now() - interaction.started_at < timedelta(minutes=1)
