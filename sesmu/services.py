"""Write paths of the core."""

from __future__ import annotations

from django.db import transaction
from django.utils.translation import gettext as _

from sesmu.audit import audit_record
from sesmu.choices import Language
from sesmu.errors import field_error
from sesmu.models import AuditAction, User


@transaction.atomic
def user_set_language(*, user: User, language: str, actor: User | None) -> User:
    if language not in Language.values:
        raise field_error("language", _("Unknown language."), code="invalid_language")
    if user.language == language:
        return user
    before = user.language
    User.objects.filter(pk=user.pk).update(language=language)
    user.language = language
    audit_record(
        actor=actor,
        action=AuditAction.UPDATE,
        target=user,
        changes={"language": [before, language]},
    )
    return user
