"""Moving the whole account to another city (把账户迁到别的城市, standard §10).

    /me/move          the cities of the federation directory, by the names it gives them, and
                      the member number the new city's station gave her; a box she ticks to
                      agree that her profile (name, birth year, the station she names there,
                      her kin where this node shares them) goes to the new city, said plainly
                      in Chinese first, and that station (optional, only with the box ticked)
    /me/move/check    what will happen, in plain words (every hour moves; the account here
                      closes), and the one button that does it; the form carries a client id
    /me/moved         where she lands once she asked to move her own account (no session);
                      without her profile it says she gives her details at the new station
    /me/moves/{id}    the move's state in words, with a button to look again while it is on
                      its way (no automatic reload: nothing moves while someone reads)

The move is RelocationService's, queued through the node's writer as
`POST /api/v1/members/{local_id}/relocation` queues it (node/api/routes/relocation.py), with
the member's Principal. That service lets a member move her own account only: a delegate
acting for an elder is refused there (403, shown as the error page); her station's staff move
an elder's account. The page adds no rule of its own.

Once the move is reserved the account here is `relocating`, and a session stands only for an
active account (node/people/signin.py): her session ends with it. So, as signing out does,
the form sends her to a page that needs no session, /me/moved, which says what happens next
from the city and the number alone; a second press of the button finds the session ended and
moves nothing. /me/moves/{id} serves whoever can still read the move: a delegate, or the
member again once the new city refused it and her account is back.
"""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Path as PathParam
from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from node.centre import i18n
from node.centre.pages_bank import new_id
from node.centre.web import (
    PREFIX,
    FormInvalid,
    Signed,
    SignedForm,
    Visit,
    acting_name,
    link,
    page_router,
    prefs_of,
    redirect,
    render,
)
from node.forms.models import CLIENT_ID_PATTERN
from node.runtime import Node
from node.states import RELOCATION_PENDING
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.directory import NodeStatus

router = page_router()
RelocationId = Annotated[str, PathParam(pattern=CLIENT_ID_PATTERN)]
Typed = Annotated[str, Query(max_length=100)]
_NUMBER = re.compile(LOCAL_ID_PATTERN)
_CLIENT_ID = re.compile(CLIENT_ID_PATTERN)


def city_name(node: Node, node_id: str) -> str:
    """A node as the directory names it, with its id when the two differ."""
    name = node.notifications.inbox.names.node_name(node_id) or node_id
    return name if name == node_id else f"{name}（{node_id}）"


def _cities(node: Node) -> dict[str, str]:
    """Where a member can move: the directory's other active nodes (the service refuses the
    rest, `peer_not_active`, so they are not offered)."""
    directory = node.federation.current()
    here = node.config.node_id
    return {entry.node_id: city_name(node, entry.node_id)
            for entry in (directory.nodes if directory is not None else [])
            if entry.node_id != here and entry.status is NodeStatus.ACTIVE}


def _chosen(node: Node, to_node: str, typed_number: str) -> tuple[str, str]:
    """The city picked from the list and the member number as typed (spaces and capitals
    forgiven), or the fields to fill in again."""
    number = typed_number.strip().lower()
    wrong = ([] if to_node in _cities(node) else ["to_node"]) + (
        [] if _NUMBER.fullmatch(number) else ["new_local_id"])
    if wrong:
        raise FormInvalid(wrong)
    return to_node, number


def _sharing(share_profile: str, typed_station: str) -> tuple[bool, str | None]:
    """Whether she ticked the box to share her profile, and the station she named at the new
    node (spaces and capitals forgiven); a station without the box is a field to fill again, as
    the service would refuse it (it travels only in the profile)."""
    shared = share_profile == "1"
    station = typed_station.strip().lower() or None
    if station is not None and (not shared or not _NUMBER.fullmatch(station)):
        raise FormInvalid(["station"])
    return shared, station


def _move_view(visit: Visit) -> dict[str, Any]:
    return {"acting_name": acting_name(visit), "cities": _cities(visit.node),
            "share_kin": visit.node.relocations.share_kin}


