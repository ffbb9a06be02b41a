from django.db import migrations

from sesmu.roles import ensure_permissions, grant

GRANTS = {
    "cc_operator": ["callcenter.view_callcenter"],
    "cc_supervisor": ["callcenter.view_callcenter", "callcenter.view_operatorprofile",
                      "callcenter.change_operatorprofile"],
    "executive": ["callcenter.view_callcenter"],
    "backoffice_admin": [
        f"callcenter.{action}_{model}"
        for model in ("callcenter", "operatorprofile")
        for action in ("view", "add", "change", "delete")
    ],
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["callcenter"])
    grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("callcenter", "0001_initial"), ("sesmu", "0002_roles")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
