"""Node-side federation commands: the directory this node trusts, and its own keys.

    hourbridge federation load --data DIR [SOURCE]   accept a signed directory (file or URL)
    hourbridge federation refresh --data DIR         make the running node pull it now
    hourbridge federation show --data DIR            the directory in force
    hourbridge federation links --data DIR [--token T]  chain heads, queues, freezes, clocks
    hourbridge federation unfreeze --data DIR PEER   let a frozen link run again
    hourbridge keys rotate --data DIR --overlap-days N
    hourbridge keys list --data DIR
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any

import httpx
import typer
from rich.table import Table

from node.access import Principal, Role
from node.cli.node_links import link_map_app
from node.cli.node_links import route as route_command
from node.cli.output import out
from node.clock import SystemClock
from node.config import NodeConfig, load_config
from node.errors import ConfigError
from node.exchange.ahead import LinkCondition
from node.keyring import rotate_keys
from node.keys import passphrase_from_env
from node.runtime import open_node
from protocol.directory import NodeStatus, key_text

DAY_MS = 86_400_000
TOKEN_ENV = "HOURBRIDGE_ADMIN_TOKEN"
REFRESH_PATH = "/api/v1/federation/directory/refresh"
LINKS_PATH = "/api/v1/federation/links"
# The node may fetch its directory_source over HTTP (10 s) before it answers.
REFRESH_TIMEOUT_S = 30.0
federation_app = typer.Typer(help="The federation directory this node trusts.",
                             no_args_is_help=True)
keys_app = typer.Typer(help="This node's own signing keys.", no_args_is_help=True)
DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]


def _when(ms: int | None) -> str:
    if ms is None:
        return "open"
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%d %H:%M UTC")


@federation_app.command("load")
def load(
    data: DataOpt,
    source: Annotated[str | None, typer.Argument(help="file or URL; default: directory_source")]
    = None,
) -> None:
    """Verify a signed directory against the pinned anchors and hold it if it is newer."""
    node = open_node(load_config(data))
    try:
        where = source or node.config.directory_source
        if not where:
            raise ConfigError("no SOURCE given and no directory_source configured")
        directory, changed = node.federation.load(where)
    finally:
        node.close()
    verb = "now holds" if changed else "already held"
    out.print(
        f"{node.config.node_id} {verb} directory {directory.federation_id} serial "
        f"{directory.serial} ({len(directory.nodes)} nodes); a running node adopts it at its "
        "next refresh, or now with `hourbridge federation refresh`")


def _local_url(config: NodeConfig) -> str:
    """Where this machine reaches the node `serve` runs: its listening address, with a
    wildcard address replaced by loopback."""
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(config.host, config.host)
    return f"http://{f'[{host}]' if ':' in host else host}:{config.port}"


@federation_app.command("refresh")
def refresh(
    data: DataOpt,
    token: Annotated[str, typer.Option(envvar=TOKEN_ENV, help="an admin token of the node")],
    url: Annotated[str | None, typer.Option(help="the running node's base URL; default: "
                                            "its host and port from the config")] = None,
) -> None:
    """Make the running node pull the directory now, as its scheduled refresh does: it adopts
    a directory `federation load` stored and loads its directory_source."""
    base = (url or _local_url(load_config(data))).rstrip("/")
    try:
        reply = httpx.post(f"{base}{REFRESH_PATH}", timeout=REFRESH_TIMEOUT_S,
                           headers={"Authorization": f"Bearer {token}"})
    except httpx.TransportError as exc:
        raise ConfigError(f"no node answers at {base} ({exc}): is `hourbridge serve` "
                          "running? (--url names another address)") from exc
    body = reply.json() if reply.headers.get("content-type", "").endswith("json") else {}
    if reply.status_code != 200:
        reason = f" ({body['reason']})" if body.get("reason") else ""
        raise ConfigError(f"{base} refused the refresh: HTTP {reply.status_code} "
                          f"{body.get('code', '')}{reason}: {body.get('detail', reply.text)}")
    suspended = sorted(n for n, status in body["statuses"].items() if status != NodeStatus.ACTIVE)
    verb = "now holds" if body["changed"] else "already held"
    inactive = f"; not active: {', '.join(suspended)}" if suspended else ""
    out.print(f"the node at {base} {verb} directory "
                                  f"{body['federation_id']} serial {body['serial']}{inactive}")


@federation_app.command("show")
def show(data: DataOpt) -> None:
    """The directory in force: nodes, status and keys."""
    node = open_node(load_config(data))
    try:
        directory = node.federation.require_current()
    finally:
        node.close()
    table = Table("node", "status", "region", "URL", "keys (valid from → until)",
                  title=f"{directory.federation_id}, serial {directory.serial}")
    for entry in directory.nodes:
        keys = "\n".join(f"{k.key_id} {_when(k.valid_from_ms)} → {_when(k.valid_until_ms)}"
                         for k in entry.keys)
        table.add_row(entry.node_id, entry.status.value, entry.region_code, entry.base_url, keys)
    out.print(table)


# The operator at the node's console acts as its administrator.
CONSOLE = Principal(Role.ADMIN, "console")


@federation_app.command("links")
def links(
    data: DataOpt,
    token: Annotated[str | None, typer.Option(
        envvar=TOKEN_ENV, help="an admin token: read the running node, with its senders' "
        "health and clock offsets")] = None,
    url: Annotated[str | None, typer.Option(help="the running node's base URL; default: "
                                            "its host and port from the config")] = None,
) -> None:
    """Each link to a peer: its state (ok, frozen, peer_ahead: run `hourbridge recover`), chain
    heads, queued messages and any freeze; with a token, also each peer's clock offset (read
    from the running node: only it measures them)."""
    config = load_config(data)
    if token:
        rows = _running_links((url or _local_url(config)).rstrip("/"), token)
    else:
        node = open_node(config)
        try:
            rows = node.exchange.links(CONSOLE)
        finally:
            node.close()
    print_links(config.node_id, rows, live=bool(token))


def _running_links(base: str, token: str) -> list[dict[str, Any]]:
    try:
        reply = httpx.get(f"{base}{LINKS_PATH}", timeout=REFRESH_TIMEOUT_S,
                          headers={"Authorization": f"Bearer {token}"})
    except httpx.TransportError as exc:
        raise ConfigError(f"no node answers at {base} ({exc}): is `hourbridge serve` "
                          "running? (without --token the links are read from the data "
                          "folder)") from exc
    if reply.status_code != 200:
        raise ConfigError(f"{base} refused the links view: HTTP {reply.status_code}: "
                          f"{reply.text[:300]}")
    items: list[dict[str, Any]] = reply.json()["items"]
    return items


def print_links(node_id: str, rows: list[dict[str, Any]], *, live: bool) -> None:
    """The table, then each thing to do whole (never folded): recover, or fix the clock."""
    table = Table("peer", "state", "sent (answered)", "received", "queued", "clock", "features",
                  "frozen", title=f"links of {node_id}")
    for row in rows:
        frozen = f"{row['frozen_reason']}: {row['frozen_detail']}" if row["frozen_reason"] else ""
        offset = row.get("clock_offset_ms")
        clock = "" if offset is None else f"{offset / 1000:+.1f} s"
        shared = row.get("capabilities")  # §16.2: None until the running node read the peer
        features = "" if shared is None else (", ".join(shared) or "none")
        table.add_row(str(row["peer"]), str(row["state"]), str(row["out_sequence"]),
                      str(row["in_sequence"]), str(row["queued_messages"]),
                      clock + (" SKEWED" if row.get("clock_skewed") else ""), features, frozen)
    out.print(table)
    for row in rows:  # node/exchange/ahead.py, node/exchange/clockwatch.py
        if row["state"] == LinkCondition.PEER_AHEAD:
            out.print(f"peer ahead: {row['frozen_detail']}", markup=False, highlight=False)
        if row.get("clock_advice"):
            out.print(f"clock: {row['clock_advice']}", markup=False, highlight=False)
    if not live:
        out.print("clock offsets, sender health and the peers' features are measured by the "
                  f"running node: pass --token (or set {TOKEN_ENV}) to read them",
                  markup=False, highlight=False)


@federation_app.command("unfreeze")
def unfreeze(data: DataOpt, peer: Annotated[str, typer.Argument(help="the peer's node id")]
             ) -> None:
    """Let a frozen link run again once the disagreement is resolved (a running node picks it
    up on its next round trip)."""
    node = open_node(load_config(data))
    try:
        node.exchange.unfreeze(CONSOLE, peer)
    finally:
        node.close()
    out.print(f"link {node.config.node_id} ↔ {peer} unfrozen")


@keys_app.command("rotate")
def rotate(
    data: DataOpt,
    overlap_days: Annotated[int, typer.Option(help="days the old key stays valid", min=0)] = 7,
) -> None:
    """Make a new signing key. Send the printed line to the federation authority: peers trust
    the new key once a directory lists it, and until then this node keeps signing with the
    old one."""
    config = load_config(data)
    node = open_node(config)
    try:
        record = rotate_keys(node.db, config, now_ms=SystemClock().now_ms(),
                             overlap_ms=overlap_days * DAY_MS, passphrase=passphrase_from_env())
    finally:
        node.close()
    out.print(f"new key {record.key_id}; older keys valid for {overlap_days} more days")
    print(key_text(record.verify_key()))


@keys_app.command("list")
def list_keys(data: DataOpt) -> None:
    """This node's keys with their validity windows, and which one signs now."""
    node = open_node(load_config(data))
    try:
        signing = node.signer.key().key_id
        records = node.signer.keyring.records()
    finally:
        node.close()
    # One line per key, the key line first and whole (never a table cell a narrow terminal
    # folds): it is what an operator sends to the authority.
    for record in records:
        now = "  (signs now)" if record.key_id == signing else ""
        out.print(f"{key_text(record.verify_key())}  valid {_when(record.valid_from_ms)} → "
                  f"{_when(record.valid_until_ms)}{now}", markup=False, highlight=False)


# The link map this node holds and the route it would take: node/cli/node_links.py.
federation_app.add_typer(link_map_app, name="link-map")
federation_app.command("route")(route_command)
