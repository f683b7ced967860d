"""`hourbridge`'s commands about the node itself: init, migrate, serve, tokens, verify-ledger,
checkpoint. Imported only when one of them runs (node/cli/main.py, node/cli/lazy.py): they load
the whole node, which the authority's, the portal's and the offline commands never need."""

from __future__ import annotations

import gc
import logging
import os
from pathlib import Path
from typing import Annotated
from urllib.parse import urlsplit

import typer
from rich.table import Table

from node.access import Role
from node.cli.output import err, out
from node.cli.serve_start import announce, open_for_serving, start_report
from node.clock import SystemClock
from node.config import NodeConfig, database_record, load_config, save_config
from node.datadir import (
    SERVE_UMASK,
    create_private_file,
    loose_modes_warning,
    make_private_dir,
    sqlite_file,
)
from node.db.engine import Database
from node.db.migrate import upgrade
from node.errors import ConfigError
from node.keys import PASSPHRASE_ENV, generate_key_file, passphrase_from_env
from node.runtime import Node, bootstrap_database, open_node

token_app = typer.Typer(
    help="API tokens for members, staff, admins and regulators.", no_args_is_help=True
)


DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]


def _open(data: Path) -> Node:
    return open_node(load_config(data))


def init(
    node_id: Annotated[str, typer.Option(help="short lowercase label, e.g. sh-pudong")],
    region: Annotated[str, typer.Option(help="6-digit administrative region code")],
    url: Annotated[str, typer.Option(help="base URL peers use to reach this node")],
    data: DataOpt,
    name: Annotated[str, typer.Option(help="display name of the time bank")] = "",
    database_url: Annotated[str, typer.Option(help="default: SQLite in the data folder")] = "",
    host: str = "127.0.0.1",
    port: Annotated[int | None, typer.Option(help="default: the port of --url")] = None,
    passphrase_prompt: Annotated[
        bool, typer.Option(help=f"encrypt the key with a passphrase (or set {PASSPHRASE_ENV})")
    ] = False,
) -> None:
    """Create the config, an Ed25519 signing key and the database, in a folder only this user
    may read (0700, every file 0600)."""
    make_private_dir(data)
    location, kind = database_record(database_url_option=database_url, env=dict(os.environ))
    config = NodeConfig(
        node_id=node_id,
        region=region,
        url=url,
        name=name,
        database_url=database_url,
        database_location=location,
        database_kind=kind,
        host=host,
        port=port or urlsplit(url).port or 8700,
        data_dir=str(data.resolve()),
    )
    passphrase = passphrase_from_env()
    if passphrase_prompt and passphrase is None:
        passphrase = typer.prompt(
            "key passphrase", hide_input=True, confirmation_prompt=True
        ).encode("utf-8")
    key = generate_key_file(config.key_path, passphrase)
    save_config(config)
    # Read it back as `serve` will, so HOURBRIDGE_* variables (a database URL kept out of the
    # file, say) apply to the database created here too.
    config = load_config(data)
    database = sqlite_file(config)
    if database is not None:
        create_private_file(database)
    bootstrap_database(
        Database(config.resolved_database_url()), node_id=node_id,
        now_ms=SystemClock().now_ms(), key=key, key_file=config.key_file,
    )
    out.print(f"node [bold]{node_id}[/] initialised in {data} (key {key.key_id})")


def migrate(data: DataOpt) -> None:
    """Bring the database schema to the newest revision."""
    config = load_config(data)
    db = Database(config.existing_database_url())
    upgrade(db)
    db.dispose()
    out.print("database is at the newest schema revision")


