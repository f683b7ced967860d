"""The demo federation's people and hours, and how they go into a node over its HTTP API.

Three city nodes, their members, grants and gifts, and one clearing hub with none of them: the
hub only passes hours on between cities that have no link of their own (scripts/demo_directory.py
signs the link map). Every grant and transfer has a fixed id, so seeding twice replays instead of
adding hours twice. Names and stations are made up; region codes are the real GB/T 2260 codes of
the districts (the hub's, Shanghai's, where it would run).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from demo_rules import record_people


class SeedError(Exception):
    """A node refused demo data or a balance: the message says which and why."""


@dataclass(frozen=True)
class Member:
    local_id: str
    name: str
    kind: str  # "elder" or "volunteer": for people reading the table only
    birth_year: int
    station: str | None


@dataclass(frozen=True)
class Site:
    node_id: str
    name: str
    region: str
    station: str | None  # the service station whose staff get the demo staff token
    member_token_for: str | None
    members: tuple[Member, ...]
    grants: tuple[tuple[str, str, int, str, str], ...]  # id, member, minutes, class, reason
    transfers: tuple[tuple[str, str, str, int, str], ...]  # id, from, to, minutes, memo

    @property
    def hub(self) -> bool:
        """A clearing hub: no station, no members, only operators' tokens."""
        return self.station is None


SITES = (
    Site("sh-pudong", "Shanghai Pudong 浦东新区", "310115", "lujiazui", "zhou-min", (
        Member("wang-guifang", "王桂芳 Wang Guifang", "elder", 1938, "lujiazui"),
        Member("chen-jianguo", "陈建国 Chen Jianguo", "elder", 1944, "lujiazui"),
        Member("zhou-min", "周敏 Zhou Min", "volunteer", 1967, "lujiazui"),
        Member("liu-yang", "刘洋 Liu Yang", "volunteer", 1992, None),
    ), (
        ("demo-sh-g1", "zhou-min", 1800, "earned", "home visits and meal delivery, 30 h"),
        ("demo-sh-g2", "liu-yang", 720, "earned", "accompanied hospital visits, 12 h"),
        ("demo-sh-g3", "wang-guifang", 600, "granted", "vetted: lives alone, low income"),
        ("demo-sh-g4", "chen-jianguo", 480, "sponsored", "Lujiazui community foundation"),
    ), (
        ("demo-sh-t1", "zhou-min", "wang-guifang", 120, "gift: help with the shopping"),
    )),
    Site("nj-gulou", "Nanjing Gulou 鼓楼区", "320106", "hunanlu", "wu-jing", (
        Member("sun-xiulan", "孙秀兰 Sun Xiulan", "elder", 1940, "hunanlu"),
        Member("zhao-lei", "赵磊 Zhao Lei", "volunteer", 1979, "hunanlu"),
        Member("wu-jing", "吴静 Wu Jing", "volunteer", 1985, None),
    ), (
        ("demo-nj-g1", "zhao-lei", 1500, "earned", "day-care centre volunteering, 25 h"),
        ("demo-nj-g2", "wu-jing", 900, "earned", "companionship phone calls, 15 h"),
        ("demo-nj-g3", "sun-xiulan", 360, "granted", "vetted: disability, lives alone"),
    ), (
        ("demo-nj-t1", "wu-jing", "sun-xiulan", 240, "gift: weekly cleaning"),
    )),
    Site("bj-chaoyang", "Beijing Chaoyang 朝阳区", "110105", "jinsong", "ma-hui", (
        Member("li-shufen", "李淑芬 Li Shufen", "elder", 1936, "jinsong"),
        Member("ma-hui", "马辉 Ma Hui", "volunteer", 1962, "jinsong"),  # gives from 60 in Beijing
        Member("he-xiaoyu", "何晓雨 He Xiaoyu", "volunteer", 2001, None),
    ), (
        ("demo-bj-g1", "ma-hui", 1200, "earned", "escort to health check-ups, 20 h"),
        ("demo-bj-g2", "he-xiaoyu", 540, "earned", "smartphone lessons for seniors, 9 h"),
        ("demo-bj-g3", "li-shufen", 600, "sponsored", "Chaoyang district elder-care fund"),
        ("demo-bj-g4", "li-shufen", 300, "granted", "vetted: over 85, lives alone"),
    ), (
        ("demo-bj-t1", "ma-hui", "li-shufen", 180, "gift: Spring Festival visit"),
    )),
    # Last, so an older demo folder's three nodes keep their ports and the hub takes the next.
    Site("yrd-hub", "长三角清算枢纽 Yangtze Delta clearing hub", "310000", None, None, (), (), ()),
)
HUB = SITES[-1].node_id


