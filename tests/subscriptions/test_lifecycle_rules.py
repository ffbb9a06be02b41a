"""The rules of the subscription lifecycle: every refusal with its field and
code, and on every refused call nothing changed (no subscription, order,
command, charge or equipment move). Runs in the test's transaction; the
commands a setup needs delivered are delivered by running the commit
callbacks at once."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers import services as customer_services
from integrations.models import CoverageRecord, ExternalSystem, OutboxMessage
from inventory.models import EquipmentItem
from subscriptions.choices import (
    Initiator,
    OrderAction,
    OrderState,
    SubscriptionState,
)
from subscriptions.models import (
    CatalogService,
    PayPerViewPurchase,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
)
from subscriptions.services import (
    UserSpec,
    offer_version_retire,
    order_retry,
    pay_per_view_order,
    subscription_add_option,
    subscription_book_visit,
    subscription_cancel,
    subscription_change_offer,
    subscription_change_owner,
    subscription_create,
    subscription_degrade,
    subscription_move,
    subscription_order_cancel,
    subscription_remove_option,
    subscription_resume,
    subscription_suspend,
)
from subscriptions.terms import MAX_HOLIDAY_DAYS
from tests.subscriptions.conftest import error_code, make_offer
from workforce.models import WorkOrder


def today():
    return timezone.localdate()


def snapshot() -> dict:
    """Everything a refused call must leave as it was."""
    return {
        "subscriptions": list(Subscription.objects.order_by("id").values()),
        "items": list(SubscriptionItem.objects.order_by("id").values()),
        "orders": list(SubscriptionOrder.objects.order_by("id").values()),
        "users": list(SubscriptionUser.objects.order_by("id").values()),
        "outbox": OutboxMessage.objects.count(),
        "charges": SubscriptionCharge.objects.count(),
        "purchases": PayPerViewPurchase.objects.count(),
        "work_orders": WorkOrder.objects.count(),
        "equipment": list(EquipmentItem.objects.order_by("id").values_list(
            "id", "state", "customer_id", "subscription_ref")),
    }


def refused(call, field: str, code: str, **kwargs) -> ValidationError:
    """Call and expect a refusal on `field` with `code`, changing nothing."""
    before = snapshot()
    with pytest.raises(ValidationError) as caught:
        call(**kwargs)
    assert error_code(caught.value, field) == code, caught.value
    assert snapshot() == before
    return caught.value


@pytest.fixture
def deliver(django_capture_on_commit_callbacks):
    """deliver(): a context in which the commit callbacks (outbox delivery,
    signals) run at its end, as if the transaction had committed."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def live(simulators, sell, deliver):
    """live(**sell overrides) → an active subscription (commands delivered)."""

    def make(**overrides) -> Subscription:
        with deliver():
            order = sell(**overrides)
        subscription = Subscription.objects.get(pk=order.subscription_id)
        assert subscription.state == SubscriptionState.ACTIVE
        return subscription

    return make


@pytest.fixture
def sale(published_offer, alice_customer, alice_account, alice_home, operator, stock):
    """The arguments of a valid sale of "fibra-tv" to alice over cable."""
    return {"actor": operator, "customer": alice_customer, "billing_account": alice_account,
            "offer_version": published_offer, "service_address": alice_home,
            "access_medium": "cable"}


@pytest.fixture
def bob_setup(bob_customer, operator):
    account = customer_services.billing_account_create(
        actor=operator, customer=bob_customer, name="Casa", iban="ES7921000813610123456789",
        delivery_email="bob@example.com", bill_day=10)
    address = customer_services.address_create(
        actor=operator, customer=bob_customer, street="Calle Alcalá", street_number="2",
        postal_code="28014", city="Madrid")
    return account, address


def cable_coverage(postal_code: str, down: int = 300) -> None:
    CoverageRecord.objects.create(postal_code=postal_code, medium="cable", max_down_mbps=down,
                                  max_up_mbps=30, checked_at=timezone.now())


# Selling --------------------------------------------------------------------------


def test_a_sale_refuses_another_customers_account_and_address(simulators, sale, bob_setup):
    account, address = bob_setup
    refused(subscription_create, "billing_account", "wrong_customer",
            **{**sale, "billing_account": account})
    refused(subscription_create, "service_address", "wrong_customer",
            **{**sale, "service_address": address})


