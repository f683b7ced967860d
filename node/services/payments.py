"""Payment requests (standard §10): a member who served asks a member of another node to pay.

Payee's node: `request_command` records the request and queues payment.request (its wire
`request_id` is a fresh id, kept beside the client's id). The state then follows the answers
and the payer's node (node/exchange/payments.py): sent -> acknowledged or refused, then paid
(a service_payment prepare naming the request committed here) or declined.

Payer's node: the request waits (`awaiting`) for the payer or their station's staff.
`approve_command` pays it with a cross-node transfer (purpose service_payment, naming the
request) whose client id is derived from the request, so approving twice is one transfer;
`decline_command` queues payment.decline. A request past its expiry cannot be approved.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Connection

from node.access import (
    Principal,
    Role,
    deny,
    require_act_for,
    require_read_member,
    require_role,
    speaks_for,
)
from node.clock import Clock
from node.db.batch import WriteBatcher
from node.db.engine import Database
from node.db.fast import insert_row
from node.db.rows import PaymentRequestRow
from node.db.schema import payment_requests, payment_requests_in, transfers
from node.errors import Conflict, ErrorCode, NotFound, RuleViolation
from node.exchange import store
from node.exchange.requests import new_id
from node.services.idempotency import find_existing, open_command, request_hash
from node.services.members import load_member, require_active
from node.services.outgoing import OutgoingTransfers
from node.states import (
    PAYMENT_ACKNOWLEDGED,
    PAYMENT_APPROVED,
    PAYMENT_AWAITING,
    PAYMENT_DECLINED,
    PAYMENT_EXPIRED,
    PAYMENT_PAID,
    PAYMENT_REFUSED,
    PAYMENT_SENT,
    TransferState,
)
from protocol.addresses import AddressError, MemberAddress
from protocol.canonical import sha256_hex
from protocol.messages import encode_message
from protocol.messages.other import (
    PaymentDeclineBody,
    PaymentDeclineMessage,
    PaymentRequestBody,
    PaymentRequestMessage,
    ServiceCategory,
)
from protocol.messages.transfer import Purpose

# Payee side, then payer side (DECLINED too); the names node/states.py gives them.
SENT, ACKNOWLEDGED, REFUSED, PAID, DECLINED = (
    PAYMENT_SENT, PAYMENT_ACKNOWLEDGED, PAYMENT_REFUSED, PAYMENT_PAID, PAYMENT_DECLINED)
AWAITING, APPROVED, EXPIRED = PAYMENT_AWAITING, PAYMENT_APPROVED, PAYMENT_EXPIRED
# A week to decide would suit people who see staff once a week, but the policy bounds every
# lifetime in the federation: the request lives min(7 days, policy.expiry_max_ms).
REQUEST_LIFETIME_MS = 7 * 24 * 3_600_000
_INSERT_OUT = insert_row(payment_requests)


@dataclass(frozen=True)
class PaymentResult:
    record: dict[str, Any]
    created: bool  # False when an identical earlier request is answered again


def approval_transfer_id(payee_node: str, request_id: str, attempt: int = 1) -> str:
    """The payer node's client id of the transfer paying this request, per approval attempt
    (a new attempt only after the previous transfer was refused or expired)."""
    base = "pr-" + sha256_hex(f"{payee_node}/{request_id}".encode())[:40]
    return base if attempt == 1 else f"{base}.{attempt}"


# A payment whose transfer ended so was not made: the request is open again.
FAILED_TRANSFER_STATES = frozenset({TransferState.REJECTED, TransferState.EXPIRED})


def _transfer_state(conn: Connection, transfer_id: str | None) -> str | None:
    if transfer_id is None:
        return None
    return conn.execute(select(transfers.c.state)
                        .where(transfers.c.id == transfer_id)).scalar_one_or_none()


def _attempt(transfer_id: str | None) -> int:
    if transfer_id is None:
        return 0
    _, dot, number = transfer_id.rpartition(".")
    return int(number) if dot else 1


class PaymentService:
    def __init__(self, *, db: Database, writer: WriteBatcher, clock: Clock, node_id: str,
                 outgoing: OutgoingTransfers) -> None:
        self.db = db
        self.writer = writer
        self.clock = clock
        self.node_id = node_id
        self.outgoing = outgoing

    # the payee's node -------------------------------------------------------------------------

    def request_command(
        self, principal: Principal, *, request_id: str, payee: str, payer: str,
        amount_minutes: int, category: ServiceCategory, description: str,
    ) -> Callable[[Connection], PaymentResult]:
        _require_member_or_staff(principal, payee)
        try:
            payer_address = MemberAddress.parse(payer)
        except AddressError as exc:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED, f"payer: {exc}") from exc
        peer = payer_address.node_id
        if peer == self.node_id:
            raise RuleViolation(ErrorCode.VALIDATION_FAILED,
                                "the payer is a member here: pay with a transfer on this node")
        self.outgoing.peer_entry(peer)  # refuse an unknown or inactive node early
        body_hash = request_hash({"payee": payee, "payer": payer, "amount_minutes": amount_minutes,
                                  "category": category.value, "description": description})
        now_ms = self.clock.now_ms()

        def apply(conn: Connection) -> PaymentResult:
            opened = open_command(conn, principal, member=payee, table=payment_requests,
                                  record_id=request_id, body_hash=body_hash,
                                  conflict=ErrorCode.PAYMENT_REQUEST_ID_CONFLICT)
            if opened.existing is not None:
                return PaymentResult(_out_view(opened.existing._asdict()), created=False)
            _, _, policy = self.outgoing.peer_entry(peer)
            if amount_minutes > policy.amount_minutes_max:
                raise RuleViolation(ErrorCode.AMOUNT_OUT_OF_RANGE,
                                    f"the federation allows at most {policy.amount_minutes_max} "
                                    "minutes per transfer")
            link = store.link(conn, peer)
            if link.frozen_reason is not None:
                raise Conflict(ErrorCode.LINK_FROZEN, f"the link with {peer} is frozen "
                               f"({link.frozen_reason}) until an operator resolves it")
            lifetime = min(REQUEST_LIFETIME_MS, policy.expiry_max_ms)
            message = PaymentRequestMessage(message_id=new_id(), body=PaymentRequestBody(
                request_id=new_id(), payee=f"{payee}@{self.node_id}", payer=str(payer_address),
                amount_minutes=amount_minutes, category=category, description=description,
                created_at_ms=now_ms, expires_at_ms=now_ms + lifetime,
            ))
            record = PaymentRequestRow(
                id=request_id, wire_id=message.body.request_id, message_id=message.message_id,
                payee=message.body.payee, payer=message.body.payer,
                amount_minutes=amount_minutes, category=category.value,
                description=description, state=SENT, reason_code=None, detail=None,
                paid_by_transfer=None, request_hash=body_hash, actor=principal.actor,
                created_at_ms=now_ms, expires_at_ms=message.body.expires_at_ms,
                updated_at_ms=now_ms,
            ).values()
            _INSERT_OUT.run(conn, record)
            store.enqueue(conn, peer=peer, message=encode_message(message), now_ms=now_ms)
            self.outgoing.wake(peer)
            return PaymentResult(_out_view(record), created=True)

        return apply

    def get(self, principal: Principal, request_id: str) -> dict[str, Any]:
        with self.db.read() as conn:
            row = conn.execute(select(payment_requests)
                               .where(payment_requests.c.id == request_id)).one_or_none()
            if row is None:
                raise NotFound(ErrorCode.PAYMENT_REQUEST_NOT_FOUND,
                               f"no payment request {request_id}")
            member = load_member(conn, MemberAddress.parse(row.payee).local_id)
        require_read_member(principal, local_id=member.local_id, station=member.station)
        return _out_view(row._mapping)

    # the payer's node -------------------------------------------------------------------------

    def incoming(self, principal: Principal, local_id: str, *, limit: int) -> list[dict[str, Any]]:
        """Requests to this member, newest first."""
        if principal.role == Role.MEMBER and not speaks_for(principal, local_id):
            raise deny(principal, f"read member {local_id}")
        now_ms = self.clock.now_ms()
        with self.db.read() as conn:
            member = load_member(conn, local_id)
            require_read_member(principal, local_id=local_id, station=member.station)
            rows = conn.execute(
                select(payment_requests_in, transfers.c.state.label("transfer_state"))
                .select_from(payment_requests_in.outerjoin(
                    transfers, transfers.c.id == payment_requests_in.c.transfer_id))
                .where(payment_requests_in.c.payer_local_id == local_id)
                .order_by(payment_requests_in.c.received_at_ms.desc(),
                          payment_requests_in.c.request_id)
                .limit(limit)).all()
        return [self._in_view(row._mapping, now_ms) for row in rows]

    def approve_command(self, principal: Principal, *, payee_node: str,
                        request_id: str) -> Callable[[Connection], PaymentResult]:
        require_role(principal, Role.ADMIN, Role.STAFF, Role.MEMBER, what="pay requests")
        now_ms = self.clock.now_ms()

        def apply(conn: Connection) -> PaymentResult:
            row, member = self._load_in(conn, principal, payee_node, request_id)
            failed = _transfer_state(conn, row.transfer_id) in FAILED_TRANSFER_STATES
            if row.state == APPROVED and not failed:
                return PaymentResult(self._in_view_now(conn, payee_node, request_id), False)
            transfer_id = approval_transfer_id(payee_node, request_id,
                                               _attempt(row.transfer_id) + 1)
            if row.state == DECLINED:
                raise Conflict(ErrorCode.PAYMENT_REQUEST_CLOSED,
                               f"payment request {request_id} was declined")
            if now_ms >= row.expires_at_ms:
                raise RuleViolation(ErrorCode.PAYMENT_REQUEST_EXPIRED,
                                    f"payment request {request_id} expired; ask the payee's "
                                    "node to send a new one")
            require_active(member)
            body_hash = request_hash({"payment_request": [payee_node, request_id]})
            if find_existing(conn, transfers, record_id=transfer_id, body_hash=body_hash,
                             conflict=ErrorCode.TRANSFER_ID_CONFLICT) is not None:
                raise Conflict(ErrorCode.TRANSFER_ID_CONFLICT,
                               f"transfer {transfer_id} exists already")
            self.outgoing.reserve(
                conn, transfer_id=transfer_id,
                debtor=MemberAddress(member.local_id, self.node_id),
                creditor=MemberAddress.parse(row.payee), amount_minutes=row.amount_minutes,
                memo=row.description, actor=principal.actor, request_hash=body_hash,
                purpose=Purpose.SERVICE_PAYMENT, payment_request_id=request_id,
            )
            self._decide(conn, row, APPROVED, principal, now_ms, transfer_id=transfer_id)
            return PaymentResult(self._in_view_now(conn, payee_node, request_id), True)

        return apply

    def decline_command(self, principal: Principal, *, payee_node: str,
                        request_id: str) -> Callable[[Connection], PaymentResult]:
        require_role(principal, Role.ADMIN, Role.STAFF, Role.MEMBER, what="decline requests")
        now_ms = self.clock.now_ms()

        def apply(conn: Connection) -> PaymentResult:
            row, _ = self._load_in(conn, principal, payee_node, request_id)
            if row.state == DECLINED:
                return PaymentResult(self._in_view_now(conn, payee_node, request_id), False)
            failed = _transfer_state(conn, row.transfer_id) in FAILED_TRANSFER_STATES
            if row.state == APPROVED and not failed:
                raise Conflict(ErrorCode.PAYMENT_REQUEST_CLOSED,
                               f"payment request {request_id} was approved; its payment is "
                               "on its way or made")
            message = PaymentDeclineMessage(message_id=new_id(), body=PaymentDeclineBody(
                request_id=request_id, declined_at_ms=now_ms))
            store.enqueue(conn, peer=payee_node, message=encode_message(message), now_ms=now_ms)
            self._decide(conn, row, DECLINED, principal, now_ms,
                         decline_message_id=message.message_id)
            self.outgoing.wake(payee_node)
            return PaymentResult(self._in_view_now(conn, payee_node, request_id), True)

        return apply

    def _load_in(self, conn: Connection, principal: Principal, payee_node: str,
                 request_id: str) -> tuple[Any, Any]:
        row = conn.execute(select(payment_requests_in).where(
            payment_requests_in.c.payee_node == payee_node,
            payment_requests_in.c.request_id == request_id)).one_or_none()
        if row is None:
            raise NotFound(ErrorCode.PAYMENT_REQUEST_NOT_FOUND,
                           f"no payment request {request_id} from {payee_node}")
        member = load_member(conn, row.payer_local_id)
        require_act_for(principal, local_id=member.local_id, station=member.station)
        return row, member

    @staticmethod
    def _decide(conn: Connection, row: Any, state: str, principal: Principal, now_ms: int,
                **values: Any) -> None:
        conn.execute(update(payment_requests_in).where(
            payment_requests_in.c.payee_node == row.payee_node,
            payment_requests_in.c.request_id == row.request_id,
        ).values(state=state, decided_by=principal.actor, decided_at_ms=now_ms, **values))

    def _in_view_now(self, conn: Connection, payee_node: str, request_id: str) -> dict[str, Any]:
        row = conn.execute(
            select(payment_requests_in, transfers.c.state.label("transfer_state"))
            .select_from(payment_requests_in.outerjoin(
                transfers, transfers.c.id == payment_requests_in.c.transfer_id))
            .where(payment_requests_in.c.payee_node == payee_node,
                   payment_requests_in.c.request_id == request_id)).one()
        return self._in_view(row._mapping, self.clock.now_ms())

    def _in_view(self, row: Mapping[Any, Any], now_ms: int) -> dict[str, Any]:
        state = row["state"]
        if state == AWAITING and now_ms >= row["expires_at_ms"]:
            state = EXPIRED
        return {
            "payee_node": row["payee_node"], "request_id": row["request_id"],
            "payee": row["payee"], "payer": f"{row['payer_local_id']}@{self.node_id}",
            "amount_minutes": row["amount_minutes"], "category": row["category"],
            "description": row["description"], "state": state,
            "created_at_ms": row["created_at_ms"], "expires_at_ms": row["expires_at_ms"],
            "received_at_ms": row["received_at_ms"], "transfer_id": row["transfer_id"],
            "transfer_state": row["transfer_state"], "decided_by": row["decided_by"],
            "decided_at_ms": row["decided_at_ms"],
        }


def _require_member_or_staff(principal: Principal, payee: str) -> None:
    require_role(principal, Role.ADMIN, Role.STAFF, Role.MEMBER, what="request payments")
    if principal.role == Role.MEMBER and not speaks_for(principal, payee):
        raise deny(principal, f"act for member {payee}")


def _out_view(row: Mapping[Any, Any]) -> dict[str, Any]:
    return {
        "id": row["id"], "request_id": row["wire_id"], "payee": row["payee"],
        "payer": row["payer"], "amount_minutes": row["amount_minutes"],
        "category": row["category"], "description": row["description"],
        "state": row["state"], "reason_code": row["reason_code"], "detail": row["detail"],
        "paid_by_transfer": row["paid_by_transfer"], "created_at_ms": row["created_at_ms"],
        "expires_at_ms": row["expires_at_ms"], "updated_at_ms": row["updated_at_ms"],
    }
