"""The auditor is only worth its checks if it fails on a broken node: plant bugs and see."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from node.exchange import store
from node.exchange.requests import RequestHandlers
from node.ledger.model import EntryKind, Posting, member_account
from tests.federation import Fault, Federation, audit

SH, NJ = "sh-pudong", "nj-gulou"


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = Federation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def test_a_receiver_that_credits_twice_fails_the_audit(
    fed: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    honest = RequestHandlers._prepare

    def credits_twice(self: RequestHandlers, conn: Any, ctx: Any, request: Any) -> Any:
        answer = honest(self, conn, ctx, request)
        body = request.body
        clearing = store.ensure_clearing(conn, ctx.sender, ctx.now_ms)
        self.ledger.post(
            conn, kind=EntryKind.TRANSFER_IN, ref=body.transfer_id, actor=body.debtor, memo="",
            now_ms=ctx.now_ms,
            legs=(Posting(clearing, body.credit_class, -body.amount_minutes),
                  Posting(member_account(body.creditor.split("@")[0]), body.credit_class,
                          body.amount_minutes)),
        )
        return answer

    handlers = fed.nodes[NJ].exchange.requests
    monkeypatch.setitem(handlers.handlers, "transfer.prepare",
                        lambda conn, ctx, request: credits_twice(handlers, conn, ctx, request))
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60)
    fed.settle()
    with pytest.raises(AssertionError, match="clearing"):
        audit(fed)


def test_a_receiver_that_forgets_answered_transactions_fails(
    fed: Federation, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store, "stored_in", lambda *args: None)
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60)
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE)
    with pytest.raises(AssertionError, match="still open"):  # the link froze
        fed.heal()
        audit(fed)


def test_the_honest_federation_passes_the_same_scenarios(fed: Federation) -> None:
    fed.send(f"m0@{SH}", f"m0@{NJ}", 60)
    fed.network.plan(SH, NJ, Fault.DROP_RESPONSE)
    fed.heal()
    audit(fed)
