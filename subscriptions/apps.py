from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SubscriptionsConfig(AppConfig):
    name = "subscriptions"
    verbose_name = _("Subscriptions")

    def ready(self) -> None:
        from callcenter import panels, search
        from subscriptions import desk, receivers

        receivers.connect()
        search.register(desk.SubscriptionSearchProvider())
        for panel in desk.PANELS:
            panels.register(panel)
