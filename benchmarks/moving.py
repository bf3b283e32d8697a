"""Benchmark moving a ledger: `ledger copy` SQLite → PostgreSQL and back, `ledger restore` of an
export into SQLite, with wall time, events/s and peak RSS of each whole command, and the sizes
of the tables and a few query times on each side (the inputs of docs/scaling.md).

    python benchmarks/moving.py                       # N = 100,000
    python benchmarks/moving.py --sizes 100000,1000000 --output moving.md

Each size: generate N valid events (benchmarks/generate.py), import them into a SQLite file
(not timed here: docs/performance.md covers import), then time, as subprocesses of the `ledger`
script: copy SQLite → PostgreSQL (a fresh schema), copy PostgreSQL → SQLite, export events,
restore into a new SQLite file; check that every head hash is the same; measure table sizes and
`query budget` / `verify` on both backends. Exit status 1 when a step failed or heads differ.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
from generate import generate  # noqa: E402
from run import MB, Runner, StepFailed, ensure_database, sqlalchemy_to_libpq, with_search_path  # noqa: E402

from ledger import schema  # noqa: E402

DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"
# The targets of issue 15, for 1M events.
COPY_RATE = 50_000
COPY_RSS_MB = 200
RESTORE_RATE = 50_000
# Every read model, as the schema lists them (a new one counts without touching this file).
READ_MODELS = tuple(table.name for table in schema.READ_MODELS)


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


def bench(runner: Runner, n: int, workdir: Path, postgres: str) -> tuple[list[str], bool]:
    jsonl = workdir / f"events-{n}.jsonl"
    if not jsonl.exists():
        with open(jsonl, "w", encoding="utf-8") as out:
            generate(n, out)
    source = workdir / f"source-{n}.db"
    for leftover in workdir.glob(f"*-{n}.db*"):
        leftover.unlink()
    runner.run(["--db", str(source), "import", str(jsonl)])
    schema = f"moving_{n}_{uuid.uuid4().hex[:6]}"
    conninfo = sqlalchemy_to_libpq(postgres)
    ensure_database(conninfo)
    import psycopg

    with psycopg.connect(conninfo, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    target = with_search_path(postgres, schema)
    rows, ok = [], True
    try:
        to_pg = runner.run(["--db", str(source), "copy", target])
        back = workdir / f"back-{n}.db"
        to_file = runner.run(["--db", target, "copy", str(back)])
        export = workdir / f"export-{n}.csv"
        exported = runner.run(["--db", str(source), "export", "events", "-o", str(export)])
        restored_db = workdir / f"restored-{n}.db"
        restored = runner.run(["--db", str(restored_db), "restore", str(export)])
        heads = {
            head_of(runner.run(["--db", db, "verify"]))
            for db in (str(source), target, str(back), str(restored_db))
        }
        ok = len(heads) == 1
        pg_verify = runner.run(["--db", target, "verify"])
        sq_verify = runner.run(["--db", str(source), "verify"])
        budget = ["query", "budget", "--as-of", "2026-06-30"]
        pg_budget = min(
            (runner.run(["--db", target, *budget]) for _ in range(3)), key=lambda r: r.seconds
        )
        sq_budget = min(
            (runner.run(["--db", str(source), *budget]) for _ in range(3)), key=lambda r: r.seconds
        )
        pg_events, pg_models = postgres_sizes(conninfo, schema)
        sq_events, sq_models = sqlite_sizes(source)

        def line(
            step: str, run, target_rate: int | None = None, target_rss: int | None = None
        ) -> str:
            rate = n / run.seconds
            goal = []
            if target_rate:
                goal.append(f"≥ {target_rate:,} ev/s {'✓' if rate >= target_rate else '✗'}")
            if target_rss:
                goal.append(f"≤ {target_rss} MB {'✓' if run.rss_mb <= target_rss else '✗'}")
            return (
                f"| {step} | {n:,} | {run.seconds:.1f} s | {rate:,.0f} ev/s | {run.rss_mb:.0f} MB | "
                f"{', '.join(goal) or '—'} |"
            )

        rows += [
            line("copy SQLite → PostgreSQL", to_pg, COPY_RATE, COPY_RSS_MB),
            line("copy PostgreSQL → SQLite", to_file),
            line("export events (SQLite)", exported),
            line("restore export → SQLite", restored, RESTORE_RATE),
            line("verify (PostgreSQL)", pg_verify),
            line("verify (SQLite)", sq_verify),
            f"| query budget, whole command (PostgreSQL / SQLite) | {n:,} | {pg_budget.seconds * 1000:.0f} ms / "
            f"{sq_budget.seconds * 1000:.0f} ms | — | — | — |",
            f"| table sizes: events / read models (PostgreSQL) | {n:,} | {pg_events / MB:.0f} MB / "
            f"{pg_models / MB:.0f} MB | {pg_events / n:.0f} B/event | — | — |",
            f"| table sizes: events / read models (SQLite) | {n:,} | {sq_events / MB:.0f} MB / "
            f"{sq_models / MB:.0f} MB | {sq_events / n:.0f} B/event | — | — |",
            f"| export file | {n:,} | {export.stat().st_size / MB:.0f} MB | — | — | — |",
            f"| head hash the same on all four | {n:,} | {'yes' if ok else 'NO'} | — | — | — |",
        ]
    finally:
        with psycopg.connect(conninfo, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    return rows, ok


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
    args = parser.parse_args(argv)
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="ledger-moving-"))
    workdir.mkdir(parents=True, exist_ok=True)
    runner = Runner(workdir, timeout=3600)
    lines = [
        "| step | events | time | rate | peak RSS | target (issue 15, at 1M) |",
        "|---|---|---|---|---|---|",
    ]
    status = 0
    for n in (int(size.replace("_", "")) for size in args.sizes.split(",")):
        try:
            rows, ok = bench(runner, n, workdir, args.postgres)
        except StepFailed as error:
            rows, ok = [f"| failed at {n:,} | {error} | | | | |"], False
        lines += rows
        status |= 0 if ok else 1
        print("\n".join(rows), flush=True)
    table = "\n".join(lines) + "\n"
    print(table)
    if args.output:
        args.output.write_text(table, encoding="utf-8")
    return status


if __name__ == "__main__":
    sys.exit(main())
