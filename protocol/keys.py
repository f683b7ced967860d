"""Key rotation with overlap, as pure functions over a directory node entry (DESIGN §4).

Rotation adds the new key valid from `now_ms` and closes every key still open beyond the overlap
at `now_ms + overlap_ms`. Old keys stay listed with their windows, so a message signed while
they were valid keeps verifying for as long as the entry lists them.
"""

from __future__ import annotations

from protocol.directory import KEYS_PER_NODE_MAX, KeyRecord, NodeEntry
from protocol.errors import DirectoryError
from protocol.policy import Policy
from protocol.reasons import ReasonCode
from protocol.signing import VerifyKey


def rotate_node_key(
    entry: NodeEntry, *, new_key: VerifyKey, now_ms: int, overlap_ms: int, policy: Policy
) -> NodeEntry:
    if overlap_ms < policy.key_overlap_min_ms:
        raise DirectoryError(
            ReasonCode.POLICY_OUT_OF_BOUNDS,
            f"overlap {overlap_ms} ms is below the policy minimum {policy.key_overlap_min_ms}",
        )
    if entry.key(new_key.key_id) is not None:
        raise DirectoryError(ReasonCode.DIRECTORY_CONFLICT, f"{new_key.key_id} already listed")
    if len(entry.keys) >= KEYS_PER_NODE_MAX:
        raise DirectoryError(ReasonCode.POLICY_OUT_OF_BOUNDS, "too many keys for one node")
    closes_at_ms = now_ms + overlap_ms
    kept = [
        key
        if key.valid_until_ms is not None and key.valid_until_ms <= closes_at_ms
        else key.model_copy(update={"valid_until_ms": closes_at_ms})
        for key in entry.keys
    ]
    added = KeyRecord(
        key_id=new_key.key_id,
        public_key=new_key.to_b64(),
        valid_from_ms=now_ms,
        valid_until_ms=None,
    )
    # Rebuild through validation rather than model_copy, which would skip the window checks.
    return NodeEntry.model_validate(
        {
            **entry.model_dump(mode="json"),
            "keys": [k.model_dump(mode="json") for k in [*kept, added]],
        }
    )
