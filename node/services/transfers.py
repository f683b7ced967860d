"""Transfers between members: on this node in one ledger entry, to another node's member
through the federation exchange (node/services/outgoing.py)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.engine import Connection

from node.access import Principal, Role, can_read_member, deny
from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.fast import insert_row
from node.db.rows import TransferRow
from node.db.schema import members, transfers
from node.errors import ErrorCode, NodeError, NotFound, RuleViolation, require
from node.ledger.journal import Ledger
from node.ledger.model import EntryKind, member_account
from node.privacy import consents
from node.services.idempotency import open_command, request_hash
from node.services.members import load_member_pair, require_active
from node.services.outgoing import OutgoingTransfers
from node.services.units import LocalAmount
from node.states import TransferState
from protocol.addresses import AddressError, MemberAddress
from protocol.credit import SPEND_ORDER

# The node policy's gift rules (node/timebank/eligibility.py): given the open connection, the
# debtor's member row and the recipient, refuse what the policy does not allow.
GiftRule = Callable[[Connection, Any, MemberAddress], None]


def _any_gift(conn: Connection, debtor: Any, creditor: MemberAddress) -> None:
    return None
_INSERT_TRANSFER = insert_row(transfers)


def require_gift_consent(conn: Connection, principal: Principal, local_id: str) -> None:
    """A gift to a member of another node sends her address and the memo to that node, to be
    shown to the relative there: with her standing `cross_node_gifts` consent when someone
    acts for her (staff, an admin, a delegate); her own gift, made on her own page or with her
    own token, is her consent to that one gift (docs/decisions.md, "Consent enforced per
    purpose")."""
    if principal.role == Role.MEMBER and principal.member_local_id == local_id:
        return
    if not consents.has_consent(conn, local_id, consents.Purpose.CROSS_NODE_GIFTS):
        raise RuleViolation(ErrorCode.CONSENT_REQUIRED,
                            f"{local_id} has no recorded consent to gifts to members of other "
                            "nodes (cross_node_gifts): record it first, or let her send the "
                            "gift herself")


@dataclass(frozen=True)
class TransferResult:
    record: dict[str, Any]
    created: bool  # False when an identical earlier request is answered again


class TransferService:
    def __init__(
        self, *, db: Database, writer: WriteBatcher, ledger: Ledger, clock: Clock, node_id: str,
        outgoing: OutgoingTransfers, gift_rule: GiftRule = _any_gift,
    ) -> None:
        self.db = db
        self.gift_rule = gift_rule
        self.writer = writer
        self.ledger = ledger
        self.clock = clock
        self.node_id = node_id
        self.outgoing = outgoing

    def _address(self, text: str, role: str) -> MemberAddress:
        """Accept `alice` (a member here) or a full address at any node."""
        try:
            return MemberAddress.parse(text if "@" in text else f"{text}@{self.node_id}")
        except AddressError as exc:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, f"{role}: {exc}") from exc

    def _local(self, text: str, role: str) -> MemberAddress:
        address = self._address(text, role)
        if address.node_id != self.node_id:
            raise RuleViolation(
                ErrorCode.VALIDATION_FAILED,
                f"{role} {address} is a member of {address.node_id}; a transfer is made at "
                "the debtor's home node",
            )
        return address

    def command(
        self,
        principal: Principal,
        *,
        transfer_id: str,
        debtor: str,
        creditor: str,
        amount_minutes: int,
        memo: str,
        units: LocalAmount | None = None,
    ) -> Callable[[Connection], TransferResult]:
        """Validate what needs no database and return the write to queue.

        `units`: the member asked in local units and `amount_minutes` is what they convert to.
        They join the idempotency hash: a units request and a minutes request moving the same
        minutes are different requests (the same id twice is a 409), and a units retry replays
        only under the ratio that converted it."""
        source = self._local(debtor, "from")
        target = self._address(creditor, "to")
        require(units is None or units.amount_minutes == amount_minutes,
                "the minutes to move are not what the local units convert to")
        body_hash = request_hash(
            {
                "from": str(source),
                "to": str(target),
                "amount_minutes": amount_minutes,
                "memo": memo,
                **(units.hash_fields() if units is not None else {}),
            }
        )
        now_ms = self.clock.now_ms()
        if target.node_id != self.node_id:
            return self._remote_command(principal, transfer_id=transfer_id, source=source,
                                        target=target, amount_minutes=amount_minutes, memo=memo,
                                        body_hash=body_hash)
        return self._local_command(principal, transfer_id=transfer_id, source=source,
                                   target=target, amount_minutes=amount_minutes, memo=memo,
                                   body_hash=body_hash, now_ms=now_ms)

    def _local_command(
        self, principal: Principal, *, transfer_id: str, source: MemberAddress,
        target: MemberAddress, amount_minutes: int, memo: str, body_hash: str, now_ms: int,
    ) -> Callable[[Connection], TransferResult]:
        """Both members live here: the idempotent preamble, then one journal entry and one
        transfer row in the same write."""

        def apply(conn: Connection) -> TransferResult:
            parties = load_member_pair(conn, (source.local_id, target.local_id))
            opened = open_command(conn, principal, member=parties[source.local_id],
                                  table=transfers, record_id=transfer_id, body_hash=body_hash,
                                  conflict=ErrorCode.TRANSFER_ID_CONFLICT)
            if opened.existing is not None:
                return TransferResult(_view(opened.existing._asdict()), created=False)
            debtor_row = opened.member
            if source == target:
                raise RuleViolation(ErrorCode.SAME_ACCOUNT, "from and to are the same member")
            require_active(parties[target.local_id])
            self.gift_rule(conn, debtor_row, target)
            record = self._move_locally(conn, principal, transfer_id=transfer_id, source=source,
                                        target=target, amount_minutes=amount_minutes,
                                        memo=memo, body_hash=body_hash, now_ms=now_ms)
            return TransferResult(_view(record.values()), created=True)

        return apply

    def _move_locally(
        self, conn: Connection, principal: Principal, *, transfer_id: str,
        source: MemberAddress, target: MemberAddress, amount_minutes: int, memo: str,
        body_hash: str, now_ms: int,
    ) -> TransferRow:
        """The checked move: post it and store its committed transfer row."""
        entry = self.ledger.move(
            conn,
            debtor=member_account(source.local_id),
            creditor=member_account(target.local_id),
            amount_minutes=amount_minutes,
            spend_order=SPEND_ORDER,
            kind=EntryKind.TRANSFER,
            ref=transfer_id,
            actor=principal.actor,
            memo=memo,
            now_ms=now_ms,
        )
        record = TransferRow(
            id=transfer_id, debtor=str(source), creditor=str(target),
            amount_minutes=amount_minutes, memo=memo, state=TransferState.COMMITTED,
            reason_code=None,
            request_hash=body_hash, entry_height=entry.height, actor=principal.actor,
            created_at_ms=now_ms, updated_at_ms=now_ms,
        )
        _INSERT_TRANSFER.run(conn, record.values())
        return record

    def _remote_command(
        self, principal: Principal, *, transfer_id: str, source: MemberAddress,
        target: MemberAddress, amount_minutes: int, memo: str, body_hash: str,
    ) -> Callable[[Connection], TransferResult]:
        self.outgoing.peer_entry(target.node_id)  # refuse an unknown or inactive peer early

        def apply(conn: Connection) -> TransferResult:
            opened = open_command(conn, principal, member=source.local_id, table=transfers,
                                  record_id=transfer_id, body_hash=body_hash,
                                  conflict=ErrorCode.TRANSFER_ID_CONFLICT)
            if opened.existing is not None:
                return TransferResult(_view(opened.existing._asdict()), created=False)
            debtor_row = opened.member
            self.gift_rule(conn, debtor_row, target)
            require_gift_consent(conn, principal, source.local_id)
            record = self.outgoing.reserve(
                conn, transfer_id=transfer_id, debtor=source, creditor=target,
                amount_minutes=amount_minutes, memo=memo, actor=principal.actor,
                request_hash=body_hash,
            )
            return TransferResult(_view(record.values()), created=True)

        return apply

    def batch(
        self, commands: list[tuple[str, Callable[[Connection], TransferResult]]]
    ) -> Callable[[Connection], list[TransferResult]]:
        """Run prepared transfer commands, each with its item's id, in one database
        transaction: all or none. The group committer runs this as one command, so the first
        refusal rolls the whole batch back."""

        def apply(conn: Connection) -> list[TransferResult]:
            results = []
            for index, (item_id, command) in enumerate(commands):
                try:
                    results.append(command(conn))
                except NodeError as exc:
                    raise _for_item(exc, index, item_id) from None
            return results

        return apply

    def create(
        self,
        principal: Principal,
        *,
        transfer_id: str,
        debtor: str,
        creditor: str,
        amount_minutes: int,
        memo: str,
        units: LocalAmount | None = None,
    ) -> TransferResult:
        return self.writer.run(
            self.command(
                principal,
                transfer_id=transfer_id,
                debtor=debtor,
                creditor=creditor,
                amount_minutes=amount_minutes,
                memo=memo,
                units=units,
            )
        )

    def get(self, principal: Principal, transfer_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(transfers).where(transfers.c.id == transfer_id)).one_or_none()
            if row is None:
                raise NotFound(ErrorCode.TRANSFER_NOT_FOUND, f"no transfer {transfer_id}")
            parties = [MemberAddress.parse(a) for a in (row.debtor, row.creditor)]
            local = [p.local_id for p in parties if p.node_id == self.node_id]
            stations = dict(
                conn.execute(
                    select(members.c.local_id, members.c.station).where(
                        members.c.local_id.in_(local)
                    )
                ).all()
            )
        if not any(
            can_read_member(principal, local_id=local_id, station=station)
            for local_id, station in stations.items()
        ):
            raise deny(principal, f"read transfer {transfer_id}")
        return _view(row._mapping)


T = TypeVar("T")


def with_item(index: int, item_id: str, build: Callable[[], T]) -> T:
    """Build one item of a batch; a refusal names the item."""
    try:
        return build()
    except NodeError as exc:
        raise _for_item(exc, index, item_id) from None


def _for_item(exc: NodeError, index: int, item_id: str) -> NodeError:
    exc.detail = f"items[{index}] (id {item_id}): {exc.detail}"
    exc.args = (exc.detail,)
    return exc


def _view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"],
        "from": row["debtor"],
        "to": row["creditor"],
        "amount_minutes": row["amount_minutes"],
        "memo": row["memo"],
        "state": row["state"],
        "reason_code": row["reason_code"],
        "entry_height": row["entry_height"],
        "created_at_ms": row["created_at_ms"],
        "updated_at_ms": row["updated_at_ms"],
        "peer_node": row["peer_node_id"],
        "credit_class": row["credit_class"],
        "expires_at_ms": row["expires_at_ms"],
        "relocated_to": row["relocated_to"],
        "dispute": row["dispute"],
        # A transfer through hubs (standard §22.4): the nodes it crosses, this one first.
        "route": json.loads(row["route"]) if row["route"] else None,
    }
