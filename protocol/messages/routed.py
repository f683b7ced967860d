"""Messages of a transfer routed through hubs (standard §22.4, revision 1.4).

A routed transfer crosses several links. Each link carries one **leg**: a `transfer.leg`
request on that link's own chain, with the transfer's fields, the whole `path` (node ids from
the debtor's node to the creditor's) and `hop`, the index of the leg's sender in it. Every leg
carries the same transfer id; each leg's expiry is earlier than the one before it.

A leg is answered with
* `transfer.forwarding` (not final): a hub holds the leg and has sent the next one;
* `transfer.delivered` (final): the creditor's node credited the creditor; it carries the
  creditor node's **end receipt**, a document signed by that node alone, which every hop passes
  upstream unchanged: no hub can make one, so no hub can settle a transfer on its own word;
* `transfer.reject` (final or temporary), exactly as for a prepare.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, StrictInt, model_validator

from protocol.addresses import MemberAddress
from protocol.credit import CreditClass
from protocol.fields import (
    Address,
    AmountMinutes,
    Hash,
    Id,
    Memo,
    Model,
    NodeId,
    Signatures,
    TimeMs,
)
from protocol.messages.transfer import PrepareBody, Purpose

# A route has at most this many links (protocol/routes.py's HOPS_MAX_LIMIT, repeated here so
# that the message model needs nothing beyond the fields module).
LEGS_MAX = 3
Path = Annotated[list[NodeId], Field(min_length=3, max_length=LEGS_MAX + 1)]
END_KIND = "transfer_end"


class LegBody(PrepareBody):
    """A prepare's members, and where on the route this leg is."""

    path: Path
    hop: Annotated[StrictInt, Field(ge=0, le=LEGS_MAX - 1)]

    @model_validator(mode="after")
    def _route(self) -> LegBody:
        if len(set(self.path)) != len(self.path):
            raise ValueError("a path visits each node once")
        if self.hop > len(self.path) - 2:
            raise ValueError("hop must name a node that has a next one on the path")
        if MemberAddress.parse(self.debtor).node_id != self.path[0]:
            raise ValueError("the path starts at the debtor's node")
        if MemberAddress.parse(self.creditor).node_id != self.path[-1]:
            raise ValueError("the path ends at the creditor's node")
        return self

    @property
    def sender(self) -> str:
        return self.path[self.hop]

    @property
    def receiver(self) -> str:
        return self.path[self.hop + 1]

    @property
    def last(self) -> bool:
        """Is the receiver the creditor's node?"""
        return self.hop == len(self.path) - 2


class EndReceipt(Model):
    """The creditor node's signed word that it credited the creditor: evidence on its own,
    verified like any signed document against the directory (§5.2), by every hop and by the
    debtor's node. It names what the debtor's node signed in its first leg, nothing a hub
    chose: every member a hub must pass on unchanged, so that a hub that changed one (the
    payment request it pays, or the words the creditor reads) is caught like one that changed
    the amount."""

    standard: Literal["hourbridge/1"]
    kind: Literal["transfer_end"]
    transfer_id: Id
    debtor: Address
    creditor: Address
    amount_minutes: AmountMinutes
    credit_class: CreditClass
    purpose: Purpose
    payment_request_id: Id | None
    memo: Memo
    path: Path
    committed_at_ms: TimeMs
    signatures: Signatures


class ForwardingBody(Model):
    in_reply_to: Id
    transfer_id: Id
    prepare_hash: Hash
    next_hop: NodeId
    as_of_ms: TimeMs


class DeliveredBody(Model):
    in_reply_to: Id
    transfer_id: Id
    prepare_hash: Hash
    end: EndReceipt


class LegMessage(Model):
    type: Literal["transfer.leg"] = "transfer.leg"
    message_id: Id
    body: LegBody


class ForwardingMessage(Model):
    type: Literal["transfer.forwarding"] = "transfer.forwarding"
    message_id: Id
    body: ForwardingBody


class DeliveredMessage(Model):
    type: Literal["transfer.delivered"] = "transfer.delivered"
    message_id: Id
    body: DeliveredBody
