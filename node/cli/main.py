"""`hourbridge`: set up, run and check a node.

Each command is imported when it runs (node/cli/lazy.py): `COMMANDS` says where each lives, in
the order `hourbridge --help` lists them.
"""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from node.cli.lazy import LazyGroup
from node.cli.output import err, out
from node.errors import NodeError

_NODE = "node.cli.node_commands"
COMMANDS = {
    "verify-report": "node.cli.reports:verify_report_cmd",
    "verify-import-receipt": "node.cli.imports:verify_import_receipt_cmd",
    "verify-certificate": "node.cli.certificates:verify_certificate_cmd",
    "recover": "node.cli.reconcile:recover",
    "conformance": "node.cli.conformance:conformance_cmd",  # the black-box kit (issue 16)
    "init": f"{_NODE}:init",
    "migrate": f"{_NODE}:migrate",
    "serve": f"{_NODE}:serve",
    "verify-ledger": f"{_NODE}:verify_ledger_cmd",
    "checkpoint": f"{_NODE}:checkpoint",
    "federation": "node.cli.node_federation:federation_app",
    "keys": "node.cli.node_federation:keys_app",
    "token": f"{_NODE}:token_app",
    "directory": "node.cli.directory:directory_app",
    "report": "node.cli.reports:report_app",
    "window": "node.cli.reconcile:window_app",
    "admin": "node.cli.admin:admin_app",
    "access-log": "node.cli.access_log:access_log_app",
    "import": "node.cli.imports:import_app",
    "staff": "node.cli.staff:staff_app",
    "portal": "node.cli.portal:portal_app",  # the regulator's portal (node/portal/)
}


class HourBridgeGroup(LazyGroup):
    """The root group: readable help (node/cli/help.py), commands loaded as they run."""

    lazy_commands = COMMANDS


app = typer.Typer(help="HourBridge time bank node.", no_args_is_help=True, add_completion=False,
                  cls=HourBridgeGroup)


def _print_version(value: bool) -> None:
    if value:
        from node.version import version_line

        out.print(version_line(), highlight=False)
        raise typer.Exit()


@app.callback()
def _root(
    version: Annotated[bool, typer.Option(
        "--version", callback=_print_version, is_eager=True,
        help="print the node's release and the standard's version, then exit")] = False,
) -> None:
    """HourBridge time bank node."""


def main() -> None:
    try:
        app()
    except NodeError as exc:
        err.print(f"[red]error[/] ({exc.code}): {exc.detail}")
        sys.exit(2)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    main()
