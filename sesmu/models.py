"""Core records every app may use: users, number series and the audit trail."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _

from sesmu.choices import Language, UserKind


class User(AbstractUser):
    """Anyone who logs in: staff (operators, technicians, managers), portal
    customers (tied to one customer in `customers.PortalAccount`) and external
    systems calling the API with a token."""

    kind = models.CharField(
        _("kind"), max_length=10, choices=UserKind.choices, default=UserKind.STAFF
    )
    language = models.CharField(
        _("language"), max_length=5, choices=Language.choices, default=Language.ENGLISH
    )

    class Meta(AbstractUser.Meta):
        swappable = "AUTH_USER_MODEL"
        verbose_name = _("user")
        verbose_name_plural = _("users")

    @property
    def is_staff_user(self) -> bool:
        return self.kind == UserKind.STAFF

    @property
    def is_portal_user(self) -> bool:
        return self.kind == UserKind.PORTAL


class NumberSeries(models.Model):
    """A gap-free series of document numbers (customers, accounts, invoices).

    The next value is taken under a row lock inside the caller's transaction,
    so a rolled-back transaction gives its number back and two concurrent
    callers never get the same one."""

    name = models.CharField(_("name"), max_length=50, unique=True)
    prefix = models.CharField(_("prefix"), max_length=10, blank=True)
    padding = models.PositiveSmallIntegerField(_("digits"), default=8)
    next_value = models.PositiveBigIntegerField(_("next value"), default=1)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")

    def __str__(self) -> str:
        return f"{self.name} ({self.format(self.next_value)} next)"

    def format(self, value: int) -> str:
        return f"{self.prefix}{value:0{self.padding}d}"


class AuditAction(models.TextChoices):
    VIEW = "view", _("Viewed")
    CREATE = "create", _("Created")
    UPDATE = "update", _("Changed")
    DELETE = "delete", _("Deleted")
    TRANSITION = "transition", _("Status changed")
    LOGIN = "login", _("Logged in")
    LOGIN_FAILED = "login_failed", _("Failed login")


class AuditEvent(models.Model):
    """Who saw or changed what, when and from where: operators, portal
    customers and API clients alike. Append-only."""

    actor = models.ForeignKey(
        User, verbose_name=_("actor"), null=True, blank=True, on_delete=models.PROTECT,
        related_name="+",
    )
    actor_label = models.CharField(_("actor name"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=20, choices=AuditAction.choices)
    object_type = models.CharField(_("object type"), max_length=100)
    object_id = models.CharField(_("object id"), max_length=64)
    object_label = models.CharField(_("object"), max_length=200, blank=True)
    customer_id = models.BigIntegerField(_("customer id"), null=True, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    channel = models.CharField(_("channel"), max_length=20, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    request_id = models.CharField(_("request id"), max_length=40, blank=True)
    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="audit_object_idx"),
            models.Index(fields=["customer_id", "-created_at"], name="audit_customer_idx"),
            models.Index(fields=["actor", "-created_at"], name="audit_actor_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.actor_label} {self.action} {self.object_type}#{self.object_id}"
