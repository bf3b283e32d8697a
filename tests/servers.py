"""Extra PostgreSQL processes for the tests that need them: a streaming standby of the test
server, and PgBouncer in front of it. Each runs as the `postgres` OS user in a temporary folder
and is stopped and removed afterwards. When one cannot be built the test skips, except under
LEDGER_REQUIRE_POSTGRES=1 (CI), where it fails."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

# The server, its schemas and the skip-or-fail rule are databases.py's; re-exported here for
# the tests that import them from this module.
from databases import (  # noqa: F401
    POSTGRES_URL,
    REQUIRE_POSTGRES,
    cannot,
    postgres_schema,
    skip_without_postgres,
    with_search_path,
)
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

REPLICATION_LINE = "host replication all 127.0.0.1/32 trust"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def as_postgres(*command: str, **options) -> subprocess.CompletedProcess:
    """Run a server program as the `postgres` OS user (the tests run as root)."""
    return subprocess.run(
        ["runuser", "-u", "postgres", "--", *command],
        capture_output=True,
        text=True,
        timeout=options.pop("timeout", 120),
        **options,
    )


def server_binaries(major: str) -> Path:
    found = sorted(glob.glob(f"/usr/lib/postgresql/{major}/bin"))
    if not found:
        cannot(f"no PostgreSQL {major} programs in /usr/lib/postgresql/{major}/bin")
    return Path(found[0])


def with_port(url: str, port: int) -> str:
    return make_url(url).set(port=port).render_as_string(hide_password=False)


def _require_root_and_postgres_user() -> None:
    skip_without_postgres()
    if os.geteuid() != 0:
        cannot("the standby and pooler tests run server programs as `postgres` and need root")
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        cannot("there is no `postgres` OS user")
    if shutil.which("runuser") is None:
        cannot("runuser is missing")


def _allow_replication(admin) -> None:
    """The test server must accept a replication connection from 127.0.0.1: add one pg_hba
    line when none is there, and reload (idempotent; .ci/run does the same)."""
    with admin.connect() as connection:
        hba = connection.execute(text("SHOW hba_file")).scalar()
        lines = Path(hba).read_text().splitlines()
        if not any(
            line.split()[:2] == ["host", "replication"]
            for line in lines
            if line.strip() and not line.lstrip().startswith("#")
        ):
            with open(hba, "a") as stream:
                stream.write(
                    f"\n# ledger tests: streaming standbys from this host\n{REPLICATION_LINE}\n"
                )
            connection.execute(text("SELECT pg_reload_conf()"))
            time.sleep(0.5)


def _settings(admin, names: tuple[str, ...]) -> dict[str, str]:
    with admin.connect() as connection:
        rows = connection.execute(
            text("SELECT name, setting FROM pg_settings WHERE name = ANY(:names)"),
            {"names": list(names)},
        )
        return dict(rows.all())


# A hot standby needs at least the primary's values of these.
MATCHED_SETTINGS = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


@contextmanager
def streaming_standby() -> Iterator[str]:
    """A second cluster on a free port, a streaming replica of the test server through its own
    physical replication slot (so the primary keeps every WAL segment it has not received);
    yields its server URL (the test server's URL with the standby's port)."""
    _require_root_and_postgres_user()
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    primary = make_url(POSTGRES_URL)
    slot = f"ledger_test_{uuid.uuid4().hex[:10]}"
    folder = Path(tempfile.mkdtemp(prefix="ledger-standby-"))
    data = folder / "data"
    started = False
    try:
        with admin.connect() as connection:
            major = connection.execute(text("SHOW server_version_num")).scalar()[:-4]
        binaries = server_binaries(major)
        _allow_replication(admin)
        with admin.connect() as connection:
            connection.execute(
                text("SELECT pg_create_physical_replication_slot(:slot, true)"), {"slot": slot}
            )
        shutil.chown(folder, "postgres", "postgres")
        folder.chmod(0o700)
        copied = as_postgres(
            str(binaries / "pg_basebackup"),
            "-h",
            primary.host or "127.0.0.1",
            "-p",
            str(primary.port or 5432),
            "-U",
            primary.username or "postgres",
            "-D",
            str(data),
            "-R",
            "-X",
            "stream",
            "-S",
            slot,
            "--checkpoint=fast",
        )
        if copied.returncode != 0:
            cannot(f"pg_basebackup failed: {copied.stderr.strip()}")
        port = free_port()
        settings = _settings(admin, MATCHED_SETTINGS)
        config = [
            f"port = {port}",
            "listen_addresses = '127.0.0.1'",
            f"unix_socket_directories = '{folder}'",
            "hot_standby = on",
            "shared_buffers = 32MB",
            "fsync = off",
            *(f"{name} = {value}" for name, value in settings.items()),
        ]
        (data / "postgresql.conf").write_text("\n".join(config) + "\n")
        (data / "pg_hba.conf").write_text("local all all trust\nhost all all 127.0.0.1/32 trust\n")
        (data / "pg_ident.conf").write_text("")
        for path in (data / "postgresql.conf", data / "pg_hba.conf", data / "pg_ident.conf"):
            shutil.chown(path, "postgres", "postgres")
        run = as_postgres(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-l",
            str(folder / "server.log"),
            "-w",
            "-t",
            "60",
            "start",
        )
        started = True
        if run.returncode != 0:
            log = (folder / "server.log").read_text() if (folder / "server.log").exists() else ""
            cannot(f"the standby did not start: {run.stderr.strip()} {log[-2000:]}")
        yield with_port(POSTGRES_URL, port)
    finally:
        if started:
            as_postgres(str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        _drop_slot(admin, slot)
        admin.dispose()
        shutil.rmtree(folder, ignore_errors=True)


def _drop_slot(admin, slot: str, timeout: float = 60) -> None:
    """Drop the standby's slot (a slot left behind keeps WAL on the server for ever), once the
    primary's WAL sender for it has ended: it may outlive the standby's stop for a moment."""
    deadline = time.monotonic() + timeout
    while True:
        with admin.connect() as connection:
            active = connection.execute(
                text("SELECT active FROM pg_replication_slots WHERE slot_name = :slot"),
                {"slot": slot},
            ).scalar()
            if active is None:
                return
            if not active or time.monotonic() > deadline:
                connection.execute(text("SELECT pg_drop_replication_slot(:slot)"), {"slot": slot})
                return
        time.sleep(0.2)


def wait_until_replayed(standby_url: str, timeout: float = 60) -> None:
    """Until the standby has replayed everything the primary has written so far."""
    primary = create_engine(POSTGRES_URL)
    standby = create_engine(standby_url)
    try:
        with primary.connect() as connection:
            target = connection.execute(text("SELECT pg_current_wal_lsn()::text")).scalar()
        deadline = time.monotonic() + timeout
        while True:
            with standby.connect() as connection:
                if connection.execute(
                    text("SELECT pg_last_wal_replay_lsn() >= CAST(:lsn AS pg_lsn)"), {"lsn": target}
                ).scalar():
                    return
            if time.monotonic() > deadline:
                raise AssertionError(f"the standby did not replay up to {target} in {timeout} s")
            time.sleep(0.05)
    finally:
        primary.dispose()
        standby.dispose()


@contextmanager
def pgbouncer(
    pool_mode: str = "transaction", *, users: tuple[str, ...] = (), server_user: str | None = None
) -> Iterator[int]:
    """PgBouncer on a free port in front of the test server, every database passed through,
    with a small pool so that clients really share server connections; yields its port.
    `users`: more client roles it lets in (trust); `server_user`: every client is logged in to
    the server as this role (`user=` in [databases]) instead of as itself."""
    _require_root_and_postgres_user()
    program = shutil.which("pgbouncer") or (
        "/usr/sbin/pgbouncer" if os.path.exists("/usr/sbin/pgbouncer") else None
    )
    if program is None:
        cannot("pgbouncer is not installed (apt-get install pgbouncer)")
    primary = make_url(POSTGRES_URL)
    folder = Path(tempfile.mkdtemp(prefix="ledger-pgbouncer-"))
    port = free_port()
    ini = folder / "pgbouncer.ini"
    ini.write_text(
        "[databases]\n"
        f"* = host={primary.host or '127.0.0.1'} port={primary.port or 5432}"
        f"{f' user={server_user}' if server_user else ''}\n"
        "[pgbouncer]\n"
        f"listen_addr = 127.0.0.1\nlisten_port = {port}\nunix_socket_dir = {folder}\n"
        f"auth_type = trust\nauth_file = {folder / 'users.txt'}\n"
        f"pool_mode = {pool_mode}\ndefault_pool_size = 2\nmax_client_conn = 200\n"
        f"logfile = {folder / 'pgbouncer.log'}\npidfile = {folder / 'pgbouncer.pid'}\n"
    )
    (folder / "users.txt").write_text(
        "".join(f'"{user}" ""\n' for user in (primary.username or "postgres", *users))
    )
    for path in (folder, ini, folder / "users.txt"):
        shutil.chown(path, "postgres", "postgres")
    process = subprocess.Popen(
        ["runuser", "-u", "postgres", "--", program, str(ini)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if process.poll() is not None or time.monotonic() > deadline:
                    log = (
                        (folder / "pgbouncer.log").read_text()
                        if (folder / "pgbouncer.log").exists()
                        else ""
                    )
                    cannot(
                        f"pgbouncer did not start: {(process.stdout.read() if process.stdout else '')} {log}"
                    )
                time.sleep(0.1)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        shutil.rmtree(folder, ignore_errors=True)
