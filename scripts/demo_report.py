"""The demo's federation report: what a regulator (民政局) would collect once the day's windows
are closed, written and then checked the way a regulator checks it, offline.

`write_and_verify` collects every node's signed statements with the regulator tokens, writes
report.json (signed by the federation authority), report.csv and report.html, and runs the real
`hourbridge verify-report` on the result.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from demo_directory import AUTHORITY_DIR, FEDERATION_ID, DemoDirectory
from rich.console import Console

from node.cli.authority import AuthorityFolder
from node.keys import passphrase_from_env
from node.reports import federation

REPORT_DIR = "report"


class ReportFailed(Exception):
    pass


def write_and_verify(data: Path, directory: DemoDirectory, regulator_tokens: dict[str, str],
                     *, hourbridge: str, env: dict[str, str], console: Console) -> Path:
    key = AuthorityFolder(data / AUTHORITY_DIR).load_key(passphrase_from_env())
    path, _ = federation.build(
        directory=json.loads(directory.path.read_text(encoding="utf-8")),
        tokens=regulator_tokens, out_dir=data / REPORT_DIR, signer=FEDERATION_ID, key=key)
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
    console.print(f"  check it yourself: hourbridge verify-report {path} "
                  f"--directory {directory.path}")
    return path
