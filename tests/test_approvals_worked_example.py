"""SPEC §6 step 13 through the `ledger` command, on both backends: a payment that the three-way
match refuses in block mode, approved by bob, recorded again by alice under the same event_id;
the same payment by bob refused (the approver cannot be the one who records it)."""

from __future__ import annotations

import csv
import io

from given import P2, given_step_12
from test_approvals import by_hand
from test_spend_worked_example import recorded

U = "0c5e2b7a-91d4-4f3e-8a61-5d2f7b9c3e10"
# P-2 as stored: the payload given, the amount as a plain decimal string.
P2_DIGEST = by_hand(
    "payment.made", "2025-05-06", {"payment": "P-2", "invoice": "INV-2", "amount": "51000"}
)


def test_step_13_four_eyes_on_a_payment_the_match_refuses(run):
    given_step_12(run)

    refused = run("--actor", "alice", *P2, "--event-id", U)

    assert refused.exit_code == 1
    line = refused.stderr.rstrip("\n")
    assert "\n" not in line
    assert line.startswith("error: invoice: blocked by three_way_match (block) of region CN")
    assert "order PO-2 is an exception (billed above the order's price" in line
    assert line.endswith(
        f"; event_id {U}, digest {P2_DIGEST}: to record it anyway, someone else runs "
        f"`ledger approve {U} --digest {P2_DIGEST} --reason TEXT`, then the same command again "
        f"with `--event-id {U}`"
    )

    approval = recorded(
        run, "--actor", "bob", "approve", U, "--digest", P2_DIGEST,
        "--reason", "price increase agreed", "--approval", "A-1",
    )  # fmt: skip
    by_bob = run("--actor", "bob", *P2, "--event-id", U)
    assert by_bob.exit_code == 1
    assert "approval A-1 is by bob, who records this event too" in by_bob.stderr
    seq = recorded(run, "--actor", "alice", *P2, "--event-id", U)

    assert seq == approval + 1
    (listed,) = csv.DictReader(io.StringIO(run("approval", "list").stdout))
    assert (listed["approval"], listed["event_id"], listed["digest"]) == ("A-1", U, P2_DIGEST)
    assert (listed["approved_by"], listed["reason"], listed["used_seq"]) == (
        "bob",
        "price increase agreed",
        str(seq),
    )
    # The violation stays, with the approval in its detail.
    report = csv.DictReader(
        io.StringIO(run("compliance", "--as-of", "2025-05-31", "--format", "csv").stdout)
    )
    (po_2,) = [row for row in report if row["policy"] == "three_way_match"]
    assert (po_2["subject"], po_2["status"]) == ("PO-2", "violation")
    assert po_2["detail"].endswith(f"; approved by bob, approval A-1, seq {approval}")
    # And verify --deep replays it through the same rules.
    deep = run("verify", "--deep")
    assert deep.exit_code == 0, deep.stderr
