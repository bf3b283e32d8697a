"""Reading from a PostgreSQL hot standby, and from a read-only role or transaction: every reading
command gives the primary's answer, and a recording command says, in one line, where to record."""

from __future__ import annotations

from urllib.parse import quote

import pytest
from click.testing import CliRunner
from servers import streaming_standby, wait_until_replayed, with_search_path

from commands import main
from ledger.packaged import fixture

pytestmark = pytest.mark.postgres

READ_ONLY = "error: the database is read-only — a standby? record on the primary\n"

# Reading commands and their arguments; those a tree does not have yet are left out.
READING = [
    ("query", "budget", "--as-of", "2025-06-30"),
    ("query", "budget", "--as-of", "2025-12-31", "--upto-seq", "40", "--format", "json"),
    ("query", "commitments", "--as-of", "2025-12-31"),
    ("query", "shares", "--as-of", "2025-12-31"),
    ("compliance", "--as-of", "2025-12-31"),
    ("log",),
    ("log", "--id", "MY-L-04"),
    ("verify",),
    ("export", "events"),
    ("region", "list", "--as-of", "2025-12-31"),
    ("supplier", "list", "--as-of", "2025-12-31"),
    ("fx", "list", "--as-of", "2025-12-31"),
    ("budget", "list", "--as-of", "2025-12-31"),
    ("period", "list", "--as-of", "2025-12-31"),
    ("diff", "budget", "--as-of", "2025-12-31", "--from-seq", "40"),
    ("diff", "commitments", "--as-of", "2025-12-31", "--from-seq", "40"),
    ("diff", "events", "--as-of", "2025-12-31", "--from-seq", "40"),
]
# The same head, count and closes on both sides; the database line and read-only differ.
STATUS_SHARED = ("schema revision", "events", "head seq", "head hash", "head recorded_at")


def available(args: tuple[str, ...]) -> bool:
    command = main
    for name in args:
        if name.startswith("-"):
            return True
        if not hasattr(command, "commands"):
            return True
        command = command.commands.get(name)
        if command is None:
            return False
    return True


READING_HERE = [args for args in READING if available(args)]


def ledger(db: str, *args: str):
    return CliRunner().invoke(
        main, ["--db", db, "--actor", "tester", *args], catch_exceptions=False
    )


def status(db: str) -> dict[str, str]:
    result = ledger(db, "status")
    assert result.exit_code == 0, result.stderr
    return dict(
        (part.strip() for part in line.split(":", 1)) for line in result.stdout.splitlines()
    )


def recording_commands() -> list[tuple[str, ...]]:
    return [
        ("fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31"),
        ("import", str(fixture("minimal.jsonl"))),
        ("rebuild",),
        ("demo",),
    ]


def schema_of(url: str) -> str:
    return url.split("search_path%3D", 1)[1].split("&", 1)[0]


@pytest.fixture(scope="module")
def standby_server():
    with streaming_standby() as url:
        yield url


def test_every_reading_command_answers_on_the_standby_as_on_the_primary(
    postgres_url, standby_server
):
    ledger(postgres_url, "init")
    ledger(postgres_url, "import", str(fixture("demo.jsonl")))
    standby_url = with_search_path(standby_server, schema_of(postgres_url))
    wait_until_replayed(standby_server)

    for args in READING_HERE:
        on_primary, on_standby = ledger(postgres_url, *args), ledger(standby_url, *args)
        assert on_primary.exit_code == 0, (args, on_primary.stderr)
        assert (on_standby.exit_code, on_standby.stdout, on_standby.stderr) == (
            0,
            on_primary.stdout,
            on_primary.stderr,
        ), args

    primary_status, standby_status = status(postgres_url), status(standby_url)
    assert [primary_status[k] for k in STATUS_SHARED] == [standby_status[k] for k in STATUS_SHARED]
    assert primary_status["read-only"] == "no"
    assert standby_status["read-only"] == "yes (a hot standby)"
    assert standby_status["replayed to"] != "nothing yet"


def test_recording_on_the_standby_is_refused_in_one_line(postgres_url, standby_server, tmp_path):
    ledger(postgres_url, "init")
    ledger(postgres_url, "import", str(fixture("demo.jsonl")))
    standby_url = with_search_path(standby_server, schema_of(postgres_url))
    wait_until_replayed(standby_server)
    export = tmp_path / "events.csv"
    assert ledger(postgres_url, "export", "events", "-o", str(export)).exit_code == 0

    for args in [*recording_commands(), ("restore", str(export))]:
        refused = ledger(standby_url, *args)
        assert (refused.exit_code, refused.stderr) == (1, READ_ONLY), args
    copy_in = ledger(postgres_url, "copy", standby_url)
    assert (copy_in.exit_code, copy_in.stderr) == (1, READ_ONLY)


def test_a_standby_is_a_source_for_copy(postgres_url, standby_server, tmp_path):
    ledger(postgres_url, "init")
    ledger(postgres_url, "import", str(fixture("demo.jsonl")))
    standby_url = with_search_path(standby_server, schema_of(postgres_url))
    wait_until_replayed(standby_server)
    backup = f"sqlite:///{tmp_path / 'backup.db'}"

    copied = ledger(standby_url, "copy", backup)

    assert copied.exit_code == 0, copied.stderr
    assert ledger(backup, "verify").stdout == ledger(postgres_url, "verify").stdout


def read_only_transactions(url: str) -> str:
    """The same schema, every transaction read-only (as `ALTER ROLE … SET
    default_transaction_read_only = on` makes it for a role)."""
    schema = schema_of(url)
    options = quote(f"-csearch_path={schema} -cdefault_transaction_read_only=on")
    return url.split("?", 1)[0] + f"?options={options}"


def test_a_read_only_transaction_reads_everything_and_records_nothing(postgres_url):
    ledger(postgres_url, "init")
    ledger(postgres_url, "import", str(fixture("demo.jsonl")))
    read_only = read_only_transactions(postgres_url)

    for args in READING_HERE:
        on_primary, read = ledger(postgres_url, *args), ledger(read_only, *args)
        assert (read.exit_code, read.stdout) == (0, on_primary.stdout), args
    assert status(read_only)["read-only"] == "yes"
    for args in recording_commands():
        refused = ledger(read_only, *args)
        assert (refused.exit_code, refused.stderr) == (1, READ_ONLY), args
    assert status(postgres_url)["events"] == str(
        len(fixture("demo.jsonl").read_text(encoding="utf-8").splitlines())
    )


def test_a_reader_role_set_read_only_gets_the_one_line(postgres_url):
    from sqlalchemy import create_engine, text

    ledger(postgres_url, "init")

    ledger(postgres_url, "import", str(fixture("demo.jsonl")))
    role = f"auditor_{schema_of(postgres_url)}"
    assert ledger(postgres_url, "db", "grant-reader", role).exit_code == 0
    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'ALTER ROLE "{role}" SET default_transaction_read_only = on'))
    as_reader = postgres_url.replace("postgres@", f"{role}@", 1)
    try:
        reads = [ledger(as_reader, *args) for args in READING_HERE]
        refused = ledger(as_reader, "fx", "set", "USD", "CNY", "7.3", "--effective", "2025-12-31")
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP OWNED BY "{role}"'))
            connection.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()

    assert [(read.exit_code, read.stdout) for read in reads] == [
        (0, ledger(postgres_url, *args).stdout) for args in READING_HERE
    ]
    assert (refused.exit_code, refused.stderr) == (1, READ_ONLY)
