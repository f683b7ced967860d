"""For tests/integration/test_conformance_kit.py: what an operator prepares so that the kit can
drive the refusals a peer cannot provoke alone (node/conformance/fixtures.py).

In the authority's draft, before it is signed: a second key of the kit whose window has ended,
and two more nodes, one suspended and one retired (`directory suspend` / `retire` would do the
same one command at a time; the draft is edited here to spare the test a process per node). At
the target, through its admin API: a deactivated member. Then the fixtures file naming them.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from protocol.directory import KeyRecord
from protocol.signing import SigningKey

KIT_OLD_KEY_FROM_MS, KIT_OLD_KEY_UNTIL_MS = 1_000, 2_000  # a window that ended long ago
SUSPENDED, RETIRED = "ck-suspended", "ck-retired"
GONE = "gone-member"  # deactivated at the target: may not receive
NEW_HOME, MOVER = "sh-minhang", "mover"  # a member of the target moves to NEW_HOME
RELOCATION_WAIT_S = 10.0
FIXTURES_FILE = "fixtures.json"


def _new_key(path: Path) -> SigningKey:
    private = Ed25519PrivateKey.generate()
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return SigningKey.from_private_key(private)


def _record(key: SigningKey, **window: int) -> dict[str, Any]:
    return KeyRecord.for_key(key.verify_key(), **window).model_dump(mode="json")


def prepare_directory(authority: Path, kit_id: str, folder: Path) -> None:
    """Edit the unsigned draft: the kit's closed key, a suspended and a retired node; write
    their keys into `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    draft_path = authority / "draft.json"
    draft = json.loads(draft_path.read_text())
    kit = next(node for node in draft["nodes"] if node["node_id"] == kit_id)
    old = _new_key(folder / "kit-old.pem")
    kit["keys"].append(_record(old, valid_from_ms=KIT_OLD_KEY_FROM_MS,
                               valid_until_ms=KIT_OLD_KEY_UNTIL_MS))
    for node_id, status in ((SUSPENDED, "suspended"), (RETIRED, "retired")):
        key = _new_key(folder / f"{node_id}.pem")
        draft["nodes"].append(kit | {"node_id": node_id, "name": node_id, "status": status,
                                     "keys": [_record(key, valid_from_ms=KIT_OLD_KEY_FROM_MS)]})
    draft["nodes"].sort(key=lambda node: node["node_id"])
    draft_path.write_text(json.dumps(draft))


def write_fixtures(folder: Path) -> Path:
    """The fixtures file the kit is given (--fixtures), naming what prepare_directory,
    member_who_may_not_receive and member_who_moved made."""
    path = folder / FIXTURES_FILE
    path.write_text(json.dumps({
        "closed_key": "kit-old.pem",
        "suspended_node": {"node_id": SUSPENDED, "key": f"{SUSPENDED}.pem"},
        "retired_node": {"node_id": RETIRED, "key": f"{RETIRED}.pem"},
        "cannot_receive_member": GONE,
        "relocated_member": MOVER, "relocated_to": f"{MOVER}@{NEW_HOME}",
    }))
    return path


def member_who_moved(http: httpx.Client) -> None:
    """The target's operator moves MOVER (seeded) to NEW_HOME, through the admin API, and waits
    until NEW_HOME's receipt committed it."""
    made = http.post(f"/api/v1/members/{MOVER}/relocation", json={
        "id": "conformance-move", "to_node": NEW_HOME, "new_local_id": MOVER})
    assert made.status_code == 201, made.text
    deadline = time.monotonic() + RELOCATION_WAIT_S
    while (state := http.get("/api/v1/relocations/conformance-move").json()["state"]) \
            == "pending" and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state == "committed", state


def member_who_may_not_receive(http: httpx.Client) -> None:
    """The target's operator registers GONE and deactivates her, through the admin API."""
    made = http.post("/api/v1/members", json={"local_id": GONE, "display_name": GONE})
    assert made.status_code == 201, made.text
    gone = http.post(f"/api/v1/members/{GONE}/deactivate", json={"reason": "conformance kit"})
    assert gone.status_code == 200, gone.text
