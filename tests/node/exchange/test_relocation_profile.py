"""A member profile that travels (standard §10.1, issue 14 item 2), between two real nodes: with
her consent the new node knows her name, birth year, station and kin on her first day, and her
age rules work at once; without it she arrives as her old address, unplaced. Neither node's
journal holds her name or birth year."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select

from node.access import Principal, Role
from node.api.app import create_app
from node.clock import FakeClock
from node.db.schema import journal_entries, out_transactions, relocations, stations, tb_kin
from node.errors import ErrorCode, RuleViolation
from node.exchange.arrivals import place_arrival
from node.timebank.eligibility import RELATIONS
from protocol.messages import decode_request
from protocol.messages.other import KinRelation, RelocationMessage
from tests.factories import ADMIN, grant
from tests.federation import Federation, audit
from tests.support import START_MS, build_node, make_config

SH, NJ = "sh-pudong", "nj-gulou"
NAME, BORN = "王秀英", 1947  # over the new node's redemption age of 60
# Her birth year as a number of its own: not four digits inside a hex id or hash, which a
# random one holds about once in 500 rows.
BORN_ALONE = re.compile(rf"(?<![0-9a-f]){BORN}(?![0-9a-f])")
# The old node lets members give hours only to registered kin, so their kin travel; the new
# node serves elders from 60.
POLICIES = {SH: {"transfers": {"recipients": "relatives_and_friends"}},
            NJ: {"redeemer": {"min_age": 60}}}


class PolicyFederation(Federation):
    """A federation whose nodes run the time-bank policies above."""

    def _open(self, node_id: str, *, bootstrap: bool) -> None:
        data = self.tmp_path / node_id
        config = make_config(data, node_id, self.database_urls.get(node_id, ""))
        if node_id in POLICIES:
            data.mkdir(parents=True, exist_ok=True)
            (data / "policy.json").write_text(json.dumps(POLICIES[node_id]), encoding="utf-8")
            config = config.model_copy(update={"policy_file": "policy.json"})
        node = build_node(config, self.clock, bootstrap=bootstrap,
                          transport=self.network.transport(node_id))
        self.nodes[node_id] = node
        self.network.apps[node_id] = create_app(node)


@pytest.fixture(scope="module")
def fed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Federation]:
    """One federation for the module: wang moves with her profile, li without."""
    federation = PolicyFederation(tmp_path_factory.mktemp("profile"), [SH, NJ])
    sh = federation.nodes[SH]
    for local_id, name in (("wang", NAME), ("li", "李桂兰")):
        sh.members.create(ADMIN, local_id=local_id, display_name=name, station="pudong-1",
                          birth_year=BORN)
        grant(sh, local_id, 300)
    sh.members.create(ADMIN, local_id="son", display_name="王强", station="pudong-1",
                      birth_year=1975)
    people = sh.timebank.people
    people.add_kin(ADMIN, "wang", relative="son", relation="child")
    people.add_kin(ADMIN, "wang", relative=f"wang.fang@{NJ}", relation="grandchild")
    moved = relocate(federation, "wang", "rel-wang", "wang.sh", share_profile=True,
                     station="gulou-east")
    assert moved.status_code == 201, moved.text
    # Staff may not send li's profile: she never recorded her consent to share it.
    refused = relocate(federation, "li", "rel-li", "li.sh", consent=False, share_profile=True)
    assert refused.status_code == 422 and refused.json()["code"] == "consent_required"
    plain = relocate(federation, "li", "rel-li", "li.sh")
    assert plain.status_code == 201, plain.text
    federation.settle()
    yield federation
    audit(federation)
    federation.close()


def relocate(fed: Federation, local_id: str, relocation_id: str, new_local_id: str,
             consent: bool = True, **profile: Any) -> Any:
    """Staff move her; with her profile, her recorded consent to share it comes first."""
    if profile.get("share_profile") and consent:
        given = fed.call(SH, "PUT", f"/api/v1/members/{local_id}/consents/share_on_relocation",
                         {"given": True})
        assert given.status_code == 200, given.text
    return fed.call(SH, "POST", f"/api/v1/members/{local_id}/relocation",
                    {"id": relocation_id, "to_node": NJ, "new_local_id": new_local_id,
                     **profile})


def member(fed: Federation, node_id: str, local_id: str) -> dict[str, Any]:
    response = fed.call(node_id, "GET", f"/api/v1/members/{local_id}")
    assert response.status_code == 200, response.text
    return dict(response.json())


def sent_prepare(fed: Federation, new_local_id: str) -> RelocationMessage:
    with fed.nodes[SH].db.read() as conn:
        documents = conn.execute(select(out_transactions.c.document)).scalars().all()
    for document in documents:
        for raw in json.loads(document)["messages"]:
            message = decode_request(raw)
            if (isinstance(message, RelocationMessage)
                    and message.body.new_local_id == new_local_id):
                return message
    raise AssertionError(f"no relocation.prepare for {new_local_id}")


def test_with_consent_she_arrives_named_placed_and_with_her_kin(fed: Federation) -> None:
    arrived = member(fed, NJ, "wang.sh")
    assert (arrived["display_name"], arrived["birth_year"], arrived["station"]) == (
        NAME, BORN, "gulou-east")
    with fed.nodes[NJ].db.read() as conn:
        kin = conn.execute(select(tb_kin.c.relative, tb_kin.c.relation, tb_kin.c.registered_by)
                           .where(tb_kin.c.member_local_id == "wang.sh")
                           .order_by(tb_kin.c.relative)).all()
    assert [tuple(row) for row in kin] == [(f"son@{SH}", "child", f"wang@{SH}"),
                                           (f"wang.fang@{NJ}", "grandchild", f"wang@{SH}")]
    body = sent_prepare(fed, "wang.sh").body
    profile = body.profile
    assert profile is not None and profile.consent_at_ms == body.created_at_ms
    view = fed.call(SH, "GET", "/api/v1/relocations/rel-wang").json()
    assert (view["state"], view["profile_shared"], view["arrival_station"]) == (
        "committed", True, "gulou-east")
    assert view["profile_consent_at_ms"] == profile.consent_at_ms


def test_without_consent_she_arrives_as_her_old_address_unplaced(fed: Federation) -> None:
    assert sent_prepare(fed, "li.sh").body.profile is None
    arrived = member(fed, NJ, "li.sh")
    assert (arrived["display_name"], arrived["birth_year"], arrived["station"]) == (
        f"li@{SH}", None, None)
    view = fed.call(SH, "GET", "/api/v1/relocations/rel-li").json()
    assert (view["profile_shared"], view["profile_consent_at_ms"]) == (False, None)
    unplaced = fed.nodes[NJ].member_edits.unplaced(ADMIN, after=None, limit=50)
    assert [record.local_id for record in unplaced] == ["li.sh"]  # wang.sh was placed


def test_her_age_rules_work_on_her_first_day(fed: Federation) -> None:
    requests = fed.nodes[NJ].timebank.requests
    for local_id in ("wang.sh", "li.sh"):
        assert member(fed, NJ, local_id)["status"] == "active"
    # li's birth year did not travel: the age rule cannot be applied to her (the contrast)
    with pytest.raises(RuleViolation) as refused:
        requests.post(Principal(Role.MEMBER, "tok-li", member_local_id="li.sh"),
                      request_id="need-li-1", recipient="li.sh", category="daily_living",
                      item=None, description="help at home")
    assert refused.value.code is ErrorCode.AGE_UNKNOWN
    posted, created = requests.post(
        Principal(Role.MEMBER, "tok-wang", member_local_id="wang.sh"), request_id="need-wang-1",
        recipient="wang.sh", category="daily_living", item=None, description="help at home")
    assert created and posted["recipient"] == "wang.sh"


def test_neither_journal_holds_her_name_or_birth_year(fed: Federation) -> None:
    for node_id in (SH, NJ):
        with fed.nodes[node_id].db.read() as conn:
            rows = conn.execute(select(journal_entries)).all()
        relocation_rows = [row for row in rows if row.kind.startswith("relocation")]
        assert relocation_rows, node_id
        for row in rows:
            text = " ".join(str(value) for value in (row.kind, row.ref, row.actor, row.memo))
            assert NAME not in text and not BORN_ALONE.search(text), (node_id, row)
            assert all(NAME not in str(value) for value in row), (node_id, row)
    with fed.nodes[SH].db.read() as conn:
        kept = conn.execute(select(relocations).where(relocations.c.id == "rel-wang")).one()
    assert NAME not in str(tuple(kept)) and not BORN_ALONE.search(str(tuple(kept)))


def test_a_station_travels_only_with_consent(fed: Federation) -> None:
    sh = fed.nodes[SH]
    sh.members.create(ADMIN, local_id="zhao", display_name="赵", station=None, birth_year=None)
    refused = relocate(fed, "zhao", "rel-zhao", "zhao.sh", station="gulou-east")
    assert (refused.status_code, refused.json()["code"]) == (422, "validation_failed")
    assert member(fed, SH, "zhao")["status"] == "active"


def test_placement_follows_the_station_registry(tmp_path: Path) -> None:
    node = build_node(make_config(tmp_path / NJ, NJ), FakeClock(START_MS), bootstrap=True)
    try:
        with node.db.write() as conn:
            assert place_arrival(conn, None) is None
            assert place_arrival(conn, "any-label") == "any-label"  # no registry: a label
            conn.execute(insert(stations).values(
                id="gulou-east", name="鼓楼东站", address="鼓楼区", district_code="320106",
                active=1, created_at_ms=0, updated_at_ms=0))
            assert place_arrival(conn, "gulou-east") == "gulou-east"
            assert place_arrival(conn, "any-label") is None  # queued for staff to place
    finally:
        node.close()


def test_the_standards_relations_are_the_kin_registrys() -> None:
    assert {relation.value for relation in KinRelation} == set(RELATIONS)
