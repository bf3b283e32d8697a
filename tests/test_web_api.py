"""The web view's JSON API over HTTP, against a real `ledger serve`, on SQLite and PostgreSQL:
bodies equal to the command line's `--format json`, errors as the command line words them, no
route that writes, and the API's own description checked by schemathesis."""

from __future__ import annotations

import csv
import io
import json
import re
import shutil
import signal
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pytest
from click.testing import CliRunner
from databases import new_demo, postgres_schema, skip_without_postgres
from web_server import serving

from commands import main
from ledger import views
from ledger.chain import canonical

# A reference to a resource on another host (an XML namespace is a name, not a resource).
ELSEWHERE = re.compile(r"""(?:src|href|action)\s*=\s*["']?\s*(?:[a-z]+:)?//""", re.IGNORECASE)
BACKENDS = ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]

# Option sets asked of every view that takes them (the API's parameter names).
ASKED = [
    {"as_of": "2025-06-30"},
    {"as_of": "2025-12-31", "currency": "USD"},
    {"as_of": "2025-12-31", "currency": "USD", "region": "MY", "rate_date": "2025-06-30"},
    {"as_of": "2025-12-31", "region": "CN"},
    {"as_of": "2025-12-31", "upto_seq": "40"},
    {"as_of": "2025-03-01", "known_at": "2025-02-20"},
    {"as_of": "2025-12-31", "year": "2026"},
    {"as_of": "2025-12-31", "basis": "units", "region": "MY"},
]


def cli(db: str, *args: str):
    return CliRunner().invoke(main, ["--db", db, "--actor", "tester", *args])


def as_options(given: dict[str, str]) -> list[str]:
    words = []
    for name, value in given.items():
        words += [views.PARAMS[name].option, value]
    return words


def command_of(name: str) -> list[str]:
    return ["compliance"] if name == "compliance" else ["query", name]


@pytest.fixture(scope="module", params=BACKENDS)
def demo_db(request, tmp_path_factory):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('web') / 'demo.db'}"
        new_demo(url)
        yield url
        return
    skip_without_postgres()
    with postgres_schema() as url:
        new_demo(url)
        yield url


@pytest.fixture(scope="module")
def served(demo_db):
    with serving(demo_db) as server:
        yield server


def test_every_view_answers_with_the_bytes_of_format_json(demo_db, served):
    for name, view in views.VIEWS.items():
        for given in ASKED:
            given = {k: v for k, v in given.items() if k in view.options}
            if not set(view.required) <= set(given):
                continue
            expected = cli(demo_db, *command_of(name), *as_options(given), "--format", "json")
            assert expected.exit_code == 0, expected.stderr
            reply = served.request(f"/api/{name}?{urlencode(given)}")
            assert reply.status == 200, (name, given, reply.text)
            assert reply.headers["content-type"].startswith("application/json")
            assert reply.text == expected.stdout, (name, given)
    # Not vacuous: the demo has rows in each view.
    assert len(served.request("/api/budget?as_of=2025-06-30").json()) >= 2
    assert served.request("/api/compliance?as_of=2025-12-31").json()


@pytest.mark.parametrize(
    "query",
    [
        "as_of=2025-13-01",
        "as_of=",
        "year=0",
        "year=twenty",
        "basis=weight",
        "upto_seq=-1",
        "known_at=yesterday",
        "region=XX",
        "known_at=2025-06-30&upto_seq=3",
    ],
)
def test_a_bad_parameter_is_400_with_the_command_lines_one_line(demo_db, served, query):
    given = dict(part.split("=", 1) for part in query.split("&"))
    expected = cli(demo_db, "query", "shares", *as_options(given))
    assert expected.exit_code in (1, 2)
    (line,) = expected.stderr.splitlines()
    reply = served.request(f"/api/shares?{query}")
    assert reply.status == 400
    assert reply.json() == {"error": line.removeprefix("error: ")}


