"""The dispatcher's board: who may open it and use its buttons, the day per
technician and the queue, late and at-risk orders marked in words, the
automatic scheduler run from the board, reassignment (refusals said and
nothing changed), unassigning and dispatching."""

from __future__ import annotations

import html
import re
from datetime import datetime, time, timedelta
from unittest import mock

import pytest
from django.test import Client
from django.utils import timezone

from tests.pages import ANONYMOUS, PORTAL, client_for, field_errors, login_url
from tests.workforce.conftest import make_technician
from workforce.choices import Skill, WorkOrderState
from workforce.models import ScheduleRun, WorkOrder, WorkOrderEvent

pytestmark = pytest.mark.django_db

BOARD = "/field/board/"


def text_of(response) -> str:
    return html.unescape(response.content.decode())


def plain(page: str) -> str:
    """The page's text without tags, spaces folded."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def section(page: str, element_id: str) -> str:
    """The part of the page from the element with this id to the end of its section."""
    start = page.index(f'id="{element_id}"')
    return page[start:page.index("</section>", start)]


def state_of(order: WorkOrder) -> dict:
    """What a refused request must leave as it was."""
    fresh = WorkOrder.objects.get(pk=order.pk)
    return {
        "state": fresh.state, "technician": fresh.technician_id,
        "planned_start": fresh.planned_start, "route_position": fresh.route_position,
        "events": WorkOrderEvent.objects.filter(work_order=order).count(),
    }


def at(day, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


@pytest.fixture
def day(tomorrow):
    return tomorrow


@pytest.fixture
def dispatcher_client(dispatcher) -> Client:
    client = Client()
    client.force_login(dispatcher)
    return client


@pytest.fixture
def three_orders(make_order, book, walk, technician, other_technician, bob_customer,
                 bob_address):
    """Tomorrow: one order assigned to tomas at 10:00, one scheduled at 12:00
    in the queue, one of bob's scheduled at 14:00."""
    assigned = walk(make_order(notes="Ring twice"), "assigned", hour=10)
    queued = make_order(kind="repair", skills=[Skill.CABLE_REPAIR], minutes=90)
    book(queued, 12)
    bobs = make_order(customer=bob_customer, address=bob_address)
    book(bobs, 14)
    for order in (queued, bobs):
        order.refresh_from_db()
    return assigned, queued, bobs


# Who may open the board and use it ---------------------------------------------

ALLOWED = {"dispatcher", "backoffice_admin"}
CALLERS = [ANONYMOUS, PORTAL, "cc_operator", "cc_supervisor", "field_technician",
           "inventory_clerk", "dispatcher", "backoffice_admin"]


def _actions(assigned, queued, day):
    """(name, method, path, data, status when allowed)."""
    return [
        ("board", "get", BOARD, {}, 200),
        ("board_day", "get", f"{BOARD}?day={day.isoformat()}", {}, 200),
        ("assign_page", "get", f"{BOARD}orders/{queued.pk}/assign/", {}, 200),
        ("schedule", "post", f"{BOARD}schedule/", {"day": day.isoformat()}, 302),
        ("dispatch_all", "post", f"{BOARD}dispatch/", {"day": day.isoformat()}, 302),
        ("assign", "post", f"{BOARD}orders/{queued.pk}/assign/",
         {"technician": str(assigned.technician_id), "planned_start": "12:00"}, 302),
        ("unassign", "post", f"{BOARD}orders/{assigned.pk}/unassign/", {}, 302),
        ("dispatch_one", "post", f"{BOARD}orders/{assigned.pk}/dispatch/", {}, 302),
    ]


ACTION_NAMES = ["board", "board_day", "assign_page", "schedule", "dispatch_all", "assign",
                "unassign", "dispatch_one"]


@pytest.mark.parametrize("caller", CALLERS)
@pytest.mark.parametrize("action", ACTION_NAMES)
def test_it_answers_each_caller_of_the_board_as_their_role_allows(caller, action, day,
                                                                  three_orders, request):
    # Given a day with orders and a caller
    assigned, queued, bobs = three_orders
    name, method, path, data, allowed_status = next(
        entry for entry in _actions(assigned, queued, day) if entry[0] == action)
    client, _user = client_for(caller, request)
    before = [state_of(order) for order in three_orders]
    runs = ScheduleRun.objects.count()

    # When the caller opens the page or presses the button
    response = getattr(client, method)(path, data)

    # Then anonymous callers log in first, dispatchers get the page or
    # the change, and everyone else a 403 with nothing changed
    if caller == ANONYMOUS:
        assert response.status_code == 302
        assert response["Location"] == login_url(path)
    elif caller in ALLOWED:
        assert response.status_code == allowed_status
    else:
        assert response.status_code == 403
    if caller not in ALLOWED or method == "get":
        assert [state_of(order) for order in three_orders] == before
        assert ScheduleRun.objects.count() == runs


