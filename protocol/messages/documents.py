"""Signed documents that travel inside messages: per-window statements and ledger checkpoints.

They carry their own embedded signatures so they stay evidence on their own, outside the
transaction that delivered them, and so a counterparty can co-sign a matching statement.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import Field, model_validator

from protocol.fields import (
    BalanceMinutes,
    Count,
    Hash,
    Id,
    Model,
    NodeId,
    Sequence,
    Signatures,
    SignedMinutes,
    TimeMs,
)


class DirectionTotals(Model):
    count: Count
    sum_minutes: BalanceMinutes


class Statement(Model):
    """One node's view of one link for one settlement window (DESIGN §7).

    Positions are from the issuer's side: minutes the counterparty owes the issuer. So the
    issuer's position equals minus the counterparty's, which is the per-link invariant.
    """

    standard: Literal["hourbridge/1"]
    kind: Literal["statement"]
    issuer: NodeId
    counterparty: NodeId
    window_index: Sequence
    outgoing_sequence_cut: Count
    incoming_sequence_cut: Count
    outgoing_head_hash: Hash
    incoming_head_hash: Hash
    opening_position_minutes: SignedMinutes
    closing_position_minutes: SignedMinutes
    outgoing: DirectionTotals
    incoming: DirectionTotals
    pending: DirectionTotals
    merkle_root: Hash
    issued_at_ms: TimeMs
    signatures: Signatures

    @model_validator(mode="after")
    def _check(self) -> Statement:
        if self.issuer == self.counterparty:
            raise ValueError("a statement is about a link between two different nodes")
        expected = (
            self.opening_position_minutes + self.incoming.sum_minutes - self.outgoing.sum_minutes
        )
        if self.closing_position_minutes != expected:
            raise ValueError("closing position must equal opening + incoming - outgoing")
        return self


class AccountKind(StrEnum):
    CLEARING = "clearing"
    EXPIRY = "expiry"
    ISSUANCE = "issuance"
    MEMBER = "member"
    PENDING = "pending"
    REDEMPTION = "redemption"


class KindTotal(Model):
    account_kind: AccountKind
    balance_minutes: SignedMinutes


class Checkpoint(Model):
    """A node's signed statement of its journal head: height, head hash and balance totals."""

    standard: Literal["hourbridge/1"]
    kind: Literal["checkpoint"]
    node: NodeId
    height: Count
    head_hash: Hash
    totals: list[KindTotal] = Field(min_length=len(AccountKind), max_length=len(AccountKind))
    issued_at_ms: TimeMs
    signatures: Signatures

    @model_validator(mode="after")
    def _check(self) -> Checkpoint:
        kinds = [item.account_kind for item in self.totals]
        if kinds != sorted(AccountKind):
            raise ValueError("totals must list every account kind once, sorted by kind")
        # Double entry: all balances of a ledger sum to zero.
        if sum(item.balance_minutes for item in self.totals) != 0:
            raise ValueError("totals must sum to zero")
        return self


class StatementBody(Model):
    statement: Statement


class CheckpointBody(Model):
    checkpoint: Checkpoint


class StatementMessage(Model):
    type: Literal["statement"] = "statement"
    message_id: Id
    body: StatementBody


class CheckpointMessage(Model):
    type: Literal["checkpoint"] = "checkpoint"
    message_id: Id
    body: CheckpointBody
