"""For any valid event stream and any (as-of, upto-seq) pair, the budget, commitments and shares
from the maintained read models equal those after a rebuild, and equal a naive replay of the
log that applies SPEC §4 literally (tests/streams.py: written plainly, independent of ledger.reads
and ledger.semantics).
The streams also close and reopen regions' books: every event the ledger accepts or refuses is
checked against a literal model of SPEC §3.1 and §4.6 (independent of ledger.semantics)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streams import (
    EXAMPLES,
    LAST_DAY,
    REGIONS,
    YEARS,
    Replay,
    bucket_blocks,  # noqa: F401 (a fixture, used by name)
    days,
    exact,
    month_ends,
    operations,
    questions,
    record_operations,
    record_world,
)

from ledger.app import Knowledge, Ledger

# Long runs (many random streams, several processes): left out of the inner loop.
pytestmark = pytest.mark.slow

# -- the property ---------------------------------------------------------------------------------


def reports(ledger: Ledger, as_of: date, upto_seq: int | None) -> dict[str, list[dict]]:
    knowledge = Knowledge(upto_seq)
    found = {"commitments": ledger.query_commitments(as_of=as_of, knowledge=knowledge)}
    for year in YEARS:
        found[f"budget {year}"] = ledger.query_budget(as_of=as_of, year=year, knowledge=knowledge)
        found[f"spend {year}"] = ledger.query_spend(as_of=as_of, year=year, knowledge=knowledge)
        for basis in ("value", "units"):
            found[f"shares {year} {basis}"] = ledger.query_shares(
                as_of=as_of, year=year, basis=basis, knowledge=knowledge
            )
    return {name: exact(rows) for name, rows in found.items()}


def replayed(events: list, as_of: date, upto_seq: int | None) -> dict[str, list[dict]]:
    replay = Replay(events, as_of, upto_seq)
    expected = {"commitments": replay.commitments()}
    for year in YEARS:
        expected[f"budget {year}"] = replay.budget(year)
        expected[f"spend {year}"] = replay.spend(year)
        for basis in ("value", "units"):
            expected[f"shares {year} {basis}"] = replay.shares(year, basis)
    return {name: exact(rows) for name, rows in expected.items()}


@pytest.mark.usefixtures("bucket_blocks")
def test_read_models_equal_a_rebuild_and_a_naive_replay(databases):
    @settings(
        max_examples=EXAMPLES[databases.backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        operations=st.lists(operations, min_size=15, max_size=45),
        asked=st.lists(questions, min_size=1, max_size=4),
        last_known=st.none() | st.integers(0, 100),
    )
    def check(operations, asked, last_known):
        with databases() as url, Ledger.open(url) as ledger:
            record_world(ledger)
            books = record_operations(ledger, operations)
            events = list(ledger.events())
            closed = {
                row["region"]: row["closed_through"] for row in ledger.periods(as_of=LAST_DAY)
            }
            assert closed == {region: books.closed.get(region) for region in REGIONS}
            asked = [
                (as_of, None if known is None else len(events) * known // 100)
                for as_of, known in [*asked, (LAST_DAY, last_known)]
            ]
            expected = [replayed(events, as_of, upto_seq) for as_of, upto_seq in asked]

            for (as_of, upto_seq), answer in zip(asked, expected, strict=True):
                assert reports(ledger, as_of, upto_seq) == answer
            ledger.rebuild()
            for (as_of, upto_seq), answer in zip(asked, expected, strict=True):
                assert reports(ledger, as_of, upto_seq) == answer

    check()


# -- the report's series --------------------------------------------------------------------------

# Mostly the days events fall on (and the day before), where a step lands on a date or just misses it.
sample_days = st.lists(
    days
    | days.map(lambda day: day - timedelta(days=1))
    | month_ends
    | st.dates(date(2024, 12, 1), date(2027, 12, 31)),
    min_size=1,
    max_size=24,
)


@pytest.mark.usefixtures("bucket_blocks")
def test_series_equals_the_point_queries(databases):
    """Ledger.series (one sweep, used by `ledger report`) gives at every date exactly what
    query_budget and query_shares give for the region at that date, on both bases."""

    @settings(
        max_examples=EXAMPLES[databases.backend],
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(
        operations=st.lists(operations, min_size=15, max_size=45),
        dates=sample_days,
        region=st.sampled_from(sorted(REGIONS)),
        year=st.sampled_from(YEARS),
        known=st.none() | st.integers(0, 100),
    )
    def check(operations, dates, region, year, known):
        with databases() as url, Ledger.open(url) as ledger:
            record_world(ledger)
            record_operations(ledger, operations)
            head, _ = ledger.head()
            knowledge = Knowledge(None if known is None else head * known // 100)
            points = ledger.series(region=region, year=year, dates=dates, knowledge=knowledge)
            assert [point.as_of for point in points] == sorted(set(dates))
            for point in points:
                budget = ledger.query_budget(
                    as_of=point.as_of, year=year, region=region, knowledge=knowledge
                )
                assert exact(point.budget) == exact(budget)
                for basis in ("value", "units"):
                    shares = ledger.query_shares(
                        as_of=point.as_of,
                        year=year,
                        region=region,
                        basis=basis,
                        knowledge=knowledge,
                    )
                    assert exact(point.share_rows(basis)) == exact(shares)

    check()
