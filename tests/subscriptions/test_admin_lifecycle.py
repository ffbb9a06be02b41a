"""The back office of subscriptions and the coverage kept for them:
subscriptions, their orders (with milestones and steps), charges and
pay-per-view purchases listed, searched, filtered and opened by a
back-office administrator, never added, edited or deleted there (every
change is an order from the desk); the parental PIN never shown; nobody
without the back office gets in; coverage records edited as reference
data. Given / when / then."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from types import SimpleNamespace

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from customers import services as customer_services
from integrations.choices import SystemKind
from integrations.models import CoverageRecord, ExternalSystem
from sesmu.models import AuditEvent
from subscriptions import services
from subscriptions.choices import ItemRole, OrderState
from subscriptions.models import (
    OrderMilestone,
    PayPerViewPurchase,
    ProvisioningStep,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)
from subscriptions.services.orders import step_applied
from tests.conftest import ROLES
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

MODELS = {"subscription": Subscription, "subscriptionorder": SubscriptionOrder,
          "subscriptioncharge": SubscriptionCharge, "payperviewpurchase": PayPerViewPurchase}
PIN = "4321"


def change_url(model: str, pk: int) -> str:
    return reverse(f"admin:subscriptions_{model}_change", args=[pk])


def list_url(model: str) -> str:
    return reverse(f"admin:subscriptions_{model}_changelist")


def snapshot() -> dict:
    """Every row a back-office page could write."""
    return {model.__name__: list(model.objects.order_by("pk").values())
            for model in (Subscription, SubscriptionItem, SubscriptionUser, SubscriptionOrder,
                          OrderMilestone, ProvisioningStep, SubscriptionCharge,
                          PayPerViewPurchase, AuditEvent)}


def found(client, model: str, **query) -> list[int]:
    response = client.get(list_url(model), query)
    assert response.status_code == 200
    return sorted(row.pk for row in response.context["cl"].result_list)


@pytest.fixture
def admin_client(client, db):
    client.force_login(UserFactory(username="adrian", is_staff=True,
                                   roles=["backoffice_admin"]))
    return client


@pytest.fixture
def element_managers(db):
    """The conditional-access system and the ISP platform (never called
    here: these tests do not commit) and the coverage kept for Alice's
    postal code."""
    for code, service_kind in (("cas", "tv_package"), ("isp", "internet")):
        ExternalSystem.objects.create(code=code, name=code.upper(),
                                      kind=SystemKind.SERVICE_MANAGEMENT,
                                      service_kind=service_kind, base_url="http://127.0.0.1:9")
    CoverageRecord.objects.create(postal_code="28013", medium="cable", max_down_mbps=300,
                                  max_up_mbps=30, checked_at=timezone.now())


@pytest.fixture
def alice_subscription(element_managers, services_catalog, marketing, sell, alice_customer,
                       operator, supervisor) -> SimpleNamespace:
    """Alice's Fibra + TV with pay-per-view over cable: sold (her user with
    a parental PIN), active once the element managers applied the
    commands, a football match bought, then degraded for an unpaid bill
    (its commands still waiting)."""
    version = services.offer_create(
        code="fibra-tv-ppv", name="Fibra + TV + Taquilla", actor=marketing,
        terms={"monthly_price": Decimal("59.90"), "setup_fee": Decimal("30.00"),
               "access_media": ["cable"], "valid_from": timezone.localdate()},
        items=[services.ItemSpec(service=services_catalog.tv),
               services.ItemSpec(service=services_catalog.internet),
               services.ItemSpec(service=services_catalog.ppv),
               services.ItemSpec(service=services_catalog.mailbox, role=ItemRole.OPTION,
                                 option_monthly_price=Decimal("1.99"))])
    version = services.offer_version_publish(version=version, actor=marketing)
    alice_user = customer_services.service_user_create(actor=operator, customer=alice_customer,
                                                       given_name="Alice",
                                                       family_name="Liddell Pleasance")
    new = sell(offer_version=version, users=[services.UserSpec(
        service_user=alice_user, credential="alice@isp.example", parental_pin=PIN)])
    for step in new.steps.all():
        step_applied(message=step.message)
    subscription = Subscription.objects.get(pk=new.subscription_id)
    event = services_catalog.ppv_event
    ppv = services.pay_per_view_order(subscription=subscription, user=subscription.users.get(),
                                      event=event, showing_starts_at=event.starts_at,
                                      actor=operator)
    degrade = services.subscription_degrade(subscription=subscription, actor=supervisor,
                                            reason="Unpaid November bill")
    new.refresh_from_db()
    return SimpleNamespace(subscription=subscription, new=new, ppv=ppv, degrade=degrade,
                           purchase=ppv.purchase)


def first_of(model: str) -> int:
    return MODELS[model].objects.order_by("pk").values_list("pk", flat=True).first()


# Every page -----------------------------------------------------------------------


@pytest.mark.parametrize("model", MODELS)
def test_it_lists_searches_and_opens_every_model(admin_client, alice_subscription, model):
    number = alice_subscription.subscription.number

    assert admin_client.get(list_url(model)).status_code == 200
    assert admin_client.get(list_url(model), {"q": number}).status_code == 200
    assert admin_client.get(list_url(model), {"q": "nothing like this"}).status_code == 200
    assert admin_client.get(change_url(model, first_of(model))).status_code == 200


@pytest.mark.parametrize("model", MODELS)
def test_it_refuses_to_add_change_or_delete_what_orders_change(admin_client,
                                                               alice_subscription, model):
    pk = first_of(model)
    before = snapshot()

    add = admin_client.get(reverse(f"admin:subscriptions_{model}_add"))
    change = admin_client.post(change_url(model, pk), {
        "state": "terminated", "degraded": "", "amount": "0.01", "held_reason": "edited"})
    delete = admin_client.post(reverse(f"admin:subscriptions_{model}_delete", args=[pk]),
                               {"post": "yes"})
    bulk = admin_client.post(list_url(model), {"action": "delete_selected",
                                               "_selected_action": [pk]})

    assert (add.status_code, change.status_code, delete.status_code) == (403, 403, 403)
    assert bulk.status_code in (200, 302)
    assert admin_client.get(list_url(model)).context["action_form"] is None
    assert snapshot() == before


# A subscription and its orders, read-only -------------------------------------------


def test_it_shows_a_subscription_with_what_hangs_from_it_and_no_way_to_edit(
        admin_client, alice_subscription):
    subscription = alice_subscription.subscription

    response = admin_client.get(change_url("subscription", subscription.pk))

    page = response.content.decode()
    assert 'name="_save"' not in page and 'name="state"' not in page
    # Changed on the desk: the page links there.
    assert reverse("subscriptions:detail", args=[subscription.pk]) in page
    assert "Active" in page and subscription.customer.number in page
    for item in subscription.items.all():
        assert item.network_id in page
    assert "alice@isp.example" in page
    for order in subscription.orders.all():
        assert order.number in page
    for charge in subscription.charges.all():
        assert charge.description in page
    assert alice_subscription.purchase.event.title in page
    # The PIN is kept hashed and never shown, not even hashed.
    pin_hash = subscription.users.get().parental_pin
    assert pin_hash and pin_hash not in page and PIN not in page


def test_it_shows_an_order_with_its_milestones_and_steps(admin_client, alice_subscription):
    degrade = alice_subscription.degrade

    response = admin_client.get(change_url("subscriptionorder", degrade.pk))

    page = response.content.decode()
    assert 'name="_save"' not in page
    for milestone in degrade.milestones.all():
        assert milestone.text in page
    steps = list(degrade.steps.select_related("item__service", "message"))
    assert {step.command for step in steps} == {"degrade"}
    for step in steps:
        assert step.item.network_id in page
        assert reverse("admin:integrations_outboxmessage_change",
                       args=[step.message_id]) in page
    assert "Waiting for the element manager" in page
    assert "Unpaid November bill" in page


def test_it_finds_subscriptions_by_their_customer_and_order_numbers(admin_client,
                                                                    alice_subscription,
                                                                    alice_customer):
    subscription = alice_subscription.subscription

    assert found(admin_client, "subscription", q=subscription.number.lower()) == [
        subscription.pk]
    assert found(admin_client, "subscription", q=alice_customer.number) == [subscription.pk]
    assert found(admin_client, "subscription", q=alice_subscription.ppv.number) == [
        subscription.pk]
    assert found(admin_client, "subscription", q="S99999999") == []


def test_it_finds_orders_and_charges_exactly(admin_client, alice_subscription,
                                             alice_customer):
    subscription, ppv = alice_subscription.subscription, alice_subscription.ppv
    orders = sorted(subscription.orders.values_list("pk", flat=True))
    charges = sorted(subscription.charges.values_list("pk", flat=True))

    assert found(admin_client, "subscriptionorder", q=ppv.number) == [ppv.pk]
    assert found(admin_client, "subscriptionorder", q=subscription.number) == orders
    assert found(admin_client, "subscriptionorder", q=alice_customer.number) == orders
    assert found(admin_client, "subscriptionorder", q=subscription.number[:-1]) == []
    assert found(admin_client, "subscriptioncharge", q=alice_customer.number) == charges
    assert found(admin_client, "subscriptioncharge", q=ppv.number) == list(
        ppv.charges.values_list("pk", flat=True))
    assert found(admin_client, "payperviewpurchase", q=subscription.number) == [
        alice_subscription.purchase.pk]


def test_it_filters_orders_by_state_action_and_channel(admin_client, alice_subscription):
    new, ppv, degrade = alice_subscription.new, alice_subscription.ppv, alice_subscription.degrade

    assert new.state == OrderState.COMPLETED
    assert found(admin_client, "subscriptionorder", state__exact="in_progress") == sorted(
        [ppv.pk, degrade.pk])
    assert found(admin_client, "subscriptionorder", action__exact="new") == [new.pk]
    assert found(admin_client, "subscriptionorder", modify_kind__exact="degrade") == [
        degrade.pk]
    assert found(admin_client, "subscriptionorder", channel__exact="desk") == sorted(
        [new.pk, ppv.pk, degrade.pk])
    assert found(admin_client, "subscriptionorder", channel__exact="api") == []
    assert found(admin_client, "subscription", degraded__exact="1") == [
        alice_subscription.subscription.pk]
    assert found(admin_client, "subscription", state__exact="suspended") == []


# Who gets in ----------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_nobody_outside_the_back_office_gets_in(client, alice_subscription, role):
    client.force_login(UserFactory(username=f"as-{role}", roles=[role]))

    response = client.get(list_url("subscription"))

    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_the_permissions_are_refused(client, alice_subscription):
    client.force_login(UserFactory(username="intern", is_staff=True))

    pages = [list_url(model) for model in MODELS] + [
        change_url("subscription", alice_subscription.subscription.pk)]

    assert [client.get(page).status_code for page in pages] == [403] * len(pages)


def test_a_supervisor_with_the_back_office_may_look_but_not_touch(client, alice_subscription):
    client.force_login(UserFactory(username="sara-staff", is_staff=True,
                                   roles=["cc_supervisor"]))
    subscription = alice_subscription.subscription
    before = snapshot()

    listing = client.get(list_url("subscription"))
    page = client.get(change_url("subscription", subscription.pk))
    change = client.post(change_url("subscription", subscription.pk), {"state": "active"})

    assert (listing.status_code, page.status_code, change.status_code) == (200, 200, 403)
    assert 'name="_save"' not in page.content.decode()
    assert snapshot() == before


# Coverage records: reference data ---------------------------------------------------------


COVERAGE_ACTIONS = ("view", "add", "change", "delete")


@pytest.fixture
def coverage_client(client, db):
    """A back-office user given the coverage permissions one by one (the
    roles migration of the back-office administrator does not grant them
    yet: see test_the_back_office_administrator_may_edit_coverage)."""
    user = UserFactory(username="carmen", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(
        content_type__app_label="integrations",
        codename__in=[f"{action}_coveragerecord" for action in COVERAGE_ACTIONS]))
    client.force_login(user)
    return client


def coverage_url(name: str = "changelist", *args) -> str:
    return reverse(f"admin:integrations_coveragerecord_{name}", args=args)


def coverage_form(**overrides) -> dict:
    return {"postal_code": "28013", "medium": "cable", "max_down_mbps": "300",
            "max_up_mbps": "30", **overrides}


def test_the_back_office_administrator_may_edit_coverage(admin_client):
    assert admin_client.get(coverage_url()).status_code == 200
    assert admin_client.get(coverage_url("add")).status_code == 200


def test_it_adds_coverage_typed_by_hand_as_checked_now(coverage_client):
    before = timezone.now()

    response = coverage_client.post(coverage_url("add"), coverage_form(postal_code=" 28 013 "))

    assert response.status_code == 302, response.content.decode()[:2000]
    record = CoverageRecord.objects.get()
    assert (record.postal_code, record.medium, record.max_down_mbps, record.max_up_mbps) == (
        "28013", "cable", 300, 30)
    assert record.source is None and record.checked_at >= before
    page = coverage_client.get(coverage_url()).content.decode()
    assert "Back office" in page and "Cable" in page


@pytest.mark.parametrize(("overrides", "field"), [
    ({"medium": "fibre"}, "medium"),
    ({"max_down_mbps": "0"}, "max_down_mbps"),
    ({"max_up_mbps": "400"}, "max_up_mbps"),
    ({"postal_code": "   "}, "postal_code"),
])
def test_it_refuses_coverage_that_makes_no_sense(coverage_client, overrides, field):
    response = coverage_client.post(coverage_url("add"), coverage_form(**overrides))

    assert response.status_code == 200
    assert field in response.context["adminform"].form.errors
    assert not CoverageRecord.objects.exists()


def test_it_refuses_a_second_record_for_the_same_medium(coverage_client):
    CoverageRecord.objects.create(postal_code="28013", medium="cable", max_down_mbps=300,
                                  max_up_mbps=30, checked_at=timezone.now())

    response = coverage_client.post(coverage_url("add"), coverage_form(max_down_mbps="100"))

    assert response.status_code == 200
    assert response.context["adminform"].form.non_field_errors()
    assert list(CoverageRecord.objects.values_list("max_down_mbps", flat=True)) == [300]


def test_a_record_corrected_by_hand_is_no_longer_the_network_s(coverage_client):
    network = ExternalSystem.objects.create(code="access-network", name="Access network",
                                            kind=SystemKind.NETWORK_ACCESS,
                                            base_url="http://127.0.0.1:9")
    checked = timezone.now() - timedelta(days=30)
    record = CoverageRecord.objects.create(postal_code="41004", medium="cable",
                                           max_down_mbps=120, max_up_mbps=10, source=network,
                                           checked_at=checked)

    response = coverage_client.post(coverage_url("change", record.pk), coverage_form(
        postal_code="41004", max_down_mbps="100", max_up_mbps="10"))

    assert response.status_code == 302, response.content.decode()[:2000]
    record.refresh_from_db()
    assert (record.max_down_mbps, record.source) == (100, None)
    assert record.checked_at > checked


def test_it_finds_coverage_by_the_first_digits_and_deletes_it(coverage_client):
    for code in ("28013", "28045", "08012"):
        CoverageRecord.objects.create(postal_code=code, medium="copper", max_down_mbps=20,
                                      max_up_mbps=1, checked_at=timezone.now())

    response = coverage_client.get(coverage_url(), {"q": "280"})
    record = CoverageRecord.objects.get(postal_code="08012")
    deleted = coverage_client.post(coverage_url("delete", record.pk), {"post": "yes"})

    assert sorted(row.postal_code for row in response.context["cl"].result_list) == [
        "28013", "28045"]
    assert deleted.status_code == 302
    assert not CoverageRecord.objects.filter(postal_code="08012").exists()
