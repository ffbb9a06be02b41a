"""Back office of the catalog. Services and the pay-per-view programme are
reference data, edited here. Offers are added through
`services.offer_create` (which makes their first version, a draft); a
draft's terms and services are saved through `services.offer_version_update`;
published and retired versions are only shown: what a subscriber signed
never changes. Publishing, retiring and starting a new draft are admin
actions calling the services, whose refusals come back as error messages.

Subscriptions, their orders (with milestones and provisioning steps) and
the charges they raise are only shown: every change to them is an order
placed from the desk or the API through the lifecycle services, which
check the rules, lock the rows and tell the element managers. Nobody adds,
edits or deletes them here."""

from __future__ import annotations

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Prefetch, Q
from django.http import HttpResponseRedirect
from django.urls import NoReverseMatch, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from customers.admin import ServiceAdmin
from integrations.choices import SystemKind
from integrations.models import ExternalSystem
from inventory.admin import ExactSearchMixin, ReadOnlyAdmin, ReadOnlyInline
from inventory.choices import AccessMedium
from inventory.models import EquipmentModel
from subscriptions import services
from subscriptions.choices import ItemRole, OfferStatus
from subscriptions.models import (
    PROGRAMME_KINDS,
    CatalogService,
    Offer,
    OfferItem,
    OfferVersion,
    OrderMilestone,
    PayPerViewPurchase,
    ProgrammeEvent,
    ProvisioningStep,
    Subscription,
    SubscriptionCharge,
    SubscriptionItem,
    SubscriptionOrder,
    SubscriptionUser,
    validate_postcode_prefixes,
)
from subscriptions.services.catalog import TERM_FIELDS


def label_of(model, field_name: str) -> str:
    return capfirst(model._meta.get_field(field_name).verbose_name)


def media_field(model, field_name: str) -> forms.MultipleChoiceField:
    return forms.MultipleChoiceField(
        label=label_of(model, field_name), choices=AccessMedium.choices, required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text=model._meta.get_field(field_name).help_text,
    )


class PostcodePrefixesField(forms.CharField):
    """Postal-code prefixes typed as "28, 08, 46"; kept as a list. The
    model's validator runs here too: on the model field its message is
    replaced by the JSON field's own "invalid" one."""

    default_validators = [validate_postcode_prefixes]

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("help_text", _("Postal-code prefixes separated by commas, "
                                         "e.g. \"28, 08\". Empty: everywhere."))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return ", ".join(str(prefix) for prefix in value)
        return value

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [prefix.strip() for prefix in text.replace(";", ",").split(",") if prefix.strip()]


def version_status(version: OfferVersion | None) -> str:
    if version is None:
        return "—"
    return f"v{version.number} {version.status_label.lower()}"


# Reference data: services and the programme ----------------------------------------


class CatalogServiceForm(forms.ModelForm):
    access_media = media_field(CatalogService, "access_media")
    visit_media = media_field(CatalogService, "visit_media")

    class Meta:
        model = CatalogService
        fields = ["code", "name", "kind", "description", "access_media", "visit_media",
                  "equipment_models", "provisioning_system", "credential_kind",
                  "speed_down_mbps", "speed_up_mbps", "package_code", "is_active"]