def test_a_sale_refuses_a_closed_account(simulators, sale, operator):
    customer_services.billing_account_close(actor=operator, account=sale["billing_account"])
    sale["billing_account"].refresh_from_db()
    refused(subscription_create, "billing_account", "account_closed", **sale)


def test_a_sale_refuses_a_former_customer(simulators, sale, bob_customer, bob_setup,
                                          operator):
    account, address = bob_setup
    customer_services.customer_activate(actor=operator, customer=bob_customer)
    customer_services.customer_make_former(actor=operator, customer=bob_customer)
    bob_customer.refresh_from_db()
    refused(subscription_create, "customer", "wrong_customer",
            **{**sale, "customer": bob_customer, "billing_account": account,
               "service_address": address})


def test_a_sale_refuses_an_offer_not_on_sale(simulators, sale, services_catalog, marketing):
    draft = make_offer(services_catalog, actor=marketing, code="draft-offer")
    refused(subscription_create, "offer_version", "not_on_sale",
            **{**sale, "offer_version": draft})
    offer_version_retire(version=sale["offer_version"], actor=marketing)
    sale["offer_version"].refresh_from_db()
    refused(subscription_create, "offer_version", "not_on_sale", **sale)


def test_a_sale_refuses_a_medium_or_a_region_the_offer_is_not_sold_in(simulators, sale,
                                                                      alice_customer,
                                                                      operator):
    refused(subscription_create, "offer_version", "medium_not_served",
            **{**sale, "access_medium": "copper"})
    barcelona = customer_services.address_create(
        actor=operator, customer=alice_customer, street="Carrer de Balmes", street_number="3",
        postal_code="08001", city="Barcelona")
    refused(subscription_create, "offer_version", "not_on_sale",
            **{**sale, "service_address": barcelona})


def test_a_sale_refuses_a_medium_that_does_not_reach_the_address(simulators, sale,
                                                                 services_catalog, marketing,
                                                                 alice_customer, operator):
    from subscriptions.services import offer_version_publish

    everywhere = offer_version_publish(
        version=make_offer(services_catalog, actor=marketing, code="everywhere", regions=[]),
        actor=marketing)
    barcelona = customer_services.address_create(
        actor=operator, customer=alice_customer, street="Carrer de Balmes", street_number="3",
        postal_code="08001", city="Barcelona")
    error = refused(subscription_create, "access_medium", "not_serviceable",
                    **{**sale, "offer_version": everywhere, "service_address": barcelona})
    assert "Cable does not reach 08001 (available: Copper (ADSL), Satellite)" in str(error)


def test_a_sale_uses_the_kept_coverage_when_the_network_does_not_answer(simulators, sale,
                                                                        services_catalog):
    simulators.systems["network"].enabled = False
    simulators.systems["network"].save(update_fields=["enabled"])
    refused(subscription_create, "service_address", "serviceability_unknown", **sale)
    # A line slower than Internet 300 needs.
    cable_coverage("28013", down=100)
    error = refused(subscription_create, "access_medium", "not_serviceable", **sale)
    assert "Internet 300 needs 300 Mbit/s" in str(error)


def test_a_sale_refuses_options_the_offer_does_not_have(simulators, sale, services_catalog):
    refused(subscription_create, "options", "not_an_option",
            **{**sale, "options": [services_catalog.ppv]})
    CatalogService.objects.filter(pk=services_catalog.mailbox.pk).update(is_active=False)
    services_catalog.mailbox.refresh_from_db()
    refused(subscription_create, "options", "inactive_service",
            **{**sale, "options": [services_catalog.mailbox]})


def test_a_sale_refuses_a_service_no_element_manager_provisions(simulators, sale):
    ExternalSystem.objects.filter(pk=simulators.systems["isp"].pk).update(enabled=False)
    error = refused(subscription_create, "offer_version", "no_element_manager", **sale)
    assert "Internet 300" in str(error)


def test_a_sale_refuses_when_the_equipment_is_out_of_stock(simulators, sale, stock):
    for _ in range(3):
        subscription_create(**sale)
    error = refused(subscription_create, "serials", "no_equipment", **sale)
    assert "No cable modem of a suitable model is in stock." in str(error)


def test_a_sale_refuses_serials_that_are_not_the_equipment_it_needs(simulators, sale, stock,
                                                                    satellite_offer):
    refused(subscription_create, "serials", "no_equipment",
            **{**sale, "serials": ["NO-SUCH-SERIAL"]})
    # Over satellite TV Total needs no (cable) set-top box.
    box = EquipmentItem.objects.filter(model=stock.box).first()
    error = refused(subscription_create, "serials", "no_equipment",
                    **{**sale, "offer_version": satellite_offer, "access_medium": "satellite",
                       "serials": [box.serial_number]})
    assert f"{box.serial_number} is not equipment this offer needs" in str(error)