@pytest.mark.parametrize("role, shown", [("dispatcher", True), ("backoffice_admin", True),
                                         ("cc_operator", False), ("field_technician", False)])
def test_it_shows_the_dispatch_link_only_to_those_who_dispatch(client, user_with_role, role,
                                                               shown):
    client.force_login(user_with_role(role))
    page = client.get("/", follow=True).content.decode()
    assert ('href="/field/board/"' in page) is shown


def test_it_answers_not_found_for_an_order_that_does_not_exist(dispatcher_client):
    assert dispatcher_client.get(f"{BOARD}orders/999999/assign/").status_code == 404
    assert dispatcher_client.post(f"{BOARD}orders/999999/unassign/").status_code == 404
    assert dispatcher_client.post(f"{BOARD}orders/999999/dispatch/").status_code == 404


# The board ----------------------------------------------------------------------


def test_it_shows_the_day_per_technician_and_the_queue(dispatcher_client, day, three_orders,
                                                       technician):
    # Given tomas has one order at 10:00 and two wait in the queue
    assigned, queued, bobs = three_orders

    # When the dispatcher opens the board of that day
    response = dispatcher_client.get(BOARD, {"day": day.isoformat()})

    # Then tomas's row shows his order with its time, customer, zone, kind,
    # state and minutes, and his capacity used
    assert response.status_code == 200
    page = text_of(response)
    tomas = plain(section(page, f"technician-{technician.pk}"))
    assert "Tomás Torres" in tomas
    assert f"10:00 window 10:00–12:00 {assigned.number} Alice Liddell Pleasance" in tomas
    assert "Madrid centro Installation Assigned 60" in tomas
    assert "1 of 8 orders · 60 of 540 min" in tomas
    # and the queue lists the two others with their window and why
    queue = plain(section(page, "queue"))
    assert "Not assigned (2)" in queue
    assert f"12:00–14:00 {queued.number}" in queue
    assert f"14:00–16:00 {bobs.number}" in queue
    assert "Repair Scheduled 90 Not planned yet." in queue
    # and the day's links go to the day before and after
    assert f'href="?day={(day - timedelta(days=1)).isoformat()}"' in page
    assert f'href="?day={(day + timedelta(days=1)).isoformat()}"' in page
    assert "Dispatch all assigned (1)" in plain(page)


def test_it_shows_today_when_no_day_is_asked_or_it_is_malformed(dispatcher_client):
    today = timezone.localdate()
    for query in ({}, {"day": "31/02/2026"}):
        page = text_of(dispatcher_client.get(BOARD, query))
        assert f'name="day" value="{today.isoformat()}"' in page
        assert "Today" in page


def test_it_lists_the_technicians_orders_in_route_order(dispatcher_client, day, make_order,
                                                        book, technician, dispatcher):
    # Given tomas has an order at 14:00 and another at 10:00
    from workforce import services

    later, earlier = make_order(), make_order()
    book(later, 14)
    book(earlier, 10)
    services.schedule_day(day=day, actor=dispatcher)

    # When the board is shown
    page = text_of(dispatcher_client.get(BOARD, {"day": day.isoformat()}))

    # Then the 10:00 one comes first
    row = section(page, f"technician-{technician.pk}")
    assert row.index(earlier.number) < row.index(later.number)


