"""Names instead of ids in the console's lists and histories (issue 14, item 10).

Staff read "王芳" where the records hold `wang.fang` or `member:wang.fang`; the id stays beside
the name, small, where staff need it (to search, to tell two 王芳 apart). The names are those
of members on pages a staff member may open already (a request of her station names its
recipient and volunteer); they are looked up in one query per page, at most NAMES_MAX ids.

Histories keep what people typed (a complaint's or a cancellation's reason) and drop the
node's own English notes ("30 min measured, 30 recorded, 30 held"): the page shows those
figures above the history, in 小时/分.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from node.console import i18n
from node.db.schema import members, tb_service_requests
from node.ledger.model import EntryKind
from node.runtime import Node
from node.states import ServiceRequestState
from node.timebank.common import TimebankEntry

NAMES_MAX = 500
# Journal entries whose memo a person wrote (a gift's note, a grant's reason) or that names what
# was taken (goods). The others hold the node's own English notes ("dispute …: partial"), which
# the entry's kind already says in words on the page.
TYPED_MEMO_KINDS = frozenset({EntryKind.GRANT, EntryKind.TRANSFER, EntryKind.TRANSFER_OUT,
                              EntryKind.TRANSFER_IN, TimebankEntry.GOODS_REDEMPTION})
# Actions whose note ends with the reason a person typed, after the node's own figures.
_TYPED_AFTER_COLON = ("complaint", "resolved_release", "resolved_refund", "resolved_partial")
# A paper slip's note (node/timebank/slips.py, corrections.py): its reference and the reason
# typed, before the node's own figures.
_SLIP = re.compile(r"^(?:correction \S+ from )?slip (?P<ref>.+?): (?P<reason>.*); "
                   r"(?:\d+ min on the slip|-?\d+ -> -?\d+ min)")


@dataclass(frozen=True)
class Who:
    name: str  # in words: a member's name, or "station staff (lujiazui)"
    id: str  # shown small beside the name ("" when the words say it all)


def display_names(node: Node, local_ids: Iterable[str | None]) -> dict[str, str]:
    """The display names of these members of this node (unknown ids are left out)."""
    wanted = sorted({local_id for local_id in local_ids if local_id})[:NAMES_MAX]
    if not wanted:
        return {}
    with node.db.read() as conn:
        rows = conn.execute(select(members.c.local_id, members.c.display_name)
                            .where(members.c.local_id.in_(wanted)))
        return {row.local_id: row.display_name for row in rows}


def request_labels(node: Node, request_ids: Iterable[str]) -> dict[str, dict[str, str]]:
    """What a list of disputes names a request by: its recipient's name and its service code
    (the page turns the code into the policy's name)."""
    wanted = sorted(set(request_ids))[:NAMES_MAX]
    if not wanted:
        return {}
    requests = tb_service_requests
    with node.db.read() as conn:
        rows = conn.execute(
            select(requests.c.id, requests.c.category, requests.c.item, members.c.display_name)
            .join(members, members.c.local_id == requests.c.recipient_local_id)
            .where(requests.c.id.in_(wanted)))
        return {row.id: {"name": row.display_name, "service": row.item or row.category}
                for row in rows}


def member_ids_of_actors(actors: Iterable[str]) -> list[str]:
    return [actor.split(":", 1)[1] for actor in actors if actor.startswith("member:")]


def who(lang: str, actor: str, names: dict[str, str]) -> Who:
    """Who did it, in words, from a record's actor (node/access.py `Principal.actor`)."""
    kind, _, rest = actor.partition(":")
    if kind == "member":
        return Who(names.get(rest, rest), rest if rest in names else "")
    if kind == "staff":
        station, _, token = rest.partition(":")
        return Who(i18n.translate(lang, "role.staff", station=station), token)
    if kind == "admin":
        return Who(i18n.translate(lang, "role.admin"), rest)
    return Who(actor, "")


def typed_reason(action: str, detail: str) -> str:
    """The part of a history note a person typed, or "" for the node's own note."""
    if action == ServiceRequestState.CANCELLED:  # the action is named after the state
        return detail
    if action in _TYPED_AFTER_COLON and ": " in detail:
        return detail.split(": ", 1)[1]
    slip = _SLIP.match(detail) if action in ("slip_recorded", "correction_recorded") else None
    return f"{slip['ref']}：{slip['reason']}" if slip else ""


def statement_lines(node: Node, lang: str, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A member's statement for staff: the other parties in words ("李明", "wang.fang（南京
    鼓楼）", "发放账户") and a memo only where a person wrote it."""
    here = node.config.node_id
    addresses = [party for item in items for party in item["counterparty"] if "@" in party]
    names = display_names(node, [a.partition("@")[0] for a in addresses
                                 if a.partition("@")[2] == here])
    directory = node.federation.current()

    def words(party: str) -> str:
        local_id, at, node_id = party.partition("@")
        if not at:  # one of the node's own accounts
            return i18n.CATALOGUE[lang].get(f"account.{party}", party)
        if node_id == here:
            return names.get(local_id, local_id)
        entry = directory.node(node_id) if directory is not None else None
        return f"{local_id}（{entry.name if entry is not None else node_id}）"

    return [{**item, "parties": [words(party) for party in item["counterparty"]],
             "memo": item.get("memo") if item["kind"] in TYPED_MEMO_KINDS else ""}
            for item in items]
