"""Request and response bodies of the time-bank API (docs/timebank.md)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field

from node.forms.models import CLIENT_ID_PATTERN, TEXT, Closed, GrantOut, Minutes, StrictInt
from node.timebank.disputes import Outcome
from node.timebank.eligibility import RELATIONS
from node.timebank.visit_codes import CODE_DIGITS, CODE_PATTERN
from protocol.addresses import LOCAL_ID_PATTERN, NODE_ID_PATTERN
from protocol.fields import INT_MAX

LocalIdField = Annotated[str, Field(pattern=LOCAL_ID_PATTERN, max_length=64)]
ClientIdField = Annotated[str, Field(pattern=CLIENT_ID_PATTERN,
                                     description="client-chosen idempotency key")]
CODE = r"^[a-z][a-z0-9_]{0,39}$"
Reason = Annotated[str, Field(min_length=1, max_length=500, pattern=TEXT)]
Comment = Annotated[str, Field(default="", max_length=500, pattern=TEXT)]
RELATION_PATTERN = "^(" + "|".join(RELATIONS) + ")$"


class ServiceRequestCreate(Closed):
    id: ClientIdField
    recipient: LocalIdField = Field(description="the member to be served (staff: an elder)")
    category: str | None = Field(default=None, pattern=CODE)
    item: str | None = Field(default=None, pattern=CODE,
                             description="a catalogue item; required where prices are per item")
    description: str = Field(default="", max_length=500, pattern=TEXT)


class Accept(Closed):
    volunteer: LocalIdField


class CheckIn(Closed):
    code: str | None = Field(
        default=None, pattern=CODE_PATTERN,
        description=f"the recipient's visit code ({CODE_DIGITS} digits): required when a member "
        "checks in (the volunteer on his phone); station staff and admins may leave it out")


class VisitCodeOut(BaseModel):
    member: str
    code: str | None = Field(description=f"{CODE_DIGITS} digits; null when none was made, or "
                             "when this node can no longer read it (make a new one)")
    card: int = Field(description="how many codes were made for the member: the number of "
                      "the card in force, 0 before the first")
    made_by: str | None
    made_at_ms: int | None


class Confirm(Closed):
    rating: StrictInt = Field(ge=1, le=5)
    comment: Comment


class ReasonBody(Closed):
    reason: Reason


class SlipRecord(Closed):
    """A paper slip: its two times (epoch ms) or its duration, a reason and its reference."""

    reference: str = Field(min_length=1, max_length=64, pattern=TEXT,
                           description="the slip's number or reference, as written on it")
    reason: Reason
    checked_in_at_ms: StrictInt | None = Field(default=None, ge=0, le=INT_MAX)
    checked_out_at_ms: StrictInt | None = Field(default=None, ge=0, le=INT_MAX)
    duration_minutes: StrictInt | None = Field(default=None, ge=0, le=INT_MAX)


class Resolve(Closed):
    outcome: Outcome
    released_minutes: Minutes | None = Field(
        default=None, description="partial only: what the volunteer is paid (the rest refunded)")
    reason: Reason


class HistoryLine(BaseModel):
    action: str
    actor: str
    detail: str
    entry_height: int | None
    at_ms: int


class DisputeOut(BaseModel):
    state: str
    reason: str
    raised_by: str
    raised_at_ms: int
    outcome: str | None
    released_minutes: int | None
    resolution: str | None
    resolved_by: str | None
    resolved_at_ms: int | None


class CorrectionOut(BaseModel):
    """A paid visit's correction from its paper slip (node/timebank/corrections.py)."""

    id: str
    request_id: str
    state: str = Field(description="pending (awaits a second person), posted or withdrawn "
                       "(by its recorder or an admin, unconfirmed: nothing posted)")
    reference: str
    reason: str
    duration_minutes: int
    rounded_before: int
    rounded_after: int
    price_before: int
    price_after: int
    delta_minutes: int = Field(description="price_after - price_before: to the volunteer when "
                               "positive, back to the elder when negative")
    recorded_by: str
    recorded_at_ms: int
    confirmed_by: str | None
    confirmed_at_ms: int | None
    entry_height: int | None
    withdrawn_by: str | None = None
    withdrawn_at_ms: int | None = None
    withdraw_reason: str | None = None


