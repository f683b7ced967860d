"""Each example programme's distinctive rule, enforced by the services of a node running it."""

from __future__ import annotations

import pytest

from node.clock import FakeClock
from node.errors import ErrorCode, RuleViolation
from protocol.credit import CreditClass
from tests.factories import ADMIN, balance, grant, transfer
from tests.node.timebank.conftest import SECOND_STAFF, STAFF, YEAR, PolicyNode, people, serve
from tests.node.timebank.support import assert_sound, pool


def test_shanghai_redemption_from_65_or_60_in_hardship(policy_node: PolicyNode) -> None:
    node = policy_node("shanghai-2026")
    people(node, ("at65", YEAR - 65), ("at64", YEAR - 64), ("at60", YEAR - 60),
           ("at59", YEAR - 59))
    post = node.timebank.requests.post

    def ask(recipient: str) -> None:
        post(STAFF, request_id=f"r-{recipient}", recipient=recipient, category="daily_living",
             item=None, description="meals")

    ask("at65")
    with pytest.raises(RuleViolation) as err:
        ask("at64")
    assert err.value.code == ErrorCode.NOT_ELIGIBLE and "65" in err.value.detail
    for local_id in ("at60", "at59"):
        node.timebank.people.vet(STAFF, local_id, hardship=True, subsidised=False,
                                 reason="lives alone, low income")
    ask("at60")
    with pytest.raises(RuleViolation) as err:
        ask("at59")
    assert "60 in hardship" in err.value.detail


def test_nanjing_balance_cap_of_1500_hours_overflow_donated(policy_node: PolicyNode,
                                                            clock: FakeClock) -> None:
    node = policy_node("nanjing-2019")
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "vol", 1_499 * 60, credit_class=CreditClass.EARNED)
    node.timebank.people.vet(STAFF, "gran", hardship=False, subsidised=True, reason="dibao")
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=120, clock=clock)
    done = node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    assert (done["credited_minutes"], done["overflow_minutes"]) == (60, 60)
    assert balance(node, "vol") == 90_000  # exactly 1,500 hours
    assert pool(node) == 60
    assert_sound(node)


def test_beijing_coins_and_gifts_to_direct_relatives_from_60(policy_node: PolicyNode) -> None:
    node = policy_node("beijing-2022")
    people(node, ("li", YEAR - 60), ("young", YEAR - 59), ("son", 1990), ("friend", 1970),
           ("grandson", 2000))
    for giver in ("li", "young"):
        grant(node, giver, 600)
    shown = node.members.balance(ADMIN, "li")
    assert shown["unit"] == {"name": "时间币 coin", "units": 1, "minutes": 60}
    assert shown["available_units"] == 10  # 1 h = 1 coin
    kin = node.timebank.people
    kin.add_kin(STAFF, "li", relative="son", relation="child")
    kin.add_kin(STAFF, "li", relative="friend", relation="friend")
    kin.add_kin(STAFF, "young", relative="grandson", relation="grandchild")
    transfer(node, "li", "son", 60)
    with pytest.raises(RuleViolation) as err:
        transfer(node, "li", "friend", 60)
    assert err.value.code == ErrorCode.RECIPIENT_NOT_ALLOWED
    with pytest.raises(RuleViolation) as err:
        transfer(node, "young", "grandson", 60)
    assert err.value.code == ErrorCode.NOT_ELIGIBLE and "from age 60" in err.value.detail
    assert balance(node, "son") == 60 and balance(node, "friend") == 0


def test_chengdu_prices_per_item_and_refuses_goods(policy_node: PolicyNode,
                                                  clock: FakeClock) -> None:
    node = policy_node("chengdu-pidu")
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 300)
    done = serve(node, "r1", recipient="gran", volunteer="vol", minutes=55, clock=clock,
                 category=None, item="haircut")
    assert (done["duration_minutes"], done["price_minutes"]) == (55, 30)  # the item's price
    assert done["category"] == "daily_living"
    with pytest.raises(RuleViolation) as err:
        node.timebank.requests.post(STAFF, request_id="r2", recipient="gran",
                                    category="daily_living", item=None, description="")
    assert err.value.code == ErrorCode.ITEM_UNKNOWN
    with pytest.raises(RuleViolation) as err:
        node.timebank.goods.redeem(STAFF, redemption_id="g1", member="gran", goods="rice_5kg",
                                   quantity=1)
    assert err.value.code == ErrorCode.GOODS_NOT_ALLOWED


