from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InventoryConfig(AppConfig):
    name = "inventory"
    verbose_name = _("Inventory")

    def ready(self) -> None:
        from callcenter import panels, search
        from inventory import desk

        search.register(desk.EquipmentSearchProvider())
        for panel in desk.PANELS:
            panels.register(panel)
