"""Where every `hourbridge` command prints, and how wide: the one place that decides.

On a terminal, text fits the terminal (or `COLUMNS`) and long lines wrap only where the terminal
wraps them: `soft_wrap` never inserts a newline, so a key line copied from the screen is whole.
Anywhere else (a pipe, a file, `docker compose exec` without a tty, a CI log) nothing is folded
or cut: a table is drawn as wide as its longest values, one line per row, so `grep` finds a row
with every value in it whatever `COLUMNS` says (docs/decisions.md, "CLI output (issue 15)").
Scripts that want fields rather than rows use `--json` where a command offers it.
"""

from __future__ import annotations

from rich.console import Console, ConsoleDimensions

# Wider than any row a command prints (a directory row with its URL and keys is a few hundred
# columns), so a table off a terminal is never folded; a finite number keeps rich's arithmetic
# finite.
PIPED_WIDTH = 10_000


class CliConsole(Console):
    """A rich Console that soft-wraps, and is unbounded when its file is not a terminal.

    Asked at every print, not at import: tests and `typer.testing.CliRunner` swap sys.stdout
    after this module is imported."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, soft_wrap=True)

    @property
    def size(self) -> ConsoleDimensions:
        terminal = Console.size.fget(self)  # type: ignore[attr-defined]
        if self.is_terminal:
            return terminal  # type: ignore[no-any-return]
        return ConsoleDimensions(PIPED_WIDTH, terminal.height)

    @size.setter
    def size(self, new_size: tuple[int, int]) -> None:
        Console.size.fset(self, new_size)  # type: ignore[attr-defined]


out = CliConsole()
err = CliConsole(stderr=True)