def test_guangzhou_prices_per_task_and_exchanges_goods(policy_node: PolicyNode,
                                                      clock: FakeClock) -> None:
    node = policy_node("guangzhou-nansha")
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 600)
    grant(node, "gran", 6_000, credit_class=CreditClass.EARNED)  # the 100 hours she served
    done = serve(node, "r1", recipient="gran", volunteer="vol", minutes=200, clock=clock,
                 category=None, item="hospital_escort")
    assert done["price_minutes"] == 120
    record, created = node.timebank.goods.redeem(STAFF, redemption_id="g1", member="gran",
                                                 goods="rice_5kg", quantity=2)
    assert created and record["amount_minutes"] == 240
    assert balance(node, "gran") == 6_600 - 120 - 240
    again, created = node.timebank.goods.redeem(STAFF, redemption_id="g1", member="gran",
                                                goods="rice_5kg", quantity=2)
    assert not created and again == record
    assert_sound(node)


@pytest.mark.parametrize(("minutes", "recorded"), [(14, 0), (15, 30), (44, 30), (45, 60),
                                                   (90, 90)])
def test_ruian_records_half_hours(policy_node: PolicyNode, clock: FakeClock, minutes: int,
                                  recorded: int) -> None:
    node = policy_node("ruian")
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 300)
    done = serve(node, "r1", recipient="gran", volunteer="vol", minutes=minutes, clock=clock)
    assert (done["rounded_minutes"], done["price_minutes"]) == (recorded, recorded)
    assert done["held_minutes"] == recorded


def test_guangzhou_first_redemption_after_100_hours_served(policy_node: PolicyNode,
                                                          clock: FakeClock) -> None:
    """The redeem_min_balance rule: 100 earned hours banked before the first redemption of
    goods or services; after it, the rule no longer applies."""
    node = policy_node("guangzhou-nansha")
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 6_000)  # granted hours are not hours she served
    grant(node, "gran", 5_999, credit_class=CreditClass.EARNED)
    redeem = node.timebank.goods.redeem
    with pytest.raises(RuleViolation) as err:
        redeem(STAFF, redemption_id="g1", member="gran", goods="rice_5kg", quantity=1)
    assert err.value.code == ErrorCode.REDEEM_MIN_BALANCE_NOT_MET
    assert "6000" in err.value.detail and "5999" in err.value.detail
    assert node.timebank.goods.refusal(STAFF, "gran") == ErrorCode.REDEEM_MIN_BALANCE_NOT_MET
    with pytest.raises(RuleViolation) as err:
        node.timebank.requests.post(STAFF, request_id="r0", recipient="gran", category=None,
                                    item="companionship", description="")
    assert err.value.code == ErrorCode.REDEEM_MIN_BALANCE_NOT_MET
    grant(node, "gran", 1, credit_class=CreditClass.EARNED)
    assert node.timebank.goods.refusal(STAFF, "gran") is None
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=60, clock=clock,
          category=None, item="companionship")  # the first redemption: her hours are held
    transfer(node, "gran", "vol", 11_000)  # her earned minutes fall to 940, below 6,000
    record, created = redeem(STAFF, redemption_id="g2", member="gran", goods="rice_5kg",
                             quantity=1)
    assert created and record["amount_minutes"] == 120
    assert_sound(node)


def test_guangzhou_caps_balances_at_1500_points(policy_node: PolicyNode,
                                               clock: FakeClock) -> None:
    node = policy_node("guangzhou-nansha")
    people(node, ("gran", 1940), ("vol", 1990))
    grant(node, "gran", 6_000, credit_class=CreditClass.EARNED)
    grant(node, "vol", 1_499 * 60, credit_class=CreditClass.EARNED)
    serve(node, "r1", recipient="gran", volunteer="vol", minutes=130, clock=clock,
          category=None, item="hospital_escort")
    done = node.timebank.requests.confirm(SECOND_STAFF, "r1", rating=5, comment="")
    assert (done["credited_minutes"], done["overflow_minutes"]) == (60, 60)
    assert balance(node, "vol") == 90_000 and pool(node) == 60


def test_beijing_students_under_18_serve_with_a_guardian(policy_node: PolicyNode) -> None:
    node = policy_node("beijing-2022")
    people(node, ("gran", 1940), ("pupil", YEAR - 15), ("child", YEAR - 13), ("mum", 1985))
    grant(node, "gran", 600)
    requests = node.timebank.requests
    for request_id in ("r1", "r2"):
        requests.post(STAFF, request_id=request_id, recipient="gran", category="health",
                      item=None, description="")
    with pytest.raises(RuleViolation) as err:
        requests.accept(STAFF, "r1", volunteer="pupil")
    assert err.value.code == ErrorCode.NOT_ELIGIBLE and "guardian" in err.value.detail
    node.timebank.people.add_kin(STAFF, "pupil", relative="mum", relation="parent")
    node.timebank.people.add_kin(STAFF, "child", relative="mum", relation="parent")
    assert requests.accept(STAFF, "r1", volunteer="pupil")["state"] == "accepted"
    with pytest.raises(RuleViolation) as err:  # 13: below the guardian age of 14
        requests.accept(STAFF, "r2", volunteer="child")
    assert "at least 18" in err.value.detail
