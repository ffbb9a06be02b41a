"""The technician's phone page: who may open it, today's orders in route
order with the address, phone, notes and equipment, the next step only,
completion moving equipment (van → customer, customer → van) with a
signature, failure, and a form sent twice done once."""

from __future__ import annotations

import html
import re
from contextlib import contextmanager
from datetime import datetime, time
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from inventory.choices import ItemState
from inventory.models import EquipmentItem, EquipmentMovement
from tests.pages import ANONYMOUS, PORTAL, client_for, field_errors, hidden_value, login_url
from tests.workforce.conftest import van_of, window
from workforce import services
from workforce.choices import WorkOrderState
from workforce.models import WorkOrder, WorkOrderEvent

pytestmark = pytest.mark.django_db

TODAY = "/field/today/"


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def plain(page: str) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def form_part(page: str, form_id: str) -> str:
    start = page.index(f'id="{form_id}"')
    return page[start:page.index("</form>", start)]


@contextmanager
def early_morning():
    """As if it were 07:00 today, so that today's windows can still be booked."""
    seven = timezone.make_aware(datetime.combine(timezone.localdate(), time(7)))
    with mock.patch("django.utils.timezone.now", return_value=seven):
        yield


def snapshot(order: WorkOrder, *items: EquipmentItem) -> dict:
    """What a refused or repeated submission must leave as it was."""
    fresh = WorkOrder.objects.get(pk=order.pk)
    return {
        "order": {name: getattr(fresh, name) for name in (
            "state", "technician_id", "signature", "signed_by", "result_note", "finished_at",
            "failure_reason")},
        "events": list(WorkOrderEvent.objects.filter(work_order=order).values_list("pk",
                                                                                  flat=True)),
        "items": [EquipmentItem.objects.filter(pk=item.pk).values(
            "state", "location_id", "customer_id").get() for item in items],
        "movements": EquipmentMovement.objects.count(),
    }


@pytest.fixture
def today_order(make_order, technician, dispatcher, operator):
    """today_order(state="dispatched", hour=10, **make_order arguments): an
    order of today, booked, assigned to tomas and taken to `state`."""

    def make(state: str = "dispatched", *, hour: int = 10, **extra) -> WorkOrder:
        with early_morning():
            order = make_order(**extra)
            services.appointment_book(work_order=order,
                                      window_start=window(timezone.localdate(), hour)[0],
                                      actor=operator)
            services.work_order_assign(work_order=order, technician=technician,
                                       actor=dispatcher)
        steps = ["dispatch", "start_travel", "arrive"]
        wanted = {"assigned": 0, "dispatched": 1, "en_route": 2, "on_site": 3}[state]
        for step in steps[:wanted]:
            getattr(services, f"work_order_{step}")(work_order=order, actor=dispatcher)
        order.refresh_from_db()
        assert order.state == state
        return order

    return make


@pytest.fixture
def tomas(technician) -> Client:
    client = Client()
    client.force_login(technician)
    return client


def order_url(order: WorkOrder, action: str = "") -> str:
    return f"{TODAY}{order.pk}/" + (f"{action}/" if action else "")


# Who may open the page and use it ---------------------------------------------------