def test_a_sale_refuses_a_repeated_external_id(simulators, sale):
    subscription_create(**sale, channel="api", external_id="SHOP-1")
    refused(subscription_create, "external_id", "duplicate_external_id",
            **{**sale, "channel": "api", "external_id": "SHOP-1"})


def test_a_sale_refuses_users_of_another_customer_and_a_bad_pin(simulators, sale,
                                                                bob_customer, alice_user,
                                                                operator):
    bobs = customer_services.service_user_create(actor=operator, customer=bob_customer,
                                                 given_name="Bob")
    refused(subscription_create, "users", "wrong_customer",
            **{**sale, "users": [UserSpec(service_user=bobs)]})
    refused(subscription_create, "parental_pin", "invalid",
            **{**sale, "users": [UserSpec(service_user=alice_user, parental_pin="12a4")]})
    refused(subscription_create, "ppv_monthly_limit", "invalid",
            **{**sale, "users": [UserSpec(service_user=alice_user,
                                          ppv_monthly_limit=Decimal("-1"))]})


def test_a_visit_is_booked_only_for_an_order_that_has_one(simulators, sale, operator):
    order = subscription_create(**sale)
    refused(subscription_book_visit, "window_start", "no_visit", order=order,
            window_start=timezone.now() + timedelta(days=1), actor=operator)


# Suspending and resuming ------------------------------------------------------------


def test_a_holiday_needs_a_resume_date_after_it_starts_and_not_too_far(live, operator):
    subscription = live()
    holiday = {"subscription": subscription, "actor": operator,
               "initiator": Initiator.CUSTOMER, "reason": "Holidays"}
    refused(subscription_suspend, "resume_on", "required", **holiday)
    refused(subscription_suspend, "resume_on", "bad_date", **holiday, resume_on=today())
    refused(subscription_suspend, "resume_on", "bad_date", **holiday,
            resume_on=today() + timedelta(days=MAX_HOLIDAY_DAYS + 1))
    refused(subscription_suspend, "starts_on", "bad_date", **holiday,
            starts_on=today() - timedelta(days=1), resume_on=today() + timedelta(days=5))
    refused(subscription_suspend, "resume_on", "bad_date", **holiday,
            starts_on=today() + timedelta(days=10), resume_on=today() + timedelta(days=10))
    # The longest holiday is accepted.
    order = subscription_suspend(**holiday, resume_on=today() + timedelta(days=MAX_HOLIDAY_DAYS))
    assert order.action == OrderAction.SUSPEND


def test_the_provider_says_why_it_suspends_degrades_or_cancels(live, supervisor):
    subscription = live()
    refused(subscription_suspend, "reason", "required", subscription=subscription,
            actor=supervisor, initiator=Initiator.PROVIDER, reason="  ")
    refused(subscription_degrade, "reason", "required", subscription=subscription,
            actor=supervisor, reason="")
    refused(subscription_cancel, "reason", "required", subscription=subscription,
            actor=supervisor, initiator=Initiator.PROVIDER, reason="")


def test_a_pending_subscription_cannot_be_suspended_degraded_resumed_or_changed(
        simulators, sale, operator, supervisor, services_catalog, internet_offer):
    order = subscription_create(**sale)  # never delivered: pending activation
    subscription = order.subscription
    assert subscription.state == SubscriptionState.PENDING_ACTIVATION
    refused(subscription_suspend, "state", "illegal_transition", subscription=subscription,
            actor=supervisor, initiator=Initiator.PROVIDER, reason="Unpaid")
    refused(subscription_degrade, "state", "illegal_transition", subscription=subscription,
            actor=supervisor, reason="Unpaid")
    refused(subscription_resume, "state", "illegal_transition", subscription=subscription,
            actor=supervisor, initiator=Initiator.PROVIDER)
    refused(subscription_change_offer, "state", "illegal_transition",
            subscription=subscription, offer_version=internet_offer, actor=operator)
    refused(subscription_add_option, "state", "illegal_transition", subscription=subscription,
            service=services_catalog.mailbox, actor=operator)


