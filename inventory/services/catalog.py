"""Reference data of the inventory: the catalog of equipment models and the
stock locations. Validated by the models themselves, audited like any
change."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, models, transaction
from django.utils.translation import gettext as _

from inventory.models import EquipmentModel, StockLocation
from sesmu.audit import audit_record, diff
from sesmu.errors import field_error
from sesmu.models import AuditAction, User


@transaction.atomic
def _reference_save(instance: models.Model, *, actor: User | None,
                    data: dict[str, Any]) -> models.Model:
    creating = instance.pk is None
    if not creating:
        instance = type(instance).objects.select_for_update().get(pk=instance.pk)
    before = {name: getattr(instance, name) for name in data}
    for name, value in data.items():
        setattr(instance, name, value)
    instance.full_clean()
    try:
        with transaction.atomic():
            instance.save()
    except IntegrityError:
        # Two requests took the same code at once; the other one won.
        raise field_error("code", _("This code is already in use."), code="unique")
    audit_record(actor=actor, action=AuditAction.CREATE if creating else AuditAction.UPDATE,
                 target=instance, changes=diff({} if creating else before, data))
    return instance


def equipment_model_save(*, actor: User | None, data: dict[str, Any],
                         model: EquipmentModel | None = None) -> EquipmentModel:
    """Create an equipment model, or change `model`."""
    return _reference_save(model or EquipmentModel(), actor=actor, data=data)


def stock_location_save(*, actor: User | None, data: dict[str, Any],
                        location: StockLocation | None = None) -> StockLocation:
    """Create a warehouse or repair centre, or change `location` (vans are
    made by van_for_technician)."""
    return _reference_save(location or StockLocation(), actor=actor, data=data)
