"""The identifiers printed on equipment: serial numbers, MAC addresses and
smart-card numbers, as suppliers and technicians type them."""

from __future__ import annotations

import re

SERIAL = re.compile(r"^[A-Z0-9][A-Z0-9\-/.]{2,39}$")
CARD_NUMBER = re.compile(r"^[0-9A-Z]{6,32}$")
_MAC_HEX = re.compile(r"^[0-9A-F]{12}$")
_MAC_SEPARATORS = re.compile(r"[\s:.\-]")


def normalise_serial(text: str) -> str:
    """Upper case without surrounding blanks; empty if blank."""
    return (text or "").strip().upper()


def is_valid_serial(serial: str) -> bool:
    return bool(SERIAL.match(serial))


def normalise_mac(text: str) -> str | None:
    """"aa-bb-cc-dd-ee-ff", "AABB.CCDD.EEFF" or "aabbccddeeff" as
    "AA:BB:CC:DD:EE:FF"; None when it is not a MAC address."""
    compact = _MAC_SEPARATORS.sub("", (text or "").strip().upper())
    if not _MAC_HEX.match(compact):
        return None
    return ":".join(compact[index:index + 2] for index in range(0, 12, 2))


def normalise_card_number(text: str) -> str:
    return re.sub(r"[\s\-]", "", (text or "").strip().upper())


def is_valid_card_number(card_number: str) -> bool:
    return bool(CARD_NUMBER.match(card_number))


def identifier_candidates(text: str) -> dict[str, str]:
    """What a typed text could be: {"serial_number": ..., "mac_address": ...,
    "card_number": ...}, for the search box."""
    candidates: dict[str, str] = {}
    serial = normalise_serial(text)
    if serial and is_valid_serial(serial):
        candidates["serial_number"] = serial
    mac = normalise_mac(text)
    if mac:
        candidates["mac_address"] = mac
    card_number = normalise_card_number(text)
    if card_number and is_valid_card_number(card_number):
        candidates["card_number"] = card_number
    return candidates
