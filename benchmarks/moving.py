"""Benchmark moving and re-deriving a ledger: `ledger copy` SQLite → PostgreSQL and back,
`ledger restore` of an export, `ledger rebuild` on both backends and `ledger verify --deep`, each
a whole command next to the raw insert of the same rows measured just before it (the ratio), with
its CPU time, peak RSS and the load average it ran beside; then the table sizes and a few query
times on each side (the inputs of docs/scaling.md).

    python benchmarks/moving.py                       # N = 100,000
    python benchmarks/moving.py --sizes 100000,300000 --output moving.md
    python benchmarks/moving.py --ledger before=/path/to/old/ledger --ledger after=.venv/bin/ledger

Each size: generate N valid events (benchmarks/generate.py), import them into a SQLite file
(not timed here: docs/performance.md covers import), then time, as subprocesses of the `ledger`
script: copy SQLite → PostgreSQL (a fresh schema), copy PostgreSQL → SQLite, export events,
restore into a new SQLite file, rebuild of the SQLite file and of the PostgreSQL copy, verify
--deep of the SQLite file; check that every head hash is the same; measure table sizes and
`query budget` / `verify` on both backends. With several `--ledger NAME=COMMAND`, every timed
step runs once per command, one after the other, so that two versions of the code meet the same
load. The raw baseline of a step is the driver inserting the same rows into a bare table of
the step's target backend (benchmarks/run.py: SQLite executemany, PostgreSQL COPY; driver time
alone); "vs raw" is the step's events/s as a share of it. Exit status 1 when a step failed or
heads differ.
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402
from run import (  # noqa: E402
    MB,
    PostgresBackend,
    Run,
    Runner,
    SQLiteBackend,
    StepFailed,
    ensure_database,
    ledger_command,
    sqlalchemy_to_libpq,
    with_search_path,
)

from ledger import schema  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
# The targets of issue 27, for 1M events: events/s, peak RSS, seconds.
COPY_RATE = 50_000
COPY_RSS_MB = 200
RESTORE_RATE = 50_000
REBUILD_S = {"sqlite": 20, "postgresql": 40}
TARGET_N = 1_000_000
# From N to 10 N, a rebuild takes at most this many times as long.
REBUILD_SCALING = 11
# Every read model, as the schema lists them (a new one counts without touching this file).
READ_MODELS = tuple(table.name for table in schema.READ_MODELS)


@dataclass
class Timed(Run):
    """A whole command's run, with its CPU time (user + system, from os.wait4) and the load
    average (1 minute) when it started."""

    cpu: float = 0.0
    load: float = 0.0


class CpuRunner(Runner):
    """Runner (benchmarks/run.py) that also reports each command's CPU time and the load."""

    def __init__(self, workdir: Path, timeout: float | None, command: list[str] | None = None):
        super().__init__(workdir, timeout)
        if command:
            self.command = command

    def run(self, args: list[str], *, check: bool = True) -> Timed:
        self.counter += 1
        usage_path = self.workdir / f"cpu-{self.counter}.usage"
        load = os.getloadavg()[0]
        process = subprocess.run(
            [sys.executable, "-S", "-c", CPU_WRAPPER, str(usage_path), *self.command, *args],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            env=self.env,
            timeout=self.timeout,
            start_new_session=True,
        )
        stdout = process.stdout.decode("utf-8", "replace")
        stderr = process.stderr.decode("utf-8", "replace")
        try:
            seconds, maxrss, returncode, cpu = usage_path.read_text().split()
        except (OSError, ValueError):
            raise StepFailed(
                f"could not run `ledger` ({self.command[0]}): {stderr.strip()[-300:]}"
            ) from None
        usage_path.unlink()
        result = Timed(
            float(seconds), int(maxrss) / 1024, int(returncode), stdout, stderr, float(cpu), load
        )
        if check and result.returncode != 0:
            last = (stderr.strip().splitlines() or ["(no message)"])[-1]
            raise StepFailed(
                f"`ledger {' '.join(args[:4])}…` exited {result.returncode}: {last[:300]}"
            )
        return result


