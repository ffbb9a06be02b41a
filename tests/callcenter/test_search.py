"""The desk's one search box: an exact hit opens the customer, several show a
list with what matched, nothing offers to register a prospect."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.safestring import SafeString

from callcenter.search import search_everything
from callcenter.templatetags.desk import highlight
from customers import services
from customers.models import Customer
from tests.factories import make_customer
from tests.pages import database_snapshot, field_block


def customer_url(customer) -> str:
    return f"/desk/customers/{customer.pk}/"


def result_titles(page: str) -> list[str]:
    return [re.sub(r"<[^>]+>", "", title)
            for title in re.findall(r'<span class="title">(.*?)</span>', page, re.DOTALL)]


@pytest.fixture
def alices_account(operator, alice_customer):
    return services.billing_account_create(actor=operator, customer=alice_customer,
                                           name="Main account",
                                           delivery_email="alice@example.com",
                                           iban="ES9121000418450200051332")


@pytest.fixture
def garcias(operator):
    return [
        make_customer(actor=operator, given_name="María", family_name="García López"),
        make_customer(actor=operator, given_name="Mario", family_name="García Ruiz"),
    ]


# One exact hit opens the customer ---------------------------------------------


def test_it_opens_the_customer_of_an_exact_number(client, operator, alice_customer,
                                                  bob_customer):
    client.force_login(operator)
    number = alice_customer.number

    for query in (number, number.lower(), number.lstrip("C"), str(int(number[1:])),
                  f"c{int(number[1:])}", f"  {number}  "):
        response = client.get("/desk/search/", {"q": query})

        assert (query, response.status_code, response["Location"]) == (
            query, 302, customer_url(alice_customer)
        )


def test_it_opens_the_customer_of_a_billing_account_number(client, operator, alices_account,
                                                           bob_customer):
    client.force_login(operator)
    number = alices_account.number

    for query in (number, number.lower(), f"A{int(number[1:])}"):
        response = client.get("/desk/search/", {"q": query})

        assert (query, response.status_code, response["Location"]) == (
            query, 302, f"/desk/customers/{alices_account.customer_id}/"
        )


@pytest.mark.parametrize("query", ["12345678Z", "12345678z", "12345678-Z", "12 345 678 z",
                                   "12.345.678-z"])
def test_it_opens_the_customer_of_a_document_however_it_is_typed(client, operator,
                                                                 alice_customer, bob_customer,
                                                                 query):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": query})

    assert response.status_code == 302
    assert response["Location"] == customer_url(alice_customer)


@pytest.mark.parametrize("query", ["600 111 222", "600111222", "+34600111222",
                                   "+34 600 111 222", "0034 600 111 222", "(+34) 600-111-222"])
def test_it_opens_the_customer_of_a_phone_however_it_is_typed(client, operator, alice_customer,
                                                              bob_customer, query):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": query})

    assert response.status_code == 302
    assert response["Location"] == customer_url(alice_customer)


@pytest.mark.parametrize("query", ["alice@example.com", "ALICE@Example.COM",
                                   " alice@example.com "])
def test_it_opens_the_customer_of_an_email_in_any_case(client, operator, alice_customer,
                                                       bob_customer, query):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": query})

    assert response.status_code == 302
    assert response["Location"] == customer_url(alice_customer)


def test_it_opens_the_only_customer_with_a_name(client, operator, alice_customer,
                                               bob_customer):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": "Liddell"})

    assert response.status_code == 302
    assert response["Location"] == customer_url(alice_customer)


def test_it_opens_a_single_hit_in_the_whole_browser_for_htmx(client, operator, alice_customer):
    # htmx would follow a plain redirect into the results box
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": alice_customer.number}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    assert response["HX-Redirect"] == customer_url(alice_customer)


def test_it_lists_a_single_hit_when_asked_for_the_list(client, operator, alice_customer):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": alice_customer.number, "list": "1"})

    assert response.status_code == 200
    assert result_titles(response.content.decode()) == [
        f"{alice_customer.number} · Alice Liddell Pleasance"
    ]


def test_it_lists_every_customer_sharing_a_phone(client, operator, alice_customer):
    # Given Alice's brother, who gave the same home phone
    brother = make_customer(actor=operator, given_name="Harry", family_name="Liddell",
                            phone="600 111 222")
    client.force_login(operator)

    # When the operator searches that phone
    response = client.get("/desk/search/", {"q": "600 111 222"})

    # Then both are listed, with the phone as what matched
    assert response.status_code == 200
    page = response.content.decode()
    assert result_titles(page) == [
        f"{alice_customer.number} · Alice Liddell Pleasance",
        f"{brother.number} · Harry Liddell",
    ]
    assert page.count('<span class="tag">Phone: <mark>600 11 12 22</mark></span>') == 2


# Names ------------------------------------------------------------------------


def test_it_lists_the_customers_matching_a_name_with_the_words_marked(client, operator,
                                                                      garcias, alice_customer):
    # Given María García and Mario García
    client.force_login(operator)

    # When the operator types part of both names, without accents
    response = client.get("/desk/search/", {"q": "mar garcia"})

    # Then both are listed, the typed words marked in their names
    assert response.status_code == 200
    page = response.content.decode()
    assert "2 matches." in page
    assert result_titles(page) == [
        f"{garcias[0].number} · María García López",
        f"{garcias[1].number} · Mario García Ruiz",
    ]
    assert f"{garcias[0].number} · <mark>Mar</mark>ía <mark>García</mark> López" in page
    assert f"{garcias[1].number} · <mark>Mar</mark>io <mark>García</mark> Ruiz" in page
    assert f'href="{customer_url(garcias[0])}"' in page
    assert f'href="{customer_url(garcias[1])}"' in page


def test_it_returns_only_the_list_to_htmx(client, operator, garcias):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": "garcia"}, HTTP_HX_REQUEST="true")

    assert response.status_code == 200
    page = response.content.decode()
    assert page.lstrip().startswith('<div id="search-results">')
    assert "<html" not in page
    assert len(result_titles(page)) == 2


def test_it_says_when_more_customers_match_than_it_shows(client, operator):
    # Given 21 customers called Pérez
    for index in range(21):
        make_customer(actor=operator, given_name=f"Ana{index}", family_name="Pérez", seed=index)
    client.force_login(operator)

    # When the operator searches the name
    response = client.get("/desk/search/", {"q": "perez"})

    # Then 20 are shown and the operator is told to add words
    page = response.content.decode()
    assert response.status_code == 200
    assert len(result_titles(page)) == 20
    assert "Showing the first 20 matches; there are more. Add words to narrow the search." in page


def test_it_costs_the_same_queries_for_two_names_or_twenty(client, operator):
    # Given 2 customers called Pérez and 20 called Gómez
    for index in range(2):
        make_customer(actor=operator, given_name=f"Ana{index}", family_name="Pérez", seed=index)
    for index in range(20):
        make_customer(actor=operator, given_name=f"Eva{index}", family_name="Gómez",
                      seed=100 + index)
    client.force_login(operator)
    client.get("/desk/")

    # When the operator searches each name
    with CaptureQueriesContext(connection) as two:
        few = client.get("/desk/search/", {"q": "perez"})
    with CaptureQueriesContext(connection) as twenty:
        many = client.get("/desk/search/", {"q": "gomez"})

    # Then both lists cost the same few queries
    assert (len(result_titles(few.content.decode())), len(result_titles(many.content.decode()))) \
        == (2, 20)
    assert len(two.captured_queries) == len(twenty.captured_queries) <= 5


# Nothing found ----------------------------------------------------------------


def test_it_offers_to_register_a_prospect_when_nothing_matches(client, operator, alice_customer):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": "Juan Pérez Gómez"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "No customer matches “Juan Pérez Gómez”." in page
    assert ('<a class="button" href="/desk/customers/new/?q=Juan%20P%C3%A9rez%20G%C3%B3mez">'
            "Create a prospect</a>") in page


def test_it_prefills_the_prospect_with_the_name_searched(client, operator):
    client.force_login(operator)

    page = client.get("/desk/customers/new/", {"q": "Juan Pérez Gómez"}).content.decode()

    assert 'value="Juan"' in field_block(page, "given_name")
    assert 'value="Pérez Gómez"' in field_block(page, "family_name")
    assert "value=" not in field_block(page, "document_number")


@pytest.mark.parametrize(("query", "document_type"), [
    ("12345678Z", "nif"), ("X1234567L", "nie"), ("AB1234567", "nif"),
])
def test_it_prefills_the_prospect_with_the_document_searched(client, operator, query,
                                                            document_type):
    client.force_login(operator)

    page = client.get("/desk/customers/new/", {"q": query}).content.decode()

    assert f'value="{query}"' in field_block(page, "document_number")
    assert f'<option value="{document_type}" selected>' in field_block(page, "document_type")
    assert '<option value="person" selected>' in field_block(page, "kind")
    assert "value=" not in field_block(page, "given_name")


def test_it_prefills_an_organisation_for_a_cif_searched(client, operator):
    client.force_login(operator)

    page = client.get("/desk/customers/new/", {"q": "A58818501"}).content.decode()

    assert 'value="A58818501"' in field_block(page, "document_number")
    assert '<option value="cif" selected>' in field_block(page, "document_type")
    assert '<option value="organisation" selected>' in field_block(page, "kind")


def test_it_creates_the_prospect_prefilled_from_the_search(client, operator):
    # Given an operator who searched a caller nobody knows and followed the link
    client.force_login(operator)
    page = client.get("/desk/customers/new/", {"q": "Juan Pérez Gómez"}).content.decode()
    assert 'value="Juan"' in field_block(page, "given_name")

    # When they add the document and save
    response = client.post("/desk/customers/new/?q=Juan%20P%C3%A9rez%20G%C3%B3mez", {
        "kind": "person", "given_name": "Juan", "family_name": "Pérez Gómez",
        "document_type": "nif", "document_number": "00000000T", "document_country": "ES",
        "language": "es", "segment": "residential",
    })

    # Then the prospect exists and its page opens
    customer = Customer.objects.get(document_number="00000000T")
    assert (customer.display_name, customer.status) == ("Juan Pérez Gómez", "prospect")
    assert response.status_code == 302
    assert response["Location"] == customer_url(customer)


def test_it_prefills_the_prospect_with_the_phone_searched(client, operator):
    client.force_login(operator)

    page = client.get("/desk/customers/new/", {"q": "611 222 333"}).content.decode()

    assert 'value="611 222 333"' in field_block(page, "phone")
    assert "value=" not in field_block(page, "document_number")


def test_it_prefills_the_prospect_with_the_email_searched(client, operator):
    client.force_login(operator)

    page = client.get("/desk/customers/new/", {"q": "juan@example.com"}).content.decode()

    assert 'value="juan@example.com"' in field_block(page, "email")
    assert "value=" not in field_block(page, "given_name")


def test_it_does_not_offer_a_prospect_to_a_role_that_may_not_create_one(client,
                                                                         user_with_role):
    client.force_login(user_with_role("dispatcher"))

    response = client.get("/desk/search/", {"q": "Juan Pérez"})

    assert response.status_code == 200
    page = response.content.decode()
    assert "No customer matches “Juan Pérez”." in page
    assert "Create a prospect" not in page


@pytest.mark.parametrize("query", ["", "   ", "\t\n"])
def test_it_asks_for_something_to_search(client, operator, alice_customer, query):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": query})

    assert response.status_code == 200
    assert '<p class="empty">Type something to search.</p>' in response.content.decode()


def test_it_asks_for_something_to_search_without_a_query(client, operator):
    client.force_login(operator)

    response = client.get("/desk/search/")

    assert response.status_code == 200
    assert "Type something to search." in response.content.decode()


@pytest.mark.parametrize("query", [
    "a" * 10_000, "mar " * 2_500, "1" * 10_000, "+34 " + "6" * 9_996, "@" * 10_000,
    "%_'\"\\" * 2_000, "C" + "0" * 9_999,
], ids=["letters", "words", "digits", "phone", "at_signs", "wildcards", "customer_number"])
def test_it_survives_a_very_long_query(client, operator, garcias, query):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": query})

    assert response.status_code == 200
    assert len(response.context["query"]) == 200


def test_it_escapes_what_was_typed(client, operator):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": "<script>alert(1)</script>"})

    page = response.content.decode()
    assert "<script>alert(1)" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_it_escapes_the_names_it_lists(client, operator):
    # Given a customer whose name was typed with markup in it
    customer = make_customer(actor=operator, given_name="<img src=x onerror=alert(1)>",
                             family_name="Hara & Sons")
    client.force_login(operator)

    # When the operator searches the name
    response = client.get("/desk/search/", {"q": "hara", "list": "1"})

    # Then the name is shown as text, with the match marked
    page = response.content.decode()
    assert "<img src=x" not in page
    assert (f"{customer.number} · &lt;img src=x onerror=alert(1)&gt; <mark>Hara</mark> "
            "&amp; Sons" in page)


@pytest.mark.parametrize("query", ["hara", "o'hara", "O’Hara"])
def test_it_finds_a_name_written_with_an_apostrophe(client, operator, query):
    customer = make_customer(actor=operator, given_name="Maureen", family_name="O'Hara")
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": query})

    assert response.status_code == 302
    assert response["Location"] == customer_url(customer)


def test_it_treats_like_wildcards_as_plain_text(client, operator, garcias):
    client.force_login(operator)

    response = client.get("/desk/search/", {"q": "%"})

    assert response.status_code == 200
    assert result_titles(response.content.decode()) == []


# Who may search ---------------------------------------------------------------


def test_it_refuses_the_search_to_a_portal_customer(client, alice, bob_customer):
    # Given Alice logged in to the portal
    client.force_login(alice)
    before = database_snapshot()

    # When she tries the desk's search for Bob
    response = client.get("/desk/search/", {"q": "Bob"})

    # Then she is refused and learns nothing
    assert response.status_code == 403
    page = response.content.decode()
    assert "Bob Builder" not in page
    assert bob_customer.number not in page
    assert database_snapshot() == before


def test_it_refuses_the_search_to_a_user_without_a_role(client, user_with_role, alice_customer):
    client.force_login(user_with_role(None))

    response = client.get("/desk/search/", {"q": "Alice"})

    assert response.status_code == 403
    assert "Alice Liddell" not in response.content.decode()


@pytest.mark.parametrize("query", ["Bob", "C00000002", "87654321X", "600 333 444",
                                   "bob@example.com", "Alice"])
def test_it_never_finds_for_a_portal_customer_what_is_not_theirs(alice, alice_customer,
                                                                bob_customer, query):
    # Given Alice's portal login (the desk refuses her; the search itself
    # must not leak either)
    # When the search runs as Alice
    result = search_everything(query=query, actor=alice)

    # Then it finds nothing of Bob's, only Alice herself
    assert {hit.target for hit in result.hits} <= {f"customer:{alice_customer.pk}"}


def test_it_finds_nothing_for_a_user_without_a_role(user_with_role, alice_customer):
    result = search_everything(query="Alice", actor=user_with_role(None))

    assert result.hits == []


def test_it_finds_no_customer_by_an_account_a_role_may_not_see(user_with_role, alices_account):
    # Given a dispatcher, who may see customers but not billing accounts
    dispatcher = user_with_role("dispatcher")

    # When they search an account number
    result = search_everything(query=alices_account.number, actor=dispatcher)

    # Then the account does not lead them to its customer
    assert result.hits == []


@pytest.mark.parametrize("query", ["600 111 222", "alice@example.com"])
def test_it_finds_no_customer_by_a_contact_a_role_may_not_see(user_with_role, alice_customer,
                                                              query):
    # Given an inventory clerk, who may see customers but not their contacts
    clerk = user_with_role("inventory_clerk")

    result = search_everything(query=query, actor=clerk)

    assert result.hits == []


# The highlight filter ---------------------------------------------------------


@pytest.mark.parametrize(("text", "query", "expected"), [
    ("María García", "garcia", "María <mark>García</mark>"),
    ("MARÍA GARCÍA", "maria", "<mark>MARÍA</mark> GARCÍA"),
    ("García", "GARCÍA", "<mark>García</mark>"),
    ("María García", "mar gar", "<mark>Mar</mark>ía <mark>Gar</mark>cía"),
    ("Ana  García", "garcia", "Ana  <mark>García</mark>"),
    (" Ana García", "ana", " <mark>Ana</mark> García"),
    ("María", "mar maria", "<mark>María</mark>"),
    ("Anna", "an na", "<mark>Anna</mark>"),
    ("Ana", "a", "Ana"),
    ("Ana", "", "Ana"),
    ("Ana", None, "Ana"),
    ("", "ana", ""),
    (None, "ana", ""),
    ("C00000001 · Ana", "c00000001", "<mark>C00000001</mark> · Ana"),
    ("1+1=2 (a.b)", "(a.", "1+1=2 <mark>(a.</mark>b)"),
    ("Garci\u0301a", "garci", "<mark>Garci\u0301</mark>a"),
    ("Ga\ufb01e", "fie", "Ga<mark>\ufb01e</mark>"),
])
def test_it_marks_the_words_of_the_query(text, query, expected):
    result = highlight(text, query)

    assert result == expected
    assert isinstance(result, SafeString)


@pytest.mark.parametrize(("text", "query", "expected"), [
    ("<b>Ana</b>", "ana", "&lt;b&gt;<mark>Ana</mark>&lt;/b&gt;"),
    ("<script>x</script>", "script", "&lt;<mark>script</mark>&gt;x&lt;/<mark>script</mark>&gt;"),
    ("O'Brien & Sons", "brien", "O&#x27;<mark>Brien</mark> &amp; Sons"),
    ("Ana", "<mark>", "Ana"),
    ("a<b", "a<b", "<mark>a&lt;b</mark>"),
])
def test_it_escapes_the_text_it_marks(text, query, expected):
    assert highlight(text, query) == expected
