"""The catalog permissions of each role: everyone who sells or explains
reads it; marketing shapes offers; the back office manages it all."""

from django.db import migrations

from sesmu.roles import ensure_permissions, grant

CATALOG = ["catalogservice", "programmeevent", "offer", "offerversion", "offeritem"]
OFFERS = ["offer", "offerversion", "offeritem"]


def perms(*actions, models=CATALOG):
    return [f"subscriptions.{action}_{model}" for model in models for action in actions]


GRANTS = {
    "cc_operator": perms("view"),
    "cc_supervisor": perms("view"),
    "billing_agent": perms("view"),
    "dispatcher": perms("view"),
    "executive": perms("view"),
    "marketing_agent": perms("view") + perms("add", "change", models=OFFERS),
    "backoffice_admin": perms("view", "add", "change", "delete"),
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["subscriptions"])
    grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0001_initial"), ("sesmu", "0002_roles")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
