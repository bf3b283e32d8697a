"""The schema comes from alembic migrations that travel inside the package; they build exactly
what `ledger.schema` describes, on SQLite and PostgreSQL, and `ledger init` is safe to repeat."""

from __future__ import annotations

import importlib.util
from datetime import date
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from ledger.app import Ledger
from ledger.migrate import alembic_config, current_revision
from ledger.packaged import fixture, migrations_dir
from ledger.schema import READ_MODELS, SCHEMA_REVISION, events, metadata


def test_alembic_has_one_head_and_it_is_the_revision_the_code_expects():
    scripts = ScriptDirectory.from_config(alembic_config())

    assert scripts.get_heads() == [SCHEMA_REVISION]
    assert [script.revision for script in scripts.walk_revisions()][-1] == "0001"


def test_the_migrations_and_fixtures_are_loaded_from_the_installed_package():
    """Not from a source-tree fallback: in a wheel install these are ledger._migrations and
    ledger._fixtures (importable packages), so a packaging slip shows up here."""
    migrations = importlib.util.find_spec("ledger._migrations")
    fixtures = importlib.util.find_spec("ledger._fixtures")

    assert migrations is not None and fixtures is not None
    assert migrations_dir() == Path(migrations.submodule_search_locations[0])
    assert fixture("minimal.jsonl").parent == Path(fixtures.submodule_search_locations[0])
    assert (migrations_dir() / "versions" / "0001_event_log_and_read_models.py").is_file()
    assert (migrations_dir() / "env.py").is_file()
    assert all(fixture(name).is_file() for name in ("demo.jsonl", "minimal.jsonl", "minimal.csv"))


def test_upgrading_an_empty_database_creates_the_whole_schema(db_url):
    with Ledger.open_for_init(db_url) as books:
        assert current_revision(books.engine) is None

        before, after = books.init()

        assert (before, after) == (None, SCHEMA_REVISION)
        tables = set(inspect(books.engine).get_table_names())
        assert tables == {"alembic_version", events.name, *(table.name for table in READ_MODELS)}


def test_the_metadata_matches_what_the_migrations_build(ledger):
    """No differences at all, types included. Nothing is filtered: alembic already leaves its
    own alembic_version table out, and the append-only triggers are not part of the metadata."""
    with ledger.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        differences = compare_metadata(context, metadata)

    assert differences == []


def test_ledger_init_twice_is_safe_and_keeps_the_events(run):
    created = run("init")
    recorded = run("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01")

    again = run("init")

    assert (created.exit_code, created.stdout) == (
        0,
        f"schema created at revision {SCHEMA_REVISION}\n",
    )
    assert (again.exit_code, again.stdout) == (
        0,
        f"schema is up to date (revision {SCHEMA_REVISION})\n",
    )
    assert recorded.stdout == "1\n"
    assert run("verify").stdout.startswith("ok: 1 events, head ")


def test_opening_a_ledger_creates_the_schema_once(db_url):
    with Ledger.open(db_url) as books:
        books.record(
            "fx.rate_set",
            {"base": "USD", "quote": "CNY", "rate": "7.2"},
            effective=date(2025, 1, 1),
            actor="treasury",
        )
    with Ledger.open(db_url) as books:
        assert books.head()[0] == 1
        assert books.init() == (SCHEMA_REVISION, SCHEMA_REVISION)


def test_a_database_with_foreign_tables_is_not_taken_over(db_url, run):
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE customers (id INTEGER PRIMARY KEY)"))
    engine.dispose()

    result = run("log")

    assert result.exit_code == 1
    assert result.stderr.startswith("error: ") and "ledger" in result.stderr
    assert result.stderr.count("\n") == 1


def test_upgrading_from_0001_keeps_the_log_and_rebuilds_the_read_models(db_url, tmp_path):
    """Revision 0002 reshapes read models only: `ledger init` upgrades, then rebuilds them from the
    log, so the reports equal those of a ledger built at 0002 from the start."""
    from alembic import command
    from sqlalchemy import create_engine, insert, select

    with Ledger.open(f"sqlite:///{tmp_path / 'reference.db'}") as reference:
        reference.import_file(fixture("demo.jsonl"), actor="demo")
        with reference.engine.connect() as connection:
            # As an older revision stores it: without the payload version (revision 0004).
            log = [
                {name: value for name, value in row._mapping.items() if name != "version"}
                for row in connection.execute(select(events).order_by(events.c.seq))
            ]
        expected = reference.query_budget(as_of=date(2025, 12, 31))
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0001")
        connection.execute(insert(events), log)
    engine.dispose()

    with Ledger.open_for_init(db_url) as books:
        assert current_revision(books.engine) == "0001"
        assert books.init() == ("0001", SCHEMA_REVISION)

        assert books.verify().ok and books.head()[0] == len(log)
        assert books.rebuild(check=True).differences == ()
        assert books.query_budget(as_of=date(2025, 12, 31)) == expected


