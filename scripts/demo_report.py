"""The demo's federation report: what a regulator (民政局) would collect once the day's windows
are closed, written and then checked the way a regulator checks it, offline.

`write_and_verify` first has each node sign a ledger checkpoint (as its scheduler would), so
each node's report is at the day's end; it then collects every node's signed statements and
signed node report with the regulator tokens, writes report.json (signed by the federation
authority), report.csv and report.html, and runs the real `hourbridge verify-report` on the
result. The report carries the authority's link map, so its settlement section shows what the
hub yrd-hub nets.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import httpx
from demo_directory import AUTHORITY_DIR, FEDERATION_ID, DemoDirectory
from rich.console import Console

from node.cli.authority import AuthorityFolder
from node.keys import passphrase_from_env
from node.reports import federation

REPORT_DIR = "report"
CHECKPOINTS_PATH = "/api/v1/ledger/checkpoints"


class ReportFailed(Exception):
    pass


def sign_checkpoints(admins: dict[str, tuple[str, str]]) -> dict[str, int]:
    """Each node signs a ledger checkpoint now: {node id: height}. `admins`: the node's base
    URL and an admin token, by node id."""
    heights = {}
    for node_id, (url, token) in admins.items():
        answer = httpx.post(url.rstrip("/") + CHECKPOINTS_PATH, timeout=30.0,
                            headers={"Authorization": f"Bearer {token}"})
        if answer.status_code not in (200, 201):
            raise ReportFailed(f"{node_id} did not sign a checkpoint: HTTP "
                               f"{answer.status_code} {answer.text[:200]}")
        heights[node_id] = int(answer.json()["height"])
    return heights


def write_and_verify(data: Path, directory: DemoDirectory, regulator_tokens: dict[str, str],
                     *, admins: dict[str, tuple[str, str]], hourbridge: str,
                     env: dict[str, str], console: Console) -> Path:
    heights = sign_checkpoints(admins)
    console.print("\nledger checkpoints signed: " + ", ".join(
        f"{node_id} at height {height}" for node_id, height in sorted(heights.items())))
    key = AuthorityFolder(data / AUTHORITY_DIR).load_key(passphrase_from_env())
    path, report = federation.build(
        directory=json.loads(directory.path.read_text(encoding="utf-8")),
        tokens=regulator_tokens, out_dir=data / REPORT_DIR, key=key,
        link_map=json.loads(directory.links_path.read_text(encoding="utf-8")))
    missing = report["node_report_failures"]
    if missing:
        raise ReportFailed("the report misses nodes: " + "; ".join(
            f"{m['node']}: {m['error']}" for m in missing))
    checked = subprocess.run(
        [hourbridge, "verify-report", str(path), "--directory", str(directory.path)],
        env=env, capture_output=True, text=True)
    if checked.returncode != 0:
        raise ReportFailed(f"verify-report refused the demo's report:\n{checked.stdout}"
                           f"{checked.stderr}")
    console.print(f"\nfederation report for the regulator, signed by {FEDERATION_ID}'s "
                  f"authority:\n  {path.with_suffix('.html')}\n  {path}\n  "
                  f"{path.with_suffix('.csv')}")
    console.print(f"  {checked.stdout.strip().splitlines()[-1]}")
    for hub in report["settlement"]["hubs"]:  # every node with more than one link in the map
        console.print(f"  settlement at {hub['node']} ({hub['links']} links): owed "
                      f"{hub['owed_minutes']} min, owing {hub['owing_minutes']} min, net "
                      f"{hub['net_minutes']} min; {hub['replaced_minutes']} min of bilateral "
                      "positions replaced")
    console.print(f"  check it yourself: hourbridge verify-report {path} "
                  f"--directory {directory.path}")
    return path
