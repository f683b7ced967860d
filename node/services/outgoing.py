"""Transfers to members of other nodes (standard §9.1 step 1; docs/federation.md).

In one database transaction: check the debtor, the peer, the link and both net debit caps;
reserve the amount (member -> pending); record the transfer; queue the signed prepare in the
outbox. The courier sends it; the peer's receipt settles it (pending -> clearing) and a final
refusal releases it (pending -> member).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from sqlalchemy.engine import Connection

from node.clock import Clock
from node.db.fast import insert_row
from node.db.rows import TransferRow
from node.db.schema import transfers
from node.errors import Conflict, ErrorCode, RuleViolation
from node.exchange import store
from node.exchange.capabilities import PeerCapabilities, RouteNotSupported
from node.exchange.requests import new_id
from node.federation import FederationService
from node.ledger.journal import Ledger
from node.ledger.model import AccountKind, EntryKind, Posting, member_account
from node.linkmap import LinkMapService
from node.states import TransferState
from protocol.addresses import MemberAddress
from protocol.canonical import canonical_bytes, sha256_hex
from protocol.capabilities import TRANSFER_HUBS
from protocol.credit import SPEND_ORDER, CreditClass
from protocol.directory import NodeEntry, NodeStatus
from protocol.messages import encode_message
from protocol.messages.routed import LegBody, LegMessage
from protocol.messages.transfer import PrepareBody, PrepareMessage, Purpose
from protocol.policy import Policy
from protocol.reasons import ReasonCode
from protocol.routed import hop_margin_ms, link_cap
from protocol.transfer_rules import check_debit_caps

MEMO_WIRE_MAX = 140
_INSERT_TRANSFER = insert_row(transfers)


def pick_class(by_class: dict[CreditClass, int], amount: int, *, requested: CreditClass | None,
               purpose: Purpose) -> CreditClass:
    """A cross-node prepare carries one credit class (standard §8): the requested one, or the
    first in spending order that covers the whole amount on its own."""
    # Group-earned hours may only be donated: a donation offers them first.
    allowed = [c for c in (CreditClass.GROUP_EARNED, *SPEND_ORDER)
               if c is not CreditClass.GROUP_EARNED or purpose is Purpose.DONATION]
    if requested is not None:
        allowed = [requested] if requested in allowed else []
    for credit_class in allowed:
        if by_class.get(credit_class, 0) >= amount:
            return credit_class
    total = sum(max(by_class.get(c, 0), 0) for c in allowed)
    if requested is None and total >= amount:
        raise RuleViolation(
            ErrorCode.NO_SINGLE_CLASS,
            f"no single credit class holds {amount} minutes; a transfer to another node moves "
            "one class, so send it as two transfers",
        )
    raise RuleViolation(ErrorCode.INSUFFICIENT_FUNDS,
                        f"{total} minutes available to send, {amount} asked")


def _first_message(path: tuple[str, ...], policy: Policy, *, expiry_ms: int,
                   fields: dict[str, Any]) -> PrepareMessage | LegMessage:
    """A prepare to the creditor's node, or the first leg of a routed transfer (§22.4). Each
    hub's leg expires a margin before the one it came on: the first leg lasts that much longer,
    so that the last one still lasts the node's own expiry."""
    lifetime = min(max(expiry_ms, policy.expiry_min_ms)
                   + (len(path) - 2) * hop_margin_ms(policy), policy.expiry_max_ms)
    fields = {**fields, "expires_at_ms": fields["created_at_ms"] + lifetime}
    if len(path) == 2:
        return PrepareMessage(message_id=new_id(), body=PrepareBody(**fields))
    return LegMessage(message_id=new_id(), body=LegBody(**fields, path=list(path), hop=0))


