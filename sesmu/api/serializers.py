from __future__ import annotations

from sesmu.choices import UserKind


class StaffOnlyFieldsMixin:
    """Leave out fields meant for staff (internal notes, who handled a call)
    when a portal customer reads their own data."""

    staff_only_fields: tuple[str, ...] = ()

    def get_fields(self):
        fields = super().get_fields()
        request = self.context.get("request")
        user = getattr(request, "user", None)
        if user is not None and getattr(user, "kind", None) == UserKind.PORTAL:
            for name in self.staff_only_fields:
                fields.pop(name, None)
        return fields
