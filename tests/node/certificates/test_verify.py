"""A certificate verified offline with the directory alone (`hourbridge verify-certificate`):
as issued, pretty-printed, tampered, forged, and after the volunteer moved to another node."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from node.certificates.verify import CertificateInvalid, verify_certificate
from node.cli.main import app
from node.clock import FakeClock
from node.reports.evidence import load_directory
from node.runtime import Node
from protocol.canonical import canonical_bytes
from protocol.signing import sign_object
from tests.node.certificates.support import VOLUNTEER, service, settled_visits, volunteer
from tests.node.cli.directory_support import CLEAN_ENV
from tests.support import START_MS, directory_document, node_key

MOVED_TO = "nj-gulou"  # the node the volunteer relocates to


@pytest.fixture
def issued(sqlite_node: Node, clock: FakeClock, tmp_path: Path) -> tuple[Path, dict[str, Any]]:
    settled_visits(sqlite_node, clock, ("r1", "daily_living", 45), ("r2", "health", 30))
    clock.advance(60_000)
    document = service(sqlite_node).issue(volunteer(), VOLUNTEER, from_ms=START_MS,
                                          to_ms=None)["document"]
    path = tmp_path / "certificate.json"
    path.write_bytes(canonical_bytes(document))
    return path, document


def _directory_file(tmp_path: Path, node_ids: list[str], **extra: Any) -> Path:
    path = tmp_path / "directory.json"
    path.write_text(json.dumps(directory_document(node_ids, **extra)), encoding="utf-8")
    return path


def run(*args: object) -> Result:
    return CliRunner().invoke(app, [str(a) for a in args], env=CLEAN_ENV)


def _problems(path: Path, node_ids: list[str], **extra: Any) -> list[str]:
    with pytest.raises(CertificateInvalid) as invalid:
        verify_certificate(path, directory=load_directory(directory_document(node_ids, **extra)))
    return invalid.value.problems


def test_the_certificate_verifies_as_issued_and_pretty_printed(
        issued: tuple[Path, dict[str, Any]], tmp_path: Path) -> None:
    path, document = issued
    directory = _directory_file(tmp_path, ["sh-pudong"])
    ok = run("verify-certificate", path, "--directory", directory)
    assert ok.exit_code == 0, ok.output
    assert ok.stdout.startswith("verified: volunteer-service certificate cert-")
    assert "vol@sh-pudong, 1 h 15 min in 2 visits" in ok.stdout
    path.write_text(json.dumps(document, indent=2, ensure_ascii=False), encoding="utf-8")
    assert run("verify-certificate", path, "--directory", directory).exit_code == 0


@pytest.mark.parametrize(("member", "value", "reason"), [
    ("total_minutes", 4575, "bad_signature"),
    ("display_name", "Someone Else", "bad_signature"),
    ("hours", 2, "hours and minutes do not make the total minutes"),
    ("visits", 3, "the visits by category do not add up to the visits"),
])
def test_a_tampered_field_is_named_and_exits_1(issued: tuple[Path, dict[str, Any]],
                                               tmp_path: Path, member: str, value: Any,
                                               reason: str) -> None:
    path, document = issued
    path.write_bytes(canonical_bytes({**document, member: value}))
    refused = run("verify-certificate", path, "--directory",
                  _directory_file(tmp_path, ["sh-pudong"]))
    assert refused.exit_code == 1 and "NOT VERIFIED" in refused.output
    assert reason in refused.output


def test_a_certificate_signed_by_another_key_is_refused(
        issued: tuple[Path, dict[str, Any]]) -> None:
    path, document = issued
    unsigned = {k: v for k, v in document.items() if k != "signatures"}
    forged = sign_object(unsigned, signer="sh-pudong", key=node_key(MOVED_TO))
    path.write_bytes(canonical_bytes(forged))
    assert any("unknown_key" in p or "bad_signature" in p
               for p in _problems(path, ["sh-pudong", MOVED_TO]))


def test_a_node_missing_from_the_directory_is_named(
        issued: tuple[Path, dict[str, Any]]) -> None:
    path, _ = issued
    assert any("unknown_sender" in p for p in _problems(path, [MOVED_TO]))


def test_it_still_verifies_after_the_volunteer_moved(
        issued: tuple[Path, dict[str, Any]], clock: FakeClock) -> None:
    """A later directory (the volunteer now at nj-gulou, the old node retired) keeps the old
    node's key, valid when it signed: the certificate still verifies there."""
    path, document = issued
    later = directory_document(["sh-pudong", MOVED_TO], serial=2,
                               issued_at_ms=clock.now_ms() + 86_400_000,
                               status={"sh-pudong": "retired"})
    verified = verify_certificate(path, directory=load_directory(later))
    assert verified.certificate == document
