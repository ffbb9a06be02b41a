"""Input serializers parse shapes; services validate the domain. Output
serializers never show an IBAN in full."""

from __future__ import annotations

from rest_framework import serializers

from customers.choices import (
    AddressPurpose,
    BillFormat,
    ContactKind,
    ContactLabel,
    CustomerKind,
    DeliveryMethod,
    DetailLevel,
    DocumentType,
    InteractionChannel,
    InteractionDirection,
    InteractionOutcome,
    InteractionTopic,
    PaymentMethod,
    Relationship,
    Segment,
)
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    Interaction,
    ServiceUser,
)
from sesmu.api.serializers import StaffOnlyFieldsMixin
from sesmu.choices import Currency, Language


class ContactPointOutput(serializers.ModelSerializer):
    class Meta:
        model = ContactPoint
        fields = ["id", "kind", "value", "label", "is_primary"]


class AddressOutput(serializers.ModelSerializer):
    class Meta:
        model = Address
        fields = ["id", "customer", "purpose", "street", "street_number", "details",
                  "postal_code", "city", "province", "country", "is_active"]


class CustomerOutput(serializers.ModelSerializer):
    display_name = serializers.CharField(read_only=True)

    class Meta:
        model = Customer
        fields = ["id", "number", "kind", "display_name", "given_name", "family_name",
                  "organisation_name", "document_type", "document_number", "document_country",
                  "birth_date", "language", "segment", "is_vip", "status",
                  "consent_marketing_email", "consent_marketing_phone",
                  "consent_marketing_post", "consent_updated_at", "created_at", "updated_at"]


class CustomerDetailOutput(StaffOnlyFieldsMixin, CustomerOutput):
    staff_only_fields = ("notes",)
    contacts = ContactPointOutput(many=True, read_only=True)
    addresses = AddressOutput(many=True, read_only=True)

    class Meta(CustomerOutput.Meta):
        fields = [*CustomerOutput.Meta.fields, "notes", "contacts", "addresses"]


class CustomerCreateInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=CustomerKind.choices, default=CustomerKind.PERSON)
    given_name = serializers.CharField(max_length=100, required=False, allow_blank=True)
    family_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    organisation_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    document_type = serializers.ChoiceField(choices=DocumentType.choices)
    document_number = serializers.CharField(max_length=40)
    document_country = serializers.CharField(max_length=2, required=False, default="ES")
    birth_date = serializers.DateField(required=False, allow_null=True)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.SPANISH)
    segment = serializers.ChoiceField(choices=Segment.choices, default=Segment.RESIDENTIAL)
    is_vip = serializers.BooleanField(default=False)
    consent_marketing_email = serializers.BooleanField(default=False)
    consent_marketing_phone = serializers.BooleanField(default=False)
    consent_marketing_post = serializers.BooleanField(default=False)
    notes = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    phone = serializers.CharField(required=False, allow_blank=True, max_length=30)
    email = serializers.CharField(required=False, allow_blank=True, max_length=254)


