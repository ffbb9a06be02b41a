"""Write paths of the inventory app, by subject."""

from inventory.services.catalog import equipment_model_save, stock_location_save  # noqa: F401
from inventory.services.items import (  # noqa: F401
    WAREHOUSE_TRANSITIONS,
    equipment_item_change_owner,
    equipment_item_declare_missing,
    equipment_item_found,
    equipment_item_hand_over,
    equipment_item_install,
    equipment_item_pair,
    equipment_item_recover,
    equipment_item_release,
    equipment_item_reserve,
    equipment_item_swap,
    equipment_item_unpair,
    equipment_item_warehouse_action,
    warehouse_actions_for,
)
from inventory.services.locations import stock_transfer_create, van_for_technician  # noqa: F401
from inventory.services.receipts import (  # noqa: F401
    goods_receipt_create,
    goods_receipt_error_report,
    goods_receipt_process,
    goods_receipt_sweep,
    read_delivery_file,
)
