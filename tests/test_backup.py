"""Backups: a PostgreSQL ledger saved with pg_dump and brought back with pg_restore is the same
ledger (head hash, reports, the append-only guards), and `ledger copy` to a file is a backup
whose head hash says it is complete."""

from __future__ import annotations

import subprocess
import uuid

import pytest
from click.testing import CliRunner
from servers import POSTGRES_URL, cannot, server_binaries, with_search_path
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from commands import main
from ledger.packaged import fixture

pytestmark = pytest.mark.postgres

REPORTS = [
    ("query", "budget", "--as-of", "2025-12-31"),
    ("query", "commitments", "--as-of", "2025-12-31"),
    ("compliance", "--as-of", "2025-12-31"),
    ("export", "events"),
    ("verify",),
]


def ledger(db: str, *args: str):
    result = CliRunner().invoke(
        main, ["--db", db, "--actor", "tester", *args], catch_exceptions=False
    )
    assert result.exit_code == 0, (args, result.stderr)
    return result


def test_pg_dump_and_pg_restore_bring_back_the_same_ledger(postgres_url, tmp_path):
    ledger(postgres_url, "init")
    ledger(postgres_url, "import", str(fixture("demo.jsonl")))
    schema = postgres_url.split("search_path%3D", 1)[1]
    server = make_url(POSTGRES_URL)
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        major = connection.execute(text("SHOW server_version_num")).scalar()[:-4]
    binaries = server_binaries(major)
    connect = [
        "-h",
        server.host or "127.0.0.1",
        "-p",
        str(server.port or 5432),
        "-U",
        server.username or "postgres",
    ]
    dump = tmp_path / "ledger.dump"
    database = f"ledger_restore_{uuid.uuid4().hex[:10]}"
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{database}"'))
    try:
        dumped = subprocess.run(
            [
                str(binaries / "pg_dump"),
                *connect,
                "-d",
                server.database,
                "-n",
                schema,
                "-Fc",
                "-f",
                str(dump),
            ],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if dumped.returncode != 0:
            cannot(f"pg_dump failed: {dumped.stderr.strip()}")
        restored = subprocess.run(
            [str(binaries / "pg_restore"), *connect, "-d", database, "--exit-on-error", str(dump)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert restored.returncode == 0, restored.stderr
        copy_url = with_search_path(
            make_url(POSTGRES_URL).set(database=database).render_as_string(hide_password=False),
            schema,
        )

        for args in REPORTS:
            assert ledger(copy_url, *args).stdout == ledger(postgres_url, *args).stdout
        ledger(copy_url, "rebuild", "--check")
        engine = create_engine(copy_url)
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as connection:
            connection.execute(text("UPDATE events SET actor = 'someone else' WHERE seq = 1"))
        engine.dispose()
        recorded = ledger(copy_url, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")
        assert recorded.stdout.strip().endswith(
            str(len(fixture("demo.jsonl").read_text(encoding="utf-8").splitlines()) + 1)
        )
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)'))
        admin.dispose()


def test_copy_to_a_file_is_a_backup_checked_by_its_head_hash(postgres_url, tmp_path):
    ledger(postgres_url, "init")
    ledger(postgres_url, "import", str(fixture("demo.jsonl")))
    backup = f"sqlite:///{tmp_path / 'backup.db'}"

    copied = ledger(postgres_url, "copy", backup).stdout
    head = ledger(postgres_url, "verify").stdout.split("head ")[1].strip()

    events = len(fixture("demo.jsonl").read_text(encoding="utf-8").splitlines())
    assert copied.strip().endswith(f"head seq {events}, hash {head}")
    assert ledger(backup, "verify").stdout == f"ok: {events} events, head {head}\n"
