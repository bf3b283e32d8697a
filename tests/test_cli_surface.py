"""What a command-line user expects of every command: -h and --help with an example, a line in
the README's command reference, --version, shell completion, and --excel on CSV output. The
command tree is walked at test time, so commands added later are held to the same bar."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from importlib.metadata import version
from pathlib import Path

import click
import pytest
from click.testing import CliRunner

from commands import main
from ledger.packaged import fixture

README = Path(__file__).resolve().parent.parent / "README.md"
BOM = "\ufeff".encode()


def _commands(command: click.Command = main, path: tuple[str, ...] = ()):
    yield path, command
    if isinstance(command, click.Group):
        for name, sub in sorted(command.commands.items()):
            yield from _commands(sub, (*path, name))


COMMANDS = [path for path, _ in _commands()]


def _ledger_script() -> str:
    return str(Path(sys.executable).parent / "ledger")


@pytest.mark.parametrize("path", COMMANDS, ids=lambda p: " ".join(("ledger", *p)))
def test_every_command_answers_h_and_help_with_an_example(path):
    runner = CliRunner()

    short = runner.invoke(main, [*path, "-h"], prog_name="ledger")
    long = runner.invoke(main, [*path, "--help"], prog_name="ledger")

    assert short.exit_code == 0, short.output
    assert short.output == long.output
    assert short.output.startswith(f"Usage: {' '.join(('ledger', *path))}")
    example = short.output.split("Example:\n", 1)
    assert len(example) == 2, f"`ledger {' '.join(path)} --help` has no Example: block"
    assert example[1].lstrip().startswith("ledger ")


def test_every_command_is_in_the_readme_command_reference():
    text = README.read_text(encoding="utf-8")
    assert "\n## Commands\n" in text
    reference = text.split("\n## Commands\n", 1)[1].split("\n## ", 1)[0]

    missing = [
        " ".join(("ledger", *path))
        for path in COMMANDS[1:]
        if f"`ledger {' '.join(path)}" not in reference
    ]

    assert missing == []


@pytest.mark.parametrize("option", ["--version", "-V"])
def test_version_names_the_installed_package(option):
    result = CliRunner().invoke(main, [option], prog_name="ledger")

    assert result.exit_code == 0
    assert result.output == f"ledger, version {version('procurement-ledger')}\n"


def test_bash_completion_script_and_completions():
    env = {**os.environ, "_LEDGER_COMPLETE": "bash_source"}
    script = subprocess.run([_ledger_script()], env=env, capture_output=True, text=True, timeout=60)
    env.update(_LEDGER_COMPLETE="bash_complete", COMP_WORDS="ledger qu", COMP_CWORD="1")
    words = subprocess.run([_ledger_script()], env=env, capture_output=True, text=True, timeout=60)
    env.update(COMP_WORDS="ledger query budget --for", COMP_CWORD="3")
    options = subprocess.run(
        [_ledger_script()], env=env, capture_output=True, text=True, timeout=60
    )

    assert (
        script.returncode == 0
        and "complete -o nosort -F _ledger_completion ledger" in script.stdout
    )
    assert words.stdout.splitlines() == ["plain,query"]
    assert options.stdout.splitlines() == ["plain,--format"]


@pytest.mark.parametrize("shell", ["zsh", "fish"])
def test_zsh_and_fish_completion_scripts(shell):
    env = {**os.environ, "_LEDGER_COMPLETE": f"{shell}_source"}

    result = subprocess.run([_ledger_script()], env=env, capture_output=True, text=True, timeout=60)

    assert result.returncode == 0 and "_LEDGER_COMPLETE" in result.stdout


def test_excel_csv_starts_with_a_byte_order_mark_and_is_otherwise_the_same(run, tmp_path):
    run("demo")
    plain, excel = tmp_path / "plain.csv", tmp_path / "excel.csv"

    run("query", "budget", "--as-of", "2025-06-30", "-o", plain)
    result = run("query", "budget", "--as-of", "2025-06-30", "--excel", "-o", excel)

    assert result.exit_code == 0, result.stderr
    assert excel.read_bytes() == BOM + plain.read_bytes()
    with open(excel, newline="", encoding="utf-8-sig") as stream:
        assert next(csv.reader(stream))[0] == "region"


def test_excel_alone_means_csv_and_refuses_other_formats(run):
    run("demo")

    to_stdout = run("compliance", "--as-of", "2025-12-31", "--excel")
    with_json = run("query", "shares", "--excel", "--format", "json")

    assert to_stdout.exit_code == 0
    assert to_stdout.stdout.startswith("\ufeffpolicy,region,subject,status,detail")
    assert with_json.exit_code == 2
    assert with_json.stderr.splitlines() == [
        "error: --excel writes CSV; it cannot be combined with --format json"
    ]


# The demo's events: the rows of its audit export.
DEMO_EVENTS = len(fixture("demo.csv").read_text(encoding="utf-8").splitlines()) - 1


def test_excel_export_of_events_still_verifies(run, tmp_path):
    run("demo")
    exported = tmp_path / "events.csv"

    run("export", "events", "--excel", "-o", exported)
    verified = run("verify", "--export", exported)

    assert exported.read_bytes().startswith(BOM + b"seq,event_id,")
    assert verified.exit_code == 0, verified.stderr
    assert verified.stdout.startswith(f"ok: {DEMO_EVENTS} events")


def test_readme_auditor_script_checks_an_excel_export(run, tmp_path):
    run("demo")
    exported = tmp_path / "events.csv"
    run("export", "events", "--excel", "-o", exported)
    text = README.read_text(encoding="utf-8")
    script = text.split("```python\nimport csv, hashlib, json, sys\n", 1)[1].split("```", 1)[0]
    (tmp_path / "check.py").write_text(
        "import csv, hashlib, json, sys\n" + script, encoding="utf-8"
    )

    result = subprocess.run(
        [sys.executable, str(tmp_path / "check.py"), str(exported)],
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith(f"ok: {DEMO_EVENTS} events")


def test_stdout_excel_export_has_one_byte_order_mark(run):
    run("demo")

    result = run("export", "events", "--excel", "--upto-seq", "2")

    rows = list(csv.reader(io.StringIO(result.stdout.removeprefix("\ufeff"))))
    assert result.stdout.startswith("\ufeffseq,") and result.stdout.count("\ufeff") == 1
    assert [row[0] for row in rows] == ["seq", "1", "2"]
