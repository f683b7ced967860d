"""What a node's own database says for its report. Ledger figures are summed from the journal's
postings up to a checkpoint's height, so they reconcile with the totals that checkpoint signs
whatever was written since.

    activity        per local day: hours issued (by credit class), redeemed, expired
    liability       per holder age band: members holding hours, outstanding minutes, and the
                    volunteer supply (earned minutes and volunteers over the last 365 days)
    discrepancies   reconciliation's findings by age (now − found), open and closed
    in_doubt        outgoing cross-node transfers in state in_doubt now (not at the checkpoint:
                    a transfer's past states are not journaled)
    frozen_links    links an unresolved difference froze, now
    unreconciled    per link, the committed transfers past the last co-signed window's cuts,
                    now (as the windows are: docs/reconciliation.md, "Hours past the last
                    co-signed cut")
"""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.engine import Connection

from node.db.engine import Database
from node.db.schema import (
    accounts,
    discrepancies,
    journal_entries,
    links,
    members,
    postings,
    transfers,
)
from node.ledger.model import AccountKind, EntryKind
from node.reconcile import leaves, records
from node.states import DiscrepancyStatus, TransferState
from node.timebank.common import AGE_BANDS, DAY_MS, MINUTE_MS, TimebankEntry, age_band, age_of
from node.timebank.policy import NodePolicy
from protocol.credit import CreditClass

CLASSES = tuple(str(c) for c in CreditClass)
AGE_BAND_NAMES = (*(name for _, name in AGE_BANDS), "unknown")
SUPPLY_PERIOD_MS = 365 * DAY_MS
# Entries that issue hours earned by serving: a settled service, and an operator's grant of
# earned hours (paper records of past service brought onto the ledger).
EARNING_KINDS = (str(TimebankEntry.SERVICE_SETTLE), str(EntryKind.GRANT))
# Ages of discrepancies: (upper bound in ms or None, name).
DISCREPANCY_AGES = ((DAY_MS, "under_1d"), (7 * DAY_MS, "1d_7d"), (30 * DAY_MS, "7d_30d"),
                    (None, "30d_plus"))
OPEN_ITEMS_MAX = 1_000


