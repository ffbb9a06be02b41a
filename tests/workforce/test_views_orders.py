"""The operator's work order pages and the Work orders panel of the customer
360 page: who may open each, what a refused form looks like (422, the reason
next to the field, nothing changed) and what a good one does: create an
order, book a slot, assign, dispatch, cancel."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from inventory.choices import ItemState
from tests.pages import ANONYMOUS, NO_ROLE, PORTAL, client_for, field_errors, login_url
from tests.workforce.conftest import make_address, window
from workforce import services
from workforce.choices import AppointmentStatus, EquipmentDirection, Skill, WorkOrderState
from workforce.models import Appointment, WorkOrder, WorkOrderEvent, WorkOrderItem

pytestmark = pytest.mark.django_db

OPERATOR = "cc_operator"
DISPATCHER = "dispatcher"
TECHNICIAN = "field_technician"
CLERK = "inventory_clerk"
BILLING = "billing_agent"
CALLERS = [ANONYMOUS, PORTAL, NO_ROLE, OPERATOR, DISPATCHER, TECHNICIAN, CLERK, BILLING]


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def plain(page: str) -> str:
    """The page's text without tags, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def group_errors(page: str, name: str) -> list[str]:
    """The errors shown in the group of checkboxes (a fieldset) named `name`."""
    control = page.index(f'name="{name}"')
    block = page[page.rfind("<fieldset", 0, control):page.index("</fieldset>", control)]
    lists = re.findall(r'<ul class="errorlist"[^>]*>(.*?)</ul>', block, re.DOTALL)
    return [item for errors in lists for item in re.findall(r"<li>(.*?)</li>", errors, re.DOTALL)]


def order_state(order: WorkOrder) -> dict:
    """What a refused request must leave as it was."""
    fresh = WorkOrder.objects.get(pk=order.pk)
    return {
        "state": fresh.state, "technician": fresh.technician_id,
        "planned_start": fresh.planned_start, "window_start": fresh.window_start,
        "events": WorkOrderEvent.objects.filter(work_order=order).count(),
        "appointments": sorted(Appointment.objects.filter(work_order=order)
                               .values_list("pk", "status")),
    }


def assert_refused(response, caller: str, path: str, *, not_found: bool = False) -> None:
    if caller == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == login_url(path)
    else:
        assert response.status_code == (404 if not_found else 403)


@pytest.fixture
def order(make_order, zone):
    """An installation for alice in Madrid centro, nothing booked yet."""
    return make_order(notes="Ring twice; the dog is friendly.")


@pytest.fixture
def booked_order(order, technician, book):
    """Alice's installation booked tomorrow 10:00-12:00 (technician can go)."""
    book(order, 10)
    order.refresh_from_db()
    return order


@pytest.fixture
def assigned_order(booked_order, technician, dispatcher):
    return services.work_order_assign(work_order=booked_order, technician=technician,
                                      actor=dispatcher)


# Who may open what ---------------------------------------------------------------


@pytest.mark.parametrize("caller", CALLERS)
def test_it_opens_the_list_only_for_roles_that_see_work_orders(caller, request, order):
    client, _user = client_for(caller, request)

    response = client.get("/field/orders/")

    if caller in (OPERATOR, DISPATCHER, CLERK, TECHNICIAN):
        assert response.status_code == 200
        # A technician sees only their own orders: this one is nobody's.
        assert (order.number in text_of(response)) == (caller != TECHNICIAN)
    else:
        assert_refused(response, caller, "/field/orders/")


@pytest.mark.parametrize("caller", CALLERS)
def test_it_opens_an_order_only_for_those_who_may_see_it(caller, request, assigned_order):
    client, _user = client_for(caller, request)
    path = f"/field/orders/{assigned_order.pk}/"

    response = client.get(path)

    if caller in (OPERATOR, DISPATCHER, CLERK):
        assert response.status_code == 200
        assert assigned_order.number in text_of(response)
    else:
        # Another technician's order is not found, as if it did not exist.
        assert_refused(response, caller, path, not_found=caller == TECHNICIAN)


