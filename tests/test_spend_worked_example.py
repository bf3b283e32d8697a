"""SPEC §6 steps 11, 12 and the spend figures of 14 through the `ledger` command: receipts,
invoices, a three-way match in block mode that holds a payment back, and `query spend`."""

from __future__ import annotations

import csv
import io

from given import P1, P2, R3, REFUSED_P1, given_step_11, given_step_12


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


def recorded(run, *args: str) -> int:
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    return int(result.stdout)


def event_count(run) -> int:
    return len(rows(run("export", "events")))


def test_step_11_two_three_way_match_violations(run):
    given_step_11(run)
    report = rows(run("compliance", "--as-of", "2025-04-30", "--format", "csv"))
    matches = [row for row in report if row["policy"] == "three_way_match"]
    assert [(row["region"], row["subject"], row["status"]) for row in matches] == [
        ("CN", "PO-1", "violation"),
        ("CN", "PO-2", "violation"),
    ]
    po1, po2 = (row["detail"] for row in matches)
    assert "billed for goods not received" in po1 and "8 invoiced, 6 received" in po1
    assert "over-receipt" not in po1 and "above the order's price" not in po1
    assert "billed above the order's price" in po2
    assert "51,000.00 USD" in po2 and "50,500.00 USD" in po2
    assert "not received" not in po2


def test_step_11_before_the_invoices_everything_matches(run):
    given_step_11(run)
    report = rows(run("compliance", "--as-of", "2025-04-15", "--format", "csv"))
    assert [
        (row["subject"], row["status"]) for row in report if row["policy"] == "three_way_match"
    ] == [("invoices", "ok")]


def test_step_11_policy_list_shows_the_tolerance(run):
    given_step_11(run)
    (policy,) = rows(run("policy", "list", "--as-of", "2025-04-30", "--format", "csv"))
    assert policy["policy"] == "three_way_match"
    assert (policy["mode"], policy["tolerance"], policy["since"]) == ("block", "0.01", "2025-04-01")


def test_step_12_the_payment_is_held_back_until_the_missing_receipt(run):
    given_step_11(run)
    before = event_count(run)
    refused = run(*REFUSED_P1)
    assert refused.exit_code == 1
    message = refused.stderr.strip()
    assert len(message.splitlines()) == 1
    assert message.startswith("error: invoice: blocked by three_way_match (block) of region CN")
    assert "payment P-1 of invoice INV-1" in message
    assert "order PO-1 is an exception (billed for goods not received" in message
    assert event_count(run) == before

    recorded(run, *R3)
    recorded(run, *P1)
    (inv1, inv2) = rows(run("invoice", "list", "--as-of", "2025-05-31", "--format", "csv"))
    assert inv1 == {
        "invoice": "INV-1",
        "kind": "order",
        "document": "PO-1",
        "region": "CN",
        "supplier": "huawei",
        "amount": "248000.00",
        "currency": "CNY",
        "paid": "248000.00",
        "status": "paid",
        "effective": "2025-04-20",
        "seq": inv1["seq"],
    }
    assert (inv2["paid"], inv2["status"]) == ("0.00", "unpaid")


def test_step_12_po_2_stays_an_exception_and_its_payment_is_refused(run):
    given_step_12(run)
    refused = run(*P2)
    assert refused.exit_code == 1
    assert "order PO-2 is an exception (billed above the order's price" in refused.stderr
    report = rows(run("compliance", "--as-of", "2025-05-31", "--format", "csv"))
    assert [
        (row["subject"], row["status"]) for row in report if row["policy"] == "three_way_match"
    ] == [("PO-2", "violation")]


SPEND_COLUMNS = (
    "region,year,currency,budget,committed,received,invoiced,paid,open,payable,remaining"
).split(",")


def test_step_14_spend_of_cn(run):
    """Step 14's figures for CN, with P-2 let through by switching the match to warn mode (the
    approval of step 13 and the transfer of step 14 are other commands' business: without the
    transfer, CN's budget is still 1,000,000)."""
    given_step_12(run)
    recorded(
        run, "policy", "set", "three_way_match", "--region", "CN", "--tolerance", "0.01",
        "--mode", "warn", "--effective", "2025-05-06",
    )  # fmt: skip
    recorded(run, *P2)
    result = run("query", "spend", "--as-of", "2025-06-30", "--region", "CN", "--format", "csv")
    assert result.stdout.splitlines()[0] == ",".join(SPEND_COLUMNS)
    (cn,) = rows(result)
    assert cn == {
        "region": "CN",
        "year": "2025",
        "currency": "CNY",
        "budget": "1000000.00",
        "committed": "660000.00",
        "received": "598000.00",
        "invoiced": "605000.00",
        "paid": "605000.00",
        "open": "55000.00",
        "payable": "0.00",
        "remaining": "340000.00",
    }
    commitments = rows(
        run("query", "commitments", "--as-of", "2025-06-30", "--region", "CN", "--format", "csv")
    )
    assert [
        (row["id"], row["committed"], row["received"], row["invoiced"], row["paid"])
        for row in commitments
    ] == [
        ("PO-1", "310000.00", "248000.00", "248000.00", "248000.00"),
        ("PO-2", "350000.00", "350000.00", "357000.00", "357000.00"),
    ]


def test_step_14_spend_with_the_approval_and_the_transfer(run):
    """Steps 13 and 14 of the worked example: the approved payment, the transfer, the spend."""
    given_step_12(run)
    event_id = "6f1c8a52-0d7e-4c39-9a7e-2b4f8e1d3c55"
    refused = run("--actor", "alice", *P2, "--event-id", event_id)
    assert refused.exit_code == 1
    digest = next(word for word in refused.stderr.replace(",", " ").split() if len(word) == 64)
    assert (
        run(
            "--actor", "bob", "approve", event_id, "--digest", digest,
            "--reason", "price increase agreed",
        ).exit_code
        == 0
    )  # fmt: skip
    recorded(run, "--actor", "alice", *P2, "--event-id", event_id)
    recorded(run, "budget", "revise", "MY", "2025", "200000", "--effective", "2025-06-01")
    recorded(run, "budget", "transfer", "CN", "MY", "2025", "70000", "--effective", "2025-06-15")
    (cn,) = rows(
        run("query", "spend", "--as-of", "2025-06-30", "--region", "CN", "--format", "csv")
    )
    assert [cn[name] for name in SPEND_COLUMNS[3:]] == [
        "930000.00", "660000.00", "598000.00", "605000.00", "605000.00", "55000.00", "0.00",
        "270000.00",
    ]  # fmt: skip

    # Step 15: the group in USD, CN at 1/7.0.
    group = run("query", "group", "--as-of", "2025-06-30", "--currency", "USD", "--format", "csv")
    figures = [
        [row[name] for name in ("region", "rate", "budget", "committed", "remaining", "invoiced",
                                "paid")]
        for row in rows(group)
    ]  # fmt: skip
    assert figures == [
        ["CN", "0.142857", "132857.14", "94285.71", "38571.43", "86428.57", "86428.57"],
        ["MY", "1.000000", "210000.00", "0.00", "210000.00", "0.00", "0.00"],
        ["*", "", "342857.14", "94285.71", "248571.43", "86428.57", "86428.57"],
    ]