def test_an_unknown_region_names_the_known_ones(demo_db, served):
    known = ", ".join(
        r["region"]
        for r in json.loads(
            cli(demo_db, "region", "list", "--as-of", "2030-12-31", "--format", "json").stdout
        )
    )
    reply = served.request("/api/budget?region=XX")
    assert (reply.status, reply.json()) == (400, {"error": f"unknown region 'XX'; known: {known}"})
    assert known.startswith("CN, ")


def test_an_unknown_parameter_is_400_not_ignored(served):
    reply = served.request("/api/budget?asof=2025-06-30")
    assert reply.status == 400
    assert "asof" in reply.json()["error"]


def test_an_unknown_path_is_404_and_every_method_but_get_and_head_is_405(served):
    assert served.request("/api/nothing").status == 404
    assert served.request("/api/nothing").json() == {"error": "no such path: /api/nothing"}
    assert served.request("/nothing/here").status == 404
    head = served.request("/api/budget?as_of=2025-06-30", method="HEAD")
    assert (head.status, head.body) == (200, b"")
    for method in ("POST", "PUT", "PATCH", "DELETE", "OPTIONS"):
        for path in ("/api/budget", "/", "/api/events", "/nothing"):
            reply = served.request(path, method=method)
            assert reply.status == 405, (method, path)
            assert reply.headers["allow"] == "GET, HEAD"


def test_events_are_the_export_rows_after_a_seq(demo_db, served):
    exported = cli(demo_db, "export", "events")
    assert exported.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(exported.stdout)))

    page = served.request("/api/events?after_seq=5&limit=7").json()

    assert [event["seq"] for event in page] == list(range(6, 13))
    for event, row in zip(page, rows[5:12], strict=True):
        assert set(event) == set(row)
        for column in ("event_id", "type", "effective", "recorded_at", "payload", "hash"):
            assert event[column] == row[column]
        assert event["prev_hash"] == row["prev_hash"]
        assert event["actor"] == row["actor"].removeprefix("'")
        assert (event["reason"] or "") == row["reason"].removeprefix("'")
        assert event["payload"] == canonical(json.loads(event["payload"]))
    assert len(served.request("/api/events").json()) == min(100, len(rows))
    assert served.request(f"/api/events?after_seq={len(rows)}").json() == []
    assert served.request("/api/events?limit=1001").status == 400
    assert served.request("/api/events?limit=0").status == 400
    assert served.request("/api/events?after_seq=x").json() == {
        "error": "Invalid value for 'after_seq': 'x' is not an integer (ASCII digits 0-9 only)"
    }


def test_every_response_carries_a_content_security_policy(served):
    for path in ("/", "/api/budget", "/region/CN", "/nothing", "/static/style.css"):
        policy = served.request(path).headers["content-security-policy"]
        assert "default-src 'none'" in policy and "script-src 'self'" in policy


def test_pages_answer_and_keep_the_as_of_date_and_limit_in_their_links(served):
    for path in (
        "/",
        "/region/CN",
        "/region/CN/documents",
        "/document/CN-PO-0001",
        "/event/1",
        "/compliance",
        "/log",
        "/restatement?from_seq=20",
    ):
        sep = "&" if "?" in path else "?"
        reply = served.request(f"{path}{sep}as_of=2025-06-30&upto_seq=50")
        assert reply.status == 200, (path, reply.text[:300])
        assert "as_of=2025-06-30&amp;upto_seq=50" in reply.text, path
        assert not ELSEWHERE.search(reply.text), path


def test_a_bad_option_on_a_page_is_a_400_page_with_the_command_lines_line(served):
    reply = served.request("/region/CN?as_of=2025-02-30")
    assert reply.status == 400
    assert "Invalid value for &#39;--as-of&#39;: &#39;2025-02-30&#39; is not a date" in reply.text


