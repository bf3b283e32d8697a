"""`ledger db grant-writer/grant-reader` refuse roles that rights cannot limit or that must keep
their own: built-in pg_* roles, superusers and the owner of the ledger's tables (issue 11 item 9).
Run against the real server with roles made for the test and dropped afterwards."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text
from test_privileges import as_owner, cli, given_a_ledger, make_role  # noqa: F401 (fixture)

pytestmark = pytest.mark.postgres


def privilege(url: str, role: str, right: str) -> bool:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT has_table_privilege(:role, 'events', :right)"),
                                      {"role": role, "right": right}).scalar()
    finally:
        engine.dispose()


def refused(result, *words: str) -> bool:
    lines = result.stderr.splitlines()
    return (result.exit_code == 1 and len(lines) == 1 and lines[0].startswith("error: role: ")
            and all(word in lines[0] for word in words) and "Traceback" not in result.output)


@pytest.mark.parametrize("kind", ["grant-writer", "grant-reader"])
@pytest.mark.parametrize("role", ["pg_read_all_data", "pg_write_all_data", "PG_monitor", "pg_nonexistent_x"])
def test_built_in_roles_are_refused(postgres_url, kind, role):
    given_a_ledger(postgres_url)
    result = cli(postgres_url, "db", kind, role)
    assert refused(result, "built-in"), result.output
    if role == "pg_read_all_data":
        assert not privilege(postgres_url, role, "INSERT")


@pytest.mark.parametrize("kind", ["grant-writer", "grant-reader"])
def test_a_superuser_is_refused_and_keeps_its_rights(postgres_url, make_role, kind):
    given_a_ledger(postgres_url)
    role, _ = make_role("super")
    as_owner(postgres_url, f'CREATE ROLE "{role}" SUPERUSER')
    result = cli(postgres_url, "db", kind, role)
    assert refused(result, role, "superuser"), result.output
    connected_as = make_url_user(postgres_url)
    assert refused(cli(postgres_url, "db", kind, connected_as), "superuser")
    assert privilege(postgres_url, connected_as, "INSERT")


def make_url_user(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).username


def test_the_owner_of_the_tables_is_refused_and_keeps_its_rights(postgres_url, make_role):
    given_a_ledger(postgres_url)
    role, _ = make_role("owner")
    as_owner(postgres_url, f'CREATE ROLE "{role}" LOGIN', f'ALTER TABLE events OWNER TO "{role}"')
    for kind in ("grant-writer", "grant-reader"):
        result = cli(postgres_url, "db", kind, role)
        assert refused(result, role, "owns"), result.output
    assert privilege(postgres_url, role, "INSERT") and privilege(postgres_url, role, "SELECT")


def test_an_ordinary_role_is_still_granted(postgres_url, make_role):
    given_a_ledger(postgres_url)
    role, _ = make_role("plain")
    result = cli(postgres_url, "db", "grant-writer", role)
    assert result.exit_code == 0, result.output
    assert privilege(postgres_url, role, "INSERT")
