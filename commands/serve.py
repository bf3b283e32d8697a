"""`ledger serve`: the web view — read-only pages and a JSON API."""

from __future__ import annotations

import click

from commands.options import IntegerType


@click.command()
@click.option(
    "--host",
    default="127.0.0.1",
    show_default=True,
    metavar="H",
    help="Address to listen on (the view has no login: keep it on loopback, or behind a proxy "
    "that authenticates).",
)
@click.option(
    "--port",
    type=IntegerType(0, 65535),
    default=8000,
    show_default=True,
    metavar="P",
    help="Port to listen on (0: any free port; the URL printed names it).",
)
@click.pass_obj
def serve(obj, host, port):
    """Serve the ledger read-only over HTTP until interrupted (Ctrl-C or SIGTERM): pages for
    people, and a JSON API whose bodies equal `--format json` (GET /api/budget, /api/commitments,
    /api/shares, /api/compliance, /api/spend, /api/group, /api/events; described at
    /api/openapi.json).

    Every request reads in a read-only transaction; no route writes. Needs the `web` extra.

    \b
    Example:
      ledger serve
      ledger --db postgresql://reader@db/ledger serve --port 8080
      curl 'http://127.0.0.1:8000/api/budget?as_of=2025-06-30&region=CN'
    """
    from ledger.errors import LedgerError

    try:
        import jinja2  # noqa: F401
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as error:
        raise LedgerError(
            f"ledger serve needs the web extra ({error.name} is missing): "
            "pip install 'procurement-ledger[web]'"
        ) from None
    from ledger.db import describe_url, make_read_only
    from ledger.web.app import create_app
    from ledger.web.server import bind, is_loopback, url_of
    from ledger.web.server import serve as run_server

    ledger = obj.ledger
    make_read_only(ledger.engine)
    try:
        sock = bind(host, port)
    except OSError as error:
        raise LedgerError(f"cannot listen on {host}:{port}: {error.strerror or error}") from None
    if not is_loopback(host):
        click.echo(
            f"warning: the web view has no login: anyone who can reach {host}:{port} can read "
            "the whole ledger; put it behind a reverse proxy with authentication "
            "(docs/web.md)",
            err=True,
        )
    banner = (
        f"Serving the ledger {describe_url(ledger.engine)} read-only at {url_of(sock)} "
        "(Ctrl-C to stop)"
    )
    run_server(
        create_app(ledger),
        sock,
        on_ready=lambda: click.echo(banner),
        on_stop=lambda: click.echo("stopped"),
    )


COMMANDS = [serve]
