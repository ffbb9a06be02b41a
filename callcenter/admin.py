from django.contrib import admin

from callcenter.models import CallCenter, OperatorProfile


@admin.register(CallCenter)
class CallCenterAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["code", "name", "city"]


@admin.register(OperatorProfile)
class OperatorProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "call_center", "extension"]
    list_filter = ["call_center"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    autocomplete_fields = ["user"]
