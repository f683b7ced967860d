"""Rows of the exchange: transfers (ours and our members' from other nodes), the signed
transactions, the link with each peer, the outbox, relocations and payment requests."""

from __future__ import annotations

from dataclasses import dataclass

from node.db import schema
from node.db.rows.base import Row
from node.states import (
    IncomingPaymentState,
    PaymentRequestState,
    RelocationState,
    RemoteTransferState,
    TransferState,
)

# transfers, ours and our members' from other nodes -------------------------------------------

@dataclass(slots=True, kw_only=True)
class TransferRow(Row):
    """A local transfer fills the first twelve columns; the rest are a cross-node transfer's."""

    TABLE = schema.transfers
    id: str
    debtor: str
    creditor: str
    amount_minutes: int
    memo: str
    state: TransferState
    reason_code: str | None
    request_hash: str
    entry_height: int | None
    actor: str
    created_at_ms: int
    updated_at_ms: int
    peer_node_id: str | None = None
    wire_id: str | None = None
    message_id: str | None = None
    prepare_hash: str | None = None
    credit_class: str | None = None
    purpose: str | None = None
    payment_request_id: str | None = None
    expires_at_ms: int | None = None
    settled_entry_height: int | None = None
    answer_transaction_id: str | None = None
    relocated_to: str | None = None
    final_answer: str | None = None
    dispute: str | None = None
    route: str | None = None
    forwarded_from: str | None = None


@dataclass(slots=True, kw_only=True)
class RemoteTransferRow(Row):
    TABLE = schema.remote_transfers
    debtor_node: str
    transfer_id: str
    prepare_hash: str
    state: RemoteTransferState
    debtor: str | None
    creditor: str | None
    amount_minutes: int | None
    answer: str | None
    entry_height: int | None
    transaction_id: str | None
    received_at_ms: int


# the exchange's signed transactions (node/exchange/store.py) ---------------------------------

@dataclass(slots=True, kw_only=True)
class OutTransactionRow(Row):
    TABLE = schema.out_transactions
    peer_node_id: str
    sequence: int
    transaction_id: str
    transaction_hash: str
    document: str
    response: str | None
    created_at_ms: int
    answered_at_ms: int | None


@dataclass(slots=True, kw_only=True)
class InTransactionRow(Row):
    TABLE = schema.in_transactions
    sender: str
    transaction_id: str
    sequence: int
    transaction_hash: str
    document: str
    response: str
    received_at_ms: int


# relocations, from here and to here ----------------------------------------------------------

@dataclass(slots=True, kw_only=True)
class RelocationRow(Row):
    TABLE = schema.relocations
    id: str
    member_local_id: str
    to_node: str
    new_local_id: str
    state: RelocationState
    reason_code: str | None
    detail: str | None
    new_address: str | None
    request_hash: str
    wire_id: str
    message_id: str
    balances: str
    history: str
    entry_height: int | None
    settled_entry_height: int | None
    actor: str
    created_at_ms: int
    expires_at_ms: int
    committed_at_ms: int | None
    updated_at_ms: int
    dispute: str | None
    prepare_hash: str | None
    answer_transaction_id: str | None
    profile_consent_at_ms: int | None
    arrival_station: str | None


@dataclass(slots=True, kw_only=True)
class RelocationInRow(Row):
    TABLE = schema.relocations_in
    from_node: str
    relocation_id: str
    body_hash: str
    member: str
    new_local_id: str
    balances: str
    history: str
    entry_height: int | None
    committed_at_ms: int
    transaction_id: str
    prepare_hash: str | None


# payment requests, the payee's and the payer's ------------------------------------------------

@dataclass(slots=True, kw_only=True)
class PaymentRequestRow(Row):
    TABLE = schema.payment_requests
    id: str
    wire_id: str
    message_id: str
    payee: str
    payer: str
    amount_minutes: int
    category: str
    description: str
    state: PaymentRequestState
    reason_code: str | None
    detail: str | None
    paid_by_transfer: str | None
    request_hash: str
    actor: str
    created_at_ms: int
    expires_at_ms: int
    updated_at_ms: int


@dataclass(slots=True, kw_only=True)
class PaymentRequestInRow(Row):
    TABLE = schema.payment_requests_in
    payee_node: str
    request_id: str
    body_hash: str
    payee: str
    payer_local_id: str
    amount_minutes: int
    category: str
    description: str
    created_at_ms: int
    expires_at_ms: int
    state: IncomingPaymentState
    transfer_id: str | None
    decline_message_id: str | None
    decided_by: str | None
    decided_at_ms: int | None
    received_at_ms: int


# the link with a peer, the outbox, the answers kept (node/exchange/store.py) ----------------

@dataclass(slots=True, kw_only=True)
class LinkRow(Row):
    TABLE = schema.links
    peer_node_id: str
    out_sequence: int
    out_hash: str
    in_sequence: int
    in_hash: str
    reserved_minutes: int
    frozen_reason: str | None = None
    frozen_detail: str | None = None
    frozen_at_ms: int | None = None


@dataclass(slots=True, kw_only=True)
class OutboxRow(Row):
    TABLE = schema.outbox
    message_id: str
    peer_node_id: str
    type: str
    document: str
    transaction_id: str | None
    not_before_ms: int
    created_at_ms: int


@dataclass(slots=True, kw_only=True)
class InMessageRow(Row):
    TABLE = schema.in_messages
    sender: str
    message_id: str
    message_hash: str
    answer: str
