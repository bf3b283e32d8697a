"""Exports whose chain holds but whose events are not valid: what someone who can compute hashes
could hand to `ledger restore` or `ledger verify --export`. Each case changes one row of a valid
export (`ledger export events`) and recomputes every hash from there on, so that the links and
hashes verify and only the event itself is wrong.

    python tests/invalid_exports.py events.csv OUT_FOLDER    # one CSV per case in OUT_FOLDER
"""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from ledger.chain import EXPORT_COLUMNS, GENESIS_HASH, chain_hash, guard, unguard

Row = dict[str, str]


def _payload(change: Callable[[dict], None]) -> Callable[[Row], None]:
    def apply(row: Row) -> None:
        document = json.loads(row["payload"])
        change(document)
        row["payload"] = json.dumps(
            document, sort_keys=True, separators=(",", ":"), ensure_ascii=False
        )

    return apply


def _set(**fields):
    return _payload(lambda document: document.update(fields))


def _cell(name: str, value: str) -> Callable[[Row], None]:
    def apply(row: Row) -> None:
        row[name] = value

    return apply


def _future(row: Row) -> None:
    row["recorded_at"] = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _before_previous(row: Row, previous: Row) -> None:
    moment = datetime.strptime(previous["recorded_at"], "%Y-%m-%dT%H:%M:%S.%fZ")
    row["recorded_at"] = (moment - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


# case → (which row: the first of this type, how it is changed, whether only a replay can tell:
# verify --export checks the chain and the envelope's formats, not the payload's rules).
CASES: dict[str, tuple[str, Callable, bool]] = {
    "effective-2025-02-30": ("order.placed", _cell("effective", "2025-02-30"), False),
    "unknown-type": ("order.placed", _cell("type", "order.teleported"), False),
    "quantity-minus-5": ("order.placed", _set(quantity=-5), True),
    "quantity-5.5": ("order.placed", _set(quantity=5.5), True),
    "unknown-region": ("order.placed", _set(region="XX"), True),
    "event-id-not-a-uuid": ("order.placed", _cell("event_id", "not-a-uuid"), False),
    "recorded-at-in-the-future": ("order.placed", _future, False),
    "recorded-at-decreasing": ("order.placed", _before_previous, False),
    "recorded-at-no-microseconds": (
        "order.placed",
        lambda row: row.update(recorded_at=row["recorded_at"][:19] + "Z"),
        False,
    ),
    "amend-an-order-never-placed": ("order.amended", _set(order="PO-NEVER"), True),
    "unknown-payload-field": ("order.placed", _set(extra_field="x"), True),
}


def read_rows(path: Path) -> list[Row]:
    with open(path, newline="", encoding="utf-8-sig") as stream:
        rows = list(csv.DictReader(stream))
    for row in rows:
        row["actor"], row["reason"] = unguard(row["actor"]), unguard(row["reason"])
    return rows


def rechain(rows: list[Row]) -> None:
    previous = GENESIS_HASH
    for row in rows:
        row["prev_hash"] = previous
        row["hash"] = previous = chain_hash(
            previous,
            int(row["seq"]),
            row["event_id"],
            row["type"],
            row["effective"],
            row["recorded_at"],
            row["actor"],
            row["reason"] or None,
            row["payload"],
        )


def write_rows(path: Path, rows: list[Row]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as stream:
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(EXPORT_COLUMNS)
        for row in rows:
            cells = {**row, "actor": guard(row["actor"]), "reason": guard(row["reason"])}
            writer.writerow([cells[name] for name in EXPORT_COLUMNS])


def make_case(valid: Path, case: str, out: Path) -> int:
    """Write the case to `out`; returns the seq of the row changed."""
    event_type, change, _ = CASES[case]
    rows = read_rows(valid)
    index = next(i for i, row in enumerate(rows) if row["type"] == event_type)
    if change is _before_previous:
        change(rows[index], rows[index - 1])
    else:
        change(rows[index])
    rechain(rows)
    write_rows(out, rows)
    return int(rows[index]["seq"])


def make_all(valid: Path, folder: Path) -> dict[str, tuple[Path, int]]:
    folder.mkdir(parents=True, exist_ok=True)
    made = {}
    for case in CASES:
        out = folder / f"{case}.csv"
        made[case] = (out, make_case(valid, case, out))
    return made


if __name__ == "__main__":
    for case, (path, seq) in make_all(Path(sys.argv[1]), Path(sys.argv[2])).items():
        print(f"{case}: seq {seq}: {path}")
