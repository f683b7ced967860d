"""A format-2 certificate: the honour level, qualifications and ratings beside the service
(node/certificates/record.py); a format-1 certificate still verifies; a paid visit's
correction counts as posted."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from node.certificates.document import MEMBERS, RECORD_MEMBERS
from node.certificates.service import for_node
from node.certificates.verify import CertificateInvalid, verify_certificate
from node.clock import FakeClock
from node.reports.evidence import load_directory
from node.runtime import Node
from node.timebank.qualifications import Qualification
from node.timebank.slips import Slip
from protocol.canonical import canonical_bytes
from protocol.signing import sign_object
from tests.factories import grant
from tests.node.certificates.support import ELDER, VOLUNTEER, settled_visits, volunteer
from tests.node.timebank.conftest import STAFF, member, people
from tests.support import build_node, directory_document, make_config, node_key

NURSE = Qualification(kind="health_care", title="养老护理员", issuer="南京市人社局",
                      valid_from="2026-01-01", valid_until=None, evidence_ref="NJ-1")
HONOURS = {"honours": {"levels": [{"stars": 1, "name": "一星志愿者", "hours": 1},
                                  {"stars": 2, "name": "二星志愿者", "hours": 2}]}}


@pytest.fixture
def policy_node(tmp_path: Path, clock: FakeClock) -> Iterator[Callable[..., Node]]:
    """A node running the given policy document (None: the default)."""
    opened: list[Node] = []

    def factory(policy: dict[str, Any] | None = None) -> Node:
        config = make_config(tmp_path / "node", "sh-pudong")
        if policy is not None:
            (tmp_path / "node").mkdir(parents=True, exist_ok=True)
            (tmp_path / "node" / "policy.json").write_text(json.dumps(policy), encoding="utf-8")
            config = config.model_copy(update={"policy_file": "policy.json"})
        opened.append(build_node(config, clock, bootstrap=True))
        return opened[-1]

    yield factory
    for node in opened:
        node.close()


def _verify(tmp_path: Path, document: dict[str, Any]) -> list[str]:
    path = tmp_path / "c.json"
    path.write_bytes(canonical_bytes(document))
    try:
        verify_certificate(path, directory=load_directory(directory_document(["sh-pudong"])))
    except CertificateInvalid as invalid:
        return invalid.problems
    return []


def test_the_record_is_certified_signed_and_verified(policy_node: Callable[..., Node],
                                                     clock: FakeClock, tmp_path: Path) -> None:
    node = policy_node(policy=HONOURS)
    settled_visits(node, clock, ("r1", "daily_living", 45), ("r2", "health", 30))
    grant(node, ELDER, 5)
    node.timebank.qualifications.record(STAFF, VOLUNTEER, qualification_id="q1",
                                        qualification=NURSE)
    node.timebank.corrections.record(STAFF, "r1", correction_id="c1", slip=Slip(
        reference="s1", reason="slip found", duration_minutes=50))
    node.timebank.corrections.confirm(member(ELDER), "c1")
    clock.advance(60_000)
    document = for_node(node).issue(volunteer(), VOLUNTEER, from_ms=0, to_ms=None)["document"]
    assert sorted(document) == sorted(MEMBERS + RECORD_MEMBERS)
    assert document["total_minutes"] == 80  # 50 as corrected + 30
    assert document["honour"] == {"stars": 1, "name": "一星志愿者", "hours": 1}
    assert document["qualifications"] == [{"kind": "health_care", "title": "养老护理员",
                                           "issuer": "南京市人社局", "valid_from": "2026-01-01",
                                           "valid_until": None}]
    assert document["evaluations"] == {"rated_visits": 2, "average_rating_tenths": 50}
    assert _verify(tmp_path, document) == []
    key = node_key("sh-pudong")
    unsigned = {k: v for k, v in document.items() if k != "signatures"}
    old_format = {k: v for k, v in unsigned.items() if k not in RECORD_MEMBERS}
    assert _verify(tmp_path, sign_object(old_format, signer="sh-pudong", key=key)) == []
    broken = sign_object({**unsigned, "honour": {"stars": "five"}}, signer="sh-pudong", key=key)
    assert _verify(tmp_path, broken) == ["honour must be null or stars, name and hours"]


@pytest.mark.parametrize("policy", [None, HONOURS])
def test_no_level_no_ratings_read_as_null(policy_node: Callable[..., Node], clock: FakeClock,
                                          policy: dict[str, Any] | None) -> None:
    node = policy_node(policy=policy)
    people(node, (VOLUNTEER, 1990))
    clock.advance(60_000)
    document = for_node(node).issue(volunteer(), VOLUNTEER, from_ms=0, to_ms=None)["document"]
    assert (document["honour"], document["qualifications"], document["evaluations"]) == (
        None, [], None)
