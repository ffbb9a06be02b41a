"""The organisation of the call centers: the centers and their operators."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CallCenter(models.Model):
    """One call center; several work on the same system, each with its own
    operators and, later, teams."""

    code = models.SlugField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=100, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("call center")
        verbose_name_plural = _("call centers")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class OperatorProfile(models.Model):
    """A staff user's place in a call center: where their calls are recorded
    and which languages they serve customers in."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="operator_profile",
    )
    call_center = models.ForeignKey(
        CallCenter, verbose_name=_("call center"), on_delete=models.PROTECT,
        related_name="operators",
    )
    languages = models.JSONField(_("languages spoken"), default=list, blank=True)
    extension = models.CharField(_("phone extension"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("operator profile")
        verbose_name_plural = _("operator profiles")

    def __str__(self) -> str:
        return f"{self.user} @ {self.call_center}"