def test_it_shows_a_technician_their_own_order_in_the_list_and_on_its_page(
    client, assigned_order, technician, make_order, other_technician, book, dispatcher,
):
    other = make_order()
    book(other, 12)
    services.work_order_assign(work_order=other, technician=other_technician,
                               actor=dispatcher)
    client.force_login(technician)

    listing = text_of(client.get("/field/orders/"))
    own = client.get(f"/field/orders/{assigned_order.pk}/")
    not_own = client.get(f"/field/orders/{other.pk}/")

    assert assigned_order.number in listing and other.number not in listing
    assert own.status_code == 200
    assert not_own.status_code == 404
    # No operator actions for the technician on the desk page.
    assert 'id="cancel"' not in text_of(own) and 'id="assign"' not in text_of(own)


@pytest.mark.parametrize("caller", CALLERS)
def test_it_opens_the_new_order_page_only_for_those_who_may_add_orders(
    caller, request, alice_customer, alice_address,
):
    client, _user = client_for(caller, request)
    path = f"/field/customers/{alice_customer.pk}/orders/new/"

    response = client.get(path)

    if caller in (OPERATOR, DISPATCHER):
        assert response.status_code == 200
        assert 'name="kind"' in text_of(response)
    else:
        assert_refused(response, caller, path)


@pytest.mark.parametrize("caller", CALLERS)
def test_it_opens_the_booking_page_only_for_those_who_may_book(caller, request, order,
                                                               technician):
    client, _user = client_for(caller, request)
    path = f"/field/orders/{order.pk}/book/"

    response = client.get(path)

    if caller in (OPERATOR, DISPATCHER):
        assert response.status_code == 200
        assert 'name="window_start"' in text_of(response)
    else:
        assert_refused(response, caller, path)


@pytest.mark.parametrize("caller", CALLERS)
def test_it_lets_only_dispatchers_assign(caller, request, booked_order, technician):
    client, _user = client_for(caller, request)
    path = f"/field/orders/{booked_order.pk}/assign/"
    before = order_state(booked_order)

    response = client.post(path, {"technician": technician.pk, "planned_start": "10:00"})

    if caller == DISPATCHER:
        assert response.status_code == 302
        assert WorkOrder.objects.get(pk=booked_order.pk).state == WorkOrderState.ASSIGNED
    else:
        assert_refused(response, caller, path)
        assert order_state(booked_order) == before


def test_it_answers_not_found_for_an_unknown_order_or_action(client, dispatcher, order):
    client.force_login(dispatcher)

    assert client.get("/field/orders/999999/").status_code == 404
    assert client.post(f"/field/orders/{order.pk}/explode/").status_code == 404
    assert client.get(f"/field/orders/{order.pk}/cancel/").status_code == 405


# The list -----------------------------------------------------------------------


def test_it_filters_the_list_by_state_kind_date_technician_and_customer(
    client, operator, booked_order, make_order, bob_customer, bob_address, technician,
    dispatcher, tomorrow,
):
    repair = make_order(kind="repair", skills=[Skill.CABLE_REPAIR])
    bobs = make_order(customer=bob_customer, address=bob_address)
    services.work_order_assign(work_order=booked_order, technician=technician,
                               actor=dispatcher)
    client.force_login(operator)

    def numbers(query: str) -> set[str]:
        page = text_of(client.get(f"/field/orders/?{query}"))
        return set(re.findall(r"W\d{8}", page))

    assert numbers("") == {booked_order.number, repair.number, bobs.number}
    assert numbers("state=generated") == {repair.number, bobs.number}
    assert numbers("kind=repair") == {repair.number}
    assert numbers(f"date={tomorrow:%Y-%m-%d}") == {booked_order.number}
    assert numbers(f"technician={technician.pk}") == {booked_order.number}
    assert numbers(f"customer={bob_customer.pk}") == {bobs.number}


def test_it_refuses_a_malformed_filter_with_the_reason(client, operator, order):
    client.force_login(operator)

    response = client.get("/field/orders/?state=lost&customer=abc")

    assert response.status_code == 422
    page = text_of(response)
    assert order.number not in page
    assert "Correct the filters above" in page


def test_the_list_answers_htmx_with_the_results_only(client, operator, order):
    client.force_login(operator)

    response = client.get("/field/orders/?kind=install",
                          headers={"HX-Request": "true", "HX-Target": "order-results"})

    page = text_of(response)
    assert page.lstrip().startswith('<section class="card" id="order-results"')
    assert order.number in page and "<html" not in page


