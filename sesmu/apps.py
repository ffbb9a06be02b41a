from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SesmuConfig(AppConfig):
    name = "sesmu"
    verbose_name = _("SESMU core")