# Run by `python -S -c`: fork, exec the command, wait4 it; write "seconds maxrss status cpu".
CPU_WRAPPER = """
import os, sys, time
usage, command = sys.argv[1], sys.argv[2:]
started = time.perf_counter()
pid = os.fork()
if pid == 0:
    try:
        os.execvp(command[0], command)
    finally:
        os._exit(127)
_, status, rusage = os.wait4(pid, 0)
seconds = time.perf_counter() - started
cpu = rusage.ru_utime + rusage.ru_stime
with open(usage, "w") as out:
    out.write(f"{seconds} {rusage.ru_maxrss} {os.waitstatus_to_exitcode(status)} {cpu}")
"""


def head_of(run) -> str:
    return run.stdout.split("head ")[1].split()[0].strip(",")


def postgres_sizes(conninfo: str, schema: str) -> tuple[int, int]:
    """Bytes of the events table (with its indexes and TOAST) and of every read model."""
    import psycopg

    with psycopg.connect(conninfo) as connection:

        def size(table: str) -> int:
            return connection.execute(
                "SELECT pg_total_relation_size(%s)", (f'"{schema}".{table}',)
            ).fetchone()[0]

        return size("events"), sum(size(table) for table in READ_MODELS)


def sqlite_sizes(path: Path) -> tuple[int, int]:
    """Bytes of the events table (its pages and its indexes' pages, from dbstat when the SQLite
    build has it, else the whole file) and of everything else."""
    import sqlite3

    with sqlite3.connect(path) as connection:
        try:
            rows = connection.execute(
                "SELECT name, sum(pgsize) FROM dbstat GROUP BY name"
            ).fetchall()
        except sqlite3.OperationalError:
            return path.stat().st_size, 0
        indexes = dict(
            connection.execute("SELECT name, tbl_name FROM sqlite_master WHERE type = 'index'")
        )
    events = sum(size for name, size in rows if name == "events" or indexes.get(name) == "events")
    return events, sum(size for _, size in rows) - events


class Raw:
    """The raw insert of one size's rows into a bare table, on each backend, measured afresh
    before each step (so that a step and its baseline meet the same load)."""

    def __init__(self, jsonl: Path, workdir: Path, postgres: str):
        self.jsonl, self.workdir, self.postgres = jsonl, workdir, postgres
        # The backend's rate measured last: the baseline of the step that follows.
        self.last: dict[str, float] = {}

    def rate(self, backend: str) -> float:
        if backend == "sqlite":
            raw = SQLiteBackend(self.workdir, "raw-baseline")
        else:
            raw = PostgresBackend(self.postgres, "raw")
        try:
            count, seconds = raw.raw_insert(self.jsonl)
        finally:
            raw.drop()
        return count / seconds