def test_it_shows_an_empty_list_and_a_filtered_empty_list(client, operator):
    client.force_login(operator)

    assert "No work orders yet" in text_of(client.get("/field/orders/"))
    assert "No work order matches these filters." in text_of(
        client.get("/field/orders/?kind=repair"))


def test_it_paginates_the_list_by_25(client, operator, make_order):
    for _ in range(26):
        make_order()
    client.force_login(operator)

    first = text_of(client.get("/field/orders/"))
    second = text_of(client.get("/field/orders/?page=2"))

    assert len(set(re.findall(r"W\d{8}", first))) == 25
    assert len(set(re.findall(r"W\d{8}", second))) == 1
    assert "Page 1 of 2 (26 in all)" in plain(first)


def test_the_list_costs_the_same_queries_for_3_or_20_orders(
    client, operator, make_order, booked_order, technician, dispatcher,
):
    services.work_order_assign(work_order=booked_order, technician=technician,
                               actor=dispatcher)
    for _ in range(2):
        make_order()
    client.force_login(operator)
    client.get("/field/orders/")  # sessions and permissions cached

    with CaptureQueriesContext(connection) as small:
        assert client.get("/field/orders/").status_code == 200
    for _ in range(17):
        make_order()
    with CaptureQueriesContext(connection) as large:
        assert client.get("/field/orders/").status_code == 200

    assert len(large) == len(small)
    assert len(small) <= 12


# One order ----------------------------------------------------------------------


def test_it_shows_the_order_with_its_customer_timeline_and_appointments(
    client, operator, order, technician, book, tomorrow,
):
    book(order, 10)
    book(order, 14)  # the customer changed their mind: rescheduled
    client.force_login(operator)

    page = text_of(client.get(f"/field/orders/{order.pk}/"))
    text = plain(page)

    assert f'href="/desk/customers/{order.customer.pk}/"' in page
    assert "Calle Mayor 1, 28013 Madrid" in text
    assert "Madrid centro" in text
    assert "Cable installation" in text
    assert "Ring twice; the dog is friendly." in text
    weekday = tomorrow.strftime("%A")
    assert f"The technician arrives on {weekday} {tomorrow:%d/%m} between 14:00 and 16:00." \
        in text
    # The timeline: newest first, who, from → to.
    timeline = plain(page[page.index('id="order-timeline"'):])
    assert timeline.index("Appointment rescheduled") < timeline.index("Appointment booked") \
        < timeline.index("Order created")
    assert "Generated → Scheduled" in timeline
    assert "by Olga Ortega" in timeline
    # The booked appointment, and the earlier one kept as rescheduled.
    assert "Earlier appointments" in text
    assert "Rescheduled" in text
    # The operator may book again and cancel, not assign.
    assert f'href="/field/orders/{order.pk}/book/"' in page
    assert 'id="cancel"' in page and 'id="assign"' not in page


def test_it_shows_the_equipment_lines_of_an_order(client, operator, make_order, make_box,
                                                   installed_box):
    box = make_box()
    order = make_order(kind="swap", install_items=[box], recover_items=[installed_box])
    client.force_login(operator)

    text = plain(text_of(client.get(f"/field/orders/{order.pk}/")))

    assert f"To install Humax HD-5000 {box.serial_number}" in text
    assert f"To recover Humax HD-5000 {installed_box.serial_number}" in text


