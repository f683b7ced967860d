from __future__ import annotations

import pytest

from protocol.conformance.fixtures import T0_MS, vector_directory, vector_key
from protocol.directory import KEYS_PER_NODE_MAX, NodeEntry
from protocol.errors import DirectoryError
from protocol.keys import rotate_node_key
from protocol.policy import DEFAULT_POLICY
from protocol.reasons import ReasonCode

OVERLAP_MS = DEFAULT_POLICY.key_overlap_min_ms


def _gulou() -> NodeEntry:
    entry = vector_directory().node("nj-gulou")
    assert entry is not None
    return entry


def test_rotation_overlaps_then_hands_over() -> None:
    new_key = vector_key("nj-gulou-2").verify_key()
    rotated = rotate_node_key(
        _gulou(), new_key=new_key, now_ms=T0_MS, overlap_ms=OVERLAP_MS, policy=DEFAULT_POLICY
    )
    old, new = rotated.keys
    assert (old.valid_until_ms, new.valid_from_ms, new.valid_until_ms) == (
        T0_MS + OVERLAP_MS,
        T0_MS,
        None,
    )
    # During the overlap both verify; the newest signs.
    assert old.valid_at(T0_MS + 1) and new.valid_at(T0_MS + 1)
    assert rotated.signing_key_id(T0_MS + 1) == new_key.key_id
    # After it, only the new key is valid for new messages, and the old one is still listed.
    assert not old.valid_at(T0_MS + OVERLAP_MS)
    assert rotated.key(old.key_id) == old


def test_a_key_closing_before_the_overlap_keeps_its_window() -> None:
    once = rotate_node_key(
        _gulou(),
        new_key=vector_key("nj-gulou-2").verify_key(),
        now_ms=T0_MS,
        overlap_ms=OVERLAP_MS,
        policy=DEFAULT_POLICY,
    )
    later = T0_MS + 2 * OVERLAP_MS
    twice = rotate_node_key(
        once,
        new_key=vector_key("nj-gulou-3").verify_key(),
        now_ms=later,
        overlap_ms=OVERLAP_MS,
        policy=DEFAULT_POLICY,
    )
    assert [key.valid_until_ms for key in twice.keys] == [
        T0_MS + OVERLAP_MS,
        later + OVERLAP_MS,
        None,
    ]


def test_rotation_refusals() -> None:
    new_key = vector_key("nj-gulou-2").verify_key()
    cases = [
        (dict(new_key=new_key, overlap_ms=OVERLAP_MS - 1), ReasonCode.POLICY_OUT_OF_BOUNDS),
        (
            dict(new_key=vector_key("nj-gulou").verify_key(), overlap_ms=OVERLAP_MS),
            ReasonCode.DIRECTORY_CONFLICT,
        ),
    ]
    for kwargs, code in cases:
        with pytest.raises(DirectoryError) as refused:
            rotate_node_key(_gulou(), now_ms=T0_MS, policy=DEFAULT_POLICY, **kwargs)  # type: ignore[arg-type]
        assert refused.value.code is code


def test_key_list_is_bounded() -> None:
    entry = _gulou()
    for index in range(KEYS_PER_NODE_MAX - 1):
        entry = rotate_node_key(
            entry,
            new_key=vector_key(f"k{index}").verify_key(),
            now_ms=T0_MS + index * OVERLAP_MS,
            overlap_ms=OVERLAP_MS,
            policy=DEFAULT_POLICY,
        )
    with pytest.raises(DirectoryError) as refused:
        rotate_node_key(
            entry,
            new_key=vector_key("one-too-many").verify_key(),
            now_ms=T0_MS * 2,
            overlap_ms=OVERLAP_MS,
            policy=DEFAULT_POLICY,
        )
    assert refused.value.code is ReasonCode.POLICY_OUT_OF_BOUNDS
