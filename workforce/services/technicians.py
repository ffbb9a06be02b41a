"""Technicians' profiles and absences."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from inventory import services as inventory
from sesmu.audit import audit_record, diff
from sesmu.errors import field_error
from sesmu.models import AuditAction, User
from sesmu.roles import Role
from workforce import errors
from workforce.models import Absence, TechnicianProfile, Zone

PROFILE_FIELDS = ("skills", "home_zone", "work_days", "shift_start", "shift_end",
                  "daily_capacity", "is_active")


@transaction.atomic
def technician_profile_save(*, technician: User, actor: User | None,
                            data: dict[str, Any], zones: list[Zone] | None = None
                            ) -> TechnicianProfile:
    """Create or change a field technician's profile; the first save also
    gives them their van."""
    if not technician.groups.filter(name=Role.FIELD_TECHNICIAN).exists():
        raise field_error("technician", _("%(user)s is not a field technician.")
                          % {"user": technician.get_full_name() or technician.get_username()},
                          code=errors.NOT_A_TECHNICIAN)
    profile = TechnicianProfile.objects.select_for_update().filter(user=technician).first()
    creating = profile is None
    if creating:
        profile = TechnicianProfile(user=technician, work_days=[0, 1, 2, 3, 4])
    before = {name: getattr(profile, name) for name in PROFILE_FIELDS}
    for name, value in data.items():
        if name not in PROFILE_FIELDS:
            raise ValueError(f"{name} is not a profile field")
        setattr(profile, name, value)
    profile.full_clean(exclude=["user", "van"])
    if profile.van_id is None:
        profile.van = inventory.van_for_technician(technician=technician, actor=actor)
    profile.save()
    if zones is not None:
        profile.zones.set(zones)
    audit_record(actor=actor, action=AuditAction.CREATE if creating else AuditAction.UPDATE,
                 target=profile, changes=diff({} if creating else before,
                                              {name: getattr(profile, name)
                                               for name in PROFILE_FIELDS}))
    return profile


@transaction.atomic
def absence_add(*, technician: TechnicianProfile, start_date: date, end_date: date,
                actor: User | None, reason: str = "") -> Absence:
    if end_date < start_date:
        raise field_error("end_date", _("The absence must end on or after its first day."),
                          code=errors.BAD_RANGE)
    absence = Absence.objects.create(technician=technician, start_date=start_date,
                                     end_date=end_date, reason=reason[:200])
    audit_record(actor=actor, action=AuditAction.CREATE, target=absence)
    return absence
