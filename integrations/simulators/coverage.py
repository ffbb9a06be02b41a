"""The network simulator's built-in coverage: which access media reach a
postal code, at which speeds, through which access element.

Small and fixed so tests and the demo can rely on exact answers: Madrid
(280..) has cable and copper, Seville (41...) cable and copper, Barcelona
(08...) copper only; every five-digit postal code is under the satellite
beam; anything else is outside the footprint and not serviceable. The
longest matching prefix wins.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Access:
    """One access medium at an address and the element that serves it."""

    medium: str
    down_mbps: int
    up_mbps: int
    element_id: str
    element_kind: str
    element_name: str

    def as_medium(self) -> dict[str, Any]:
        return {"medium": self.medium, "maxDownstreamMbps": self.down_mbps,
                "maxUpstreamMbps": self.up_mbps}

    def as_element(self) -> dict[str, Any]:
        return {"id": self.element_id, "kind": self.element_kind, "name": self.element_name}


SATELLITE = Access("satellite", 50, 5, "SAT-BEAM-ES1", "satellite_beam", "Satellite beam ES-1")

# Ordered best first: the serving element of an address without a medium is
# the one of its best medium.
TERRESTRIAL: dict[str, tuple[Access, ...]] = {
    "280": (
        Access("cable", 1000, 100, "CMTS-MAD-280", "cmts", "Madrid centre cable head"),
        Access("copper", 20, 1, "DSLAM-MAD-280", "dslam", "Madrid centre exchange"),
    ),
    "41": (
        Access("cable", 120, 10, "CMTS-SVQ-41", "cmts", "Seville cable head"),
        Access("copper", 10, 1, "DSLAM-SVQ-41", "dslam", "Seville exchange"),
    ),
    "08": (
        Access("copper", 20, 1, "DSLAM-BCN-08", "dslam", "Barcelona exchange"),
    ),
}


def accesses_at(postal_code: str) -> tuple[Access, ...]:
    """Every access medium at the postal code, best first."""
    code = postal_code.strip()
    if not (len(code) == 5 and code.isdigit()):
        return ()
    prefixes = sorted((prefix for prefix in TERRESTRIAL if code.startswith(prefix)),
                      key=len, reverse=True)
    terrestrial = TERRESTRIAL[prefixes[0]] if prefixes else ()
    return (*terrestrial, SATELLITE)


def serviceability(postal_code: str) -> dict[str, Any]:
    accesses = accesses_at(postal_code)
    return {
        "postalCode": postal_code,
        "serviceable": bool(accesses),
        "accessMedia": [access.as_medium() for access in accesses],
    }


def serving_element(postal_code: str, medium: str = "") -> dict[str, Any]:
    accesses = accesses_at(postal_code)
    if medium:
        accesses = tuple(access for access in accesses if access.medium == medium)
    chosen = accesses[0] if accesses else None
    return {
        "postalCode": postal_code,
        "medium": chosen.medium if chosen else (medium or None),
        "element": chosen.as_element() if chosen else None,
    }
