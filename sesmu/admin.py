from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from sesmu.models import AuditEvent, NumberSeries, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    list_display = ["username", "get_full_name", "email", "kind", "language", "is_active",
                    "is_staff", "last_login"]
    list_filter = ["kind", "language", "is_active", "is_staff", "groups"]
    search_fields = ["username", "first_name", "last_name", "email"]
    fieldsets = [
        *DjangoUserAdmin.fieldsets,
        (_("SESMU"), {"fields": ["kind", "language"]}),
    ]
    add_fieldsets = [
        *DjangoUserAdmin.add_fieldsets,
        (_("SESMU"), {"fields": ["kind", "language", "groups"]}),
    ]


@admin.register(NumberSeries)
class NumberSeriesAdmin(admin.ModelAdmin):
    list_display = ["name", "prefix", "padding", "next_value", "updated_at"]
    readonly_fields = ["next_value", "updated_at"]

    def has_delete_permission(self, request, obj=None) -> bool:
        # Deleting a series would restart it and reuse numbers.
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit trail is append-only: readable, never editable."""

    list_display = ["created_at", "actor_label", "action", "object_type", "object_label",
                    "channel", "ip_address"]
    list_filter = ["action", "channel", "object_type"]
    search_fields = ["actor_label", "object_id", "object_label", "request_id"]
    date_hierarchy = "created_at"
    list_select_related = False

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