def test_a_dispatcher_assigns_dispatches_and_the_timeline_says_so(
    client, dispatcher, booked_order, technician, tomorrow,
):
    client.force_login(dispatcher)
    page = text_of(client.get(f"/field/orders/{booked_order.pk}/"))
    assert f'<option value="{technician.pk}">Tomás Torres</option>' in page
    assert 'value="10:00"' in page  # the planned start offered: the window's start

    assigned = client.post(f"/field/orders/{booked_order.pk}/assign/",
                           {"technician": technician.pk, "planned_start": "10:30"},
                           follow=True)

    booked_order.refresh_from_db()
    assert booked_order.state == WorkOrderState.ASSIGNED
    assert booked_order.technician == technician
    assert timezone.localtime(booked_order.planned_start).strftime("%H:%M") == "10:30"
    assert f"{booked_order.number} is assigned to Tomás Torres, starting at 10:30" in \
        text_of(assigned)

    dispatched = client.post(f"/field/orders/{booked_order.pk}/dispatch/", follow=True)

    booked_order.refresh_from_db()
    assert booked_order.state == WorkOrderState.DISPATCHED
    assert "was sent to Tomás Torres's phone" in text_of(dispatched)
    timeline = plain(text_of(dispatched))
    assert "Dispatched Assigned → Dispatched" in timeline
    assert f"planned start {tomorrow:%d/%m/%Y} 10:30" in timeline
    assert "by Diego Díaz" in timeline


def test_it_shows_the_services_refusal_next_to_the_planned_start(
    client, dispatcher, booked_order, technician,
):
    client.force_login(dispatcher)
    before = order_state(booked_order)

    response = client.post(f"/field/orders/{booked_order.pk}/assign/",
                           {"technician": technician.pk, "planned_start": "13:00"})

    assert response.status_code == 422
    assert field_errors(text_of(response), "planned_start") == [
        "The customer expects the technician between 10:00 and 12:00."]
    assert order_state(booked_order) == before


def test_it_refuses_an_assignment_without_a_technician_next_to_the_field(
    client, dispatcher, booked_order, technician,
):
    client.force_login(dispatcher)
    before = order_state(booked_order)

    response = client.post(f"/field/orders/{booked_order.pk}/assign/",
                           {"technician": "", "planned_start": ""})

    assert response.status_code == 422
    page = text_of(response)
    assert field_errors(page, "technician") == ["Choose the technician."]
    assert field_errors(page, "planned_start") == ["Say when the technician starts (hh:mm)."]
    assert order_state(booked_order) == before


def test_a_dispatcher_unassigns_with_a_reason(client, dispatcher, assigned_order):
    client.force_login(dispatcher)

    client.post(f"/field/orders/{assigned_order.pk}/unassign/", {"reason": "Van broke down"})

    assigned_order.refresh_from_db()
    assert assigned_order.state == WorkOrderState.SCHEDULED
    assert assigned_order.technician is None
    assert assigned_order.events.first().reason == "Van broke down"


def test_an_operator_cancels_with_a_reason_and_the_appointment_is_released(
    client, operator, booked_order,
):
    client.force_login(operator)

    response = client.post(f"/field/orders/{booked_order.pk}/cancel/",
                           {"reason": "The customer moved abroad"}, follow=True)

    booked_order.refresh_from_db()
    assert booked_order.state == WorkOrderState.CANCELLED
    assert list(booked_order.appointments.values_list("status", flat=True)) == [
        AppointmentStatus.CANCELLED]
    text = plain(text_of(response))
    assert f"{booked_order.number} was cancelled" in text
    assert "Reason: The customer moved abroad" in text
    assert 'id="cancel"' not in text_of(response)  # nothing more to cancel


def test_it_refuses_a_cancellation_without_a_reason(client, operator, booked_order):
    client.force_login(operator)
    before = order_state(booked_order)

    response = client.post(f"/field/orders/{booked_order.pk}/cancel/", {"reason": " "})

    assert response.status_code == 422
    assert field_errors(text_of(response), "reason") == [
        "Say why the order is cancelled (the customer's words are fine)."]
    assert order_state(booked_order) == before


def test_it_shows_the_services_message_when_the_state_no_longer_allows_the_action(
    client, dispatcher, order,
):
    # The page was opened before someone else cancelled the order.
    services.work_order_cancel(work_order=order, actor=dispatcher, reason="duplicate")
    client.force_login(dispatcher)
    before = order_state(order)

    response = client.post(f"/field/orders/{order.pk}/dispatch/")

    assert response.status_code == 422
    assert (f"Work order {order.number} is “Cancelled”: it cannot become “Dispatched” "
            "from there.") in text_of(response)
    assert order_state(order) == before


# A new order --------------------------------------------------------------------


