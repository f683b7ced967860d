"""The local demo federation behind `./scripts/up`: three city nodes and a clearing hub on
loopback with demo data.

Each node is a real `hourbridge serve` process with its own data folder under `--data`. Demo data
goes in over the HTTP API with fixed, client-chosen ids, so a second run replays instead of adding
hours twice. Tokens are minted once, as `hourbridge token create` does, and kept (mode 0600) in
each node's folder. Then it tells the story in scripts/demo_story.py step by step: a gift
across cities, spent there on a service visit, a complaint, and a member who moves city; each
node runs its city's example policy (scripts/demo_rules.py). Shanghai and Nanjing have no link of
their own: the gift between them goes through the hub yrd-hub (scripts/demo_directory.py signs the
link map), which keeps none of it. `--smoke` starts, seeds, checks
every balance over the API, runs the story and stops: for CI.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

# scripts/ is sys.path[0] when this file runs, so its sibling imports as a top-level module.
from demo_directory import (
    AUTHORITY_DIR,
    FEDERATION_ID,
    HOPS_MAX,
    LINKS_PUBLISHED,
    PUBLISHED,
    DemoDirectory,
    DirectoryFailed,
    ensure_directory,
)
from demo_portal import PORTAL_DIR, PORTAL_LOG, PortalFailed, start_portal
from demo_report import REPORT_DIR, ReportFailed, write_and_verify
from demo_seed import (
    DEMO_STAFF_PASSWORD,
    SITES,
    SeedError,
    Site,
    balances,
    expected_balances,
    seed,
    staff_username,
)
from demo_story import STORY_DELTAS, Story, StoryError, already_told
from demo_story import Node as StoryNode
from rich import box
from rich.console import Console
from rich.table import Table

from node.access import Role
from node.config import load_config
from node.errors import NodeError
from node.runtime import open_node

ROOT = Path(__file__).resolve().parent.parent
HEALTH_WAIT_S = 45.0
STOP_WAIT_S = 10.0
TOKENS_FILE = "demo-tokens.json"
OPERATOR_ROLES = ("admin", "regulator", "staff")  # the member token waits for its member
HUB_ROLES = ("admin", "regulator")  # a hub has no station and no members
# The CLI next to the interpreter running this script (the project's .venv), else PATH's.
HOURBRIDGE = shutil.which("hourbridge", path=str(Path(sys.executable).parent)) or "hourbridge"
# Full-width tables in CI logs and pipes too (rich assumes 80 columns there and folds tokens).
console = Console(highlight=False, width=None if sys.stdout.isatty() else 120)


class Stop(Exception):
    """SIGINT or SIGTERM arrived: stop every node and leave."""


class Failed(Exception):
    """Setup failed in a way the operator must see; the message says what to do."""


@dataclass
class Running:
    site: Site
    folder: Path
    port: int
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None


def child_env() -> dict[str, str]:
    # A HOURBRIDGE_* variable from the caller's shell (a database URL, a data folder) would point
    # the demo nodes somewhere else, so the children see none of them.
    return {k: v for k, v in os.environ.items() if not k.startswith("HOURBRIDGE_")}


def require_free(port: int) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        # Same option uvicorn binds with, so a socket of our previous run in TIME_WAIT is no clash.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", port))
        except OSError as exc:
            raise Failed(f"port {port} is busy ({exc.strerror}); stop whatever holds it "
                         "or pick other ports with --base-port") from exc


def init_node(node: Running) -> None:
    if (node.folder / "node.toml").is_file():
        return
    if node.folder.exists() and any(node.folder.iterdir()):
        raise Failed(f"{node.folder} is half initialised; run again with --fresh")
    done = subprocess.run(
        [HOURBRIDGE, "init", "--node-id", node.site.node_id, "--region", node.site.region,
         "--url", node.url, "--name", node.site.name, "--data", str(node.folder)],
        env=child_env(), capture_output=True, text=True)
    if done.returncode != 0:
        raise Failed(f"hourbridge init {node.site.node_id} failed:\n{done.stderr or done.stdout}")


def load_tokens(node: Running) -> dict[str, str]:
    path = node.folder / TOKENS_FILE
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}


def save_tokens(node: Running, tokens: dict[str, str]) -> None:
    path, tmp = node.folder / TOKENS_FILE, node.folder / (TOKENS_FILE + ".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)  # secrets: never world-readable
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(tokens, handle, indent=2)
    tmp.replace(path)


def operator_roles(site: Site) -> tuple[str, ...]:
    return HUB_ROLES if site.hub else OPERATOR_ROLES


def all_roles(site: Site) -> tuple[str, ...]:
    return HUB_ROLES if site.hub else (*OPERATOR_ROLES, "member")


def ensure_tokens(node: Running, roles: tuple[str, ...]) -> dict[str, str]:
    """Mint the tokens this node lacks; keep every token across runs."""
    tokens = load_tokens(node)
    missing = [role for role in roles if role not in tokens]
    if not missing:
        return tokens
    scopes = {"staff": {"station": node.site.station},
              "member": {"member_local_id": node.site.member_token_for}}
    # The token service `hourbridge token create` calls, in-process: a CLI start per token would
    # cost a second each. env={} keeps the caller's HOURBRIDGE_* variables out, as for the nodes.
    opened = open_node(load_config(node.folder, env={}))
    try:
        for role in missing:
            tokens[role] = opened.tokens.create(role=Role(role), label="demo",
                                                **scopes.get(role, {})).token
            save_tokens(node, tokens)
    finally:
        opened.close()
    return tokens


def start(node: Running, log_dir: Path) -> None:
    # The environment wins over node.toml, so a folder made with other ports can be reused.
    env = child_env() | {
        "HOURBRIDGE_URL": node.url, "HOURBRIDGE_HOST": "127.0.0.1",
        "HOURBRIDGE_PORT": str(node.port)}
    log = (log_dir / f"{node.site.node_id}.log").open("ab")
    # A session of its own: Ctrl-C reaches only this script, which then stops nodes in order.
    node.process = subprocess.Popen(
        [HOURBRIDGE, "serve", "--data", str(node.folder), "--log-level", "warning"],
        env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    log.close()


def log_tail(node: Running, log_dir: Path, lines: int = 15) -> str:
    path = log_dir / f"{node.site.node_id}.log"
    text = path.read_text(errors="replace") if path.exists() else ""
    return f"(log {path})\n" + "\n".join(text.splitlines()[-lines:])


def wait_healthy(nodes: list[Running], log_dir: Path) -> None:
    waiting, started = {n.site.node_id: n for n in nodes}, time.monotonic()
    with console.status("waiting for /healthz ...") as status, httpx.Client(timeout=2) as http:
        while waiting:
            for node_id, node in list(waiting.items()):
                assert node.process is not None
                if node.process.poll() is not None:
                    raise Failed(f"{node_id} exited with {node.process.returncode} "
                                 f"{log_tail(node, log_dir)}")
                try:
                    healthy = http.get(f"{node.url}/healthz").status_code == 200
                except httpx.TransportError:
                    healthy = False
                if healthy:
                    del waiting[node_id]
                    console.print(f"  {node_id} healthy after {time.monotonic() - started:.1f} s")
            elapsed = time.monotonic() - started
            if waiting and elapsed > HEALTH_WAIT_S:
                raise Failed(f"no /healthz from {', '.join(waiting)} in {HEALTH_WAIT_S:.0f} s; "
                             f"logs in {log_dir}")
            status.update(f"waiting for /healthz from {', '.join(waiting)} ({elapsed:.0f} s)")
            time.sleep(0.2)


def hours(minutes: int) -> str:
    return f"{minutes // 60} h {minutes % 60:02d} min"


def show(nodes: list[Running], tokens: dict[str, dict[str, str]],
         seen: dict[str, dict[str, dict[str, Any]]]) -> None:
    def new_table(title: str, *columns: str) -> Table:
        return Table(*columns, title=title, box=box.SIMPLE_HEAD, padding=(0, 1, 0, 0))

    table = new_table("HourBridge demo federation", "node", "name", "region", "URL", "API docs")
    access = new_table("API tokens", "node", "role", "scope", "token")
    access.columns[3].no_wrap = True  # a folded token cannot be copied
    people = new_table("Demo members (balances read from the API)", "address", "name", "",
                       "station", "available", "by credit class (min)")
    people.columns[4].justify = "right"
    for node in nodes:
        site = node.site
        table.add_row(site.node_id, site.name, site.region, node.url, f"{node.url}/docs")
        scopes = {"staff": f"station {site.station}", "member": site.member_token_for}
        for role, token in tokens[site.node_id].items():
            access.add_row(site.node_id, role, scopes.get(role, ""), token)
        for m in site.members:
            got = seen[site.node_id][m.local_id]
            classes = ", ".join(f"{k} {v}" for k, v in sorted(got["by_class_minutes"].items()) if v)
            people.add_row(got["address"], m.name, m.kind, m.station or "",
                           hours(got["available_minutes"]), classes)
    for part in (table, access, people):
        console.print(part)
    url, admin = nodes[0].url, tokens[nodes[0].site.node_id]["admin"]
    body = '{"id": "try-1", "from": "liu-yang", "to": "chen-jianguo", "amount_minutes": 30}'
    console.print("Staff console, in a browser (log in with that node's staff or admin token; "
                  "docs/console.md):")
    for node in nodes:
        console.print(f"  {node.site.node_id:<12} {node.url}/console", soft_wrap=True)
    console.print("  or sign in with a username (station staff, password "
                  f"{DEMO_STAFF_PASSWORD}): "
                  + ", ".join(f"{staff_username(n.site)} at {n.site.node_id}" for n in nodes
                              if not n.site.hub))
    console.print(f"Try it:\n  curl {url}/healthz\n"
                  f"  curl -H 'Authorization: Bearer {admin}' "
                  f"{url}/api/v1/members/wang-guifang/balance\n"
                  f"  curl -H 'Authorization: Bearer {admin}' -H 'Content-Type: application/json' "
                  f"-d '{body}' {url}/api/v1/transfers\n", soft_wrap=True)


def verify(nodes: list[Running], seen: dict[str, dict[str, dict[str, Any]]], *,
           told: bool) -> None:
    """Balances as seeded, plus the story's moves when an earlier run told it."""
    wrong = 0
    for node in nodes:
        for local_id, want in expected_balances(node.site).items():
            if told:
                want += STORY_DELTAS.get(f"{local_id}@{node.site.node_id}", 0)
            got = seen[node.site.node_id][local_id]["available_minutes"]
            verdict = "ok" if got == want else f"WRONG (expected {want})"
            console.print(f"{verdict} {local_id}@{node.site.node_id} {got} min")
            wrong += got != want
    if wrong:
        raise Failed(f"{wrong} balances differ from the seeded data")


