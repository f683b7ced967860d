"""Readable `--help`: words an operator types (`--data DIR`, `--limit N`) instead of the type
tags typer shows by default (`<path>`, `<str>`, `<int>`, and `<bool>` after a flag).

The root command's group applies `readable` to a subcommand as it resolves it, so every command
of every `add_typer` group gets it without each option spelling out a metavar. An option that
names its own metavar keeps it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from typer import Context
from typer.core import TyperArgument, TyperGroup, TyperOption

# Options whose name says more than their type; the rest are named after themselves.
KNOWN_METAVARS = {
    "data": "DIR", "authority": "DIR", "node_data": "DIR", "out_dir": "DIR",
    "node_id": "NODE-ID", "peer": "NODE-ID", "federation_id": "ID", "url": "URL",
    "database_url": "URL", "host": "HOST", "port": "PORT", "token": "TOKEN",
    "public_key": "KEY-LINE", "region": "CODE",
}
NUMBER_METAVAR = "N"
READABLE_MARK = "_hourbridge_readable"


def metavar_for(param: TyperOption) -> str:
    if isinstance(param, TyperOption) and (param.is_flag or param.count):
        return ""  # a flag takes no value
    name = param.name or ""
    if name in KNOWN_METAVARS:
        return KNOWN_METAVARS[name]
    described = param.type_descriptor
    if described.choices:
        return "|".join(str(getattr(choice, "value", choice)) for choice in described.choices)
    if described.annotation in (int, float):
        return NUMBER_METAVAR
    return name.upper().replace("_", "-")


def readable(command: Any) -> Any:
    """Give `command` (and every command under it) a one-line summary for command lists, each
    parameter a readable metavar and its --help option none (a flag). Idempotent: help lists
    resolve commands often."""
    if getattr(command, READABLE_MARK, False):
        return command
    setattr(command, READABLE_MARK, True)
    if command.help and not command.short_help:  # the docstring's first paragraph, one line
        command.short_help = " ".join(command.help.strip().split("\n\n")[0].split())
    for param in command.params:
        if isinstance(param, TyperOption) and param.metavar is None:
            param.metavar = metavar_for(param)
        elif isinstance(param, TyperArgument):
            # Its name (LOCAL_ID) already says what to type; typer would add `<str>` beside it.
            param.display_type_rich = _no_type  # type: ignore[method-assign,assignment]
    command.get_help_option = _flag_help(command.get_help_option)
    for sub in getattr(command, "commands", {}).values():
        readable(sub)
    return command


def _no_type(ctx: Context) -> None:
    return None


def _flag_help(original: Callable[[Context], Any]) -> Callable[[Context], Any]:
    def get_help_option(ctx: Context) -> Any:
        option = original(ctx)
        if option is not None:
            option.metavar = ""
        return option

    return get_help_option


class ReadableGroup(TyperGroup):
    """The root `hourbridge` group: it and its subcommands come out readable (module doc)."""

    def get_command(self, ctx: Any, cmd_name: str) -> Any:
        readable(self)
        return super().get_command(ctx, cmd_name)

    def get_help_option(self, ctx: Any) -> Any:
        readable(self)
        return super().get_help_option(ctx)
