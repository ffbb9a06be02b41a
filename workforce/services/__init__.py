"""Write paths of the workforce app, by subject."""

from workforce.services.orders import (  # noqa: F401
    appointment_book,
    check_fit,
    check_signature,
    dispatch_day,
    work_order_arrive,
    work_order_assign,
    work_order_cancel,
    work_order_complete,
    work_order_create,
    work_order_dispatch,
    work_order_fail,
    work_order_start_travel,
    work_order_unassign,
)
from workforce.services.planning import load_day, schedule_day  # noqa: F401
from workforce.services.technicians import absence_add, technician_profile_save  # noqa: F401
