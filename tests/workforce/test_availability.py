"""Slot search: the windows a technician with the skills, in the zone, at
work that day, within their hours and with room left can take; none in
the past."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.workforce.conftest import make_address, make_technician, profile_of, window
from workforce import availability, services
from workforce.choices import Skill

pytestmark = pytest.mark.django_db

ALL_HOURS = [8, 10, 12, 14]  # 16-18 ends after a 17:00 shift


def offered(order, first, last=None) -> list[tuple]:
    return [(slot.date, timezone.localtime(slot.start).hour, slot.technicians)
            for slot in availability.free_slots(order, first, last or first)]


def hours(order, day) -> list[int]:
    return [hour for _day, hour, _count in offered(order, day)]


def test_it_offers_every_window_of_the_shift(make_order, technician, tomorrow):
    order = make_order()
    slots = availability.free_slots(order, tomorrow, tomorrow)
    assert [(slot.start, slot.end, slot.technicians) for slot in slots] == [
        (*window(tomorrow, hour), 1) for hour in ALL_HOURS]
    assert slots[0].key == window(tomorrow, 8)[0].isoformat()


def test_it_counts_the_technicians_who_could_go(make_order, technician, other_technician,
                                                tomorrow):
    assert offered(make_order(), tomorrow) == [(tomorrow, hour, 2) for hour in ALL_HOURS]


def test_a_technician_without_the_skill_offers_nothing(make_order, technician, tomorrow):
    assert offered(make_order(skills=[Skill.SATELLITE_INSTALL]), tomorrow) == []
    # every skill is needed, not just one of them
    assert offered(make_order(skills=[Skill.CABLE_INSTALL, Skill.SITE_SURVEY]), tomorrow) == []


def test_an_address_outside_every_covered_zone_has_no_slots(make_order, technician, other_zone,
                                                            alice_customer, operator, tomorrow):
    uncovered = make_address(alice_customer, actor=operator, postal_code="08010")
    nowhere = make_address(alice_customer, actor=operator, postal_code="41001")
    order = make_order(address=uncovered)
    assert order.zone == other_zone
    assert offered(order, tomorrow, tomorrow + timedelta(days=6)) == []
    order = make_order(address=nowhere)
    assert order.zone is None
    assert offered(order, tomorrow, tomorrow + timedelta(days=6)) == []


def test_only_working_days_are_offered(make_order, technician, dispatcher, tomorrow):
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"work_days": [tomorrow.weekday()]})
    week = offered(make_order(), tomorrow, tomorrow + timedelta(days=7))
    assert sorted({day for day, _hour, _count in week}) == [tomorrow, tomorrow + timedelta(7)]


def test_a_morning_shift_offers_only_the_morning_windows(make_order, technician, dispatcher,
                                                         tomorrow):
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"shift_start": time(8), "shift_end": time(13)})
    assert hours(make_order(), tomorrow) == [8, 10]


def test_an_absent_technician_offers_nothing_those_days(make_order, technician, dispatcher,
                                                        tomorrow):
    services.absence_add(technician=profile_of(technician), start_date=tomorrow,
                         end_date=tomorrow + timedelta(days=1), actor=dispatcher)
    days = {day for day, _hour, _count in offered(make_order(), tomorrow,
                                                  tomorrow + timedelta(days=2))}
    assert days == {tomorrow + timedelta(days=2)}


def test_an_inactive_technician_offers_nothing(make_order, technician, dispatcher, tomorrow):
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"is_active": False})
    assert offered(make_order(), tomorrow) == []


def test_a_full_day_disappears(make_order, book, technician, dispatcher, tomorrow, bob_customer,
                               bob_address):
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"daily_capacity": 1})
    booked = make_order()
    book(booked, 8)
    other = make_order(customer=bob_customer, address=bob_address)
    assert offered(other, tomorrow, tomorrow + timedelta(days=1)) == [
        (tomorrow + timedelta(days=1), hour, 1) for hour in ALL_HOURS]
    # the order's own appointment does not stand in its own way
    assert hours(booked, tomorrow) == ALL_HOURS


def test_a_window_with_no_minutes_left_disappears(make_order, book, technician, tomorrow):
    book(make_order(minutes=60), 10)
    assert hours(make_order(minutes=60), tomorrow) == ALL_HOURS
    book(make_order(minutes=60), 10)
    # two hours of visits already arrive between 10 and 12
    assert hours(make_order(minutes=30), tomorrow) == [8, 12, 14]


def test_a_day_with_no_minutes_left_disappears(make_order, book, technician, tomorrow):
    # an 08:00-12:00 shift holds 240 minutes; a three-hour visit takes 180
    profile = profile_of(technician)
    profile.shift_start, profile.shift_end = time(8), time(12)
    profile.save()
    book(make_order(minutes=180), 8)
    assert hours(make_order(minutes=60), tomorrow) == [10]
    assert hours(make_order(minutes=70), tomorrow) == []


def test_a_visit_longer_than_a_window_fits_an_empty_one(make_order, book, technician,
                                                        tomorrow):
    order = make_order(minutes=190)
    # it must also end by 17:00: not arriving at 14:00
    assert hours(order, tomorrow) == [8, 10, 12]
    book(order, 8)
    assert hours(make_order(minutes=190), tomorrow) == [10, 12]


def test_a_window_whose_earliest_visit_ends_after_the_shift_is_not_offered(
        make_order, technician, tomorrow):
    assert hours(make_order(minutes=150), tomorrow) == [8, 10, 12, 14]
    assert hours(make_order(minutes=190), tomorrow) == [8, 10, 12]


def test_past_windows_are_never_offered(make_order, technician, tomorrow, monkeypatch):
    order = make_order()
    now = timezone.make_aware(datetime.combine(tomorrow, time(10, 0)))
    monkeypatch.setattr(timezone, "now", lambda: now)
    # the 10:00 window has begun: not offered
    assert hours(order, tomorrow) == [12, 14]
    assert offered(order, tomorrow - timedelta(days=3), tomorrow - timedelta(days=1)) == []


def test_candidates_least_loaded_first(make_order, book, technician, other_technician,
                                       tomorrow, bob_customer, bob_address):
    first = book(make_order(), 8)
    loaded = first.technician
    order = make_order(customer=bob_customer, address=bob_address)
    candidates = availability.candidates_for(order, window(tomorrow, 12)[0])
    assert [profile.user for profile in candidates][-1] == loaded.user
    assert len(candidates) == 2
    # not a window start: nobody
    assert availability.candidates_for(
        order, window(tomorrow, 12)[0] + timedelta(minutes=30)) == []


def test_a_technician_is_only_asked_within_the_shift(make_order, technician, dispatcher,
                                                     tomorrow):
    services.technician_profile_save(technician=technician, actor=dispatcher,
                                     data={"shift_start": time(12), "shift_end": time(17)})
    order = make_order()
    assert availability.candidates_for(order, window(tomorrow, 10)[0]) == []
    assert [profile.user for profile in availability.candidates_for(
        order, window(tomorrow, 12)[0])] == [technician]


def test_window_at_knows_the_offered_windows(tomorrow):
    start, end = window(tomorrow, 16)
    assert availability.window_at(start) == (start, end)
    assert availability.window_at(start.astimezone(UTC)) == (start, end)
    assert availability.window_at(start + timedelta(hours=1)) is None


def test_make_technician_default_covers_every_day(technician):
    assert profile_of(technician).work_days == list(range(7))


def test_a_new_technician_added_to_the_zone_counts(make_order, technician, dispatcher, zone,
                                                   tomorrow):
    make_technician("vera", actor=dispatcher, zones=[zone])
    assert {count for _day, _hour, count in offered(make_order(), tomorrow)} == {2}
