"""The README's commands run, top to bottom, in a fresh folder: the ```sh blocks before the first
## section and in every section about the tour or the report (the demo, then the tour, then the
demo's report), through the installed `ledger` command, each exiting 0. Install lines are
skipped (the test's own virtualenv is on PATH, as `. .venv/bin/activate` would put it)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

README = Path(__file__).resolve().parent.parent / "README.md"
SECTIONS = re.compile(r"tour|report", re.IGNORECASE)
INSTALLING = re.compile(r"pip install|python3? -m venv|pytest")


def tour_commands(text: str) -> list[str]:
    """Each command of the chosen ```sh blocks, continuation lines joined."""
    commands: list[str] = []
    heading, block = "", None
    for line in text.splitlines():
        if block is None and line.startswith("##"):
            heading = line.lstrip("#").strip()
        elif block is None and line.strip() == "```sh":
            block = []
        elif block is not None and line.strip() == "```":
            if heading == "" or SECTIONS.search(heading):
                commands.extend(_logical_lines(block))
            block = None
        elif block is not None:
            block.append(line)
    return [command for command in commands if not INSTALLING.search(command)]


def _logical_lines(lines: list[str]) -> list[str]:
    joined, pending = [], ""
    for line in lines:
        if line.rstrip().endswith("\\"):
            pending += line.rstrip()[:-1] + " "
            continue
        joined.append(pending + line)
        pending = ""
    return [line for line in joined if line.strip() and not line.lstrip().startswith("#")]


def test_the_tour_is_found_in_the_readme():
    commands = tour_commands(README.read_text(encoding="utf-8"))

    assert commands[0].startswith("ledger demo")
    # The demo's history has dates: the tour shows its books as known on an earlier day.
    assert any("--known-at" in command for command in commands[1:4])
    assert any(command.startswith("ledger init") for command in commands)
    assert any(" report " in command for command in commands)
    assert not any("pip install" in command for command in commands)


def test_the_readme_commands_run_top_to_bottom_in_a_fresh_folder(tmp_path):
    commands = tour_commands(README.read_text(encoding="utf-8"))
    script = "\n".join(
        [
            "set -e -o pipefail",
            "trap 'echo \"README command failed (exit $?): $BASH_COMMAND\" >&2' ERR",
            *commands,
        ]
    )
    bin_dir = Path(sys.executable).parent
    assert (bin_dir / "ledger").exists()
    env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
    env.update(
        PATH=f"{bin_dir}{os.pathsep}{env.get('PATH', '')}", LEDGER_ACTOR="reader", COLUMNS="120"
    )

    done = subprocess.run(
        ["bash", "-c", script], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert {"ledger.db", "tour.db", "events.csv", "report.html", "cn.html"} <= {
        path.name for path in tmp_path.iterdir()
    }


def test_the_readme_csv_example_imports_as_the_json_line_beside_it(tmp_path):
    """The README's CSV example is a working import file: it records the same order as the JSON
    Lines example above it (once the region and the supplier it names exist)."""
    from click.testing import CliRunner

    from commands import main

    text = README.read_text(encoding="utf-8")
    csv_block = re.search(r"```csv\n(.*?)```", text, re.DOTALL)
    json_block = re.search(r"```json\n(.*?)```", text, re.DOTALL)
    assert csv_block and json_block
    world = tmp_path / "world.jsonl"
    world.write_text(
        '{"type": "region.opened", "effective": "2025-01-01", "region": "CN", "name": "China",'
        ' "country": "CN", "currency": "CNY"}\n'
        '{"type": "supplier.registered", "effective": "2025-01-01", "supplier": "huawei",'
        ' "name": "Huawei", "country": "CN"}\n',
        encoding="utf-8",
    )
    example = tmp_path / "order.csv"
    example.write_text(csv_block.group(1), encoding="utf-8")
    db = str(tmp_path / "l.db")
    runner = CliRunner()
    for args in (["init"], ["import", str(world)], ["import", str(example)]):
        result = runner.invoke(main, ["--db", db, "--actor", "t", *args])
        assert result.exit_code == 0, result.output
    logged = runner.invoke(main, ["--db", db, "log", "--format", "json", "--type", "order.placed"])
    assert logged.exit_code == 0, logged.output
    line = json.loads(json_block.group(1).replace("5b1c…", "x"))
    recorded = json.loads(logged.output)
    recorded = recorded[0] if isinstance(recorded, list) else recorded
    payload = recorded["payload"]
    payload = json.loads(payload) if isinstance(payload, str) else payload
    for field in ("order", "region", "supplier", "sku", "quantity", "unit_price", "currency"):
        assert payload[field] == line[field], field
    assert recorded["actor"] == line["actor"] and recorded["effective"] == line["effective"]
