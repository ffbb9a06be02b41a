"""Choice lists of the subscriptions app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class CredentialKind(models.TextChoices):
    """What a service user needs of their own to use the service."""

    NONE = "none", _("Nothing")
    SMART_CARD = "smart_card", _("Smart card")
    ISP_LOGIN = "isp_login", _("Internet login")
    MAILBOX = "mailbox", _("Mailbox")
    FTP_ACCOUNT = "ftp_account", _("FTP account")
    HOSTING_ACCOUNT = "hosting_account", _("Hosting account")
    BANKING_USER = "banking_user", _("Home-banking user")
    SHOPPING_USER = "shopping_user", _("Home-shopping user")


class OfferStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    RETIRED = "retired", _("Retired")


class ItemRole(models.TextChoices):
    INCLUDED = "included", _("Included")
    OPTION = "option", _("Option")