def test_an_active_subscription_is_not_suspended_twice_nor_resumed(live, operator, supervisor):
    subscription = live()
    refused(subscription_resume, "state", "illegal_transition", subscription=subscription,
            actor=operator, initiator=Initiator.CUSTOMER)
    subscription_suspend(subscription=subscription, actor=supervisor,
                         initiator=Initiator.PROVIDER, reason="Unpaid")
    refused(subscription_suspend, "state", "illegal_transition", subscription=subscription,
            actor=operator, initiator=Initiator.CUSTOMER, reason="Holidays",
            resume_on=today() + timedelta(days=7))
    refused(subscription_degrade, "state", "illegal_transition", subscription=subscription,
            actor=supervisor, reason="Unpaid")


def test_the_customer_cannot_lift_what_the_provider_imposed(live, deliver, operator,
                                                            supervisor):
    subscription = live()
    with deliver():
        subscription_degrade(subscription=subscription, actor=supervisor, reason="Unpaid")
    refused(subscription_resume, "initiator", "not_orderable", subscription=subscription,
            actor=operator, initiator=Initiator.CUSTOMER)
    refused(subscription_degrade, "subscription", "not_there", subscription=subscription,
            actor=supervisor, reason="Unpaid again")
    with deliver():
        subscription_suspend(subscription=subscription, actor=supervisor,
                             initiator=Initiator.PROVIDER, reason="Still unpaid")
    refused(subscription_resume, "initiator", "not_orderable", subscription=subscription,
            actor=operator, initiator=Initiator.CUSTOMER)
    order = subscription_resume(subscription=subscription, actor=supervisor,
                                initiator=Initiator.PROVIDER, reason="Paid")
    assert order.initiator == Initiator.PROVIDER


def test_a_resumption_waits_for_a_suspension_in_flight(live, simulators, deliver,
                                                        supervisor):
    subscription = live()
    simulators.cas.accept_token = "not-sesmu"  # the CAS refuses the suspension
    with deliver():
        held = subscription_suspend(subscription=subscription, actor=supervisor,
                                    initiator=Initiator.PROVIDER, reason="Unpaid")
    held.refresh_from_db()
    assert held.state == OrderState.HELD
    error = refused(subscription_resume, "subscription", "order_in_flight",
                    subscription=subscription, actor=supervisor,
                    initiator=Initiator.PROVIDER, reason="Paid")
    assert held.number in str(error)


def test_a_suspension_waits_for_a_resumption_in_flight(live, simulators, deliver, operator,
                                                       supervisor):
    subscription = live()
    with deliver():
        subscription_suspend(subscription=subscription, actor=supervisor,
                             initiator=Initiator.PROVIDER, reason="Unpaid")
    simulators.cas.accept_token = "not-sesmu"  # the CAS refuses the resumption
    with deliver():
        held = subscription_resume(subscription=subscription, actor=supervisor,
                                   initiator=Initiator.PROVIDER, reason="Paid")
    assert SubscriptionOrder.objects.get(pk=held.pk).state == OrderState.HELD
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.ACTIVE
    # Suspending now would be undone when the held resumption is retried.
    refused(subscription_suspend, "subscription", "order_in_flight", subscription=subscription,
            actor=supervisor, initiator=Initiator.PROVIDER, reason="Unpaid again")
    refused(subscription_degrade, "subscription", "order_in_flight", subscription=subscription,
            actor=supervisor, reason="Unpaid again")


def test_a_resumption_waits_for_a_degrade_in_flight(live, simulators, deliver, supervisor):
    subscription = live()
    simulators.isp.accept_token = "not-sesmu"  # the ISP refuses to throttle
    with deliver():
        held = subscription_degrade(subscription=subscription, actor=supervisor,
                                    reason="Unpaid")
    assert SubscriptionOrder.objects.get(pk=held.pk).state == OrderState.HELD
    refused(subscription_resume, "subscription", "order_in_flight", subscription=subscription,
            actor=supervisor, initiator=Initiator.PROVIDER, reason="Paid")


# Cancelling ----------------------------------------------------------------------------


def test_a_cancellation_cannot_take_effect_in_the_past_nor_twice(live, operator):
    subscription = live()
    refused(subscription_cancel, "effective_on", "bad_date", subscription=subscription,
            actor=operator, initiator=Initiator.CUSTOMER,
            effective_on=today() - timedelta(days=1))
    subscription_cancel(subscription=subscription, actor=operator,
                        initiator=Initiator.CUSTOMER, reason="Too expensive")
    refused(subscription_cancel, "state", "illegal_transition", subscription=subscription,
            actor=operator, initiator=Initiator.CUSTOMER)


