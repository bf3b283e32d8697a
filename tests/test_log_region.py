"""`ledger log --region R` lists the events that touch R (the closed-books rule of SPEC §4.6),
whatever their type, plus those that name R as their own region (its opening, its periods)."""

from __future__ import annotations

import csv
import io

from given import given_step_10


def logged(run, *args: str) -> list[tuple[str, str]]:
    result = run("log", "--format", "csv", *args)
    assert result.exit_code == 0, result.stderr
    return [(row["type"], row["effective"]) for row in csv.DictReader(io.StringIO(result.stdout))]


def test_log_region_finds_amendments_rates_and_closes_of_the_region(run):
    given_step_10(run)  # amendments of PO-2 (quantity) and PO-1 (price), rates, a close

    assert logged(run, "--region", "CN", "--type", "order.amended") == [
        ("order.amended", "2025-03-01"),
        ("order.amended", "2025-04-01"),
    ]
    assert logged(run, "--region", "MY", "--type", "order.amended") == []
    assert logged(run, "--region", "MY", "--type", "lease.terminated") == [
        ("lease.terminated", "2025-12-01")
    ]
    # Rates touch the regions of their currencies: USD/CNY both, EUR/USD only MY.
    assert logged(run, "--region", "CN", "--type", "fx.rate_set") == [
        ("fx.rate_set", "2025-01-01"),
        ("fx.rate_set", "2025-01-20"),
        ("fx.rate_set", "2025-02-01"),
    ]
    assert len(logged(run, "--region", "MY", "--type", "fx.rate_set")) == 4
    everything = [kind for kind, _ in logged(run, "--region", "CN")]
    assert everything[0] == "region.opened"
    assert {"period.closed", "period.reopened", "order.placed", "budget.revised"} <= set(everything)
    assert "lease.signed" not in everything
    # --limit counts the events listed, not the rows read.
    assert logged(run, "--region", "CN", "--type", "order.amended", "--limit", "1") == [
        ("order.amended", "2025-03-01")
    ]
    # Under a knowledge limit the later events are not known.
    assert logged(run, "--region", "CN", "--type", "order.amended", "--upto-seq", "10") == [
        ("order.amended", "2025-03-01")
    ]
