"""Settlement figures (node/reports/settlement.py) on small hand-computed federations: a pure hub
of three spokes, a hub owed on one link and owing on another, links whose two sides disagree,
and a federation without a link map."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.reports.settlement import hub_degrees, section
from protocol.directory import decode_directory
from protocol.links import LinkMap, decode_links, sign_links
from tests.support import AUTHORITY, START_MS, directory_document

HUB, A, B, C = "js-hub", "sh-pudong", "nj-gulou", "zj-jiaxing"


def link_map(pairs: list[tuple[str, str]]) -> LinkMap:
    directory = decode_directory(directory_document([HUB, A, B, C]))
    ordered = sorted(tuple(sorted(pair)) for pair in pairs)
    body = {"hops_max": 2, "links": [{"a": a, "b": b, "a_cap_minutes": 600,
                                      "b_cap_minutes": 600} for a, b in ordered]}
    return decode_links(sign_links(body, authority=AUTHORITY, directory=directory, serial=1,
                                   issued_at_ms=START_MS))


def rows(*owed: tuple[str, str, int]) -> list[dict[str, Any]]:
    """Position rows of links whose two sides agree: (creditor, debtor, minutes)."""
    found = []
    for creditor, debtor, minutes in owed:
        found.append({"node": creditor, "peer": debtor, "closing_position_minutes": minutes})
        found.append({"node": debtor, "peer": creditor, "closing_position_minutes": -minutes})
    return found


def test_a_pure_hub_of_three_spokes_replaces_half_its_gross() -> None:
    # A paid B 10, B paid C 4 and C paid A 3, all through the hub: A owes it 10 − 3 = 7, it owes
    # B 10 − 4 = 6 and C 4 − 3 = 1. It only forwards: its net is 0.
    positions = rows((HUB, A, 7), (B, HUB, 6), (C, HUB, 1))
    found = section(positions, link_map([(HUB, A), (HUB, B), (HUB, C)]))
    assert found["hubs"] == [{"node": HUB, "links": 3, "owed_minutes": 7, "owing_minutes": 7,
                              "gross_minutes": 14, "net_minutes": 0, "replaced_minutes": 7}]
    # Settled link by link 7 + 6 + 1 = 14 minutes move; by nets only B's 6 and C's 1.
    assert found["totals"] == {"gross_minutes": 14, "multilateral_minutes": 7,
                               "replaced_minutes": 7}


def test_a_hub_owed_on_one_link_and_owing_on_another_nets_the_smaller() -> None:
    # The hub holds members too: A owes it 10, it owes B 4 (its net is +6). B also has a link
    # to C, who owes it 5: with two links B is a hub too, owed on both (it replaces nothing).
    positions = rows((HUB, A, 10), (B, HUB, 4), (B, C, 5))
    found = section(positions, link_map([(HUB, A), (HUB, B), (B, C)]))
    assert found["hubs"] == [
        {"node": HUB, "links": 2, "owed_minutes": 10, "owing_minutes": 4, "gross_minutes": 14,
         "net_minutes": 6, "replaced_minutes": 4},
        {"node": B, "links": 2, "owed_minutes": 9, "owing_minutes": 0, "gross_minutes": 9,
         "net_minutes": 9, "replaced_minutes": 0}]
    # Gross 10 + 4 + 5 = 19; nets: hub +6, B +9, A −10, C −5, so 15 move multilaterally.
    assert found["totals"] == {"gross_minutes": 19, "multilateral_minutes": 15,
                               "replaced_minutes": 4}


def test_without_a_link_map_there_are_no_hubs_but_the_totals_stand() -> None:
    positions = rows((A, B, 5), (B, C, 5))
    assert section(positions, None) == {
        "hubs": [], "totals": {"gross_minutes": 10, "multilateral_minutes": 5,
                               "replaced_minutes": 5}}
    assert section([], None)["totals"] == {"gross_minutes": 0, "multilateral_minutes": 0,
                                           "replaced_minutes": 0}


def test_a_hub_whose_report_is_missing_shows_zero_and_a_spoke_is_no_hub() -> None:
    assert hub_degrees(link_map([(HUB, A), (HUB, B)])) == {HUB: 2}
    found = section(rows((A, B, 3)), link_map([(HUB, A), (HUB, B)]))
    assert found["hubs"][0]["gross_minutes"] == 0


def test_two_sides_that_disagree_count_each_creditors_claim() -> None:
    # On the link A–B, A states B owes it 30, B states it owes A 300 (a disputed link): each
    # side's own row enters its own net and the gross takes only positive rows.
    positions = [{"node": A, "peer": B, "closing_position_minutes": 30},
                 {"node": B, "peer": A, "closing_position_minutes": -300}]
    assert section(positions, None)["totals"] == {"gross_minutes": 30,
                                                  "multilateral_minutes": 30,
                                                  "replaced_minutes": 0}


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(st.sampled_from([HUB, A, B, C]), st.sampled_from([HUB, A, B, C]),
                          st.integers(-10_000, 10_000)), max_size=12))
def test_replaced_is_never_negative_nor_more_than_the_gross(
        found: list[tuple[str, str, int]]) -> None:
    positions = [{"node": n, "peer": p, "closing_position_minutes": m} for n, p, m in found
                 if n != p]
    totals = section(positions, None)["totals"]
    assert 0 <= totals["replaced_minutes"] <= totals["gross_minutes"]
    assert totals["gross_minutes"] - totals["replaced_minutes"] == \
        totals["multilateral_minutes"]
