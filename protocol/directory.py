"""The federation directory: the signed trust root listing nodes, keys and policy (DESIGN §4).

A node holds one verified directory at a time. A newer serial replaces it; an older serial is
refused; the same serial with different content is a conflict (the authority signed two
different documents under one serial, which an operator must look at).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from enum import StrEnum
from typing import Any, Literal

from pydantic import Field, StrictInt, ValidationError, model_validator

from protocol.authority import authority_key, held_after, verify_authority
from protocol.canonical import sha256_hex
from protocol.errors import DecodeError, DirectoryError, UnitError
from protocol.fields import (
    BalanceMinutes,
    KeyId,
    Model,
    Name,
    NodeId,
    PublicKey,
    Signatures,
    TimeMs,
)
from protocol.fields import Sequence as SerialInt
from protocol.policy import Policy
from protocol.reasons import ReasonCode
from protocol.signing import (
    UNSIGNED_MEMBERS,
    SigningKey,
    VerifyKey,
    key_id_for,
    sign_object,
    signing_bytes,
)
from protocol.units import RATIO_TERM_MAX, UnitRatio
from protocol.version import STANDARD

KEYS_PER_NODE_MAX = 64
AUTHORITY_KEYS_MAX = 8
NODES_MAX = 1_000
REGION_CODE_PATTERN = r"^[0-9]{6}$"
BASE_URL_PATTERN = r"^https?://[^\s/?#]+(/[^\s?#]*)?$"
BASE_URL_CHARS_MAX = 200


def key_text(key: VerifyKey) -> str:
    """A public key as one line: `ed25519:<8-char id>=<43-char base64url key>`.

    The form an authority anchor takes in a node's config and a node's key on the authority's
    command line. Carrying the id lets `parse_key_text` catch a key pasted wrong.
    """
    return f"{key.key_id}={key.to_b64()}"


def parse_key_text(text: str) -> VerifyKey:
    key_id, _, public_key = text.strip().partition("=")
    try:
        key = VerifyKey.from_b64(key_id, public_key)
    except ValueError as exc:  # not canonical base64url, or not 32 bytes
        raise DecodeError(ReasonCode.MALFORMED, f"not an ed25519:<id>=<key> line: {exc}") from exc
    if key_id_for(key.public_key) != key_id:
        raise DecodeError(ReasonCode.MALFORMED, f"{key_id} is not the id of that public key")
    return key


class KeyRecord(Model):
    """A public key and the window [valid_from_ms, valid_until_ms) in which it may sign."""

    key_id: KeyId
    public_key: PublicKey
    valid_from_ms: TimeMs
    valid_until_ms: TimeMs | None

    @model_validator(mode="after")
    def _check(self) -> KeyRecord:
        if self.valid_until_ms is not None and self.valid_until_ms <= self.valid_from_ms:
            raise ValueError("valid_until_ms must be after valid_from_ms")
        if key_id_for(self.verify_key().public_key) != self.key_id:
            raise ValueError("key_id is not derived from public_key")
        return self

    @classmethod
    def for_key(
        cls, key: VerifyKey, *, valid_from_ms: int, valid_until_ms: int | None = None
    ) -> KeyRecord:
        return cls(
            key_id=key.key_id,
            public_key=key.to_b64(),
            valid_from_ms=valid_from_ms,
            valid_until_ms=valid_until_ms,
        )

    def verify_key(self) -> VerifyKey:
        return VerifyKey.from_b64(self.key_id, self.public_key)

    def valid_at(self, at_ms: int) -> bool:
        if at_ms < self.valid_from_ms:
            return False
        return self.valid_until_ms is None or at_ms < self.valid_until_ms


class NodeStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"
    RETIRED = "retired"


class LocalUnit(Model):
    name: Name
    units: StrictInt = Field(ge=1, le=RATIO_TERM_MAX)
    minutes: StrictInt = Field(ge=1, le=RATIO_TERM_MAX)

    @model_validator(mode="after")
    def _check(self) -> LocalUnit:
        try:
            self.ratio()
        except UnitError as exc:
            raise ValueError(exc.detail) from exc
        return self

    def ratio(self) -> UnitRatio:
        return UnitRatio(units=self.units, minutes=self.minutes)


class NodeEntry(Model):
    node_id: NodeId
    name: Name
    region_code: str = Field(pattern=REGION_CODE_PATTERN)
    base_url: str = Field(pattern=BASE_URL_PATTERN, max_length=BASE_URL_CHARS_MAX)
    status: NodeStatus
    keys: list[KeyRecord] = Field(min_length=1, max_length=KEYS_PER_NODE_MAX)
    local_unit: LocalUnit
    net_debit_cap_per_partner_minutes: BalanceMinutes
    net_debit_cap_overall_minutes: BalanceMinutes

    @model_validator(mode="after")
    def _check(self) -> NodeEntry:
        if len({key.key_id for key in self.keys}) != len(self.keys):
            raise ValueError("key ids must be unique within a node")
        return self

    def key(self, key_id: str) -> KeyRecord | None:
        return next((key for key in self.keys if key.key_id == key_id), None)

    def signing_key_id(self, at_ms: int) -> str | None:
        """The key a node should sign with at `at_ms`: the newest one valid then."""
        valid = [key for key in self.keys if key.valid_at(at_ms)]
        return max(valid, key=lambda key: key.valid_from_ms).key_id if valid else None


class Directory(Model):
    standard: Literal["hourbridge/1"]
    kind: Literal["directory"]
    federation_id: NodeId
    serial: SerialInt
    issued_at_ms: TimeMs
    authority_keys: list[KeyRecord] = Field(min_length=1, max_length=AUTHORITY_KEYS_MAX)
    policy: Policy
    nodes: list[NodeEntry] = Field(max_length=NODES_MAX)
    signatures: Signatures

    @model_validator(mode="after")
    def _check(self) -> Directory:
        ids = [node.node_id for node in self.nodes]
        if ids != sorted(set(ids)):
            raise ValueError("nodes must be unique and sorted by node_id")
        return self

    def node(self, node_id: str) -> NodeEntry | None:
        return next((node for node in self.nodes if node.node_id == node_id), None)

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def content_hash(self) -> str:
        return sha256_hex(signing_bytes(self.to_json()))


def decode_directory(obj: object) -> Directory:
    if isinstance(obj, dict) and "policy" in obj:
        try:
            Policy.model_validate(obj["policy"])
        except ValidationError as exc:
            raise DirectoryError(ReasonCode.POLICY_OUT_OF_BOUNDS, str(exc)) from exc
    try:
        directory = Directory.model_validate(obj)
    except ValidationError as exc:
        raise DecodeError(ReasonCode.MALFORMED, str(exc)) from exc
    _check_caps(directory)
    return directory


def _check_caps(directory: Directory) -> None:
    policy = directory.policy
    for node in directory.nodes:
        if node.net_debit_cap_per_partner_minutes > policy.net_debit_cap_per_partner_minutes_max:
            raise DirectoryError(
                ReasonCode.POLICY_OUT_OF_BOUNDS, f"{node.node_id}: per-partner cap above policy"
            )
        if node.net_debit_cap_overall_minutes > policy.net_debit_cap_overall_minutes_max:
            raise DirectoryError(
                ReasonCode.POLICY_OUT_OF_BOUNDS, f"{node.node_id}: overall cap above policy"
            )


def sign_directory(
    body: Mapping[str, Any], *, authority: SigningKey, serial: int, issued_at_ms: int
) -> dict[str, Any]:
    """Complete `body` into a directory with this serial and time, check it, and sign it.

    `body` holds `federation_id`, `authority_keys`, `policy` and `nodes` (sorted by node_id); any
    old `signatures` are dropped, so the result carries exactly the one acceptance asks for.
    Refuses what no node would accept: an invalid document (`malformed`,
    `policy_out_of_bounds`) or an authority key not listed valid at `issued_at_ms`.
    """
    unsigned = {k: v for k, v in body.items() if k not in UNSIGNED_MEMBERS}
    unsigned.update(standard=STANDARD, kind="directory", serial=serial, issued_at_ms=issued_at_ms)
    signed = sign_object(unsigned, signer=str(unsigned.get("federation_id")), key=authority)
    directory = decode_directory(signed)
    listed = [key for key in directory.authority_keys if key.key_id == authority.key_id]
    if not any(key.valid_at(issued_at_ms) for key in listed):
        raise DirectoryError(
            ReasonCode.UNKNOWN_KEY,
            f"authority key {authority.key_id} is not listed valid at {issued_at_ms}",
        )
    return signed


def accept_directory(
    obj: object, *, anchors: Sequence[VerifyKey], current: Directory | None
) -> Directory:
    """Verify a directory document and decide whether it replaces `current`.

    Returns the directory to hold from now on (`current` itself for an identical repeat).
    """
    directory = decode_directory(obj)
    if current is not None and directory.federation_id != current.federation_id:
        raise DirectoryError(ReasonCode.DIRECTORY_CONFLICT, "directory of another federation")
    held_keys = current.authority_keys if current is not None else []
    key = authority_key(directory, anchors=anchors, held_keys=held_keys)
    verify_authority(obj, directory, key)
    return held_after(directory, current)