def bench(
    runners: dict[str, CpuRunner], n: int, workdir: Path, postgres: str
) -> tuple[list[str], bool, dict]:
    jsonl = workdir / f"events-{n}.jsonl"
    if not jsonl.exists():
        with open(jsonl, "w", encoding="utf-8") as out:
            generate(n, out)
    conninfo = sqlalchemy_to_libpq(postgres)
    ensure_database(conninfo)
    import psycopg

    raw = Raw(jsonl, workdir, postgres)
    rows, ok, seconds = [], True, {}
    schemas: list[str] = []

    def fresh_schema() -> str:
        name = f"moving_{n}_{uuid.uuid4().hex[:6]}"
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{name}"')
        schemas.append(name)
        return name

    def line(step: str, name: str, run: Timed, backend: str, target: str = "—") -> str:
        rate = n / run.seconds
        baseline = raw.last[backend]
        return (
            f"| {step} | {name} | {n:,} | {run.seconds:.1f} s | {rate:,.0f} ev/s | "
            f"{rate / baseline:.1%} of {baseline:,.0f} | {run.cpu:.1f} s | {run.rss_mb:.0f} MB | "
            f"{run.load:.1f} | {target} |"
        )

    def mark(good: bool) -> str:
        return "✓" if good else "✗"

    def timed(runner: CpuRunner, backend: str, args: list[str]) -> Timed:
        raw.last[backend] = raw.rate(backend)
        return runner.run(args)

    first = next(iter(runners.values()))
    source = workdir / f"source-{n}.db"
    for leftover in workdir.glob(f"*-{n}.db*"):
        leftover.unlink()
    first.run(["--db", str(source), "init"])
    first.run(["--db", str(source), "import", str(jsonl)])
    try:
        heads = set()
        for name, runner in runners.items():
            target = with_search_path(postgres, fresh_schema())
            back = workdir / f"back-{name}-{n}.db"
            export = workdir / f"export-{name}-{n}.csv"
            restored_db = workdir / f"restored-{name}-{n}.db"

            to_pg = timed(runner, "postgresql", ["--db", str(source), "copy", target])
            rate = n / to_pg.seconds
            goal = f"≥ {COPY_RATE:,} ev/s {mark(rate >= COPY_RATE)}, ≤ {COPY_RSS_MB} MB "
            goal += mark(to_pg.rss_mb <= COPY_RSS_MB)
            rows.append(line("copy SQLite → PostgreSQL", name, to_pg, "postgresql", goal))
            to_file = timed(runner, "sqlite", ["--db", target, "copy", str(back)])
            rows.append(line("copy PostgreSQL → SQLite", name, to_file, "sqlite"))
            exported = runner.run(["--db", str(source), "export", "events", "-o", str(export)])
            rows.append(
                f"| export events (SQLite) | {name} | {n:,} | {exported.seconds:.1f} s | "
                f"{n / exported.seconds:,.0f} rows/s | — | {exported.cpu:.1f} s | "
                f"{exported.rss_mb:.0f} MB | {exported.load:.1f} | — |"
            )
            restored = timed(runner, "sqlite", ["--db", str(restored_db), "restore", str(export)])
            rate = n / restored.seconds
            goal = f"≥ {RESTORE_RATE:,} ev/s {mark(rate >= RESTORE_RATE)}"
            rows.append(line("restore export → SQLite", name, restored, "sqlite", goal))
            for backend, db in (("sqlite", str(source)), ("postgresql", target)):
                rebuilt = timed(runner, backend, ["--db", db, "rebuild"])
                seconds[(name, backend)] = rebuilt.seconds
                limit = REBUILD_S[backend]
                goal = f"≤ {limit} s {mark(rebuilt.seconds <= limit)}" if n == TARGET_N else "—"
                label = "SQLite" if backend == "sqlite" else "PostgreSQL"
                rows.append(line(f"rebuild ({label})", name, rebuilt, backend, goal))
            deep = timed(runner, "sqlite", ["--db", str(source), "verify", "--deep"])
            rows.append(line("verify --deep (SQLite)", name, deep, "sqlite"))
            print("\n".join(rows[-7:]), flush=True)
            heads |= {
                head_of(first.run(["--db", db, "verify"]))
                for db in (str(source), target, str(back), str(restored_db))
            }
        ok = len(heads) == 1
        pg_verify = first.run(["--db", target, "verify"])
        sq_verify = first.run(["--db", str(source), "verify"])
        budget = ["query", "budget", "--as-of", "2026-06-30"]
        pg_budget = min(
            (first.run(["--db", target, *budget]) for _ in range(3)), key=lambda r: r.seconds
        )
        sq_budget = min(
            (first.run(["--db", str(source), *budget]) for _ in range(3)), key=lambda r: r.seconds
        )
        pg_events, pg_models = postgres_sizes(conninfo, schemas[-1])
        sq_events, sq_models = sqlite_sizes(source)
        rows += [
            f"| verify (PostgreSQL / SQLite) | — | {n:,} | {pg_verify.seconds:.1f} s / "
            f"{sq_verify.seconds:.1f} s | {n / pg_verify.seconds:,.0f} / "
            f"{n / sq_verify.seconds:,.0f} rows/s | — | — | — | — | — |",
            f"| query budget, whole command (PostgreSQL / SQLite) | — | {n:,} | "
            f"{pg_budget.seconds * 1000:.0f} ms / {sq_budget.seconds * 1000:.0f} ms | — | — | — "
            "| — | — | — |",
            f"| table sizes: events / read models (PostgreSQL) | — | {n:,} | "
            f"{pg_events / MB:.0f} MB / {pg_models / MB:.0f} MB | {pg_events / n:.0f} B/event | "
            "— | — | — | — | — |",
            f"| table sizes: events / read models (SQLite) | — | {n:,} | {sq_events / MB:.0f} MB / "
            f"{sq_models / MB:.0f} MB | {sq_events / n:.0f} B/event | — | — | — | — | — |",
            f"| export file | — | {n:,} | {export.stat().st_size / MB:.0f} MB | — | — | — | — | — "
            "| — |",
            f"| head hash the same everywhere | — | {n:,} | {'yes' if ok else 'NO'} | — | — | — | "
            "— | — | — |",
        ]
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            for name in schemas:
                connection.execute(f'DROP SCHEMA "{name}" CASCADE')
    return rows, ok, seconds


