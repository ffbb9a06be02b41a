"""Error codes of the subscriptions app."""

NOT_A_DRAFT = "not_a_draft"
EMPTY_OFFER = "empty_offer"
BAD_DATES = "bad_dates"
MEDIUM_NOT_SERVED = "medium_not_served"
DUPLICATE_SERVICE = "duplicate_service"
WRONG_SERVICE_KIND = "wrong_service_kind"
