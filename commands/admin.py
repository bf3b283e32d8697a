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


@click.command()
@click.pass_obj
def demo(obj):
    """Load the sample 2025 scenario and show budget, shares and compliance at telling dates.

    The scenario (fixtures/demo.jsonl): a buyer with a 40 bn CNY budget for chips bought in China
    and 6.8 bn USD overseas, mostly capacity leased in Malaysia; amendments, a cancelled order,
    a back-dated rate correction, a budget revision, an early lease termination, and policies.
    Loading it again adds nothing (every event has a fixed event_id).

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
    from commands.query import BUDGET_COLUMNS, COMMITMENT_COLUMNS, SHARE_COLUMNS
    from ledger.app import Knowledge
    from ledger.db import describe_url
    from ledger.moving import restore_export
    from ledger.packaged import fixture
    from ledger.redact import hide_password

    ledger = obj.open_ledger(create=True)
    _refuse_a_ledger_of_other_events(ledger, fixture("demo.csv"))
    result = restore_export(fixture("demo.csv"), ledger)
    click.echo(
        f"Loaded the demo scenario into {describe_url(ledger.engine)}: "
        f"{result.copied} events added, {result.already_there} already there.\n"
    )
    correction = ledger.log(types=("fx.rate_set",))
    before_fix = next((e.seq - 1 for e in correction if e.event_id == DEMO_CORRECTION_EVENT), None)

    def show(title: str, rows, columns) -> None:
        click.secho(title, bold=True)
        render(rows, columns, "table", None)
        click.echo()

    mid, end = date(2025, 6, 30), date(2025, 12, 31)
    show("Budget 2025 as of 2025-06-30", ledger.query_budget(as_of=mid), BUDGET_COLUMNS)
    if before_fix:
        show(
            f"The same, as the ledger stood before the back-dated USD/CNY correction "
            f"(--upto-seq {before_fix})",
            ledger.query_budget(as_of=mid, knowledge=Knowledge(before_fix)),
            BUDGET_COLUMNS,
        )
    show(
        "Supplier shares in China, 2025, as of 2025-06-30",
        ledger.query_shares(as_of=mid, region="CN"),
        SHARE_COLUMNS,
    )
    show(
        "Budget 2025 at year end (after the October revision)",
        ledger.query_budget(as_of=end),
        BUDGET_COLUMNS,
    )
    show(
        "Overseas commitments at year end (one lease terminated early)",
        ledger.query_commitments(as_of=end, region="MY"),
        COMMITMENT_COLUMNS,
    )
    show(
        "Compliance on 2025-08-31 (domestic-share guideline at 30%)",
        ledger.compliance(as_of=date(2025, 8, 31)),
        COMPLIANCE_COLUMNS,
    )
    show(
        "Compliance on 2025-09-01 (guideline raised to 50%)",
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
        "Try: ledger query budget --as-of 2025-10-15 --region CN; "
        "ledger compliance --as-of 2025-12-31; ledger log --id MY-L-04; ledger verify"
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