def test_status_reads_an_older_schema_and_says_how_to_upgrade_while_queries_refuse(
    db_url, tmp_path
):
    """A ledger left at revision 0003 (before event versions): `status` still shows it, the
    closed-through dates read from its version-less log included, and says how to upgrade;
    every other reading command refuses with the same advice rather than guess."""
    from alembic import command
    from click.testing import CliRunner
    from sqlalchemy import create_engine, insert, select

    from commands import main

    with Ledger.open(f"sqlite:///{tmp_path / 'reference.db'}") as reference:
        reference.import_file(fixture("demo.jsonl"), actor="demo")
        with reference.engine.connect() as connection:
            log = [
                {name: value for name, value in row._mapping.items() if name != "version"}
                for row in connection.execute(select(events).order_by(events.c.seq))
            ]
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0003")
        connection.execute(insert(events), log)
    engine.dispose()
    runner = CliRunner()

    status = runner.invoke(main, ["--db", db_url, "status"])
    budget = runner.invoke(main, ["--db", db_url, "query", "budget", "--as-of", "2025-12-31"])

    assert status.exit_code == 0, status.stderr
    assert (
        f"schema revision: 0003 (this ledger reads {SCHEMA_REVISION}: run `ledger init`"
        in " ".join(status.stdout.split())
    )
    assert f"events: {len(log)}" in " ".join(status.stdout.split())
    assert "closed through (CN): 2025-06-30" in " ".join(status.stdout.split())
    assert budget.exit_code == 1
    assert budget.stderr == (
        f"error: the schema is at revision 0003, not {SCHEMA_REVISION}: run `ledger init`\n"
    )
    with Ledger.open_for_init(db_url) as books:
        assert current_revision(books.engine) == "0003"  # status changed nothing


def test_upgrading_from_0005_gives_every_order_change_its_delta(db_url, tmp_path):
    """Revision 0006 recreates order_changes with signed deltas and adds orders_replayed: after
    `ledger init` every change of an old ledger has its delta, a back-dated one replays its order,
    and the reports equal those of a ledger built at 0006."""
    from alembic import command
    from sqlalchemy import create_engine, func, insert, select

    from ledger.schema import order_changes, orders_replayed

    with Ledger.open(f"sqlite:///{tmp_path / 'reference.db'}") as reference:
        reference.import_file(fixture("demo.jsonl"), actor="demo")
        # A change dated before the order's latest one: the order is replayed from it on.
        reference.record(
            "order.amended", {"order": "MY-PO-0002", "quantity": 49000}, effective=date(2025, 7, 1)
        )
        with reference.engine.connect() as connection:
            log = [dict(row._mapping) for row in connection.execute(select(events))]
            replayed = connection.execute(select(orders_replayed.c.order_id)).scalars().all()
        assert replayed == ["MY-PO-0002"]
        expected = [
            (reference.query_budget(as_of=day), reference.query_shares(as_of=day))
            for day in (date(2025, 7, 15), date(2025, 12, 31))
        ]
    engine = create_engine(db_url)
    config = alembic_config()
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")
        connection.execute(insert(events), log)
    engine.dispose()

    with Ledger.open_for_init(db_url) as books:
        assert books.init() == ("0005", SCHEMA_REVISION)
        assert books.verify().ok and books.rebuild(check=True).differences == ()
        with books.engine.connect() as connection:
            changes = connection.execute(select(func.count()).select_from(order_changes)).scalar()
            assert changes == 8
            assert (
                connection.execute(
                    select(func.count())
                    .select_from(order_changes)
                    .where(order_changes.c.value_delta.is_(None) | order_changes.c.placed.is_(None))
                ).scalar()
                == 0
            )
            assert connection.execute(select(orders_replayed.c.order_id)).scalars().all() == [
                "MY-PO-0002"
            ]
        assert [
            (books.query_budget(as_of=day), books.query_shares(as_of=day))
            for day in (date(2025, 7, 15), date(2025, 12, 31))
        ] == expected
