#!/usr/bin/env python3
"""Reconciliation of one settlement window: finding the differing transfers by key-range descent.

    .venv/bin/python scripts/bench_reconcile.py [--transfers 1000000] [--differences 10]
        [--seed 2026] [--write-docs]

Builds a window of N transfers between two nodes in memory (deterministic from the seed), seeds
k differences of mixed classes (missing at the peer, missing locally, amount and prepare_hash
mismatches), builds each side's `LeafIndex`, and runs `protocol.merkle_diff.reconcile` between
them. The differences found must be exactly the ones seeded (exit 1 otherwise).

Limits measured in the same run: hashing every leaf (SHA-256(0x00 ‖ leaf bytes), one hashlib call
per leaf), one bulk SHA-256 pass over the window's leaf hashes (what a whole-window range digest
costs), and the window's RFC 6962 root from those hashes (what recomputing `merkle_root` costs).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from bench_docs import write_json, write_section
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from protocol.conformance.fixtures import T0_MS, vector_directory, vector_key  # noqa: E402
from protocol.merkle import LeafKey, TransferLeaf, leaf_hash, root_from_leaf_hashes  # noqa: E402
from protocol.merkle_diff import (  # noqa: E402
    Bound,
    DifferenceKind,
    LeafIndex,
    RangeSummary,
    reconcile,
)
from protocol.reconciliation import (  # noqa: E402
    admit_reply,
    admit_request,
    build_reply,
    build_request,
    key_from_json,
    leaf_from_json,
    leaf_to_json,
)

console = Console()
DEBTORS = ("nj-gulou", "sh-pudong")
CLASSES = ("missing_at_peer", "missing_locally", "amount", "prepare_hash")
DOC_START = "<!-- bench_reconcile:start -->"
DOC_END = "<!-- bench_reconcile:end -->"
DOC_HEADING = "## Reconciliation: finding differences"
DOC_INTRO = """\
What `scripts/bench_reconcile.py` measures: one settlement window of N transfers between two
nodes, held in memory (no database, no HTTP), with k differences seeded of mixed classes. Each
side builds a `protocol.merkle_diff.LeafIndex` (sort by (debtor_node, transfer_id), RFC 8785 of
each leaf, its RFC 6962 leaf hash into one buffer). Then `reconcile` descends key ranges,
comparing the peer's (count, range digest) with its own, and fetches the peer's leaves only for
ranges of at most 8. "Digests exchanged" counts the peer's range summaries; a node would send
each as one small HTTP answer. The limits are measured in the same run: hashing every leaf once,
one bulk SHA-256 pass over all leaf hashes, and recomputing the window's RFC 6962 root. The
differences found must equal the seeded ones exactly, or the script fails."""


class CountingIndex(LeafIndex):
    """A LeafIndex that counts the bytes its range digests hash, to explain the descent's cost."""

    bytes_hashed = 0

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        answer = super().summary(lo, hi)
        self.bytes_hashed += 32 * answer.count
        return answer