# Each site's station, registered before its members (a node with stations refuses members of
# an unregistered one), and one console login for its staff: (name, address, district code).
STATIONS = {
    "lujiazui": ("陆家嘴服务站", "浦东新区陆家嘴环路 1000 号", "310115"),
    "hunanlu": ("湖南路服务站", "鼓楼区湖南路 10 号", "320106"),
    "jinsong": ("劲松服务站", "朝阳区劲松路 8 号", "110105"),
}
DEMO_STAFF_PASSWORD = "Demo-Station-2026"  # demo only: printed by scripts/up


def staff_username(site: Site) -> str:
    assert site.station is not None, f"{site.node_id} has no station"
    return f"{site.station}.desk"


def expected_balances(site: Site) -> dict[str, int]:
    """What every demo member holds after seeding: grants in, transfers out and in."""
    held = {member.local_id: 0 for member in site.members}
    for _, member, minutes, _, _ in site.grants:
        held[member] += minutes
    for _, debtor, creditor, minutes, _ in site.transfers:
        held[debtor] -= minutes
        held[creditor] += minutes
    return held


def post(http: httpx.Client, path: str, body: dict[str, Any], exists_code: str = "") -> None:
    reply = http.post(path, json=body)
    # 201 created, 200 an identical retry; for members, "exists" is the replay answer.
    if reply.status_code in (200, 201):
        return
    if reply.status_code == 409 and exists_code and reply.json().get("code") == exists_code:
        return
    raise SeedError(f"POST {path} {body.get('id') or body.get('local_id')}: "
                    f"{reply.status_code} {reply.text}")


# Consents the demo members gave on paper, recorded before the story's flows that need them: the
# story sends Liu Yang's and Wu Jing's gifts to other cities with the admin token
# (cross_node_gifts, node/services/transfers.py).
DEMO_CONSENTS: dict[str, tuple[tuple[str, str], ...]] = {
    "sh-pudong": (("liu-yang", "cross_node_gifts"),),
    "nj-gulou": (("wu-jing", "cross_node_gifts"),),
}


def seed(site: Site, url: str, admin_token: str) -> None:
    """Put the site's demo data into its node over the API; a repeat changes nothing."""
    if site.hub:
        return  # a hub holds no members: nothing to seed
    assert site.station is not None
    with httpx.Client(base_url=url, timeout=10,
                      headers={"Authorization": f"Bearer {admin_token}"}) as http:
        name, address, district = STATIONS[site.station]
        post(http, "/api/v1/stations", {"id": site.station, "name": name, "address": address,
                                        "district_code": district}, exists_code="station_exists")
        post(http, "/api/v1/staff-accounts", {
            "username": staff_username(site), "role": "staff", "station": site.station,
            "password": DEMO_STAFF_PASSWORD}, exists_code="staff_account_exists")
        for m in site.members:
            post(http, "/api/v1/members", {"local_id": m.local_id, "display_name": m.name,
                                           "station": m.station, "birth_year": m.birth_year},
                 exists_code="member_exists")
        for local_id, purpose in DEMO_CONSENTS.get(site.node_id, ()):
            reply = http.put(f"/api/v1/members/{local_id}/consents/{purpose}",
                             json={"given": True})
            if reply.status_code != 200:
                raise SeedError(f"PUT consent {purpose} of {local_id}: {reply.status_code} "
                                f"{reply.text}")
        refused = record_people(http, site.node_id)  # vetting and kin the city's rules need
        if refused:
            raise SeedError("; ".join(refused))
        for grant_id, member, minutes, credit_class, reason in site.grants:
            post(http, "/api/v1/grants", {"id": grant_id, "member": member, "reason": reason,
                                          "amount_minutes": minutes, "credit_class": credit_class})
        for transfer_id, debtor, creditor, minutes, memo in site.transfers:
            post(http, "/api/v1/transfers", {"id": transfer_id, "from": debtor, "to": creditor,
                                             "amount_minutes": minutes, "memo": memo})


def balances(site: Site, url: str, token: str) -> dict[str, dict[str, Any]]:
    """Each demo member's balance as the API reports it, by local id."""
    with httpx.Client(base_url=url, timeout=10,
                      headers={"Authorization": f"Bearer {token}"}) as http:
        replies = {m.local_id: http.get(f"/api/v1/members/{m.local_id}/balance")
                   for m in site.members}
    for local_id, reply in replies.items():
        if reply.status_code != 200:
            raise SeedError(f"balance of {local_id}@{site.node_id}: {reply.status_code}")
    return {local_id: reply.json() for local_id, reply in replies.items()}
