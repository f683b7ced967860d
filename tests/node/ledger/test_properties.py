"""Random operation sequences against a real node; after each sequence every invariant holds.

Invariants: every entry sums to zero per class; all balances sum to zero; no member below its
floor; replaying the journal gives the stored balances; the chain verifies (verify_ledger checks
all of these); and the node agrees with a simple model of who holds how many minutes.
"""

from __future__ import annotations

from collections import Counter
from contextlib import ExitStack
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.clock import FakeClock
from node.errors import NodeError
from node.ledger.model import AccountKind
from node.runtime import Node
from protocol.credit import SPEND_ORDER, CreditClass
from tests.factories import ADMIN, add_members, balance, by_class
from tests.support import PgDatabases, build_node, make_config

MEMBERS = ("m0", "m1", "m2", "m3")
member = st.sampled_from(MEMBERS)
minutes = st.integers(min_value=1, max_value=600)
operation = st.one_of(
    st.tuples(st.just("grant"), member, minutes, st.sampled_from(list(CreditClass))),
    st.tuples(st.just("transfer"), member, member, minutes),
    st.tuples(st.just("reverse"), st.integers(min_value=1, max_value=40)),
    st.tuples(st.just("deactivate"), member),
)


def _spendable(node: Node, local_id: str) -> int:
    return sum(v for c, v in by_class(node, local_id).items() if CreditClass(c) in SPEND_ORDER)


def _apply(node: Node, op: tuple, model: Counter[str], step: int) -> None:
    kind = op[0]
    if kind == "grant":
        _, who, amount, credit_class = op
        try:
            node.grants.create(ADMIN, grant_id=f"g{step}", local_id=who, amount_minutes=amount,
                               credit_class=credit_class, reason="p")
            model[who] += amount
        except NodeError:
            assert node.members.get(ADMIN, who).status == "deactivated"
    elif kind == "transfer":
        _, debtor, creditor, amount = op
        could = _spendable(node, debtor) >= amount and debtor != creditor
        try:
            node.transfers.create(ADMIN, transfer_id=f"t{step}", debtor=debtor,
                                  creditor=creditor, amount_minutes=amount, memo="")
            assert could, "a transfer beyond the spendable balance was accepted"
            model[debtor] -= amount
            model[creditor] += amount
        except NodeError:
            statuses = {node.members.get(ADMIN, m).status for m in (debtor, creditor)}
            assert not could or "deactivated" in statuses
    elif kind == "reverse":
        try:
            entry = node.ledger_admin.reverse(ADMIN, height=op[1], reason="p")
        except NodeError:
            return
        with node.db.read() as conn:
            for posting in node.ledger.load_entry(conn, entry["height"]).postings:
                if posting.account.startswith("member:"):
                    model[posting.account.removeprefix("member:")] += posting.amount_minutes
    else:
        node.members.deactivate(ADMIN, op[1], reason="p")


def _check_invariants(node: Node, model: Counter[str]) -> None:
    result = node.ledger_admin.verify()
    assert result.ok, result.problems
    with node.db.read() as conn:
        totals = node.ledger.totals_by_kind(conn)
    assert sum(totals.values()) == 0
    assert totals.get(AccountKind.MEMBER, 0) == -totals.get(AccountKind.ISSUANCE, 0)
    for local_id in MEMBERS:
        assert balance(node, local_id) == model[local_id]
        assert all(v >= 0 for v in by_class(node, local_id).values())


@settings(
    max_examples=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(ops=st.lists(operation, min_size=1, max_size=40))
def test_random_operations_keep_every_invariant(
    tmp_path_factory, backend: str, pg_databases: PgDatabases | None, ops: list[tuple]
) -> None:
    data = Path(tmp_path_factory.mktemp("prop"))
    with ExitStack() as stack:
        url = ""
        if backend == "postgresql":
            assert pg_databases is not None
            url = stack.enter_context(pg_databases.database("sh-pudong"))
        node = build_node(make_config(data, "sh-pudong", url), FakeClock(), bootstrap=True)
        stack.callback(node.close)
        add_members(node, *MEMBERS)
        model: Counter[str] = Counter()
        for step, op in enumerate(ops):
            _apply(node, op, model, step)
        _check_invariants(node, model)
