"""Choice lists of the inventory app."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class EquipmentKind(models.TextChoices):
    SET_TOP_BOX = "set_top_box", _("Set-top box")
    SMART_CARD = "smart_card", _("Smart card")
    CABLE_MODEM = "cable_modem", _("Cable modem")
    ADSL_ROUTER = "adsl_router", _("ADSL router")
    SATELLITE_DISH = "satellite_dish", _("Satellite dish")
    LNB = "lnb", _("LNB")
    CA_MODULE = "ca_module", _("Conditional-access module")


# Kinds the network knows by an identity of their own: an element manager
# authorises them, so a missing one must be blacklisted there.
ADDRESSABLE_KINDS = frozenset({
    EquipmentKind.SMART_CARD, EquipmentKind.CA_MODULE,
    EquipmentKind.CABLE_MODEM, EquipmentKind.ADSL_ROUTER,
})
# Kinds that cannot work without a MAC address / a card number.
KINDS_NEEDING_MAC = frozenset({EquipmentKind.CABLE_MODEM, EquipmentKind.ADSL_ROUTER})
KINDS_NEEDING_CARD_NUMBER = frozenset({EquipmentKind.SMART_CARD, EquipmentKind.CA_MODULE})
# A card pairs with a box it decodes for.
PAIRABLE = {
    EquipmentKind.SMART_CARD: frozenset({EquipmentKind.SET_TOP_BOX, EquipmentKind.CA_MODULE}),
}


class AccessMedium(models.TextChoices):
    COPPER = "copper", _("Copper (ADSL)")
    CABLE = "cable", _("Cable")
    SATELLITE = "satellite", _("Satellite")


class SupplyTerms(models.TextChoices):
    SOLD = "sold", _("Sold")
    RENTED = "rented", _("Rented")
    LENT = "lent", _("Lent")


class LocationKind(models.TextChoices):
    WAREHOUSE = "warehouse", _("Warehouse")
    VAN = "van", _("Technician's van")
    REPAIR_CENTRE = "repair_centre", _("Repair centre")


class ItemState(models.TextChoices):
    IN_STOCK = "in_stock", _("In stock")
    RESERVED = "reserved", _("Reserved")
    WITH_TECHNICIAN = "with_technician", _("With technician")
    INSTALLED = "installed", _("Installed at customer")
    RETURNED = "returned", _("Returned")
    IN_REPAIR = "in_repair", _("In repair")
    REFURBISHED = "refurbished", _("Refurbished")
    FAULTY = "faulty", _("Faulty")
    LOST = "lost", _("Lost")
    STOLEN = "stolen", _("Stolen")
    SCRAPPED = "scrapped", _("Scrapped")
    RETURNED_TO_SUPPLIER = "returned_to_supplier", _("Returned to supplier")


# Where an item is, by state: at one of our locations, at a customer's, or
# nowhere we know. The database checks these (see EquipmentItem.Meta).
STATES_AT_LOCATION = (
    ItemState.IN_STOCK, ItemState.RESERVED, ItemState.WITH_TECHNICIAN, ItemState.RETURNED,
    ItemState.IN_REPAIR, ItemState.REFURBISHED, ItemState.FAULTY,
)
STATES_HELD_FOR_CUSTOMER = (ItemState.RESERVED, ItemState.WITH_TECHNICIAN)
STATES_GONE = (
    ItemState.LOST, ItemState.STOLEN, ItemState.SCRAPPED, ItemState.RETURNED_TO_SUPPLIER,
)
# Items that can be moved between locations by a transfer.
TRANSFERABLE_STATES = (
    ItemState.IN_STOCK, ItemState.RESERVED, ItemState.WITH_TECHNICIAN, ItemState.RETURNED,
    ItemState.REFURBISHED, ItemState.FAULTY,
)


class MovementAction(models.TextChoices):
    RECEIVED = "received", _("Received from supplier")
    RESERVED = "reserved", _("Reserved")
    RELEASED = "released", _("Reservation released")
    HANDED_OVER = "handed_over", _("Handed over to technician")
    TRANSFERRED = "transferred", _("Transferred")
    INSTALLED = "installed", _("Installed")
    RECOVERED = "recovered", _("Recovered from customer")
    RESTOCKED = "restocked", _("Back in stock")
    SENT_TO_REPAIR = "sent_to_repair", _("Sent to repair")
    REPAIRED = "repaired", _("Repaired")
    MARKED_FAULTY = "marked_faulty", _("Marked faulty")
    DECLARED_LOST = "declared_lost", _("Declared lost")
    DECLARED_STOLEN = "declared_stolen", _("Declared stolen")
    FOUND = "found", _("Found")
    SCRAPPED = "scrapped", _("Scrapped")
    RETURNED_TO_SUPPLIER = "returned_to_supplier", _("Returned to supplier")
    PAIRED = "paired", _("Paired")
    UNPAIRED = "unpaired", _("Unpaired")
    OWNER_CHANGED = "owner_changed", _("Passed to a new owner")


# The warehouse actions a clerk takes from an item's page, and the
# transition each calls on the model.
class WarehouseAction(models.TextChoices):
    RESTOCK = "restock", _("Put back in stock")
    SEND_TO_REPAIR = "send_to_repair", _("Send to repair")
    REPAIR = "repair", _("Mark repaired")
    MARK_FAULTY = "mark_faulty", _("Mark faulty")
    SCRAP = "scrap", _("Scrap")
    RETURN_TO_SUPPLIER = "return_to_supplier", _("Return to supplier")


class ChargeKind(models.TextChoices):
    NON_RETURN = "non_return", _("Non-return fee")


class ChargeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    BILLED = "billed", _("Billed")
    CANCELLED = "cancelled", _("Cancelled")


class ReceiptStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    PROCESSING = "processing", _("Processing")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")