def test_it_marks_late_and_at_risk_orders_in_words(dispatcher_client, day, make_order, book,
                                                   walk):
    # Given at 12:40 an order whose 10-12 window is over, nobody on the way,
    # and an assigned order whose planned 12:00 start has passed
    late = make_order()
    book(late, 10)
    at_risk = walk(make_order(), "assigned", hour=12)
    fine = make_order()
    book(fine, 14)

    # When the dispatcher looks at the board then
    with mock.patch("django.utils.timezone.now", return_value=at(day, 12, 40)):
        page = text_of(dispatcher_client.get(BOARD, {"day": day.isoformat()}))

    # Then the late one says "Late" and the other "At risk", with their row
    # styled too; the one still to come says nothing
    def row(order):
        start = page.rindex("<tr", 0, page.index(f'id="order-{order.pk}"'))
        return page[start:page.index("</tr>", start)]

    assert "⚠ Late" in plain(row(late)) and 'class="late"' in row(late)
    assert "◔ At risk" in plain(row(at_risk)) and 'class="at-risk"' in row(at_risk)
    assert "Late" not in plain(row(fine)) and "At risk" not in plain(row(fine))
    assert "1 late" in plain(page) and "1 at risk" in plain(page)


def test_it_says_when_no_scheduling_ran_and_no_technician_works(dispatcher_client):
    page = plain(text_of(dispatcher_client.get(BOARD)))
    assert "Not run for this day yet." in page
    assert "No technician works this day." in page


# Automatic scheduling -------------------------------------------------------------


def test_it_runs_the_automatic_scheduling_from_the_board(dispatcher_client, dispatcher, day,
                                                         make_order, book, technician,
                                                         other_technician):
    # Given three scheduled orders tomorrow and two technicians
    orders = [make_order() for _ in range(3)]
    for order, hour in zip(orders, (10, 12, 14), strict=True):
        book(order, hour)

    # When the dispatcher runs the scheduler from the board
    response = dispatcher_client.post(f"{BOARD}schedule/", {"day": day.isoformat()})

    # Then every order is assigned to one of them within its window, and
    # the board shows the run's figures
    assert response.status_code == 302
    assert response["Location"] == f"{BOARD}?day={day.isoformat()}"
    for order in orders:
        order.refresh_from_db()
        assert order.state == WorkOrderState.ASSIGNED
        assert order.technician_id in (technician.pk, other_technician.pk)
        assert order.window_start <= order.planned_start <= order.window_end
    run = ScheduleRun.objects.get()
    assert (run.date, run.orders, run.assigned, run.created_by) == (day, 3, 3, dispatcher)
    page = plain(text_of(dispatcher_client.get(response["Location"])))
    assert "Automatic scheduling of" in page
    assert f"3 of 3 orders assigned (first-fit: {run.first_fit_assigned})" in page
    assert f"Assigned 3 / 3 (first-fit: {run.first_fit_assigned})" in page
    assert f"Travel {run.travel_km} km (first-fit: {run.first_fit_travel_km} km)" in page
    assert f"Took {run.seconds} s" in page
    assert "Not assigned (0)" in page


def test_it_shows_why_the_scheduler_left_an_order_in_the_queue(dispatcher_client, dispatcher,
                                                               day, make_order, book,
                                                               technician):
    # Given an order booked with tomas, who then takes the day off
    from workforce import services
    from workforce.models import TechnicianProfile

    order = make_order()
    book(order, 10)
    services.absence_add(technician=TechnicianProfile.objects.get(user=technician),
                         start_date=day, end_date=day, actor=dispatcher)

    # When the scheduler runs
    dispatcher_client.post(f"{BOARD}schedule/", {"day": day.isoformat()})

    # Then the order stays in the queue with the reason
    order.refresh_from_db()
    assert order.state == WorkOrderState.SCHEDULED and order.technician is None
    queue = plain(section(text_of(dispatcher_client.get(BOARD, {"day": day.isoformat()})),
                          "queue"))
    assert order.number in queue
    assert order.unassigned_reason in queue
    assert order.unassigned_reason == "No working technician has the skills."


# Reassigning ----------------------------------------------------------------------


def test_it_offers_the_technicians_who_fit_first(dispatcher_client, three_orders, dispatcher,
                                                 other_zone):
    assigned, queued, _bobs = three_orders
    make_technician("victor", actor=dispatcher, zones=[other_zone], first_name="Víctor")
    page = text_of(dispatcher_client.get(f"{BOARD}orders/{queued.pk}/assign/"))
    fitting = page[page.index('label="With the skills, covering the zone"'):
                   page.index('label="Others"')]
    assert "Tomás" in fitting and "Úrsula" in fitting and "Víctor" not in fitting
    assert "Víctor" in page[page.index('label="Others"'):]
    assert 'name="planned_start" value="12:00"' in page