def test_an_operator_creates_an_order_and_goes_straight_to_booking(
    client, operator, alice_customer, alice_address, make_box, installed_box, technician,
):
    box = make_box()
    client.force_login(operator)
    page = text_of(client.get(f"/field/customers/{alice_customer.pk}/orders/new/"))
    assert installed_box.serial_number in page  # offered for recovery

    response = client.post(f"/field/customers/{alice_customer.pk}/orders/new/", {
        "kind": "swap", "service_address": alice_address.pk,
        "required_skills": [Skill.CABLE_INSTALL, Skill.EQUIPMENT_RECOVERY],
        "estimated_minutes": "90", "priority": "3", "notes": "Second floor",
        "install_items": f" {box.serial_number.lower()}\n", "recover_items": [installed_box.pk],
    })

    order = WorkOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/field/orders/{order.pk}/book/"
    assert (order.customer, order.service_address, order.kind) == (
        alice_customer, alice_address, "swap")
    assert order.required_skills == [Skill.CABLE_INSTALL, Skill.EQUIPMENT_RECOVERY]
    assert (order.estimated_minutes, order.priority, order.notes) == (90, 3, "Second floor")
    assert order.created_by == operator
    assert sorted(order.equipment.values_list("item_id", "direction")) == sorted([
        (box.pk, EquipmentDirection.INSTALL), (installed_box.pk, EquipmentDirection.RECOVER)])
    box.refresh_from_db()
    assert (box.state, box.customer) == (ItemState.RESERVED, alice_customer)
    booking = text_of(client.get(response["Location"]))
    assert f"Work order {order.number} was created. Now agree the visit" in booking


def test_it_shows_form_errors_next_to_the_fields_and_creates_nothing(
    client, operator, alice_customer, alice_address,
):
    client.force_login(operator)

    response = client.post(f"/field/customers/{alice_customer.pk}/orders/new/", {
        "kind": "install", "service_address": alice_address.pk, "estimated_minutes": "5",
        "priority": "2", "install_items": "NOPE-123",
    })

    assert response.status_code == 422
    page = text_of(response)
    assert field_errors(page, "estimated_minutes") == ["A visit takes at least 10 minutes."]
    assert field_errors(page, "install_items") == [
        "No item with these numbers: NOPE-123. Check them against the label."]
    assert WorkOrder.objects.count() == 0


def test_it_shows_the_services_refusal_next_to_the_skills(
    client, operator, alice_customer, alice_address,
):
    client.force_login(operator)

    response = client.post(f"/field/customers/{alice_customer.pk}/orders/new/", {
        "kind": "install", "service_address": alice_address.pk, "estimated_minutes": "60",
        "priority": "2",
    })

    assert response.status_code == 422
    assert group_errors(text_of(response), "required_skills") == [
        "Say which skills the visit needs."]
    assert WorkOrder.objects.count() == 0


def test_it_refuses_an_item_reserved_for_someone_else_next_to_the_serials(
    client, operator, alice_customer, alice_address, bob_customer, make_box,
):
    from inventory import services as inventory

    box = make_box()
    inventory.equipment_item_reserve(item=box, customer=bob_customer, actor=operator)
    client.force_login(operator)

    response = client.post(f"/field/customers/{alice_customer.pk}/orders/new/", {
        "kind": "install", "service_address": alice_address.pk,
        "required_skills": [Skill.CABLE_INSTALL], "estimated_minutes": "60", "priority": "2",
        "install_items": box.serial_number,
    })

    assert response.status_code == 422
    assert field_errors(text_of(response), "install_items") == [
        f"Item {box.serial_number} is already reserved for customer {bob_customer.number}."]
    assert WorkOrder.objects.count() == 0
    box.refresh_from_db()
    assert box.customer == bob_customer


def test_it_offers_only_the_customers_service_addresses(
    client, operator, alice_customer, alice_address, bob_address,
):
    client.force_login(operator)

    response = client.post(f"/field/customers/{alice_customer.pk}/orders/new/", {
        "kind": "install", "service_address": bob_address.pk,
        "required_skills": [Skill.CABLE_INSTALL], "estimated_minutes": "60", "priority": "2",
    })

    assert response.status_code == 422
    assert field_errors(text_of(response), "service_address") == [
        "Choose one of the customer's service addresses."]
    assert WorkOrder.objects.count() == 0


