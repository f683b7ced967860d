"""Her profile on the move pages (/me/move, issue 14 item 2): a box she ticks, said plainly in
Chinese first, to give her name, birth year and a station she names to the new city; without
it the pages say she gives her details at the new station. The relocation records her choice."""

from __future__ import annotations

from typing import Any

from tests.node.centre.conftest import PEER, Home
from tests.node.centre.test_home import text_of
from tests.node.centre.test_move import CHECK, confirm_form
from tests.node.people.support import ALICE_PIN


def relocation(home: Home, relocation_id: str) -> dict[str, Any]:
    got = home.api.client.get(f"/api/v1/relocations/{relocation_id}", headers=home.api.admin)
    assert got.status_code == 200, got.text
    return dict(got.json())


def test_shared_her_choice_and_station_travel_with_the_move(home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    check = f"{CHECK}&share_profile=1&station=%20Gulou-East%20"
    words = text_of(phone.get(check).text)
    assert f"{PEER} 的时间银行会收到您的姓名、出生年份和您选的服务站" in words
    assert "您选的服务站：gulou-east" in words
    fields = confirm_form(phone, check)
    assert (fields["share_profile"], fields["station"]) == ("1", "gulou-east")
    answer = phone.client.post("/me/move", data=fields)
    assert answer.status_code == 303, answer.text
    assert "请带上身份证" not in text_of(phone.get(answer.headers["location"]).text)
    record = relocation(home, fields["id"])
    assert (record["profile_shared"], record["arrival_station"]) == (True, "gulou-east")
    assert record["profile_consent_at_ms"] == record["created_at_ms"]


def test_asked_plainly_a_station_needs_the_box_and_unshared_she_registers_there(
        home: Home) -> None:
    phone = home.signed_in("alice", ALICE_PIN)
    words = text_of(phone.get("/me/move").text)
    assert "我同意把我的姓名、出生年份和下面填的服务站告诉新城市的时间银行。" in words
    assert "只告诉您要迁去的那个城市的时间银行，不给别人。" in words
    assert "新城市的服务站（可以不填）" in words
    # a station without the box is a field to fill again: it travels only in her profile
    answer = phone.get(f"{CHECK}&station=gulou-east")
    assert answer.status_code == 422 and "新城市的服务站" in answer.text
    refused = phone.client.post("/me/move", data=confirm_form(phone) | {"station": "gulou-east"})
    assert refused.status_code == 422 and 'data-code="validation_failed"' in refused.text
    assert "请带上身份证到" in text_of(phone.get(CHECK).text)
    fields = confirm_form(phone)
    assert "share_profile" not in fields and "station" not in fields
    answer = phone.client.post("/me/move", data=fields)
    assert "请带上身份证到" in text_of(phone.get(answer.headers["location"]).text)
    record = relocation(home, fields["id"])
    assert (record["profile_shared"], record["arrival_station"]) == (False, None)
