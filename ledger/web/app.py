"""The ASGI application of the web view over one open, read-only `Ledger`: the API, the pages, the
static files, and the rules every response follows (GET and HEAD only, a strict
Content-Security-Policy, nothing from another host)."""

from __future__ import annotations

from pathlib import Path

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

from ledger.web import api, pages

STATIC = Path(__file__).with_name("static")
# Scripts and style sheets only from this server; the charts' SVG carries style attributes
# (matplotlib writes them), hence 'unsafe-inline' for styles — never for scripts.
CONTENT_SECURITY_POLICY = (
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'"
)
HEADERS = [
    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cache-control", b"no-store"),
]
ALLOWED = {"GET", "HEAD"}


class ReadOnlyHTTP:
    """Any method but GET and HEAD is 405, on every path: no route can write. Every response
    carries the security headers."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        if scope["method"] not in ALLOWED:
            response = Response(
                "method not allowed: the web view only reads (GET, HEAD)\n",
                405,
                headers={"Allow": "GET, HEAD"},
                media_type="text/plain",
            )
            return await response(scope, receive, self._with_headers(send))
        return await self.app(scope, receive, self._with_headers(send))

    @staticmethod
    def _with_headers(send):
        async def sending(message):
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), *HEADERS]}
            await send(message)

        return sending


async def not_found(request: Request, error: Exception) -> Response:
    if request.url.path.startswith("/api/") or request.url.path == "/api":
        status = getattr(error, "status_code", 404)
        return api.error_response(f"no such path: {request.url.path[:200]}", status)
    return pages.error_page(request, f"There is no page at {request.url.path[:200]}.", 404)


def create_app(ledger) -> ReadOnlyHTTP:
    """The web view of ledger, which should be opened read-only (ledger.db.make_read_only)."""
    app = Starlette(
        routes=[
            *api.routes(),
            *pages.routes(),
            Mount("/static", StaticFiles(directory=STATIC), name="static"),
        ],
        exception_handlers={404: not_found},
    )
    app.state.ledger = ledger
    return ReadOnlyHTTP(app)
