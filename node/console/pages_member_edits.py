"""The member page's record section: correct her name, birth year and station, read the history
of corrections in words, see possible duplicates, and (operators) merge a duplicate.

Like every console page it calls the services the API calls (node.member_edits,
node.member_merge) with the signed-in principal, and checks forms with the API's own models.
Care fields (hardship, subsidy) keep their vetting form on the same page (pages_members.py);
the API's PATCH corrects them too. Reading the history is audited by the service, so each
view of the page leaves its row, as the API's read does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup

from node.access import Role
from node.console import actor_names, i18n
from node.console.pages_people import actor_text
from node.console.web import (
    PREFIX,
    ConsoleRoute,
    Desk,
    desk,
    desk_form,
    local_time,
    redirect,
    render,
    validated,
)
from node.forms.member_edits import MemberMergeBody, MemberPatch
from node.services.members import MemberRecord
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Staff = Annotated[Desk, Depends(desk)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]
HISTORY_LINES = 20  # corrections the page shows; the API pages through the rest
UNPLACED_PAGE = 50


def _value(lang: str, field: str, value: str | None) -> str:
    if value is None or value == "":
        return i18n.translate(lang, "history.empty")
    if field in ("hardship", "subsidised"):
        return i18n.translate(lang, value)  # "yes" / "no"
    if field == "status":
        return i18n.CATALOGUE[lang].get(f"status.{value}", value)
    return value


def _who(lang: str, item: dict[str, Any]) -> str:
    role = actor_text(lang, item["actor"])
    if item["actor_label"]:
        return i18n.translate(lang, "history.who", label=item["actor_label"], role=role)
    return role


def _sentence(lang: str, key: str, **values: Any) -> Markup:
    """The catalogue's sentence with every value escaped except a name's Markup."""
    return Markup(i18n.CATALOGUE[lang][key]).format(**values)


def history_line(lang: str, item: dict[str, Any],
                 who: actor_names.Named | None = None) -> Markup:
    """One correction as a sentence, with names: who (by name, the id small beside it), when,
    what before and after, why."""
    common = {"when": local_time(item["at_ms"]),
              "who": who.html() if who is not None else _who(lang, item),
              "reason": item["reason"]}
    field = item["field"]
    if field == "erased":  # node/privacy/erasure.py's row: no before or after to show
        return _sentence(lang, "history.erased", **common)
    if field in ("merged_into", "merged_from"):
        return _sentence(lang, f"history.{field}", name=item["other_name"] or item["after"],
                         id=item["after"], **common)
    label = i18n.CATALOGUE[lang].get(f"history.field.{field}", field)
    return _sentence(lang, "history.line", field=label,
                     before=_value(lang, field, item["before"]),
                     after=_value(lang, field, item["after"]), **common)


def record_view(staff: Desk, local_id: str, member: MemberRecord | None = None) -> dict[str, Any]:
    """The member page's record section (blocking: run in a thread). `member`: her record as
    the page read it already (each read is a row of the access log: one is enough)."""
    if member is None:
        member = staff.node.members.get(staff.principal, local_id)
    page = staff.node.member_edits.changes(staff.principal, local_id, before_id=None,
                                           limit=HISTORY_LINES)
    found = actor_names.look_up(staff.node, actors=[item["actor"] for item in page["items"]])
    return {
        "history": [history_line(staff.lang, item,
                                 actor_names.actor(staff.lang, item["actor"], found))
                    for item in page["items"]],
        "history_more": page["next_before_id"] is not None,
        "duplicates": staff.node.member_edits.duplicates(staff.principal, member),
        "can_merge": staff.principal.role == Role.ADMIN,
    }


def _patch(form: dict[str, str]) -> MemberPatch:
    """The fields the form sends: name and birth year always (an empty year: not known), the
    station when one is given (a station is never emptied)."""
    year = form.get("birth_year", "").strip()
    fields: dict[str, Any] = {
        "display_name": form.get("display_name", ""),
        "birth_year": int(year) if year.isascii() and year.isdigit() else year or None,
        "reason": form.get("reason", ""),
    }
    if form.get("station", "").strip():
        fields["station"] = form["station"].strip()
    patch: MemberPatch = validated(MemberPatch, **fields)
    return patch


@router.get("/unplaced-members")
async def unplaced(
    request: Request,
    staff: Staff,
    after: Annotated[str | None, Query(pattern=LOCAL_ID_PATTERN, max_length=64)] = None,
) -> Response:
    """Operators: members with no station yet, to place (arrivals by relocation start so)."""
    found = await run_in_threadpool(staff.node.member_edits.unplaced, staff.principal,
                                    after=after, limit=UNPLACED_PAGE + 1)
    return render(request, "unplaced.html", lang=staff.lang, staff=staff,
                  members=found[:UNPLACED_PAGE],
                  next_after=found[UNPLACED_PAGE - 1].local_id
                  if len(found) > UNPLACED_PAGE else None)


@router.post("/members/{local_id}/record")
async def correct(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body = _patch(form)
    result = await run_in_threadpool(staff.node.member_edits.edit, staff.principal, local_id,
                                     fields=body.changes(), reason=body.reason)
    if staff.principal.role == Role.STAFF and result.member.station != staff.principal.station:
        # Moved to another station: she is that station's now, and no longer on this desk.
        return redirect(f"{PREFIX}/members?done=record_corrected")
    return redirect(f"{PREFIX}/members/{local_id}?done=record_corrected")


@router.post("/members/{local_id}/merge")
async def merge(local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, form = signed_in
    body: MemberMergeBody = validated(MemberMergeBody, into=form.get("into", "").strip(),
                                      reason=form.get("reason", ""))
    result = await staff.node.writer.submit(staff.node.member_merge.command(
        staff.principal, duplicate=local_id, kept=body.into, reason=body.reason))
    return redirect(f"{PREFIX}/members/{result.kept.local_id}?done=merged")
