"""The main journey of a call-center operator, in a real browser."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from customers import services
from customers.models import Interaction
from tests.e2e.conftest import log_in, screenshot
from tests.factories import make_customer

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]

PASSWORD = "Desk-password-2026"


@pytest.fixture
def desk_operator(operator):
    operator.set_password(PASSWORD)
    operator.save()
    return operator


def test_it_finds_a_customer_and_records_the_call_on_the_timeline(page, desk_operator):
    # Given a customer with an account, and another with a similar name
    customer = make_customer(actor=desk_operator, given_name="Lucía", family_name="Fernández Soto",
                             phone="600 123 456", email="lucia@example.com")
    make_customer(actor=desk_operator, given_name="Lucas", family_name="Fernández Ruiz")
    services.billing_account_create(actor=desk_operator, customer=customer, name="Casa",
                                    delivery_email="lucia@example.com",
                                    iban="ES9121000418450200051332")

    # When the operator logs in, the search box has the focus
    log_in(page, "olga", PASSWORD)
    expect(page.locator("#search-box")).to_be_focused()

    # and a search by name lists both, with the matched words marked
    page.locator("#search-box").fill("fernandez")
    page.keyboard.press("Enter")
    expect(page.locator(".results li")).to_have_count(2)
    expect(page.locator(".results mark").first).to_have_text("Fernández")
    screenshot(page, "desk-search-results")

    # and the operator opens Lucía's 360 page
    page.get_by_role("link", name="Lucía Fernández Soto").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Lucía Fernández Soto")
    expect(page.locator("#panel-accounts")).to_contain_text("ES91 **** **** **** **** 1332")
    expect(page.locator("#panel-contacts")).to_contain_text("600 12 34 56")

    # and records the interaction of the current call
    form = page.locator(".interaction-form")
    form.get_by_label("Topic").select_option("billing")
    form.get_by_label("Outcome").select_option("resolved")
    form.get_by_label("Summary").fill("Asked why the bill went up; explained the new price.")
    form.get_by_role("button", name="Save interaction").click()

    # Then the call is at the top of the timeline without leaving the page
    expect(page.locator(".saved-note")).to_be_visible()
    first_entry = page.locator("#timeline-entries > li").first
    expect(first_entry).to_contain_text("Asked why the bill went up")
    expect(first_entry).to_contain_text("Billing")
    screenshot(page, "desk-customer-360")
    interaction = Interaction.objects.get()
    assert (interaction.customer, interaction.operator) == (customer, desk_operator)
    assert interaction.call_center is not None


def test_it_shows_an_empty_summary_error_next_to_the_field(page, desk_operator):
    customer = make_customer(actor=desk_operator, given_name="Pablo", family_name="Ruiz Gil")
    log_in(page, "olga", PASSWORD)
    page.goto(f"/desk/customers/{customer.pk}/")
    form = page.locator(".interaction-form")
    form.get_by_label("Topic").select_option("sales")
    form.get_by_label("Outcome").select_option("resolved")
    form.get_by_role("button", name="Save interaction").click()
    expect(page.locator(".interaction-form .has-error")).to_contain_text(
        "Write what the contact was about.")
    assert Interaction.objects.count() == 0


def test_it_opens_a_customer_directly_from_an_exact_number(page, desk_operator):
    customer = make_customer(actor=desk_operator, given_name="Ana", family_name="Mora Vidal")
    log_in(page, "olga", PASSWORD)
    page.get_by_role("heading", level=1).click()  # focus away from the search box
    page.keyboard.press("/")
    expect(page.locator("#search-box")).to_be_focused()
    page.keyboard.type(customer.number)
    page.keyboard.press("Enter")
    expect(page).to_have_url(f"{page.url.split('/desk')[0]}/desk/customers/{customer.pk}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ana Mora Vidal")


def test_it_offers_to_create_a_prospect_for_an_unknown_caller(page, desk_operator):
    log_in(page, "olga", PASSWORD)
    page.locator("#search-box").fill("Zacarías Quintero")
    page.keyboard.press("Enter")
    page.get_by_role("link", name="Create a prospect").click()
    expect(page.get_by_label("Given name")).to_have_value("Zacarías")
    expect(page.get_by_label("Family names")).to_have_value("Quintero")
    page.get_by_label("Document number").fill("12345678A")
    page.get_by_role("button", name="Create customer").click()
    expect(page.locator(".field.has-error")).to_contain_text("expected Z")
    screenshot(page, "desk-customer-form-error")
    page.get_by_label("Document number").fill("12345678Z")
    page.get_by_role("button", name="Create customer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Zacarías Quintero")
    expect(page.locator(".badge.prospect")).to_be_visible()


def test_it_switches_the_desk_to_spanish(page, desk_operator):
    log_in(page, "olga", PASSWORD)
    page.get_by_label("Language").select_option("es")
    expect(page.locator("html")).to_have_attribute("lang", "es")
    expect(page.get_by_role("heading", level=1)).to_have_text("Escritorio del operador")
    expect(page.get_by_role("button", name="Buscar")).to_be_visible()
    screenshot(page, "desk-home-spanish")
    desk_operator.refresh_from_db()
    assert desk_operator.language == "es"
