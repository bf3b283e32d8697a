"""Eight processes recording at once — through the library and through the command line —
while two more query and verify: no event is lost or doubled, seq has no gap, the chain and the
read models hold, and no writer sees an error."""

from __future__ import annotations

import textwrap
import time
import uuid
from datetime import date

from harness import assert_log_is_sound, size, spawn

WRITERS = 8
QUERIERS = 2
# These record through the command line (one `ledger` invocation per event), the others through
# the library; the command line opens the database for every event, so it is the slower path.
CLI_WRITERS = (0, 4)
EVENTS_PER_WRITER = size(ci=50, full=1000)
NAMESPACE = uuid.UUID("9a0c8f52-2c3e-4f7a-b1d5-0c0ffee0c0c0")
# Every fourth event of a writer amends one of its orders, the rest place new ones.
AMEND_EVERY = 4

WRITER = textwrap.dedent(
    """
    import sys, uuid
    from ledger.app import Ledger

    url, writer, count, namespace, through = sys.argv[1:6]
    writer, count, namespace = int(writer), int(count), uuid.UUID(namespace)

    def event_id(number):
        return str(uuid.uuid5(namespace, f"{writer}/{number}"))

    def planned(number):
        # (type, payload) of this writer's event `number`; number 0 registers its supplier.
        if number == 0:
            return "supplier.registered", {"supplier": f"s{writer}", "name": f"Supplier {writer}",
                                           "country": "CN" if writer % 2 else "US"}
        if number % 4 == 0:
            return "order.amended", {"order": f"w{writer}-{number - 1}", "quantity": number}
        return "order.placed", {"order": f"w{writer}-{number}", "region": "CN", "supplier": f"s{writer}",
                                "sku": "ascend-910b", "quantity": number, "unit_price": "1000.5",
                                "currency": "CNY" if number % 3 else "USD"}

    def through_cli(books, number):
        from commands import main
        type_, payload = planned(number)
        common = ["--effective", "2025-03-01", "--event-id", event_id(number)]
        if type_ == "supplier.registered":
            args = ["supplier", "register", payload["supplier"], "--name", payload["name"],
                    "--country", payload["country"]]
        elif type_ == "order.amended":
            args = ["order", "amend", payload["order"], "--quantity", str(payload["quantity"])]
        else:
            args = ["order", "place", payload["order"], "--region", "CN", "--supplier", payload["supplier"],
                    "--sku", payload["sku"], "--quantity", str(payload["quantity"]),
                    "--unit-price", payload["unit_price"], "--currency", payload["currency"]]
        code = main.main(["--db", url, "--actor", f"writer-{writer}", *args, *common],
                         prog_name="ledger", standalone_mode=False)
        if code:
            raise SystemExit(f"ledger exited {code} at event {number}")

    def through_library(books, number):
        type_, payload = planned(number)
        books.record(type_, payload, effective="2025-03-01", actor=f"writer-{writer}",
                     event_id=event_id(number))

    record = through_cli if through == "cli" else through_library
    with Ledger.open(url) as books:
        print("ready", flush=True)
        sys.stdin.readline()
        for number in range(count):
            try:
                record(books, number)
            except BaseException as error:
                print(f"error: event {number}: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    print("done", flush=True)
    """
)

QUERIER = textwrap.dedent(
    """
    import sys, os, time
    from datetime import date
    from ledger.app import Ledger

    url, stop = sys.argv[1:3]
    queries = 0
    last_count = 0
    with Ledger.open(url) as books:
        print("ready", flush=True)
        sys.stdin.readline()
        while not os.path.exists(stop):
            try:
                as_of = date(2025, 3, 1)
                books.query_budget(as_of=as_of)
                books.query_commitments(as_of=as_of, region="CN")
                books.query_shares(as_of=as_of, knowledge=books.knowledge(upto_seq=last_count))
                books.compliance(as_of=as_of)
                report = books.verify()
                queries += 5
                if not report.ok:
                    print(f"error: verify: seq {report.broken_seq}: {report.problem}", file=sys.stderr)
                if report.count < last_count:
                    print(f"error: the log shrank from {last_count} to {report.count}", file=sys.stderr)
                last_count = report.count
                time.sleep(0.1)  # a reader's pace, not a busy loop stealing the writers' CPU
            except BaseException as error:
                print(f"error: {type(error).__name__}: {error}", file=sys.stderr, flush=True)
    print(f"done {queries}", flush=True)
    """
)


def event_id(writer: int, number: int) -> str:
    return str(uuid.uuid5(NAMESPACE, f"{writer}/{number}"))


def given_a_region_and_a_rate(ledger) -> int:
    ledger.record(
        "region.opened",
        {"region": "CN", "name": "China", "country": "CN", "currency": "CNY"},
        effective=date(2025, 1, 1),
        actor="setup",
    )
    ledger.record(
        "fx.rate_set",
        {"base": "USD", "quote": "CNY", "rate": "7.2"},
        effective=date(2025, 1, 1),
        actor="setup",
    )
    ledger.record(
        "policy.changed",
        {"policy": "budget_cap", "region": "CN"},
        effective=date(2025, 1, 1),
        actor="setup",
    )
    return 3


def test_eight_writers_and_two_readers_at_once_lose_nothing(ledger, db_url, tmp_path, figures):
    setup = given_a_region_and_a_rate(ledger)
    stop = tmp_path / "stop"
    writers = [
        spawn(
            WRITER,
            db_url,
            writer,
            EVENTS_PER_WRITER,
            NAMESPACE,
            "cli" if writer in CLI_WRITERS else "library",
            cwd=tmp_path,
            stdin=-1,
        )
        for writer in range(WRITERS)
    ]
    queriers = [spawn(QUERIER, db_url, stop, cwd=tmp_path, stdin=-1) for _ in range(QUERIERS)]
    processes = writers + queriers
    started = time.monotonic()
    try:
        for process in processes:
            assert process.stdout.readline().strip() == "ready", process.stderr.read()
        for process in processes:  # release them together
            process.stdin.write("go\n")
            process.stdin.flush()
        written = [process.communicate(timeout=size(300, 3600)) for process in writers]
        elapsed = time.monotonic() - started
        stop.touch()
        queried = [process.communicate(timeout=300) for process in queriers]
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()

    for process, (out, err) in zip(writers, written, strict=True):
        assert (process.returncode, out.splitlines()[-1], err) == (0, "done", "")
    for process, (out, err) in zip(queriers, queried, strict=True):
        assert (process.returncode, err) == (0, "")
        assert out.startswith("done ")
    total = setup + WRITERS * EVENTS_PER_WRITER
    events = list(ledger.events())
    assert [event.seq for event in events] == list(range(1, total + 1))
    assert sorted(event.event_id for event in events[setup:]) == sorted(
        event_id(writer, number) for writer in range(WRITERS) for number in range(EVENTS_PER_WRITER)
    )
    for writer in range(WRITERS):  # each writer's events in the order it recorded them
        mine = [event.event_id for event in events if event.actor == f"writer-{writer}"]
        assert mine == [event_id(writer, number) for number in range(EVENTS_PER_WRITER)]
    assert assert_log_is_sound(db_url) == total
    figures(
        backend="postgres" if db_url.startswith("postgres") else "sqlite",
        writers=WRITERS,
        events_per_writer=EVENTS_PER_WRITER,
        queriers=QUERIERS,
        queries=sum(int(out.split()[1]) for out, _ in queried),
        events=total,
        lost=0,
        errors=0,
        seconds=round(elapsed, 1),
    )