CALLERS = [ANONYMOUS, PORTAL, "cc_operator", "dispatcher", "backoffice_admin",
           "field_technician", "owner"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", ["today", "order", "step", "complete", "fail"])
def test_it_answers_each_caller_of_the_technician_page_as_their_role_allows(
        caller, action, today_order, technician, png_signature, request):
    # Given tomas's order of today, en route, and a caller ("field_technician"
    # is another technician, "owner" is tomas)
    order = today_order("en_route")
    if caller == "owner":
        client = Client()
        client.force_login(technician)
    else:
        client, _user = client_for(caller, request)
    method, path, data = {
        "today": ("get", TODAY, {}),
        "order": ("get", order_url(order), {}),
        "step": ("post", order_url(order, "step"), {"action": "on_site",
                                                    "submission_id": "a1"}),
        "complete": ("post", order_url(order, "complete"), {"signature": png_signature,
                                                            "submission_id": "b2"}),
        "fail": ("post", order_url(order, "fail"), {"reason": "no_access",
                                                    "submission_id": "c3"}),
    }[action]
    before = snapshot(order)

    # When the caller opens the page or sends the form
    response = getattr(client, method)(path, data)

    # Then anonymous callers log in first, those without the technician's
    # permission get a 403, another technician does not find the order, and
    # tomas gets his page or his change
    if caller == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == login_url(path)
    elif caller not in ("field_technician", "owner"):
        assert response.status_code == 403
    elif caller == "field_technician" and action != "today":
        assert response.status_code == 404
    elif action == "complete":
        # on the way, not on site yet: refused with the reason
        assert response.status_code == 422
    elif method == "post":
        assert response.status_code == 302
        assert response["Location"] == order_url(order)
    else:
        assert response.status_code == 200
    if caller != "owner" or action in ("today", "order", "complete"):
        assert snapshot(order) == before


@pytest.mark.parametrize("role, shown", [("field_technician", True), ("dispatcher", False),
                                         ("cc_operator", False)])
def test_it_shows_the_my_day_link_only_to_technicians(client, user_with_role, role, shown):
    client.force_login(user_with_role(role))
    page = client.get("/", follow=True).content.decode()
    assert ('href="/field/today/"' in page) is shown


def test_it_answers_not_found_for_another_technicians_order(today_order, other_technician,
                                                            png_signature):
    # Given tomas's order on site, and ursula logged in
    order = today_order("on_site")
    ursula = Client()
    ursula.force_login(other_technician)
    before = snapshot(order)

    # When she opens it or sends its forms
    answers = [
        ursula.get(order_url(order)).status_code,
        ursula.post(order_url(order, "complete"), {"signature": png_signature}).status_code,
        ursula.post(order_url(order, "fail"), {"reason": "other"}).status_code,
    ]

    # Then it does not exist for her, and nothing changed
    assert answers == [404, 404, 404]
    assert snapshot(order) == before


# My day ---------------------------------------------------------------------------


def test_it_lists_todays_orders_in_route_order_with_what_the_technician_needs(
        tomas, today_order, van_boxes, installed_box, alice_customer, dispatcher,
        tomorrow, make_order, walk):
    # Given two orders of today for tomas (the 12:00 one made first), one
    # with equipment to install and recover, and one of tomorrow
    second = today_order(hour=12, notes="Dog in the garden")
    first = today_order(hour=10, install_items=[van_boxes[0]],
                        recover_items=[installed_box])
    walk(make_order(), "dispatched", hour=10)

    # When tomas opens his day
    response = tomas.get(TODAY)

    # Then he sees today's two, the 10:00 one first, with the customer,
    # the address, a tel: link, the notes and the equipment
    assert response.status_code == 200
    page = text_of(response)
    text = plain(page)
    assert text.index(first.number) < text.index(second.number)
    assert "2 orders · 2 to do" in text
    assert "10:00 Alice Liddell Pleasance" in text
    assert "12:00 Alice Liddell Pleasance" in text
    assert "Calle Mayor 1, 28013 Madrid" in text
    assert 'href="tel:+34600111222"' in page
    assert "Call 600 11 12 22" in text
    assert "Notes Dog in the garden" in text
    assert f"To install {van_boxes[0].serial_number}" in text
    assert f"To recover {installed_box.serial_number}" in text
    assert page.count('href="/field/today/') >= 4


def test_it_says_so_when_there_is_nothing_today(tomas):
    assert "No orders for you today." in plain(text_of(tomas.get(TODAY)))


# The order page -----------------------------------------------------------------------


@pytest.mark.parametrize("state, offered", [
    ("assigned", []),
    ("dispatched", ["En route", "Record as not done"]),
    ("en_route", ["On site", "Record as not done"]),
    ("on_site", ["Clear the signature", "Complete", "Record as not done"]),
])
def test_it_offers_only_the_next_step(tomas, today_order, state, offered):
    # Given an order of tomas in a state
    order = today_order(state)

    # When he opens it
    page = text_of(tomas.get(order_url(order)))

    # Then the only buttons are those of the next step (and of failure)
    buttons = [plain(button) for button in re.findall(r"<button[^>]*>(.*?)</button>", page,
                                                      re.DOTALL)]
    assert buttons == ["Log out", *offered]
    if state == "assigned":
        assert "This order has not been sent to you yet" in plain(page)


def test_it_goes_en_route_then_on_site(tomas, today_order):
    # Given a dispatched order
    order = today_order("dispatched")
    page = text_of(tomas.get(order_url(order)))
    step = form_part(page, "step-form")
    assert hidden_value(step, "action") == "en_route"
    submission = hidden_value(step, "submission_id")
    assert len(submission) == 32

    # When tomas presses "En route", then "On site"
    response = tomas.post(order_url(order, "step"), {"action": "en_route",
                                                     "submission_id": submission})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.state == WorkOrderState.EN_ROUTE
    page = text_of(tomas.get(order_url(order)))
    assert f"{order.number}: you are on your way." in plain(page)
    step = form_part(page, "step-form")
    assert hidden_value(step, "action") == "on_site"
    assert hidden_value(step, "submission_id") != submission
    tomas.post(order_url(order, "step"), {"action": "on_site",
                                          "submission_id": hidden_value(step, "submission_id")})

    # Then the order is on site, with an event per step made by tomas
    order.refresh_from_db()
    assert order.state == WorkOrderState.ON_SITE
    assert list(WorkOrderEvent.objects.filter(work_order=order).order_by("-id")
                .values_list("action", "actor__username")[:2]) == [
        ("on_site", "tomas"), ("en_route", "tomas")]


def test_it_does_an_en_route_sent_twice_once(tomas, today_order):
    # Given tomas pressed "En route" and the connection dropped
    order = today_order("dispatched")
    data = {"action": "en_route", "submission_id": "f" * 32}
    tomas.post(order_url(order, "step"), data)
    before = snapshot(order)

    # When the phone sends the same form again
    response = tomas.post(order_url(order, "step"), data)

    # Then it is taken as done, not refused, and nothing more happens
    assert response.status_code == 302
    assert snapshot(order) == before


def test_it_refuses_a_step_the_state_does_not_allow(tomas, today_order):
    order = today_order("dispatched")
    before = snapshot(order)
    response = tomas.post(order_url(order, "step"), {"action": "on_site",
                                                     "submission_id": "x1"})
    assert response.status_code == 422
    assert (f"Work order {order.number} is “Dispatched”: it cannot become “On site” from "
            "there.") in plain(text_of(response))
    assert snapshot(order) == before


# Completing -----------------------------------------------------------------------------


@pytest.fixture
def on_site_with_equipment(today_order, van_boxes, installed_box):
    """Tomas on site for an order installing a box from his van and
    recovering the box working at alice's."""
    order = today_order("on_site", install_items=[van_boxes[0]], recover_items=[installed_box])
    return order, van_boxes[0], installed_box


def test_it_prefills_the_completion_with_the_orders_equipment(tomas, on_site_with_equipment):
    order, box, old_box = on_site_with_equipment
    page = text_of(tomas.get(order_url(order)))
    form = form_part(page, "complete-form")
    assert re.search(rf'name="installed"[^>]*>\s*{box.serial_number}</textarea>', form)
    assert re.search(rf'name="recovered"[^>]*>\s*{old_box.serial_number}</textarea>', form)
    assert 'name="signed_by" value="Alice Liddell Pleasance"' in form
    assert 'name="signature"' in form and "<canvas" in form
    assert "sesmu/signature.js" in page
    for name in ("installed", "recovered", "signed_by", "note"):
        assert re.search(rf'<label for="id_{name}">', form), name


def test_it_completes_an_order_moving_the_equipment(tomas, technician, on_site_with_equipment,
                                                    alice_customer, png_signature,
                                                    django_capture_on_commit_callbacks):
    # Given tomas on site with a box to install from his van and one to recover
    order, box, old_box = on_site_with_equipment
    van = van_of(technician)
    assert (box.location_id, old_box.state) == (van.pk, ItemState.INSTALLED)

    # When he completes it with both serials and the customer's signature
    with django_capture_on_commit_callbacks(execute=True):
        response = tomas.post(order_url(order, "complete"), {
            "submission_id": "c" * 32, "installed": f"{box.serial_number}\r\n",
            "recovered": f" {old_box.serial_number} ", "signed_by": "Alice Liddell",
            "signature": png_signature, "note": "Signal checked"})

    # Then the order is completed and signed, the new box works at alice's
    # and the old one is in the van
    assert response.status_code == 302
    assert response["Location"] == order_url(order)
    order.refresh_from_db()
    assert (order.state, order.signed_by, order.signature, order.result_note) == (
        WorkOrderState.COMPLETED, "Alice Liddell", png_signature, "Signal checked")
    box.refresh_from_db()
    old_box.refresh_from_db()
    assert (box.state, box.customer, box.location) == (ItemState.INSTALLED, alice_customer, None)
    assert box.service_address == order.service_address
    assert (old_box.state, old_box.customer, old_box.location_id) == (
        ItemState.RETURNED, None, van.pk)
    page = plain(text_of(tomas.get(response["Location"])))
    assert f"{order.number} is completed." in page
    assert "✔ Completed" in page and "Signed by Alice Liddell." in page


def test_it_completes_with_a_serial_typed_from_the_van(tomas, today_order, van_boxes,
                                                       png_signature, alice_customer):
    # Given an order with no equipment listed, and a box in tomas's van
    order = today_order("on_site")
    box = van_boxes[1]

    # When he types its serial in lower case
    response = tomas.post(order_url(order, "complete"), {
        "submission_id": "d" * 32, "installed": box.serial_number.lower(),
        "signature": png_signature})

    # Then the box moved from the van to alice's
    assert response.status_code == 302
    box.refresh_from_db()
    assert (box.state, box.customer, box.location) == (ItemState.INSTALLED, alice_customer, None)


def test_it_does_a_completion_sent_twice_once(tomas, on_site_with_equipment, png_signature):
    # Given a completion that went through but whose answer was lost
    order, box, old_box = on_site_with_equipment
    data = {"submission_id": "e" * 32, "installed": box.serial_number,
            "recovered": old_box.serial_number, "signed_by": "Alice",
            "signature": png_signature}
    assert tomas.post(order_url(order, "complete"), data).status_code == 302
    before = snapshot(order, box, old_box)

    # When the phone sends the same form again
    response = tomas.post(order_url(order, "complete"), data)

    # Then it is taken as done and nothing changes the second time
    assert response.status_code == 302
    assert snapshot(order, box, old_box) == before
    assert WorkOrderEvent.objects.filter(work_order=order, action="completed").count() == 1


def test_it_refuses_a_completion_without_signature(tomas, on_site_with_equipment):
    # Given tomas on site
    order, box, old_box = on_site_with_equipment
    before = snapshot(order, box, old_box)

    # When he sends the form without the customer's signature
    response = tomas.post(order_url(order, "complete"), {
        "submission_id": "a" * 32, "installed": box.serial_number,
        "recovered": old_box.serial_number, "signed_by": "Alice", "signature": ""})

    # Then it comes back with the reason next to the signature, what he
    # typed kept, and nothing changed
    assert response.status_code == 422
    page = text_of(response)
    assert field_errors(page, "signature") == ["Ask the customer to sign."]
    form = form_part(page, "complete-form")
    assert hidden_value(form, "submission_id") == "a" * 32
    assert 'name="signed_by" value="Alice"' in form
    assert snapshot(order, box, old_box) == before


def test_it_refuses_a_signature_that_is_not_an_image(tomas, on_site_with_equipment):
    order, box, old_box = on_site_with_equipment
    before = snapshot(order, box, old_box)
    response = tomas.post(order_url(order, "complete"), {
        "submission_id": "b" * 32, "signature": "data:text/plain;base64,aGVsbG8="})
    assert response.status_code == 422
    assert field_errors(text_of(response), "signature") == [
        "The signature must be a PNG image."]
    assert snapshot(order, box, old_box) == before


def test_it_refuses_a_serial_that_is_not_in_the_van_next_to_the_field(
        tomas, on_site_with_equipment, make_box, png_signature):
    # Given a box still in the warehouse
    order, box, old_box = on_site_with_equipment
    stranger = make_box(serial_number="STB-WAREHOUSE")
    before = snapshot(order, box, old_box, stranger)

    # When tomas types it as installed
    response = tomas.post(order_url(order, "complete"), {
        "submission_id": "g" * 32, "installed": f"{box.serial_number}\nSTB-WAREHOUSE",
        "signature": png_signature})

    # Then nothing moves, and he is told which serial is wrong
    assert response.status_code == 422
    assert field_errors(text_of(response), "installed") == [
        "STB-WAREHOUSE is neither in the van nor reserved for this customer."]
    assert snapshot(order, box, old_box, stranger) == before


# Failing -------------------------------------------------------------------------------


def test_it_records_an_order_that_could_not_be_done(tomas, today_order,
                                                    django_capture_on_commit_callbacks):
    order = today_order("en_route")
    page = text_of(tomas.get(order_url(order)))
    fail = form_part(page, "fail-form")
    assert 'type="radio" name="reason" value="customer_absent"' in fail
    with django_capture_on_commit_callbacks(execute=True):
        response = tomas.post(order_url(order, "fail"), {
            "reason": "customer_absent", "note": "Nobody at home at 10:20",
            "submission_id": hidden_value(fail, "submission_id")})
    assert response.status_code == 302
    order.refresh_from_db()
    assert (order.state, order.failure_reason, order.result_note) == (
        WorkOrderState.FAILED, "customer_absent", "Nobody at home at 10:20")
    page = plain(text_of(tomas.get(order_url(order))))
    assert "✖ Not done Customer not at home" in page
    assert "Could not be done?" not in page


def test_it_refuses_a_failure_without_a_reason(tomas, today_order):
    order = today_order("on_site")
    before = snapshot(order)
    response = tomas.post(order_url(order, "fail"), {"reason": "", "submission_id": "z"})
    assert response.status_code == 422
    page = text_of(response)
    assert "This field is required." in form_part(page, "fail-form")
    assert "<details open>" in page
    assert snapshot(order) == before


def test_it_keeps_my_day_to_a_few_queries_whatever_the_number_of_orders(
        tomas, today_order, van_boxes, django_assert_max_num_queries):
    # Given four orders of today, one with equipment
    today_order(hour=8, install_items=[van_boxes[0]])
    for hour in (10, 12, 14):
        today_order(hour=hour)

    # Then my day costs a bounded number of queries
    with django_assert_max_num_queries(8):
        response = tomas.get(TODAY)
    assert plain(text_of(response)).count("Alice Liddell Pleasance") == 4
