"""The personal centre (个人中心): balance by kind of hours, hours on their way to another city,
recent records in words, kin, and who acts for whom (with the switch to an elder's centre).

Every figure comes from the service the JSON API uses, called with the member's Principal for
the member whose centre is shown; a delegate sees an elder's centre because those services let
him (node.access.speaks_for), and nobody else does.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Query, Request, Response
from fastapi.concurrency import run_in_threadpool

from node.centre.lines import Words, lines, person, transfer_state
from node.centre.web import Signed, Visit, page_router, render
from node.services.units import MINUTE_NAME
from protocol.canonical import INT_ABS_MAX

router = page_router()
STATEMENT_LINES = 10


def words_for(visit: Visit, heights: list[int]) -> Words:
    node = visit.node
    facts = node.people.centre.facts(visit.principal, visit.member, heights=heights)
    return Words(lang=visit.lang, me=visit.member, node_id=node.config.node_id, facts=facts,
                 names=node.notifications.inbox.names)


def _unit(balance: dict[str, Any]) -> dict[str, Any] | None:
    unit = balance["unit"]
    if unit["name"] == MINUTE_NAME:
        return None
    return {"name": unit["name"], "units": balance["available_units"],
            "rest": balance["available_remainder_minutes"]}


def _people(visit: Visit, words: Words) -> dict[str, Any]:
    """Kin, who may act for this member, and (on her own centre) whom she acts for."""
    node, principal = visit.node, visit.principal
    kin = [{"address": address, "who": person(words, address)}
           for address in sorted(words.facts.kin)]
    grants = node.people.list_delegates(principal, visit.member)["items"]
    delegates = [{"who": person(words, f"{g['delegate']}@{words.node_id}"),
                  "since_ms": g["granted_at_ms"]} for g in grants if g["active"]]
    acts_for = [] if visit.acting else [
        {"member": local_id, "name": node.members.get(principal, local_id).display_name}
        for local_id in sorted(principal.acts_for)]
    return {"kin": kin, "delegates": delegates, "acts_for": acts_for}


def _centre(visit: Visit, before_height: int | None) -> dict[str, Any]:
    node, principal, member = visit.node, visit.principal, visit.member
    record = node.members.get(principal, member)
    balance = node.members.balance(principal, member)
    statement = node.members.statement(principal, member, before_height=before_height,
                                       limit=STATEMENT_LINES)
    words = words_for(visit, [int(item["height"]) for item in statement["items"]])
    moving = []
    for row in node.people.centre.open_transfers(principal, member):
        who = person(words, row["to"])
        moving.append({**row, "who": who,
                       "words": transfer_state(words, row["state"], who, row["route"])})
    unread = node.notifications.inbox.page(principal, member, before_id=None, limit=1)["unread"]
    return {"record": record, "acting_name": record.display_name if visit.acting else "",
            "balance": balance, "unit": _unit(balance),
            "lines": lines(words, statement), "older": statement["next_before_height"],
            "moving": moving, "unread": unread, **_people(visit, words)}


@router.get("")
async def centre(request: Request, signed: Signed,
                 before_height: Annotated[int | None, Query(gt=0, le=INT_ABS_MAX)] = None
                 ) -> Response:
    view = await run_in_threadpool(_centre, signed, before_height)
    return render(request, "home.html", prefs=signed.prefs, visit=signed, **view)
