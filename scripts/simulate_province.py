#!/usr/bin/env python3
"""A province of time banks through clearing hubs (issue 18): 100 city nodes under 4 district
hubs and one provincial hub, in one process on a fake network, random transfers between any two
cities, then every link's window closed and every minute counted.

    nice .venv/bin/python scripts/simulate_province.py [--cities 100] [--transfers 1000]
        [--batch 25] [--members 3] [--seed 1] [--write-docs]

The nodes are real (tests/federation.py: services, exchange, SQLite databases, Ed25519
signatures) on one FakeClock behind the in-process network; the authority signs one link map
(protocol/links.py) and every node holds it. Transfers go out `--batch` at a time from random
members of random cities to members of other random cities, and are driven to the end: settle
every link, advance the clock one second (a hub's leg is asked again every second,
`Retry.leg_ms`), tick, until nothing is open anywhere.

The shape. A route may cross at most 3 links (`protocol.links.HOPS_MAX_LIMIT`), so the plain
tree city - district hub - provincial hub - district hub - city (4 links) cannot carry a
transfer between two districts. The province here is the closest shape in which the provincial
hub carries the trade between districts:

* every city links to its district's hub (`hub-d1`..`hub-d4`): trade within a district, 2 links;
* the cities of districts 1-3 also link to the provincial hub (`hub-province`): trade between
  two of those districts crosses it, 2 links (a district hub sorts before the provincial hub,
  so within a district the route's tie goes to the district hub: standard §22.3);
* district 4's cities have not joined the provincial hub: its hub links to the provincial hub,
  and its cities reach the other districts over 3 links (city - hub-d4 - hub-province - city);
* the first two cities of every district trade enough to hold a direct link: 1 link.

Every pair of cities has a route of at most 3 links (the plain tree and the rejected shape with
district hubs linked pairwise: docs/decisions.md). The report gives links per node against a
full mesh; one transfer of each kind of route sent alone first, with everything it put on the
network; then the messages, transactions and signatures per random transfer by the number of
links its route crosses (counted from the bodies on the network: every message names its
transfer; a transaction's signature is shared among the messages it carries; a signature inside
a message, such as the creditor's end receipt, counts once however many hops carry it), this
process's memory per node (RSS growth while the nodes are built, divided by their number),
every window matched (`Federation.reconcile` on every link that carried anything) and every
minute conserved (tests/audit.py quiescent: every ledger verifies, every link's clearing
balances cancel, no hub keeps hours in passage, and the members' hours are the hours granted).
It exits 1 when a transfer is left uncommitted, a window does not match or a minute is not
accounted for.
"""

from __future__ import annotations

import argparse
import gc
import json
import random
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_docs import write_section  # noqa: E402  (scripts/ is sys.path[0])
from memory_probe import sqlite_memory_mb  # noqa: E402
from sqlalchemy import select  # noqa: E402

from node.db.schema import transfers  # noqa: E402
from node.exchange.transport import TRANSACTIONS_PATH, Reply  # noqa: E402
from protocol.directory import decode_directory  # noqa: E402
from protocol.links import LinkMap, decode_links, sign_links  # noqa: E402
from protocol.routes import route  # noqa: E402
from tests.audit import audit, open_transfers, totals  # noqa: E402
from tests.factories import add_members, give_consent, grant  # noqa: E402
from tests.federation import Federation, Network  # noqa: E402
from tests.support import AUTHORITY, START_MS  # noqa: E402

DISTRICTS = 4
PROVINCE = "hub-province"
DISTRICT_HUBS = [f"hub-d{d + 1}" for d in range(DISTRICTS)]
HUBS = [*DISTRICT_HUBS, PROVINCE]
OFF_PROVINCE_DISTRICT = DISTRICTS - 1  # district 4: its cities reach the others over 3 links
CITIES_MIN = 2 * DISTRICTS  # two cities per district at least: the direct pair
HOPS_MAX = 3
GRANT_MINUTES = 100_000
AMOUNT_MINUTES_MAX = 60
DRIVE_STEPS_MAX = 60  # seconds of fake time a batch may take before it counts as stuck
STEP_MS = 1_000  # Retry.leg_ms: a hub's leg is asked again every second
DOC_START = "<!-- province:start -->"
DOC_END = "<!-- province:end -->"
DOC_HEADING = "## Province simulation (issue 18)"


def city_ids(count: int) -> list[str]:
    return [f"city-{i + 1:03d}" for i in range(count)]


