"""Every `hourbridge` command says what it does in one line, and its --help shows words an
operator types (`--data DIR`), never typer's type tags (`<path>`, `<str>`, `<bool>`)."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.core import TyperArgument, TyperOption
from typer.testing import CliRunner

from node.cli.help import readable
from node.cli.main import app

TYPE_TAG = re.compile(r"<(path|str|int|float|bool|list\[[a-z]+\]|file|dir|directory)>|"
                      r"(?<![-\w])(PATH|TEXT|INTEGER|LIST\[STR\])(?![-\w])")


def commands() -> list[tuple[list[str], Any]]:
    found: list[tuple[list[str], Any]] = []

    def walk(command: Any, path: list[str]) -> None:
        if not hasattr(command, "list_commands"):
            return
        context = typer.Context(command)
        # Through the group's own lookup: the root loads each command as it resolves it.
        for name in sorted(command.list_commands(context)):
            sub = command.get_command(context, name)
            found.append(([*path, name], sub))
            walk(sub, [*path, name])

    walk(readable(typer.main.get_command(app)), [])  # as the root group resolves them
    return found


def test_every_command_has_a_description() -> None:
    listed = commands()
    assert len(listed) > 40  # the walk reaches the groups' commands too
    missing = [" ".join(path) for path, command in listed if not (command.help or "").strip()]
    assert missing == []


def test_every_option_names_what_to_type_and_no_argument_shows_a_type() -> None:
    tagged, seen = [], 0
    for path, command in commands():
        for param in command.params:
            if not isinstance(param, TyperOption | TyperArgument):
                continue
            seen += 1
            shown = param.display_type_rich(typer.Context(command))
            if shown is not None and TYPE_TAG.search(shown):
                tagged.append((" ".join(path), param.name, shown))
    assert tagged == []
    assert seen > 100  # the walk saw the options of every command


def test_help_reads_as_words() -> None:
    runner = CliRunner()
    for path in (["admin", "reclaim-system-id"], ["window", "list"], ["import", "members"]):
        shown = runner.invoke(app, [*path, "--help"], env={"COLUMNS": "200"})
        assert shown.exit_code == 0 and not TYPE_TAG.search(shown.output), shown.output
    init = runner.invoke(app, ["init", "--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"--data\s+DIR\s", init) and re.search(r"--port\s+PORT\s", init)
    assert re.search(r"--help\s+Show this message", init)  # a flag: no value to name
    listing = runner.invoke(app, ["--help"], env={"COLUMNS": "200"}).output
    assert re.search(r"recover\s+For a node restored from an old backup: fetch the signed "
                     r"evidence of every later cross-node transfer", listing)
