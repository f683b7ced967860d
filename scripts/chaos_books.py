"""The end of scripts/chaos.py: every hour accounted for, from each node's database (read-only,
beside the running nodes) and from what the client was told, and the report table."""

from __future__ import annotations

import argparse
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from itertools import combinations

from chaos_load import Job, Load

from node.ledger.system_ids import SYSTEM_MEMBER_IDS
from tests.integration.processes import Cluster

OPEN_STATES = ("pending", "in_doubt")


@dataclass
class Link:
    a: str
    b: str
    position_ab: int  # A's clearing balance for B
    position_ba: int  # B's clearing balance for A
    net_ab: int  # committed A->B minus committed B->A, from the transfer records

    @property
    def symmetric(self) -> bool:
        return self.position_ab == -self.position_ba

    @property
    def matches_transfers(self) -> bool:
        return self.position_ab == self.net_ab


@dataclass
class Outcome:
    answers: Counter[str] = field(default_factory=Counter)  # accepted, rejected:<code>, ...
    committed: Counter[str] = field(default_factory=Counter)  # local, cross-node
    released: int = 0  # accepted cross-node transfers the peer refused (nothing moved)
    still_open: int = 0
    lost_by_transfer: int = 0  # minutes debited at the debtor's node, never credited
    duplicated_by_transfer: int = 0  # minutes credited at the creditor's, released at home
    refused_but_recorded: int = 0
    lost_by_member: int = 0  # members holding less than the grant and what they were told
    duplicated_by_member: int = 0
    issued: int = 0
    held: int = 0
    below_floor: int = 0
    links: list[Link] = field(default_factory=list)
    kills: dict[str, int] = field(default_factory=dict)
    proxy: dict[str, int] = field(default_factory=dict)
    audit: dict[str, int] = field(default_factory=dict)
    reconciliation: str = ""
    reconciled: bool = False  # every link's settlement window matched
    seconds: float = 0.0

    @property
    def lost(self) -> int:
        return self.lost_by_transfer + self.lost_by_member + max(0, self.issued - self.held)

    @property
    def duplicated(self) -> int:
        return (self.duplicated_by_transfer + self.duplicated_by_member
                + max(0, self.held - self.issued))

    @property
    def ok(self) -> bool:
        return (self.lost == 0 and self.duplicated == 0 and self.still_open == 0
                and self.refused_but_recorded == 0 and self.below_floor == 0
                and not any(a.startswith("server_error") for a in self.answers)
                and self.answers["unanswered"] == 0 and self.reconciled
                and all(link.symmetric and link.matches_transfers for link in self.links))


def _rows(cluster: Cluster, node_id: str) -> dict[str, tuple[str, str | None, str | None]]:
    """Client id -> (state, wire id, peer) of every transfer made at this node."""
    return {tid: (state, wire, peer) for tid, state, wire, peer in cluster[node_id].query(
        "SELECT id, state, wire_id, peer_node_id FROM transfers")}


def _credited(cluster: Cluster, node_id: str) -> dict[tuple[str, str], int]:
    return {(debtor_node, tid): minutes for debtor_node, tid, minutes in cluster[node_id].query(
        "SELECT debtor_node, transfer_id, amount_minutes FROM remote_transfers "
        "WHERE state = 'committed'")}


def _sums(cluster: Cluster, node_id: str, kind: str) -> dict[str, int]:
    """Balance by account (member local id, or peer node for clearing) of one kind."""
    key = "peer_node_id" if kind == "clearing" else "member_local_id"
    return {name: int(total) for name, total in cluster[node_id].query(
        f"SELECT a.{key}, coalesce(sum(b.balance_minutes), 0) FROM accounts a "
        "LEFT JOIN balances b ON b.account_code = a.code WHERE a.kind = ? GROUP BY a.code",
        (kind,))}


def _kind_total(cluster: Cluster, node_id: str, kind: str) -> int:
    return int(cluster[node_id].query(
        "SELECT coalesce(sum(b.balance_minutes), 0) FROM accounts a JOIN balances b "
        "ON b.account_code = a.code WHERE a.kind = ?", (kind,))[0][0])


def _transfers(out: Outcome, jobs: list[Job], rows: dict[str, dict[str, tuple[str, str | None,
               str | None]]], credited: dict[tuple[str, str], int],
               expected: dict[str, int], net: dict[tuple[str, str], int]) -> None:
    explained: set[tuple[str, str]] = set()  # (debtor's node, wire id) of accepted transfers
    for job in jobs:
        out.answers[job.answer or "unanswered"] += 1
        row = rows[job.home].get(job.client_id)
        if job.answer != "accepted":
            out.refused_but_recorded += row is not None
            continue
        if row is None:  # accepted, then gone: the debtor's hours vanished with it
            out.lost_by_transfer += job.minutes
            continue
        state, wire_id, peer = row
        explained.add((job.home, wire_id or ""))
        at_peer = credited.get((job.home, wire_id or ""))
        if state in OPEN_STATES:
            out.still_open += 1
        elif state == "committed":
            out.committed["cross-node" if peer else "local"] += 1
            expected[f"{job.debtor}@{job.home}"] -= job.minutes
            expected[job.creditor] += job.minutes
            if peer:
                net[(job.home, peer)] += job.minutes
                if at_peer is None:
                    out.lost_by_transfer += job.minutes
        else:
            out.released += 1
            if at_peer is not None:
                out.duplicated_by_transfer += at_peer
    # A credit at a creditor's node that no accepted transfer explains.
    for key, minutes in credited.items():
        if key not in explained:
            out.duplicated_by_transfer += minutes


