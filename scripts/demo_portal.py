"""The demo's regulator's portal (民政局's own view, docs/regulators.md), beside the three nodes of
`./scripts/up`: set up once with the real CLI (`hourbridge portal init`, `add-node` with each
node's regulator token, `add-account` for the demo official), then run as `hourbridge portal
serve`, which makes its first federation report at start and one every day after.
"""

from __future__ import annotations

import atexit
import json
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from demo_directory import AUTHORITY_DIR, DemoDirectory
from rich.console import Console

PORTAL_DIR = "portal"
PORTAL_LOG = "portal.log"
DEMO_OFFICIAL = "minzheng"
DEMO_OFFICIAL_PASSWORD = "Jianguan-Demo-2026"
START_WAIT_S = 45.0


class PortalFailed(Exception):
    pass


@dataclass
class DemoPortal:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/portal"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _run(hourbridge: str, env: dict[str, str], *args: str) -> None:
    done = subprocess.run([hourbridge, "portal", *args], env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise PortalFailed(f"hourbridge portal {args[0]} failed:\n{done.stderr or done.stdout}")


def set_up(data: Path, directory: DemoDirectory, regulator_tokens: dict[str, str], *,
           hourbridge: str, env: dict[str, str]) -> Path:
    """The portal's folder, made on the first run; tokens refreshed on every run."""
    folder = data / PORTAL_DIR
    if not (folder / "portal.json").is_file():
        _run(hourbridge, env, "init", "--data", str(folder), "--directory", str(directory.path),
             "--anchor", directory.anchor, "--authority", str(data / AUTHORITY_DIR))
    for node_id, token in sorted(regulator_tokens.items()):
        _run(hourbridge, env, "add-node", node_id, token, "--data", str(folder))
    accounts = json.loads((folder / "accounts.json").read_text(encoding="utf-8"))
    if DEMO_OFFICIAL not in accounts:
        _run(hourbridge, env | {"HOURBRIDGE_PORTAL_PASSWORD": DEMO_OFFICIAL_PASSWORD},
             "add-account", DEMO_OFFICIAL, "--data", str(folder))
    return folder


def free_port(wanted: int) -> int:
    """`wanted` if nothing listens there, else any free port (the demo's nodes took theirs)."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(("127.0.0.1", wanted))
            return wanted
        except OSError:
            probe.bind(("127.0.0.1", 0))
            return int(probe.getsockname()[1])


def start_portal(data: Path, directory: DemoDirectory, regulator_tokens: dict[str, str], *,
          port: int, hourbridge: str, env: dict[str, str], console: Console) -> DemoPortal:
    """Set up, start, and wait until the portal answers and holds its first report."""
    folder = set_up(data, directory, regulator_tokens, hourbridge=hourbridge, env=env)
    port = free_port(port)
    with (data / PORTAL_LOG).open("ab") as log:
        process = subprocess.Popen(
            [hourbridge, "portal", "serve", "--data", str(folder), "--port", str(port)],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    portal = DemoPortal(port, process)
    atexit.register(portal.stop)  # however the demo ends, the portal stops with it
    deadline = time.monotonic() + START_WAIT_S
    while not _ready(portal, folder):
        if process.poll() is not None or time.monotonic() > deadline:
            portal.stop()
            raise PortalFailed(f"the portal did not start with a report; see {data / PORTAL_LOG}")
        time.sleep(0.2)
    console.print(f"\nregulator's portal (民政局): {portal.url}\n  sign in as {DEMO_OFFICIAL}, "
                  f"password {DEMO_OFFICIAL_PASSWORD} (docs/regulators.md)")
    return portal


def _ready(portal: DemoPortal, folder: Path) -> bool:
    try:
        healthy = httpx.get(portal.url.removesuffix("/portal") + "/healthz",
                            timeout=2).status_code == 200
    except httpx.TransportError:
        return False
    return healthy and any(not p.name.startswith(".") for p in (folder / "history").iterdir())
