"""The web view (`ledger serve`): read-only pages for people and a JSON API for programs.

app.py builds the ASGI application (Starlette) over an open `Ledger`; api.py serves the views of
ledger/views.py as JSON, exactly as `--format json` prints them, and describes them in OpenAPI;
pages.py renders the HTML pages (Jinja2 templates in templates/, the report's charts); server.py
runs it under uvicorn. Only `ledger serve` imports this package, so no other command pays for
the web libraries (the optional `web` extra).
"""
