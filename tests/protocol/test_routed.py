"""The pure rules of a routed transfer (§22.4): a leg's checks, the next leg, the link map's
pairs and caps, and what a delivered answer proves."""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from protocol.conformance.fixtures import RECEIVER, SENDER, T0_MS, vector_directory, vector_key
from protocol.conformance.links import links_document
from protocol.conformance.routed_samples import (
    FORWARDED_AT_MS,
    HUB,
    first_leg,
    leg_answer,
    leg_body,
    sample_end,
    second_leg,
)
from protocol.links import decode_links
from protocol.messages import message_hash
from protocol.messages.routed import LEGS_MAX, DeliveredBody, EndReceipt, LegBody
from protocol.policy import DAY_MS, DEFAULT_POLICY, MINUTE_MS
from protocol.reasons import ReasonCode
from protocol.routed import (
    check_leg,
    end_receipt,
    hop_margin_ms,
    leg_expired,
    link_cap,
    links_on_path,
    next_leg,
    read_delivered,
)
from protocol.signing import sign_object
from protocol.transfer_findings import Commit, Contradiction

MARGIN_MS = hop_margin_ms(DEFAULT_POLICY)


def _leg(**changes: Any) -> LegBody:
    return leg_body().model_copy(update=changes)


def _check(leg: LegBody, *, sender: str = SENDER, receiver: str = HUB,
           now_ms: int = T0_MS) -> ReasonCode | None:
    return check_leg(leg, sender=sender, receiver=receiver, now_ms=now_ms, policy=DEFAULT_POLICY)


def test_the_margin_is_twice_the_skew() -> None:
    assert 2 * DEFAULT_POLICY.skew_ms == MARGIN_MS


def test_check_leg_passes_the_sample_legs_at_their_own_hops() -> None:
    assert _check(first_leg().body) is None
    assert _check(second_leg().body, sender=HUB, receiver=RECEIVER,
                  now_ms=FORWARDED_AT_MS) is None


@pytest.mark.parametrize(
    ("leg", "sender", "receiver", "now_ms", "code"),
    [
        # The leg of hop 1 sent by the debtor's node: the path names the hub at that hop.
        (_leg(hop=1), SENDER, RECEIVER, T0_MS, ReasonCode.DEBTOR_NOT_AT_SENDER),
        # The first leg sent straight to the creditor's node, past the hub.
        (_leg(), SENDER, RECEIVER, T0_MS, ReasonCode.CREDITOR_NOT_AT_RECEIVER),
        (_leg(expires_at_ms=T0_MS + 2 * DAY_MS), SENDER, HUB, T0_MS,
         ReasonCode.EXPIRY_OUT_OF_BOUNDS),
        (_leg(expires_at_ms=T0_MS + 5 * MINUTE_MS), SENDER, HUB, T0_MS,
         ReasonCode.EXPIRY_OUT_OF_BOUNDS),
        (_leg(amount_minutes=DEFAULT_POLICY.amount_minutes_max + 1), SENDER, HUB, T0_MS,
         ReasonCode.AMOUNT_OUT_OF_BOUNDS),
    ],
    ids=["sender", "receiver", "too_long", "first_too_short", "amount"],
)
def test_check_leg_refuses_with_each_code(leg: LegBody, sender: str, receiver: str,
                                          now_ms: int, code: ReasonCode) -> None:
    assert _check(leg, sender=sender, receiver=receiver, now_ms=now_ms) is code


def test_expiry_is_judged_apart_only_for_a_leg_not_held() -> None:
    """check_leg passes a leg at its expiry: a hub that holds it answers from what it holds;
    leg_expired is the refusal for one it does not hold, at the expiry instant and after."""
    at = leg_body().expires_at_ms
    assert _check(_leg(), sender=SENDER, receiver=HUB, now_ms=at) is None
    assert not leg_expired(leg_body(), now_ms=at - 1)
    assert leg_expired(leg_body(), now_ms=at) and leg_expired(leg_body(), now_ms=at + 1)


