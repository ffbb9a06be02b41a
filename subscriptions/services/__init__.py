"""Write paths of the subscriptions app, by subject."""

from subscriptions.services.catalog import (  # noqa: F401
    ItemSpec,
    check_publishable,
    offer_create,
    offer_version_draft,
    offer_version_publish,
    offer_version_retire,
    offer_version_update,
    offer_versions_retire_expired,
)
from subscriptions.services.lifecycle import (  # noqa: F401
    UserSpec,
    orders_run_due,
    pay_per_view_order,
    subscription_add_option,
    subscription_add_user,
    subscription_book_visit,
    subscription_cancel,
    subscription_change_offer,
    subscription_change_owner,
    subscription_create,
    subscription_degrade,
    subscription_move,
    subscription_order_cancel,
    subscription_remove_option,
    subscription_remove_user,
    subscription_resume,
    subscription_suspend,
)
from subscriptions.services.orders import order_retry  # noqa: F401