class CustomerUpdateInput(CustomerCreateInput):
    """Every field optional: a PATCH changes only what it names."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in ("phone", "email"):
            self.fields.pop(name)
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class ServiceUserOutput(serializers.ModelSerializer):
    class Meta:
        model = ServiceUser
        fields = ["id", "customer", "relationship", "given_name", "family_name", "email",
                  "phone", "language", "is_active", "created_at", "updated_at"]


class ServiceUserInput(serializers.Serializer):
    customer = serializers.IntegerField()
    relationship = serializers.ChoiceField(choices=Relationship.choices, default="self")
    given_name = serializers.CharField(max_length=100)
    family_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, default=Language.SPANISH)


class ServiceUserUpdateInput(serializers.Serializer):
    relationship = serializers.ChoiceField(choices=Relationship.choices, required=False)
    given_name = serializers.CharField(max_length=100, required=False)
    family_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=30, required=False, allow_blank=True)
    language = serializers.ChoiceField(choices=Language.choices, required=False)
    is_active = serializers.BooleanField(required=False)


class BillingAccountOutput(serializers.ModelSerializer):
    iban_masked = serializers.CharField(read_only=True)

    class Meta:
        model = BillingAccount
        fields = ["id", "number", "customer", "name", "currency", "bill_language",
                  "bill_format", "detail_level", "delivery_method", "delivery_email",
                  "billing_address", "payment_method", "iban_masked", "bill_day", "status",
                  "created_at", "updated_at"]


class BillingAccountInput(serializers.Serializer):
    customer = serializers.IntegerField()
    name = serializers.CharField(max_length=100)
    currency = serializers.ChoiceField(choices=Currency.choices, default=Currency.EURO)
    bill_language = serializers.ChoiceField(choices=Language.choices, required=False)
    bill_format = serializers.ChoiceField(choices=BillFormat.choices, default=BillFormat.PDF)
    detail_level = serializers.ChoiceField(choices=DetailLevel.choices,
                                           default=DetailLevel.SUMMARY)
    delivery_method = serializers.ChoiceField(choices=DeliveryMethod.choices,
                                              default=DeliveryMethod.EMAIL)
    delivery_email = serializers.CharField(max_length=254, required=False, allow_blank=True)
    billing_address = serializers.IntegerField(required=False, allow_null=True)
    payment_method = serializers.ChoiceField(choices=PaymentMethod.choices,
                                             default=PaymentMethod.DIRECT_DEBIT)
    iban = serializers.CharField(max_length=50, required=False, allow_blank=True,
                                 write_only=True)
    bill_day = serializers.IntegerField(min_value=1, max_value=28, default=1)


class BillingAccountUpdateInput(BillingAccountInput):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields.pop("customer")
        for field in self.fields.values():
            field.required = False
            field.default = serializers.empty


class InteractionOutput(StaffOnlyFieldsMixin, serializers.ModelSerializer):
    staff_only_fields = ("operator", "call_center")
    operator = serializers.SlugRelatedField(slug_field="username", read_only=True)

    class Meta:
        model = Interaction
        fields = ["id", "customer", "service_user", "channel", "direction", "call_center",
                  "operator", "topic", "summary", "outcome", "started_at", "ended_at",
                  "related_kind", "related_id", "created_at"]


class InteractionInput(serializers.Serializer):
    customer = serializers.IntegerField()
    service_user = serializers.IntegerField(required=False, allow_null=True)
    channel = serializers.ChoiceField(choices=InteractionChannel.choices)
    direction = serializers.ChoiceField(choices=InteractionDirection.choices,
                                        default=InteractionDirection.INBOUND)
    topic = serializers.ChoiceField(choices=InteractionTopic.choices)
    summary = serializers.CharField(max_length=10000)
    outcome = serializers.ChoiceField(choices=InteractionOutcome.choices)
    started_at = serializers.DateTimeField(required=False)
    ended_at = serializers.DateTimeField(required=False)
    related_kind = serializers.CharField(max_length=40, required=False, allow_blank=True)
    related_id = serializers.CharField(max_length=40, required=False, allow_blank=True)


class ContactPointInput(serializers.Serializer):
    customer = serializers.IntegerField()
    kind = serializers.ChoiceField(choices=ContactKind.choices)
    value = serializers.CharField(max_length=254)
    label = serializers.ChoiceField(choices=ContactLabel.choices, default=ContactLabel.MOBILE)
    is_primary = serializers.BooleanField(default=False)


class ContactPointListOutput(ContactPointOutput):
    class Meta(ContactPointOutput.Meta):
        fields = [*ContactPointOutput.Meta.fields, "customer"]


class AddressInput(serializers.Serializer):
    customer = serializers.IntegerField()
    purpose = serializers.ChoiceField(choices=AddressPurpose.choices,
                                      default=AddressPurpose.SERVICE)
    street = serializers.CharField(max_length=200)
    street_number = serializers.CharField(max_length=20, required=False, allow_blank=True)
    details = serializers.CharField(max_length=100, required=False, allow_blank=True)
    postal_code = serializers.CharField(max_length=10)
    city = serializers.CharField(max_length=100)
    province = serializers.CharField(max_length=100, required=False, allow_blank=True)
    country = serializers.CharField(max_length=2, default="ES")


class TransitionInput(serializers.Serializer):
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
