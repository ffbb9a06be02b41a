"""Roles are Django groups; their permissions are granted by data migrations
(each app grants its own models' permissions in its own migration)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    CC_OPERATOR = "cc_operator", _("Call-center operator")
    CC_SUPERVISOR = "cc_supervisor", _("Call-center supervisor")
    BILLING_AGENT = "billing_agent", _("Billing agent")
    DISPATCHER = "dispatcher", _("Dispatcher")
    FIELD_TECHNICIAN = "field_technician", _("Field technician")
    INVENTORY_CLERK = "inventory_clerk", _("Inventory clerk")
    MARKETING_AGENT = "marketing_agent", _("Marketing agent")
    EXECUTIVE = "executive", _("Executive")
    BACKOFFICE_ADMIN = "backoffice_admin", _("Back-office administrator")


def ensure_permissions(apps, app_labels: Iterable[str]) -> None:
    """Create the model permissions of these apps now: Django only creates
    them after all migrations ran, too late for a data migration."""
    from django.contrib.auth.management import create_permissions

    for label in app_labels:
        app_config = apps.get_app_config(label)
        app_config.models_module = True
        create_permissions(app_config, verbosity=0, apps=apps)
        app_config.models_module = None


def grant(apps, grants: dict[str, list[str]]) -> None:
    """grants: {role: ["app_label.codename", ...]}. Idempotent."""
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for role, permission_names in grants.items():
        group, _created = Group.objects.get_or_create(name=role)
        for name in permission_names:
            app_label, codename = name.split(".")
            permission = Permission.objects.get(
                content_type__app_label=app_label, codename=codename
            )
            group.permissions.add(permission)


def works_only_in_the_field(user) -> bool:
    """A field technician with no other role: their start page is their day
    on the phone page, not the operator desk."""
    return set(user.groups.values_list("name", flat=True)) == {Role.FIELD_TECHNICIAN}
