"""`hourbridge portal ...`: the regulator's portal, run by the federation authority's side
(node/portal/; docs/regulators.md).

    hourbridge portal init --data DIR --directory FILE [--anchor KEY] --authority DIR
    hourbridge portal add-node NODE_ID --data DIR           (token prompted, or from
                                                             HOURBRIDGE_PORTAL_NODE_TOKEN)
    hourbridge portal add-account USERNAME --data DIR       (password prompted, or from
                                                             HOURBRIDGE_PORTAL_PASSWORD)
    hourbridge portal set-password USERNAME --data DIR      (likewise; ends its sessions)
    hourbridge portal remove-account USERNAME --data DIR    (ends its sessions)
    hourbridge portal serve --data DIR [--host H] [--port P]
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from node.cli.authority import AuthorityFolder
from node.clock import SystemClock
from node.datadir import SERVE_UMASK
from node.errors import ConfigError
from node.keys import passphrase_from_env
from node.people.pins import Hasher
from node.portal.accounts import Accounts
from node.portal.folder import PortalFolder, Settings
from protocol.signing import SigningKey

portal_app = typer.Typer(help="The regulator's portal: reports for the civil-affairs bureau, "
                         "served by the federation authority.", no_args_is_help=True)
out = Console(soft_wrap=True, highlight=False)
PASSWORD_ENV = "HOURBRIDGE_PORTAL_PASSWORD"
TOKEN_ENV = "HOURBRIDGE_PORTAL_NODE_TOKEN"
DEFAULT_PORT = 8790

DataOpt = Annotated[Path, typer.Option("--data", envvar="HOURBRIDGE_PORTAL_DATA",
                                       help="the portal's private folder")]


def authority_key(folder: PortalFolder, settings: Settings | None = None) -> SigningKey:
    """The authority's key, which must be one the directory lists: it signs every report."""
    settings = settings or folder.settings()
    _, directory = folder.read_directory(settings)
    key = AuthorityFolder(settings.authority).load_key(passphrase_from_env())
    if not any(k.key_id == key.key_id for k in directory.authority_keys):
        raise ConfigError(f"authority key {key.key_id} is not in the directory "
                          f"{settings.directory}")
    return key


@portal_app.command("init")
def init(
    data: DataOpt,
    directory: Annotated[Path, typer.Option(help="the signed directory the authority publishes")],
    authority: Annotated[Path, typer.Option(help="the authority's folder: its key signs")],
    anchor: Annotated[list[str] | None, typer.Option(
        help="pinned authority key `ed25519:…=<key>`; default: the directory's own")] = None,
) -> None:
    """Make the portal's folder (0700): its settings, and empty token and account files."""
    folder = PortalFolder(data)
    # Checked before anything is written: a wrong key or directory leaves no folder behind.
    key = authority_key(folder, Settings(directory.resolve(), tuple(anchor or []),
                                         authority.resolve()))
    folder.init(directory=directory, anchors=anchor or [], authority=authority)
    out.print(f"portal initialised in {data}: reports will be signed with {key.key_id}")


@portal_app.command("add-node")
def add_node(
    node_id: Annotated[str, typer.Argument(help="the node's id in the directory")],
    data: DataOpt,
    token: Annotated[str | None, typer.Argument(
        help="a regulator token the node's operator made (`hourbridge token create --role "
        f"regulator`); better left out: then it is read from {TOKEN_ENV} or a prompt, and "
        "stays out of the shell's history and the process list")] = None,
) -> None:
    """Keep a node's regulator token (tokens.json, mode 0600); replaces an older one."""
    token = token or os.environ.get(TOKEN_ENV) or typer.prompt("token", hide_input=True)
    folder = PortalFolder(data)
    _, directory = folder.read_directory()
    if not any(entry.node_id == node_id for entry in directory.nodes):
        raise ConfigError(f"node {node_id} is not in the directory")
    folder.add_token(node_id, token)
    out.print(f"regulator token for {node_id} kept")


@portal_app.command("add-account")
def add_account(
    username: Annotated[str, typer.Argument(help="3 to 32 of a-z 0-9 . _ -")],
    data: DataOpt,
) -> None:
    """A regulator's sign-in (password from a prompt, or HOURBRIDGE_PORTAL_PASSWORD)."""
    _accounts(data).add(username, _password())
    out.print(f"portal account {username.strip().lower()} added")


def _password() -> str:
    return os.environ.get(PASSWORD_ENV) or typer.prompt(
        "password", hide_input=True, confirmation_prompt=True)


def _accounts(data: Path) -> Accounts:
    folder = PortalFolder(data)
    folder.settings()
    return Accounts(folder, clock=SystemClock(), hasher=Hasher())


@portal_app.command("set-password")
def set_password(
    username: Annotated[str, typer.Argument(help="an account's username")],
    data: DataOpt,
) -> None:
    """A new password for an account; its sessions end (prompt or HOURBRIDGE_PORTAL_PASSWORD)."""
    _accounts(data).set_password(username, _password())
    out.print(f"portal account {username.strip().lower()}: password set, sessions ended")


@portal_app.command("remove-account")
def remove_account(
    username: Annotated[str, typer.Argument(help="an account's username")],
    data: DataOpt,
) -> None:
    """Remove a regulator's account (someone who left); its open sessions end at once."""
    _accounts(data).remove(username)
    out.print(f"portal account {username.strip().lower()} removed")


@portal_app.command("serve")
def serve(
    data: DataOpt,
    host: Annotated[str, typer.Option(help="address to listen on")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to listen on")] = DEFAULT_PORT,
    log_level: str = "warning",
) -> None:
    """Serve the portal and make the daily report until interrupted."""
    import uvicorn

    from node.portal.app import compose, create_app
    from node.portal.schedule import start_schedule

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    os.umask(SERVE_UMASK)
    folder = PortalFolder(data)
    portal = compose(data, key=authority_key(folder), clock=SystemClock())
    _, directory = folder.read_directory()
    scheduler = start_schedule(portal.maker)
    out.print(f"portal of {directory.federation_id} at http://{host}:{port}/portal "
              f"(directory serial {directory.serial}, {len(folder.tokens())} node tokens, "
              f"{len(portal.accounts.usernames())} accounts)")
    try:
        uvicorn.run(create_app(portal), host=host, port=port, log_level=log_level,
                    access_log=False)
    finally:
        scheduler.shutdown(wait=False)
