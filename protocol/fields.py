"""Shared field types for the standard's documents (pydantic annotations, JSON-shaped).

Every document field is always present; an absent value is an explicit null. That keeps one
byte form per value, which the canonical hash and the signatures depend on.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictInt, StrictStr

from protocol.addresses import LOCAL_ID_PATTERN, NODE_ID_PATTERN, MemberAddress

INT_MAX = 2**53 - 1
ID_PATTERN = r"^[A-Za-z0-9_-]{8,64}$"
HASH_PATTERN = r"^[0-9a-f]{64}$"
KEY_ID_PATTERN = r"^ed25519:[A-Za-z0-9_-]{8}$"
PUBLIC_KEY_PATTERN = r"^[A-Za-z0-9_-]{43}$"
# Free text shown to people: no control characters, so one value has one byte form.
TEXT_PATTERN = r"^[^\x00-\x1f\x7f]*$"
MEMO_CHARS_MAX = 140
DETAIL_CHARS_MAX = 280
NAME_CHARS_MAX = 100
# The standard's hard ceiling on one transfer; a federation's policy sets its own lower bound.
AMOUNT_MINUTES_LIMIT = 600_000
GENESIS_HASH = "0" * 64


def _address(text: str) -> str:
    MemberAddress.parse(text)
    return text


Id = Annotated[StrictStr, Field(pattern=ID_PATTERN)]
NodeId = Annotated[StrictStr, Field(pattern=NODE_ID_PATTERN)]
LocalId = Annotated[StrictStr, Field(pattern=LOCAL_ID_PATTERN)]
Address = Annotated[StrictStr, Field(max_length=97), AfterValidator(_address)]
Hash = Annotated[StrictStr, Field(pattern=HASH_PATTERN)]
KeyId = Annotated[StrictStr, Field(pattern=KEY_ID_PATTERN)]
PublicKey = Annotated[StrictStr, Field(pattern=PUBLIC_KEY_PATTERN)]
TimeMs = Annotated[StrictInt, Field(ge=0, le=INT_MAX)]
Sequence = Annotated[StrictInt, Field(ge=1, le=INT_MAX)]
Count = Annotated[StrictInt, Field(ge=0, le=INT_MAX)]
AmountMinutes = Annotated[StrictInt, Field(ge=1, le=AMOUNT_MINUTES_LIMIT)]
BalanceMinutes = Annotated[StrictInt, Field(ge=0, le=INT_MAX)]
SignedMinutes = Annotated[StrictInt, Field(ge=-INT_MAX, le=INT_MAX)]
Memo = Annotated[StrictStr, Field(max_length=MEMO_CHARS_MAX, pattern=TEXT_PATTERN)]
Detail = Annotated[StrictStr, Field(max_length=DETAIL_CHARS_MAX, pattern=TEXT_PATTERN)]
Name = Annotated[StrictStr, Field(min_length=1, max_length=NAME_CHARS_MAX, pattern=TEXT_PATTERN)]


class Model(BaseModel):
    """Base for every document model: immutable, no unknown members, no coercion of numbers."""

    model_config = ConfigDict(frozen=True, extra="forbid")


SIGNATURE_PATTERN = r"^[A-Za-z0-9_-]{86}$"
Signature = Annotated[StrictStr, Field(pattern=SIGNATURE_PATTERN)]
# signer -> key id -> unpadded base64url Ed25519 signature (Matrix style)
Signatures = Annotated[
    dict[NodeId, Annotated[dict[KeyId, Signature], Field(min_length=1)]], Field(min_length=1)
]
