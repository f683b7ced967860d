"""Re-walk the journal: recompute every hash, re-check every entry, replay every balance.

Used by `hourbridge verify-ledger`, by the tests after every random operation sequence, and by
anyone who wants to know whether stored rows were changed behind the node's back.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.db.schema import accounts, balances, checkpoints, journal_entries, ledger_head, postings
from node.ledger.checkpoint import KeyLookup, verify_checkpoint
from node.ledger.hashing import rehash
from node.ledger.model import (
    GENESIS_HASH,
    AccountKind,
    Entry,
    Posting,
    entry_from_row,
    posting_from_row,
    sums_by_class,
)
from protocol.credit import CreditClass
from protocol.signing import SignatureError

BATCH_ENTRIES = 5_000
PROBLEMS_MAX = 100


@dataclass(frozen=True)
class LedgerProblem:
    height: int | None  # None: not tied to one entry (a balance row, the head, a checkpoint)
    entry_id: str | None
    code: str
    message: str


@dataclass
class VerifyResult:
    entries: int = 0
    head_hash: str = GENESIS_HASH
    checkpoints: int = 0
    problems: list[LedgerProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def add(self, problem: LedgerProblem) -> None:
        if len(self.problems) < PROBLEMS_MAX:
            self.problems.append(problem)


def iter_entries(conn: Connection) -> Iterator[Entry]:
    """All entries in height order, read in bounded batches."""
    after = 0
    while True:
        rows = conn.execute(
            select(journal_entries)
            .where(journal_entries.c.height > after)
            .order_by(journal_entries.c.height)
            .limit(BATCH_ENTRIES)
        ).all()
        if not rows:
            return
        legs: dict[int, list[Posting]] = defaultdict(list)
        for p in conn.execute(
            select(postings)
            .where(postings.c.entry_height.between(rows[0].height, rows[-1].height))
            .order_by(postings.c.entry_height, postings.c.seq)
        ):
            legs[p.entry_height].append(posting_from_row(p))
        for row in rows:
            yield entry_from_row(row, legs[row.height])
        after = rows[-1].height


def verify_ledger(
    conn: Connection,
    *,
    node_id: str,
    verify_key: KeyLookup | None,
    progress: Callable[[int], None] | None = None,
) -> VerifyResult:
    result = VerifyResult()
    kinds = dict(conn.execute(select(accounts.c.code, accounts.c.kind)).all())
    floors = dict(conn.execute(select(accounts.c.code, accounts.c.floor_minutes)).all())
    replayed: dict[tuple[str, str], int] = defaultdict(int)
    # Only the hashes at checkpointed heights are kept, so memory stays flat on long ledgers.
    wanted = set(conn.execute(select(checkpoints.c.height)).scalars())
    hashes: dict[int, str] = {0: GENESIS_HASH}
    previous: Entry | None = None
    for entry in iter_entries(conn):
        _check_entry(entry, previous, node_id, result)
        for p in entry.postings:
            key = (p.account, str(p.credit_class))
            replayed[key] += p.amount_minutes
            if kinds.get(p.account) == AccountKind.MEMBER and p.amount_minutes < 0:
                floor = floors[p.account] if p.credit_class == CreditClass.EARNED else 0
                if replayed[key] < floor:
                    result.add(_problem(entry, "below_floor", f"{key} drops to {replayed[key]}"))
        if entry.height in wanted:
            hashes[entry.height] = entry.entry_hash
        result.entries += 1
        result.head_hash = entry.entry_hash
        previous = entry
        if progress and result.entries % BATCH_ENTRIES == 0:
            progress(result.entries)
    _check_balances(conn, replayed, result)
    _check_head(conn, result)
    _check_checkpoints(conn, hashes, node_id, verify_key, result)
    return result


def _problem(entry: Entry, code: str, message: str) -> LedgerProblem:
    return LedgerProblem(entry.height, entry.entry_id, code, message)


def _check_entry(entry: Entry, previous: Entry | None, node_id: str, result: VerifyResult) -> None:
    expected_height = 1 if previous is None else previous.height + 1
    if entry.height != expected_height:
        result.add(_problem(entry, "height_gap", f"expected height {expected_height}"))
    if rehash(entry, node_id) != entry.entry_hash:
        result.add(
            _problem(
                entry,
                "entry_hash_mismatch",
                "stored fields do not give the stored "
                "hash: a journal or posting row of this entry was changed",
            )
        )
    expected_prev = GENESIS_HASH if previous is None else previous.entry_hash
    if entry.prev_hash != expected_prev and previous is not None:
        # This entry still hashes to itself, so it chained to the hash the previous entry had
        # when it was written: the previous entry's stored hash was rewritten afterwards.
        result.add(
            _problem(
                previous,
                "chain_break",
                f"entry {entry.height} chained to "
                f"{entry.prev_hash[:16]}…, this entry now claims a different hash",
            )
        )
    elif entry.prev_hash != expected_prev:
        result.add(_problem(entry, "chain_break", "the first entry must chain to the genesis hash"))
    unbalanced = {c: s for c, s in sums_by_class(entry.postings).items() if s != 0}
    if unbalanced or len(entry.postings) < 2:
        result.add(
            _problem(
                entry,
                "unbalanced",
                "postings do not sum to zero: "
                + ", ".join(f"{c}={s}" for c, s in unbalanced.items()),
            )
        )


def _check_balances(
    conn: Connection, replayed: dict[tuple[str, str], int], result: VerifyResult
) -> None:
    stored = {
        (row.account_code, row.credit_class): row.balance_minutes
        for row in conn.execute(select(balances))
    }
    for key in sorted(set(stored) | set(replayed)):
        if stored.get(key, 0) != replayed.get(key, 0):
            result.add(
                LedgerProblem(
                    None,
                    None,
                    "balance_mismatch",
                    (
                        f"balance {key[0]}/{key[1]} is stored as {stored.get(key, 0)}, "
                        f"the journal gives {replayed.get(key, 0)}"
                    ),
                )
            )
    total = sum(stored.values())
    if total != 0:
        result.add(LedgerProblem(None, None, "nonzero_total", f"balances sum to {total}"))


def _check_head(conn: Connection, result: VerifyResult) -> None:
    head = conn.execute(select(ledger_head.c.height, ledger_head.c.head_hash)).one()
    if (head.height, head.head_hash) != (result.entries, result.head_hash):
        result.add(
            LedgerProblem(
                None,
                None,
                "head_mismatch",
                f"ledger head says height {head.height}, the journal has {result.entries} entries",
            )
        )


def _check_checkpoints(
    conn: Connection,
    hashes: dict[int, str],
    node_id: str,
    keys: KeyLookup | None,
    result: VerifyResult,
) -> None:
    for row in conn.execute(select(checkpoints).order_by(checkpoints.c.height)):
        result.checkpoints += 1
        document = json.loads(row.document)
        if keys is not None:
            try:
                verify_checkpoint(document, node_id=node_id, keys=keys)
            except (SignatureError, ValueError) as exc:
                result.add(LedgerProblem(row.height, None, "checkpoint_signature", str(exc)))
                continue
        signed_hash = document.get("head_hash")
        if signed_hash != row.head_hash or hashes.get(row.height) != signed_hash:
            result.add(
                LedgerProblem(
                    row.height,
                    None,
                    "checkpoint_mismatch",
                    f"the checkpoint signed at height {row.height} names head "
                    f"{str(signed_hash)[:16]}…, the journal no longer has it",
                )
            )