class ServiceRequestOut(BaseModel):
    id: str
    recipient: str
    volunteer: str | None
    category: str
    item: str | None
    description: str
    state: str = Field(description="open, accepted, in_progress, completed, disputed, paid, "
                       "refunded or cancelled")
    payer: str = Field(description="recipient, or issuance for a subsidised member")
    station: str | None
    posted_by: str
    created_at_ms: int
    accepted_at_ms: int | None
    checked_in_at_ms: int | None
    checked_out_at_ms: int | None
    duration_minutes: int | None
    rounded_minutes: int | None
    price_minutes: int | None
    held_minutes: int | None
    rating: int | None
    comment: str | None
    confirmed_by: str | None
    settled_at_ms: int | None
    released_minutes: int | None
    refunded_minutes: int | None
    credited_minutes: int | None
    overflow_minutes: int | None
    updated_at_ms: int
    dispute: DisputeOut | None
    corrections: list[CorrectionOut] = Field(default_factory=list)
    history: list[HistoryLine] | None = None


class ServiceRequestPage(BaseModel):
    items: list[ServiceRequestOut]
    next_after: str | None


class DisputeLine(DisputeOut):
    """A dispute in the staff's list: the dispute, with the request it holds."""

    request_id: str
    station: str | None
    held_minutes: int | None


class DisputePage(BaseModel):
    items: list[DisputeLine]


class Vetting(Closed):
    hardship: bool = Field(description="in hardship: the policy's earlier redemption age")
    subsidised: bool = Field(description="services paid from issuance")
    reason: Reason


class ProfileOut(BaseModel):
    member: str
    hardship: bool
    subsidised: bool
    reason: str | None
    vetted_by: str | None
    vetted_at_ms: int | None
    history: list[HistoryLine]


class KinCreate(Closed):
    relative: str = Field(pattern=r"^[a-z0-9][a-z0-9._@-]{0,99}$",
                          description="a local id here, or an address at any node")
    relation: str = Field(pattern=RELATION_PATTERN)


class KinLine(BaseModel):
    relative: str
    relation: str
    registered_by: str
    registered_at_ms: int


class KinOut(BaseModel):
    member: str
    items: list[KinLine]


class SponsorCreate(Closed):
    id: ClientIdField
    name: str = Field(min_length=1, max_length=200, pattern=TEXT)


class SponsorOut(BaseModel):
    id: str
    name: str
    registered_by: str
    created_at_ms: int


class SponsorPage(BaseModel):
    items: list[SponsorOut]


class Funding(Closed):
    id: ClientIdField = Field(description="the grant's id")
    member: LocalIdField
    amount_minutes: Minutes
    reason: Reason


class FundingOut(GrantOut):
    sponsor: str


class RedemptionCreate(Closed):
    id: ClientIdField
    member: LocalIdField
    goods: str = Field(pattern=CODE)
    quantity: StrictInt = Field(default=1, ge=1, le=100)


class RedemptionOut(BaseModel):
    id: str
    member: str
    goods: str
    quantity: int
    amount_minutes: int
    entry_height: int
    actor: str
    created_at_ms: int


class DonationCreate(Closed):
    id: ClientIdField
    member: LocalIdField = Field(description="the donor")
    amount_minutes: Minutes
    to_node: str | None = Field(default=None, pattern=NODE_ID_PATTERN,
                                description="another node's hardship pool; absent: this node's")
    reason: str = Field(default="donation", min_length=1, max_length=140, pattern=TEXT)


class DistributionCreate(Closed):
    id: ClientIdField
    member: LocalIdField = Field(description="the vetted member who receives donated hours")
    amount_minutes: Minutes
    reason: Reason


class DonationOut(BaseModel):
    id: str
    kind: str = Field(description="donation or distribution")
    member: str
    to_node: str | None
    amount_minutes: int
    reason: str
    entry_height: int | None
    transfer_id: str | None
    actor: str
    created_at_ms: int


class PoolOut(BaseModel):
    address: str
    available_minutes: int
    by_class_minutes: dict[str, int]


class ProgrammeOut(BaseModel):
    programme: str
    name: str
    unit: dict[str, Any]
    pricing: str
    rounding: str
    categories: list[dict[str, Any]]
    items: list[dict[str, Any]]
    goods: dict[str, Any]
    caps: dict[str, Any]
    transfers: dict[str, Any]
    lifecycle: dict[str, Any]


class CatalogueOut(ProgrammeOut):
    """Service standards and exchange rates."""

    eligibility: dict[str, Any]
    credit_classes: list[str]
    hours_convertible_to_money: bool
    exchange_rates: dict[str, Any]


class PolicyOut(ProgrammeOut):
    """The node's policy document as loaded (docs/timebank.md)."""

    provider: dict[str, Any]
    redeemer: dict[str, Any]
    credit: dict[str, Any]
    expiry: dict[str, Any]
    service: dict[str, Any]


class StatisticsOut(BaseModel):
    from_ms: int
    to_ms: int
    station: str | None
    demand: dict[str, dict[str, int]]
    supply: dict[str, dict[str, dict[str, int]]]
    completion: dict[str, Any]
    ratings: dict[str, Any]
    disputes: dict[str, Any]
