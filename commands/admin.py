"""Setting up: init (create or upgrade the schema) and demo."""

from __future__ import annotations

import click


@click.command()
@click.pass_obj
def init(obj):
    """Create or upgrade the schema (alembic migrations); safe to repeat.

    \b
    Example:
      ledger --db postgresql+psycopg://postgres@127.0.0.1/ledger init
    """
    from ledger.app import Ledger

    with Ledger.open_for_init(obj.db) as ledger:
        before, after = ledger.init()
    if before == after:
        click.echo(f"schema is up to date (revision {after})")
    else:
        click.echo(f"schema {'created' if before is None else 'upgraded'} at revision {after}")


DEMO_CORRECTION_EVENT = "b09249fc-0f05-5436-9c5e-5adf3d344a9a"  # the back-dated USD/CNY fix


def _refuse_bound_actors(ledger) -> None:
    """The demo's events carry the actors of its story, which bound actors refuse."""
    from ledger.errors import LedgerError
    from ledger.privileges import role_rules

    if role_rules(ledger).actors_bound:
        raise LedgerError(
            "this ledger binds actors to login roles (ledger db bind-actors), and the demo's "
            "events carry the actors of its story; run the demo on a ledger of its own"
        )


@click.command()
@click.pass_obj
def demo(obj):
    """Load the sample 2025 scenario and show its books at telling dates.

    The scenario: a buyer with a 40 bn CNY budget for chips bought in China, 6.8 bn USD
    overseas (mostly capacity leased in Malaysia) and a smaller European region in EUR; orders
    amended and cancelled, goods received, invoices voided and paid, a payment held back by a
    three-way match until the rest of the goods arrived, a back-dated rate correction, budget
    revisions and a transfer, an early lease termination, policies, and China's first half
    closed three times. Its events are recorded through 2025 as the story goes (it is shipped
    as an audit export, fixtures/demo.csv, and loaded as `ledger restore` loads one), so
    `--known-at` shows its books as they stood on a day of that year. Loading it again adds
    nothing.

    \b
    Example:
      ledger demo
      ledger --db /tmp/demo.db demo
    """
    import importlib.util
    import shlex
    from datetime import date

    from commands.compliance import COMPLIANCE_COLUMNS
    from commands.output import render
    from commands.query import (
        BUDGET_COLUMNS,
        COMMITMENT_COLUMNS,
        GROUP_COLUMNS,
        SHARE_COLUMNS,
        SPEND_COLUMNS,
    )
    from ledger.app import Knowledge
    from ledger.dates import parse_known_at
    from ledger.db import describe_url
    from ledger.moving import restore_export
    from ledger.packaged import fixture
    from ledger.redact import hide_password

    ledger = obj.open_ledger(create=True)
    _refuse_bound_actors(ledger)
    _refuse_a_ledger_of_other_events(ledger, fixture("demo.csv"))
    result = restore_export(fixture("demo.csv"), ledger)
    click.echo(
        f"Loaded the demo scenario into {describe_url(ledger.engine)}: "
        f"{result.copied} events added, {result.already_there} already there.\n"
    )

    def show(title: str, rows, columns) -> None:
        click.secho(title, bold=True)
        render(rows, columns, "table", None)
        click.echo()

    mid, end = date(2025, 6, 30), date(2025, 12, 31)
    reported = "2025-07-05"
    show("Budget 2025 as of 2025-06-30", ledger.query_budget(as_of=mid), BUDGET_COLUMNS)
    show(
        f"The same, as the ledger stood on {reported} when the half year was reported "
        f"(--known-at {reported}: before the August rate correction and the November credit "
        "note, both back-dated)",
        ledger.query_budget(
            as_of=mid, knowledge=ledger.knowledge(known_at=parse_known_at(reported))
        ),
        BUDGET_COLUMNS,
    )
    show(
        "Supplier shares in China, 2025, as of 2025-06-30",
        ledger.query_shares(as_of=mid, region="CN"),
        SHARE_COLUMNS,
    )
    show(
        "China on 2025-05-31: an invoice for 30,000 units when 25,000 had arrived holds its "
        "payment back (three-way match, block mode)",
        [
            row
            for row in ledger.compliance(as_of=date(2025, 5, 31), region="CN")
            if row["policy"] == "three_way_match"
        ],
        COMPLIANCE_COLUMNS,
    )
    show(
        "After the promise, as of 2025-06-30: received, invoiced, paid, still to bill (open) "
        "and owed (payable)",
        ledger.query_spend(as_of=mid),
        SPEND_COLUMNS,
    )
    show(
        "Budget 2025 at year end (after the October top-up and a transfer to Malaysia)",
        ledger.query_budget(as_of=end),
        BUDGET_COLUMNS,
    )
    show(
        "The group at year end in USD, at the rates in force on 2025-12-31",
        ledger.query_group(currency="USD", as_of=end),
        GROUP_COLUMNS,
    )
    show(
        "Overseas commitments at year end (one lease terminated early)",
        ledger.query_commitments(as_of=end, region="MY"),
        COMMITMENT_COLUMNS,
    )
    show(
        "Compliance on 2025-09-01 (domestic-share guideline raised from 30% to 50%)",
        ledger.compliance(as_of=date(2025, 9, 1)),
        COMPLIANCE_COLUMNS,
    )
    show(
        "Compliance at year end (one lease review still pending)",
        ledger.compliance(as_of=end),
        COMPLIANCE_COLUMNS,
    )
    first_close = next((event.seq for event in ledger.log(types=("period.closed",))), None)
    if first_close:
        from commands.diff import BUDGET_DIFF_COLUMNS

        show(
            f"China's first half as reported when its books were closed (seq {first_close}) "
            "and as known now, after two restatements",
            ledger.diff_budget(before=Knowledge(first_close), as_of=mid, region="CN"),
            BUDGET_DIFF_COLUMNS,
        )
        click.echo(
            "What changed it: ledger diff events --as-of 2025-06-30 --region CN "
            f"--from-seq {first_close}"
        )
    click.echo(
        "Try: ledger query budget --as-of 2025-12-31 --known-at 2025-10-01; "
        "ledger invoice list --region CN; ledger log --id CN-PO-0006; ledger verify"
    )
    db = "" if obj.db is None else f"--db {shlex.quote(hide_password(obj.db))} "
    needs = (
        ""
        if importlib.util.find_spec("matplotlib")
        else " (first: pip install 'procurement-ledger[report]')"
    )
    click.echo(
        f"See it all on one page (charts, tables, provenance): "
        f"ledger {db}report --as-of 2025-12-31 -o report.html{needs}"
    )


def _refuse_a_ledger_of_other_events(ledger, scenario) -> None:
    """The demo writes only into an empty ledger or its own: its events cannot be deleted from
    a real ledger once added. Its own are those of the scenario file, read, not listed here."""
    import csv

    from ledger.errors import LedgerError

    with open(scenario, newline="", encoding="utf-8") as stream:
        own = {row["event_id"] for row in csv.DictReader(stream)}
    others = ledger.events_other_than(own)
    if others:
        which = "1 event that is" if others == 1 else f"{others} events that are"
        raise LedgerError(
            f"the ledger {ledger.where} holds {which} not the demo's: the demo writes "
            f"only into an empty ledger or its own (try: ledger --db demo.db demo)"
        )


COMMANDS = [init, demo]