def test_it_reassigns_an_order_to_another_technician(dispatcher_client, three_orders, day,
                                                     other_technician):
    # Given tomas's order at 10:00
    assigned, _queued, _bobs = three_orders

    # When the dispatcher gives it to ursula at 10:30
    response = dispatcher_client.post(f"{BOARD}orders/{assigned.pk}/assign/", {
        "technician": str(other_technician.pk), "planned_start": "10:30"})

    # Then it is hers at 10:30, and the board says so
    assert response.status_code == 302
    assert response["Location"] == f"{BOARD}?day={day.isoformat()}#order-{assigned.pk}"
    assigned.refresh_from_db()
    assert assigned.technician == other_technician
    assert assigned.planned_start == at(day, 10, 30)
    assert assigned.state == WorkOrderState.ASSIGNED
    event = WorkOrderEvent.objects.filter(work_order=assigned).first()
    assert event.action == "reassigned"
    page = plain(text_of(dispatcher_client.get(response["Location"])))
    assert f"{assigned.number} is assigned to Úrsula Urquijo." in page


def test_it_assigns_a_queued_order_at_the_start_of_its_window_by_default(
        dispatcher_client, three_orders, day, technician):
    _assigned, queued, _bobs = three_orders
    response = dispatcher_client.post(f"{BOARD}orders/{queued.pk}/assign/",
                                      {"technician": str(technician.pk), "planned_start": ""})
    assert response.status_code == 302
    queued.refresh_from_db()
    assert (queued.state, queued.technician, queued.planned_start) == (
        WorkOrderState.ASSIGNED, technician, at(day, 12))


@pytest.mark.parametrize("refusal", ["missing_skill", "outside_zone", "overlap",
                                     "outside_window"])
def test_it_refuses_a_reassignment_that_does_not_fit_and_changes_nothing(
        refusal, dispatcher_client, dispatcher, three_orders, make_order, walk, technician,
        other_technician, other_zone, zone):
    # Given tomas's order at 10:00 and a technician who does not fit
    assigned, _queued, _bobs = three_orders
    if refusal == "missing_skill":
        target = make_technician("victor", actor=dispatcher, zones=[zone], first_name="Víctor",
                                 last_name="Vega", skills=[Skill.SATELLITE_INSTALL])
        data = {"technician": str(target.pk), "planned_start": "10:00"}
        field, message = "technician", "Víctor Vega lacks: Cable installation."
    elif refusal == "outside_zone":
        target = make_technician("victor", actor=dispatcher, zones=[other_zone],
                                 first_name="Víctor", last_name="Vega")
        data = {"technician": str(target.pk), "planned_start": "10:00"}
        field, message = "technician", "Víctor Vega does not cover this address's zone."
    elif refusal == "overlap":
        other = walk(make_order(), "assigned", hour=10, assignee=other_technician)
        assigned, other = other, assigned  # ursula's 10:00 order onto tomas's 10:00 one
        data = {"technician": str(technician.pk), "planned_start": "10:30"}
        field, message = "planned_start", f"It overlaps {other.number} (10:00–11:00)."
    else:
        data = {"technician": str(technician.pk), "planned_start": "15:00"}
        field, message = ("planned_start",
                          "The customer expects the technician between 10:00 and 12:00.")
    before = state_of(assigned)

    # When the dispatcher tries to reassign it
    response = dispatcher_client.post(f"{BOARD}orders/{assigned.pk}/assign/", data)

    # Then the form comes back with the reason next to the field, and
    # nothing changed
    assert response.status_code == 422
    page = text_of(response)
    assert field_errors(page, field) == [message]
    assert "Nothing was changed." in page
    assert state_of(assigned) == before


def test_it_refuses_to_reassign_a_dispatched_order(dispatcher_client, make_order, walk,
                                                   other_technician):
    order = walk(make_order(), "dispatched", hour=10)
    before = state_of(order)
    response = dispatcher_client.post(f"{BOARD}orders/{order.pk}/assign/",
                                      {"technician": str(other_technician.pk)})
    assert response.status_code == 422
    assert "it cannot become “Assigned” from there" in text_of(response)
    assert state_of(order) == before


