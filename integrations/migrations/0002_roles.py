from django.db import migrations

from sesmu.roles import ensure_permissions, grant

MODELS = ["externalsystem", "inboundcredential", "outboxmessage", "deliveryattempt",
          "inboundmessage"]
SUPERVISED = ["externalsystem", "outboxmessage", "deliveryattempt", "inboundmessage"]

GRANTS = {
    # Supervisors watch the health and the queues, and retry dead messages
    # (change_outboxmessage / change_inboundmessage).
    "cc_supervisor": [f"integrations.view_{model}" for model in SUPERVISED]
    + ["integrations.change_outboxmessage", "integrations.change_inboundmessage"],
    "executive": ["integrations.view_externalsystem"],
    "backoffice_admin": [
        f"integrations.{action}_{model}"
        for model in MODELS
        for action in ("view", "add", "change", "delete")
    ],
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["integrations"])
    grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("integrations", "0001_initial"), ("sesmu", "0002_roles")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
