"""A real `ledger serve` subprocess for the web view's tests: started on a free port (the server
binds port 0 and prints its URL), stopped with SIGTERM afterwards, which must end it cleanly."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import pytest

START_TIMEOUT_S = 60


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8")

    def json(self):
        return json.loads(self.body)


@dataclass
class Served:
    url: str  # with the trailing slash
    process: subprocess.Popen
    stderr_lines: list[str]

    def request(self, path: str, method: str = "GET") -> Reply:
        request = urllib.request.Request(self.url.rstrip("/") + path, method=method)
        try:
            with urllib.request.urlopen(request, timeout=60) as response:
                return Reply(response.status, dict(response.headers), response.read())
        except urllib.error.HTTPError as error:
            return Reply(error.code, dict(error.headers), error.read())


def _command(db: str, *options: str) -> list[str]:
    return [
        sys.executable,
        "-c",
        "from commands import main; main()",
        "--db",
        db,
        "serve",
        *options,
    ]


@contextmanager
def serving(db: str, *options: str) -> Iterator[Served]:
    """`ledger --db DB serve --port 0 OPTIONS…` until the block ends. A server that does not
    start is a failure, never a skip."""
    env = {**os.environ, "LEDGER_ACTOR": "tester"}
    process = subprocess.Popen(
        _command(db, "--port", "0", *options),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    stderr_lines: list[str] = []
    reader = threading.Thread(
        target=lambda: stderr_lines.extend(process.stderr), daemon=True
    )  # drained all along, so that a chatty server never blocks on a full pipe
    reader.start()
    first: list[str] = []
    waiter = threading.Thread(target=lambda: first.append(process.stdout.readline()), daemon=True)
    waiter.start()
    waiter.join(START_TIMEOUT_S)
    line = first[0] if first else ""
    if " at http://" not in line:
        process.kill()
        process.wait(10)
        reader.join(5)
        pytest.fail(
            f"ledger serve did not start: {line!r} (exit {process.returncode}); "
            f"stderr: {''.join(stderr_lines)[-2000:]}"
        )
    url = line.split(" at ", 1)[1].split()[0]
    served = Served(url, process, stderr_lines)
    try:
        yield served
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)
        reader.join(5)
