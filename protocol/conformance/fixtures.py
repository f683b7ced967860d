"""Fixed keys, a fixed directory and one sample of every message type.

Everything here is a deterministic function of its names, so the vectors built from it are
byte-identical on every run and every machine. The seeds are public: never use them for real.
"""

from __future__ import annotations

import hashlib
from typing import Any

from protocol.directory import Directory, KeyRecord, NodeStatus, decode_directory
from protocol.policy import DAY_MS, DEFAULT_POLICY
from protocol.signing import SigningKey, sign_object
from protocol.version import STANDARD

T0_MS = 1_767_225_600_000  # 2026-01-01T00:00:00Z
FEDERATION_ID = "cn-eldercare"
SENDER = "sh-pudong"
RECEIVER = "nj-gulou"
HASH_A = hashlib.sha256(b"hourbridge vector hash a").hexdigest()
HASH_B = hashlib.sha256(b"hourbridge vector hash b").hexdigest()
OLD_KEY_UNTIL_MS = T0_MS - 1 * DAY_MS


def vector_key(name: str) -> SigningKey:
    """The fixed Ed25519 key `name`: seed = SHA-256("hourbridge vector key " + name)."""
    return SigningKey.from_seed(hashlib.sha256(f"hourbridge vector key {name}".encode()).digest())


def _key_record(name: str, *, valid_from_ms: int, valid_until_ms: int | None) -> dict[str, Any]:
    verify = vector_key(name).verify_key()
    return KeyRecord(
        key_id=verify.key_id,
        public_key=verify.to_b64(),
        valid_from_ms=valid_from_ms,
        valid_until_ms=valid_until_ms,
    ).model_dump(mode="json")


def _node(node_id: str, name: str, region: str, status: NodeStatus, keys: list[Any]) -> Any:
    return {
        "node_id": node_id,
        "name": name,
        "region_code": region,
        "base_url": f"https://{node_id}.hourbridge.example",
        "status": status.value,
        "keys": keys,
        "local_unit": {"name": "时间币", "units": 1, "minutes": 60},
        "net_debit_cap_per_partner_minutes": 60_000,
        "net_debit_cap_overall_minutes": 300_000,
    }


def _current_key(node_id: str) -> list[Any]:
    return [_key_record(node_id, valid_from_ms=T0_MS - 365 * DAY_MS, valid_until_ms=None)]


def directory_document(*, serial: int = 1, issued_at_ms: int = T0_MS) -> dict[str, Any]:
    """The vectors' directory, signed by the `authority` key.

    sh-pudong rotated its key: `sh-pudong-old` was valid until a day before T0.
    """
    pudong_keys = [
        _key_record(
            "sh-pudong-old", valid_from_ms=T0_MS - 365 * DAY_MS, valid_until_ms=OLD_KEY_UNTIL_MS
        ),
        _key_record("sh-pudong", valid_from_ms=OLD_KEY_UNTIL_MS - 7 * DAY_MS, valid_until_ms=None),
    ]
    nodes = [
        _node(
            "bj-xicheng",
            "北京市西城区时间银行",
            "110102",
            NodeStatus.SUSPENDED,
            _current_key("bj-xicheng"),
        ),
        _node(
            "hz-xihu", "杭州市西湖区时间银行", "330106", NodeStatus.ACTIVE, _current_key("hz-xihu")
        ),
        _node(
            "nj-gulou",
            "南京市鼓楼区时间银行",
            "320106",
            NodeStatus.ACTIVE,
            _current_key("nj-gulou"),
        ),
        _node("sh-pudong", "上海市浦东新区时间银行", "310115", NodeStatus.ACTIVE, pudong_keys),
        _node(
            "sz-futian",
            "深圳市福田区时间银行",
            "440304",
            NodeStatus.RETIRED,
            _current_key("sz-futian"),
        ),
    ]
    unsigned = {
        "standard": STANDARD,
        "kind": "directory",
        "federation_id": FEDERATION_ID,
        "serial": serial,
        "issued_at_ms": issued_at_ms,
        "authority_keys": [
            _key_record("authority", valid_from_ms=T0_MS - 365 * DAY_MS, valid_until_ms=None)
        ],
        "policy": DEFAULT_POLICY.model_dump(mode="json"),
        "nodes": nodes,
    }
    return sign_object(unsigned, signer=FEDERATION_ID, key=vector_key("authority"))


def vector_directory() -> Directory:
    return decode_directory(directory_document())
