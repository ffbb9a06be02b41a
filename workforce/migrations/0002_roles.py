"""The workforce permissions of each role."""

from django.db import migrations

from sesmu.roles import ensure_permissions, grant

ALL_MODELS = ["zone", "postcoderange", "technicianprofile", "absence", "workorder",
              "workorderitem", "workorderevent", "appointment", "schedulerun"]


def perms(*actions, models=ALL_MODELS):
    return [f"workforce.{action}_{model}" for model in models for action in actions]


BOOK = "workforce.book_workorder"
DISPATCH = "workforce.dispatch_workorder"
PERFORM = "workforce.perform_workorder"

GRANTS = {
    "dispatcher": perms("view") + perms("add", "change", models=["workorder", "absence",
                                                                 "technicianprofile"])
    + [BOOK, DISPATCH],
    "field_technician": perms("view", models=["zone"]) + [PERFORM],
    "cc_operator": perms("view", models=["workorder", "workorderitem", "workorderevent",
                                         "appointment", "zone"])
    + ["workforce.add_workorder", BOOK],
    "cc_supervisor": perms("view", models=["workorder", "workorderitem", "workorderevent",
                                           "appointment", "zone", "technicianprofile",
                                           "schedulerun"])
    + ["workforce.add_workorder", BOOK],
    "inventory_clerk": perms("view", models=["workorder", "workorderitem"]),
    "executive": perms("view", models=["workorder", "schedulerun", "zone"]),
    "backoffice_admin": perms("view", "add", "change", "delete") + [BOOK, DISPATCH],
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["workforce"])
    grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("workforce", "0001_initial"), ("sesmu", "0002_roles")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
