"""Who may do what with subscriptions: operators sell and change them for
the customer; supervisors and billing agents also impose the provider's
degrade, suspension and cancellation; everyone who explains reads them."""

from django.db import migrations

from sesmu.roles import ensure_permissions, grant

MODELS = ["subscription", "subscriptionorder", "subscriptionitem", "subscriptionuser",
          "ordermilestone", "provisioningstep", "subscriptioncharge", "payperviewpurchase"]


def view(*models):
    return [f"subscriptions.view_{model}" for model in models or MODELS]


SELL = ["subscriptions.sell_subscription", "subscriptions.manage_subscription"]
IMPOSE = ["subscriptions.impose_subscription"]

GRANTS = {
    "cc_operator": view() + SELL,
    "cc_supervisor": view() + SELL + IMPOSE,
    "billing_agent": view() + IMPOSE,
    "dispatcher": view("subscription", "subscriptionorder", "subscriptionitem"),
    "field_technician": view("subscription", "subscriptionitem"),
    "executive": view(),
    "marketing_agent": view("subscription", "subscriptionitem"),
    "backoffice_admin": view() + SELL + IMPOSE + [
        f"subscriptions.{action}_{model}" for model in MODELS
        for action in ("add", "change")],
}


def grant_roles(apps, schema_editor):
    ensure_permissions(apps, ["subscriptions"])
    grant(apps, GRANTS)


class Migration(migrations.Migration):
    dependencies = [("subscriptions", "0003_subscriptions")]

    operations = [migrations.RunPython(grant_roles, migrations.RunPython.noop)]