def test_a_terminated_subscription_is_left_alone(live, deliver, operator, supervisor,
                                                 services_catalog, internet_offer):
    subscription = live()
    with deliver():
        subscription_cancel(subscription=subscription, actor=supervisor,
                            initiator=Initiator.PROVIDER, reason="Fraud")
    subscription.refresh_from_db()
    assert subscription.state == SubscriptionState.TERMINATED
    for call, arguments in (
            (subscription_cancel, {"initiator": Initiator.PROVIDER, "reason": "Again"}),
            (subscription_suspend, {"initiator": Initiator.PROVIDER, "reason": "Unpaid"}),
            (subscription_resume, {"initiator": Initiator.PROVIDER}),
            (subscription_change_offer, {"offer_version": internet_offer}),
            (subscription_add_option, {"service": services_catalog.mailbox})):
        refused(call, "state", "illegal_transition", subscription=subscription,
                actor=supervisor, **arguments)


def test_only_open_orders_are_withdrawn_and_only_before_their_commands(live, deliver,
                                                                        operator,
                                                                        internet_offer):
    subscription = live()
    new = subscription.orders.get(action=OrderAction.NEW)
    refused(subscription_order_cancel, "state", "illegal_transition", order=new,
            actor=operator)
    later = subscription_change_offer(subscription=subscription, offer_version=internet_offer,
                                      actor=operator, at_next_cycle=True)
    order = subscription_order_cancel(order=later, actor=operator, reason="Second thoughts")
    assert order.state == OrderState.CANCELLED
    refused(subscription_order_cancel, "state", "illegal_transition", order=later,
            actor=operator)


def test_an_order_in_progress_is_not_withdrawn(live, simulators, deliver, operator,
                                               services_catalog):
    subscription = live()
    simulators.isp.accept_token = "not-sesmu"
    with deliver():
        held = subscription_add_option(subscription=subscription,
                                       service=services_catalog.mailbox, actor=operator)
    held.refresh_from_db()
    assert held.state == OrderState.HELD
    refused(subscription_order_cancel, "state", "order_in_flight", order=held, actor=operator)
    # And no other modification until it is dealt with.
    refused(subscription_remove_option, "subscription", "order_in_flight",
            subscription=subscription, service=services_catalog.mailbox, actor=operator)


def test_only_a_held_order_is_retried(live, supervisor):
    subscription = live()
    new = subscription.orders.get(action=OrderAction.NEW)
    refused(order_retry, "state", "illegal_transition", order=new, actor=supervisor)


# Changing ---------------------------------------------------------------------------


def test_a_change_of_offer_needs_another_offer_on_sale_and_an_active_subscription(
        live, operator, supervisor, published_offer, internet_offer, marketing,
        services_catalog):
    subscription = live()
    refused(subscription_change_offer, "offer_version", "already_there",
            subscription=subscription, offer_version=published_offer, actor=operator)
    refused(subscription_change_offer, "options", "not_an_option", subscription=subscription,
            offer_version=internet_offer, options=[services_catalog.ppv], actor=operator)
    offer_version_retire(version=internet_offer, actor=marketing)
    internet_offer.refresh_from_db()
    refused(subscription_change_offer, "offer_version", "not_on_sale",
            subscription=subscription, offer_version=internet_offer, actor=operator)
    subscription_suspend(subscription=subscription, actor=supervisor,
                         initiator=Initiator.PROVIDER, reason="Unpaid")
    refused(subscription_change_offer, "state", "illegal_transition",
            subscription=subscription, offer_version=internet_offer, actor=operator)


def test_options_are_added_once_and_only_options_are_removed(live, deliver, operator,
                                                             services_catalog):
    subscription = live()
    refused(subscription_add_option, "options", "not_an_option", subscription=subscription,
            service=services_catalog.ppv, actor=operator)
    refused(subscription_remove_option, "service", "not_there", subscription=subscription,
            service=services_catalog.tv, actor=operator)
    refused(subscription_remove_option, "service", "not_there", subscription=subscription,
            service=services_catalog.mailbox, actor=operator)
    with deliver():
        subscription_add_option(subscription=subscription, service=services_catalog.mailbox,
                                actor=operator)
    refused(subscription_add_option, "service", "already_there", subscription=subscription,
            service=services_catalog.mailbox, actor=operator)


