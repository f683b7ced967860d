"""The rules of a transfer routed through hubs (standard §22.4), as pure functions.

    check_leg      a receiver's stateless checks of one leg, by its clock
    links_on_path  is every pair of the path a link of the map, and what may the sender owe
    next_leg       the leg a hub sends on: same transfer, next hop, an earlier expiry
    end_receipt    the creditor node's signed word that it credited the creditor
    read_delivered what a `transfer.delivered` answer proves to the node that sent the leg

The binding between legs: every leg carries the same transfer id and the same members the
debtor's node signed in the first one; only `hop`, `created_at_ms` and `expires_at_ms` change
from leg to leg, and each expiry is `hop_margin_ms` (twice the policy's skew) before the one
upstream, so the leg downstream is final, by its own clock, before the one upstream may be.
"""

from __future__ import annotations

from bisect import bisect_left
from itertools import pairwise
from typing import Any

from protocol.directory import Directory
from protocol.envelope import verify_evidence
from protocol.errors import ProtocolError
from protocol.links import Link, LinkMap
from protocol.messages.routed import END_KIND, DeliveredBody, EndReceipt, LegBody
from protocol.policy import Policy
from protocol.reasons import ReasonCode
from protocol.signing import SigningKey, sign_object
from protocol.transfer_findings import Commit, Contradiction, Finding
from protocol.version import STANDARD

# The members every leg repeats from the first one, and the end receipt names.
BOUND_MEMBERS = ("transfer_id", "debtor", "creditor", "amount_minutes", "credit_class",
                 "purpose", "payment_request_id", "memo", "path")


def hop_margin_ms(policy: Policy) -> int:
    """How much earlier each leg expires than the leg before it: twice the clock skew the
    federation allows, so that two hops whose clocks differ by the skew still agree that the
    leg downstream expired first."""
    return 2 * policy.skew_ms


def check_leg(leg: LegBody, *, sender: str, receiver: str, now_ms: int,
              policy: Policy) -> ReasonCode | None:
    """A leg's stateless checks (§22.4), like a prepare's (§9.2) but against the path: the
    sender is the path's node at `hop` and the receiver the next one. Only the first leg, which
    the debtor's node made, must last at least `expiry_min_ms`: a later leg lasts what is left
    of the first, less the margins.

    Not the expiry: a leg is sent again until it is final, past its expiry too, and a receiver
    that holds it answers from what it holds (`leg_expired` is for a leg it does not hold)."""
    if leg.sender != sender:
        return ReasonCode.DEBTOR_NOT_AT_SENDER
    if leg.receiver != receiver:
        return ReasonCode.CREDITOR_NOT_AT_RECEIVER
    lifetime_ms = leg.expires_at_ms - leg.created_at_ms
    if lifetime_ms > policy.expiry_max_ms or (leg.hop == 0 and lifetime_ms < policy.expiry_min_ms):
        return ReasonCode.EXPIRY_OUT_OF_BOUNDS
    if leg.amount_minutes > policy.amount_minutes_max:
        return ReasonCode.AMOUNT_OUT_OF_BOUNDS
    return None


def leg_expired(leg: LegBody, *, now_ms: int) -> bool:
    """May a receiver that does not hold this leg still take it? Not at or after its expiry:
    refused `expired`, final (and remembered, like any final refusal of a transfer)."""
    return now_ms >= leg.expires_at_ms


def _link(link_map: LinkMap, x: str, y: str) -> Link | None:
    """The link between two nodes, found by bisection: a map's links are sorted by (a, b)
    (its acceptance checks it), and a hub looks one up for every leg it takes."""
    pair = (min(x, y), max(x, y))
    links = link_map.links
    at = bisect_left(links, pair, key=lambda link: (link.a, link.b))
    return links[at] if at < len(links) and (links[at].a, links[at].b) == pair else None


def links_on_path(link_map: LinkMap | None, path: list[str]) -> bool:
    """Is every adjacent pair of `path` a link of the map? Without a map no route has hubs."""
    if link_map is None:
        return False
    return all(_link(link_map, x, y) is not None for x, y in pairwise(path))


def link_cap(link_map: LinkMap, *, debtor: str, creditor: str) -> int | None:
    """What `debtor` may owe `creditor` net on their link, or None if they have none."""
    link = _link(link_map, debtor, creditor)
    if link is None:
        return None
    return link.a_cap_minutes if debtor == link.a else link.b_cap_minutes


def next_leg(leg: LegBody, *, now_ms: int, policy: Policy) -> LegBody | None:
    """The leg a hub sends on, or None when too little time is left to send one."""
    expires_at_ms = leg.expires_at_ms - hop_margin_ms(policy)
    if expires_at_ms <= now_ms or leg.last:
        return None
    return leg.model_copy(update={"hop": leg.hop + 1, "created_at_ms": now_ms,
                                  "expires_at_ms": expires_at_ms})


def end_receipt(leg: LegBody, *, node_id: str, key: SigningKey,
                committed_at_ms: int) -> EndReceipt:
    """The creditor's node signs that it credited the creditor (`leg` is the last one)."""
    if not leg.last or leg.receiver != node_id:
        raise ValueError("only the creditor's node signs the end of a routed transfer")
    body: dict[str, Any] = {"standard": STANDARD, "kind": END_KIND,
                            "committed_at_ms": committed_at_ms}
    body.update({name: leg.model_dump(mode="json")[name] for name in BOUND_MEMBERS})
    return EndReceipt.model_validate(sign_object(body, signer=node_id, key=key))


def read_delivered(leg: LegBody, prepare_hash: str, delivered: DeliveredBody, *,
                   directory: Directory) -> Finding:
    """A commit only if the end receipt is the creditor node's own signature over exactly the
    members this node's leg carried; anything else is a contradiction (a dispute), never a
    commit: a hub's word alone settles nothing."""
    if (delivered.transfer_id, delivered.prepare_hash) != (leg.transfer_id, prepare_hash):
        return Contradiction("delivered answer does not match the leg")
    end = delivered.end
    ours = leg.model_dump(mode="json")
    theirs = end.model_dump(mode="json")
    if any(ours[name] != theirs[name] for name in BOUND_MEMBERS):
        return Contradiction("end receipt is about another transfer or route")
    try:
        verify_evidence(theirs, directory=directory, time_member="committed_at_ms",
                        signer=leg.path[-1])
    except ProtocolError as exc:
        return Contradiction(f"end receipt not signed by {leg.path[-1]}: {exc.code.value}")
    return Commit(delivered)
