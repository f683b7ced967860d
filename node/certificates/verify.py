"""`hourbridge verify-certificate`: check a volunteer-service certificate offline, with the
federation directory alone.

 1. the file is a JSON object of at most CERTIFICATE_BYTES_MAX bytes, of kind
    `volunteer.certificate`, with exactly the members of document.py (any JSON encoding: the
    signature covers the content, so a pretty-printed copy still verifies);
 2. its figures agree with each other: hours and minutes make the total, the categories add up
    to the visits and the total, the period runs forwards and ends before it was issued;
 3. it is signed by the node it names, with a key the directory lists valid at `issued_at_ms`
    (docs/standard.md §5.2). A node keeps its old keys in the directory, so a certificate stays
    verifiable after the volunteer moved to another node, and after the node rotated its key.

Every problem found is reported, not only the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from node.certificates.document import (
    CATEGORY_MEMBERS,
    CERTIFICATE_BYTES_MAX,
    CERTIFICATE_KIND,
    MEMBERS,
    MINUTES_PER_HOUR,
    PERIOD_MEMBERS,
    RECORD_MEMBERS,
    sha256_hex,
)
from node.certificates.record import problems as record_problems
from node.errors import ErrorCode, FixedCodeError
from protocol.directory import Directory
from protocol.envelope import verify_evidence
from protocol.errors import ProtocolError
from protocol.wire import parse_object


class CertificateInvalid(FixedCodeError):
    """A certificate that does not verify; `problems` names every reason."""

    CODE = ErrorCode.CERTIFICATE_INVALID

    def __init__(self, path: Path, problems: list[str]) -> None:
        super().__init__(f"{path}: " + "; ".join(problems))
        self.path = path
        self.problems = problems


@dataclass(frozen=True)
class Verified:
    certificate: dict[str, Any]
    sha256: str
    summary: str


def _load(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise CertificateInvalid(path, ["no such file"])
    try:
        document = parse_object(path.read_bytes(), bytes_max=CERTIFICATE_BYTES_MAX)
    except ProtocolError as exc:
        raise CertificateInvalid(path, [f"not a certificate: {exc}"]) from exc
    if document.get("kind") != CERTIFICATE_KIND:
        raise CertificateInvalid(
            path, [f"not a volunteer-service certificate (kind {document.get('kind')!r})"])
    return document


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _categories(document: dict[str, Any]) -> list[str]:
    groups = document.get("by_category")
    if not isinstance(groups, dict) or not all(
            isinstance(g, dict) and sorted(g) == sorted(CATEGORY_MEMBERS)
            and all(_whole(g[name]) for name in CATEGORY_MEMBERS) for g in groups.values()):
        return ["by_category must map each category to whole numbers of visits and minutes"]
    problems = []
    if sum(g["visits"] for g in groups.values()) != document.get("visits"):
        problems.append("the visits by category do not add up to the visits")
    if sum(g["minutes"] for g in groups.values()) != document.get("total_minutes"):
        problems.append("the minutes by category do not add up to the total")
    return problems


def _shape(document: dict[str, Any]) -> list[str]:
    if sorted(document) not in (sorted(MEMBERS), sorted(MEMBERS + RECORD_MEMBERS)):
        return [f"the certificate must have exactly the members {', '.join(MEMBERS)} "
                f"(format 2 also {', '.join(RECORD_MEMBERS)})"]
    numbers = ("total_minutes", "hours", "minutes", "visits", "issued_at_ms")
    period = document["period"]
    if not all(_whole(document[name]) for name in numbers) or not isinstance(period, dict) \
            or sorted(period) != sorted(PERIOD_MEMBERS) \
            or not all(_whole(period[name]) for name in PERIOD_MEMBERS):
        return [f"{', '.join(numbers)} and the period's from_ms and to_ms must be whole numbers"]
    problems = _categories(document) + record_problems(document)
    if document["hours"] * MINUTES_PER_HOUR + document["minutes"] != document["total_minutes"] \
            or document["minutes"] >= MINUTES_PER_HOUR:
        problems.append("hours and minutes do not make the total minutes")
    if not period["from_ms"] < period["to_ms"] <= document["issued_at_ms"]:
        problems.append("the period must run forwards and end before the certificate was issued")
    return problems


def verify_certificate(path: Path, *, directory: Directory) -> Verified:
    """Raise CertificateInvalid naming every problem, or return what was verified."""
    document = _load(path)
    problems = _shape(document)
    signer = document.get("node_id")
    member = str(document.get("member"))
    if not member.endswith(f"@{signer}"):
        problems.append(f"the member {member} is not a member of the issuing node {signer}")
    try:
        verify_evidence(document, directory=directory, time_member="issued_at_ms",
                        signer=str(signer))
    except ProtocolError as exc:
        problems.append(f"signature by {signer}: {exc.code.value}: {exc.detail}")
    if problems:
        raise CertificateInvalid(path, problems)
    summary = (f"volunteer-service certificate {document['certificate_id']} signed by {signer}: "
               f"{member}, {document['hours']} h {document['minutes']} min in "
               f"{document['visits']} visits")
    return Verified(document, sha256_hex(document), summary)