def test_it_says_when_a_customer_has_no_service_address(client, operator, bob_customer):
    client.force_login(operator)

    page = text_of(client.get(f"/field/customers/{bob_customer.pk}/orders/new/"))

    assert "This customer has no active service address" in page
    assert 'name="kind"' not in page


def test_it_does_not_create_orders_for_a_customer_it_cannot_find(client, operator):
    client.force_login(operator)

    assert client.get("/field/customers/999999/orders/new/").status_code == 404


# Booking ------------------------------------------------------------------------


def test_it_offers_the_free_windows_of_the_next_seven_days(client, operator, order,
                                                           technician, tomorrow):
    client.force_login(operator)

    page = text_of(client.get(f"/field/orders/{order.pk}/book/"))

    today = timezone.localdate()
    assert f"Free arrival windows from {today:%d/%m/%Y} to " \
           f"{today + timedelta(days=6):%d/%m/%Y}" in plain(page)
    start, _end = window(tomorrow, 10)
    assert f'value="{start.isoformat()}"' in page
    # The technician works 08:00-17:00: the 16:00-18:00 window is never offered.
    late, _end = window(tomorrow, 16)
    assert f'value="{late.isoformat()}"' not in page
    assert "1 technician" in page


def test_an_operator_books_a_slot_and_is_told_what_was_agreed(
    client, operator, order, technician, tomorrow,
):
    client.force_login(operator)
    start, end = window(tomorrow, 10)

    response = client.post(f"/field/orders/{order.pk}/book/",
                           {"window_start": start.isoformat()}, follow=True)

    order.refresh_from_db()
    assert order.state == WorkOrderState.SCHEDULED
    assert (order.window_start, order.window_end) == (start, end)
    appointment = Appointment.objects.get(work_order=order)
    assert (appointment.status, appointment.created_by) == (AppointmentStatus.BOOKED, operator)
    text = plain(text_of(response))
    assert (f"Booked for {order.number}. Tell the customer: The technician arrives on "
            f"{tomorrow:%A} {tomorrow:%d/%m} between 10:00 and 12:00.") in text


def test_booking_again_reschedules_and_keeps_the_old_appointment(
    client, operator, booked_order, tomorrow,
):
    client.force_login(operator)
    page = text_of(client.get(f"/field/orders/{booked_order.pk}/book/"))
    assert f"Now booked: {tomorrow:%A} {tomorrow:%d/%m} between 10:00 and 12:00." in \
        plain(page)
    start, _end = window(tomorrow, 14)

    client.post(f"/field/orders/{booked_order.pk}/book/", {"window_start": start.isoformat()})

    assert sorted(booked_order.appointments.values_list("status", flat=True)) == [
        AppointmentStatus.BOOKED, AppointmentStatus.RESCHEDULED]
    booked_order.refresh_from_db()
    assert booked_order.window_start == start


def test_it_says_the_slot_was_just_taken_and_shows_the_fresh_slots(
    client, operator, make_order, technician, tomorrow, book,
):
    # Given two two-hour orders and one technician: a window holds one of them
    first = make_order(minutes=120)
    second = make_order(minutes=120)
    start, _end = window(tomorrow, 10)
    client.force_login(operator)
    offered = text_of(client.get(f"/field/orders/{second.pk}/book/"))
    assert f'value="{start.isoformat()}"' in offered
    # and while the operator talks, another one books the 10:00 window
    book(first, 10)
    before = order_state(second)

    # When the operator chooses the window offered a moment ago
    response = client.post(f"/field/orders/{second.pk}/book/", {
        "window_start": start.isoformat(), "first": f"{tomorrow:%Y-%m-%d}",
        "last": f"{tomorrow:%Y-%m-%d}"})

    # Then the page says it was taken, offers the windows still free, and
    # nothing changed
    assert response.status_code == 422
    page = text_of(response)
    assert "This window was just taken; choose another one." in page
    assert "The free windows below are up to date." in page
    assert f'value="{start.isoformat()}"' not in page
    assert f'value="{window(tomorrow, 12)[0].isoformat()}"' in page
    assert order_state(second) == before