def test_only_the_first_leg_must_last_the_minimum() -> None:
    short = _leg(hop=1, created_at_ms=T0_MS, expires_at_ms=T0_MS + MINUTE_MS)
    assert _check(short, sender=HUB, receiver=RECEIVER) is None


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"path": [SENDER, HUB, SENDER, RECEIVER]}, "each node once"),
        ({"hop": 2}, "has a next one"),
        ({"path": [HUB, SENDER, RECEIVER]}, "starts at the debtor's node"),
        ({"path": [SENDER, RECEIVER, HUB]}, "ends at the creditor's node"),
        ({"path": [SENDER, RECEIVER]}, "at least 3"),
        ({"path": [SENDER, "a-b", "c-d", "e-f", RECEIVER]}, "at most 4"),
        ({"hop": LEGS_MAX}, "less than or equal to"),
    ],
)
def test_a_leg_with_a_bad_route_does_not_decode(changes: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        LegBody.model_validate({**leg_body().model_dump(mode="json"), **changes})


def test_a_leg_names_its_sender_and_receiver_and_whether_it_is_last() -> None:
    first, second = first_leg().body, second_leg().body
    assert (first.sender, first.receiver, first.last) == (SENDER, HUB, False)
    assert (second.sender, second.receiver, second.last) == (HUB, RECEIVER, True)


def test_links_on_path() -> None:
    link_map = decode_links(links_document())
    assert not links_on_path(None, [SENDER, HUB, RECEIVER])
    assert links_on_path(link_map, [SENDER, HUB, RECEIVER])
    assert links_on_path(link_map, [RECEIVER, HUB, SENDER])  # links are undirected
    assert not links_on_path(link_map, [SENDER, RECEIVER, HUB])  # no sh-pudong–nj-gulou link


def test_link_cap_both_directions_and_no_link() -> None:
    document = links_document()
    link = document["links"][0]  # bj-xicheng (a) – nj-gulou (b)
    document["links"][0] = {**link, "a_cap_minutes": 100, "b_cap_minutes": 200}
    link_map = decode_links(document)
    assert link_cap(link_map, debtor="bj-xicheng", creditor="nj-gulou") == 100
    assert link_cap(link_map, debtor="nj-gulou", creditor="bj-xicheng") == 200
    assert link_cap(link_map, debtor=SENDER, creditor=RECEIVER) is None


def test_next_leg_keeps_every_bound_member_and_expires_a_margin_earlier() -> None:
    first = first_leg().body
    second = next_leg(first, now_ms=FORWARDED_AT_MS, policy=DEFAULT_POLICY)
    assert second is not None
    assert second.hop == 1 and second.created_at_ms == FORWARDED_AT_MS
    assert second.expires_at_ms == first.expires_at_ms - MARGIN_MS
    unchanged = {"hop", "created_at_ms", "expires_at_ms"}
    assert second.model_dump(exclude=unchanged) == first.model_dump(exclude=unchanged)


def test_next_leg_is_none_when_too_late_or_at_the_last_hop() -> None:
    first = first_leg().body
    last_instant = first.expires_at_ms - MARGIN_MS
    assert next_leg(first, now_ms=last_instant - 1, policy=DEFAULT_POLICY) is not None
    assert next_leg(first, now_ms=last_instant, policy=DEFAULT_POLICY) is None
    assert next_leg(second_leg().body, now_ms=FORWARDED_AT_MS, policy=DEFAULT_POLICY) is None


@given(
    hops=st.integers(min_value=2, max_value=LEGS_MAX),
    lifetime_ms=st.integers(min_value=1, max_value=DEFAULT_POLICY.expiry_max_ms),
    steps_ms=st.lists(st.integers(min_value=0, max_value=DEFAULT_POLICY.expiry_max_ms),
                      min_size=LEGS_MAX, max_size=LEGS_MAX),
)
@settings(max_examples=200, deadline=None)
def test_a_chain_of_legs_never_expires_later_and_stops_at_the_last_hop(
        hops: int, lifetime_ms: int, steps_ms: list[int]) -> None:
    path = [SENDER, *(f"hub-{n}" for n in range(hops - 1)), RECEIVER]
    leg: LegBody | None = _leg(path=path, expires_at_ms=T0_MS + lifetime_ms)
    now_ms, seen = T0_MS, []
    while leg is not None:
        seen.append(leg)
        now_ms += steps_ms[len(seen) - 1]
        leg = next_leg(leg, now_ms=now_ms, policy=DEFAULT_POLICY)
    for before, after in pairwise(seen):
        assert after.expires_at_ms == before.expires_at_ms - MARGIN_MS
        assert after.hop == before.hop + 1 and after.created_at_ms < after.expires_at_ms
    # It stops at the last hop, or earlier only when too little time is left for one more.
    assert seen[-1].last or seen[-1].expires_at_ms - MARGIN_MS <= now_ms
    assert len(seen) <= len(path) - 1


def test_only_the_creditors_node_signs_the_end_of_the_last_leg() -> None:
    end = sample_end()
    assert end.signatures.keys() == {RECEIVER}
    assert (end.transfer_id, end.path) == (first_leg().body.transfer_id, first_leg().body.path)
    with pytest.raises(ValueError, match="only the creditor's node"):
        end_receipt(first_leg().body, node_id=HUB, key=vector_key(HUB), committed_at_ms=T0_MS)
    with pytest.raises(ValueError, match="only the creditor's node"):
        end_receipt(second_leg().body, node_id=HUB, key=vector_key(HUB), committed_at_ms=T0_MS)


def _delivered(end: dict[str, Any] | None = None, **changes: Any) -> DeliveredBody:
    answer = leg_answer(first_leg(), kind="transfer.delivered")
    body = answer.body.model_dump(mode="json")
    if end is not None:
        body["end"] = end
    return DeliveredBody.model_validate({**body, **changes})


def _read(delivered: DeliveredBody) -> object:
    leg = first_leg()
    return read_delivered(leg.body, message_hash(leg), delivered, directory=vector_directory())


def _end_by(signer: str, key_name: str, **changes: Any) -> dict[str, Any]:
    unsigned = {k: v for k, v in sample_end().model_dump(mode="json").items() if k != "signatures"}
    return sign_object({**unsigned, **changes}, signer=signer, key=vector_key(key_name))


def test_read_delivered_commits_on_the_creditor_nodes_end_receipt() -> None:
    delivered = _delivered()
    assert _read(delivered) == Commit(delivered)
    # A hub may add its own signature beside the creditor node's: it proves nothing, and harms
    # nothing.
    cosigned = sample_end().model_dump(mode="json")
    cosigned["signatures"].update(_end_by(HUB, HUB)["signatures"])
    assert isinstance(_read(_delivered(cosigned)), Commit)


@pytest.mark.parametrize(
    ("delivered", "words"),
    [
        (lambda: _delivered(transfer_id="tr-routed-9999"), "does not match the leg"),
        (lambda: _delivered(prepare_hash="0" * 64), "does not match the leg"),
        (lambda: _delivered(_end_by(RECEIVER, RECEIVER, amount_minutes=1_200)),
         "another transfer or route"),
        (lambda: _delivered(_end_by(RECEIVER, RECEIVER, path=[SENDER, "bj-xicheng", RECEIVER])),
         "another transfer or route"),
        (lambda: _delivered(_end_by(RECEIVER, RECEIVER, creditor=f"li.ma@{RECEIVER}")),
         "another transfer or route"),
        (lambda: _delivered(_end_by(RECEIVER, RECEIVER, payment_request_id="pr-0000000009")),
         "another transfer or route"),
        (lambda: _delivered(_end_by(RECEIVER, RECEIVER, memo="pay the hub instead")),
         "another transfer or route"),
        (lambda: _delivered(_end_by(HUB, HUB)), "missing_signature"),
        (lambda: _delivered(_end_by(RECEIVER, HUB)), "unknown_key"),
        (lambda: _delivered({**sample_end().model_dump(mode="json"), "committed_at_ms": 1}),
         "bad_signature"),
    ],
    ids=["transfer", "prepare_hash", "amount", "path", "creditor", "payment_request", "memo",
         "hub_signed", "hub_key", "tampered"],
)
def test_read_delivered_refuses_each_tampering(delivered: Any, words: str) -> None:
    finding = _read(delivered())
    assert isinstance(finding, Contradiction)
    assert words in finding.detail


def test_an_end_receipt_is_a_closed_document() -> None:
    with pytest.raises(ValidationError):
        EndReceipt.model_validate({**sample_end().model_dump(mode="json"), "hop": 1})
