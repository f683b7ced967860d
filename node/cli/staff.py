"""`hourbridge staff`: console logins from the command line.

    hourbridge staff create-admin --username NAME --data DIR [--password-stdin]

The first admin account of a node, which then creates the others in the console
(/console/staff). The password is read from a hidden prompt (typed twice) or, with
`--password-stdin`, from the first line of standard input: never from the command line, where
the process list and shell history would keep it.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from node.access import Principal, Role
from node.cli.output import out
from node.config import load_config
from node.errors import NodeError
from node.runtime import open_node

staff_app = typer.Typer(help="Console logins (username and password) for staff and admins.",
                        no_args_is_help=True)
DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]
OPERATOR = Principal(Role.ADMIN, "cli")


def read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password: str = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    return password


@staff_app.command("create-admin")
def create_admin(
    username: Annotated[str, typer.Option(help="3 to 32 lowercase letters, digits, . _ -")],
    data: DataOpt,
    password_stdin: Annotated[bool, typer.Option(
        "--password-stdin", help="read the password from standard input's first line")] = False,
) -> None:
    """Create an admin account for the console (the first one, or another)."""
    password = read_password(password_stdin)
    node = open_node(load_config(data))
    try:
        account = node.staff.create(OPERATOR, username=username, role=Role.ADMIN, station=None,
                                    password=password)
    except NodeError as exc:
        out.print(f"[red]refused ({exc.code}):[/] {exc.detail}")
        raise typer.Exit(1) from exc
    finally:
        node.close()
    out.print(f"admin account {account.username} created; sign in at {node.config.url}/console")
