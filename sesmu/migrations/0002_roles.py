"""The roles of SESMU, as groups. Each app grants its permissions to them in
its own migrations."""

from django.db import migrations

ROLES = [
    "cc_operator", "cc_supervisor", "billing_agent", "dispatcher", "field_technician",
    "inventory_clerk", "marketing_agent", "executive", "backoffice_admin",
]


def create_roles(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in ROLES:
        Group.objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("sesmu", "0001_initial"), ("auth", "0012_alter_user_first_name_max_length")]

    operations = [migrations.RunPython(create_roles, migrations.RunPython.noop)]