def test_it_refuses_a_window_that_was_never_offered(client, operator, order, technician,
                                                    tomorrow):
    client.force_login(operator)
    before = order_state(order)
    start, _end = window(tomorrow, 10)

    response = client.post(f"/field/orders/{order.pk}/book/",
                           {"window_start": (start + timedelta(minutes=30)).isoformat()})

    assert response.status_code == 422
    assert "Choose one of the offered arrival windows." in text_of(response)
    assert order_state(order) == before


@pytest.mark.parametrize(("first", "last", "field", "message"), [
    ("today+2", "today+1", "last", "The last day must be on or after the first."),
    ("today", "today+31", "last", "Look at most 31 days at a time."),
    ("today-1", "today+1", "first", "Choose today or a later day."),
    ("soon", "today+1", "first", "Enter a valid date."),
])
def test_it_refuses_a_bad_range_of_days_next_to_the_field(
    client, operator, order, technician, first, last, field, message,
):
    today = timezone.localdate()

    def day(text: str) -> str:
        if not text.startswith("today"):
            return text
        offset = int(text[5:] or 0)
        return f"{today + timedelta(days=offset):%Y-%m-%d}"

    client.force_login(operator)

    response = client.get(f"/field/orders/{order.pk}/book/",
                          {"first": day(first), "last": day(last)})

    assert response.status_code == 422
    assert field_errors(text_of(response), field) == [message]
    assert 'name="window_start"' not in text_of(response)


def test_it_looks_31_days_ahead_at_most(client, operator, order, technician):
    today = timezone.localdate()
    client.force_login(operator)

    response = client.get(f"/field/orders/{order.pk}/book/", {
        "first": f"{today:%Y-%m-%d}", "last": f"{today + timedelta(days=30):%Y-%m-%d}"})

    assert response.status_code == 200
    start, _end = window(today + timedelta(days=30), 8)
    assert f'value="{start.isoformat()}"' in text_of(response)


def test_it_says_no_zone_covers_the_postal_code(client, operator, make_order, alice_customer,
                                                technician):
    seville = make_address(alice_customer, postal_code="41001", street="Calle Sierpes")
    order = make_order(address=seville)
    client.force_login(operator)

    page = text_of(client.get(f"/field/orders/{order.pk}/book/"))

    assert ("No zone covers postal code 41001, so no technician can go there. Ask a "
            "dispatcher to add it to a zone.") in page
    assert 'name="window_start"' not in page
    assert 'name="first"' not in page  # other dates would not help


def test_it_says_no_technician_has_the_skills(client, operator, make_order, technician):
    order = make_order(skills=[Skill.SATELLITE_INSTALL])
    client.force_login(operator)

    page = text_of(client.get(f"/field/orders/{order.pk}/book/"))

    assert ("No active technician with these skills covers Madrid centro: "
            "Satellite TV installation.") in page


def test_it_says_nobody_has_free_time_in_the_range(client, operator, order, technician,
                                                   tomorrow):
    from workforce.models import TechnicianProfile

    profile = TechnicianProfile.objects.get(user=technician)
    services.absence_add(technician=profile, start_date=tomorrow,
                         end_date=tomorrow + timedelta(days=1), actor=operator)
    client.force_login(operator)

    page = text_of(client.get(f"/field/orders/{order.pk}/book/", {
        "first": f"{tomorrow:%Y-%m-%d}", "last": f"{tomorrow + timedelta(days=1):%Y-%m-%d}"}))

    assert (f"No technician has free time from {tomorrow:%d/%m/%Y} to "
            f"{tomorrow + timedelta(days=1):%d/%m/%Y}. Look at later days.") in page
    assert "Look at the following days" in page


def test_it_has_nothing_to_book_on_a_closed_order(client, operator, order, technician):
    services.work_order_cancel(work_order=order, actor=operator, reason="duplicate")
    client.force_login(operator)

    page = text_of(client.get(f"/field/orders/{order.pk}/book/"))

    assert f"Work order {order.number} is “Cancelled”: there is nothing to book." in page


def test_the_slot_search_answers_htmx_with_the_booking_part_only(client, operator, order,
                                                                 technician):
    client.force_login(operator)

    response = client.get(f"/field/orders/{order.pk}/book/",
                          headers={"HX-Request": "true", "HX-Target": "booking"})

    page = text_of(response)
    assert page.lstrip().startswith('<div id="booking">')
    assert "<html" not in page