def day_name(day_index: int) -> str:
    return datetime.fromtimestamp(day_index * DAY_MS // 1000, tz=UTC).date().isoformat()


def activity(conn: Connection, *, height: int, utc_offset_minutes: int) -> list[dict[str, Any]]:
    """Per local day, the minutes leaving issuance (by class) and entering redemption and
    expiry. A reversal counts on its own day, as a negative issue: the sums over all days are
    the accounts' balances, which the checkpoint signs."""
    offset_ms = utc_offset_minutes * MINUTE_MS
    day = ((journal_entries.c.created_at_ms + offset_ms) // DAY_MS).label("day")
    kinds = (str(AccountKind.ISSUANCE), str(AccountKind.REDEMPTION), str(AccountKind.EXPIRY))
    rows = conn.execute(
        select(day, accounts.c.kind, postings.c.credit_class,
               func.sum(postings.c.amount_minutes).label("minutes"))
        .select_from(postings.join(journal_entries,
                                   postings.c.entry_height == journal_entries.c.height)
                     .join(accounts, accounts.c.code == postings.c.account_code))
        .where(accounts.c.kind.in_(kinds), journal_entries.c.height <= height)
        .group_by(day, accounts.c.kind, postings.c.credit_class))
    by_day: dict[int, dict[str, Any]] = {}
    for row in rows:
        item = by_day.setdefault(int(row.day), {
            "day": day_name(int(row.day)), "issued_by_class": dict.fromkeys(CLASSES, 0),
            "redeemed_minutes": 0, "expired_minutes": 0})
        minutes = int(row.minutes)
        if row.kind == AccountKind.ISSUANCE:
            item["issued_by_class"][row.credit_class] -= minutes
        elif row.kind == AccountKind.REDEMPTION:
            item["redeemed_minutes"] += minutes
        else:
            item["expired_minutes"] += minutes
    return [by_day[d] for d in sorted(by_day)]


def _band(birth_year: int | None, now_ms: int, policy: NodePolicy) -> str:
    return age_band(age_of(birth_year, now_ms, policy))


def _member_postings() -> Any:
    return (postings.join(journal_entries, postings.c.entry_height == journal_entries.c.height)
            .join(accounts, accounts.c.code == postings.c.account_code)
            .outerjoin(members, members.c.local_id == accounts.c.member_local_id))


def liability(conn: Connection, *, height: int, now_ms: int,
              policy: NodePolicy) -> list[dict[str, Any]]:
    """Per age band of the holder: hours members hold against the hours volunteers of that age
    earned in the last 365 days. Ages are by calendar year of birth at the report's time."""
    rows: dict[str, dict[str, Any]] = {
        name: {"age_band": name, "holders": 0, "outstanding_minutes": 0, "supply_minutes": 0,
               "volunteers": 0} for name in AGE_BAND_NAMES}
    held = conn.execute(
        select(accounts.c.code, members.c.birth_year,
               func.sum(postings.c.amount_minutes).label("minutes"))
        .select_from(_member_postings())
        .where(accounts.c.kind == str(AccountKind.MEMBER), journal_entries.c.height <= height)
        .group_by(accounts.c.code, members.c.birth_year))
    for row in held:
        band = rows[_band(row.birth_year, now_ms, policy)]
        band["outstanding_minutes"] += int(row.minutes)
        band["holders"] += 1 if int(row.minutes) > 0 else 0
    # A grant an operator reversed (a typo) is no supply.
    reversed_heights = (select(journal_entries.c.reverses_height)
                        .where(journal_entries.c.reverses_height.is_not(None),
                               journal_entries.c.height <= height))
    earned = conn.execute(
        select(accounts.c.code, members.c.birth_year,
               func.sum(postings.c.amount_minutes).label("minutes"))
        .select_from(_member_postings())
        .where(accounts.c.kind == str(AccountKind.MEMBER), journal_entries.c.height <= height,
               postings.c.credit_class == str(CreditClass.EARNED),
               postings.c.amount_minutes > 0,
               journal_entries.c.kind.in_(EARNING_KINDS),
               journal_entries.c.height.not_in(reversed_heights),
               journal_entries.c.created_at_ms > now_ms - SUPPLY_PERIOD_MS)
        .group_by(accounts.c.code, members.c.birth_year))
    for row in earned:
        band = rows[_band(row.birth_year, now_ms, policy)]
        band["supply_minutes"] += int(row.minutes)
        band["volunteers"] += 1
    return [rows[name] for name in AGE_BAND_NAMES]


def discrepancy_age(age_ms: int) -> str:
    return next(name for bound, name in DISCREPANCY_AGES if bound is None or age_ms < bound)


def discrepancy_ages(conn: Connection, *, now_ms: int) -> tuple[list[dict[str, Any]],
                                                                 list[dict[str, Any]]]:
    """Counts of discrepancies by age (now − found_at_ms), open and closed, and the open ones
    themselves (the oldest first, at most OPEN_ITEMS_MAX)."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"open": 0, "closed": 0})
    found = conn.execute(select(discrepancies.c.status, discrepancies.c.found_at_ms))
    for row in found:
        counts[discrepancy_age(now_ms - int(row.found_at_ms))][
            "open" if row.status == DiscrepancyStatus.OPEN else "closed"] += 1
    rows = [{"age": name, **counts[name]} for _, name in DISCREPANCY_AGES]
    open_rows = conn.execute(
        select(discrepancies).where(discrepancies.c.status == DiscrepancyStatus.OPEN)
        .order_by(discrepancies.c.found_at_ms, discrepancies.c.id).limit(OPEN_ITEMS_MAX))
    items = [{"id": r.id, "peer": r.peer_node_id, "window_index": int(r.window_index),
              "kind": r.kind, "transfer_id": r.transfer_id, "found_at_ms": int(r.found_at_ms),
              "detail": r.detail} for r in open_rows]
    return rows, items


def in_doubt(conn: Connection) -> dict[str, Any]:
    """Outgoing cross-node transfers whose expiry passed with no final answer from the peer:
    their count and minutes, and the transfers themselves (the longest in doubt first, at most
    OPEN_ITEMS_MAX). A transfer is in doubt since its expiry."""
    where = transfers.c.state == TransferState.IN_DOUBT
    count, minutes = conn.execute(
        select(func.count(), func.coalesce(func.sum(transfers.c.amount_minutes), 0))
        .where(where)).one()
    rows = conn.execute(
        select(transfers.c.wire_id, transfers.c.peer_node_id, transfers.c.amount_minutes,
               transfers.c.expires_at_ms)
        .where(where).order_by(transfers.c.expires_at_ms, transfers.c.id).limit(OPEN_ITEMS_MAX))
    items = [{"transfer_id": r.wire_id, "peer": r.peer_node_id,
              "amount_minutes": int(r.amount_minutes), "since_ms": int(r.expires_at_ms)}
             for r in rows]
    return {"count": int(count), "minutes": int(minutes), "items": items}


def frozen_links(conn: Connection) -> list[dict[str, Any]]:
    """Links frozen by a difference no signed evidence settled: new transfers on them are
    refused until an operator unfreezes them."""
    rows = conn.execute(
        select(links.c.peer_node_id, links.c.frozen_reason, links.c.frozen_at_ms,
               links.c.reserved_minutes)
        .where(links.c.frozen_reason.is_not(None)).order_by(links.c.peer_node_id))
    return [{"peer": r.peer_node_id, "reason": r.frozen_reason,
             "since_ms": int(r.frozen_at_ms or 0), "reserved_minutes": int(r.reserved_minutes)}
            for r in rows]


def _direction(found: list[Any]) -> dict[str, int]:
    return {"count": len(found), "sum_minutes": sum(leaf.amount_minutes for leaf in found)}


def linked_peers(conn: Connection) -> list[str]:
    """Every peer a transaction crossed the link with, or a window was closed with."""
    carried = conn.execute(select(links.c.peer_node_id).where(
        or_(links.c.out_sequence > 0, links.c.in_sequence > 0))).scalars()
    return sorted({*carried, *records.window_peers(conn)})


def unreconciled(conn: Connection, *, me: str) -> list[dict[str, Any]]:
    """Per link: the newest co-signed (matched) window, its record and its two cuts (0 and 0,
    no record, before the first), and the committed transfers and relocations past those cuts
    on our outgoing chain (sent) and on our incoming chain (received). Hours there are in no
    co-signed window yet; a peer whose cut hides our incoming chain leaves them there."""
    rows = []
    for peer in linked_peers(conn):
        matched = records.last_matched_window(conn, peer)
        outgoing_cut, incoming_cut = ((0, 0) if matched is None
                                      else (matched.outgoing_cut, matched.incoming_cut))
        sent, received = leaves.past_cuts(conn, me, peer, outgoing_cut=outgoing_cut,
                                          incoming_cut=incoming_cut)
        rows.append({"peer": peer, "window_index": 0 if matched is None else matched.index,
                     "outgoing_cut": outgoing_cut, "incoming_cut": incoming_cut,
                     "record": None if matched is None else matched.record,
                     "outgoing": _direction(sent), "incoming": _direction(received)})
    return rows


def unreconciled_now(db: Database, *, me: str) -> list[dict[str, Any]]:
    """`unreconciled` in a read of its own: what GET /metrics shows per peer and direction."""
    with db.read() as conn:
        return unreconciled(conn, me=me)