def check_directory(nodes: list[Running], directory: DemoDirectory) -> str:
    """Each node must hold the published serial, listing all four nodes active."""
    for node in nodes:
        held = httpx.get(f"{node.url}/federation/v1/directory", timeout=10).json()
        listed = {entry["node_id"]: entry["status"] for entry in held.get("nodes", [])}
        if held.get("serial") != directory.serial or set(listed.values()) != {"active"} \
                or set(listed) != {n.site.node_id for n in nodes}:
            raise Failed(f"{node.site.node_id} holds {held.get('serial')} listing {listed}")
    return ", ".join(f"{n.site.node_id} active" for n in nodes)


def check_links(nodes: list[Running], directory: DemoDirectory,
                tokens: dict[str, dict[str, str]]) -> str:
    """Each node must hold the published link map; returns its links in words."""
    held: dict[str, Any] = {}
    for node in nodes:
        reply = httpx.get(f"{node.url}/api/v1/federation/link-map", timeout=10,
                          headers={"Authorization": f"Bearer {tokens[node.site.node_id]['admin']}"})
        held = reply.json()
        if reply.status_code != 200 or held.get("serial") != directory.links_serial:
            raise Failed(f"{node.site.node_id} holds link map {reply.status_code} {held}")
    return ", ".join(f"{link['a']}–{link['b']}" for link in held["links"])


