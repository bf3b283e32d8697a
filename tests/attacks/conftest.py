"""The attack suite: what someone with a database login and a text editor would try against a
ledger on PostgreSQL. It runs on PostgreSQL only: without a server to attack (LEDGER_TEST_POSTGRES
unset) each test skips, as every PostgreSQL test does, and fails under LEDGER_REQUIRE_POSTGRES=1
(CI), so that a CI run cannot pass it by accident. Each test gets its own schema from the
`postgres_url` fixture of tests/conftest.py.

Roles are made per test, as tests/test_privileges.py makes them, and dropped afterwards with
whatever they were granted."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from ledger.chain import GENESIS_HASH, chain_hash

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES")
FX_PAYLOAD = '{"base":"EUR","quote":"CNY","rate":"9"}'


def cli(url: str, *args: str, actor: str = "tester"):
    from commands import main

    return CliRunner().invoke(main, ["--db", url, "--actor", actor, *args])


def one_line(result, *fragments: str) -> str:
    assert result.exit_code == 1, (result.exit_code, result.stdout, result.stderr)
    line = result.stderr.strip()
    assert line.startswith("error: ") and len(line.splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in line, (fragment, line)
    return line


@pytest.fixture
def make_role(postgres_url):
    """A function (kind, options) → (a new role name, the URL that logs in as it). The roles
    (and what they own or were granted) are dropped afterwards."""
    names: list[str] = []

    def make(kind: str, options: str = "", *, create: bool = True) -> tuple[str, str]:
        name = f"atk_{kind}_{uuid.uuid4().hex[:10]}"
        names.append(name)
        if create:
            sql(POSTGRES_URL, f'CREATE ROLE "{name}" LOGIN {options}')
        return name, make_url(postgres_url).set(username=name).render_as_string(hide_password=False)

    yield make
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        for name in reversed(names):
            if connection.execute(
                text("SELECT 1 FROM pg_roles WHERE rolname = :r"), {"r": name}
            ).first():
                connection.execute(text(f'DROP OWNED BY "{name}"'))
                connection.execute(text(f'DROP ROLE "{name}"'))
    admin.dispose()


def sql(url: str, *statements: str, params: dict | None = None):
    """Run statements in one transaction as the URL's login (as psql would); the last one's
    rows, if it returns any."""
    engine = create_engine(url)
    try:
        with engine.begin() as connection:
            result = None
            for statement in statements:
                result = connection.execute(text(statement), params or {})
            return result.all() if result is not None and result.returns_rows else None
    finally:
        engine.dispose()


def utc(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_plus(**delta) -> str:
    return utc(datetime.now(UTC) + timedelta(**delta))


def forged_row(
    url: str,
    *,
    recorded_at: str | None = None,
    type_: str = "fx.rate_set",
    payload: str = FX_PAYLOAD,
    actor: str = "mallory",
) -> dict:
    """The next event of the chain with a hash its writer computed (valid for the chain)."""
    rows = sql(url, "SELECT seq, hash, recorded_at FROM events ORDER BY seq DESC LIMIT 1")
    seq, head, head_at = rows[0] if rows else (0, GENESIS_HASH, "")
    event_id = str(uuid.uuid4())
    recorded_at = recorded_at or head_at
    seq += 1
    return {
        "seq": seq,
        "event_id": event_id,
        "type": type_,
        "effective": "2025-06-01",
        "recorded_at": recorded_at,
        "actor": actor,
        "payload": payload,
        "prev_hash": head,
        "hash": chain_hash(
            head, seq, event_id, type_, "2025-06-01", recorded_at, actor, None, payload
        ),
    }


INSERT_ROW = (
    "INSERT INTO events (seq, event_id, type, effective, recorded_at, actor, reason, payload, "
    "prev_hash, hash) VALUES (:seq, :event_id, :type, :effective, :recorded_at, :actor, NULL, "
    ":payload, :prev_hash, :hash)"
)


def insert_row(url: str, row: dict) -> None:
    sql(url, INSERT_ROW, params=row)


def event_count(url: str) -> int:
    return sql(url, "SELECT count(*) FROM events")[0][0]


def given_a_ledger(url: str) -> None:
    from ledger.packaged import fixture

    assert cli(url, "init").exit_code == 0
    result = cli(url, "import", str(fixture("minimal.jsonl")))
    assert result.exit_code == 0, result.output


@pytest.fixture
def writer(postgres_url, make_role):
    """A ledger with a few events, and the URL of a writer `db grant-writer` made for it."""
    given_a_ledger(postgres_url)
    role, url = make_role("writer", create=False)
    granted = cli(postgres_url, "db", "grant-writer", role)
    assert granted.exit_code == 0, granted.output
    return url
