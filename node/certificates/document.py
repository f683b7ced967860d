"""The certificate document: a signed document of the standard (`standard`, `issued_at_ms`, the
node's signature: docs/standard.md §5), signed with the node's key by `sign_object` like an
import receipt or a report, and written as its canonical (RFC 8785) bytes.

It holds the volunteer's display name because he asks for it to show it; the node never keeps
the document, only its SHA-256 and its figures (service.py).

Format 2 (issue 14, item 7) adds the record the 2021 volunteer-record rules list beside the
service: `honour` (the policy's honour level his whole service reached, or null), his
`qualifications` (kind, title, issuer, validity) and `evaluations` (how many paid visits were
rated and their average in tenths, or null when none was). A format-1 certificate, without
them, still verifies (verify.py).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from protocol.canonical import canonical_bytes
from protocol.signing import SigningKey, sign_object
from protocol.version import STANDARD

CERTIFICATE_KIND = "volunteer.certificate"
CERTIFICATE_BYTES_MAX = 64 * 1024
MEMBERS = ("standard", "kind", "certificate_id", "node_id", "node_name", "member",
           "display_name", "period", "total_minutes", "hours", "minutes", "visits",
           "by_category", "issued_at_ms", "signatures")
RECORD_MEMBERS = ("honour", "qualifications", "evaluations")  # format 2
HONOUR_MEMBERS = ("stars", "name", "hours")
QUALIFICATION_MEMBERS = ("kind", "title", "issuer", "valid_from", "valid_until")
EVALUATION_MEMBERS = ("rated_visits", "average_rating_tenths")
PERIOD_MEMBERS = ("from_ms", "to_ms")
CATEGORY_MEMBERS = ("visits", "minutes")
MINUTES_PER_HOUR = 60


@dataclass(frozen=True)
class Service:
    """What a volunteer did in the period: settled visits and earned minutes, by category."""

    by_category: dict[str, tuple[int, int]]  # category -> (visits, minutes)

    @property
    def visits(self) -> int:
        return sum(visits for visits, _ in self.by_category.values())

    @property
    def minutes(self) -> int:
        return sum(minutes for _, minutes in self.by_category.values())


@dataclass(frozen=True)
class Record:
    """The rest of his volunteer record (format 2): honour level, qualifications, ratings."""

    honour: dict[str, Any] | None = None  # HONOUR_MEMBERS
    qualifications: tuple[dict[str, Any], ...] = ()  # QUALIFICATION_MEMBERS each
    evaluations: dict[str, int] | None = None  # EVALUATION_MEMBERS


@dataclass(frozen=True)
class Subject:
    certificate_id: str
    node_id: str
    node_name: str | None  # the node's name in the directory, when the node holds one
    member: str  # local_id@node
    display_name: str
    from_ms: int
    to_ms: int


def build(subject: Subject, service: Service, *, issued_at_ms: int, key: SigningKey,
          record: Record | None = None) -> dict[str, Any]:
    """The signed certificate."""
    document: dict[str, Any] = {
        "standard": STANDARD, "kind": CERTIFICATE_KIND,
        "certificate_id": subject.certificate_id, "node_id": subject.node_id,
        "node_name": subject.node_name, "member": subject.member,
        "display_name": subject.display_name,
        "period": {"from_ms": subject.from_ms, "to_ms": subject.to_ms},
        "total_minutes": service.minutes, "hours": service.minutes // MINUTES_PER_HOUR,
        "minutes": service.minutes % MINUTES_PER_HOUR, "visits": service.visits,
        "by_category": {name: {"visits": visits, "minutes": minutes}
                        for name, (visits, minutes) in sorted(service.by_category.items())},
        "issued_at_ms": issued_at_ms,
    }
    if record is not None:
        document |= {"honour": record.honour, "qualifications": list(record.qualifications),
                     "evaluations": record.evaluations}
    return sign_object(document, signer=subject.node_id, key=key)


def sha256_hex(document: dict[str, Any]) -> str:
    """The SHA-256 of the document's canonical bytes: what the node keeps."""
    return hashlib.sha256(canonical_bytes(document)).hexdigest()
