"""Queries to a network management system: can an address be served, over
which access media and at which speeds, and which access element serves it.

Queries are answered while an operator or a customer waits (the
serviceability check of a new subscription, the outage banner on the
customer 360 page), so they are plain synchronous reads, never outbox
messages: a failure is shown to the person, who can try again.
"""

from __future__ import annotations

from typing import Any

from integrations.adapters.http import HttpAdapter

SERVICEABILITY_PATH = "/tmf-api/serviceability"
SERVING_ELEMENT_PATH = "/tmf-api/servingElement"


def address_params(postal_code: str, street: str, street_number: str) -> dict[str, str]:
    params = {"postalCode": postal_code.strip()}
    if street:
        params["street"] = street
    if street_number:
        params["streetNumber"] = street_number
    return params


class NetworkManagementAdapter(HttpAdapter):
    """Reads coverage and topology from an access, transport or head-end
    network management system."""

    def serviceability(self, *, postal_code: str, street: str = "",
                       street_number: str = "") -> dict[str, Any]:
        """Which access media (copper, cable, satellite) reach the address and
        at which speeds: `{"postalCode", "serviceable", "accessMedia": [{"medium",
        "maxDownstreamMbps", "maxUpstreamMbps"}]}`."""
        return self.request("GET", SERVICEABILITY_PATH,
                            params=address_params(postal_code, street, street_number))

    def serving_element(self, *, postal_code: str, street: str = "", street_number: str = "",
                        medium: str = "") -> dict[str, Any]:
        """The access element that serves the address (over `medium`, or the
        best medium there): `{"postalCode", "medium", "element": {"id", "kind",
        "name"} | null}`. Faults are reported per element, so this is how a
        customer is tied to an outage."""
        params = address_params(postal_code, street, street_number)
        if medium:
            params["medium"] = medium
        return self.request("GET", SERVING_ELEMENT_PATH, params=params)
