"""PostgreSQL full-text index for name search (SQLite falls back to LIKE),
and the customers permissions of each role."""

from django.db import migrations

from sesmu.roles import ensure_permissions, grant

MODELS = ["customer", "serviceuser", "contactpoint", "address", "billingaccount", "interaction"]


def perms(*actions, models=MODELS):
    return [f"customers.{action}_{model}" for model in models for action in actions]


GRANTS = {
    "cc_operator": perms("view", "add", "change") + ["customers.delete_contactpoint"],
    "cc_supervisor": perms("view", "add", "change") + ["customers.delete_contactpoint",
                                                       "customers.view_customerevent",
                                                       "customers.view_portalaccount",
                                                       "sesmu.view_auditevent"],
    "billing_agent": perms("view") + perms("change", "add", models=["billingaccount"]),
    "dispatcher": perms("view", models=["customer", "serviceuser", "contactpoint", "address"]),
    "field_technician": perms("view", models=["customer", "contactpoint", "address"]),
    "inventory_clerk": perms("view", models=["customer", "address"]),
    "marketing_agent": perms("view", models=["customer", "contactpoint", "address",
                                             "interaction"]),
    "executive": perms("view", models=["customer", "billingaccount", "interaction"]),
    "backoffice_admin": perms("view", "add", "change", "delete")
    + perms("view", "add", "change", "delete", models=["customerevent", "portalaccount"])
    + ["sesmu.view_auditevent", "sesmu.view_numberseries", "sesmu.view_user",
       "sesmu.add_user", "sesmu.change_user"],
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["sesmu", "customers"])
    grant(apps, GRANTS)


def create_search_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        "CREATE INDEX IF NOT EXISTS customer_search_name_fts ON customers_customer "
        "USING gin (to_tsvector('simple'::regconfig, search_name))"
    )


def drop_search_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute("DROP INDEX IF EXISTS customer_search_name_fts")


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial"), ("sesmu", "0002_roles")]

    operations = [
        migrations.RunPython(create_search_index, drop_search_index),
        migrations.RunPython(grant_roles, migrations.RunPython.noop),
    ]
