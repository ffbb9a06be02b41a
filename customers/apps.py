from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from callcenter import panels, search
        from customers import desk

        search.register(desk.CustomerSearchProvider())
        for panel in desk.PANELS:
            panels.register(panel)