def test_it_refuses_an_unknown_technician_next_to_the_field(dispatcher_client, three_orders,
                                                            operator):
    assigned, _queued, _bobs = three_orders
    before = state_of(assigned)
    response = dispatcher_client.post(f"{BOARD}orders/{assigned.pk}/assign/",
                                      {"technician": str(operator.pk)})
    assert response.status_code == 422
    assert field_errors(text_of(response), "technician")
    assert state_of(assigned) == before


# Unassigning and dispatching --------------------------------------------------------


def test_it_puts_an_assigned_order_back_in_the_queue(dispatcher_client, three_orders, day):
    assigned, _queued, _bobs = three_orders
    response = dispatcher_client.post(f"{BOARD}orders/{assigned.pk}/unassign/")
    assert response.status_code == 302
    assigned.refresh_from_db()
    assert (assigned.state, assigned.technician, assigned.planned_start) == (
        WorkOrderState.SCHEDULED, None, None)
    page = text_of(dispatcher_client.get(response["Location"]))
    assert f"{assigned.number} is back in the queue." in plain(page)
    assert assigned.number in section(page, "queue")


def test_it_refuses_to_unassign_a_dispatched_order_and_says_why(dispatcher_client, make_order,
                                                                walk):
    order = walk(make_order(), "dispatched", hour=10)
    before = state_of(order)
    response = dispatcher_client.post(f"{BOARD}orders/{order.pk}/unassign/", follow=True)
    assert state_of(order) == before
    assert (f"Work order {order.number} is “Dispatched”: it cannot become “Scheduled” "
            "from there.") in plain(text_of(response))


def test_it_dispatches_one_order(dispatcher_client, three_orders):
    assigned, _queued, _bobs = three_orders
    response = dispatcher_client.post(f"{BOARD}orders/{assigned.pk}/dispatch/", follow=True)
    assigned.refresh_from_db()
    assert assigned.state == WorkOrderState.DISPATCHED
    assert f"{assigned.number} was sent to its technician." in plain(text_of(response))


def test_it_dispatches_every_assigned_order_of_the_day(dispatcher_client, day, make_order,
                                                       walk, technician, other_technician):
    # Given two assigned orders of two technicians and one still in the queue
    first = walk(make_order(), "assigned", hour=10)
    second = walk(make_order(), "assigned", hour=12, assignee=other_technician)
    waiting = make_order()
    walk(waiting, "scheduled", hour=14)

    # When the dispatcher dispatches all
    response = dispatcher_client.post(f"{BOARD}dispatch/", {"day": day.isoformat()},
                                      follow=True)

    # Then both assigned ones are dispatched, the queued one is untouched
    for order, state in ((first, "dispatched"), (second, "dispatched"),
                         (waiting, "scheduled")):
        order.refresh_from_db()
        assert order.state == state
    assert "2 orders sent to their technicians." in plain(text_of(response))


def test_it_dispatches_one_technicians_day(dispatcher_client, day, make_order, walk, technician,
                                           other_technician):
    mine = walk(make_order(), "assigned", hour=10)
    hers = walk(make_order(), "assigned", hour=12, assignee=other_technician)
    response = dispatcher_client.post(f"{BOARD}dispatch/", {
        "day": day.isoformat(), "technician": str(technician.pk)}, follow=True)
    mine.refresh_from_db()
    hers.refresh_from_db()
    assert (mine.state, hers.state) == (WorkOrderState.DISPATCHED, WorkOrderState.ASSIGNED)
    assert "1 order sent to Tomás Torres." in plain(text_of(response))


def test_it_says_so_when_there_is_nothing_to_dispatch(dispatcher_client, day):
    response = dispatcher_client.post(f"{BOARD}dispatch/", {"day": day.isoformat()}, follow=True)
    assert "There was no assigned order to dispatch." in plain(text_of(response))


def test_it_keeps_the_board_to_a_few_queries_whatever_the_day(
        dispatcher_client, day, make_order, walk, technician, other_technician,
        django_assert_max_num_queries):
    # Given a busy day for two technicians
    for hour in (8, 10, 12, 14):
        walk(make_order(), "assigned", hour=hour)
        walk(make_order(), "assigned", hour=hour, assignee=other_technician)
    walk(make_order(), "scheduled", hour=14)

    # Then the board costs a bounded number of queries
    with django_assert_max_num_queries(10):
        response = dispatcher_client.get(BOARD, {"day": day.isoformat()})
    assert response.status_code == 200
