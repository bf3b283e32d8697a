"""`ledger report`: the one-page HTML report (charts and tables per region, compliance, provenance)."""

from __future__ import annotations

import time

import click

from commands.options import DATE, SEQ, knowledge_options
from commands.query import YEAR
from ledger.redact import hide_password


@click.command()
@click.option("--year", type=YEAR, metavar="Y", help="Budget year [default: the year of --as-of].")
@knowledge_options
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False),
    default="report.html",
    show_default=True,
    help="The HTML file to write.",
)
@click.option(
    "--from-seq",
    type=SEQ,
    metavar="K",
    help="Add a Restatements section: the figures at seq K against those at the limit.",
)
@click.option(
    "--from-close",
    is_flag=True,
    help="Add a Restatements section: each region's figures as reported at its last close.",
)
@click.option(
    "--currency",
    metavar="X",
    help="Add a Group part at the top: the regions side by side in X and their total "
    "(as `ledger query group`).",
)
@click.option(
    "--rate-date",
    type=DATE,
    metavar="DATE",
    help="With --currency: convert at the rates in force on this day [default: the as-of date].",
)
@click.pass_obj
def report(
    obj,
    year,
    as_of,
    known_at,
    upto_seq,
    region,
    output,
    from_seq,
    from_close,
    currency,
    rate_date,
):
    """Write a self-contained HTML report: per region a budget burn-down, supplier shares and the
    spend layers (committed, received, invoiced, paid) over the year (inline SVG charts) with
    their tables; with --currency, a group part at the top with every region in one currency;
    the compliance table (violations first), and the provenance — as-of date, knowledge limit, last seq and its hash, and the command that
    draws the same report again. Opens offline in any browser. Needs the `report` extra
    (pip install 'procurement-ledger[report]').

    \b
    Example:
      ledger report --as-of 2025-12-31 -o report.html
      ledger report --as-of 2025-09-01 --known-at 2025-09-02 --region CN \\
        -o cn.html
      ledger report --as-of 2025-06-30 --region CN --from-close -o restated.html
      ledger report --as-of 2025-12-31 --currency USD --rate-date 2025-06-30 \\
        -o group.html
    """
    from commands.output import written
    from ledger.report import build_report, render_html, require_matplotlib

    if known_at is not None and upto_seq is not None:
        raise click.UsageError("give --known-at or --upto-seq, not both")
    if from_seq is not None and from_close:
        raise click.UsageError("give --from-seq or --from-close, not both")
    if rate_date is not None and currency is None:
        raise click.UsageError("--rate-date needs --currency")
    require_matplotlib()
    started = time.perf_counter()
    ledger = obj.ledger
    ledger.check_region(region)
    obj.knowledge(known_at, upto_seq)  # says so when the limit leaves out every event
    # The database as the provenance's command names it: a plain file path as given, a URL
    # without its password.
    db = (obj.db if "://" not in obj.db else hide_password(obj.db)) if obj.db else "ledger.db"
    built = build_report(
        ledger,
        as_of=as_of,
        year=year,
        region=region,
        known_at=known_at,
        upto_seq=upto_seq,
        db=db,
        output=output,
        from_seq=from_seq,
        from_close=from_close,
        currency=currency,
        rate_date=rate_date,
    )
    with written(output, newline="\n") as stream:  # one -o error and no half-written file
        stream.write(render_html(built))
    regions = len(built.regions)
    click.echo(
        f"wrote {output}: {regions} region{'' if regions == 1 else 's'}, "
        f"{len(built.compliance)} compliance rows, as of {built.provenance.as_of}, "
        f"up to seq {built.provenance.last_seq} "
        f"({time.perf_counter() - started:.1f} s)",
        err=True,
    )


COMMANDS = [report]
