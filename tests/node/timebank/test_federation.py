"""The policy's transfer rules at the debtor's node for gifts to other nodes, and donations to
another node's hardship pool over the ordinary cross-node transfer path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from node.api.app import create_app
from protocol.credit import CreditClass
from tests.factories import ADMIN, by_class, give_consent, grant
from tests.federation import Federation, audit
from tests.support import build_node, make_config

SH, NJ = "sh-pudong", "nj-gulou"
POLICIES = {SH: {"transfers": {"recipients": "direct_relatives"}}, NJ: {}}


class PolicyFederation(Federation):
    """Every node runs the policy document POLICIES names for it."""

    def _open(self, node_id: str, *, bootstrap: bool) -> None:
        data = self.tmp_path / node_id
        config = make_config(data, node_id)
        (data / "policy.json").write_text(json.dumps(POLICIES[node_id]), encoding="utf-8")
        config = config.model_copy(update={"policy_file": "policy.json"})
        node = build_node(config, self.clock, bootstrap=bootstrap,
                          transport=self.network.transport(node_id))
        self.nodes[node_id] = node
        self.network.apps[node_id] = create_app(node)


@pytest.fixture
def fed(tmp_path: Path) -> Iterator[Federation]:
    federation = PolicyFederation(tmp_path, [SH, NJ], members=2, grant_minutes=600)
    yield federation
    federation.close()


def test_a_gift_to_another_city_needs_a_registered_direct_relative(fed: Federation) -> None:
    refused = fed.send(f"m0@{SH}", f"m1@{NJ}", 60, transfer_id="gift-1")
    assert refused.status_code == 422 and refused.json()["code"] == "recipient_not_allowed"
    people = fed.nodes[SH].timebank.people
    people.add_kin(ADMIN, "m0", relative=f"m1@{NJ}", relation="friend")
    again = fed.send(f"m0@{SH}", f"m1@{NJ}", 60, transfer_id="gift-1")
    assert again.status_code == 422, "a friend is not a direct relative"

    fed.nodes[SH].members.create(ADMIN, local_id="m2", display_name="M2", station=None,
                                 birth_year=None)
    people.add_kin(ADMIN, "m2", relative=f"m1@{NJ}", relation="parent")
    give_consent(fed.nodes[SH], "m2", "cross_node_gifts")  # the admin sends it for her
    grant(fed.nodes[SH], "m2", 120)
    made = fed.send(f"m2@{SH}", f"m1@{NJ}", 60, transfer_id="gift-2")
    assert made.status_code == 201, made.text
    fed.settle()
    assert fed.transfer(SH, "gift-2")["state"] == "committed"
    assert fed.balance(f"m1@{NJ}") == 660
    audit(fed)


def test_a_donation_reaches_another_nodes_hardship_pool(fed: Federation) -> None:
    sh = fed.nodes[SH]
    grant(sh, "m0", 90, credit_class=CreditClass.GROUP_EARNED)
    made = fed.call(SH, "POST", "/api/v1/donations", {
        "id": "don-1", "member": "m0", "amount_minutes": 90, "to_node": NJ,
        "reason": "flood relief"})
    assert made.status_code == 201, made.text
    assert made.json()["transfer_id"] == "don-1"
    fed.settle()
    transfer = fed.transfer(SH, "don-1")
    assert transfer["state"] == "committed" and transfer["credit_class"] == "group_earned"
    assert by_class(fed.nodes[NJ], "hardship-pool") == {"group_earned": 90}
    assert by_class(sh, "m0") == {"granted": 600}  # group-earned hours went first
    pool = fed.call(NJ, "GET", "/api/v1/pool").json()
    assert pool["available_minutes"] == 90
    # The receiving node's staff give the pool's hours to a member as donated hours.
    given = fed.nodes[NJ].timebank.donations.distribute(
        ADMIN, distribution_id="pd-1", member="m0", amount_minutes=60, reason="winter")
    assert given[1] and by_class(fed.nodes[NJ], "m0") == {"donated": 60, "granted": 600}
    audit(fed)
