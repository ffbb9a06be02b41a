"""The coverage kept for when the network management system does not
answer is reference data of the back office; supervisors may look at it."""

from django.db import migrations

from sesmu.roles import ensure_permissions, grant

GRANTS = {
    "backoffice_admin": [f"integrations.{action}_coveragerecord"
                         for action in ("view", "add", "change", "delete")],
    "cc_supervisor": ["integrations.view_coveragerecord"],
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["integrations"])
    grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0004_coveragerecord"), ("sesmu", "0002_roles")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
