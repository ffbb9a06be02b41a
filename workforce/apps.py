from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WorkforceConfig(AppConfig):
    name = "workforce"
    verbose_name = _("Field work")

    def ready(self) -> None:
        from callcenter import panels, search
        from workforce import desk

        search.register(desk.WorkOrderSearchProvider())
        for panel in desk.PANELS:
            panels.register(panel)
