"""Choice lists shared by every app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    ENGLISH = "en", _("English")
    SPANISH = "es", _("Spanish")


class Currency(models.TextChoices):
    EURO = "EUR", _("Euro")
    US_DOLLAR = "USD", _("US dollar")
    POUND_STERLING = "GBP", _("Pound sterling")


class ServiceKind(models.TextChoices):
    """The kinds of multimedia service, shared by operator skills, technician
    skills and the catalog."""

    TV_PACKAGE = "tv_package", _("TV package")
    PAY_PER_VIEW = "ppv", _("Pay-per-view")
    IMPULSE_PAY_PER_VIEW = "ippv", _("Impulse pay-per-view")
    NEAR_VIDEO_ON_DEMAND = "nvod", _("Near video on demand")
    INTERNET_ACCESS = "internet", _("Internet access")
    EMAIL = "email", _("E-mail")
    FTP = "ftp", _("FTP")
    WEB_HOSTING = "web_hosting", _("Web hosting")
    HOME_BANKING = "home_banking", _("Home banking")
    HOME_SHOPPING = "home_shopping", _("Home shopping")


class UserKind(models.TextChoices):
    STAFF = "staff", _("Staff")
    PORTAL = "portal", _("Portal customer")
    SYSTEM = "system", _("External system")


# The platform that provisions each kind of service: the conditional-access
# system provisions every TV service, the ISP platform every on-line one.
SERVICE_PLATFORM = {
    ServiceKind.TV_PACKAGE: ServiceKind.TV_PACKAGE,
    ServiceKind.PAY_PER_VIEW: ServiceKind.TV_PACKAGE,
    ServiceKind.IMPULSE_PAY_PER_VIEW: ServiceKind.TV_PACKAGE,
    ServiceKind.NEAR_VIDEO_ON_DEMAND: ServiceKind.TV_PACKAGE,
    ServiceKind.INTERNET_ACCESS: ServiceKind.INTERNET_ACCESS,
    ServiceKind.EMAIL: ServiceKind.INTERNET_ACCESS,
    ServiceKind.FTP: ServiceKind.INTERNET_ACCESS,
    ServiceKind.WEB_HOSTING: ServiceKind.INTERNET_ACCESS,
    ServiceKind.HOME_BANKING: ServiceKind.HOME_BANKING,
    ServiceKind.HOME_SHOPPING: ServiceKind.HOME_SHOPPING,
}