def test_a_move_needs_another_served_address_of_the_customer(live, operator, alice_customer,
                                                             bob_setup):
    subscription = live()
    _account, bobs_address = bob_setup
    refused(subscription_move, "address", "wrong_customer", subscription=subscription,
            address=bobs_address, actor=operator)
    refused(subscription_move, "address", "already_there", subscription=subscription,
            address=subscription.service_address, actor=operator)
    barcelona = customer_services.address_create(
        actor=operator, customer=alice_customer, street="Carrer de Balmes", street_number="3",
        postal_code="08001", city="Barcelona")
    refused(subscription_move, "address", "not_serviceable", subscription=subscription,
            address=barcelona, actor=operator)


def test_a_change_of_owner_needs_another_customer_with_their_own_open_account(
        live, operator, alice_customer, bob_customer, bob_setup):
    subscription = live()
    account, address = bob_setup
    refused(subscription_change_owner, "customer", "already_there", subscription=subscription,
            customer=alice_customer, billing_account=subscription.billing_account,
            service_address=subscription.service_address, actor=operator)
    refused(subscription_change_owner, "billing_account", "wrong_customer",
            subscription=subscription, customer=bob_customer,
            billing_account=subscription.billing_account, service_address=address,
            actor=operator)
    refused(subscription_change_owner, "service_address", "wrong_customer",
            subscription=subscription, customer=bob_customer, billing_account=account,
            service_address=subscription.service_address, actor=operator)
    customer_services.billing_account_close(actor=operator, account=account)
    account.refresh_from_db()
    refused(subscription_change_owner, "billing_account", "account_closed",
            subscription=subscription, customer=bob_customer, billing_account=account,
            service_address=address, actor=operator)


# Pay-per-view --------------------------------------------------------------------------


@pytest.fixture
def ppv_subscription(live, ppv_offer, alice_user):
    subscription = live(offer_version=ppv_offer, users=[UserSpec(service_user=alice_user)])
    return subscription, subscription.users.get()


def test_pay_per_view_is_bought_for_a_showing_to_come_once(ppv_subscription, operator,
                                                           services_catalog, deliver):
    subscription, user = ppv_subscription
    event = services_catalog.ppv_event
    buy = {"subscription": subscription, "user": user, "event": event, "actor": operator}
    refused(pay_per_view_order, "showing_starts_at", "invalid", **buy,
            showing_starts_at=event.starts_at + timedelta(minutes=5))
    with deliver():
        pay_per_view_order(**buy, showing_starts_at=event.starts_at)
    refused(pay_per_view_order, "showing_starts_at", "already_there", **buy,
            showing_starts_at=event.starts_at)
    past = services_catalog.nvod_event
    past.starts_at = timezone.now() - timedelta(hours=1)
    past.save(update_fields=["starts_at"])
    refused(pay_per_view_order, "showing_starts_at", "bad_date", subscription=subscription,
            user=user, event=past, actor=operator, showing_starts_at=past.starts_at)


def test_pay_per_view_needs_the_right_to_buy_it(ppv_subscription, live, operator, supervisor,
                                               services_catalog):
    subscription, user = ppv_subscription
    event = services_catalog.ppv_event
    buy = {"event": event, "showing_starts_at": event.starts_at, "actor": operator}
    SubscriptionUser.objects.filter(pk=user.pk).update(ppv_allowed=False)
    refused(pay_per_view_order, "user", "ppv_blocked", subscription=subscription, user=user,
            **buy)
    SubscriptionUser.objects.filter(pk=user.pk).update(ppv_allowed=True)
    subscription_degrade(subscription=subscription, actor=supervisor, reason="Unpaid")
    refused(pay_per_view_order, "event", "ppv_blocked", subscription=subscription, user=user,
            **buy)
    # "fibra-tv" has no pay-per-view at all.
    other = live()
    refused(pay_per_view_order, "user", "wrong_customer", subscription=other, user=user, **buy)


def test_impulse_pay_per_view_is_bought_on_the_set_top_box(ppv_subscription, operator,
                                                           services_catalog):
    subscription, user = ppv_subscription
    CatalogService.objects.filter(pk=services_catalog.ppv.pk).update(kind="ippv")
    event = services_catalog.ppv_event
    event.refresh_from_db()
    refused(pay_per_view_order, "event", "not_orderable", subscription=subscription, user=user,
            event=event, showing_starts_at=event.starts_at, actor=operator)
