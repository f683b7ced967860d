"""The paper-slip form of a request's page: its fields to a node.timebank.slips.Slip, checked
by the API's own SlipRecord model (node/forms/timebank.py).

Times are typed as the station reads them off the slip, in China time (`datetime-local`
fields: 2026-05-01T09:30); a duration is typed in hours and minutes. Both times given win;
else the duration is used.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from node.console.web import CHINA_TIME, Desk, FormInvalid, minutes_from, validated
from node.forms.timebank import SlipRecord
from node.timebank.slips import Slip

TIME_FORMAT = "%Y-%m-%dT%H:%M"
TIME_FIELDS = ("slip_checked_in", "slip_checked_out")


def _epoch_ms(text: str, field: str) -> int:
    try:
        moment = datetime.strptime(text, TIME_FORMAT).replace(tzinfo=CHINA_TIME)
    except ValueError:
        raise FormInvalid([field]) from None
    return int(moment.timestamp() * 1000)


def slip_from(form: dict[str, str]) -> Slip:
    times = [form.get(field, "").strip() for field in TIME_FIELDS]
    fields: dict[str, Any] = {"reference": form.get("slip_reference", ""),
                              "reason": form.get("slip_reason", "")}
    if all(times):
        fields["checked_in_at_ms"] = _epoch_ms(times[0], TIME_FIELDS[0])
        fields["checked_out_at_ms"] = _epoch_ms(times[1], TIME_FIELDS[1])
    else:
        fields["duration_minutes"] = minutes_from(form)
    body = validated(SlipRecord, **fields)
    return Slip(**body.model_dump())


def record_slip(staff: Desk, request_id: str, form: dict[str, str]) -> dict[str, Any]:
    return staff.node.timebank.slips.record(staff.principal, request_id, slip_from(form))
