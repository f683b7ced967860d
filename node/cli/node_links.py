"""Node-side link map commands (§22, draft): the map this node holds and the routes it yields.

    hourbridge federation link-map load --data DIR [SOURCE]   accept a signed link map
    hourbridge federation link-map show --data DIR            the link map in force
    hourbridge federation route TO --data DIR                 the route a transfer would take

No transfer uses a route yet: these say what the node would do.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from node.cli.output import out
from node.config import load_config
from node.errors import ConfigError
from node.runtime import open_node

link_map_app = typer.Typer(help="The link map this node holds (§22, draft).",
                           no_args_is_help=True)
DataOpt = Annotated[
    Path, typer.Option("--data", envvar="HOURBRIDGE_DATA", help="the node's data folder")
]


@link_map_app.command("load")
def load(
    data: DataOpt,
    source: Annotated[str | None, typer.Argument(help="file or URL; default: link_map_source")]
    = None,
) -> None:
    """Verify a signed link map against the directory in force and hold it if it is newer."""
    node = open_node(load_config(data))
    try:
        where = source or node.config.link_map_source
        if not where:
            raise ConfigError("no SOURCE given and no link_map_source configured")
        link_map, changed = node.link_maps.load(where)
    finally:
        node.close()
    verb = "now holds" if changed else "already held"
    out.print(f"{node.config.node_id} {verb} link map {link_map.federation_id} serial "
              f"{link_map.serial} ({len(link_map.links)} links, hops_max {link_map.hops_max}); "
              "a running node adopts it at its next refresh")


@link_map_app.command("show")
def show(data: DataOpt) -> None:
    """The link map in force: serial, hops_max and each link with its caps."""
    node = open_node(load_config(data))
    try:
        link_map = node.link_maps.require_current()
    finally:
        node.close()
    table = Table("a", "b", "a may owe b (min)", "b may owe a (min)",
                  title=f"{link_map.federation_id} link map, serial {link_map.serial}, "
                  f"hops_max {link_map.hops_max}")
    for link in link_map.links:
        table.add_row(link.a, link.b, str(link.a_cap_minutes), str(link.b_cap_minutes))
    out.print(table)


def route(
    data: DataOpt,
    to: Annotated[str, typer.Argument(help="the node a transfer would go to")],
) -> None:
    """The route a transfer from this node to TO would take, over the link map in force
    (without one, every pair of active nodes trades directly)."""
    node = open_node(load_config(data))
    try:
        path = node.link_maps.route(to)
        mesh = node.link_maps.current() is None
    finally:
        node.close()
    links = len(path) - 1
    where = " (no link map: a full mesh)" if mesh else ""
    out.print(f"{' → '.join(path)} ({links} link{'s' if links != 1 else ''}){where}",
              markup=False, highlight=False)
