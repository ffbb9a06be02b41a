"""The shape each kind of inbound message must have before it is accepted.
Only the envelope is checked here; the handler of the kind validates the
meaning of each record (and keeps rejected records with a reason)."""

from __future__ import annotations

from typing import Any

from integrations.choices import InboundKind

MAX_USAGE_RECORDS = 10_000
SEVERITIES = {"critical", "major", "minor", "warning", "indeterminate", "cleared"}
ALARM_STATES = {"raised", "updated", "cleared"}


def problem_with(kind: str, payload: Any) -> str:
    """What is wrong with the body, in one sentence, or "" if nothing."""
    if not isinstance(payload, dict):
        return "The body must be a JSON object."
    if kind == InboundKind.USAGE_RECORDS:
        records = payload.get("records")
        if not isinstance(records, list) or not records:
            return "'records' must be a non-empty list."
        if len(records) > MAX_USAGE_RECORDS:
            return f"At most {MAX_USAGE_RECORDS} records per message."
        if not all(isinstance(record, dict) for record in records):
            return "Every record must be a JSON object."
        return ""
    if kind in (InboundKind.SERVICE_ALARM, InboundKind.NETWORK_ALARM):
        # TM Forum TMF642 alarm, trimmed to what SESMU needs.
        alarmed = payload.get("alarmedObject")
        if not isinstance(alarmed, dict) or not str(alarmed.get("id", "")).strip():
            return "'alarmedObject.id' is required."
        if str(payload.get("perceivedSeverity", "")).lower() not in SEVERITIES:
            return f"'perceivedSeverity' must be one of {', '.join(sorted(SEVERITIES))}."
        if str(payload.get("state", "")).lower() not in ALARM_STATES:
            return f"'state' must be one of {', '.join(sorted(ALARM_STATES))}."
        return ""
    if kind == InboundKind.DEPLOYMENT_UPDATE:
        areas = payload.get("areas")
        if not isinstance(areas, list) or not areas:
            return "'areas' must be a non-empty list."
        for area in areas:
            if not isinstance(area, dict) or not str(area.get("postal_code", "")).strip():
                return "Every area needs a 'postal_code' (or prefix)."
            if not isinstance(area.get("access_media", []), list):
                return "'access_media' must be a list."
        return ""
    return "Unknown kind of message."
