"""Benchmark the web view from outside: `ledger serve` as a subprocess, timed over HTTP.

    python benchmarks/web.py --events 1000000               # generate, import, serve, measure
    python benchmarks/web.py --db ledger.db --requests 100  # an existing ledger

Measures GET /api/budget at as-of dates spread over the ledger's years (the median and the worst
of --requests requests, each a new connection, as a dashboard polling it would make) and a region
page with its two charts (GET /region/R). The targets: /api/budget median ≤ 100 ms and worst
≤ 300 ms, a region page ≤ 1 s, on the 1M-event ledger. Prints a markdown table.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEDGER = [sys.executable, "-c", "from commands import main; main()"]


def timed(url: str) -> float:
    start = time.perf_counter()
    with urllib.request.urlopen(url, timeout=120) as response:
        response.read()
        assert response.status == 200, (url, response.status)
    return time.perf_counter() - start


def prepare(events: int, folder: Path) -> str:
    stream = folder / "events.jsonl"
    subprocess.run(
        [sys.executable, str(HERE / "generate.py"), str(events), "-o", str(stream)], check=True
    )
    db = str(folder / "ledger.db")
    subprocess.run([*LEDGER, "--db", db, "init"], check=True, capture_output=True)
    subprocess.run([*LEDGER, "--db", db, "import", str(stream)], check=True, capture_output=True)
    return db


def measure(db: str, requests: int) -> list[tuple[str, float, float, int]]:
    server = subprocess.Popen(
        [*LEDGER, "--db", db, "serve", "--port", "0"], stdout=subprocess.PIPE, text=True
    )
    try:
        line = server.stdout.readline()
        base = line.split(" at ", 1)[1].split()[0].rstrip("/")
        with urllib.request.urlopen(f"{base}/api/events?limit=1", timeout=60) as response:
            json.load(response)
        regions = json.load(urllib.request.urlopen(f"{base}/api/budget?as_of=2030-12-31"))
        years = range(2021, 2027)
        dates = [f"{year}-{month:02d}-15" for year in years for month in (3, 6, 9, 12)]
        timed(f"{base}/api/budget?as_of={dates[0]}")  # warm: the first request opens the pool
        budget = [
            timed(f"{base}/api/budget?as_of={dates[i % len(dates)]}") for i in range(requests)
        ]
        rows = [("GET /api/budget", statistics.median(budget), max(budget), len(budget))]
        if regions:
            code = regions[0]["region"]
            pages = [timed(f"{base}/region/{code}?as_of=2025-06-30") for _ in range(5)]
            rows.append((f"GET /region/{code}", statistics.median(pages), max(pages), len(pages)))
        return rows
    finally:
        server.terminate()
        server.wait(30)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", help="an existing ledger (else one is generated)")
    parser.add_argument("--events", type=int, default=100_000, help="events to generate")
    parser.add_argument("--requests", type=int, default=50, help="requests per measurement")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        db = args.db or prepare(args.events, Path(folder))
        rows = measure(db, args.requests)
    print("| request | median | worst | runs |\n|---|---:|---:|---:|")
    for name, median, worst, runs in rows:
        print(f"| {name} | {median * 1000:.0f} ms | {worst * 1000:.0f} ms | {runs} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
