"""Back-office administration of customers. Saves go through the services, so
the admin validates, numbers, records events and audits like the desk."""

from __future__ import annotations

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from customers import services
from customers.models import (
    Address,
    BillingAccount,
    ContactPoint,
    Customer,
    CustomerEvent,
    Interaction,
    PortalAccount,
    ServiceUser,
)


class ServiceAdmin(admin.ModelAdmin):
    """Saves through the app's services (`create` / `update`); a service
    error comes back as a message instead of a crash."""

    editable_fields: tuple[str, ...] = ()

    def create(self, request, obj, form):
        raise NotImplementedError

    def update(self, request, obj, form, data):
        raise NotImplementedError

    def save_model(self, request, obj, form, change):
        if change:
            data = {field: form.cleaned_data[field] for field in form.changed_data
                    if field in self.editable_fields}
            saved = self.update(request, obj, form, data)
        else:
            saved = self.create(request, obj, form)
        obj.pk = saved.pk
        obj.__dict__.update({k: v for k, v in saved.__dict__.items() if not k.startswith("_")})

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def changeform_view(self, request, *args, **kwargs):
        try:
            return super().changeform_view(request, *args, **kwargs)
        except ValidationError as error:
            self.message_user(request, " ".join(error.messages), level=messages.ERROR)
            return HttpResponseRedirect(request.get_full_path())


class ContactInline(admin.TabularInline):
    model = ContactPoint
    extra = 0
    fields = ["kind", "value", "label", "is_primary"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


class AddressInline(ContactInline):
    model = Address
    fields = ["purpose", "street", "street_number", "postal_code", "city", "is_active"]
    readonly_fields = fields


class ServiceUserInline(ContactInline):
    model = ServiceUser
    fields = ["relationship", "given_name", "family_name", "email", "phone", "is_active"]
    readonly_fields = fields


@admin.register(Customer)
class CustomerAdmin(ServiceAdmin):
    list_display = ["number", "display_name", "kind", "document_number", "status", "segment",
                    "language", "is_vip", "created_at"]
    list_filter = ["status", "kind", "segment", "language", "is_vip", "document_type"]
    search_fields = ["=number", "=document_number", "search_name"]
    readonly_fields = ["number", "status", "consent_updated_at", "created_by", "created_at",
                       "updated_at"]
    fieldsets = [
        (None, {"fields": ["number", "status", "kind", "given_name", "family_name",
                           "organisation_name"]}),
        (_("Identity"), {"fields": ["document_type", "document_number", "document_country",
                                    "birth_date"]}),
        (_("Relationship"), {"fields": ["language", "segment", "is_vip", "notes"]}),
        (_("Consent"), {"fields": ["consent_marketing_email", "consent_marketing_phone",
                                   "consent_marketing_post", "consent_updated_at"]}),
        (_("Record"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    inlines = [ContactInline, AddressInline, ServiceUserInline]
    editable_fields = services.CUSTOMER_EDITABLE_FIELDS
    show_full_result_count = False

    def create(self, request, obj, form):
        data = {field: form.cleaned_data[field] for field in self.editable_fields
                if field in form.cleaned_data}
        return services.customer_create(actor=request.user, **data)

    def update(self, request, obj, form, data):
        return services.customer_update(actor=request.user, customer=obj, data=data)


@admin.register(ServiceUser)
class ServiceUserAdmin(ServiceAdmin):
    list_display = ["given_name", "family_name", "customer", "relationship", "is_active"]
    list_filter = ["relationship", "is_active", "language"]
    search_fields = ["given_name", "family_name", "email", "customer__number"]
    raw_id_fields = ["customer"]
    editable_fields = services.SERVICE_USER_EDITABLE_FIELDS

    def create(self, request, obj, form):
        data = {field: form.cleaned_data[field] for field in self.editable_fields
                if field in form.cleaned_data and field != "is_active"}
        return services.service_user_create(actor=request.user,
                                            customer=form.cleaned_data["customer"], **data)

    def update(self, request, obj, form, data):
        return services.service_user_update(actor=request.user, service_user=obj, data=data)


@admin.register(Address)
class AddressAdmin(ServiceAdmin):
    list_display = ["__str__", "customer", "purpose", "is_active"]
    list_filter = ["purpose", "is_active", "country"]
    search_fields = ["street", "postal_code", "city", "customer__number"]
    raw_id_fields = ["customer"]
    editable_fields = services.ADDRESS_EDITABLE_FIELDS

    def create(self, request, obj, form):
        data = {field: form.cleaned_data[field] for field in self.editable_fields
                if field in form.cleaned_data and field != "is_active"}
        return services.address_create(actor=request.user,
                                       customer=form.cleaned_data["customer"], **data)

    def update(self, request, obj, form, data):
        return services.address_update(actor=request.user, address=obj, data=data)


@admin.register(BillingAccount)
class BillingAccountAdmin(ServiceAdmin):
    list_display = ["number", "name", "customer", "currency", "bill_format", "delivery_method",
                    "payment_method", "status"]
    list_filter = ["status", "currency", "bill_format", "detail_level", "delivery_method",
                   "payment_method", "bill_language"]
    search_fields = ["=number", "name", "customer__number"]
    raw_id_fields = ["customer", "billing_address"]
    readonly_fields = ["number", "status", "iban_masked", "created_at", "updated_at"]
    exclude = ["iban"]
    editable_fields = tuple(f for f in services.ACCOUNT_EDITABLE_FIELDS if f != "iban")

    def create(self, request, obj, form):
        data = {field: form.cleaned_data[field] for field in self.editable_fields
                if field in form.cleaned_data}
        return services.billing_account_create(actor=request.user,
                                               customer=form.cleaned_data["customer"], **data)

    def update(self, request, obj, form, data):
        return services.billing_account_update(actor=request.user, account=obj, data=data)


@admin.register(Interaction)
class InteractionAdmin(admin.ModelAdmin):
    list_display = ["started_at", "customer", "channel", "direction", "topic", "outcome",
                    "operator", "call_center"]
    list_filter = ["channel", "direction", "topic", "outcome", "call_center"]
    search_fields = ["customer__number", "summary"]
    date_hierarchy = "started_at"
    raw_id_fields = ["customer", "service_user", "operator"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


@admin.register(CustomerEvent)
class CustomerEventAdmin(InteractionAdmin):
    list_display = ["created_at", "customer", "kind", "description", "actor"]
    list_filter = ["kind"]
    search_fields = ["customer__number", "description"]
    date_hierarchy = "created_at"
    raw_id_fields = ["customer", "actor"]


@admin.register(PortalAccount)
class PortalAccountAdmin(admin.ModelAdmin):
    list_display = ["user", "customer", "created_at"]
    search_fields = ["user__username", "customer__number"]
    raw_id_fields = ["user", "customer"]
    readonly_fields = ["user", "customer", "created_at"]

    def has_add_permission(self, request) -> bool:
        return False
