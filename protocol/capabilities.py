"""What a node announces about its version, and how two nodes agree on a feature (§16.2).

A node publishes a signed `node_info` document (GET /federation/v1/info): the standard revision
it follows, its software version, and its **capabilities**, the named features beyond the
revision's baseline it can speak. A feature that changes what crosses a link is used on that
link only when both nodes announce it: `shared_capabilities` is the whole negotiation. A node
that publishes no `node_info` (one older than the document, which answers 404) announces
nothing, so only the baseline is used with it.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import Field, StrictStr, ValidationError, model_validator

from protocol.directory import Directory
from protocol.envelope import verify_evidence
from protocol.errors import AuthError, DecodeError
from protocol.fields import Model, NodeId, Signatures, TimeMs
from protocol.reasons import ReasonCode

NODE_INFO_KIND = "node_info"
# The capabilities the standard defines (§16.2), each in the section of its feature.
TRANSFER_HUBS = "transfer.hubs"  # takes and forwards legs of routed transfers (§22.4)
CAPABILITIES_MAX = 64
CAPABILITY_CHARS_MAX = 64
SOFTWARE_CHARS_MAX = 64
# Dotted lowercase names, e.g. `exchange.in_flight`: the part before the first dot names the
# section of the standard the feature belongs to.
CAPABILITY_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)+$"
REVISION_PATTERN = r"^[1-9][0-9]{0,3}\.[0-9]{1,4}$"
SOFTWARE_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._+ -]*$"

Capability = Annotated[StrictStr, Field(max_length=CAPABILITY_CHARS_MAX,
                                        pattern=CAPABILITY_PATTERN)]


class NodeInfo(Model):
    """schemas/node_info.schema.json"""

    standard: Literal["hourbridge/1"]
    kind: Literal["node_info"]
    node_id: NodeId
    issued_at_ms: TimeMs
    standard_revision: Annotated[StrictStr, Field(pattern=REVISION_PATTERN)]
    software: Annotated[StrictStr, Field(min_length=1, max_length=SOFTWARE_CHARS_MAX,
                                         pattern=SOFTWARE_PATTERN)]
    capabilities: list[Capability] = Field(max_length=CAPABILITIES_MAX)
    signatures: Signatures

    @model_validator(mode="after")
    def _check(self) -> NodeInfo:
        if self.capabilities != sorted(set(self.capabilities)):
            raise ValueError("capabilities must be unique and sorted")
        return self


def decode_node_info(obj: object) -> NodeInfo:
    """The document's members, checked (the caller verifies the signature against the
    directory's keys for `node_id`, as for any evidence, §5.2)."""
    try:
        return NodeInfo.model_validate(obj)
    except ValidationError as exc:
        raise DecodeError(ReasonCode.MALFORMED, str(exc)) from exc


def admit_node_info(document: dict[str, Any], *, directory: Directory,
                    node_id: str) -> NodeInfo:
    """A peer's node_info as fetched from its base URL: signed by `node_id` with a key the
    directory lists valid at `issued_at_ms` (§5.4 steps 2-6), with exactly its members, about
    `node_id` itself. Raises the ProtocolError naming what failed; the caller then treats the
    peer as announcing nothing (§16.2)."""
    verify_evidence(document, directory=directory, time_member="issued_at_ms", signer=node_id)
    info = decode_node_info(document)
    if info.node_id != node_id:
        raise AuthError(ReasonCode.SENDER_MISMATCH, f"node_info of {info.node_id}, not {node_id}")
    return info


def shared_capabilities(ours: frozenset[str], theirs: NodeInfo | None) -> frozenset[str]:
    """The features usable on a link: those both ends announce. `theirs` is None when the peer
    publishes no node_info (a node older than the document): then nothing beyond the
    baseline."""
    if theirs is None:
        return frozenset()
    return ours & frozenset(theirs.capabilities)
