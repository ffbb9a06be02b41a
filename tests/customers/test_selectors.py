from datetime import timedelta

import pytest
from django.utils import timezone

from customers import selectors, services
from sesmu.errors import NotFound
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def test_it_shows_staff_every_customer_and_a_portal_customer_only_theirs(
    operator, alice, bob, alice_customer, bob_customer
):
    assert set(selectors.customer_list_visible_to(actor=operator)) == {alice_customer,
                                                                      bob_customer}
    assert list(selectors.customer_list_visible_to(actor=alice)) == [alice_customer]
    assert list(selectors.customer_list_visible_to(actor=bob)) == [bob_customer]


def test_it_answers_not_found_alike_for_missing_and_forbidden(bob, alice_customer):
    with pytest.raises(NotFound):
        selectors.access_customer(actor=bob, customer_id=alice_customer.pk)
    with pytest.raises(NotFound):
        selectors.access_customer(actor=bob, customer_id=999999)
    with pytest.raises(NotFound):
        selectors.access_customer(actor=bob, customer_id="not-a-number")


def test_it_shows_nothing_to_a_role_without_the_permission(user_with_role, alice_customer):
    nobody = user_with_role(None)
    assert list(selectors.customer_list_visible_to(actor=nobody)) == []
    assert list(selectors.interaction_list_visible_to(actor=nobody)) == []
    technician = user_with_role("field_technician")
    assert list(selectors.customer_list_visible_to(actor=technician)) == [alice_customer]
    assert list(selectors.interaction_list_visible_to(actor=technician)) == []


def test_it_never_shows_bob_what_hangs_from_alice(operator, bob, alice_customer, bob_customer):
    services.service_user_create(actor=operator, customer=alice_customer, given_name="Dinah")
    services.interaction_record(actor=operator, customer=alice_customer, topic="sales",
                                outcome="resolved", summary="secret")
    for selector in (selectors.service_user_list_visible_to, selectors.interaction_list_visible_to,
                     selectors.contact_list_visible_to, selectors.address_list_visible_to,
                     selectors.billing_account_list_visible_to):
        assert all(row.customer_id == bob_customer.pk for row in selector(actor=bob))


class TestSearch:
    def test_it_finds_by_number_with_or_without_prefix_and_zeros(self, operator, alice_customer):
        for text in ("C00000001", "c1", "1", "00000001"):
            assert selectors.customer_search_by_number(actor=operator, text=text) == [
                alice_customer]
        assert selectors.customer_search_by_number(actor=operator, text="C2") == []
        assert selectors.customer_search_by_number(actor=operator, text="alice") == []

    def test_it_finds_by_document_in_any_form(self, operator, alice_customer):
        for text in ("12345678Z", "12345678-z", "12.345.678 Z"):
            assert selectors.customer_search_by_document(actor=operator, text=text,
                                                         limit=5) == [alice_customer]

    def test_it_finds_by_phone_and_email(self, operator, alice_customer):
        for text in ("600111222", "+34 600 11 12 22", "ALICE@example.com"):
            hits = selectors.customer_search_by_contact(actor=operator, text=text, limit=5)
            assert [customer for customer, _ in hits] == [alice_customer]

    def test_it_finds_names_by_word_prefixes_ignoring_accents(self, operator):
        maria = make_customer(actor=operator, given_name="María José",
                              family_name="García Núñez")
        make_customer(actor=operator, given_name="Mario", family_name="Garcés Ruiz")
        found, more = selectors.customer_search_by_name(actor=operator, text="maria garc",
                                                        limit=10)
        assert (found, more) == ([maria], False)
        found, _ = selectors.customer_search_by_name(actor=operator, text="NUÑEZ", limit=10)
        assert found == [maria]
        found, _ = selectors.customer_search_by_name(actor=operator, text="arcia", limit=10)
        assert found == []  # words match from their start, not in the middle

    def test_it_says_when_there_are_more_names_than_it_shows(self, operator):
        for index in range(4):
            make_customer(actor=operator, given_name=f"Luis{index}", family_name="Pérez Gil")
        found, more = selectors.customer_search_by_name(actor=operator, text="perez", limit=3)
        assert (len(found), more) == (3, True)

    def test_it_ignores_punctuation_and_too_short_text(self, operator, alice_customer):
        assert selectors.customer_search_by_name(actor=operator, text="'; drop table --",
                                                 limit=5) == ([], False)
        assert selectors.customer_search_by_name(actor=operator, text="a", limit=5) == ([],
                                                                                        False)

    def test_it_searches_only_what_the_actor_may_see(self, bob, alice_customer):
        assert selectors.customer_search_by_number(actor=bob, text=alice_customer.number) == []
        assert selectors.customer_search_by_name(actor=bob, text="alice", limit=5) == ([],
                                                                                       False)


def test_it_merges_interactions_and_events_newest_first(operator, alice_customer):
    old = services.interaction_record(
        actor=operator, customer=alice_customer, topic="sales", outcome="resolved",
        summary="old call", started_at=timezone.now() - timedelta(days=3),
        ended_at=timezone.now() - timedelta(days=3) + timedelta(minutes=2),
    )
    new = services.interaction_record(actor=operator, customer=alice_customer, topic="billing",
                                      outcome="resolved", summary="new call")
    entries, more = selectors.customer_timeline(customer=alice_customer, limit=10)
    assert more is False
    assert entries[0].item == new
    assert entries[-1].item == old
    assert [entry.kind for entry in entries].count("event") == 1  # "created"
    page, more = selectors.customer_timeline(customer=alice_customer, limit=1)
    assert (len(page), more) == (1, True)
    older, _ = selectors.customer_timeline(customer=alice_customer, limit=10,
                                           before=entries[1].when)
    assert [entry.item for entry in older] == [old]


def test_it_reads_the_timeline_in_two_queries_whatever_its_length(
    operator, alice_customer, django_assert_num_queries
):
    for index in range(30):
        services.interaction_record(actor=operator, customer=alice_customer, topic="sales",
                                    outcome="resolved", summary=f"call {index}")
    with django_assert_num_queries(2):
        entries, more = selectors.customer_timeline(customer=alice_customer, limit=20)
        [entry.item.operator for entry in entries if entry.kind == "interaction"]
    assert (len(entries), more) == (20, True)
