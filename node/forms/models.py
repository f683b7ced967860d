"""Request and response bodies of the member, staff, admin and regulator API."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field, Strict, model_validator
from pydantic.json_schema import SkipJsonSchema

from node.ledger.model import AMOUNT_MINUTES_MAX
from node.version import NODE_VERSION
from protocol.addresses import LOCAL_ID_PATTERN
from protocol.canonical import INT_ABS_MAX
from protocol.credit import CreditClass
from protocol.units import LOCAL_AMOUNT_MAX
from protocol.version import STANDARD, STANDARD_REVISION

CLIENT_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:-]{0,63}$"
ADDRESS_OR_LOCAL = r"^[a-z0-9][a-z0-9._@-]{0,99}$"
# Integers only, strictly: 90.0, "90" and true are refused, so no float reaches the money path.
StrictInt = Annotated[int, Strict()]
Minutes = Annotated[
    int,
    Strict(),
    Field(gt=0, le=AMOUNT_MINUTES_MAX, description="integer minutes of the standard unit"),
]
LocalUnits = Annotated[
    int,
    Strict(),
    Field(gt=0, le=LOCAL_AMOUNT_MAX, description="integer amount of the node's local unit"),
]


# Free text a person typed: no control characters (they break terminals, CSV and PostgreSQL).
TEXT = r"^[^\x00-\x1f\x7f]*$"


class Closed(BaseModel):
    """A request body: unknown fields are refused rather than silently ignored."""

    model_config = ConfigDict(extra="forbid")


class MemberCreate(Closed):
    local_id: str = Field(pattern=LOCAL_ID_PATTERN, max_length=64)
    display_name: str = Field(min_length=1, max_length=200, pattern=TEXT)
    station: str | None = Field(default=None, pattern=LOCAL_ID_PATTERN, max_length=64)
    birth_year: StrictInt | None = Field(default=None, ge=1900, le=2100)


class MemberOut(BaseModel):
    local_id: str
    address: str
    display_name: str
    station: str | None
    birth_year: int | None
    status: str = Field(description="active, deactivated, relocating, or relocated")
    created_at_ms: int
    relocated_to: str | None = Field(
        default=None, description="the member's new address after moving to another node"
    )


class MemberPage(BaseModel):
    items: list[MemberOut]
    next_after: str | None


class Deactivation(Closed):
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT)


class UnitOut(BaseModel):
    name: str
    units: int = Field(description="`units` local units are worth `minutes` standard minutes")
    minutes: int


class BalanceOut(BaseModel):
    address: str
    available_minutes: int
    pending_out_minutes: int
    by_class_minutes: dict[str, int]
    unit: UnitOut = Field(description="the node's local unit (1:1 minute when it has none)")
    available_units: int = Field(description="available minutes in whole local units")
    available_remainder_minutes: int = Field(
        description="available minutes that make no whole local unit"
    )


class StatementLine(BaseModel):
    height: int
    entry_id: str
    kind: str
    ref: str | None
    memo: str
    created_at_ms: int
    amount_minutes: int
    by_class_minutes: dict[str, int]
    counterparty: list[str]
    peer_node: str | None = Field(
        default=None, description="the other node, when hours moved to or from another city"
    )
    balance_after_minutes: int


class StatementPage(BaseModel):
    items: list[StatementLine]
    next_before_height: int | None


class GrantCreate(Closed):
    id: str = Field(pattern=CLIENT_ID_PATTERN, description="client-chosen idempotency key")
    member: str = Field(pattern=LOCAL_ID_PATTERN, max_length=64)
    amount_minutes: Minutes
    credit_class: CreditClass
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT)


class GrantOut(BaseModel):
    id: str
    member: str
    amount_minutes: int
    credit_class: str
    reason: str
    approved_by: str
    entry_height: int
    created_at_ms: int


class TransferCreate(Closed):
    model_config = ConfigDict(extra="forbid", populate_by_name=True)

    id: str = Field(pattern=CLIENT_ID_PATTERN, description="client-chosen idempotency key")
    from_: str = Field(alias="from", pattern=ADDRESS_OR_LOCAL, description="local id or address")
    to: str = Field(pattern=ADDRESS_OR_LOCAL, description="local id or address")
    # Exactly one of the two amounts. Units move in whole ratio blocks; the rest stays with
    # the payer (docs/standard.md §4).
    amount_minutes: Minutes | SkipJsonSchema[None] = None
    amount_units: LocalUnits | SkipJsonSchema[None] = None
    memo: str = Field(default="", max_length=500, pattern=TEXT)

    @model_validator(mode="after")
    def _one_amount(self) -> TransferCreate:
        if (self.amount_minutes is None) == (self.amount_units is None):
            raise ValueError("give exactly one of amount_minutes or amount_units")
        return self


class TransferOut(BaseModel):
    model_config = ConfigDict(populate_by_name=True)

    id: str
    from_: str = Field(alias="from")
    to: str
    amount_minutes: int
    amount_units: int | None = Field(
        default=None, description="the local units asked for (null when minutes were given)"
    )
    remainder_units: int | None = Field(
        default=None, description="asked-for units that make no whole block and did not move"
    )
    memo: str
    state: str = Field(description="committed; for another node's member: pending, in_doubt, "
                       "then committed, rejected or expired")
    reason_code: str | None = Field(description="why it was rejected (standard reason code)")
    entry_height: int | None
    created_at_ms: int
    updated_at_ms: int
    peer_node: str | None = Field(default=None, description="the node it was sent to: the "
                                  "creditor's, or the first hub on its route")
    credit_class: str | None = None
    expires_at_ms: int | None = Field(
        default=None, description="after this the transfer is in doubt until the peer answers"
    )
    relocated_to: str | None = Field(
        default=None, description="the creditor's new address when rejected as relocated"
    )
    dispute: str | None = Field(default=None, description="a contradiction an operator must see")
    route: list[str] | None = Field(
        default=None, description="the nodes a transfer through hubs crosses, this one first "
        "(standard §22.4); null when it goes straight to the creditor's node")


class ReversalCreate(Closed):
    height: StrictInt = Field(gt=0, le=INT_ABS_MAX)
    reason: str = Field(min_length=1, max_length=500, pattern=TEXT)


class ReversalOut(BaseModel):
    height: int
    entry_id: str
    reverses_height: int | None
    entry_hash: str


class KindTotalOut(BaseModel):
    account_kind: str
    balance_minutes: int


class Checkpoint(BaseModel):
    """schemas/checkpoint.schema.json: the standard's signed checkpoint (§11)."""

    standard: str
    kind: str
    node: str
    height: int
    head_hash: str
    totals: list[KindTotalOut]
    issued_at_ms: int
    signatures: dict[str, dict[str, str]]