@admin.register(CatalogService)
class CatalogServiceAdmin(admin.ModelAdmin):
    form = CatalogServiceForm
    list_display = ["code", "name", "kind", "served_over", "speed", "package_code",
                    "credential_kind", "is_active"]
    list_filter = ["kind", "is_active", "credential_kind"]
    search_fields = ["code", "name"]
    filter_horizontal = ["equipment_models"]
    readonly_fields = ["created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "description", "is_active"]}),
        (_("Where and with what"), {"fields": ["access_media", "visit_media",
                                               "equipment_models"]}),
        (_("Provisioning"), {"fields": ["provisioning_system", "package_code",
                                        "credential_kind", "speed_down_mbps",
                                        "speed_up_mbps"]}),
        (_("Record"), {"fields": ["created_at", "updated_at"]}),
    ]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "provisioning_system":
            kwargs["queryset"] = ExternalSystem.objects.filter(
                kind=SystemKind.SERVICE_MANAGEMENT).order_by("name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "equipment_models":
            kwargs["queryset"] = EquipmentModel.objects.order_by("kind", "code")
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("access media"))
    def served_over(self, obj: CatalogService) -> str:
        if not obj.access_media:
            return _("any")
        return ", ".join(str(AccessMedium(medium).label) for medium in obj.access_media
                         if medium in AccessMedium.values)

    @admin.display(description=_("speed (Mbit/s)"), ordering="speed_down_mbps")
    def speed(self, obj: CatalogService) -> str:
        if not obj.speed_down_mbps:
            return "—"
        return f"{obj.speed_down_mbps}/{obj.speed_up_mbps or '—'}"

    def has_delete_permission(self, request, obj=None) -> bool:
        # Offers and the programme point at a service in use: deactivate it.
        if obj is not None and (obj.offer_items.exists() or obj.events.exists()):
            return False
        return super().has_delete_permission(request, obj)


