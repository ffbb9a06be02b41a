"""Write paths of the customers app: given / when / then, with what must not
have happened on every refused call."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from customers import services
from customers.models import (
    BillingAccount,
    ContactPoint,
    Customer,
    CustomerEvent,
    Interaction,
    ServiceUser,
)
from sesmu.models import AuditEvent
from tests.factories import make_customer

pytestmark = pytest.mark.django_db


def codes(error: ValidationError) -> dict[str, list[str]]:
    return {field: [item.code for item in items] for field, items in error.error_dict.items()}


class TestCustomerCreate:
    def test_it_numbers_records_and_audits_a_new_customer(self, operator):
        # When
        customer = services.customer_create(
            actor=operator, given_name=" María ", family_name="García  López",
            document_type="nif", document_number="12345678-z", phone="600 111 222",
            email="Maria@Example.com",
        )
        # Then
        assert customer.number == "C00000001"
        assert customer.status == "prospect"
        assert (customer.given_name, customer.family_name) == ("María", "García López")
        assert customer.document_number == "12345678Z"
        assert customer.search_name == "maria garcia lopez"
        assert sorted(customer.contacts.values_list("kind", "value", "is_primary")) == [
            ("email", "maria@example.com", True), ("phone", "+34600111222", True),
        ]
        event = CustomerEvent.objects.get(customer=customer)
        assert (event.kind, event.actor, event.to_status) == ("created", operator, "prospect")
        audit = AuditEvent.objects.get(object_type="customers.customer")
        assert (audit.action, audit.actor, audit.customer_id) == ("create", operator, customer.pk)

    def test_it_refuses_a_second_customer_with_the_same_document(self, operator, alice_customer):
        # When
        with pytest.raises(ValidationError) as raised:
            make_customer(actor=operator, document_number="12345678z")
        # Then
        assert codes(raised.value) == {"document_number": ["duplicate_document"]}
        assert "C00000001" in raised.value.messages[0]
        assert Customer.objects.count() == 1

    def test_it_saves_nothing_and_reports_every_bad_field(self, operator):
        with pytest.raises(ValidationError) as raised:
            services.customer_create(
                actor=operator, given_name="", family_name="X", document_type="nif",
                document_number="12345678A", phone="12", email="nope",
                birth_date=timezone.localdate() + timedelta(days=1),
            )
        assert codes(raised.value) == {
            "given_name": ["required"],
            "document_number": ["invalid_check_digit"],
            "birth_date": ["future_date"],
            "phone": ["invalid_phone"],
            "email": ["invalid_email"],
        }
        assert Customer.objects.count() == 0
        assert ContactPoint.objects.count() == 0
        assert AuditEvent.objects.count() == 0

    def test_it_does_not_burn_a_number_on_a_refused_customer(self, operator):
        with pytest.raises(ValidationError):
            make_customer(actor=operator, document_number="00000000A")
        assert make_customer(actor=operator).number == "C00000001"

    def test_it_requires_an_organisation_name_and_refuses_a_cif_for_a_person(self, operator):
        with pytest.raises(ValidationError) as raised:
            services.customer_create(actor=operator, kind="organisation",
                                     document_type="cif", document_number="A58818501")
        assert codes(raised.value) == {"organisation_name": ["required"]}
        with pytest.raises(ValidationError) as raised:
            services.customer_create(actor=operator, given_name="Ana", family_name="Ruiz",
                                     document_type="cif", document_number="A58818501")
        assert codes(raised.value) == {"document_type": ["document_type_mismatch"]}
        organisation = services.customer_create(
            actor=operator, kind="organisation", organisation_name="Cines Luna S.L.",
            document_type="cif", document_number="A58818501", segment="corporate",
        )
        assert organisation.display_name == "Cines Luna S.L."

    def test_it_keeps_passports_of_different_countries_apart(self, operator):
        make_customer(actor=operator, document_type="passport", document_number="AB123456",
                      document_country="GB")
        other = make_customer(actor=operator, document_type="passport",
                              document_number="AB123456", document_country="FR")
        assert other.document_country == "FR"

    def test_it_stamps_consent_when_given(self, operator):
        customer = make_customer(actor=operator, consent_marketing_email=True)
        assert customer.consent_updated_at is not None
        assert make_customer(actor=operator).consent_updated_at is None


class TestCustomerUpdate:
    def test_it_records_what_changed(self, operator, alice_customer):
        # When
        customer = services.customer_update(
            actor=operator, customer=alice_customer,
            data={"family_name": "Liddell", "is_vip": True, "given_name": "Alice"},
        )
        # Then
        assert customer.search_name == "alice liddell"
        event = customer.events.filter(kind="updated").get()
        assert event.changes == {"family_name": ["Liddell Pleasance", "Liddell"],
                                 "is_vip": [False, True]}
        audit = AuditEvent.objects.filter(action="update").get()
        assert audit.changes == event.changes

    def test_it_changes_nothing_when_nothing_changed(self, operator, alice_customer):
        services.customer_update(actor=operator, customer=alice_customer,
                                 data={"given_name": "Alice"})
        assert not alice_customer.events.filter(kind="updated").exists()

    def test_it_refuses_a_document_of_another_customer(self, operator, alice_customer,
                                                       bob_customer):
        with pytest.raises(ValidationError) as raised:
            services.customer_update(actor=operator, customer=bob_customer,
                                     data={"document_number": "12345678Z"})
        assert codes(raised.value) == {"document_number": ["duplicate_document"]}
        bob_customer.refresh_from_db()
        assert bob_customer.document_number == "87654321X"

    def test_it_refuses_fields_that_are_not_editable(self, operator, alice_customer):
        with pytest.raises(ValidationError) as raised:
            services.customer_update(actor=operator, customer=alice_customer,
                                     data={"number": "C99", "status": "active"})
        assert codes(raised.value) == {"number": ["not_editable"], "status": ["not_editable"]}
        alice_customer.refresh_from_db()
        assert (alice_customer.number, alice_customer.status) == ("C00000001", "prospect")

    def test_it_stamps_consent_changes(self, operator, alice_customer):
        customer = services.customer_update(actor=operator, customer=alice_customer,
                                            data={"consent_marketing_phone": True})
        assert customer.consent_updated_at is not None


class TestCustomerStatus:
    def test_it_moves_prospect_to_active_to_former_and_back(self, operator, alice_customer):
        customer = services.customer_activate(actor=operator, customer=alice_customer,
                                              reason="Signed")
        assert customer.status == "active"
        customer = services.customer_make_former(actor=operator, customer=customer,
                                                 reason="Moved abroad")
        assert customer.status == "former"
        customer = services.customer_activate(actor=operator, customer=customer)
        assert customer.status == "active"
        moves = list(customer.events.filter(kind="status_changed")
                     .order_by("id").values_list("from_status", "to_status", "reason"))
        assert moves == [("prospect", "active", "Signed"), ("active", "former", "Moved abroad"),
                         ("former", "active", "")]

    def test_it_refuses_to_make_a_prospect_former(self, operator, alice_customer):
        with pytest.raises(ValidationError) as raised:
            services.customer_make_former(actor=operator, customer=alice_customer)
        assert raised.value.code == "invalid_transition"
        alice_customer.refresh_from_db()
        assert alice_customer.status == "prospect"
        assert not alice_customer.events.filter(kind="status_changed").exists()

    def test_it_refuses_to_activate_an_active_customer(self, operator, alice_customer):
        services.customer_activate(actor=operator, customer=alice_customer)
        with pytest.raises(ValidationError):
            services.customer_activate(actor=operator, customer=alice_customer)
        assert alice_customer.events.filter(kind="status_changed").count() == 1


class TestBillingAccounts:
    def test_it_opens_an_account_with_a_number_and_the_customer_language(self, operator,
                                                                        alice_customer):
        account = services.billing_account_create(
            actor=operator, customer=alice_customer, name="Home",
            delivery_email="Alice@Example.com", iban="es91 2100 0418 4502 0005 1332",
        )
        assert account.number == "A00000001"
        assert account.bill_language == "en"
        assert account.iban == "ES9121000418450200051332"
        assert account.iban_masked == "ES91 **** **** **** **** 1332"
        assert account.delivery_email == "alice@example.com"

    @pytest.mark.parametrize(
        ("data", "expected"),
        [
            ({"payment_method": "direct_debit", "iban": ""}, {"iban": ["iban_required"]}),
            ({"iban": "ES9121000418450200051333"}, {"iban": ["invalid_iban_checksum"]}),
            ({"delivery_method": "email", "delivery_email": ""},
             {"delivery_email": ["delivery_email_required"]}),
            ({"delivery_method": "post"}, {"billing_address": ["billing_address_required"]}),
            ({"bill_day": 29}, {"bill_day": ["max_value"]}),
            ({"bill_day": 0}, {"bill_day": ["min_value"]}),
            ({"currency": "XXX"}, {"currency": ["invalid_choice"]}),
        ],
    )
    def test_it_refuses_an_account_that_cannot_be_billed(self, operator, alice_customer, data,
                                                         expected):
        values = {"name": "Home", "delivery_email": "a@example.com",
                  "iban": "ES9121000418450200051332", **data}
        with pytest.raises(ValidationError) as raised:
            services.billing_account_create(actor=operator, customer=alice_customer, **values)
        assert codes(raised.value) == expected
        assert BillingAccount.objects.count() == 0

    def test_it_refuses_the_address_of_another_customer(self, operator, alice_customer,
                                                        bob_customer):
        bobs = services.address_create(actor=operator, customer=bob_customer, street="Calle Mayor",
                                       postal_code="28013", city="Madrid")
        with pytest.raises(ValidationError) as raised:
            services.billing_account_create(actor=operator, customer=alice_customer, name="Home",
                                            delivery_method="post", billing_address=bobs,
                                            payment_method="card")
        assert codes(raised.value) == {"billing_address": ["address_of_other_customer"]}

    def test_it_masks_the_iban_in_the_history(self, operator, alice_customer):
        account = services.billing_account_create(actor=operator, customer=alice_customer,
                                                  name="Home", payment_method="card",
                                                  delivery_method="portal")
        services.billing_account_update(actor=operator, account=account,
                                        data={"iban": "ES9121000418450200051332"})
        event = alice_customer.events.get(kind="account_changed")
        assert event.changes["iban"] == ["", "ES91 **** **** **** **** 1332"]
        assert "ES9121000418450200051332" not in str(
            list(AuditEvent.objects.values_list("changes", flat=True)))

    def test_it_closes_an_account_once(self, operator, alice_customer):
        account = services.billing_account_create(actor=operator, customer=alice_customer,
                                                  name="Home", payment_method="card",
                                                  delivery_method="portal")
        services.billing_account_close(actor=operator, account=account, reason="Moving")
        with pytest.raises(ValidationError) as raised:
            services.billing_account_close(actor=operator, account=account)
        assert raised.value.code == "account_closed"
        with pytest.raises(ValidationError):
            services.billing_account_update(actor=operator, account=account, data={"name": "X"})
        account.refresh_from_db()
        assert (account.status, account.name) == ("closed", "Home")


class TestServiceUsersContactsAddresses:
    def test_it_adds_a_service_user_with_normalised_contacts(self, operator, alice_customer):
        service_user = services.service_user_create(
            actor=operator, customer=alice_customer, given_name="Dinah", relationship="family",
            phone="600 999 888", email="Dinah@Example.com",
        )
        assert (service_user.phone, service_user.email) == ("+34600999888", "dinah@example.com")
        assert alice_customer.events.filter(kind="service_user_added").count() == 1

    def test_it_refuses_a_bad_service_user_and_saves_nothing(self, operator, alice_customer):
        with pytest.raises(ValidationError) as raised:
            services.service_user_create(actor=operator, customer=alice_customer, given_name="",
                                         phone="1", email="x@")
        assert codes(raised.value) == {"phone": ["invalid_phone"], "email": ["invalid_email"],
                                       "given_name": ["required"]}
        assert ServiceUser.objects.count() == 0

    def test_it_keeps_one_primary_contact_per_kind(self, operator, alice_customer):
        services.contact_point_add(actor=operator, customer=alice_customer, kind="phone",
                                   value="911 234 567", label="home", is_primary=True)
        primaries = alice_customer.contacts.filter(kind="phone", is_primary=True)
        assert list(primaries.values_list("value", flat=True)) == ["+34911234567"]

    def test_it_refuses_a_duplicate_contact(self, operator, alice_customer):
        with pytest.raises(ValidationError) as raised:
            services.contact_point_add(actor=operator, customer=alice_customer, kind="email",
                                       value="ALICE@example.com")
        assert codes(raised.value) == {"value": ["duplicate_contact"]}
        assert alice_customer.contacts.count() == 2

    def test_it_removes_a_contact_and_says_so(self, operator, alice_customer):
        contact = alice_customer.contacts.get(kind="email")
        services.contact_point_remove(actor=operator, contact=contact)
        assert not alice_customer.contacts.filter(kind="email").exists()
        assert alice_customer.events.filter(kind="contact_removed").count() == 1

    @pytest.mark.parametrize("postal_code", ["99999", "2801", "ABCDE", "00100"])
    def test_it_refuses_a_spanish_postal_code_out_of_range(self, operator, alice_customer,
                                                           postal_code):
        with pytest.raises(ValidationError) as raised:
            services.address_create(actor=operator, customer=alice_customer, street="Calle",
                                    postal_code=postal_code, city="Madrid")
        assert codes(raised.value) == {"postal_code": ["invalid_postal_code"]}

    def test_it_accepts_foreign_addresses(self, operator, alice_customer):
        address = services.address_create(actor=operator, customer=alice_customer,
                                          street="Baker Street", street_number="221B",
                                          postal_code="NW1 6XE", city="London", country="gb")
        assert address.country == "GB"
        address = services.address_update(actor=operator, address=address,
                                          data={"city": "Londres"})
        assert alice_customer.events.get(kind="address_changed").changes == {
            "city": ["London", "Londres"]}


class TestInteractions:
    def test_it_records_a_call_with_the_operator_and_call_center(self, operator, call_center,
                                                                 alice_customer):
        started = timezone.now() - timedelta(minutes=4)
        interaction = services.interaction_record(
            actor=operator, customer=alice_customer, topic="billing", outcome="resolved",
            summary="  Explained the bill  ", started_at=started,
        )
        assert (interaction.operator, interaction.call_center) == (operator, call_center)
        assert interaction.summary == "Explained the bill"
        assert 230 <= interaction.duration_seconds <= 250

    def test_it_refuses_an_empty_summary_and_a_future_start(self, operator, alice_customer):
        with pytest.raises(ValidationError) as raised:
            services.interaction_record(actor=operator, customer=alice_customer, topic="sales",
                                        outcome="resolved", summary="   ")
        assert codes(raised.value) == {"summary": ["required"]}
        with pytest.raises(ValidationError) as raised:
            services.interaction_record(actor=operator, customer=alice_customer, topic="sales",
                                        outcome="resolved", summary="x",
                                        started_at=timezone.now() + timedelta(hours=1))
        assert codes(raised.value) == {"started_at": ["future_date"]}
        assert Interaction.objects.count() == 0

    def test_it_refuses_the_service_user_of_another_customer(self, operator, alice_customer,
                                                             bob_customer):
        bobs = services.service_user_create(actor=operator, customer=bob_customer,
                                            given_name="Bob")
        with pytest.raises(ValidationError) as raised:
            services.interaction_record(actor=operator, customer=alice_customer, topic="sales",
                                        outcome="resolved", summary="x", service_user=bobs)
        assert codes(raised.value) == {"service_user": ["service_user_of_other_customer"]}
        assert Interaction.objects.count() == 0

    def test_it_records_a_portal_contact_without_an_operator(self, alice, alice_customer):
        interaction = services.interaction_record(actor=alice, customer=alice_customer,
                                                  channel="portal", topic="information",
                                                  outcome="information_given", summary="FAQ")
        assert interaction.operator is None
        assert interaction.call_center is None


class TestPortalAccounts:
    def test_it_refuses_a_weak_password_or_a_taken_name(self, alice, bob_customer):
        with pytest.raises(ValidationError) as raised:
            services.portal_account_create(actor=None, customer=bob_customer, username="ALICE",
                                           email="b@example.com", password="Builder-2026-yes")
        assert codes(raised.value) == {"username": ["duplicate_user"]}
        with pytest.raises(ValidationError) as raised:
            services.portal_account_create(actor=None, customer=bob_customer, username="bobby",
                                           email="b@example.com", password="123")
        assert set(codes(raised.value)) == {"password"}
