"""Members signing in, from the staff side: invite, print the card, see where she stands, reset.

Each action calls node.people (PeopleService), the service the JSON API's invitation and
reset routes call, with the signed-in principal: the same role checks (her station's staff or
an admin), the same audit trail. The one-time code is shown once: the POST makes the
invitation and redirects to the card page, which takes it from the CardStash (node/console/
cards.py); a reload of the card page finds nothing and says so. docs/members.md shows the
steps; docs/decisions.md ("The staff side of signing in") says why.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Response
from fastapi import Path as PathParam
from fastapi.concurrency import run_in_threadpool
from markupsafe import Markup

from node.console import actor_names, i18n
from node.console.cards import CardStash
from node.console.web import (
    PREFIX,
    ConsoleRoute,
    Desk,
    desk,
    desk_form,
    local_time,
    redirect,
    render,
)
from node.people.invitations import Invitation
from node.timebank.eligibility import RELATIONS
from protocol.addresses import LOCAL_ID_PATTERN

router = APIRouter(prefix=PREFIX, route_class=ConsoleRoute, include_in_schema=False)
LocalId = Annotated[str, PathParam(pattern=LOCAL_ID_PATTERN, max_length=64)]
Staff = Annotated[Desk, Depends(desk)]
StaffForm = Annotated[tuple[Desk, dict[str, str]], Depends(desk_form)]


def cards_of(request: Request) -> CardStash:
    stash: CardStash = request.app.state.console_cards
    return stash


def sign_in_state(credential: dict[str, Any]) -> dict[str, Any]:
    """Where the member stands: `none` (never invited, or the invitation lapsed), `invited`
    (until the invitation expires), `active` (she has a PIN) or `locked` (until the lock ends)."""
    if credential["locked_until_ms"] is not None:
        state, until_ms = "locked", credential["locked_until_ms"]
    elif credential["has_pin"]:
        state, until_ms = "active", None
    elif credential["invitation_expires_at_ms"] is not None:
        state, until_ms = "invited", credential["invitation_expires_at_ms"]
    else:
        state, until_ms = "none", None
    return {"state": state, "until_ms": until_ms, "has_pin": credential["has_pin"],
            "invitation_expires_at_ms": credential["invitation_expires_at_ms"],
            "last_sign_in_at_ms": credential["last_sign_in_at_ms"],
            "failed_count": credential["failed_count"]}


def actor_text(lang: str, actor: str | None) -> str:
    """How a record's `actor` reads: "成员 li.ming", "服务站工作人员（lujiazui）", "管理员"."""
    role, _, rest = (actor or "").partition(":")
    if role == "member":
        return i18n.translate(lang, "actor.member", id=rest)
    if role == "staff":
        return i18n.translate(lang, "role.staff", station=rest.partition(":")[0])
    if role in ("admin", "regulator"):
        return i18n.translate(lang, f"role.{role}")
    return actor or ""


def _by(lang: str, key: str, who: actor_names.Named, at_ms: int | None) -> Markup:
    """"given by 王主任 <id> on ...": the name's Markup kept, every other value escaped."""
    return Markup(i18n.CATALOGUE[lang][key]).format(
        who=who.html(), when=local_time(at_ms) if at_ms is not None else "")


def _delegate_lines(staff: Desk, items: list[dict[str, Any]], relations: dict[str, str],
                    found: actor_names.Found) -> list[dict[str, Any]]:
    """Each relative who acts for her, by name (id small beside), and who gave or ended it."""
    lang = staff.lang
    return [{**item, "relation": relations.get(item["delegate"], ""),
             "name": actor_names.member(lang, item["delegate"], found).html(),
             "granted_line": _by(lang, "family.granted",
                                 actor_names.actor(lang, item["granted_by"], found),
                                 item["granted_at_ms"]),
             "revoked_line": _by(lang, "family.revoked",
                                 actor_names.actor(lang, item["revoked_by"], found),
                                 item["revoked_at_ms"])} for item in items]


def people_view(staff: Desk, local_id: str) -> dict[str, Any]:
    """The member page's sign-in, family and kin sections (blocking: run in a thread)."""
    people = staff.node.people
    kin = staff.node.timebank.people.kin(staff.principal, local_id)["items"]
    suffix = f"@{staff.node.config.node_id}"
    here = {line["relative"][:-len(suffix)]: line["relation"] for line in kin
            if line["relative"].endswith(suffix)}  # only members of this node may be delegates
    items = people.list_delegates(staff.principal, local_id)["items"]
    found = actor_names.look_up(
        staff.node, actors=[i[key] for i in items for key in ("granted_by", "revoked_by")],
        member_ids=[*here, *(item["delegate"] for item in items)])
    delegates = _delegate_lines(staff, items, here, found)
    active = {line["delegate"] for line in delegates if line["active"]}
    return {
        "sign_in": sign_in_state(people.credential(staff.principal, local_id)),
        "delegates": delegates,
        "eligible_kin": [(number, relation, actor_names.member(staff.lang, number, found))
                         for number, relation in sorted(here.items()) if number not in active],
        "kin": [{**line, "name": actor_names.member(staff.lang, line["relative"][:-len(suffix)],
                                                    found).html()
                 if line["relative"].endswith(suffix) else line["relative"]} for line in kin],
        "relations": RELATIONS,
    }


async def _show_card_next(request: Request, staff: Desk, invitation: Invitation) -> Response:
    cards_of(request).put(staff.session.csrf, invitation)
    return redirect(f"{PREFIX}/members/{invitation.member}/invitation")


@router.post("/members/{local_id}/invitation")
async def invite(request: Request, local_id: LocalId, signed_in: StaffForm) -> Response:
    staff, _ = signed_in
    made = await run_in_threadpool(staff.node.people.invite, staff.principal, local_id)
    return await _show_card_next(request, staff, made)


@router.post("/members/{local_id}/credential/reset")
async def reset(request: Request, local_id: LocalId, signed_in: StaffForm) -> Response:
    """Unlock, void her PIN (her sessions end), and a new invitation: the card."""
    staff, _ = signed_in
    made = await run_in_threadpool(staff.node.people.reset, staff.principal, local_id)
    return await _show_card_next(request, staff, made)


def _card_view(staff: Desk, local_id: str, invitation: Invitation | None) -> dict[str, Any]:
    member = staff.node.members.get(staff.principal, local_id)  # the read check, every time
    if invitation is None:
        credential = staff.node.people.credential(staff.principal, local_id)
        return {"member": member, "invitation": None, "sign_in": sign_in_state(credential)}
    return {"member": member, "invitation": invitation, "code_groups": invitation.code.split("-"),
            "qr": Markup(invitation.qr_svg)}  # segno's SVG of our own URL: nothing to escape


@router.get("/members/{local_id}/invitation")
async def invitation_card(request: Request, local_id: LocalId, staff: Staff) -> Response:
    """The printable card, once; afterwards a page that says the code was shown already."""
    waiting = cards_of(request).take(staff.session.csrf, local_id)
    view = await run_in_threadpool(_card_view, staff, local_id, waiting)

    def in_chinese(key: str, **values: Any) -> str:
        return i18n.translate("zh", key, **values)

    return render(request, "invitation.html", lang=staff.lang, staff=staff, tz=in_chinese,
                  **view)
