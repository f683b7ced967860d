#!/usr/bin/env python3
"""Closing a settlement window at growing history sizes: does it cost the window or the history?

    .venv/bin/python scripts/bench_history.py [--sizes 10000,100000] [--window 1000]
        [--repeat 3] [--big-window 100000] [--plans] [--write-docs] [--json FILE]

Grows one linked pair of in-process nodes (tests/federation.py: two real SQLite nodes, real
signatures, one FakeClock, the in-process network) through the service layer: batches of
`POST /api/v1/transfers/batch` at sh-pudong, alternately to members of nj-gulou (cross-node,
settled over the link) and to its own members (local transfers, which share the `transfers`
table), with a window closed every `--close-every` cross-node transfers so the history is
windowed as a running node's is. At each size (journal entries of both nodes together) it
times, with the node's own reconciler (`Reconciler.close`, which runs both nodes' sides):

* a window of `--window` new cross-node transfers (half each way);
* an empty window (nothing new on the link).

Each figure is the median of `--repeat` closes. At each size it also times the node report
(`GET /api/v1/reports/node` after a fresh checkpoint), the federation report (both node reports
collected over HTTP, verified, signed and rendered) and a statement page of 50 lines at the top
of a member's history and a tenth of the way up the journal (scripts/bench_history_serving.py).
Then, with `--big-window N`, N more cross-node transfers (both ways, settled, no window closed)
and one close of that window while two clients ask the closer for balances and post local
transfers without pause: the API's p50/p99/max for each, the longest stall of the shared event
loop, the close's time, whether the first close matched, and how many "come back" answers
(standard §20.2) it waited on. The issue's target (issue 17): the largest
size's figure within 1.5x of the smallest's. Limit, in the same run: building the `LeafIndex`
and Merkle root of a window of `--window` leaves in memory (the part of a close no database
can avoid). `--plans` prints SQLite's EXPLAIN QUERY PLAN of every statement the closer ran
to close a 1,000-transfer window that scans a whole table or searches a history table by the
link alone (the link's whole history).
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench_docs import write_json, write_section
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_history_serving import (  # noqa: E402
    Reading,
    Serving,
    close_while_serving,
    read_side,
)
from sqlalchemy import event, func, select  # noqa: E402

from node.db.schema import journal_entries  # noqa: E402
from protocol.merkle import TransferLeaf  # noqa: E402
from protocol.merkle_diff import LeafIndex  # noqa: E402
from tests.federation import Federation  # noqa: E402

console = Console()
CLOSER, PEER = "nj-gulou", "sh-pudong"  # the closer is the smaller id, as scheduled
MEMBERS = 40
BATCH = 100  # TRANSFER_BATCH_MAX
TARGET_RATIO = 1.5
DOC_START = "<!-- bench_history:start -->"
DOC_END = "<!-- bench_history:end -->"
DOC_HEADING = "## Settlement windows over a long history"
DOC_INTRO = """\
What `scripts/bench_history.py` measures (issue 17, item 1): one linked pair of in-process nodes
(real SQLite databases and signatures, tests/federation.py) grown through the service layer to
each size of journal (both nodes' entries together; local and cross-node transfers mixed, a
window closed every few thousand cross-node transfers), and at each size the wall time of one
`Reconciler.close` (both nodes' sides) for a window of 1,000 new cross-node transfers and for an
empty window; the median of the repeats. Target: the largest size within 1.5x of the smallest.
The limit is building the window's `LeafIndex` and root in memory."""


@dataclass
class Size:
    entries: int
    cross: int
    window_s: float
    empty_s: float
    window_matched: bool
    empty_matched: bool
    reading: Reading | None = None


class Grower:
    """The pair and its history so far."""

    def __init__(self, folder: Path, close_every: int) -> None:
        self.fed = Federation(folder, [CLOSER, PEER], members=MEMBERS, grant_minutes=10_000_000)
        self.close_every = close_every
        self.cross = 0
        self.since_close = 0
        self.serial = 0
        self.rng = random.Random(2026)

    def height(self, node_id: str) -> int:
        with self.fed.nodes[node_id].db.read() as conn:
            return int(conn.execute(select(func.max(journal_entries.c.height))).scalar() or 0)

    def entries(self) -> int:
        total = 0
        for node in self.fed.nodes.values():
            with node.db.read() as conn:
                total += int(conn.execute(select(func.max(journal_entries.c.height))).scalar()
                             or 0)
        return total

    def batch(self, sender: str, receiver: str, count: int) -> None:
        items = []
        for _ in range(count):
            self.serial += 1
            debtor = self.rng.randrange(MEMBERS)
            creditor = (debtor + 1 + self.rng.randrange(MEMBERS - 1)) % MEMBERS
            items.append({"id": f"h{self.serial}", "amount_minutes": self.rng.randint(1, 90),
                          "from": f"m{debtor}@{sender}", "to": f"m{creditor}@{receiver}",
                          "memo": ""})
        reply = self.fed.call(sender, "POST", "/api/v1/transfers/batch", {"items": items})
        if reply.status_code != 201:
            raise SystemExit(f"batch refused: {reply.status_code} {reply.text[:300]}")

    def cross_both_ways(self, count: int) -> None:
        """`count` new cross-node transfers, half each way, settled."""
        half = count // 2
        for sender, receiver, todo in ((CLOSER, PEER, half), (PEER, CLOSER, count - half)):
            while todo > 0:
                step = min(BATCH, todo)
                self.batch(sender, receiver, step)
                todo -= step
        self.fed.settle()
        self.cross += count

    def grow_to(self, entries: int, progress: Progress) -> None:
        start = self.entries()
        task = progress.add_task(f"growing to {entries:,} entries", total=max(1, entries - start))
        while (now := self.entries()) < entries:
            self.batch(CLOSER, PEER, BATCH)
            self.batch(PEER, CLOSER, BATCH)
            self.batch(CLOSER, CLOSER, BATCH)  # local: shares the `transfers` table
            self.fed.settle()
            self.cross += 2 * BATCH
            self.since_close += 2 * BATCH
            if self.since_close >= self.close_every:
                self.close()
            progress.update(task, completed=now - start)
        self.close()
        progress.remove_task(task)

    def load_window(self, count: int, progress: Progress) -> None:
        """`count` cross-node transfers, both ways, settled as they go, no window closed."""
        task = progress.add_task(f"a window of {count:,} transfers", total=count)
        done = 0
        while done < count:
            self.batch(CLOSER, PEER, BATCH)
            self.batch(PEER, CLOSER, BATCH)
            self.fed.settle()
            done += 2 * BATCH
            progress.update(task, completed=done)
        self.cross += done
        progress.remove_task(task)

    def close(self) -> tuple[float, bool]:
        started = time.perf_counter()
        view = self.fed.close_window(CLOSER, PEER)
        self.since_close = 0
        return time.perf_counter() - started, view["state"] == "matched"


def measure(grower: Grower, window: int, repeat: int) -> tuple[float, float, bool, bool]:
    windows, empties, all_matched, empty_matched = [], [], True, True
    for _ in range(repeat):
        grower.cross_both_ways(window)
        seconds, matched = grower.close()
        windows.append(seconds)
        all_matched = all_matched and matched
        seconds, matched = grower.close()
        empties.append(seconds)
        empty_matched = empty_matched and matched
    return statistics.median(windows), statistics.median(empties), all_matched, empty_matched


# A search of a history table by the link alone (no bound on sequence or height) walks the
# link's whole history, as a scan walks the whole table.
UNBOUNDED = re.compile(r"SEARCH (postings|in_transactions|out_transactions|remote_transfers) "
                       r"USING (COVERING )?INDEX \w+ \((account_code|sender|peer_node_id|"
                       r"debtor_node)=\?\)$")


def walks_history(line: str) -> bool:
    return (line.startswith("SCAN") and "USING" not in line) or bool(UNBOUNDED.search(line))


def scans(grower: Grower, window: int) -> list[tuple[str, str]]:
    """(statement, plan) of every statement a window's close ran on the closer that scans a
    table or walks the link's whole history."""
    engine = grower.fed.nodes[CLOSER].db.engine
    seen: list[tuple[str, Any]] = []

    def listen(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any,
               _many: bool) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append((statement, parameters))

    grower.cross_both_ways(window)
    event.listen(engine, "before_cursor_execute", listen)
    try:
        grower.close()
    finally:
        event.remove(engine, "before_cursor_execute", listen)
    found: dict[str, str] = {}
    raw = engine.raw_connection()
    try:
        for statement, parameters in seen:
            rows = raw.cursor().execute(f"EXPLAIN QUERY PLAN {statement}", parameters).fetchall()
            plan = " | ".join(str(row[-1]) for row in rows)
            if any(walks_history(str(row[-1])) for row in rows):
                found[" ".join(statement.split())[:220]] = plan
    finally:
        raw.close()
    return sorted(found.items())


def leaf_limit(window: int, repeat: int) -> float:
    rng = random.Random(7)
    leaves = [TransferLeaf(CLOSER if i % 2 else PEER, f"tr-{rng.getrandbits(128):032x}",
                           rng.randint(1, 90), rng.randbytes(32).hex()) for i in range(window)]
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        LeafIndex(list(leaves)).root()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def run(args: argparse.Namespace,
        ) -> tuple[list[Size], float, list[tuple[str, str]], Serving | None]:
    sizes: list[Size] = []
    plans: list[tuple[str, str]] = []
    serving: Serving | None = None
    with tempfile.TemporaryDirectory(prefix="hourbridge-history-") as folder:
        grower = Grower(Path(folder), args.close_every)
        try:
            with Progress(console=console, transient=True) as progress:
                for target in args.sizes:
                    grower.grow_to(target, progress)
                    entries = grower.entries()
                    task = progress.add_task(f"closing windows at {entries:,}", total=None)
                    window_s, empty_s, w_ok, e_ok = measure(grower, args.window, args.repeat)
                    reading = read_side(grower.fed, CLOSER, member="m0",
                                        height=grower.height(CLOSER))
                    progress.remove_task(task)
                    sizes.append(Size(entries, grower.cross, window_s, empty_s, w_ok, e_ok,
                                      reading))
                    console.print(f"{entries:>10,} entries: window {window_s:.3f} s, "
                                  f"empty {empty_s:.3f} s, {reading}")
                if args.big_window:
                    serving = big_close(grower, args.big_window, progress)
            if args.plans:
                plans = scans(grower, args.window)
        finally:
            grower.fed.close()
    return sizes, leaf_limit(args.window, args.repeat), plans, serving


def big_close(grower: Grower, count: int, progress: Progress) -> Serving:
    grower.load_window(count, progress)
    task = progress.add_task(f"closing the {count:,}-transfer window while serving", total=None)
    serving = close_while_serving(grower.fed, CLOSER, PEER, members=MEMBERS, transfers=count,
                                  entries=grower.entries())
    progress.remove_task(task)
    console.print(serving)
    return serving


def ratio(sizes: list[Size], value: str) -> float:
    return float(getattr(sizes[-1], value)) / max(1e-9, float(getattr(sizes[0], value)))


def rows(sizes: list[Size], limit: float) -> list[list[str]]:
    out = []
    for size in sizes:
        out.append([f"{size.entries:,}", f"{size.cross:,}",
                    f"{size.window_s * 1000:,.0f} ms" + ("" if size.window_matched else " !"),
                    f"{size.window_s / limit:,.0f}x",
                    f"{size.empty_s * 1000:,.0f} ms" + ("" if size.empty_matched else " !")])
    return out


HEADERS = ["journal entries (both nodes)", "cross-node transfers", "close: 1,000-transfer window",
           "vs limit", "close: empty window"]
READ_HEADERS = ["journal entries (both nodes)", "node report", "federation report",
                "statement page: newest", "statement page: at a tenth of the journal"]
SERVING_HEADERS = ["window (cross-node transfers)", "journal entries (both nodes)",
                   "first close", "close time", "come backs", "balance reads p50 / p99 / max",
                   "local transfers p50 / p99 / max", "longest loop stall"]


def read_rows(sizes: list[Size]) -> list[list[str]]:
    return [[f"{size.entries:,}", f"{size.reading.node_report_s * 1000:,.0f} ms",
              f"{size.reading.federation_report_s * 1000:,.0f} ms",
              f"{size.reading.statement_first_ms:,.1f} ms",
              f"{size.reading.statement_deep_ms:,.1f} ms (height {size.reading.deep_height:,})"]
             for size in sizes if size.reading is not None]


def serving_row(found: Serving) -> list[str]:
    return [f"{found.transfers:,}", f"{found.entries:,}", found.state,
            f"{found.close_s:,.1f} s", str(found.come_backs),
            f"{found.read_p50_ms:,.0f} / {found.read_p99_ms:,.0f} / {found.read_max_ms:,.0f} ms "
            f"({found.reads:,} reads)",
            f"{found.local_p50_ms:,.0f} / {found.local_p99_ms:,.0f} / {found.local_max_ms:,.0f} ms",
            f"{found.lag_max_ms:,.0f} ms"]


def _table(title: str, headers: list[str], body: list[list[str]]) -> Table:
    table = Table(title=title)
    for header in headers:
        table.add_column(header, justify="right")
    for row in body:
        table.add_row(*row)
    return table


def _markdown_table(headers: list[str], body: list[list[str]]) -> list[str]:
    return (["| " + " | ".join(headers) + " |", "|" + "---:|" * len(headers)]
            + ["| " + " | ".join(row) + " |" for row in body])


def render(sizes: list[Size], limit: float) -> Table:
    return _table("Closing a settlement window as the history grows", HEADERS,
                  rows(sizes, limit))


def verdict(sizes: list[Size]) -> str:
    window, empty = ratio(sizes, "window_s"), ratio(sizes, "empty_s")
    ok = window <= TARGET_RATIO and empty <= TARGET_RATIO
    return (f"largest / smallest size: window {window:.2f}x, empty {empty:.2f}x "
            f"(target <= {TARGET_RATIO}x: {'met' if ok else 'NOT met'})")


def command_line(args: argparse.Namespace) -> str:
    return (f".venv/bin/python scripts/bench_history.py --sizes "
            f"{','.join(str(s) for s in args.sizes)} --window {args.window} "
            f"--repeat {args.repeat} --close-every {args.close_every} "
            f"--big-window {args.big_window}")


def markdown(sizes: list[Size], limit: float, args: argparse.Namespace, label: str,
             serving: Serving | None) -> str:
    lines = [DOC_START, "", f"{label}: `{command_line(args)}` on {platform.machine()}, "
             f"{os.cpu_count()} CPUs, Python {platform.python_version()}. Limit (the window's "
             f"`LeafIndex` and root in memory): {limit * 1000:.1f} ms.", ""]
    lines += _markdown_table(HEADERS, rows(sizes, limit))
    lines += ["", verdict(sizes) + ".", "", "Reports and statements, at each size:", ""]
    lines += _markdown_table(READ_HEADERS, read_rows(sizes))
    if serving is not None:
        lines += ["", "The API while a big window closes (two clients without pause, each a "
                  "balance read then a local transfer; both nodes and the API on one event "
                  "loop):", ""]
        lines += _markdown_table(SERVING_HEADERS, [serving_row(serving)])
    lines += ["", DOC_END]
    return "\n".join(lines)


def parse_sizes(text: str) -> list[int]:
    return sorted(int(part.replace("_", "")) for part in text.split(",") if part.strip())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=parse_sizes, default=parse_sizes("10000,100000"),
                        help="journal entries of both nodes together, comma-separated")
    parser.add_argument("--window", type=int, default=1_000, help="new transfers in the window")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--close-every", type=int, default=5_000,
                        help="cross-node transfers between windows while growing")
    parser.add_argument("--big-window", type=int, default=100_000,
                        help="cross-node transfers of the window closed while the API serves "
                        "(0: none)")
    parser.add_argument("--plans", action="store_true",
                        help="print the query plans that scan a whole table")
    parser.add_argument("--label", default="Measured", help="how the docs name this run")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    started = time.perf_counter()
    sizes, limit, plans, serving = run(args)
    console.print(render(sizes, limit))
    console.print(verdict(sizes))
    console.print(_table("Reports and statements", READ_HEADERS, read_rows(sizes)))
    if serving is not None:
        console.print(_table("The API while a big window closes", SERVING_HEADERS,
                             [serving_row(serving)]))
    for statement, plan in plans:
        console.print(f"[bold]{statement}[/bold]\n    {plan}")
    console.print(f"whole run {time.perf_counter() - started:.0f} s")
    if args.json:
        write_json(args.json, command_line(args), sizes=sizes, limit_s=limit,
                   serving=serving)
    if args.write_docs:
        path = write_section(DOC_START, DOC_END,
                             markdown(sizes, limit, args, args.label, serving),
                             new_heading=f"{DOC_HEADING}\n\n{DOC_INTRO}")
        console.print(f"wrote {path}")


if __name__ == "__main__":
    main()