class OutgoingTransfers:
    def __init__(self, *, ledger: Ledger, clock: Clock, node_id: str,
                 federation: FederationService, expiry_ms: int,
                 wake: Callable[[str], None] = lambda peer: None,
                 capabilities: PeerCapabilities,
                 link_maps: LinkMapService | None = None) -> None:
        self.ledger = ledger
        self.clock = clock
        self.node_id = node_id
        self.federation = federation
        self.expiry_ms = expiry_ms
        self.wake = wake
        self.link_maps = link_maps
        self.capabilities = capabilities

    def path_to(self, node: str) -> tuple[str, ...]:
        """The nodes a transfer to `node` crosses (§22.3): itself and `node` without a link
        map (a full mesh), else the map's route, refused `no_route` when there is none."""
        if self.link_maps is None or self.link_maps.current() is None:
            return (self.node_id, node)
        return self.link_maps.route(node)

    def check_first_hop(self, path: tuple[str, ...]) -> None:
        """A leg goes only to a hop that announced `transfer.hubs` (§16.2, §22.4); a direct
        transfer needs nothing. Temporary: the hop may upgrade, or be read soon."""
        if len(path) <= 2:
            return
        hop = path[1]
        if self.capabilities.announces(hop, TRANSFER_HUBS):
            return
        known = "does not announce" if self.capabilities.read(hop) else \
            "has not yet been read to announce"
        raise RouteNotSupported(f"the route {'-'.join(path)} starts at {hop}, which {known} "
                                f"{TRANSFER_HUBS}: it would refuse the leg; nothing was sent",
                                retry_after_s=self.capabilities.retry_after_s(hop))

    def peer_entry(self, peer: str) -> tuple[NodeEntry, NodeEntry, Any]:
        directory = self.federation.current()
        if directory is None:
            raise RuleViolation(ErrorCode.UNKNOWN_NODE, f"this node holds no federation "
                                f"directory yet, so it cannot reach node {peer}")
        entry = directory.node(peer)
        if entry is None:
            raise RuleViolation(ErrorCode.UNKNOWN_NODE,
                                f"node {peer} is not in the federation directory")
        if entry.status is not NodeStatus.ACTIVE:
            raise RuleViolation(ErrorCode.PEER_NOT_ACTIVE, f"node {peer} is {entry.status.value}")
        me = directory.node(self.node_id)
        if me is None:
            raise RuleViolation(ErrorCode.PEER_NOT_ACTIVE,
                                f"this node ({self.node_id}) is not in the directory it holds")
        if me.status is not NodeStatus.ACTIVE:
            raise RuleViolation(ErrorCode.PEER_NOT_ACTIVE,
                                f"this node is {me.status.value} in the federation directory: "
                                "peers refuse what it sends until the authority reinstates it")
        return entry, me, directory.policy

    def _link_cap(self, conn: Connection, peer: str, amount_minutes: int) -> ReasonCode | None:
        """With a link map held, what this node may owe `peer` on their link (§22.2)."""
        link_map = self.link_maps.current() if self.link_maps is not None else None
        if link_map is None:
            return None
        cap = link_cap(link_map, debtor=self.node_id, creditor=peer)
        if cap is None or store.owed_to(conn, peer) + amount_minutes > cap:
            return ReasonCode.PARTNER_CAP_EXCEEDED
        return None

    def reserve(
        self, conn: Connection, *, transfer_id: str, debtor: MemberAddress,
        creditor: MemberAddress, amount_minutes: int, memo: str, actor: str, request_hash: str,
        credit_class: CreditClass | None = None, purpose: Purpose = Purpose.GIFT,
        payment_request_id: str | None = None,
    ) -> TransferRow:
        """Everything of step 1 in the caller's database transaction; returns the new row."""
        _, me, policy = self.peer_entry(creditor.node_id)
        path = self.path_to(creditor.node_id)
        self.check_first_hop(path)
        peer = path[1]  # the creditor's node, or the first hub on the way
        if len(memo) > MEMO_WIRE_MAX:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                f"a memo to another node has at most {MEMO_WIRE_MAX} characters")
        if amount_minutes > policy.amount_minutes_max:
            raise RuleViolation(
                ErrorCode.AMOUNT_OUT_OF_RANGE,
                f"the federation allows at most {policy.amount_minutes_max} minutes per transfer",
            )
        link = store.link(conn, peer)
        if link.frozen_reason is not None:
            raise Conflict(ErrorCode.LINK_FROZEN,
                           f"the link with {peer} is frozen ({link.frozen_reason}) until an "
                           "operator resolves it")
        cap = check_debit_caps(me, owed_to_partner_minutes=store.owed_to(conn, peer),
                               owed_overall_minutes=store.owed_to(conn, None),
                               amount_minutes=amount_minutes) or self._link_cap(
            conn, peer, amount_minutes)
        if cap is not None:
            code = (ErrorCode.PARTNER_CAP_EXCEEDED if cap is ReasonCode.PARTNER_CAP_EXCEEDED
                    else ErrorCode.OVERALL_CAP_EXCEEDED)
            raise RuleViolation(code, f"{cap.value}: this node's net debit toward {peer} or the "
                                "federation is at its cap; try again later")
        account = member_account(debtor.local_id)
        chosen = pick_class(self.ledger.balances_of(conn, account), amount_minutes,
                            requested=credit_class, purpose=purpose)
        now_ms = self.clock.now_ms()
        entry = self.ledger.post(
            conn, kind=EntryKind.TRANSFER_OUT, ref=transfer_id, actor=actor, memo=memo,
            now_ms=now_ms,
            legs=(Posting(account, chosen, -amount_minutes),
                  Posting(str(AccountKind.PENDING), chosen, amount_minutes)),
        )
        prepare = _first_message(path, policy, expiry_ms=self.expiry_ms, fields=dict(
            transfer_id=new_id(), debtor=str(debtor), creditor=str(creditor),
            amount_minutes=amount_minutes, credit_class=chosen, purpose=purpose,
            payment_request_id=payment_request_id, created_at_ms=now_ms, memo=memo,
        ))
        wire = encode_message(prepare)  # once: its hash and the outbox's copy are of these bytes
        record = TransferRow(
            id=transfer_id, debtor=str(debtor), creditor=str(creditor),
            amount_minutes=amount_minutes, memo=memo, state=TransferState.PENDING, reason_code=None,
            request_hash=request_hash, entry_height=entry.height, actor=actor,
            created_at_ms=now_ms, updated_at_ms=now_ms, peer_node_id=peer,
            wire_id=prepare.body.transfer_id, message_id=prepare.message_id,
            prepare_hash=sha256_hex(canonical_bytes(wire)), credit_class=chosen.value,
            purpose=purpose.value, payment_request_id=payment_request_id,
            expires_at_ms=prepare.body.expires_at_ms,
            route=json.dumps(list(path)) if len(path) > 2 else None,
        )
        _INSERT_TRANSFER.run(conn, record.values())
        store.add_reserved(conn, peer, amount_minutes)
        store.enqueue(conn, peer=peer, message=wire, now_ms=now_ms)
        self.wake(peer)
        return record