class SignedPeer:
    """The peer's index behind the reconciliation exchange's signed documents: every question is
    a signed `reconciliation.request` admitted by the peer, every answer a signed reply admitted
    by the asker (protocol/reconciliation.py), as between two nodes, without HTTP or database."""

    def __init__(self, index: LeafIndex) -> None:
        self.index = index
        self.directory = vector_directory()
        self.asker, self.answerer = vector_key("sh-pudong"), vector_key("nj-gulou")
        self.round_trips = 0

    def _ask(self, op: str, lo: Bound, hi: Bound) -> dict[str, Any]:
        def bound(key: Bound) -> list[str] | None:
            return None if key is None else list(key)
        self.round_trips += 1
        raw = build_request(request_id=f"{self.round_trips:032x}", sender="sh-pudong",
                            receiver="nj-gulou", op=op,
                            args={"window_index": 1, "lo": bound(lo), "hi": bound(hi)},
                            issued_at_ms=T0_MS, key=self.asker)
        request = admit_request(raw, directory=self.directory, receiver="nj-gulou",
                                now_ms=T0_MS)
        lo_, hi_ = key_from_json(request.args["lo"]), key_from_json(request.args["hi"])
        if op == "summary":
            found = self.index.summary(lo_, hi_)
            result: dict[str, Any] = {"count": found.count, "digest": found.digest.hex()}
        elif op == "split_key":
            result = {"key": list(self.index.split_key(lo_, hi_))}
        else:
            result = {"leaves": [leaf_to_json(leaf) for leaf in self.index.leaves(lo_, hi_)]}
        reply = build_reply(request, result=result, issued_at_ms=T0_MS, key=self.answerer)
        return admit_reply(reply, directory=self.directory, request=raw)

    def summary(self, lo: Bound, hi: Bound) -> RangeSummary:
        answer = self._ask("summary", lo, hi)
        return RangeSummary(answer["count"], bytes.fromhex(answer["digest"]))

    def split_key(self, lo: Bound, hi: Bound) -> LeafKey:
        key = self._ask("split_key", lo, hi)["key"]
        return (key[0], key[1])

    def leaves(self, lo: Bound, hi: Bound) -> Sequence[TransferLeaf]:
        return [leaf_from_json(item) for item in self._ask("leaves", lo, hi)["leaves"]]


@dataclass
class Facts:
    n: int
    k: int
    seeded: int
    found: int
    kinds: list[str]
    digests: int
    keys: int
    leaves: int
    digest_bound: int
    reconcile_seconds: float
    target_seconds: float


@dataclass
class Measure:
    name: str
    seconds: float
    note: str