def test_the_description_is_openapi_and_lists_every_view(served):
    described = served.request("/api/openapi.json").json()
    assert described["openapi"].startswith("3.")
    assert set(described["paths"]) == {f"/api/{name}" for name in views.VIEWS} | {"/api/events"}
    parameters = {p["name"] for p in described["paths"]["/api/shares"]["get"]["parameters"]}
    assert parameters == {"as_of", "known_at", "upto_seq", "region", "year", "basis"}
    group = {
        p["name"]: p["required"] for p in described["paths"]["/api/group"]["get"]["parameters"]
    }
    assert group["currency"] is True and group["rate_date"] is False


def test_a_missing_required_parameter_is_400_as_the_command_says(demo_db, served):
    expected = cli(demo_db, "query", "group", "--as-of", "2025-12-31")
    assert expected.exit_code == 2
    reply = served.request("/api/group?as_of=2025-12-31")
    assert reply.status == 400
    assert reply.json() == {"error": "Missing option '--currency'."}
    assert "Missing option '--currency'." in expected.stderr


@pytest.mark.slow
def test_schemathesis_finds_no_server_error_and_no_response_outside_the_schema(served, tmp_path):
    program = Path(sys.executable).with_name("schemathesis")
    program = str(program) if program.exists() else shutil.which("schemathesis")
    if program is None:
        pytest.fail("schemathesis is not installed (it is in the test extra)")
    checks = (
        "not_a_server_error,response_schema_conformance,status_code_conformance,"
        "content_type_conformance,unsupported_method"
    )
    result = subprocess.run(
        [
            program,
            "run",
            f"{served.url}api/openapi.json",
            "--checks",
            checks,
            "--max-examples",
            "15",
            "--workers",
            "1",
            "--generation-deterministic",
        ],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stdout[-4000:]
    assert " passed" in result.stdout


def test_serve_stops_cleanly_on_sigint_as_on_sigterm(demo_db):
    with serving(demo_db) as server:
        assert server.request("/api/budget").status == 200
        server.process.send_signal(signal.SIGINT)
        assert server.process.wait(30) == 0
        assert server.process.stdout.read().strip() == "stopped"
    with serving(demo_db) as server:
        server.process.send_signal(signal.SIGTERM)
        assert server.process.wait(30) == 0


def test_listening_on_every_address_warns_that_there_is_no_login(demo_db):
    with serving(demo_db, "--host", "0.0.0.0") as server:
        assert server.url.startswith("http://0.0.0.0:")
        port = server.url.rsplit(":", 1)[1].rstrip("/")
        server.url = f"http://127.0.0.1:{port}/"
        assert server.request("/api/budget").status == 200
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(30)
    warning = "".join(server.stderr_lines)
    assert warning.startswith("warning: the web view has no login")
    assert "reverse proxy with authentication" in warning


def test_a_port_in_use_is_one_error_line(demo_db):
    with serving(demo_db) as server:
        port = server.url.rsplit(":", 1)[1].rstrip("/")
        result = cli(demo_db, "serve", "--port", port)
    assert result.exit_code == 1
    (line,) = result.stderr.splitlines()
    assert line.startswith(f"error: cannot listen on 127.0.0.1:{port}:")


def test_the_command_lines_start_up_does_not_load_the_web_libraries(tmp_path):
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from commands import main\n"
        f"db = {str(tmp_path / 'l.db')!r}\n"
        "assert CliRunner().invoke(main, ['--db', db, 'init']).exit_code == 0\n"
        "result = CliRunner().invoke(main, ['--db', db, 'query', 'budget', '--format', 'json'])\n"
        "assert result.exit_code == 0, result.output\n"
        "loaded = {'starlette', 'jinja2', 'uvicorn', 'ledger.web'} & set(sys.modules)\n"
        "assert not loaded, loaded\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_without_the_web_extra_serve_says_what_to_install(tmp_path):
    script = (
        "import sys; sys.modules['uvicorn'] = None; from commands import main; "
        f"main(['--db', {str(tmp_path / 'l.db')!r}, 'serve'])"
    )
    cli(f"sqlite:///{tmp_path / 'l.db'}", "init")
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 1
    assert result.stderr == (
        "error: ledger serve needs the web extra (uvicorn is missing): "
        "pip install 'procurement-ledger[web]'\n"
    )
