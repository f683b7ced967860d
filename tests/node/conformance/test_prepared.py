"""The refusals that need the operator's fixtures (node/conformance/prepared.py), against the
reference node in process: each passes when the target refuses with the standard's code, fails
when it does not, and is "not run" without its fixture."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from fastapi.testclient import TestClient

from node.api.app import create_app
from node.clock import FakeClock
from node.conformance.fixtures import load_fixtures
from node.conformance.kit import run
from node.conformance.peer import KitError
from node.conformance.results import Report, Status
from protocol.directory import KeyRecord, sign_directory
from tests.factories import ADMIN, add_members
from tests.node.conformance import KIT, MEMBER, TARGET
from tests.node.conformance.conftest import KitTarget, write_kit_files
from tests.support import AUTHORITY, directory_document, node_key

SUSPENDED, RETIRED, KIT_OLD = "ck-suspended", "ck-retired", "ck-kit-old"
GONE = "gone"


def _pem(path: Path, node_id: str) -> str:
    path.write_bytes(node_key(node_id).private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    return path.name


def _directory() -> dict[str, Any]:
    """The kit with a second key whose window ended; a suspended and a retired node."""
    signed = directory_document([KIT, TARGET, SUSPENDED, RETIRED], caps={KIT: 1_000},
                                status={SUSPENDED: "suspended", RETIRED: "retired"})
    body = {k: signed[k] for k in ("federation_id", "authority_keys", "policy", "nodes")}
    kit = next(node for node in body["nodes"] if node["node_id"] == KIT)
    kit["keys"].append(KeyRecord.for_key(node_key(KIT_OLD).verify_key(), valid_from_ms=1,
                                         valid_until_ms=2).model_dump(mode="json"))
    return sign_directory(body, authority=AUTHORITY, serial=signed["serial"],
                          issued_at_ms=signed["issued_at_ms"])


@pytest.fixture
def prepared(make_node, clock: FakeClock, tmp_path: Path) -> KitTarget:  # type: ignore[no-untyped-def]
    node = make_node(TARGET)
    config = write_kit_files(tmp_path / "kit")
    config.directory.write_text(json.dumps(_directory()))
    node.federation.accept(json.loads(config.directory.read_text()))
    add_members(node, MEMBER, GONE)
    node.members.deactivate(ADMIN, GONE, reason="conformance kit")
    return KitTarget(node, clock, TestClient(create_app(node), raise_server_exceptions=False),
                     config)


def _fixtures(folder: Path, **members: Any) -> Path:
    path = folder / "fixtures.json"
    path.write_text(json.dumps({
        "closed_key": _pem(folder / "old.pem", KIT_OLD),
        "suspended_node": {"node_id": SUSPENDED, "key": _pem(folder / "s.pem", SUSPENDED)},
        "retired_node": {"node_id": RETIRED, "key": _pem(folder / "r.pem", RETIRED)},
        "cannot_receive_member": GONE} | members))
    return path


def _run(target: KitTarget, fixtures: Path | None) -> dict[str, tuple[Status, str]]:
    config = dataclasses.replace(target.config, fixtures=fixtures)
    report: Report = run(config, http=target.client, now_ms=target.clock.now_ms)
    return {c.scenario: (c.status, c.detail) for c in report.checks}


def test_each_prepared_refusal_passes_with_its_fixture(prepared: KitTarget) -> None:
    checks = _run(prepared, _fixtures(prepared.config.key_path.parent))
    for scenario in ("signed with a key of the sender not valid at the signing time",
                     "the sender is suspended in the directory",
                     "the sender is retired in the directory",
                     "a creditor who may not receive"):
        assert checks[scenario][0] is Status.PASS, checks[scenario]
    assert checks["a creditor at her balance cap"] == (
        Status.NOT_RUN, "give `balance_cap_member` in --fixtures: a member at her balance cap, "
        "so that one more minute passes it")
    assert [s for s, (status, _) in checks.items() if status is Status.FAIL] == []


def test_a_target_that_takes_what_it_should_refuse_fails_the_row(prepared: KitTarget) -> None:
    # MEMBER may receive and is under any cap: the reference node commits; the row fails, and
    # the kit books the receipt, so the settlement windows still match.
    checks = _run(prepared, _fixtures(prepared.config.key_path.parent,
                                      balance_cap_member=MEMBER, relocated_member=MEMBER))
    assert checks["a creditor at her balance cap"][0] is Status.FAIL
    assert "transfer.receipt" in checks["a creditor at her balance cap"][1]
    relocated = "a member of the target moved away; a prepare to her old address: " \
        "creditor_relocated"
    assert checks[relocated][0] is Status.FAIL
    assert checks["window 1: co-signed (matched)"][0] is Status.PASS


def test_without_fixtures_the_rows_are_not_run(kit_target: KitTarget) -> None:
    checks = _run(kit_target, None)
    assert checks["the sender is retired in the directory"] == (
        Status.NOT_RUN, "give `retired_node` in --fixtures: a node the directory lists as "
        "retired, and its key")
    assert checks["rate_limited"][0] is Status.NOT_RUN


def test_a_fixture_the_directory_does_not_back_is_not_run(kit_target: KitTarget) -> None:
    # the standard directory lists neither the old key nor the other nodes
    checks = _run(kit_target, _fixtures(kit_target.config.key_path.parent))
    assert checks["signed with a key of the sender not valid at the signing time"][0] \
        is Status.NOT_RUN
    assert checks["the sender is suspended in the directory"][0] is Status.NOT_RUN


@pytest.mark.parametrize("document, message", [
    ({"closed_keys": "x.pem"}, "unknown members"),
    ({"suspended_node": {"node_id": "a"}}, "must be"),
    ({"relocated_member": ""}, "non-empty"),
    ([], "JSON object"),
])
def test_bad_fixtures_stop_the_kit_before_it_begins(tmp_path: Path, document: Any,
                                                    message: str) -> None:
    path = tmp_path / "fixtures.json"
    path.write_text(json.dumps(document))
    with pytest.raises(KitError, match=message):
        load_fixtures(path)