def scaling_rows(times: dict[int, dict]) -> list[str]:
    """A rebuild's time from each size to the next, per backend and ledger command."""
    sizes = sorted(times)
    rows = []
    for small, large in zip(sizes, sizes[1:], strict=False):
        for key, before in times[small].items():
            after = times[large].get(key)
            if after is None:
                continue
            name, backend = key
            factor = large / small
            # The target: 100k → 1M at most 11×, i.e. this many times the growth of the log.
            allowed = REBUILD_SCALING * factor / 10
            rows.append(
                f"| rebuild ({backend}) {small:,} → {large:,} | {name} | ×{factor:g} | "
                f"{before:.1f} → {after:.1f} s | ×{after / before:.1f} | — | — | — | — | "
                f"≤ ×{allowed:.1f} {'✓' if after / before <= allowed else '✗'} |"
            )
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default="100000", help="comma-separated event counts")
    parser.add_argument(
        "--postgres", default=os.environ.get("LEDGER_BENCH_POSTGRES", DEFAULT_POSTGRES)
    )
    parser.add_argument(
        "--workdir", type=Path, help="keep generated files here (default: a temp folder)"
    )
    parser.add_argument("--output", type=Path, help="also write the table to this markdown file")
    parser.add_argument(
        "--ledger",
        action="append",
        metavar="NAME=COMMAND",
        help="a `ledger` command to time (repeatable; default: the one beside this Python)",
    )
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ledger-moving-"))
    workdir.mkdir(parents=True, exist_ok=True)
    commands = {"this": ledger_command()}
    if args.ledger:
        commands = {}
        for given in args.ledger:
            name, _, command = given.partition("=")
            if not command:
                parser.error(f"--ledger {given!r}: expected NAME=COMMAND")
            commands[name] = shlex.split(command)
    runners = {name: CpuRunner(workdir, 3600, command) for name, command in commands.items()}
    lines = [
        "| step | ledger | events | time | rate | vs raw insert | CPU | peak RSS | load | "
        "target (at 1M) |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    status = 0
    times: dict[int, dict] = {}
    for n in (int(size.replace("_", "")) for size in args.sizes.split(",")):
        try:
            rows, ok, times[n] = bench(runners, n, workdir, args.postgres)
        except StepFailed as error:
            rows, ok = [f"| failed at {n:,} | {error} | | | | | | | | |"], False
        lines += rows
        status |= 0 if ok else 1
    lines += scaling_rows(times)
    table = "\n".join(lines) + "\n"
    print(table)
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
