"""Ledger value types. Immutable; operations over them are plain functions."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from node.errors import require
from node.states import MemberStatus
from protocol.credit import CreditClass

GENESIS_HASH = "0" * 64
# One transfer or grant moves at most this much: about 190 years of hours. Anything larger is
# a typo or an attack, and keeps every sum far inside the 2**53 canonical-JSON integer range.
AMOUNT_MINUTES_MAX = 100_000_000
POSTINGS_PER_ENTRY_MAX = 16


class AccountKind(StrEnum):
    MEMBER = "member"
    ISSUANCE = "issuance"  # source of new hours; its negative balance is the node's liability
    REDEMPTION = "redemption"  # hours exchanged for goods or retired
    EXPIRY = "expiry"  # hours that expired under the node's policy
    PENDING = "pending"  # reserved outgoing cross-node transfers
    # A hub's hours in passage (standard §22.4): debited when it reserves the next leg of a
    # routed transfer, credited when the previous hop's leg settles or the next leg is
    # refused. Zero whenever no routed transfer is half settled at this node.
    TRANSIT = "transit"
    # One per peer node. Its balance is what we owe that peer (+) or it owes us (-): the
    # creditor's node debits it when it credits its member, the debtor's node credits it when
    # the transfer settles, so the two nodes' balances for one link sum to zero.
    CLEARING = "clearing"


class EntryKind(StrEnum):
    GRANT = "grant"
    TRANSFER = "transfer"
    REVERSAL = "reversal"
    # Cross-node transfers (docs/federation.md). At the debtor's node: member -> pending when the
    # transfer is made, pending -> clearing on the peer's receipt, pending -> member on a final
    # refusal. At the creditor's node: clearing -> member when the prepare is accepted.
    TRANSFER_OUT = "transfer_out"
    TRANSFER_SETTLE = "transfer_settle"
    TRANSFER_RELEASE = "transfer_release"
    TRANSFER_IN = "transfer_in"
    RELOCATION_OUT = "relocation_out"
    RELOCATION_IN = "relocation_in"
    # A duplicate registration merged into the member kept (node/services/member_merge.py):
    # every class of the duplicate's balance moves to the kept member in one entry.
    MEMBER_MERGE = "member_merge"


# Entries an operator may correct by reversal. The others record what a peer signed for:
# reversing one on our side alone would break the two nodes' agreement about the link.
REVERSIBLE_KINDS = frozenset({EntryKind.GRANT, EntryKind.TRANSFER})


# Member statuses whose account takes no new hours (node/services/relocation.py). A relocated
# member's hours went to their new node: nothing here can spend or move what lands later. A
# relocating member's balances are reserved and on their way: only the relocation's own release
# (a relocation_out entry, on a final refusal) may give hours back.
MEMBER_RELOCATING = MemberStatus.RELOCATING
MEMBER_RELOCATED = MemberStatus.RELOCATED
MEMBER_DEACTIVATED = MemberStatus.DEACTIVATED

# The only kinds that may credit a deactivated member (closed by staff, merged into another
# registration, or deceased): each gives back or pays what she had already earned or put at
# stake before her account closed: a cross-node transfer refused after she sent it, a relocation
# refused, an operator's reversal, a visit she made or paid for before it closed
# (node/timebank/common.py's settlement and re-hold, by value: the ledger sits below the time
# bank). Everything that brings her new hours (grants, gifts, transfers in, merges, estates,
# pool distributions, imports, a paid visit's later correction) is refused here whatever the
# service above forgot to check.
CREDITS_TO_CLOSED_ACCOUNTS = frozenset({
    EntryKind.TRANSFER_RELEASE, EntryKind.RELOCATION_OUT, EntryKind.REVERSAL,
    "service_settle", "service_rehold",
})


SYSTEM_ACCOUNTS: tuple[AccountKind, ...] = (
    AccountKind.ISSUANCE,
    AccountKind.REDEMPTION,
    AccountKind.EXPIRY,
    AccountKind.PENDING,
    AccountKind.TRANSIT,
)


def member_account(local_id: str) -> str:
    return f"member:{local_id}"


def clearing_account(peer_node_id: str) -> str:
    return f"clearing:{peer_node_id}"


@dataclass(frozen=True)
class Posting:
    account: str
    credit_class: CreditClass
    amount_minutes: int  # positive credits the account, negative debits it


@dataclass(frozen=True)
class Entry:
    height: int
    entry_id: str
    kind: str
    ref: str | None
    actor: str
    memo: str
    created_at_ms: int
    reverses_height: int | None
    prev_hash: str
    entry_hash: str
    postings: tuple[Posting, ...]


def posting_from_row(row: Any) -> Posting:
    """A stored `postings` row as a Posting."""
    return Posting(row.account_code, CreditClass(row.credit_class), row.amount_minutes)


def entry_from_row(row: Any, postings: Iterable[Posting]) -> Entry:
    """A stored `journal_entries` row and its postings (in seq order) as an Entry."""
    return Entry(
        height=row.height, entry_id=row.entry_id, kind=row.kind, ref=row.ref, actor=row.actor,
        memo=row.memo, created_at_ms=row.created_at_ms, reverses_height=row.reverses_height,
        prev_hash=row.prev_hash, entry_hash=row.entry_hash, postings=tuple(postings),
    )


def sums_by_class(postings: Iterable[Posting]) -> dict[CreditClass, int]:
    sums: dict[CreditClass, int] = defaultdict(int)
    for posting in postings:
        sums[posting.credit_class] += posting.amount_minutes
    return dict(sums)


def check_postings(postings: tuple[Posting, ...]) -> None:
    """The shape every entry must have: 2..16 non-zero integer legs summing to zero per class."""
    require(2 <= len(postings) <= POSTINGS_PER_ENTRY_MAX, f"entry has {len(postings)} postings")
    for posting in postings:
        require(type(posting.amount_minutes) is int, "amounts are integers")
        require(posting.amount_minutes != 0, "a posting of zero minutes")
        require(abs(posting.amount_minutes) <= AMOUNT_MINUTES_MAX, "posting amount out of range")
    for credit_class, total in sums_by_class(postings).items():
        require(total == 0, f"postings of class {credit_class} sum to {total}, not zero")


def transfer_legs(
    *,
    debtor: str,
    creditor: str,
    available: dict[CreditClass, int],
    amount_minutes: int,
    spend_order: tuple[CreditClass, ...],
) -> tuple[Posting, ...] | None:
    """Postings moving `amount_minutes` from debtor to creditor, spending classes in order.

    Hours keep their class as they move. Returns None when the spendable classes do not cover
    the amount.
    """
    postings: list[Posting] = []
    remaining = amount_minutes
    for credit_class in spend_order:
        take = min(remaining, max(available.get(credit_class, 0), 0))
        if take:
            postings.append(Posting(debtor, credit_class, -take))
            postings.append(Posting(creditor, credit_class, take))
            remaining -= take
        if remaining == 0:
            return tuple(postings)
    return None