def serve(
    data: DataOpt,
    host: Annotated[str | None, typer.Option(help="override the config's host")] = None,
    port: Annotated[int | None, typer.Option(help="override the config's port")] = None,
    log_level: str = "warning",
) -> None:
    """Run the node's HTTP API until interrupted."""
    import uvicorn

    from node.api.app import create_app
    from node.scheduler import start_scheduler

    logging.basicConfig(level=log_level.upper(), format="%(asctime)s %(name)s %(message)s")
    os.umask(SERVE_UMASK)  # whatever the node creates (SQLite's -wal and -shm, keys) is private
    config = load_config(data)
    loose = loose_modes_warning(config)
    if loose:
        logging.getLogger("hourbridge.serve").warning("data folder not private: %s", loose)
    node = open_for_serving(config)
    if node.config.directory_source or node.config.link_map_source:
        node.refresh_directory()  # a bad source stops the start: better than serving untrusted
    announce(start_report(node, host=host or node.config.host, port=port or node.config.port))
    scheduler = start_scheduler(node)
    stopped = False

    def stop() -> None:  # from the app's shutdown (SIGTERM) or after uvicorn returns (Ctrl-C)
        nonlocal stopped
        if not stopped:
            stopped = True
            scheduler.shutdown(wait=False)
            node.close()

    app_ = create_app(node, on_shutdown=stop)
    # Everything built so far lives as long as the process: keep it out of the cyclic garbage
    # collector's scans, which otherwise revisit it on every full collection.
    gc.freeze()
    try:
        uvicorn.run(
            app_,
            host=host or node.config.host,
            port=port or node.config.port,
            log_level=log_level,
            access_log=False,
            # An idle kept-alive connection closes after this; a body that is slower than
            # body_read_timeout_s is answered 408 by the body guard (node/api/limits.py).
            timeout_keep_alive=node.config.keepalive_timeout_s,
        )
    finally:
        stop()


@token_app.command("create")
def token_create(
    data: DataOpt,
    role: Annotated[Role, typer.Option(help="admin, staff, member or regulator")],
    member: Annotated[str | None, typer.Option(help="member local id or address")] = None,
    station: Annotated[str | None, typer.Option(help="station id, for staff")] = None,
    label: str = "",
) -> None:
    """Print a new API token. It is shown once and stored only as a hash."""
    node = _open(data)
    try:
        local_id = None
        if member is not None:
            local_id, _, at = member.partition("@")
            if at and at != node.config.node_id:
                raise ConfigError(f"{member} is not a member of node {node.config.node_id}")
        issued = node.tokens.create(
            role=role, member_local_id=local_id, station=station, label=label
        )
    finally:
        node.close()
    print(issued.token)


@token_app.command("list")
def token_list(data: DataOpt) -> None:
    """List tokens (never their secrets)."""
    node = _open(data)
    try:
        rows = node.tokens.list()
    finally:
        node.close()
    table = Table("id", "role", "member", "station", "label", "revoked")
    for row in rows:
        table.add_row(
            str(row["id"]),
            str(row["role"]),
            str(row["member_local_id"] or ""),
            str(row["station"] or ""),
            str(row["label"]),
            "yes" if row["revoked_at_ms"] else "",
        )
    out.print(table)


@token_app.command("revoke")
def token_revoke(data: DataOpt, token_id: str) -> None:
    """Revoke a token by its id (from `token list`); its secret is refused from then on."""
    node = _open(data)
    try:
        node.tokens.revoke(token_id)
    finally:
        node.close()
    out.print(f"token {token_id} revoked")


def verify_ledger_cmd(data: DataOpt) -> None:
    """Re-walk the hash chain and replay every balance; name the first bad entry if any."""
    node = _open(data)
    try:
        result = node.ledger_admin.verify()
    finally:
        node.close()
    if result.ok:
        out.print(
            f"ledger OK: {result.entries} entries, head {result.head_hash}, "
            f"{result.checkpoints} checkpoints verified"
        )
        return
    first = result.problems[0]
    where = (
        f"entry {first.height} ({first.entry_id})"
        if first.entry_id
        else (f"height {first.height}" if first.height is not None else "ledger")
    )
    err.print(f"[red]LEDGER FAILED[/] first bad: {where}: {first.code}: {first.message}")
    for problem in result.problems[1:]:
        err.print(f"  also: height {problem.height}: {problem.code}: {problem.message}")
    raise typer.Exit(1)


def checkpoint(data: DataOpt) -> None:
    """Sign a checkpoint of the ledger head now."""
    node = _open(data)
    try:
        doc = node.ledger_admin.checkpoint()
    finally:
        node.close()
    out.print(f"checkpoint at height {doc['height']}, head {doc['head_hash']}")
