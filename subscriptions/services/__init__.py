"""Write paths of the subscriptions app, by subject."""

from subscriptions.services.catalog import (  # noqa: F401
    ItemSpec,
    check_publishable,
    offer_create,
    offer_version_draft,
    offer_version_publish,
    offer_version_retire,
    offer_version_update,
)
