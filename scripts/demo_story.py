"""The demo's story, run over the nodes' HTTP APIs after seeding (./scripts/up prints it).

 1. Liu Yang, a volunteer in Shanghai, gives three of his hours to his mother Sun Xiulan in
    Nanjing: a transfer from sh-pudong to nj-gulou, committed on both sides. The two cities have
    no link of their own: it travels through the clearing hub yrd-hub, which keeps none of it.
 2. Sun Xiulan spends two of them in Nanjing on a real service visit: Zhao Lei, a Nanjing
    volunteer, takes her request to clean her flat, the station records his paper slip, and the
    station's staff confirms it with a rating: her hours pay him (redemption, earned).
 3. In Beijing, He Xiaoyu's smartphone lesson for Li Shufen is cut short: she complains, the
    payment stays frozen, and the station settles the dispute by paying half.
 4. Chen Jianguo moves from Shanghai to his daughter in Beijing and takes his whole account
    along: a relocation from sh-pudong to bj-chaoyang.
 5. Wu Jing in Nanjing, his granddaughter, who has his old address, sends him half an hour
    (through the hub again): Shanghai refuses it and names his new address, and Nanjing shows
    that to her.
 6. The day closes: each link settles a window, signed by both ends; the hub's windows with the
    two cities are equal and opposite, so it kept nothing.

The nodes run their cities' example policies (scripts/demo_rules.py), so each step also passes
that city's rules: who may give to whom, from what age, who may be served.

Every step has a fixed id, so a second run replays it (and says so) instead of moving hours twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from demo_visits import Visit, VisitFailed, run_visit
from rich.console import Console

SETTLE_WAIT_S = 30.0
POLL_S = 0.1
# A 503 with Retry-After (a node that has just started and not yet read its peers' node_info,
# say) is asked again as a client should, this many times at most.
BUSY_RETRIES_MAX = 10
FIRST_STEP = ("sh-pudong", "story-1-gift")
HUB = "yrd-hub"
# The story's two visits: one confirmed with a rating, one complained about and half paid.
CLEANING = Visit("story-2-cleaning", "sun-xiulan", "zhao-lei", "daily_living",
                 "clean the flat", slip_minutes=120, slip_reference="NJ-HNL-0001", rating=5)
LESSON = Visit("story-3-lesson", "li-shufen", "he-xiaoyu", "education_recreation",
               "smartphone lesson: video calls", slip_minutes=60, slip_reference="BJ-JS-0001",
               complaint="the lesson ended after twenty minutes", released_minutes=30)
# What the story does to the seeded balances, by address (Chen Jianguo takes all 480 along).
STORY_DELTAS = {
    "liu-yang@sh-pudong": -180,
    "sun-xiulan@nj-gulou": 180 - 120,
    "zhao-lei@nj-gulou": 120,
    "li-shufen@bj-chaoyang": -30,
    "he-xiaoyu@bj-chaoyang": 30,
    "chen-jianguo@sh-pudong": -480,
}


class StoryError(Exception):
    """A step did not end as the story says: the message shows what the node answered."""


@dataclass(frozen=True)
class Node:
    node_id: str
    url: str
    admin_token: str
    staff_token: str = ""  # the station's staff: the second person who approves a payment

    def client(self, token: str = "") -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=10,
                            headers={"Authorization": f"Bearer {token or self.admin_token}"})


def _minutes(value: int) -> str:
    sign = "-" if value < 0 else ""
    value = abs(value)
    return f"{sign}{value // 60} h {value % 60:02d} min"


def _post(node: Node, path: str, body: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """(the record, whether this run made it) — an identical earlier request is replayed."""
    with node.client() as http:
        reply = http.post(path, json=body)
        for _ in range(BUSY_RETRIES_MAX):
            if reply.status_code != 503 or "Retry-After" not in reply.headers:
                break
            time.sleep(min(float(reply.headers["Retry-After"]), SETTLE_WAIT_S))
            reply = http.post(path, json=body)  # the same id: never made twice
    if reply.status_code not in (200, 201):
        raise StoryError(f"POST {node.node_id}{path}: {reply.status_code} {reply.text}")
    return reply.json(), reply.status_code == 201


def _get(node: Node, path: str) -> dict[str, Any]:
    with node.client() as http:
        reply = http.get(path)
    if reply.status_code != 200:
        raise StoryError(f"GET {node.node_id}{path}: {reply.status_code} {reply.text}")
    return dict(reply.json())


def _wait(what: str, read: Callable[[], dict[str, Any]], done: Callable[[dict[str, Any]], bool]
          ) -> dict[str, Any]:
    deadline = time.monotonic() + SETTLE_WAIT_S
    while True:
        record = read()
        if done(record):
            return record
        if time.monotonic() > deadline:
            raise StoryError(f"{what} did not settle in {SETTLE_WAIT_S:.0f} s: {record}")
        time.sleep(POLL_S)


def _available(node: Node, local_id: str) -> int:
    return int(_get(node, f"/api/v1/members/{local_id}/balance")["available_minutes"])


def already_told(nodes: dict[str, Node]) -> bool:
    """Did an earlier run tell the story on these nodes (so balances include it)?"""
    node_id, transfer_id = FIRST_STEP
    with nodes[node_id].client() as http:
        return http.get(f"/api/v1/transfers/{transfer_id}").status_code == 200


class Story:
    def __init__(self, nodes: dict[str, Node], console: Console) -> None:
        self.nodes = nodes
        self.console = console

    def say(self, step: int, text: str) -> None:
        self.console.print(f"\n[bold]{step}.[/] {text}")

    def note(self, text: str) -> None:
        self.console.print(f"   {text}")

    def transfer(self, node_id: str, body: dict[str, Any], *, final: set[str]) -> dict[str, Any]:
        node = self.nodes[node_id]
        record, made = _post(node, "/api/v1/transfers", body)
        verb = "made" if made else "already made by an earlier run"
        self.note(f"transfer {body['id']} {verb}: {record['state']}")
        started = time.monotonic()
        record = _wait(f"transfer {body['id']}",
                       lambda: _get(node, f"/api/v1/transfers/{body['id']}"),
                       lambda r: r["state"] in final)
        if made and record.get("peer_node"):
            creditor_node = body["to"].split("@")[-1]
            receipt = ("" if record["peer_node"] == creditor_node or record["state"] != "committed"
                       else f" with {creditor_node}'s signed end receipt")
            self.note(f"{record['state']} after {1000 * (time.monotonic() - started):.0f} ms "
                      f"(prepare signed by {node_id}, answer signed by {record['peer_node']}"
                      f"{receipt})")
        return record

    def run(self) -> None:
        sh, nj, bj = self.nodes["sh-pudong"], self.nodes["nj-gulou"], self.nodes["bj-chaoyang"]
        self.console.rule("The story: hours cross cities")

        self.say(1, "Liu Yang, a volunteer in Shanghai, gives 3 hours to his mother Sun Xiulan "
                    "in Nanjing.")
        gift = self.transfer("sh-pudong", {
            "id": "story-1-gift", "from": "liu-yang", "to": "sun-xiulan@nj-gulou",
            "amount_minutes": 180, "memo": "for mum, from Shanghai"}, final={"committed"})
        if gift["state"] != "committed":
            raise StoryError(f"the gift ended {gift['state']}")
        self.note(self.route_words(sh, gift))
        self.note(f"liu-yang@sh-pudong now holds {_minutes(_available(sh, 'liu-yang'))}; "
                  f"sun-xiulan@nj-gulou holds {_minutes(_available(nj, 'sun-xiulan'))}")
        line = _get(nj, "/api/v1/members/sun-xiulan/statement?limit=5")["items"]
        gift_line = next((x for x in line if x.get("peer_node") == "sh-pudong"), None)
        if gift_line is None:
            raise StoryError("Sun Xiulan's statement does not show the gift from Shanghai")
        self.note(f"her statement: +{_minutes(gift_line['amount_minutes'])} from "
                  f"{', '.join(gift_line['counterparty'])} ({gift_line['kind']})")

        self.say(2, "Sun Xiulan spends 2 of them in Nanjing: Zhao Lei cleans her flat, a service "
                    "visit under Nanjing's rules.")
        self.visit(nj, CLEANING)
        self.note(f"sun-xiulan@nj-gulou holds {_minutes(_available(nj, 'sun-xiulan'))}; "
                  f"zhao-lei@nj-gulou holds {_minutes(_available(nj, 'zhao-lei'))}")

        self.say(3, "In Beijing, He Xiaoyu's smartphone lesson for Li Shufen is cut short: "
                    "she complains.")
        self.visit(bj, LESSON)
        self.note(f"li-shufen@bj-chaoyang holds {_minutes(_available(bj, 'li-shufen'))}; "
                  f"he-xiaoyu@bj-chaoyang holds {_minutes(_available(bj, 'he-xiaoyu'))}")

        self.say(4, "Chen Jianguo moves to his daughter in Beijing and takes his account along.")
        before = _get(sh, "/api/v1/members/chen-jianguo/balance")
        move, made = _post(sh, "/api/v1/members/chen-jianguo/relocation", {
            "id": "story-3-move", "to_node": "bj-chaoyang", "new_local_id": "chen-jianguo"})
        self.note(f"relocation story-3-move {'requested' if made else 'already requested'}: "
                  f"{move['state']}")
        move = _wait("relocation story-3-move",
                     lambda: _get(sh, "/api/v1/relocations/story-3-move"),
                     lambda r: r["state"] in ("committed", "rejected"))
        if move["state"] != "committed":
            raise StoryError(f"the relocation ended {move['state']}: {move}")
        after = _get(bj, "/api/v1/members/chen-jianguo/balance")
        moved = before["available_minutes"] if made else after["available_minutes"]
        self.note(f"new address {move['new_address']}: holds {_minutes(after['available_minutes'])}"
                  f" ({', '.join(f'{k} {v}' for k, v in after['by_class_minutes'].items())})")
        if made and after["available_minutes"] != moved:
            raise StoryError(f"moved {moved} minutes but Beijing shows {after}")
        old = _get(sh, "/api/v1/members/chen-jianguo")
        self.note(f"chen-jianguo@sh-pudong is now {old.get('status')}, "
                  f"pointing to {old.get('relocated_to')}")

        self.say(5, "Wu Jing in Nanjing, his granddaughter, still has his old address and sends "
                    "him half an hour.")
        late = self.transfer("nj-gulou", {
            "id": "story-4-old-address", "from": "wu-jing", "to": "chen-jianguo@sh-pudong",
            "amount_minutes": 30, "memo": "welcome to Beijing"},
            final={"committed", "rejected", "expired"})
        if (late["state"], late.get("reason_code")) != ("rejected", "creditor_relocated"):
            raise StoryError(f"expected a refusal naming the new address, got {late}")
        self.note(self.route_words(nj, late))
        self.note(f"Shanghai refused it ({late['reason_code']}) and named the new address "
                  f"{late['relocated_to']}; Wu Jing's 30 min are back: she holds "
                  f"{_minutes(_available(nj, 'wu-jing'))}")

        self.say(6, "The day closes: each link settles a window, signed by both ends.")
        self.close_windows()
        self.hub_kept_nothing()
        self.console.rule()

    def route_words(self, node: Node, record: dict[str, Any]) -> str:
        """The route the node's link map gives the transfer's creditor node, in words; and if
        the transfer went straight there (made by a run from before the hub), that too."""
        to_node = record["to"].split("@")[-1]
        found = _get(node, f"/api/v1/federation/route?to={to_node}")
        path = found["route"]
        words = (f"{' → '.join(path)}, a direct link" if len(path) < 3 else
                 f"{' → '.join(path)}: through {', '.join(path[1:-1])}, {found['links']} links "
                 f"(link map serial {found['link_map_serial']})")
        if record.get("peer_node") == to_node and len(path) > 2:
            return (f"made before the link map, it went straight to {to_node}; today's route: "
                    f"{words}")
        return f"its route: {words}"

    def hub_kept_nothing(self) -> None:
        """The hub's newest window on each of its links, read from its own API: what it is owed
        on one side it owes on the other."""
        windows = _get(self.nodes[HUB], "/api/v1/reconciliation/windows")["items"]
        newest: dict[str, dict[str, Any]] = {}
        for window in windows:  # newest first
            newest.setdefault(window["peer"], window)
        positions = {peer: w["closing_position_minutes"] for peer, w in sorted(newest.items())}
        if not positions:
            self.note(f"{HUB} has closed no window yet: no hours have gone through it")
            return
        self.note(f"{HUB}'s own windows: " + "; ".join(
            f"{peer} owes it {_minutes(p)}" if p >= 0 else f"it owes {peer} {_minutes(-p)}"
            for peer, p in positions.items()))
        if sum(positions.values()) != 0:
            raise StoryError(f"{HUB} is left with {sum(positions.values())} minutes: {positions}")
        self.note(f"{HUB} kept nothing: its positions add up to 0 min")

    def visit(self, node: Node, visit: Visit) -> None:
        try:
            with node.client() as desk, node.client(node.staff_token) as staff:
                record, moved = run_visit(desk, staff, visit)
        except VisitFailed as exc:
            raise StoryError(str(exc)) from exc
        verb = "" if moved else " (already done by an earlier run)"
        self.note(f"request {visit.request_id}: {visit.volunteer} served {visit.recipient}; "
                  f"paper slip {visit.slip_reference}: {_minutes(record['price_minutes'])}"
                  f"{verb}")
        dispute = record.get("dispute")
        if dispute:
            self.note(f"{visit.recipient} complains: {dispute['reason']}; the station settles "
                      f"it ({dispute['outcome']}): {_minutes(record['released_minutes'])} paid to "
                      f"{visit.volunteer}, {_minutes(record['refunded_minutes'])} back to "
                      f"{visit.recipient}")
        else:
            self.note(f"confirmed by the station's staff with {record['rating']} stars: "
                      f"{_minutes(record['released_minutes'] or record['price_minutes'])} paid "
                      f"from her hours to "
                      f"{visit.volunteer}")

    def close_windows(self) -> list[dict[str, Any]]:
        """Close a settlement window on every link (the smaller node id closes) and show each
        window's record: co-signed by both nodes when their statements match."""
        views = []
        ids = sorted(self.nodes)
        for closer in ids:
            for peer in (p for p in ids if p > closer):
                with self.nodes[closer].client() as http:
                    reply = http.post("/api/v1/reconciliation/windows", json={"peer": peer},
                                      timeout=60)
                if reply.status_code == 404:  # no transfer ever crossed this link
                    continue
                if reply.status_code != 200:
                    raise StoryError(f"closing the window {closer}-{peer}: {reply.text[:300]}")
                (view,) = reply.json()["items"]
                views.append(view)
                record = view.get("record") or {}
                signers = ", ".join(sorted(record.get("signatures", {}))) or "nobody"
                position = view["closing_position_minutes"]
                owes = (f"{peer} owes {closer} {_minutes(position)}" if position >= 0
                        else f"{closer} owes {peer} {_minutes(-position)}")
                self.note(f"{closer} ↔ {peer}: window {view['window_index']} {view['state']}; "
                          f"{owes}; signed by {signers}")
                if view["state"] != "matched":
                    raise StoryError(f"window {closer}-{peer} ended {view['state']}: "
                                     f"{view.get('discrepancies')}")
        return views
