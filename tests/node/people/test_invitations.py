"""Staff invite a member; the code is shown once, single-use, expiring, and the newest voids the
older ones. Every bad code gets the same answer."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from urllib.parse import parse_qs, urlsplit

from sqlalchemy import select

from node.access import Role
from node.db.schema import member_credentials, member_invitations, tb_audit
from node.people.invitations import INVITATION_TTL_MS
from tests.node.api.support import assert_problem, writes_nothing
from tests.node.people.support import ALICE_PIN, Family

REFUSED = "activation_refused"


def test_staff_invite_and_the_member_activates(family: Family) -> None:
    invitation = family.invite("alice")
    assert invitation["member"] == "alice"
    assert invitation["expires_at_ms"] == family.clock.now_ms() + INVITATION_TTL_MS
    path = urlsplit(invitation["activation_path"])
    assert path.path == "/me/activate"
    assert parse_qs(path.query)["code"] == [invitation["code"]]
    assert invitation["activation_url"] == "http://sh-pudong.test" + invitation["activation_path"]
    svg = ET.fromstring(invitation["qr_svg"])
    assert svg.tag == "{http://www.w3.org/2000/svg}svg"
    assert svg.find("{http://www.w3.org/2000/svg}path") is not None

    activated = family.activate(invitation["code"], ALICE_PIN)
    assert activated.status_code == 200, activated.text
    assert activated.json() == {"member": "alice"}
    assert family.signed_in("alice", ALICE_PIN) is not None


def test_the_code_and_the_pin_are_stored_only_as_hashes(family: Family) -> None:
    code = family.invite("alice")["code"]
    assert family.activate(code, ALICE_PIN).status_code == 200
    raw = code.replace("-", "")
    with family.node.db.read() as conn:
        stored = [str(value) for table in (member_invitations, member_credentials, tb_audit)
                  for row in conn.execute(select(table)) for value in row]
        secret_hash = conn.execute(select(member_credentials.c.secret_hash)).scalar_one()
    assert not any(code in value or raw in value or ALICE_PIN in value for value in stored)
    assert secret_hash.startswith("$argon2id$")


def test_a_code_works_once(family: Family) -> None:
    code = family.invite("alice")["code"]
    assert family.activate(code, ALICE_PIN).status_code == 200
    with writes_nothing(family.node):
        assert_problem(family.activate(code, "905817"), 422, REFUSED)
    # The first PIN still stands.
    assert family.phone().sign_in("alice", ALICE_PIN).status_code == 201


def test_a_code_expires(family: Family) -> None:
    code = family.invite("alice")["code"]
    family.clock.advance(INVITATION_TTL_MS)
    with writes_nothing(family.node):
        assert_problem(family.activate(code, ALICE_PIN), 422, REFUSED)


def test_a_new_invitation_voids_the_older_one(family: Family) -> None:
    old = family.invite("alice")["code"]
    new = family.invite("alice")["code"]
    assert_problem(family.activate(old, ALICE_PIN), 422, REFUSED)
    assert family.activate(new, ALICE_PIN).status_code == 200


def test_unknown_used_and_expired_codes_get_one_answer(family: Family) -> None:
    used = family.invite("bob")["code"]
    assert family.activate(used, "905817").status_code == 200
    expired = family.invite("alice")["code"]
    family.clock.advance(INVITATION_TTL_MS)
    answers = {
        (r.status_code, r.json()["code"], r.json()["detail"])
        for r in (family.activate(code, ALICE_PIN)
                  for code in (used, expired, "AAAA-BBBB-CCCC", "not a code"))
    }
    assert len(answers) == 1
    assert answers.pop()[:2] == (422, REFUSED)


def test_a_deactivated_member_cannot_activate(family: Family) -> None:
    code = family.invite("alice")["code"]
    done = family.api.client.post("/api/v1/members/alice/deactivate", headers=family.east,
                                  json={"reason": "moved to a care home"})
    assert done.status_code == 200
    assert_problem(family.activate(code, ALICE_PIN), 422, REFUSED)


def test_a_weak_pin_is_refused_before_the_code_is_used(family: Family) -> None:
    code = family.invite("alice")["code"]
    for weak in ("123456", "000000", "alice", "12345"):
        with writes_nothing(family.node):
            assert_problem(family.activate(code, weak), 422, "pin_too_weak")
    # A weak PIN with a wrong code says the same: the answer tells nothing of the code.
    assert_problem(family.activate("AAAA-BBBB-CCCC", "123456"), 422, "pin_too_weak")
    assert family.activate(code, ALICE_PIN).status_code == 200


def test_staff_of_another_station_members_and_regulators_cannot_invite(family: Family) -> None:
    api = family.api
    member = api.headers(api.token("alice-token", Role.MEMBER, member_local_id="alice"))
    regulator = api.headers(api.token("reg", Role.REGULATOR))
    for headers in (family.west, member, regulator):
        with writes_nothing(family.node):
            refused = api.client.post("/api/v1/members/alice/invitations", headers=headers)
        assert_problem(refused, 403, "forbidden")
    assert family.invite("sam", family.west)["member"] == "sam"


def test_nobody_is_invited_to_sign_in_as_the_pool(family: Family) -> None:
    refused = family.api.client.post("/api/v1/members/hardship-pool/invitations",
                                     headers=family.api.admin)
    assert_problem(refused, 409, "local_id_reserved")


def test_activation_is_audited(family: Family) -> None:
    invitation = family.invite("alice")
    family.activate(invitation["code"], ALICE_PIN)
    status = family.api.client.get("/api/v1/members/alice/credential", headers=family.east)
    assert status.status_code == 200
    body = status.json()
    assert body["has_pin"] is True and body["invitation_expires_at_ms"] is None
    assert [event["action"] for event in body["events"]] == ["credential_activated",
                                                             "invitation_created"]
    assert body["events"][1]["actor"].startswith("staff:east:")
