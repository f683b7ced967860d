"""`hourbridge conformance`: the black-box conformance kit (node/conformance/, docs/conformance.md).

    hourbridge conformance --target http://127.0.0.1:8700 --directory published/ \\
        --key kit/signing_key.pem --node-id ck-kit --member conformance \\
        [--admin-token TOKEN [--listen HOST:PORT]] [--fixtures FILE] [--json]

Exit status: 0 when no check failed (checks not run are listed, never counted as passed), 1
when one failed, 2 when the kit could not begin (a key, a directory or a target it cannot use).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import httpx
import typer
from rich.table import Table

from node.cli.output import err, out
from node.conformance.kit import KitConfig, run
from node.conformance.peer import KitError
from node.conformance.results import Report, Status
from node.keys import passphrase_from_env

STYLE = {Status.PASS: "green", Status.FAIL: "bold red", Status.NOT_RUN: "yellow"}
SETUP_FAILED = 2
ADMIN_TOKEN_ENV = "HOURBRIDGE_CONFORMANCE_ADMIN_TOKEN"


def _print(report: Report) -> None:
    for section, _ in report.sections():
        table = Table("scenario", "result", "detail", title=section, title_justify="left")
        for check in report.checks:
            if check.section == section:
                table.add_row(check.scenario, f"[{STYLE[check.status]}]{check.status}[/]",
                              check.detail)
        out.print(table)
    summary = Table("section", *(status.value for status in Status), title="summary",
                    title_justify="left")
    for section, tally in report.sections():
        summary.add_row(section, *(str(tally[status]) for status in Status))
    out.print(summary)
    verdict = "[green]CONFORMS[/]" if report.passed() else "[bold red]DOES NOT CONFORM[/]"
    out.print(f"{verdict}: {report.count(Status.PASS)} passed, {report.count(Status.FAIL)} "
              f"failed, {report.count(Status.NOT_RUN)} not run")


def _address(text: str | None) -> tuple[str, int] | None:
    if text is None:
        return None
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise typer.BadParameter("HOST:PORT, e.g. 0.0.0.0:8790", param_hint="--listen")
    return host, int(port)


def conformance_cmd(
    target: Annotated[str, typer.Option("--target", help="the target node's base URL")],
    directory: Annotated[Path, typer.Option(
        "--directory", help="the signed directory the target holds (file, or folder with "
        "directory.json); it must list the kit's node id and key")],
    key: Annotated[Path, typer.Option("--key", help="the kit node's key file (PKCS#8 PEM, as "
                                      "`hourbridge init` writes signing_key.pem)")],
    node_id: Annotated[str, typer.Option("--node-id", help="the kit's node id in the directory")],
    member: Annotated[str, typer.Option(
        "--member", help="local id of a member of the target who may receive gifts")],
    target_id: Annotated[str | None, typer.Option(
        "--target-id", help="default: the node id the target's keys document names")] = None,
    admin_token: Annotated[str | None, typer.Option(
        "--admin-token", envvar=ADMIN_TOKEN_ENV, help="the target's admin API token: the kit "
        "then has the target pay a member of the kit, and listens for its transactions")] = None,
    listen: Annotated[str | None, typer.Option(
        "--listen", help="HOST:PORT the kit listens on with --admin-token; default: from the "
        "kit's base_url in the directory")] = None,
    fixtures: Annotated[Path | None, typer.Option(
        "--fixtures", help="a JSON file naming what the operator prepared for the refusals a "
        "peer cannot provoke alone (docs/conformance.md); without it those rows are not "
        "run")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON instead of tables")] = False,
) -> None:
    """Act as a peer node against TARGET over its federation API and check it follows the
    standard; prints pass, fail or not run per scenario, by section of docs/standard.md."""
    config = KitConfig(target_url=target, directory=directory, key_path=key, kit_id=node_id,
                       member=member, target_id=target_id, admin_token=admin_token,
                       listen=_address(listen), fixtures=fixtures)
    try:
        report = run(config, passphrase=passphrase_from_env())
    except (KitError, httpx.HTTPError) as exc:
        err.print(f"[red]conformance kit cannot begin[/]: {exc}")
        raise typer.Exit(SETUP_FAILED) from exc
    if as_json:
        out.print_json(json.dumps(report.to_json()))
    else:
        _print(report)
    if not report.passed():
        raise typer.Exit(1)
