"""Back office of the integrations: the registry (credentials never shown
back in full), the outbox and inbound messages with their retries, and the
coverage data kept for when the network management system does not answer
(reference data, edited here)."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from integrations import services
from integrations.choices import InboundStatus, OutboxStatus
from integrations.models import (
    CoverageRecord,
    DeliveryAttempt,
    ExternalSystem,
    InboundCredential,
    InboundMessage,
    OutboxMessage,
)
from inventory.choices import AccessMedium


class ExternalSystemForm(forms.ModelForm):
    base_url = forms.URLField(label=_("Base URL"), max_length=300, assume_scheme="https")
    outbound_token = forms.CharField(
        label=_("Outbound credential"), required=False, widget=forms.PasswordInput,
        help_text=_("Leave empty to keep the saved one."),
    )

    class Meta:
        model = ExternalSystem
        fields = ["code", "name", "kind", "service_kind", "base_url", "enabled",
                  "outbound_token", "connect_timeout_ms", "read_timeout_ms", "max_attempts",
                  "circuit_failure_threshold", "circuit_reset_seconds"]

    def clean_outbound_token(self) -> str:
        value = self.cleaned_data.get("outbound_token", "")
        if not value and self.instance.pk:
            return self.instance.outbound_token
        return value


class InboundCredentialInline(admin.TabularInline):
    model = InboundCredential
    extra = 0
    fields = ["token_hint", "valid_until", "created_at"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(ExternalSystem)
class ExternalSystemAdmin(admin.ModelAdmin):
    form = ExternalSystemForm
    list_display = ["code", "name", "kind", "service_kind", "enabled", "circuit_state",
                    "last_success_at", "last_failure_at", "backlog"]
    list_filter = ["kind", "enabled", "circuit_state"]
    search_fields = ["code", "name", "base_url"]
    readonly_fields = ["outbound_token_masked", "circuit_state", "circuit_opened_at",
                       "consecutive_failures", "last_success_at", "last_failure_at",
                       "last_error", "created_at", "updated_at"]
    fieldsets = [
        (None, {"fields": ["code", "name", "kind", "service_kind", "base_url", "enabled"]}),
        (_("Outbound calls"), {"fields": ["outbound_token_masked", "outbound_token",
                                         "connect_timeout_ms", "read_timeout_ms",
                                         "max_attempts", "circuit_failure_threshold",
                                         "circuit_reset_seconds"]}),
        (_("Health"), {"fields": ["circuit_state", "circuit_opened_at", "consecutive_failures",
                                  "last_success_at", "last_failure_at", "last_error"]}),
    ]
    inlines = [InboundCredentialInline]
    actions = ["rotate_inbound_credential"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            waiting=Count("outbox_messages", filter=~Q(
                outbox_messages__status__in=[OutboxStatus.DELIVERED, OutboxStatus.DEAD]))
        )

    @admin.display(description=_("backlog"), ordering="waiting")
    def backlog(self, obj) -> int:
        return obj.waiting

    @admin.action(description=_("Rotate the inbound token and HMAC secret"))
    def rotate_inbound_credential(self, request, queryset):
        for system in queryset:
            credential, token = services.inbound_credential_rotate(system=system,
                                                                    actor=request.user)
            # Shown once: only the token's hash is kept.
            self.message_user(request, _(
                "%(system)s: new token %(token)s and HMAC secret %(secret)s. Copy them now; "
                "the previous ones stay valid for 24 hours."
            ) % {"system": system.code, "token": token, "secret": credential.hmac_secret},
                level=messages.WARNING)


class DeliveryAttemptInline(admin.TabularInline):
    model = DeliveryAttempt
    extra = 0
    fields = ["created_at", "outcome", "is_probe", "status_code", "duration_ms", "error"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "destination", "kind", "status", "attempts", "next_attempt_at",
                    "ordering_key", "created_at", "delivered_at"]
    list_filter = ["status", "destination", "kind"]
    search_fields = ["=idempotency_key", "=ordering_key", "kind", "source_id"]
    readonly_fields = [field.name for field in OutboxMessage._meta.fields]
    inlines = [DeliveryAttemptInline]
    actions = ["retry_dead"]
    list_select_related = ["destination"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Retry the selected dead messages"),
                  permissions=["change"])
    def retry_dead(self, request, queryset):
        retried = 0
        for message in queryset.filter(status=OutboxStatus.DEAD):
            try:
                services.outbox_retry(message=message, actor=request.user)
            except ValidationError:
                continue
            retried += 1
        self.message_user(request, ngettext("%d message sent again.",
                                            "%d messages sent again.", retried) % retried)


@admin.register(InboundMessage)
class InboundMessageAdmin(admin.ModelAdmin):
    list_display = ["id", "system", "kind", "message_id", "status", "attempts",
                    "received_at", "processed_at"]
    list_filter = ["status", "kind", "system"]
    search_fields = ["=message_id"]
    readonly_fields = [field.name for field in InboundMessage._meta.fields]
    actions = ["process_again"]
    list_select_related = ["system"]
    show_full_result_count = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    @admin.action(description=_("Process the selected messages again"),
                  permissions=["change"])
    def process_again(self, request, queryset):
        count = 0
        for message in queryset.filter(
            status__in=[InboundStatus.FAILED, InboundStatus.UNHANDLED]
        ):
            if services.inbound_process(message_id=message.pk) == InboundStatus.PROCESSED:
                count += 1
        self.message_user(request, ngettext("%d message processed again.",
                                            "%d messages processed again.", count) % count)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin):
    list_display = ["created_at", "message", "outcome", "is_probe", "status_code",
                    "duration_ms"]
    list_filter = ["outcome", "is_probe"]
    readonly_fields = [field.name for field in DeliveryAttempt._meta.fields]
    raw_id_fields = ["message"]

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False


class CoverageRecordForm(forms.ModelForm):
    medium = forms.ChoiceField(label=_("access medium"), choices=AccessMedium.choices)

    class Meta:
        model = CoverageRecord
        fields = ["postal_code", "medium", "max_down_mbps", "max_up_mbps"]

    def clean_postal_code(self) -> str:
        # Looked up exactly as an address's postal code, stripped.
        value = "".join(self.cleaned_data["postal_code"].split())
        if not value:
            raise ValidationError(_("Give the postal code."), code="required")
        return value

    def clean(self):
        cleaned = super().clean()
        down, up = cleaned.get("max_down_mbps"), cleaned.get("max_up_mbps")
        if down is not None and down < 1:
            self.add_error("max_down_mbps", ValidationError(
                _("A medium that reaches the address gives some speed; delete the record "
                  "if it does not reach it."), code="invalid"))
        if down and up is not None and up > down:
            self.add_error("max_up_mbps", ValidationError(
                _("The upload speed cannot be above the download speed."), code="invalid"))
        return cleaned


@admin.register(CoverageRecord)
class CoverageRecordAdmin(admin.ModelAdmin):
    """Which access media reach a postal code and how fast: what the network
    management system last said, kept for when it does not answer, or typed
    here by the back office (then without a source). A new subscription is
    checked against these records only while the system is down."""

    form = CoverageRecordForm
    list_display = ["postal_code", "medium_label", "max_down_mbps", "max_up_mbps", "origin",
                    "checked_at"]
    list_filter = ["medium", "source"]
    list_select_related = ["source"]
    search_fields = ["^postal_code"]
    search_help_text = _("Postal code, or its first digits.")
    fields = ["postal_code", "medium", "max_down_mbps", "max_up_mbps", "origin", "checked_at"]
    readonly_fields = ["origin", "checked_at"]

    def save_model(self, request, obj, form, change):
        # Typed by a person: checked now, not by the network system.
        obj.source = None
        obj.checked_at = timezone.now()
        super().save_model(request, obj, form, change)

    @admin.display(description=_("access medium"), ordering="medium")
    def medium_label(self, obj: CoverageRecord) -> str:
        return str(AccessMedium(obj.medium).label) if obj.medium in AccessMedium.values \
            else obj.medium

    @admin.display(description=_("from"), ordering="source__code")
    def origin(self, obj: CoverageRecord) -> str:
        if obj.pk is None:
            return "—"
        return obj.source.name if obj.source is not None else _("Back office")
