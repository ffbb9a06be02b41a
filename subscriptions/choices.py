"""Choice lists of the subscriptions app."""

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy


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


class SubscriptionState(models.TextChoices):
    """TMF637 in spirit: a product a customer has, and where it stands."""

    PENDING_ACTIVATION = "pending_activation", _("Pending activation")
    ACTIVE = "active", _("Active")
    SUSPENDED = "suspended", _("Suspended")
    PENDING_TERMINATION = "pending_termination", _("Pending termination")
    TERMINATED = "terminated", _("Terminated")
    ABORTED = "aborted", _("Aborted")


LIVE_STATES = (SubscriptionState.PENDING_ACTIVATION, SubscriptionState.ACTIVE,
               SubscriptionState.SUSPENDED, SubscriptionState.PENDING_TERMINATION)


class Initiator(models.TextChoices):
    """Who asked for a suspension or a cancellation."""

    CUSTOMER = "customer", _("The customer")
    PROVIDER = "provider", _("The provider")


class OrderAction(models.TextChoices):
    """TMF622 in spirit: what a subscription order does."""

    NEW = "new", _("New subscription")
    MODIFY = "modify", _("Modification")
    SUSPEND = "suspend", _("Suspension")
    RESUME = "resume", _("Resumption")
    CANCEL = "cancel", _("Cancellation")


class ModifyKind(models.TextChoices):
    CHANGE_OFFER = "change_offer", _("Change of offer")
    ADD_OPTION = "add_option", _("Option added")
    REMOVE_OPTION = "remove_option", _("Option removed")
    ADD_USER = "add_user", _("Service user added")
    REMOVE_USER = "remove_user", _("Service user removed")
    MOVE = "move", _("Move to another address")
    CHANGE_OWNER = "change_owner", _("Change of owner")
    DEGRADE = "degrade", _("Service degraded")
    PAY_PER_VIEW = "ppv", _("Pay-per-view purchase")


class OrderState(models.TextChoices):
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    IN_PROGRESS = "in_progress", _("In progress")
    HELD = "held", pgettext_lazy("subscription order state", "Held")
    COMPLETED = "completed", _("Completed")
    CANCELLED = "cancelled", _("Cancelled")


OPEN_ORDER_STATES = (OrderState.ACKNOWLEDGED, OrderState.IN_PROGRESS, OrderState.HELD)


class ItemState(models.TextChoices):
    """What SESMU asked the element manager for one service of a subscription."""

    PENDING = "pending", pgettext_lazy("subscribed service state", "Not yet enabled")
    ACTIVE = "active", pgettext_lazy("subscribed service state", "Enabled")
    SUSPENDED = "suspended", pgettext_lazy("subscribed service state", "Suspended")
    REMOVED = "removed", pgettext_lazy("subscribed service state", "Disabled")


class StepStatus(models.TextChoices):
    WAITING = "waiting", _("Waiting for the element manager")
    APPLIED = "applied", _("Applied")
    FAILED = "failed", _("Refused")


class ChargeKind(models.TextChoices):
    SETUP_FEE = "setup_fee", _("Set-up fee")
    EARLY_TERMINATION_FEE = "early_termination_fee", _("Early-termination fee")
    PAY_PER_VIEW = "ppv", _("Pay-per-view")


class Channel(models.TextChoices):
    DESK = "desk", _("Operator desk")
    API = "api", _("External channel")
    PORTAL = "portal", _("Customer portal")
    SYSTEM = "system", _("SESMU")
