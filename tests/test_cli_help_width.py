"""`-h` at 80 columns: every command's examples are printed as written, one command per line or
continued with a trailing backslash, and none is longer than the terminal, so no date, code or
option is ever broken across two lines, by click's rewrapping or by the terminal's."""

from __future__ import annotations

import inspect

import click
import pytest
from click.testing import CliRunner

from commands import main

WIDTH = 80


def _commands(command: click.Command = main, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = list(_commands())


def example_block(text: str) -> list[str]:
    """The lines after "Example:" up to the next blank line."""
    after = text.split("Example:\n", 1)
    assert len(after) == 2, "no Example: block"
    return after[1].split("\n\n", 1)[0].rstrip("\n").split("\n")


@pytest.mark.parametrize(
    ("path", "command"), COMMANDS, ids=[" ".join(("ledger", *p)) for p, _ in COMMANDS]
)
def test_every_example_fits_80_columns_as_written(path, command, monkeypatch):
    monkeypatch.setenv("COLUMNS", str(WIDTH))
    result = CliRunner().invoke(main, [*path, "-h"], prog_name="ledger", terminal_width=WIDTH)
    assert result.exit_code == 0, result.output

    shown = example_block(result.output)
    written = example_block(inspect.cleandoc(command.help or ""))

    # As written: click rewrapped nothing (each example is in a \b paragraph).
    assert [line.strip() for line in shown] == [line.strip() for line in written]
    assert all(len(line) <= WIDTH for line in shown), [long for long in shown if len(long) > WIDTH]
    # Each line is a command of its own, or the continuation of the one before it ("\").
    # `ledger serve` also shows the request a client makes of it.
    starts = ("ledger ", "curl ") if path == ("serve",) else ("ledger ",)
    for before, line in zip(["", *shown], shown, strict=False):
        assert line.strip().startswith(starts) or before.endswith(" \\"), line
    assert not shown[-1].endswith("\\")