@router.get("/move")
async def move_form(request: Request, signed: Signed) -> Response:
    view = await run_in_threadpool(_move_view, signed)
    return render(request, "move.html", prefs=signed.prefs, visit=signed, **view)


def _check_view(visit: Visit, to_node: str, number: str, share_profile: str,
                station: str) -> dict[str, Any]:
    name = acting_name(visit)
    to_node, number = _chosen(visit.node, to_node, number)
    shared, chosen_station = _sharing(share_profile, station)
    balance = visit.node.members.balance(visit.principal, visit.member)
    return {"acting_name": name, "to_node": to_node, "number": number,
            "city": city_name(visit.node, to_node), "amount": balance["available_minutes"],
            "form_id": new_id("move"), "shared": shared, "station": chosen_station,
            "share_kin": visit.node.relocations.share_kin}


@router.get("/move/check")
async def move_check(request: Request, signed: Signed, to_node: Typed = "",
                     new_local_id: Typed = "", share_profile: Typed = "",
                     station: Typed = "") -> Response:
    view = await run_in_threadpool(_check_view, signed, to_node, new_local_id, share_profile,
                                   station)
    return render(request, "move_check.html", prefs=signed.prefs, visit=signed, **view)


def _moved(visit: Visit, record: dict[str, Any]) -> dict[str, Any]:
    state = str(record["state"])
    city = city_name(visit.node, str(record["to_node"]))
    why = ""
    if record["reason_code"]:
        code = str(record["reason_code"])
        why = (visit.t(f"moves.why.{code}") if i18n.has(visit.lang, f"moves.why.{code}")
               else visit.t("moves.reason", code=code))
    return {"record": record, "state": state, "city": city, "why": why,
            "number": record["new_local_id"],
            "state_words": visit.t(f"moves.state.{state}", city=city),
            "amount": sum(int(b["amount_minutes"]) for b in record["balances"]),
            "moving": state == RELOCATION_PENDING}


@router.post("/move")
async def move(signed_in: SignedForm) -> Response:
    signed, form = signed_in
    relocation_id = form.get("id", "")
    if not _CLIENT_ID.fullmatch(relocation_id):
        raise FormInvalid(["form"])
    to_node, number = _chosen(signed.node, form.get("to_node", ""),
                              form.get("new_local_id", ""))
    shared, station = _sharing(form.get("share_profile", ""), form.get("station", ""))
    node = signed.node
    await node.writer.submit(node.relocations.command(
        signed.principal, relocation_id=relocation_id, local_id=signed.member,
        to_node=to_node, new_local_id=number, share_profile=shared, station=station))
    if signed.acting:  # unreachable while the service refuses delegates; they stay signed in
        return redirect(signed.url(f"{PREFIX}/moves/{relocation_id}"))
    # Her account here is closed now, and with it this session (as signing out ends on a page
    # that needs none): the page says what happens next.
    return redirect(link(f"{PREFIX}/moved", to_node=to_node, new_local_id=number,
                         shared="1" if shared else ""))


@router.get("/moved")
async def moved(request: Request, to_node: Typed = "", new_local_id: Typed = "",
                shared: Typed = "") -> Response:
    """Where a member lands once her own move is asked for: no session (hers has ended), so
    only the city, the number and whether she shared her profile, as the form carried them,
    and nothing read from her account."""
    node: Node = request.app.state.node
    to_node, number = _chosen(node, to_node, new_local_id)
    return render(request, "moved.html", prefs=prefs_of(request),
                  city=city_name(node, to_node), number=number, shared=shared == "1")


def _moves_view(visit: Visit, relocation_id: str) -> dict[str, Any]:
    name = acting_name(visit)  # refuses anyone who may not act for the elder
    record = visit.node.relocations.get(visit.principal, relocation_id)
    return {"acting_name": name, **_moved(visit, record)}


@router.get("/moves/{relocation_id}")
async def moves(request: Request, relocation_id: RelocationId, signed: Signed) -> Response:
    view = await run_in_threadpool(_moves_view, signed, relocation_id)
    return render(request, "moves.html", prefs=signed.prefs, visit=signed, **view)
