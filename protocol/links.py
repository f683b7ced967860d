"""The link map (§22, revision 1.4): which pairs of nodes trade directly, with each side's
cap, and how many links a route may cross. Signed by the federation authority like the directory
and accepted only against a held directory.

Without a link map a federation is a full mesh: every pair of active nodes may trade directly,
which is all that a node of revision 1.3 knows. node/linkmap.py holds one and says routes; no
transfer uses them yet.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

from pydantic import Field, StrictInt, ValidationError, model_validator

from protocol.authority import authority_key, held_after, verify_authority
from protocol.canonical import sha256_hex
from protocol.directory import Directory
from protocol.errors import DecodeError, DirectoryError
from protocol.fields import BalanceMinutes, Model, NodeId, Signatures, TimeMs
from protocol.fields import Sequence as SerialInt
from protocol.reasons import ReasonCode
from protocol.signing import UNSIGNED_MEMBERS, SigningKey, sign_object, signing_bytes
from protocol.version import STANDARD

LINKS_MAX = 10_000
# A route crosses at most this many links whatever the map says: every hop adds a leg that holds
# hours reserved until the last leg answers, so the bound is the standard's, not the authority's.
HOPS_MAX_LIMIT = 3
HOPS_MAX_MIN = 1


class Link(Model):
    """An unordered pair written once, `a` < `b`; `a_cap_minutes` is how much `a` may owe `b`
    net, `b_cap_minutes` how much `b` may owe `a`."""

    a: NodeId
    b: NodeId
    a_cap_minutes: BalanceMinutes
    b_cap_minutes: BalanceMinutes

    @model_validator(mode="after")
    def _check(self) -> Link:
        if not self.a < self.b:
            raise ValueError(f"link {self.a}-{self.b}: a must sort before b")
        return self


class LinkMap(Model):
    standard: Literal["hourbridge/1"]
    kind: Literal["links"]
    federation_id: NodeId
    serial: SerialInt
    issued_at_ms: TimeMs
    hops_max: StrictInt
    links: list[Link] = Field(max_length=LINKS_MAX)
    signatures: Signatures

    @model_validator(mode="after")
    def _check(self) -> LinkMap:
        pairs = [(link.a, link.b) for link in self.links]
        if pairs != sorted(set(pairs)):
            raise ValueError("links must be unique and sorted by (a, b)")
        return self

    def to_json(self) -> dict[str, Any]:
        return self.model_dump(mode="json")

    def content_hash(self) -> str:
        return sha256_hex(signing_bytes(self.to_json()))

    def node_ids(self) -> frozenset[str]:
        return frozenset(node for link in self.links for node in (link.a, link.b))


def decode_links(obj: object) -> LinkMap:
    """A link map with exactly its members, each link once, sorted, `a` < `b` (`malformed`)."""
    try:
        return LinkMap.model_validate(obj)
    except ValidationError as exc:
        raise DecodeError(ReasonCode.MALFORMED, str(exc)) from exc


def check_links(link_map: LinkMap, directory: Directory) -> None:
    """The map's rules against the held directory, in the order §22 lists them."""
    if link_map.federation_id != directory.federation_id:
        raise DirectoryError(ReasonCode.DIRECTORY_CONFLICT, "link map of another federation")
    listed = {node.node_id for node in directory.nodes}
    unknown = sorted(link_map.node_ids() - listed)
    if unknown:
        raise DecodeError(ReasonCode.MALFORMED, f"nodes not in the directory: {unknown[:5]}")
    if not HOPS_MAX_MIN <= link_map.hops_max <= HOPS_MAX_LIMIT:
        raise DirectoryError(
            ReasonCode.POLICY_OUT_OF_BOUNDS,
            f"hops_max {link_map.hops_max} outside {HOPS_MAX_MIN}..{HOPS_MAX_LIMIT}",
        )
    cap_max = directory.policy.net_debit_cap_per_partner_minutes_max
    for link in link_map.links:
        if max(link.a_cap_minutes, link.b_cap_minutes) > cap_max:
            raise DirectoryError(
                ReasonCode.POLICY_OUT_OF_BOUNDS, f"link {link.a}-{link.b}: cap above policy"
            )


def accept_links(obj: object, *, directory: Directory, current: LinkMap | None) -> LinkMap:
    """Verify a link map against the held `directory` and decide whether it replaces `current`.

    The authority key must be one the held directory lists, valid at the map's `issued_at_ms`:
    the directory is the trust root, so no anchor is consulted. Returns the map to hold from now
    on (`current` itself for an identical repeat).
    """
    link_map = decode_links(obj)
    check_links(link_map, directory)
    key = authority_key(link_map, anchors=(), held_keys=directory.authority_keys)
    verify_authority(obj, link_map, key)
    return held_after(link_map, current)


def sign_links(
    body: Mapping[str, Any],
    *,
    authority: SigningKey,
    directory: Directory,
    serial: int,
    issued_at_ms: int,
) -> dict[str, Any]:
    """Complete `body` (`hops_max`, `links`) into a link map of `directory`'s federation, sign
    it, and refuse what no node holding `directory` would accept."""
    unsigned = {k: v for k, v in body.items() if k not in UNSIGNED_MEMBERS}
    unsigned.update(
        standard=STANDARD,
        kind="links",
        federation_id=directory.federation_id,
        serial=serial,
        issued_at_ms=issued_at_ms,
    )
    signed = sign_object(unsigned, signer=directory.federation_id, key=authority)
    accept_links(signed, directory=directory, current=None)
    return signed