def make_window(count: int, seed: int, progress: Progress) -> list[TransferLeaf]:
    rng = random.Random(seed)
    task = progress.add_task(f"generating {count:,} transfers", total=count)
    leaves: list[TransferLeaf] = []
    step = max(1, count // 100)
    for number in range(count):
        leaves.append(TransferLeaf(
            DEBTORS[rng.getrandbits(1)],
            f"tr-{rng.getrandbits(128):032x}",
            rng.randint(15, 480),
            rng.randbytes(32).hex(),
        ))
        if number % step == step - 1:
            progress.advance(task, step)
    progress.remove_task(task)
    return leaves


def seed_differences(
    window: list[TransferLeaf], count: int, seed: int
) -> tuple[list[TransferLeaf], list[TransferLeaf], set[tuple[DifferenceKind, LeafKey]]]:
    """(ours, theirs, expected): `count` differences cycling through the four classes."""
    rng = random.Random(seed + 1)
    chosen = rng.sample(range(len(window)), count)
    drop_ours: set[int] = set()
    drop_theirs: set[int] = set()
    changed: dict[int, TransferLeaf] = {}
    expected: set[tuple[DifferenceKind, LeafKey]] = set()
    for turn, position in enumerate(chosen):
        leaf = window[position]
        kind = CLASSES[turn % len(CLASSES)]
        if kind == "missing_at_peer":
            drop_theirs.add(position)
            expected.add((DifferenceKind.MISSING_AT_PEER, leaf.key))
            continue
        if kind == "missing_locally":
            drop_ours.add(position)
            expected.add((DifferenceKind.MISSING_LOCALLY, leaf.key))
            continue
        if kind == "amount":
            changed[position] = replace(leaf, amount_minutes=leaf.amount_minutes + 15)
        else:
            changed[position] = replace(leaf, prepare_hash=rng.randbytes(32).hex())
        expected.add((DifferenceKind.FIELD_MISMATCH, leaf.key))
    ours = [leaf for position, leaf in enumerate(window) if position not in drop_ours]
    theirs = [changed.get(position, leaf) for position, leaf in enumerate(window)
              if position not in drop_theirs]
    # Each node lists its window in its own order (database order); the index sorts.
    rng.shuffle(theirs)
    return ours, theirs, expected


def timed_build(name: str, leaves: Sequence[TransferLeaf], progress: Progress
                ) -> tuple[CountingIndex, float]:
    task = progress.add_task(f"building {name}'s index ({len(leaves):,} leaves)", total=None)
    started = time.perf_counter()
    index = CountingIndex(leaves)
    seconds = time.perf_counter() - started
    progress.remove_task(task)
    return index, seconds


def measure_limits(window: Sequence[TransferLeaf], progress: Progress) -> dict[str, float]:
    task = progress.add_task("measuring limits", total=3)
    data = [leaf.leaf_bytes() for leaf in window]
    started = time.perf_counter()
    hashes = [leaf_hash(item) for item in data]
    leaf_seconds = time.perf_counter() - started
    progress.advance(task)
    buffer = b"".join(hashes)
    started = time.perf_counter()
    hashlib.sha256(buffer).digest()
    bulk_seconds = time.perf_counter() - started
    progress.advance(task)
    started = time.perf_counter()
    root_from_leaf_hashes(hashes)
    root_seconds = time.perf_counter() - started
    progress.advance(task)
    progress.remove_task(task)
    return {"leaf": leaf_seconds, "bulk": bulk_seconds, "root": root_seconds,
            "bulk_bytes": float(len(buffer))}


def run(args: argparse.Namespace) -> tuple[list[Measure], Facts, bool]:
    with Progress(console=console, transient=True) as progress:
        window = make_window(args.transfers, args.seed, progress)
        ours, theirs, expected = seed_differences(window, args.differences, args.seed)
        local, local_build = timed_build("local", ours, progress)
        peer, peer_build = timed_build("peer", theirs, progress)
        task = progress.add_task("reconciling", total=None)
        started = time.perf_counter()
        result = reconcile(local, peer, leaf_threshold=args.threshold)
        reconcile_seconds = time.perf_counter() - started
        progress.remove_task(task)
        task = progress.add_task("reconciling over signed requests and replies", total=None)
        signed_peer = SignedPeer(peer)
        started = time.perf_counter()
        signed = reconcile(local, signed_peer, leaf_threshold=args.threshold)
        signed_seconds = time.perf_counter() - started
        progress.remove_task(task)
        limits = measure_limits(window, progress)
    found = {(difference.kind, difference.key) for difference in result.differences}
    exact = (found == expected and len(result.differences) == len(expected)
             and signed.differences == result.differences)
    n = args.transfers
    hashed = local.bytes_hashed + peer.bytes_hashed
    bulk_rate = limits["bulk_bytes"] / limits["bulk"]
    measures = [
        Measure("build local index", local_build, f"{len(ours):,} leaves: sort, RFC 8785, "
                f"leaf hash; {local_build / len(ours) * 1e6:.2f} µs per leaf"),
        Measure("build peer index", peer_build, f"{len(theirs):,} leaves, shuffled input; "
                f"{peer_build / len(theirs) * 1e6:.2f} µs per leaf"),
        Measure("reconcile (descent)", reconcile_seconds,
                f"{result.digests_exchanged:,} digests, {result.keys_exchanged:,} split keys, "
                f"{result.leaves_exchanged:,} leaves exchanged; range digests hashed "
                f"{hashed / 2**20:,.0f} MiB over both sides ({hashed / (2 * 32 * n):.1f} × "
                "each side's leaf hashes)"),
        Measure("reconcile, every question signed", signed_seconds,
                f"{signed_peer.round_trips:,} round trips, each a signed request admitted and a "
                "signed reply admitted (Ed25519 both ways; no HTTP, no database)"),
        Measure("limit: hash every leaf", limits["leaf"],
                f"SHA-256(0x00 ‖ leaf bytes), {n / limits['leaf']:,.0f} leaves/s"),
        Measure("limit: one bulk SHA-256 pass", limits["bulk"],
                f"{limits['bulk_bytes'] / 2**20:,.1f} MiB of leaf hashes, "
                f"{bulk_rate / 2**20:,.0f} MiB/s"),
        Measure("limit: RFC 6962 root", limits["root"], f"from {n:,} leaf hashes"),
    ]
    digest_bound = 1 + 4 * args.differences * (max(n, 2) - 1).bit_length()
    facts = Facts(n, args.differences, len(expected), len(found),
                  sorted({kind.value for kind, _ in found}), result.digests_exchanged,
                  result.keys_exchanged, result.leaves_exchanged, digest_bound,
                  reconcile_seconds, args.target)
    return measures, facts, exact


def ratio_column(measures: list[Measure], name: str) -> list[str]:
    base = next(measure.seconds for measure in measures if measure.name == name)
    return [f"{measure.seconds / base:.2f}" for measure in measures]


def render(measures: list[Measure]) -> Table:
    table = Table(title="Reconciling one window")
    table.add_column("measure")
    table.add_column("seconds", justify="right")
    table.add_column("÷ hash every leaf", justify="right")
    table.add_column("notes")
    for measure, ratio in zip(measures, ratio_column(measures, "limit: hash every leaf"),
                              strict=True):
        table.add_row(measure.name, f"{measure.seconds:.3f}", ratio, measure.note)
    return table


def summary_lines(facts: Facts, exact: bool) -> list[str]:
    seconds, target = facts.reconcile_seconds, facts.target_seconds
    verdict = "meets" if seconds < target else "misses"
    return [
        f"Differences found {facts.found} of {facts.seeded} seeded "
        f"({', '.join(facts.kinds)}): **{'exact' if exact else 'NOT EXACT'}**.",
        f"Exchanged {facts.digests:,} digests ({facts.digests / facts.n:.6f} of N; bound "
        f"1 + 4·k·⌈log2 N⌉ = {facts.digest_bound:,}), {facts.keys:,} split keys and "
        f"{facts.leaves:,} leaves, instead of {facts.n:,} leaves.",
        f"Target reconcile < {target:.0f} s for {facts.n:,} transfers with k = {facts.k}: "
        f"**{verdict}** ({seconds:.2f} s).",
    ]


def markdown(measures: list[Measure], facts: Facts, exact: bool,
             args: argparse.Namespace) -> str:
    lines = [
        DOC_START,
        f"Measured {time.strftime('%Y-%m-%d')} on {os.cpu_count()} cores (one used), Python "
        f"{platform.python_version()}; {args.transfers:,} transfers, {args.differences} seeded "
        f"differences, seed {args.seed}, leaf threshold {args.threshold}.",
        "",
        f"Command: `.venv/bin/python scripts/bench_reconcile.py --transfers {args.transfers} "
        f"--differences {args.differences} --seed {args.seed} --write-docs`",
        "",
        "| measure | seconds | ÷ hash every leaf | notes |",
        "|---|---:|---:|---|",
    ]
    ratios = ratio_column(measures, "limit: hash every leaf")
    for measure, ratio in zip(measures, ratios, strict=True):
        lines.append(f"| {measure.name} | {measure.seconds:.3f} | {ratio} | {measure.note} |")
    lines += ["", *summary_lines(facts, exact), DOC_END]
    return "\n".join(lines)


def write_docs(section: str) -> Path:
    return write_section(DOC_START, DOC_END, section, new_heading=f"{DOC_HEADING}\n\n{DOC_INTRO}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--transfers", type=int, default=1_000_000)
    parser.add_argument("--differences", type=int, default=10)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--threshold", type=int, default=8, help="leaf threshold of the descent")
    parser.add_argument("--target", type=float, default=10.0, help="reconcile target, seconds")
    parser.add_argument("--write-docs", action="store_true",
                        help="record the table in docs/performance.md")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if not 0 <= args.differences <= args.transfers:
        parser.error("--differences must be between 0 and --transfers")
    measures, facts, exact = run(args)
    console.print(render(measures))
    for line in summary_lines(facts, exact):
        console.print(line.replace("**", ""))
    if not exact:
        console.print("[red]the differences found are not the seeded ones[/red]")
        sys.exit(1)
    if args.json:
        write_json(args.json, f".venv/bin/python scripts/bench_reconcile.py --transfers "
                   f"{args.transfers} --differences {args.differences} --seed {args.seed}",
                   measures=measures, facts=facts)
    if args.write_docs:
        console.print(f"written to {write_docs(markdown(measures, facts, exact, args))}")


if __name__ == "__main__":
    main()