def district_of(index: int, count: int) -> int:
    """Cities are split into DISTRICTS consecutive runs of nearly equal size."""
    return index * DISTRICTS // count


def topology(cities: list[str]) -> list[tuple[str, str]]:
    """The links of the shape in the docstring, each pair sorted."""
    pairs: set[tuple[str, str]] = set()
    by_district: dict[int, list[str]] = defaultdict(list)
    for index, city in enumerate(cities):
        district = district_of(index, len(cities))
        by_district[district].append(city)
        pairs.add((city, DISTRICT_HUBS[district]))
        if district != OFF_PROVINCE_DISTRICT:
            pairs.add((city, PROVINCE))
    pairs.add((DISTRICT_HUBS[OFF_PROVINCE_DISTRICT], PROVINCE))
    for members in by_district.values():
        pairs.add((members[0], members[1]))
    return sorted(tuple(sorted(pair)) for pair in pairs)  # type: ignore[misc]


class RecordingNetwork(Network):
    """The harness's network, keeping every federation transaction with its answer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.exchanged: list[tuple[bytes, bytes]] = []
        self.other_calls = 0  # reconciliation and other federation endpoints

    async def deliver(self, receiver: str, body: bytes, path: str = TRANSACTIONS_PATH) -> Reply:
        reply = await super().deliver(receiver, body, path)
        if path == TRANSACTIONS_PATH:
            self.exchanged.append((body, reply.body))
        else:
            self.other_calls += 1
        return reply


class ProvinceFederation(Federation):
    network_type = RecordingNetwork
    network: RecordingNetwork


@dataclass
class Cost:
    """What the transfers of one route length cost on the network, summed."""

    transfers: int = 0
    messages: float = 0.0
    transactions: float = 0.0
    signatures: float = 0.0


@dataclass
class Outcome:
    cities: int
    nodes: int
    links: list[tuple[str, str]]
    sent: int
    committed: int
    refused: Counter[str]
    by_hops: dict[int, Cost]
    unattributed_messages: int
    rss_before_mb: float
    rss_built_mb: float
    rss_after_mb: float
    sqlite_built_mb: float
    build_s: float
    transfers_s: float
    reconcile_s: float
    windows: int
    windows_matched: int
    window_states: Counter[str]
    audit_ok: bool
    audit_detail: str
    transit_minutes: dict[str, int]
    member_minutes_before: int
    member_minutes_after: int
    other_calls: int
    total_messages: int = 0
    sqlite_after_mb: float = 0.0
    probes: list[Probe] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def ok(self) -> bool:
        return not self.problems


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def progress(text: str) -> None:
    print(text, flush=True)


def build(folder: Path, cities: list[str], members: int,
          ) -> tuple[ProvinceFederation, LinkMap, float, float, float]:
    """The nodes, their members and grants, and the signed link map every node holds."""
    gc.collect()
    before = rss_mb()
    started = time.perf_counter()
    node_ids = [*cities, *HUBS]
    progress(f"building {len(node_ids)} nodes ({len(cities)} cities, {len(HUBS)} hubs) ...")
    fed = ProvinceFederation(folder, node_ids)
    names = [f"m{i}" for i in range(members)]
    for city in cities:
        node = fed.nodes[city]
        add_members(node, *names)
        for name in names:
            give_consent(node, name, "cross_node_gifts")
            grant(node, name, GRANT_MINUTES)
    directory = decode_directory(fed.directory)
    # Every link capped at the policy's highest cap: the simulation is about routes, not caps.
    cap = directory.policy.net_debit_cap_per_partner_minutes_max
    body = {"hops_max": HOPS_MAX, "links": [
        {"a": a, "b": b, "a_cap_minutes": cap, "b_cap_minutes": cap}
        for a, b in topology(cities)]}
    document = sign_links(body, authority=AUTHORITY, directory=directory, serial=1,
                          issued_at_ms=START_MS)
    for node in fed.nodes.values():
        node.link_maps.accept(document)
    gc.collect()
    built = rss_mb()
    progress(f"built in {time.perf_counter() - started:.1f} s, RSS {before:.0f} -> {built:.0f} MB")
    return fed, decode_links(document), before, built, time.perf_counter() - started


def member_minutes(fed: Federation, cities: list[str], members: int) -> int:
    return sum(fed.balance(f"m{i}@{city}") for city in cities for i in range(members))


def drive(fed: Federation) -> bool:
    """Settle, advance one second, tick, until nothing is open; False if still open."""
    for _ in range(DRIVE_STEPS_MAX):
        fed.settle()
        if not any(open_transfers(node) for node in fed.nodes.values()):
            return True
        fed.clock.advance(STEP_MS)
        fed.tick()
    return False


@dataclass
class Probe:
    """One transfer alone on a quiet federation: exactly what its route costs."""

    label: str
    path: tuple[str, ...]
    state: str
    messages: int
    transactions: int
    signatures: int


def probe_pairs(cities: list[str]) -> list[tuple[str, str, str]]:
    """(what it shows, debtor's city, creditor's city): one pair for each kind of route."""
    by_district: dict[int, list[str]] = defaultdict(list)
    for index, city in enumerate(cities):
        by_district[district_of(index, len(cities))].append(city)
    first, second = by_district[0], by_district[1]
    pairs = [("a direct pair", first[0], first[1])]
    if len(first) > 2:
        pairs.append(("within a district", first[0], first[2]))
    pairs.append(("between districts", first[0], second[0]))
    pairs.append(("from district 4", by_district[OFF_PROVINCE_DISTRICT][-1], first[0]))
    return pairs


def probe(fed: ProvinceFederation, link_map: LinkMap, cities: list[str]) -> list[Probe]:
    """Each probe pair's transfer sent alone and driven to the end; everything it put on the
    network counted: messages, transactions both ways, signatures made (a transaction's, and
    each one inside a message once however many hops carry it)."""
    probes = []
    for number, (label, debtor, creditor) in enumerate(probe_pairs(cities), 1):
        path = route(link_map, debtor, creditor, active=frozenset(fed.node_ids))
        assert path is not None, f"no route {debtor} -> {creditor}"
        start = len(fed.network.exchanged)
        answer = fed.send(f"m0@{debtor}", f"m0@{creditor}", 1, transfer_id=f"probe-{number}")
        assert answer.status_code == 201, answer.text
        drive(fed)
        state = str(fed.transfer(debtor, f"probe-{number}")["state"])
        messages = transactions = signatures = 0
        inner: set[str] = set()
        for raw in (raw for pair in fed.network.exchanged[start:] for raw in pair):
            document = json.loads(raw)
            transactions += 1
            signatures += sum(len(keys) for keys in document.get("signatures", {}).values())
            for message in document.get("messages") or []:
                messages += 1
                inner.update(_signatures(message.get("body")))
        probes.append(Probe(label, path, state, messages, transactions,
                            signatures + len(inner)))
    return probes


def run_transfers(fed: Federation, link_map: LinkMap, cities: list[str], args: argparse.Namespace,
                  ) -> tuple[dict[str, tuple[str, int]], Counter[str], list[str]]:
    """Random transfers between random cities, `--batch` at a time, each batch driven to the
    end. Returns the sent transfers (client id -> (debtor's node, links)), refusals, problems."""
    rng = random.Random(args.seed)
    active = frozenset(fed.node_ids)
    sent: dict[str, tuple[str, int]] = {}
    refused: Counter[str] = Counter()
    problems: list[str] = []
    started = time.perf_counter()
    for first in range(0, args.transfers, args.batch):
        for n in range(first, min(first + args.batch, args.transfers)):
            debtor_city, creditor_city = rng.sample(cities, 2)
            path = route(link_map, debtor_city, creditor_city, active=active)
            assert path is not None, f"no route {debtor_city} -> {creditor_city}"
            transfer_id = f"p{n + 1}"
            answer = fed.send(f"m{rng.randrange(args.members)}@{debtor_city}",
                              f"m{rng.randrange(args.members)}@{creditor_city}",
                              rng.randint(1, AMOUNT_MINUTES_MAX), transfer_id=transfer_id)
            if answer.status_code != 201:
                refused[f"{answer.status_code} {answer.json().get('code', '')}"] += 1
                continue
            sent[transfer_id] = (debtor_city, len(path) - 1)
        if not drive(fed):
            problems.append(f"transfers still open after {DRIVE_STEPS_MAX} s of fake time "
                            f"(batch from p{first + 1})")
            break
        done = min(first + args.batch, args.transfers)
        progress(f"  transfers {done:>6,}/{args.transfers:,}  fake time "
                 f"{(fed.clock.now_ms() - START_MS) / 1000:>6.0f} s  wall "
                 f"{time.perf_counter() - started:>6.1f} s")
    return sent, refused, problems


def wire_ids(fed: Federation, sent: dict[str, tuple[str, int]]) -> dict[str, tuple[int, str]]:
    """Wire id -> (links crossed, state at the debtor's node) of every sent transfer."""
    by_node: dict[str, list[str]] = defaultdict(list)
    for transfer_id, (node_id, _) in sent.items():
        by_node[node_id].append(transfer_id)
    found: dict[str, tuple[int, str]] = {}
    for node_id, ids in by_node.items():
        with fed.nodes[node_id].db.read() as conn:
            rows = conn.execute(select(transfers.c.id, transfers.c.wire_id, transfers.c.state)
                                .where(transfers.c.id.in_(ids))).all()
        for row in rows:
            found[row.wire_id] = (sent[row.id][1], row.state)
    return found


def _signatures(obj: Any) -> list[str]:
    """Every signature value inside a message body (end receipts and the like)."""
    if isinstance(obj, dict):
        values = []
        for key, value in obj.items():
            if key == "signatures" and isinstance(value, dict):
                values += [s for by_key in value.values() for s in by_key.values()]
            else:
                values += _signatures(value)
        return values
    if isinstance(obj, list):
        return [s for item in obj for s in _signatures(item)]
    return []


def costs(exchanged: list[tuple[bytes, bytes]], wires: dict[str, tuple[int, str]],
          ) -> tuple[dict[int, Cost], int, int]:
    """Messages, transaction shares and signatures of each transfer, summed by links crossed.
    Returns them with the number of messages that name no sent transfer, and all messages."""
    by_hops: dict[int, Cost] = defaultdict(Cost)
    for hops, _ in wires.values():
        by_hops[hops].transfers += 1
    inner: dict[str, set[str]] = defaultdict(set)
    unattributed = total = 0
    for request, answer in exchanged:
        for raw in (request, answer):
            document = json.loads(raw)
            messages = document.get("messages") or []
            if not messages:
                continue
            signed = sum(len(keys) for keys in document.get("signatures", {}).values())
            for message in messages:
                total += 1
                wire = message.get("body", {}).get("transfer_id")
                if wire not in wires:
                    unattributed += 1
                    continue
                cost = by_hops[wires[wire][0]]
                cost.messages += 1
                cost.transactions += 1 / len(messages)
                cost.signatures += signed / len(messages)
                inner[wire].update(_signatures(message.get("body")))
    for wire, values in inner.items():
        by_hops[wires[wire][0]].signatures += len(values)
    return dict(by_hops), unattributed, total


def check_books(fed: Federation, outcome: Outcome) -> None:
    """Windows, the auditor, hubs' transit, and the members' hours."""
    started = time.perf_counter()
    progress("closing a window on every link that carried anything ...")
    views = fed.reconcile()
    outcome.reconcile_s = time.perf_counter() - started
    outcome.windows = len(views)
    outcome.window_states = Counter(str(view.get("state")) for view in views.values())
    outcome.windows_matched = outcome.window_states.get("matched", 0)
    if outcome.windows_matched != outcome.windows:
        unmatched = [pair for pair, view in views.items() if view.get("state") != "matched"]
        outcome.problems.append(f"windows not matched: {unmatched[:5]}")
    try:
        audited = audit(fed)
        outcome.audit_ok, outcome.audit_detail = True, f"issued {audited['issued']:,} min"
    except AssertionError as exc:
        outcome.audit_ok, outcome.audit_detail = False, str(exc)
        outcome.problems.append(f"audit: {exc}")
    outcome.transit_minutes = {hub: totals(fed.nodes[hub]).get("transit", 0) for hub in HUBS}
    if any(outcome.transit_minutes.values()):
        outcome.problems.append(f"hours left in passage at hubs: {outcome.transit_minutes}")
    if outcome.member_minutes_after != outcome.member_minutes_before:
        outcome.problems.append(f"members held {outcome.member_minutes_before:,} minutes, "
                                f"now {outcome.member_minutes_after:,}")


def simulate(args: argparse.Namespace, folder: Path) -> Outcome:
    cities = city_ids(args.cities)
    fed, link_map, before, built, build_s = build(folder, cities, args.members)
    try:
        minutes_before = member_minutes(fed, cities, args.members)
        sqlite_built = sqlite_memory_mb()
        progress("one transfer alone for each kind of route ...")
        probes = probe(fed, link_map, cities)
        first_exchanged = len(fed.network.exchanged)
        started = time.perf_counter()
        progress(f"sending {args.transfers:,} transfers, {args.batch} at a time ...")
        sent, refused, problems = run_transfers(fed, link_map, cities, args)
        transfers_s = time.perf_counter() - started
        wires = wire_ids(fed, sent)
        by_hops, unattributed, total = costs(fed.network.exchanged[first_exchanged:], wires)
        outcome = Outcome(
            cities=len(cities), nodes=len(fed.node_ids), links=topology(cities),
            sent=len(sent), committed=sum(s == "committed" for _, s in wires.values()),
            refused=refused, by_hops=by_hops, unattributed_messages=unattributed,
            rss_before_mb=before, rss_built_mb=built, rss_after_mb=0.0,
            sqlite_built_mb=sqlite_built, build_s=build_s,
            transfers_s=transfers_s, reconcile_s=0.0, windows=0, windows_matched=0,
            window_states=Counter(), audit_ok=False, audit_detail="", transit_minutes={},
            member_minutes_before=minutes_before,
            member_minutes_after=member_minutes(fed, cities, args.members),
            other_calls=0, total_messages=total, probes=probes, problems=problems)
        outcome.problems += [f"probe {p.label} ended {p.state}" for p in probes
                             if p.state != "committed"]
        if outcome.committed != outcome.sent:
            outcome.problems.append(f"{outcome.sent - outcome.committed} transfers not committed")
        if refused:
            outcome.problems.append(f"transfers refused at the start: {dict(refused)}")
        check_books(fed, outcome)
        outcome.other_calls = fed.network.other_calls
        gc.collect()
        outcome.rss_after_mb = rss_mb()
        outcome.sqlite_after_mb = sqlite_memory_mb()
        return outcome
    finally:
        fed.close()


def link_rows(outcome: Outcome) -> list[tuple[str, str, str]]:
    """(kind of node, nodes, links per node) with the full mesh beside it."""
    degree: Counter[str] = Counter()
    for a, b in outcome.links:
        degree[a] += 1
        degree[b] += 1
    cities = [node for node in degree if node.startswith("city-")]
    city_degrees = Counter(degree[c] for c in cities)
    spread = ", ".join(f"{n} with {d}" for d, n in sorted(city_degrees.items()))
    nodes = outcome.nodes
    return [
        ("cities", f"{outcome.cities}", spread),
        ("district hubs", f"{DISTRICTS}", ", ".join(str(degree[h]) for h in DISTRICT_HUBS)),
        ("provincial hub", "1", str(degree[PROVINCE])),
        ("all, with hubs", f"{nodes}", f"{len(outcome.links):,} links in all"),
        ("full mesh of every node", f"{nodes}",
         f"{nodes - 1} per node, {nodes * (nodes - 1) // 2:,} links in all"),
        ("full mesh of the cities", f"{outcome.cities}",
         f"{outcome.cities - 1} per node, {outcome.cities * (outcome.cities - 1) // 2:,} "
         "links in all"),
    ]


def cost_rows(outcome: Outcome) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = []
    for hops in sorted(outcome.by_hops):
        cost = outcome.by_hops[hops]
        n = max(cost.transfers, 1)
        rows.append((str(hops), f"{cost.transfers:,}", f"{cost.messages / n:.1f}",
                     f"{cost.transactions / n:.2f}", f"{cost.signatures / n:.2f}"))
    return rows


def probe_rows(outcome: Outcome) -> list[tuple[str, ...]]:
    return [(p.label, str(len(p.path) - 1), " - ".join(p.path), p.state, str(p.messages),
             str(p.transactions), str(p.signatures)) for p in outcome.probes]


def verdict_lines(outcome: Outcome) -> list[str]:
    per_node = (outcome.rss_built_mb - outcome.rss_before_mb) / outcome.nodes
    per_node_after = (outcome.rss_after_mb - outcome.rss_before_mb) / outcome.nodes
    return [
        f"transfers: {outcome.sent:,} sent, {outcome.committed:,} committed",
        f"windows: {outcome.windows_matched:,} of {outcome.windows:,} matched"
        + ("" if outcome.windows_matched == outcome.windows
           else f" ({dict(outcome.window_states)})"),
        "minutes: " + ("conserved" if outcome.audit_ok and not outcome.problems
                       else "NOT conserved")
        + f" (auditor quiescent: {'passed' if outcome.audit_ok else 'FAILED'}; hubs' transit "
        f"{sum(outcome.transit_minutes.values())} min; members' hours "
        f"{outcome.member_minutes_before:,} before, {outcome.member_minutes_after:,} after)",
        f"memory: RSS {outcome.rss_before_mb:.0f} MB before the nodes, "
        f"{outcome.rss_built_mb:.0f} MB built ({per_node:.1f} MB per node), "
        f"{outcome.rss_after_mb:.0f} MB at the end ({per_node_after:.1f} MB per node); "
        "SQLite's own allocations (page caches, "
        f"statements) {outcome.sqlite_built_mb:.0f} MB built, {outcome.sqlite_after_mb:.0f} MB "
        "at the end (the test network also keeps every body it carried)",
        f"wall time: build {outcome.build_s:.1f} s, transfers {outcome.transfers_s:.1f} s, "
        f"windows {outcome.reconcile_s:.1f} s",
        f"messages on the network: {outcome.total_messages:,} in transactions "
        f"({outcome.unattributed_messages} naming no sent transfer), "
        f"{outcome.other_calls:,} reconciliation calls",
    ]


def table(headers: tuple[str, ...], rows: Sequence[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    return lines + ["| " + " | ".join(row) + " |" for row in rows]


LINK_HEADERS = ("nodes", "how many", "links per node")
PROBE_HEADERS = ("one transfer alone", "links", "route", "state", "messages", "transactions",
                 "signatures")
COST_HEADERS = ("links crossed", "transfers", "messages / transfer", "transactions / transfer",
                "signatures / transfer")


def report(outcome: Outcome) -> str:
    lines = ["Links", *table(LINK_HEADERS, link_rows(outcome)), "",
             "One transfer alone on a quiet federation, everything it put on the network",
             *table(PROBE_HEADERS, probe_rows(outcome)), "",
             "Random transfers, per transfer, by the links its route crosses",
             *table(COST_HEADERS, cost_rows(outcome)), ""]
    return "\n".join(lines + verdict_lines(outcome))


def markdown(outcome: Outcome, command: str) -> str:
    body = [
        DOC_START, "", f"Command: `{command}` ({time.strftime('%Y-%m-%d')}).", "",
        *table(LINK_HEADERS, link_rows(outcome)), "",
        *table(PROBE_HEADERS, probe_rows(outcome)), "",
        *table(COST_HEADERS, cost_rows(outcome)), "",
        *[f"- {line}" for line in verdict_lines(outcome)], "", DOC_END,
    ]
    return "\n".join(body)


DOC_INTRO = (
    "`scripts/simulate_province.py`: real nodes in one process on a fake network and clock "
    "(tests/federation.py), cities under district hubs and a provincial hub as its docstring "
    "draws them (a route crosses at most 3 links, so a plain four-level tree cannot join two "
    "districts: docs/decisions.md). Messages, transactions and signatures are counted from "
    "the bodies on the network, both directions, a leg's re-asks included: first one transfer "
    "of each kind of route alone, then the random transfers, where a transaction carries "
    "several messages and its one signature is shared among them. Memory grows during the run "
    "beyond the nodes as built: each node's web app builds its routes' validators at its first "
    "request (about 0.6 MB a node, measured with one request to each of 25 nodes), SQLite's "
    "page caches fill as the databases grow, and the test network keeps every body it carried; "
    "a node in a process of its own pays the interpreter and libraries besides "
    "(\"Sustained load and memory\" above).")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cities", type=int, default=100)
    parser.add_argument("--transfers", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=25, help="transfers sent before driving")
    parser.add_argument("--members", type=int, default=3, help="members per city")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--write-docs", action="store_true")
    args = parser.parse_args()
    if args.cities < CITIES_MIN:
        parser.error(f"--cities must be at least {CITIES_MIN} (two per district)")
    if args.transfers < 1 or args.batch < 1 or args.members < 1:
        parser.error("--transfers, --batch and --members must be positive")
    return args


def main() -> int:
    args = parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="hourbridge-province-") as folder:
        outcome = simulate(args, Path(folder))
    print()
    print(report(outcome))
    print(f"whole run {time.perf_counter() - started:.0f} s")
    for problem in outcome.problems:
        print(f"PROBLEM: {problem}")
    if args.write_docs:
        command = "nice .venv/bin/python scripts/simulate_province.py " + " ".join(
            f"--{name.replace('_', '-')} {value}" for name, value in vars(args).items()
            if name != "write_docs") + " --write-docs"
        path = write_section(DOC_START, DOC_END, markdown(outcome, command),
                             new_heading=f"{DOC_HEADING}\n\n{DOC_INTRO}")
        print(f"wrote {path}")
    print("RESULT: " + ("every window matched, every minute conserved" if outcome.ok()
                        else "FAILED"))
    return 0 if outcome.ok() else 1


if __name__ == "__main__":
    sys.exit(main())