def stop(nodes: list[Running]) -> None:
    alive = [n for n in nodes if n.alive()]
    for node in alive:
        assert node.process is not None
        node.process.terminate()
    deadline = time.monotonic() + STOP_WAIT_S
    for node in alive:
        assert node.process is not None
        try:
            node.process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            node.process.kill()
            node.process.wait()
    if alive:
        console.print(f"stopped {', '.join(n.site.node_id for n in alive)}")


def prepare_folder(data: Path, *, fresh: bool) -> None:
    ours = ({s.node_id for s in SITES} | {f"{s.node_id}.log" for s in SITES}
            | {AUTHORITY_DIR, PUBLISHED, LINKS_PUBLISHED, PORTAL_DIR, PORTAL_LOG, REPORT_DIR})
    if fresh and data.exists():
        # Wipe only what this script made: a mistyped --data must never cost anyone their files.
        strangers = sorted(p.name for p in data.iterdir() if p.name not in ours)
        if strangers:
            raise Failed(f"--fresh refuses to wipe {data}: it holds {', '.join(strangers[:5])}")
        shutil.rmtree(data)
    data.mkdir(parents=True, exist_ok=True)


def run(nodes: list[Running], data: Path, *, smoke: bool, fresh: bool) -> None:
    prepare_folder(data, fresh=fresh)
    for node in nodes:
        require_free(node.port)
    with ThreadPoolExecutor(len(nodes)) as pool:
        list(pool.map(init_node, nodes))
    for node in nodes:
        ensure_tokens(node, operator_roles(node.site))
    directory = ensure_directory(
        data, [(n.folder, n.site.node_id, n.url) for n in nodes], hourbridge=HOURBRIDGE,
        env=child_env())
    for node in nodes:
        start(node, data)
    wait_healthy(nodes, data)
    tokens: dict[str, dict[str, str]] = {}
    for node in nodes:
        seed(node.site, node.url, load_tokens(node)["admin"])
        tokens[node.site.node_id] = ensure_tokens(node, all_roles(node.site))
    # The regulator's read-only token is enough to read every balance.
    seen = {n.site.node_id: balances(n.site, n.url, tokens[n.site.node_id]["regulator"])
            for n in nodes}
    show(nodes, tokens, seen)
    held = check_directory(nodes, directory)
    console.print(f"\nfederation {FEDERATION_ID}: every node holds directory serial "
                  f"{directory.serial} ({held}), signed by the authority key "
                  f"{directory.anchor.split('=')[0]}; see /federation/v1/directory on any node")
    console.print(f"link map serial {directory.links_serial}, held by every node: direct links "
                  f"{check_links(nodes, directory, tokens)}; any other pair trades through "
                  f"them (at most {HOPS_MAX} links); see /api/v1/federation/link-map")
    story_nodes = {n.site.node_id: StoryNode(n.site.node_id, n.url,
                                             tokens[n.site.node_id]["admin"],
                                             tokens[n.site.node_id].get("staff", ""))
                   for n in nodes}
    if smoke:
        verify(nodes, seen, told=already_told(story_nodes))
    Story(story_nodes, console).run()
    write_and_verify(data, directory, {n.site.node_id: tokens[n.site.node_id]["regulator"]
                                       for n in nodes},
                     admins={n.site.node_id: (n.url, tokens[n.site.node_id]["admin"])
                             for n in nodes},
                     hourbridge=HOURBRIDGE, env=child_env(), console=console)
    # The regulator's portal (scripts/demo_portal.py) on the port after the nodes'.
    start_portal(data, directory, {n.site.node_id: tokens[n.site.node_id]["regulator"]
                                   for n in nodes}, port=nodes[-1].port + 1,
                 hourbridge=HOURBRIDGE, env=child_env(), console=console)
    if smoke:
        return
    console.print("\nnodes are running; press Ctrl-C to stop them", style="bold")
    while all(n.alive() for n in nodes):
        time.sleep(1)
    dead = next(n for n in nodes if not n.alive())
    assert dead.process is not None
    raise Failed(f"{dead.site.node_id} stopped unexpectedly (exit {dead.process.returncode}) "
                 f"{log_tail(dead, data)}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=ROOT / ".hourbridge" / "demo",
                        help="demo folder, one sub-folder per node (default .hourbridge/demo)")
    parser.add_argument("--base-port", type=int, default=8701,
                        help="port of the first node; the others take the next ones")
    parser.add_argument("--smoke", action="store_true", help="start, seed, verify, stop")
    parser.add_argument("--fresh", action="store_true", help="wipe the demo folder first")
    args = parser.parse_args()
    # The nodes take len(SITES) ports from --base-port, the portal the one after them.
    if not 1024 <= args.base_port <= 65535 - len(SITES):
        parser.error(f"--base-port must be in 1024..{65535 - len(SITES)}")
    data: Path = args.data.resolve()
    nodes = [Running(site, data / site.node_id, args.base_port + i)
             for i, site in enumerate(SITES)]

    def on_signal(signum: int, _frame: object) -> None:
        raise Stop(signal.Signals(signum).name)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        run(nodes, data, smoke=args.smoke, fresh=args.fresh)
        return 0
    except Stop as why:
        console.print(f"\n{why}: stopping the nodes")
        return 0
    except (Failed, SeedError, StoryError, NodeError, DirectoryFailed, ReportFailed,
            PortalFailed) as exc:
        console.print(f"[red]error:[/] {exc}")
        return 1
    finally:
        # A second Ctrl-C must not cut the shutdown short and leave orphaned nodes behind.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        stop(nodes)


if __name__ == "__main__":
    sys.exit(main())
