"""What a node publishes: its keys and its checkpoints are standard documents that anyone can
verify, even with a tool that is not part of HourBridge (the openssl command)."""

from __future__ import annotations

import base64
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from node.version import CAPABILITIES, NODE_VERSION
from protocol.capabilities import decode_node_info
from protocol.signing import VerifyKey, b64url_decode, signing_bytes, verify_object
from protocol.version import STANDARD_REVISION
from tests.node.api.support import World, assert_problem, writes_nothing
from tests.schemas.conftest import load_schemas
from tests.support import START_MS

ED25519_SPKI_PREFIX = bytes.fromhex("302a300506032b6570032100")


def validate(name: str, instance: Any) -> None:
    schemas = load_schemas()
    registry: Registry[Any] = Registry().with_resources(
        (schema["$id"], Resource.from_contents(schema)) for schema in schemas.values()
    )
    Draft202012Validator(schemas[name], registry=registry).validate(instance)


def openssl_verifies(document: dict[str, Any], *, signer: str, public_key: str,
                     folder: Path) -> bool:
    """Verify with `openssl pkeyutl` from the signed bytes, the signature and the raw key only."""
    ((_key_id, signature),) = document["signatures"][signer].items()
    der = ED25519_SPKI_PREFIX + b64url_decode(public_key)
    pem = b"-----BEGIN PUBLIC KEY-----\n" + base64.encodebytes(der) + b"-----END PUBLIC KEY-----\n"
    (folder / "pub.pem").write_bytes(pem)
    (folder / "msg.bin").write_bytes(signing_bytes(document))
    (folder / "sig.bin").write_bytes(b64url_decode(signature))
    result = subprocess.run(
        ["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", "pub.pem", "-rawin",
         "-in", "msg.bin", "-sigfile", "sig.bin"],
        cwd=folder, capture_output=True, text=True, timeout=30,
    )
    return result.returncode == 0


needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")


def test_keys_document_is_signed_by_the_node_and_matches_its_schema(world: World) -> None:
    response = world.api.client.get("/federation/v1/keys")
    assert response.status_code == 200
    document = response.json()
    validate("node_keys.schema.json", document)
    assert document["node_id"] == "sh-pudong"
    (record,) = document["keys"]
    key = VerifyKey.from_b64(record["key_id"], record["public_key"])
    verify_object(document, signer="sh-pudong", key=key)


@needs_openssl
def test_a_node_signed_checkpoint_verifies_with_openssl(world: World, tmp_path: Path) -> None:
    checkpoint = world.api.client.get(
        "/api/v1/ledger/checkpoints/latest", headers=world.headers["admin"]
    ).json()
    validate("checkpoint.schema.json", checkpoint)
    keys = world.api.client.get("/federation/v1/keys").json()["keys"]
    assert openssl_verifies(checkpoint, signer="sh-pudong", public_key=keys[0]["public_key"],
                            folder=tmp_path)
    checkpoint["totals"][0]["balance_minutes"] += 1
    assert not openssl_verifies(checkpoint, signer="sh-pudong",
                                public_key=keys[0]["public_key"], folder=tmp_path)


def test_directory_is_served_as_the_authority_signed_it(world: World) -> None:
    held = world.api.node.federation.require_current()
    response = world.api.client.get("/federation/v1/directory")
    assert response.status_code == 200
    assert response.json() == held.to_json()
    validate("directory.schema.json", response.json())


def test_directory_refresh_with_a_missing_source_keeps_the_directory_and_says_why(
    world: World,
) -> None:
    node = world.node
    node.config = node.config.model_copy(
        update={"directory_source": str(node.config.data_path / "gone.json")})
    with writes_nothing(node):
        reply = world.call("POST", "/api/v1/federation/directory/refresh", "admin")
    assert "not found" in assert_problem(reply, 422, "config_invalid")["detail"]
    assert node.federation.require_current().serial == 1


def test_directory_refresh_without_a_source_answers_the_directory_in_force(
    world: World,
) -> None:
    reply = world.call("POST", "/api/v1/federation/directory/refresh", "admin")
    assert reply.status_code == 200, reply.text
    assert reply.json() == {"federation_id": "cn-test", "serial": 1, "issued_at_ms": START_MS,
                            "changed": False,
                            "statuses": {"nj-gulou": "active", "sh-pudong": "active"}}


def test_node_info_names_release_revision_and_capabilities_signed(world: World) -> None:
    response = world.api.client.get("/federation/v1/info")
    assert response.status_code == 200
    document = response.json()
    validate("node_info.schema.json", document)
    info = decode_node_info(document)
    assert (info.node_id, info.standard_revision) == ("sh-pudong", STANDARD_REVISION)
    assert info.software == f"hourbridge {NODE_VERSION}"
    assert info.capabilities == sorted(CAPABILITIES) == ["transfer.hubs"]
    keys = world.api.client.get("/federation/v1/keys").json()["keys"]
    verify_object(document, signer="sh-pudong",
                  key=VerifyKey.from_b64(keys[0]["key_id"], keys[0]["public_key"]))


def test_every_answer_names_the_release_and_healthz_too(world: World) -> None:
    health = world.api.client.get("/healthz")
    assert health.json() | {"details": {}} == {
        "status": "ok", "node_id": "sh-pudong", "version": NODE_VERSION,
        "standard": "hourbridge/1", "standard_revision": STANDARD_REVISION, "details": {}}
    expected = f"{NODE_VERSION}; standard={STANDARD_REVISION}"
    assert health.headers["HourBridge-Version"] == expected
    refused = world.api.client.get("/api/v1/members")  # no token: a problem, still named
    assert refused.status_code == 401
    assert refused.headers["HourBridge-Version"] == expected