@admin.register(ProgrammeEvent)
class ProgrammeEventAdmin(admin.ModelAdmin):
    list_display = ["title", "service", "starts_at", "duration_minutes",
                    "repeat_every_minutes", "showings", "price", "currency", "is_active"]
    list_filter = ["service", "is_active"]
    list_select_related = ["service"]
    search_fields = ["title", "service__code", "service__name"]
    date_hierarchy = "starts_at"

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service":
            kwargs["queryset"] = CatalogService.objects.filter(
                kind__in=PROGRAMME_KINDS).order_by("kind", "name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


# Offers ----------------------------------------------------------------------------


class TermsFormMixin(forms.Form):
    """The terms of a version, as an offer's add form and a draft's form
    show them."""

    access_media = media_field(OfferVersion, "access_media")
    regions = PostcodePrefixesField(label=label_of(OfferVersion, "regions"))


class OfferAddForm(TermsFormMixin, forms.ModelForm):
    """The offer and the terms of its first version."""

    valid_from = forms.DateField(label=label_of(OfferVersion, "valid_from"),
                                 widget=admin.widgets.AdminDateWidget)
    valid_until = forms.DateField(label=label_of(OfferVersion, "valid_until"), required=False,
                                  widget=admin.widgets.AdminDateWidget)
    monthly_price = forms.DecimalField(label=label_of(OfferVersion, "monthly_price"),
                                       max_digits=14, decimal_places=2, min_value=0,
                                       initial=0)
    setup_fee = forms.DecimalField(label=label_of(OfferVersion, "setup_fee"), max_digits=14,
                                   decimal_places=2, min_value=0, initial=0)
    currency = OfferVersion._meta.get_field("currency").formfield()
    minimum_term_months = OfferVersion._meta.get_field("minimum_term_months").formfield()
    notice_days = OfferVersion._meta.get_field("notice_days").formfield()
    early_termination_fee = forms.DecimalField(
        label=label_of(OfferVersion, "early_termination_fee"), max_digits=14,
        decimal_places=2, min_value=0, initial=0)

    class Meta:
        model = Offer
        fields = ["code", "name", "description"]

    def terms(self) -> dict:
        return {name: self.cleaned_data[name] for name in TERM_FIELDS
                if name in self.cleaned_data}

    def clean(self):
        cleaned = super().clean()
        # The rules of a version (dates in order, a fee needs a term), shown
        # on their fields with the others instead of after the save.
        try:
            OfferVersion(**self.terms()).full_clean(
                exclude=["offer", "number", *self.errors])
        except ValidationError as error:
            self.add_error(None, error)
        return cleaned


class VersionInline(ReadOnlyInline):
    model = OfferVersion
    fields = ["number", "status", "monthly_price", "currency", "valid_from", "valid_until",
              "published_at", "published_by"]
    readonly_fields = fields
    ordering = ["-number"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("published_by")


@admin.register(Offer)
class OfferAdmin(ServiceAdmin):
    """Added through `services.offer_create`, with the first version's
    terms; the draft opens next, to add its services. The name and
    description may be corrected here; the terms live in the versions."""

    list_display = ["code", "name", "latest_version", "version_count", "created_at"]
    search_fields = ["code", "name"]
    readonly_fields = ["code", "created_at"]
    inlines = [VersionInline]
    editable_fields = ("name", "description")

    def get_queryset(self, request):
        return (super().get_queryset(request).annotate(version_total=Count("versions"))
                .prefetch_related(Prefetch("versions",
                                           queryset=OfferVersion.objects.order_by("-number"))))

    def get_form(self, request, obj=None, change=False, **kwargs):
        if obj is None:
            kwargs["form"] = OfferAddForm
        return super().get_form(request, obj, change=change, **kwargs)

    def get_fieldsets(self, request, obj=None):
        if obj is None:
            return [
                (None, {"fields": ["code", "name", "description"]}),
                (_("Terms of the first version"), {"fields": [
                    "valid_from", "valid_until", "monthly_price", "setup_fee", "currency",
                    "minimum_term_months", "notice_days", "early_termination_fee",
                    "access_media", "regions"]}),
            ]
        return [(None, {"fields": ["code", "name", "description", "created_at"]})]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else []

    def get_inlines(self, request, obj):
        return self.inlines if obj is not None else []

    def create(self, request, obj, form):
        version = services.offer_create(
            code=form.cleaned_data["code"], name=form.cleaned_data["name"],
            description=form.cleaned_data.get("description", ""), actor=request.user,
            terms=form.terms(), items=[])
        request.first_draft = version
        return version.offer

    def update(self, request, obj, form, data):
        # Reference data: the name under which the offer is sold.
        for field, value in data.items():
            setattr(obj, field, value)
        obj.full_clean()
        obj.save(update_fields=list(data))
        return obj

    def response_add(self, request, obj, post_url_continue=None):
        version = getattr(request, "first_draft", None)
        if version is None:
            return super().response_add(request, obj, post_url_continue)
        self.message_user(request, _("%(offer)s was added with version 1 as a draft: add its "
                                     "services, then publish it.") % {"offer": obj},
                          level=messages.SUCCESS)
        return HttpResponseRedirect(
            reverse("admin:subscriptions_offerversion_change", args=[version.pk]))

    @admin.display(description=_("latest version"))
    def latest_version(self, obj: Offer) -> str:
        return version_status(next(iter(obj.versions.all()), None))

    @admin.display(description=_("versions"), ordering="version_total")
    def version_count(self, obj: Offer) -> int:
        return obj.version_total


class OfferItemForm(forms.ModelForm):
    class Meta:
        model = OfferItem
        fields = ["service", "role", "option_monthly_price"]

    def clean(self):
        cleaned = super().clean()
        if cleaned.get("role") == ItemRole.INCLUDED and cleaned.get("option_monthly_price"):
            self.add_error("option_monthly_price",
                           _("An included service has no price of its own."))
        return cleaned


class OfferItemInline(admin.TabularInline):
    """Editable while the version is a draft; saved as a whole list by the
    version's service, never row by row."""

    model = OfferItem
    form = OfferItemForm
    extra = 1
    fields = ["service", "role", "option_monthly_price"]
    ordering = ["role", "service__kind", "service__name"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service")

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "service":
            kwargs["queryset"] = CatalogService.objects.order_by("kind", "name")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @staticmethod
    def _is_draft(obj) -> bool:
        return obj is not None and obj.status == OfferStatus.DRAFT

    def has_add_permission(self, request, obj=None) -> bool:
        return self._is_draft(obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None) -> bool:
        return self._is_draft(obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        return self._is_draft(obj) and super().has_delete_permission(request, obj)


class OfferVersionForm(TermsFormMixin, forms.ModelForm):
    class Meta:
        model = OfferVersion
        fields = list(TERM_FIELDS)


@admin.register(OfferVersion)
class OfferVersionAdmin(ServiceAdmin):
    """A draft is edited here, terms and services together, through
    `services.offer_version_update`; a published or retired version is only
    shown. Versions are made by adding an offer or by the "new draft"
    action, never with an add form."""

    form = OfferVersionForm
    list_display = ["__str__", "offer_link", "number", "status", "monthly_price", "currency",
                    "minimum_term_months", "valid_from", "valid_until", "published_at"]
    list_filter = ["status", "offer"]
    list_select_related = ["offer"]
    search_fields = ["offer__code", "offer__name"]
    readonly_fields = ["offer_link", "number", "status", "published_at", "published_by",
                       "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["offer_link", "number", "status"]}),
        (_("Price"), {"fields": ["monthly_price", "setup_fee", "currency"]}),
        (_("Contract"), {"fields": ["minimum_term_months", "notice_days",
                                    "early_termination_fee"]}),
        (_("Where and when it is sold"), {"fields": ["access_media", "regions", "valid_from",
                                                     "valid_until"]}),
        (_("Record"), {"fields": ["published_at", "published_by", "created_at",
                                  "updated_at"]}),
    ]
    inlines = [OfferItemInline]
    actions = ["publish", "retire", "new_draft"]
    editable_fields = TERM_FIELDS

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        # Published terms never change: a published or retired version opens
        # read-only (with the view permission) and refuses a POST.
        if obj is not None and obj.status != OfferStatus.DRAFT:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None) -> bool:
        # A draft was never sold and may be thrown away; a published or
        # retired version is what subscribers signed.
        if obj is None or obj.status != OfferStatus.DRAFT:
            return False
        return request.user.has_perm("subscriptions.delete_offerversion")

    def get_deleted_objects(self, objs, request):
        # A draft's items go with it; on their own they are never deleted.
        deleted, model_count, perms_needed, protected = super().get_deleted_objects(objs,
                                                                                    request)
        perms_needed.discard(OfferItem._meta.verbose_name)
        return deleted, model_count, perms_needed, protected

    def get_actions(self, request):
        actions = super().get_actions(request)
        # The bulk delete asks for no object: it would skip the rule above.
        actions.pop("delete_selected", None)
        return actions

    @admin.display(description=_("offer"), ordering="offer__name")
    def offer_link(self, obj: OfferVersion) -> str:
        url = reverse("admin:subscriptions_offer_change", args=[obj.offer_id])
        return format_html('<a href="{}">{}</a>', url, obj.offer)

    # Saving a draft: the terms and the services in one call of the service.

    def save_model(self, request, obj, form, change):
        # Saved with the items in save_related: one call, one audit row.
        pass

    def save_related(self, request, form, formsets, change):
        terms = {field: form.cleaned_data[field] for field in form.changed_data
                 if field in self.editable_fields}
        items = None
        for formset in formsets:
            # Lists what changed for the admin's history; nothing is saved.
            formset.save(commit=False)
            if formset.model is OfferItem and formset.has_changed():
                items = [
                    services.ItemSpec(service=data["service"], role=data["role"],
                                      option_monthly_price=data["option_monthly_price"])
                    for data in (item_form.cleaned_data for item_form in formset.forms)
                    if data and not data.get("DELETE")
                ]
        if not terms and items is None:
            return
        saved = services.offer_version_update(version=form.instance, actor=request.user,
                                              terms=terms, items=items)
        form.instance.__dict__.update({key: value for key, value in saved.__dict__.items()
                                       if not key.startswith("_")})

    # Actions: each a service call; a refusal is an error message --------------------

    def _run(self, request, queryset, call, done: str) -> None:
        succeeded = []
        for version in queryset.select_related("offer").order_by("offer__name", "number"):
            try:
                result = call(version)
            except ValidationError as error:
                self.message_user(request, f"{version}: {' '.join(error.messages)}",
                                  level=messages.ERROR)
                continue
            succeeded.append(str(result))
        if succeeded:
            self.message_user(request, done % {"versions": ", ".join(succeeded)},
                              level=messages.SUCCESS)

    @admin.action(description=_("Publish the selected drafts"), permissions=["change"])
    def publish(self, request, queryset):
        self._run(request, queryset,
                  lambda version: services.offer_version_publish(version=version,
                                                                 actor=request.user),
                  _("On sale: %(versions)s."))

    @admin.action(description=_("Retire the selected versions"), permissions=["change"])
    def retire(self, request, queryset):
        self._run(request, queryset,
                  lambda version: services.offer_version_retire(version=version,
                                                                actor=request.user),
                  _("No longer sold: %(versions)s."))

    @admin.action(description=_("New draft from the selected version"),
                  permissions=["change"])
    def new_draft(self, request, queryset):
        def draft(version: OfferVersion) -> OfferVersion:
            # The service copies the offer's latest version: from an older
            # one the draft would not be what the operator chose.
            latest = version.offer.versions.order_by("-number").first()
            if latest is not None and latest.pk != version.pk:
                raise ValidationError(
                    _("A new draft copies the latest version, %(latest)s; choose that one.")
                    % {"latest": latest}, code="not_latest")
            return services.offer_version_draft(offer=version.offer, actor=request.user)

        self._run(request, queryset, draft, _("New draft: %(versions)s."))


@admin.register(OfferItem)
class OfferItemAdmin(admin.ModelAdmin):
    """Every service in every offer version, to find where a service is
    sold. Changed only in a draft, on the version's page."""

    list_display = ["version", "service", "role", "option_monthly_price", "version_status"]
    list_filter = ["role", "version__status", "service__kind", "service"]
    list_select_related = ["version__offer", "service"]
    search_fields = ["service__code", "service__name", "version__offer__code",
                     "version__offer__name"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.display(description=_("status"), ordering="version__status")
    def version_status(self, obj: OfferItem) -> str:
        return obj.version.status_label


# Subscriptions: shown here, changed only through orders from the desk ---------------

SEARCH_LIMIT = 100


def subscription_ids(term: str) -> list[int]:
    """Subscriptions by their number, their customer's number or the number
    of one of their orders, exactly (in any case)."""
    value = term.strip().upper()
    by_order = SubscriptionOrder.objects.filter(number=value).values_list("subscription_id",
                                                                          flat=True)
    return list(Subscription.objects.filter(
        Q(number=value) | Q(customer__number=value) | Q(pk__in=by_order)
    ).values_list("pk", flat=True)[:SEARCH_LIMIT])


def desk_url(subscription_id: int) -> str | None:
    try:
        return reverse("subscriptions:detail", args=[subscription_id])
    except NoReverseMatch:
        return None


def medium_label(medium: str) -> str:
    return str(AccessMedium(medium).label) if medium in AccessMedium.values else medium or "—"


class ItemInline(ReadOnlyInline):
    model = SubscriptionItem
    fields = ["service", "role", "monthly_price", "state", "degraded", "network_id",
              "added_at", "removed_at"]
    readonly_fields = fields
    ordering = ["role", "service__kind", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service", "subscription")

    @admin.display(description=_("id at the element manager"))
    def network_id(self, obj: SubscriptionItem) -> str:
        return obj.network_id


class UserInline(ReadOnlyInline):
    """The parental PIN is stored hashed and never shown: only whether the
    user has one."""

    model = SubscriptionUser
    fields = ["service_user", "credential", "has_parental_pin", "ppv_allowed",
              "ppv_monthly_limit", "is_active", "added_at", "removed_at"]
    readonly_fields = fields
    ordering = ["-is_active", "id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("service_user")

    @admin.display(description=_("parental PIN"), boolean=True)
    def has_parental_pin(self, obj: SubscriptionUser) -> bool:
        return bool(obj.parental_pin)


class OrderInline(ReadOnlyInline):
    model = SubscriptionOrder
    fields = ["number", "what", "state", "initiator", "reason", "due_on", "created_at",
              "completed_at", "held_reason"]
    readonly_fields = fields
    ordering = ["-created_at", "-id"]

    @admin.display(description=_("action"))
    def what(self, obj: SubscriptionOrder) -> str:
        return obj.action_label


class ChargeInline(ReadOnlyInline):
    model = SubscriptionCharge
    fields = ["charged_on", "kind", "description", "amount", "currency", "order", "billed_at"]
    readonly_fields = fields
    ordering = ["-charged_on", "-id"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("order")


class PurchaseInline(ReadOnlyInline):
    model = PayPerViewPurchase
    fields = ["created_at", "event", "showing_starts_at", "user", "price", "order"]
    readonly_fields = fields
    ordering = ["-created_at"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("event", "order",
                                                            "user__service_user")


@admin.register(Subscription)
class SubscriptionAdmin(ExactSearchMixin, ReadOnlyAdmin):
    """What a customer has, with its services, users, orders and charges.
    Read-only: suspending, resuming, cancelling or changing it is an order
    placed from the desk."""

    list_display = ["number", "customer", "offer_version", "state", "degraded", "medium",
                    "postal_code", "activated_at", "created_at"]
    list_filter = ["state", "degraded", "access_medium", "suspension_initiator",
                   "termination_initiator", "offer_version__offer"]
    list_select_related = ["customer", "offer_version__offer", "service_address"]
    search_fields = ["number", "customer__number"]
    search_help_text = _("Subscription, customer or order number, exactly.")
    fieldsets = [
        (None, {"fields": ["number", "customer", "billing_account", "offer_version", "state",
                           "degraded"]}),
        (_("Where"), {"fields": ["service_address", "medium"]}),
        (_("Suspension"), {"fields": ["suspension_initiator", "suspension_reason",
                                      "resume_on"]}),
        (_("Cancellation"), {"fields": ["termination_initiator", "termination_reason",
                                        "terminates_on", "terminated_at"]}),
        (_("Contract"), {"fields": ["activated_at", "commitment_ends_on"]}),
        (_("Record"), {"fields": ["created_by", "created_at", "updated_at"]}),
    ]
    readonly_fields = ["medium", "created_at", "updated_at"]
    inlines = [ItemInline, UserInline, OrderInline, ChargeInline, PurchaseInline]

    def search_condition(self, term: str) -> Q:
        return Q(pk__in=subscription_ids(term))

    def view_on_site(self, obj: Subscription) -> str | None:
        # Where it is changed: its page on the desk.
        return desk_url(obj.pk)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "customer", "offer_version__offer", "service_address", "billing_account")

    @admin.display(description=_("access medium"), ordering="access_medium")
    def medium(self, obj: Subscription) -> str:
        return medium_label(obj.access_medium)

    @admin.display(description=_("postal code"), ordering="service_address__postal_code")
    def postal_code(self, obj: Subscription) -> str:
        return obj.service_address.postal_code


class MilestoneInline(ReadOnlyInline):
    model = OrderMilestone
    fields = ["created_at", "code", "text", "from_state", "to_state", "actor"]
    readonly_fields = fields
    ordering = ["created_at", "id"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("actor")


class StepInline(ReadOnlyInline):
    model = ProvisioningStep
    fields = ["command", "service", "network_id", "status", "error", "message", "created_at",
              "applied_at"]
    readonly_fields = fields
    ordering = ["id"]
    show_change_link = False

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "item__service", "item__subscription", "message")

    @admin.display(description=_("service"))
    def service(self, obj: ProvisioningStep) -> str:
        return obj.item.service.name

    @admin.display(description=_("id at the element manager"))
    def network_id(self, obj: ProvisioningStep) -> str:
        return obj.item.network_id


class OrderChargeInline(ChargeInline):
    fields = ["charged_on", "kind", "description", "amount", "currency", "billed_at"]
    readonly_fields = fields


def order_ids(term: str) -> list[int]:
    """Orders by their number, their subscription's or customer's number,
    the work order of their visit or the id an external channel gave them,
    exactly."""
    value = term.strip()
    return list(SubscriptionOrder.objects.filter(
        Q(number=value.upper()) | Q(subscription__number=value.upper())
        | Q(subscription__customer__number=value.upper()) | Q(work_order_ref=value.upper())
        | Q(external_id=value)
    ).values_list("pk", flat=True)[:SEARCH_LIMIT])


@admin.register(SubscriptionOrder)
class SubscriptionOrderAdmin(ExactSearchMixin, ReadOnlyAdmin):
    """One change to a subscription, with what happened to it (milestones)
    and the commands it sent (steps). Read-only: a held order is retried
    and a scheduled one withdrawn from the desk."""

    list_display = ["number", "subscription", "customer", "what", "state", "initiator",
                    "channel", "due_on", "created_at", "completed_at"]
    list_filter = ["state", "action", "modify_kind", "channel", "initiator", "needs_visit"]
    list_select_related = ["subscription__customer", "subscription__offer_version__offer"]
    search_fields = ["number", "subscription__number", "subscription__customer__number"]
    search_help_text = _("Order, subscription, customer or work order number, or the "
                         "external id, exactly.")
    fieldsets = [
        (None, {"fields": ["number", "subscription", "action", "modify_kind", "state",
                           "initiator", "reason"]}),
        (_("When"), {"fields": ["due_on", "created_at", "updated_at", "completed_at",
                                "created_by"]}),
        (_("Where it came from"), {"fields": ["channel", "external_id"]}),
        (_("Visit"), {"fields": ["needs_visit", "visit_done", "work_order_ref"]}),
        (_("Hold"), {"fields": ["held_reason"]}),
        (_("Details"), {"fields": ["details_text"]}),
    ]
    readonly_fields = ["number", "details_text", "created_at", "updated_at"]
    inlines = [MilestoneInline, StepInline, OrderChargeInline]

    def search_condition(self, term: str) -> Q:
        return Q(pk__in=order_ids(term))

    def view_on_site(self, obj: SubscriptionOrder) -> str | None:
        return desk_url(obj.subscription_id)

    def get_queryset(self, request):
        return super().get_queryset(request).select_related(
            "subscription__customer", "subscription__offer_version__offer", "created_by")

    @admin.display(description=_("action"), ordering="action")
    def what(self, obj: SubscriptionOrder) -> str:
        return obj.action_label

    @admin.display(description=_("customer"), ordering="subscription__customer__number")
    def customer(self, obj: SubscriptionOrder):
        return obj.subscription.customer

    @admin.display(description=_("details"))
    def details_text(self, obj: SubscriptionOrder) -> str:
        if not obj.details:
            return "—"
        return format_html("<pre>{}</pre>", json.dumps(obj.details, indent=2, sort_keys=True,
                                                       ensure_ascii=False, default=str))


@admin.register(SubscriptionCharge)
class SubscriptionChargeAdmin(ExactSearchMixin, ReadOnlyAdmin):
    """One-off amounts waiting for (or already put on) a bill. Billing reads
    them; nobody edits them here."""

    list_display = ["charged_on", "description", "amount", "currency", "kind", "subscription",
                    "order", "billing_account", "billed_at"]
    list_filter = ["kind", ("billed_at", admin.EmptyFieldListFilter), "currency"]
    list_select_related = ["subscription__offer_version__offer", "order", "billing_account"]
    search_fields = ["subscription__number", "order__number"]
    search_help_text = _("Subscription, order, customer or billing account number, exactly.")
    date_hierarchy = "charged_on"

    def search_condition(self, term: str) -> Q:
        value = term.strip().upper()
        return (Q(subscription__number=value) | Q(order__number=value)
                | Q(subscription__customer__number=value) | Q(billing_account__number=value))


@admin.register(PayPerViewPurchase)
class PayPerViewPurchaseAdmin(ExactSearchMixin, ReadOnlyAdmin):
    """Pay-per-view and near-video-on-demand showings bought, each with the
    order that authorised it on the smart card."""

    list_display = ["created_at", "event", "showing_starts_at", "subscription", "user",
                    "price", "order"]
    list_filter = ["event__service"]
    list_select_related = ["event", "subscription__offer_version__offer",
                           "user__service_user", "order"]
    search_fields = ["subscription__number", "order__number"]
    search_help_text = _("Subscription, order or customer number, exactly.")

    def search_condition(self, term: str) -> Q:
        value = term.strip().upper()
        return (Q(subscription__number=value) | Q(order__number=value)
                | Q(subscription__customer__number=value))