def check(cluster: Cluster, load: Load, nodes: list[str], members: list[str],
          grant_minutes: int) -> Outcome:
    """Every check of the run, read beside the running, drained nodes."""
    out = Outcome()
    rows = {node_id: _rows(cluster, node_id) for node_id in nodes}
    credited: dict[tuple[str, str], int] = {}
    for node_id in nodes:
        credited.update(_credited(cluster, node_id))
    expected = {f"{m}@{n}": grant_minutes for n in nodes for m in members}
    # Every node holds its donation pool from `init` on; the chaos load never donates.
    expected |= {f"{local_id}@{n}": 0 for n in nodes for local_id in SYSTEM_MEMBER_IDS}
    net: dict[tuple[str, str], int] = defaultdict(int)
    _transfers(out, load.jobs, rows, credited, expected, net)
    for node_id in nodes:
        held = _sums(cluster, node_id, "member")
        for local_id, minutes in held.items():
            diff = minutes - expected[f"{local_id}@{node_id}"]
            out.lost_by_member += max(0, -diff)
            out.duplicated_by_member += max(0, diff)
        out.held += sum(held.values()) + _kind_total(cluster, node_id, "pending")
        out.issued -= _kind_total(cluster, node_id, "issuance")
        out.below_floor += int(cluster[node_id].query(
            "SELECT count(*) FROM (SELECT a.code FROM accounts a JOIN balances b "
            "ON b.account_code = a.code WHERE a.kind = 'member' AND a.floor_minutes IS NOT NULL "
            "GROUP BY a.code HAVING sum(b.balance_minutes) < min(a.floor_minutes))")[0][0])
    clearing = {node_id: _sums(cluster, node_id, "clearing") for node_id in nodes}
    for a, b in combinations(nodes, 2):
        out.links.append(Link(a, b, clearing[a].get(b, 0), clearing[b].get(a, 0),
                              net[(a, b)] - net[(b, a)]))
    return out


def report(out: Outcome, args: argparse.Namespace) -> str:
    """The run's table in Markdown (it reads as well in a terminal), with its command."""
    rejected = Counter({k.split(":", 1)[1]: v for k, v in out.answers.items()
                        if k.startswith("rejected:")})
    rows = [
        ("transfers attempted", f"{sum(out.answers.values()):,}"),
        ("committed", f"{sum(out.committed.values()):,} ({out.committed['local']:,} local, "
                      f"{out.committed['cross-node']:,} cross-node)"),
        ("rejected", f"{sum(rejected.values()):,} at the debtor's node ("
                     + (", ".join(f"{c} {n}" for c, n in rejected.most_common()) or "none")
                     + f"); {out.released:,} cross-node refused by the peer"),
        ("never answered / server errors", f"{out.answers['unanswered']} / "
         f"{sum(v for k, v in out.answers.items() if k.startswith('server_error'))}"),
        ("kills survived", f"{out.kills.get('SIGKILL', 0) + out.kills.get('crash points', 0)}"
                           f" ({', '.join(f'{k} {v}' for k, v in out.kills.items())})"),
        ("network faults (proxy)", f"{out.proxy.get('refused', 0):,} refused, "
         f"{out.proxy.get('cut_request', 0):,} requests cut, {out.proxy.get('cut_response', 0):,}"
         f" responses cut, {out.proxy.get('delayed', 0):,} delayed, "
         f"{out.proxy.get('partitions', 0):,} partitions "
         f"({out.proxy.get('partition_refused', 0):,} refused during them)"),
        ("open after the drain", f"{out.still_open}"),
        ("committed on both sides or neither",
         "yes" if out.lost_by_transfer == out.duplicated_by_transfer == 0 else "NO"),
        *((f"link {link.a} / {link.b}", f"{link.position_ab:+,} / {link.position_ba:+,} min "
           f"({'opposite' if link.symmetric else 'NOT OPPOSITE'}; net of transfers "
           f"{link.net_ab:+,}: {'equal' if link.matches_transfers else 'DIFFERS'})")
          for link in out.links),
        ("reconciliation", out.reconciliation),
        ("members below floor", f"{out.below_floor}"),
        ("hours issued / held", f"{out.issued:,} / {out.held:,} min"),
        ("hours lost", f"{out.lost} min"),
        ("hours duplicated", f"{out.duplicated} min"),
        ("books audit (tests/audit.py)", "passed" if out.audit else "not run"),
        ("wall time", f"{out.seconds:.0f} s"),
    ]
    width = max(len(name) for name, _ in rows)
    verdict = "PASSED" if out.ok else "FAILED"
    return "\n".join([
        f"Command: `.venv/bin/python scripts/chaos.py --kills {args.kills} --seed {args.seed} "
        f"--rate {args.rate:g} --workers {args.workers}`",
        "",
        f"| {'measure'.ljust(width)} | result |",
        f"|{'-' * (width + 2)}|--------|",
        *(f"| {name.ljust(width)} | {value} |" for name, value in rows),
        "",
        f"chaos: {verdict}: {out.lost} minutes lost, {out.duplicated} duplicated.",
    ])
