"""What the inventory app puts on the operator desk: equipment serials, MAC
addresses and card numbers in the search box, and the Equipment panel."""

from __future__ import annotations

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from callcenter.panels import Panel
from callcenter.search import SearchHit
from customers.models import Customer
from customers.selectors import customer_list_visible_to
from inventory import selectors
from inventory.choices import ItemState
from sesmu.models import User


class EquipmentSearchProvider:
    """Finds an item by serial number, MAC address or card number. An item at
    a customer's opens that customer (the caller is holding the box);
    anything else opens the item's page."""

    name = "equipment"

    def search(self, *, query: str, actor: User, limit: int) -> tuple[list[SearchHit], bool]:
        if " " in query.strip():
            return [], False
        items = selectors.item_find_by_identifier(actor=actor, text=query, limit=limit)
        customer_ids = set(
            customer_list_visible_to(actor=actor)
            .filter(pk__in=[item.customer_id for item in items if item.customer_id])
            .values_list("pk", flat=True)
        )
        hits = []
        for item in items:
            matched = next(
                (value for value in (item.serial_number, item.mac_address, item.card_number)
                 if value and value.replace(":", "").upper()
                 == query.replace(":", "").replace("-", "").replace(".", "").upper()),
                item.serial_number,
            )
            subtitle = f"{item.model} · {item.state_label}"
            if item.state == ItemState.INSTALLED and item.customer_id in customer_ids:
                customer = item.customer
                hits.append(SearchHit(
                    kind="equipment", kind_label=str(_("Equipment")),
                    title=f"{customer.number} · {customer.display_name}",
                    subtitle=f"{item.model.kind_label} {item.serial_number} · {subtitle}",
                    matched=matched, url=reverse("callcenter:customer", args=[customer.pk]),
                    target=f"customer:{customer.pk}",
                ))
                continue
            where = item.location.name if item.location_id else ""
            hits.append(SearchHit(
                kind="equipment", kind_label=str(_("Equipment")),
                title=f"{item.model.kind_label} {item.serial_number}",
                subtitle=" · ".join(part for part in (subtitle, where) if part),
                matched=matched, url=reverse("inventory:item", args=[item.pk]),
                target=f"item:{item.pk}",
            ))
        return hits, False


def equipment_context(*, customer: Customer, actor: User) -> dict:
    return {
        "items": selectors.customer_equipment(customer=customer),
        "charges": list(selectors.pending_charges(customer=customer))
        if actor.has_perm("inventory.view_equipmentcharge") else [],
        "can_open_items": actor.has_perm("inventory.view_equipmentitem"),
    }


PANELS = [
    Panel(
        key="equipment",
        title=_("Equipment"),
        template="inventory/panels/equipment.html",
        context=equipment_context,
        order=20,
        column="main",
        lazy=True,
        permission="inventory.view_equipmentitem",
    ),
]
