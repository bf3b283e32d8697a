"""Creating and upgrading the schema with alembic; the scripts travel inside the package."""

from __future__ import annotations

from sqlalchemy import Engine, inspect, text

from ledger.errors import SchemaError
from ledger.packaged import migrations_dir
from ledger.schema import SCHEMA_REVISION


def alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(migrations_dir()))
    return config


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        if not inspect(connection).has_table("alembic_version"):
            return None
        return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()


def upgrade(engine: Engine) -> tuple[str | None, str]:
    """Bring the schema to the newest revision; returns (before, after). Safe to repeat."""
    from alembic import command

    before = current_revision(engine)
    if before != SCHEMA_REVISION:
        config = alembic_config()
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
    if engine.dialect.name == "postgresql":
        revoke_public(engine)
    after = current_revision(engine)
    assert after is not None  # upgraded just above
    return before, after


def revoke_public(engine: Engine) -> None:
    """PUBLIC holds no right on the ledger's tables (a `GRANT ALL ... TO PUBLIC` made since is
    undone by the next `ledger init`): only the roles granted one can read or write."""
    with engine.begin() as connection:
        owned = connection.execute(
            text(
                "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
                "AND tableowner = current_user"
            )
        ).scalars()
        for name in owned:
            connection.exec_driver_sql(f'REVOKE ALL ON "{name}" FROM PUBLIC')


def ensure_schema(engine: Engine) -> None:
    """Create the schema of an empty database; refuse a database at another revision."""
    revision = current_revision(engine)
    if revision == SCHEMA_REVISION:
        return
    if revision is None:
        with engine.connect() as connection:
            foreign = [name for name in inspect(connection).get_table_names()]
        if foreign:
            raise SchemaError(
                "the database has tables but no ledger schema; point --db at a ledger database"
            )
        upgrade(engine)
        return
    raise SchemaError(
        f"the schema is at revision {revision}, not {SCHEMA_REVISION}: run `ledger init`"
    )


def require_schema(engine: Engine, where: str, *, any_revision: bool = False) -> None:
    """Refuse a database without the ledger's schema at the current revision (with
    any_revision, at any revision: `status` reports an older one), reading only: opening an
    existing ledger never creates or migrates anything. `where` names the database in the
    message ("at PATH", "in URL")."""
    revision = current_revision(engine)
    if revision == SCHEMA_REVISION or (any_revision and revision is not None):
        return
    if revision is None:
        with engine.connect() as connection:
            foreign = inspect(connection).get_table_names()
        if foreign:
            raise SchemaError(
                "the database has tables but no ledger schema; point --db at a ledger database"
            )
        raise SchemaError(f"no ledger {where} (create one with ledger init)")
    raise SchemaError(
        f"the schema is at revision {revision}, not {SCHEMA_REVISION}: run `ledger init`"
    )
