"""`hourbridge` loads a command's module when that command runs, not when `hourbridge` starts.

Importing every command's module took about 1.4 s before any command ran: the node's app, its
database layer, the reports. The authority's commands (`directory ...`), the portal's and the
offline checks (`verify-report`, `verify-certificate`) need none of that, and the demo and the
tests run them by the dozen. The root group lists each command by name with where it lives
("module:attribute"), and imports it on first use; `hourbridge --help` imports them all to show
each one's summary.
"""

from __future__ import annotations

import importlib
from typing import Any, ClassVar

import typer

from node.cli.help import ReadableGroup, readable


def load(name: str, target: str) -> Any:
    """The click command for `target`: a typer app (a group of commands) or a command function."""
    module, _, attribute = target.partition(":")
    found = getattr(importlib.import_module(module), attribute)
    command: Any  # typer builds commands of its own click
    if isinstance(found, typer.Typer):  # a group, even of one command (`admin ...`)
        command = typer.main.get_group(found)
    else:  # one function: a typer app of that command alone is the command itself
        single = typer.Typer()
        single.command(name)(found)
        command = typer.main.get_command(single)
    command.name = name
    return readable(command)


class LazyGroup(ReadableGroup):
    """A root group whose subclass names its commands in `lazy_commands`, in help order."""

    lazy_commands: ClassVar[dict[str, str]] = {}

    def list_commands(self, ctx: Any) -> list[str]:
        listed = list(super().list_commands(ctx))
        return listed + [name for name in self.lazy_commands if name not in listed]

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        if cmd_name not in self.commands and cmd_name in self.lazy_commands:
            self.add_command(load(cmd_name, self.lazy_commands[cmd_name]), cmd_name)
        return super().get_command(ctx, cmd_name)
