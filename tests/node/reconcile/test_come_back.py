"""A peer that needs time to prepare its statement says "come back" (standard §20.2, §20.6):
`receiver_unavailable` with `retry_after_ms`, nothing stored, the preparation going on. A
closer that proposes again after the hint closes the window `matched` on its first close; one
that does not retry leaves the window open, never disputed."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from node.exchange.transport import Reply
from node.reconcile import records
from node.reconcile.peer import RECONCILE_PATH
from node.reconcile.prepare import Plan, Prepared
from protocol.reconciliation import build_request
from protocol.statements import IN_FLIGHT_MAX
from tests.factories import ADMIN
from tests.federation import Fault, Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"
HINT_MS = 5


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=3, grant_minutes=600)
    # The responder's budget forced to nothing: every first proposal of a window is told to
    # come back, whatever the window's size.
    responder = federation.nodes[SH].reconciler.responder
    responder.prepare_budget_s = 0.0
    responder.retry_after_ms = HINT_MS
    yield federation
    federation.close()


def refusals(fed: Federation) -> list[dict[str, object]]:
    """Every problem document the responder answers a reconciliation request with."""
    seen: list[dict[str, object]] = []

    def keep(receiver: str, path: str, reply: Reply) -> Reply:
        if path == RECONCILE_PATH and reply.status != 200:
            seen.append(json.loads(reply.body))
        return reply

    fed.network.tamper = keep
    return seen


def some_traffic(fed: Federation) -> None:
    for i in range(4):
        assert fed.send(f"m{i % 3}@{SH}", f"m{(i + 1) % 3}@{NJ}", 10 + i).status_code == 201
        assert fed.send(f"m{i % 3}@{NJ}", f"m{(i + 2) % 3}@{SH}", 20 + i).status_code == 201
    fed.settle()


def test_a_closer_that_comes_back_closes_matched_on_its_first_close(fed: Federation) -> None:
    some_traffic(fed)
    seen = refusals(fed)
    closer = fed.nodes[NJ].reconciler
    pauses: list[float] = []
    real_pause = closer.pause

    async def pause(seconds: float) -> None:
        pauses.append(seconds)
        await real_pause(seconds)

    closer.pause = pause

    view = fed.close_window(NJ, SH)

    assert view["state"] == "matched", view
    assert seen and all(p["reason"] == "receiver_unavailable" for p in seen)
    assert all(p["retry_after_ms"] == HINT_MS for p in seen)
    assert pauses and len(pauses) == len(seen)  # one wait per "come back", then matched
    assert fed.nodes[SH].reconciler.windows(ADMIN, peer=NJ)[0]["state"] == "matched"
    assert view["discrepancies"] == []
    audit(fed)


def test_a_closer_that_does_not_come_back_leaves_the_window_open(fed: Federation) -> None:
    some_traffic(fed)
    seen = refusals(fed)
    closer = fed.nodes[NJ].reconciler
    closer.come_back_wait_max_ms = 0  # as a closer that knows nothing of "come back"

    view = fed.close_window(NJ, SH)

    assert len(seen) == 1 and seen[0]["reason"] == "receiver_unavailable"
    assert view["state"] == "open", view
    for node in (NJ, SH):
        assert fed.nodes[node].reconciler.alerts() == {"open_disputes": 0, "frozen_links": 0}
    assert fed.nodes[SH].reconciler.windows(ADMIN, peer=NJ) == []  # the responder stored none
    # Its next close proposes the same statement; the peer's preparation is ready by now.
    closer.come_back_wait_max_ms = 60_000
    assert fed.close_window(NJ, SH)["state"] == "matched"
    audit(fed)


def test_a_window_cut_again_is_prepared_at_its_new_cuts(fed: Federation) -> None:
    some_traffic(fed)
    closer = fed.nodes[NJ].reconciler
    closer.come_back_wait_max_ms = 0
    assert fed.close_window(NJ, SH)["state"] == "open"
    preparations = fed.nodes[SH].reconciler.responder.preparations
    assert len(preparations) == 1
    some_traffic(fed)
    fed.clock.advance(10 * 60_000)  # past the skew bound: the peer refuses it as stale

    closer.come_back_wait_max_ms = 60_000
    view = fed.close_window(NJ, SH)  # stale, cut again at the new heads, come back, matched

    assert view["state"] == "matched", view
    # The new cuts' preparation was used and dropped; the old cuts' one waits to be pushed out.
    assert len(preparations) == 1
    assert view["statement"]["incoming"]["count"] == 8
    audit(fed)


def test_come_back_is_a_problem_document_with_the_hint(fed: Federation) -> None:
    some_traffic(fed)
    fed.nodes[NJ].reconciler.come_back_wait_max_ms = 0
    assert fed.close_window(NJ, SH)["state"] == "open"
    with fed.nodes[NJ].db.read() as conn:
        window = records.last_window(conn, SH)
    assert window is not None
    fed.nodes[SH].reconciler.sides.ctx.leaf_indexes.touch(NJ)  # its preparation starts over
    body = build_request(request_id="come-back-1", sender=NJ, receiver=SH, op="propose",
                         args={"statement": window.statement, "final": False,
                               "late_response": None},
                         issued_at_ms=fed.clock.now_ms(), key=fed.nodes[NJ].signer.key())

    async def post() -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=fed.network.apps[SH]),
                                     base_url=f"http://{SH}.test") as client:
            return await client.post(RECONCILE_PATH, content=body,
                                     headers={"content-type": "application/json"})

    answer = fed.run(post())

    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.headers["retry-after"] == "1"  # whole seconds, rounded up
    problem = answer.json()
    assert (problem["reason"], problem["retry_after_ms"]) == ("receiver_unavailable", HINT_MS)
    fed.run(fed.nodes[SH].reconciler.responder.preparations.finish())


def told_to_come_back_then_traffic_past_the_cut(fed: Federation) -> tuple[Any, int]:
    """The closer signs its cuts at T0 and is told to come back; then more than a window of
    transactions past its cut is answered just after T0. Returns the closer and the skew
    bound."""
    some_traffic(fed)
    closer = fed.nodes[NJ].reconciler
    closer.come_back_wait_max_ms = 0
    assert fed.close_window(NJ, SH)["state"] == "open"  # T0: told to come back
    for i in range(IN_FLIGHT_MAX + 2):  # answered within seconds of T0, past the cut
        assert fed.send(f"m{i % 3}@{NJ}", f"m{(i + 1) % 3}@{SH}", 1).status_code == 201
        fed.settle()  # one transaction each
    fed.nodes[SH].reconciler.sides.ctx.leaf_indexes.touch(NJ)  # come back once more
    return closer, fed.nodes[SH].reconciler.sides.federation.require_current().policy.skew_ms


def closes_matched_without_a_dispute(fed: Federation, closer: Any,
                                     pause: Callable[[float], Awaitable[None]]) -> None:
    """The closer proposes again, waiting with `pause`: signed again, cut again at the new
    heads, matched; no dispute, no frozen link anywhere."""
    closer.pause = pause
    closer.come_back_wait_max_ms = 60_000
    view = fed.close_window(NJ, SH)
    for node in (NJ, SH):
        assert fed.nodes[node].reconciler.alerts() == {"open_disputes": 0, "frozen_links": 0}
    assert view["state"] == "matched", view
    audit(fed)


def test_a_statement_signed_again_after_come_back_is_judged_by_its_first_proposal(
        fed: Federation) -> None:
    """The closer signs its cuts at T0, is told to come back, and its link stays busy: more
    than a window of transactions past its cut answered just after T0. Minutes later it signs
    the same cuts again (§20.6). The responder judges them by when it first saw them, not by
    the new signature: never a `cut_behind` dispute against an honest closer."""
    closer, skew_ms = told_to_come_back_then_traffic_past_the_cut(fed)
    real_pause = closer.pause
    waits: list[float] = []

    async def slow_preparation(seconds: float) -> None:
        if not waits:  # the preparation took longer than the skew bound
            fed.clock.advance(skew_ms + 60_000)
        waits.append(seconds)
        await real_pause(seconds)

    closes_matched_without_a_dispute(fed, closer, slow_preparation)
    assert waits


def test_an_answer_applied_while_the_responder_prepares_is_in_its_statement(
        fed: Federation) -> None:
    """The responder's outgoing cut is the closer's incoming head: above its own applied head
    while answers are lost. The resends are answered and applied while the window is read on
    its snapshot (no generation raised): the responder prepares again rather than store a
    statement missing them, so the window matches without a descent."""
    some_traffic(fed)
    courier = fed.nodes[SH].exchange.courier

    async def two_pumps() -> None:
        await asyncio.gather(courier.pump(NJ), courier.pump(NJ))

    # Two transactions in flight (§6.5), both processed by the closer, both answers lost.
    fed.network.plan(SH, NJ, *[Fault.DROP_RESPONSE] * 3)
    assert fed.send(f"m0@{SH}", f"m1@{NJ}", 5).status_code == 201
    fed.pump(SH, NJ)
    assert fed.send(f"m0@{SH}", f"m1@{NJ}", 6).status_code == 201
    fed.run(two_pumps())
    preparations = fed.nodes[SH].reconciler.responder.preparations
    real_start, resent = preparations.start, []

    async def answered_during_the_read(plan: Plan) -> Prepared:
        prepared = await real_start(plan)
        if not resent:
            fed.network.plans[(SH, NJ)].clear()
            for _ in range(2):  # both resent, answered again and applied
                resent.append(await courier.pump(NJ))
        return prepared

    preparations.start = answered_during_the_read

    view = fed.close_window(NJ, SH)

    assert resent
    assert view["state"] == "matched", view
    assert view["digests_exchanged"] == 0, view  # no descent
    audit(fed)


def test_a_restarted_responder_judges_a_statement_signed_again_by_its_first_proposal(
        fed: Federation) -> None:
    """As above, but the responder restarts between its come back and the closer's proposal
    signed again: a new process over the same database, nothing of the old one's memory. The
    time it first saw the cuts is read from its database (migration 0026), so the closer is
    asked to cut again, never disputed `cut_behind` (which would freeze the link)."""
    closer, skew_ms = told_to_come_back_then_traffic_past_the_cut(fed)
    real_pause = closer.pause
    waits: list[float] = []

    async def restart_while_the_closer_waits(seconds: float) -> None:
        if not waits:
            await fed.nodes[SH].reconciler.responder.preparations.finish()
            fed.restart(SH, read_capabilities=False)  # its memory is gone
            responder = fed.nodes[SH].reconciler.responder
            responder.prepare_budget_s, responder.retry_after_ms = 0.0, HINT_MS
            fed.clock.advance(skew_ms + 60_000)  # the closer signs its cuts again, later
        waits.append(seconds)
        await real_pause(seconds)

    closes_matched_without_a_dispute(fed, closer, restart_while_the_closer_waits)
    assert waits
