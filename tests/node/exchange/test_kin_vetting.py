"""Kin that arrive with a relocation profile are vetted before they count (issue 14, item 2;
node/timebank/kin_pending.py): a parent waits for staff of her new station, counts neither as
a guardian nor for a kin-only gift until confirmed on her console page, while a child goes
straight into the registry; a node whose policy needs no kin keeps none of them. Three nodes
in one process (ASGI transport), a real console session."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from node.access import Principal, Role
from node.api.app import create_app
from node.db.schema import tb_kin, tb_kin_pending
from node.errors import ErrorCode, NodeError
from node.timebank.thresholds import has_guardian
from tests.conftest import Api
from tests.factories import ADMIN, grant
from tests.federation import Federation, audit
from tests.node.console.support import fresh_client, log_in, post_form
from tests.support import build_node, make_config

SH, NJ, BJ = "sh-pudong", "nj-gulou", "bj-chaoyang"
# SH: kin-only gifts, so kin travel. NJ: gifts to direct relatives only (kin needed).
# BJ: gifts to anyone, hours to the pool on death, no guardian rule: no kin needed.
POLICIES: dict[str, dict[str, Any]] = {
    SH: {"transfers": {"recipients": "relatives_and_friends"}},
    NJ: {"transfers": {"recipients": "direct_relatives"}},
    BJ: {"lifecycle": {"on_death": "donate_to_pool"}},
}
STATION = "gulou-east"


class PolicyFederation(Federation):
    def _open(self, node_id: str, *, bootstrap: bool) -> None:
        data = self.tmp_path / node_id
        config = make_config(data, node_id, self.database_urls.get(node_id, ""))
        data.mkdir(parents=True, exist_ok=True)
        (data / "policy.json").write_text(json.dumps(POLICIES[node_id]), encoding="utf-8")
        config = config.model_copy(update={"policy_file": "policy.json"})
        node = build_node(config, self.clock, bootstrap=bootstrap,
                          transport=self.network.transport(node_id))
        self.nodes[node_id] = node
        self.network.apps[node_id] = create_app(node)


def _move(fed: Federation, local_id: str, to_node: str) -> None:
    given = fed.call(SH, "PUT", f"/api/v1/members/{local_id}/consents/share_on_relocation",
                     {"given": True})
    assert given.status_code == 200, given.text
    moved = fed.call(SH, "POST", f"/api/v1/members/{local_id}/relocation", {
        "id": f"rel-{local_id}", "to_node": to_node, "new_local_id": local_id,
        "share_profile": True, "station": STATION})
    assert moved.status_code == 201, moved.text


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """wang, zhou and li, each with a mother at nj-gulou and a son at sh-pudong, move: wang and
    li to nj-gulou, zhou to bj-chaoyang."""
    federation = PolicyFederation(tmp_path_factory.mktemp("kin"), [SH, NJ, BJ])
    sh, nj = federation.nodes[SH], federation.nodes[NJ]
    nj.members.create(ADMIN, local_id="mum", display_name="王母", station=STATION,
                      birth_year=1925)
    sh.members.create(ADMIN, local_id="son", display_name="王强", station="pudong-1",
                      birth_year=1975)
    for local_id in ("wang", "zhou", "li"):
        sh.members.create(ADMIN, local_id=local_id, display_name=local_id.title(),
                          station="pudong-1", birth_year=1950)
        grant(sh, local_id, 300)
        sh.timebank.people.add_kin(ADMIN, local_id, relative="son", relation="child")
        sh.timebank.people.add_kin(ADMIN, local_id, relative=f"mum@{NJ}", relation="parent")
    _move(federation, "wang", NJ)
    _move(federation, "zhou", BJ)
    _move(federation, "li", NJ)
    federation.settle()
    yield federation
    audit(federation)
    federation.close()


def _kin(fed: Federation, node_id: str, table: Any, local_id: str) -> list[tuple[str, str]]:
    with fed.nodes[node_id].db.read() as conn:
        return [tuple(row) for row in conn.execute(  # type: ignore[misc]
            select(table.c.relative, table.c.relation)
            .where(table.c.member_local_id == local_id).order_by(table.c.relative))]


def _gift_to_mum(fed: Federation, transfer_id: str) -> None:
    fed.nodes[NJ].transfers.create(ADMIN, transfer_id=transfer_id, debtor="wang",
                                   creditor="mum", amount_minutes=10, memo="")


def test_a_parent_waits_for_staff_and_counts_for_nothing_until_confirmed(
        fed: Federation) -> None:
    assert _kin(fed, NJ, tb_kin, "wang") == [(f"son@{SH}", "child")]
    assert _kin(fed, NJ, tb_kin_pending, "wang") == [(f"mum@{NJ}", "parent")]
    with fed.nodes[NJ].db.read() as conn:
        assert not has_guardian(conn, "wang")
    with pytest.raises(NodeError) as refused:
        _gift_to_mum(fed, "gift-before")
    assert refused.value.code is ErrorCode.RECIPIENT_NOT_ALLOWED
    exported = fed.nodes[NJ].privacy.export(ADMIN, "wang")["kin"]  # her export shows it waiting
    assert [(k["relative"], k["pending"]) for k in exported] == [(f"son@{SH}", False),
                                                                 (f"mum@{NJ}", True)]

    api = Api(fed.nodes[NJ])  # the console on nj-gulou, in a browser session
    other = api.token("other", Role.STAFF, station="gulou-west")
    mine = api.token("desk", Role.STAFF, station=STATION)
    page = "/console/members/wang"
    outsider = fresh_client(api)
    assert log_in(outsider, other).status_code == 303
    assert outsider.get(page).status_code == 403  # another station does not even see her
    refused_confirm = post_form(outsider, f"{page}/kin-pending/confirm", "/console/members",
                                relative=f"mum@{NJ}")  # a valid form, the wrong station
    assert refused_confirm.status_code == 403 and 'data-code="forbidden"' in refused_confirm.text
    assert _kin(fed, NJ, tb_kin_pending, "wang") == [(f"mum@{NJ}", "parent")]
    desk = fresh_client(api)
    assert log_in(desk, mine).status_code == 303
    shown = desk.get(page)
    assert shown.status_code == 200 and 'id="kin-pending"' in shown.text
    assert f'data-relative="mum@{NJ}"' in shown.text
    done = post_form(desk, f"{page}/kin-pending/confirm", page, relative=f"mum@{NJ}")
    assert done.status_code == 303, done.text
    assert "id=\"kin-pending\"" not in desk.get(page).text

    assert _kin(fed, NJ, tb_kin_pending, "wang") == []
    assert _kin(fed, NJ, tb_kin, "wang") == [(f"mum@{NJ}", "parent"), (f"son@{SH}", "child")]
    with fed.nodes[NJ].db.read() as conn:
        assert has_guardian(conn, "wang")
    _gift_to_mum(fed, "gift-after")


def test_she_herself_cannot_confirm_and_a_second_confirm_is_not_found(
        fed: Federation) -> None:
    kin = fed.nodes[NJ].timebank.kin_pending
    with pytest.raises(NodeError) as refused:
        kin.confirm(Principal(Role.MEMBER, "tok-wang", member_local_id="wang"), "wang",
                    f"mum@{NJ}")
    assert refused.value.code is ErrorCode.FORBIDDEN
    with pytest.raises(NodeError) as gone:
        kin.confirm(ADMIN, "wang", "nobody@sh-pudong")
    assert gone.value.code is ErrorCode.KIN_PENDING_NOT_FOUND


def test_a_node_whose_policy_needs_no_kin_keeps_none(fed: Federation) -> None:
    assert _kin(fed, BJ, tb_kin, "zhou") == []
    assert _kin(fed, BJ, tb_kin_pending, "zhou") == []


def test_erasure_drops_her_pending_kin_and_keeps_the_confirmed_registry(
        fed: Federation) -> None:
    """Unvetted claims about her family go with her personal data; the confirmed registry (member
    addresses the policy's inheritance reads) stays (node/privacy/erasure.py)."""
    assert _kin(fed, NJ, tb_kin_pending, "li") == [(f"mum@{NJ}", "parent")]
    held = fed.nodes[NJ].privacy.erase(ADMIN, "li", reason="her written request")
    assert "pending_kin" in held["erased"], held
    assert _kin(fed, NJ, tb_kin_pending, "li") == []
    assert _kin(fed, NJ, tb_kin, "li") == [(f"son@{SH}", "child")]
    with pytest.raises(NodeError) as gone:  # nothing left for staff to confirm into her record
        fed.nodes[NJ].timebank.kin_pending.confirm(ADMIN, "li", f"mum@{NJ}")
    assert gone.value.code is ErrorCode.KIN_PENDING_NOT_FOUND