# The Work orders panel of the customer 360 page ------------------------------------


def test_it_shows_alices_orders_on_her_360_panel(client, operator, booked_order, make_order,
                                                 alice_customer, tomorrow):
    closed = make_order(kind="repair", skills=[Skill.CABLE_REPAIR])
    services.work_order_cancel(work_order=closed, actor=operator, reason="solved by phone")
    client.force_login(operator)

    response = client.get(f"/desk/customers/{alice_customer.pk}/panels/work_orders/")

    assert response.status_code == 200
    page = text_of(response)
    assert page.lstrip().startswith('<section class="card" id="panel-work_orders"')
    text = plain(page)
    assert text.index("Open") < text.index(booked_order.number) \
        < text.index("Recently closed") < text.index(closed.number)
    assert f'href="/field/orders/{booked_order.pk}/"' in page
    assert f"Installation Scheduled {tomorrow:%a} {tomorrow:%d/%m/%Y} 10:00–12:00" in text
    assert f'href="/field/customers/{alice_customer.pk}/orders/new/"' in page


def test_it_shows_each_orders_timeline_on_the_360_panel(client, operator, booked_order,
                                                        alice_customer,
                                                        django_assert_max_num_queries):
    client.force_login(operator)

    with django_assert_max_num_queries(14):
        page = plain(text_of(client.get(
            f"/desk/customers/{alice_customer.pk}/panels/work_orders/")))

    # Newest first: booked after it was generated, each with who did it
    timeline = page[page.index("2 events"):]
    assert timeline.index("Scheduled") < timeline.index("Generated")
    assert operator.get_full_name() in timeline


def test_it_shows_an_empty_work_orders_panel(client, operator, bob_customer):
    client.force_login(operator)

    page = text_of(client.get(f"/desk/customers/{bob_customer.pk}/panels/work_orders/"))

    assert "No work orders." in page
    assert "New work order" in page


def test_it_offers_no_new_order_link_to_a_role_that_may_not_book(client, user_with_role,
                                                                 alice_customer, order):
    client.force_login(user_with_role(CLERK))

    page = text_of(client.get(f"/desk/customers/{alice_customer.pk}/panels/work_orders/"))

    assert order.number in page
    assert "New work order" not in page


@pytest.mark.parametrize("role", [BILLING, NO_ROLE])
def test_it_does_not_serve_the_panel_to_a_role_without_the_permission(
    client, user_with_role, alice_customer, role,
):
    client.force_login(user_with_role(None if role == NO_ROLE else role))

    panel = client.get(f"/desk/customers/{alice_customer.pk}/panels/work_orders/")

    assert panel.status_code == 403


def test_the_order_can_be_found_in_the_panel_after_create_and_book(
    client, operator, alice_customer, alice_address, technician, tomorrow,
):
    # The whole journey of the operator without a browser: create, book, see it.
    client.force_login(operator)
    created = client.post(f"/field/customers/{alice_customer.pk}/orders/new/", {
        "kind": "install", "service_address": alice_address.pk,
        "required_skills": [Skill.CABLE_INSTALL], "estimated_minutes": "60", "priority": "2",
    })
    order = WorkOrder.objects.get()
    start, _end = window(tomorrow, 12)

    booked = client.post(created["Location"], {"window_start": start.isoformat()})
    panel = plain(text_of(client.get(
        f"/desk/customers/{alice_customer.pk}/panels/work_orders/")))

    assert booked["Location"] == f"/field/orders/{order.pk}/"
    assert f"{order.number} Installation Scheduled" in panel
    assert "12:00–14:00" in panel
    assert WorkOrderItem.objects.count() == 0


@pytest.mark.parametrize("first", ["9999-12-31", "2999-01-01"])
def test_it_refuses_a_search_far_in_the_future_without_failing(client, operator, order, first):
    client.force_login(operator)

    response = client.get(f"/field/orders/{order.pk}/book/?first={first}&last={first}")

    assert response.status_code in (200, 422)
    assert "Visits are booked at most a year ahead." in response.content.decode()
