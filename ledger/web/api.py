"""The JSON API: each view of ledger/views.py at /api/NAME, its body the bytes `ledger … --format
json` prints for the same options; the log at /api/events; the description at
/api/openapi.json, generated from the same registry."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from ledger import __version__, views
from ledger.errors import LedgerError

JSON = "application/json"


def json_response(data, status: int = 200) -> Response:
    return Response(json.dumps(data, ensure_ascii=False, indent=2) + "\n", status, media_type=JSON)


def error_response(message: str, status: int = 400) -> Response:
    return json_response({"error": message}, status)


def view_endpoint(name: str):
    def endpoint(request: Request) -> Response:
        view = views.VIEWS[name]
        ledger = request.app.state.ledger
        try:
            chosen = views.options_from(view, dict(request.query_params))
            rows = views.rows(ledger, name, chosen)
        except LedgerError as error:
            return error_response(str(error))
        return Response(view.json(rows, chosen), media_type=JSON)

    endpoint.__name__ = f"api_{name}"
    return endpoint


def events_endpoint(request: Request) -> Response:
    try:
        rows = views.event_page(request.app.state.ledger, dict(request.query_params))
    except LedgerError as error:
        return error_response(str(error))
    return Response(views.json_text(rows, views.EVENT_COLUMNS), media_type=JSON)


def openapi_endpoint(_request: Request) -> Response:
    return json_response(openapi())


def routes() -> list[Route]:
    found = [Route(f"/api/{name}", view_endpoint(name), methods=["GET"]) for name in views.VIEWS]
    found.append(Route("/api/events", events_endpoint, methods=["GET"]))
    found.append(Route("/api/openapi.json", openapi_endpoint, methods=["GET"]))
    return found


# -- the description ------------------------------------------------------------------------------

KIND_SCHEMAS = {
    views.AMOUNT: {"type": ["string", "null"], "pattern": r"^-?[0-9]+\.[0-9]{2}$"},
    views.FRACTION: {"type": ["string", "null"], "pattern": r"^-?[0-9]+\.[0-9]{4}$"},
    views.RATE: {"type": ["string", "null"], "pattern": r"^[0-9]+\.[0-9]{6}$"},
    views.BOOL: {"type": ["boolean", "null"]},
    views.INTEGER: {"type": ["integer", "null"]},
    views.TEXT: {"type": ["string", "null"]},
    views.PLAIN: {"type": ["string", "integer", "null"]},
}
ERROR = {"$ref": "#/components/schemas/Error"}


def _rows_schema(columns, optional=()) -> dict:
    """Rows of these columns; `optional` ones appear only with the options that add them."""
    return {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {c.name: KIND_SCHEMAS[c.kind] for c in (*columns, *optional)},
            "required": [c.name for c in columns],
            "additionalProperties": False,
        },
    }


def _parameter(param: views.Param, required: bool) -> dict:
    schema = dict(param.schema)
    return {
        "name": param.name,
        "in": "query",
        "required": required,
        "description": param.description,
        "schema": schema,
    }


def _operation(summary: str, parameters: list[dict], rows: dict) -> dict:
    return {
        "get": {
            "summary": summary,
            "parameters": parameters,
            "responses": {
                "200": {"description": "The rows.", "content": {JSON: {"schema": rows}}},
                "400": {
                    "description": "A malformed parameter or an unknown region: the command "
                    "line's one line.",
                    "content": {JSON: {"schema": ERROR}},
                },
            },
        }
    }


def openapi() -> dict:
    paths = {}
    for name, view in views.VIEWS.items():
        parameters = [
            _parameter(views.PARAMS[option], option in view.required) for option in view.options
        ]
        paths[f"/api/{name}"] = _operation(
            view.summary,
            parameters,
            _rows_schema(view.columns, view.extra(views.Options(year=2000))),
        )
    paths["/api/events"] = _operation(
        "The events after seq after_seq, in seq order, with the columns of `export events`.",
        [_parameter(param, False) for param in views.EVENT_PARAMS.values()],
        _rows_schema(views.EVENT_COLUMNS),
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "ledger",
            "version": __version__,
            "description": "The procurement ledger, read-only: each view's body equals "
            "`ledger … --format json` for the same options.",
        },
        "paths": paths,
        "components": {
            "schemas": {
                "Error": {
                    "type": "object",
                    "properties": {"error": {"type": "string"}},
                    "required": ["error"],
                    "additionalProperties": False,
                }
            }
        },
    }