class Health(BaseModel):
    status: str
    node_id: str
    version: str = Field(default=NODE_VERSION, description="this node's release (semver)")
    standard: str = Field(default=STANDARD, description="the major version on the wire")
    standard_revision: str = Field(default=STANDARD_REVISION,
                                   description="the revision of the standard it follows (§16)")
    details: dict[str, Any] = {}


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    code: str
    instance: str


class KeyRecordOut(BaseModel):
    key_id: str
    public_key: str
    valid_from_ms: int
    valid_until_ms: int | None


class NodeKeysDocument(BaseModel):
    """schemas/node_keys.schema.json"""

    standard: str
    kind: str
    node_id: str
    issued_at_ms: int
    keys: list[KeyRecordOut]
    signatures: dict[str, dict[str, str]]


class NodeInfoDocument(BaseModel):
    """schemas/node_info.schema.json"""

    standard: str
    kind: str
    node_id: str
    issued_at_ms: int
    standard_revision: str
    software: str
    capabilities: list[str]
    signatures: dict[str, dict[str, str]]


class SignedResponseDocument(BaseModel):
    """schemas/response.schema.json: the node's signed answer to a peer's transaction."""

    model_config = ConfigDict(extra="allow")

    standard: str
    kind: str
    transaction_id: str
    transaction_hash: str
    outcome: str
    signatures: dict[str, dict[str, str]]


class DirectoryDocument(BaseModel):
    """schemas/directory.schema.json (the full document is returned verbatim)."""

    model_config = ConfigDict(extra="allow")

    standard: str
    kind: str
    federation_id: str
    serial: int
    issued_at_ms: int
    signatures: dict[str, dict[str, str]]


class LinkOut(BaseModel):
    peer: str
    state: str = Field(default="ok", description="ok; frozen (an operator resolves and "
                       "unfreezes); peer_ahead (this node lost part of the chain, most likely "
                       "restored from a backup: run `hourbridge recover`)")
    out_sequence: int = Field(description="our last transaction the peer answered")
    in_sequence: int = Field(description="the peer's last transaction we accepted")
    queued_messages: int
    frozen_reason: str | None = Field(description="set when the two sides disagree")
    frozen_detail: str | None
    circuit: str = Field(description="closed, open (backing off), or idle (no sender running)")
    failures_in_a_row: int = 0
    last_error: str | None = None
    delivered_transactions: int = 0
    delivered_messages: int = 0
    clock_offset_ms: int | None = Field(
        default=None, description="this node's clock minus the peer's, from its signed times "
        "(positive: ours is ahead); null until measured (node/exchange/clockwatch.py)")
    clock_skewed: bool = Field(default=False, description="the offset is past half the "
                               "policy's skew bound")
    clock_advice: str | None = Field(default=None, description="what to fix, while skewed")
    capabilities: list[str] | None = Field(
        default=None, description="the features beyond the baseline both nodes announce "
        "(standard §16.2), e.g. transfer.hubs; null until this node has read the peer's "
        "node_info (node/exchange/capabilities.py)")


class LinkPage(BaseModel):
    items: list[LinkOut]


class LinkMapLinkOut(BaseModel):
    a: str
    b: str
    a_cap_minutes: int = Field(description="how much `a` may owe `b` net on this link")
    b_cap_minutes: int = Field(description="how much `b` may owe `a` net on this link")


class LinkMapOut(BaseModel):
    """The link map this node holds, exactly as the authority signed it (standard §22)."""

    standard: str
    kind: str
    federation_id: str
    serial: int
    issued_at_ms: int
    hops_max: int = Field(description="the most links a route may cross")
    links: list[LinkMapLinkOut]
    signatures: dict[str, dict[str, str]]


class RouteOut(BaseModel):
    route: list[str] = Field(description="the nodes a transfer would cross, both ends included")
    links: int = Field(description="how many links the route crosses")
    link_map_serial: int | None = Field(
        description="the link map it was computed over; null: none held, a full mesh")


class DirectoryRefreshOut(BaseModel):
    federation_id: str
    serial: int = Field(description="the directory in force after the refresh")
    issued_at_ms: int
    changed: bool = Field(description="true if the refresh brought a newer directory")
    statuses: dict[str, str] = Field(
        description="each listed node's status (active, suspended, retired), by node id")


TRANSFER_BATCH_MAX = 100


class TransferBatch(Closed):
    items: list[TransferCreate] = Field(
        min_length=1, max_length=TRANSFER_BATCH_MAX,
        description=f"1..{TRANSFER_BATCH_MAX} transfers, made together or not at all",
    )


class TransferBatchOut(BaseModel):
    items: list[TransferOut]
