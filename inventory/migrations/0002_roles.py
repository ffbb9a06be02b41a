"""The inventory permissions of each role."""

from django.db import migrations

from sesmu.roles import ensure_permissions, grant

ALL_MODELS = ["equipmentmodel", "stocklocation", "goodsreceipt", "receiptrejection",
              "equipmentitem", "equipmentinstallation", "stocktransfer", "equipmentmovement",
              "equipmentcharge"]


def perms(*actions, models=ALL_MODELS):
    return [f"inventory.{action}_{model}" for model in models for action in actions]


MOVE = "inventory.move_equipmentitem"
DECLARE = "inventory.declare_missing_equipmentitem"
RECEIVE = "inventory.receive_equipment"
# Warehouse decisions (restock, repair, scrap, back to the supplier) are the
# clerks' own: technicians and dispatchers move items but do not write them off.
HANDLE_STOCK = "inventory.handle_stock_equipmentitem"

GRANTS = {
    "inventory_clerk": perms("view")
    + perms("add", "change", models=["equipmentmodel", "stocklocation"])
    + ["inventory.add_stocktransfer", "inventory.add_goodsreceipt", MOVE, DECLARE, RECEIVE,
       HANDLE_STOCK],
    "cc_operator": perms("view", models=["equipmentmodel", "equipmentitem", "equipmentcharge"])
    + [DECLARE],
    "cc_supervisor": perms("view", models=["equipmentmodel", "equipmentitem", "equipmentcharge",
                                           "equipmentmovement", "equipmentinstallation",
                                           "stocklocation"])
    + [DECLARE],
    "field_technician": perms("view", models=["equipmentmodel", "equipmentitem",
                                              "stocklocation"]) + [MOVE],
    "dispatcher": perms("view", models=["equipmentmodel", "equipmentitem", "stocklocation",
                                        "equipmentmovement", "equipmentinstallation"]) + [MOVE],
    "billing_agent": perms("view", models=["equipmentmodel", "equipmentitem",
                                           "equipmentcharge"]),
    "executive": perms("view", models=["equipmentmodel", "equipmentitem", "stocklocation"]),
    "backoffice_admin": perms("view", "add", "change", "delete")
    + [MOVE, DECLARE, RECEIVE, HANDLE_STOCK],
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["inventory"])
    grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("inventory", "0001_initial"), ("sesmu", "0002_roles")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
