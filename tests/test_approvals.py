"""Four eyes (SPEC §3.1, §4.9, §5): a block-mode refusal names the event's event_id and digest;
an approval of that exact version, by someone else, lets the same event through — through the
CLI, the library and an import; nothing else is lifted."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import uuid

import pytest
from given import given_world, place, set_policy

from ledger.errors import BatchError, UnapprovedError, ValidationError
from ledger.events import NewEvent, approval_event_id
from ledger.store import Store

REFUSAL = re.compile(
    r"; event_id (?P<event_id>[0-9a-f-]{36}), digest (?P<digest>[0-9a-f]{64}): to record it "
    r"anyway, someone else runs `ledger approve (?P=event_id) --digest (?P=digest) --reason "
    r"TEXT`, then the same command again with `--event-id (?P=event_id)`$"
)
PO_2 = [
    "order",
    "place",
    "PO-2",
    "--region",
    "CN",
    "--supplier",
    "nvidia",
    "--sku",
    "h20",
    "--quantity",
    "10",
    "--unit-price",
    "10000",
    "--currency",
    "USD",
    "--effective",
    "2025-02-01",
]
# PO-2 as stored: every field given (no defaults for an order), amounts as plain strings.
PO_2_PAYLOAD = {
    "order": "PO-2",
    "region": "CN",
    "supplier": "nvidia",
    "sku": "h20",
    "quantity": 10,
    "unit_price": "10000",
    "currency": "USD",
}


def by_hand(type_: str, effective: str, payload: dict) -> str:
    """digest(E) as an auditor computes it from SPEC §4.9 and §2.2."""
    text = json.dumps(
        {"type": type_, "effective": effective, "payload": payload},
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    return hashlib.sha256(text.encode()).hexdigest()


PO_2_DIGEST = by_hand("order.placed", "2025-02-01", PO_2_PAYLOAD)


@pytest.fixture
def capped(ledger):
    """CN: budget 1,000,000 CNY for 2025, a block-mode budget cap, PO-1 (300,000) placed: PO-2
    (720,000) would leave it 20,000 over."""
    given_world(ledger)
    set_policy(ledger, "budget_cap", "CN", "2025-01-01", mode="block")
    place(ledger, "PO-1", "huawei", 10, "30000", "CNY", "2025-01-10")
    return ledger


def count(ledger) -> int:
    return ledger.verify().count


def approve(run, actor: str, event_id: str, digest: str, *extra: str):
    return run(
        "--actor", actor, "approve", event_id, "--digest", digest, "--reason", "agreed", *extra
    )


def test_a_refusal_names_the_event_id_the_digest_and_both_commands(capped, run):
    before = count(capped)

    result = run("--actor", "alice", *PO_2)

    assert result.exit_code == 1
    line = result.stderr.rstrip("\n")
    assert "\n" not in line
    assert line.startswith("error: order: blocked by budget_cap (block) of region CN for 2025")
    found = REFUSAL.search(line)
    assert found, line
    uuid.UUID(found["event_id"])  # generated, since the command gave none
    assert found["digest"] == PO_2_DIGEST
    assert count(capped) == before

    # Sent again with the id the refusal named, it is the same event: the same line.
    again = run("--actor", "alice", *PO_2, "--event-id", found["event_id"])
    assert again.exit_code == 1
    assert again.stderr == result.stderr


def test_an_approval_by_someone_else_lets_the_same_event_through(capped, run):
    refused = REFUSAL.search(run("--actor", "alice", *PO_2).stderr)
    event_id, digest = refused["event_id"], refused["digest"]

    approved = approve(run, "bob", event_id, digest, "--approval", "A-1")
    assert approved.exit_code == 0, approved.stderr
    # The approver cannot be the one who records it.
    by_bob = run("--actor", "bob", *PO_2, "--event-id", event_id)
    assert by_bob.exit_code == 1
    assert by_bob.stderr.rstrip().endswith(
        "approval A-1 is by bob, who records this event too; someone other than the approver "
        "must record it (four eyes)"
    )
    accepted = run("--actor", "alice", *PO_2, "--event-id", event_id)

    assert accepted.exit_code == 0, accepted.stderr
    seq = int(accepted.stdout)
    (event,) = capped.log(types=("order.placed",), document="PO-2")
    assert (event.seq, event.event_id, event.actor) == (seq, event_id, "alice")
    # The approval's own envelope id is made from its approval id (SPEC §5).
    (approval,) = capped.log(types=("approval.granted",))
    assert approval.event_id == str(uuid.uuid5(uuid.NAMESPACE_URL, "ledger:approval:A-1"))
    assert approval.payload == {"approval": "A-1", "event_id": event_id, "digest": digest}
    assert (approval.actor, approval.reason) == ("bob", "agreed")
    # Recording the same approval again adds nothing; the approved event again neither.
    assert approve(run, "bob", event_id, digest, "--approval", "A-1").exit_code == 0
    assert run("--actor", "alice", *PO_2, "--event-id", event_id).stdout == f"{seq}\n"
    assert count(capped) == seq


def test_an_approval_recorded_before_the_first_attempt_counts(capped, run):
    event_id = str(uuid.uuid4())
    assert approve(run, "bob", event_id, PO_2_DIGEST).exit_code == 0

    result = run("--actor", "alice", *PO_2, "--event-id", event_id)

    assert result.exit_code == 0, result.stderr
    # Without --approval the id is made from the event's.
    assert [row["approval"] for row in capped.approvals()] == [f"A-{event_id}"]


def test_an_approval_by_the_same_actor_does_not_lift_the_refusal(capped, run):
    event_id = str(uuid.uuid4())
    assert approve(run, "alice", event_id, PO_2_DIGEST, "--approval", "A-1").exit_code == 0

    result = run("--actor", "alice", *PO_2, "--event-id", event_id)

    assert result.exit_code == 1
    assert "approval A-1 is by alice, who records this event too" in result.stderr
    assert capped.log(types=("order.placed",), document="PO-2") == []


def test_an_approval_of_another_version_does_not_lift_a_changed_event(capped, run):
    event_id = str(uuid.uuid4())
    seq = int(approve(run, "bob", event_id, PO_2_DIGEST, "--approval", "A-1").stdout)
    changed = [*PO_2[:10], "11", *PO_2[11:]]  # quantity 11: another digest

    result = run("--actor", "alice", *changed, "--event-id", event_id)

    assert result.exit_code == 1
    other = by_hand("order.placed", "2025-02-01", {**PO_2_PAYLOAD, "quantity": 11})
    assert f"event_id {event_id}, digest {other}: approval A-1 names this event_id" in (
        result.stderr
    )
    assert f"for another version of the event (digest {PO_2_DIGEST})" in result.stderr
    # A second approval for the same event_id is refused: the changed event needs a new id.
    second = approve(run, "bob", event_id, other, "--approval", "A-2")
    assert second.exit_code == 1
    assert second.stderr == (
        f"error: event_id: event {event_id} is already approved by approval A-1 (seq {seq}); "
        "an event has at most one approval\n"
    )


def test_a_second_approval_for_the_same_event_is_refused(capped, run):
    event_id = str(uuid.uuid4())
    first = approve(run, "bob", event_id, PO_2_DIGEST, "--approval", "A-1")
    seq = int(first.stdout)

    second = approve(run, "carol", event_id, PO_2_DIGEST, "--approval", "A-2")

    assert second.exit_code == 1
    assert second.stderr == (
        f"error: event_id: event {event_id} is already approved by approval A-1 (seq {seq}); "
        "an event has at most one approval\n"
    )
    assert [row["approval"] for row in capped.approvals()] == ["A-1"]


def test_an_approval_id_is_new(capped, run):
    assert approve(run, "bob", str(uuid.uuid4()), PO_2_DIGEST, "--approval", "A-1").exit_code == 0
    other = str(uuid.uuid4())

    # Under its own envelope id (else it is the same approval with another payload).
    result = approve(
        run, "bob", other, PO_2_DIGEST, "--approval", "A-1", "--event-id", str(uuid.uuid4())
    )

    assert result.exit_code == 1
    assert result.stderr == "error: approval: approval 'A-1' is already recorded\n"


def test_an_approval_for_an_event_already_in_the_log_is_refused(capped, run):
    (po_1,) = capped.log(types=("order.placed",))
    digest = by_hand(
        "order.placed",
        "2025-01-10",
        {
            "order": "PO-1",
            "region": "CN",
            "supplier": "huawei",
            "sku": "ascend-910b",
            "quantity": 10,
            "unit_price": "30000",
            "currency": "CNY",
        },
    )
    before = count(capped)

    result = approve(run, "bob", po_1.event_id, digest)

    assert result.exit_code == 1
    assert result.stderr == (
        f"error: event_id: event {po_1.event_id} is already recorded (seq {po_1.seq}); an "
        "approval comes before the event it approves\n"
    )
    assert count(capped) == before


def test_an_approval_needs_a_reason(capped, run):
    event_id = str(uuid.uuid4())
    usage = run("--actor", "bob", "approve", event_id, "--digest", PO_2_DIGEST)
    assert usage.exit_code == 2
    assert "--reason" in usage.stderr
    with pytest.raises(ValidationError, match="an approval needs a reason") as caught:
        capped.approve(event_id, PO_2_DIGEST, reason="  ", actor="bob")
    assert caught.value.field == "reason"
    malformed = run("approve", event_id, "--digest", "ABC", "--reason", "x")
    assert malformed.exit_code == 2
    assert capped.approvals() == []


def test_closed_books_still_refuse_an_approved_event(capped, run):
    event_id = str(uuid.uuid4())
    assert approve(run, "bob", event_id, PO_2_DIGEST).exit_code == 0
    capped.record(
        "period.closed", {"region": "CN", "through": "2025-03-31"}, effective="2025-04-01"
    )

    result = run("--actor", "alice", *PO_2, "--event-id", event_id)

    assert result.exit_code == 1
    assert "closed through 2025-03-31" in result.stderr
    assert "ledger period reopen" in result.stderr
    assert "approve" not in result.stderr


def test_an_approval_lifts_only_a_block_mode_refusal(capped):
    """Not the references: an approved order of an unknown supplier is still refused."""
    event_id = str(uuid.uuid4())
    payload = {**PO_2_PAYLOAD, "supplier": "nobody"}
    capped.approve(
        event_id, by_hand("order.placed", "2025-02-01", payload), reason="ok", actor="bob"
    )
    with pytest.raises(ValidationError, match="supplier 'nobody' is not registered"):
        capped.record(
            "order.placed", payload, effective="2025-02-01", actor="alice", event_id=event_id
        )


def test_the_library_refusal_carries_event_id_and_digest(capped):
    event = NewEvent.create("order.placed", "2025-02-01", PO_2_PAYLOAD, actor="alice")
    assert capped.digest(event) == PO_2_DIGEST
    with pytest.raises(UnapprovedError) as caught:
        capped.append(event)
    assert caught.value.digest == PO_2_DIGEST
    assert caught.value.field == "order"
    uuid.UUID(caught.value.event_id)


# -- import ---------------------------------------------------------------------------------------


def write_jsonl(path, records) -> str:
    path.write_text("".join(json.dumps(record) + "\n" for record in records), encoding="utf-8")
    return str(path)


def po_2_line(event_id: str | None, actor: str = "alice") -> dict:
    line = {"type": "order.placed", "effective": "2025-02-01", "actor": actor, **PO_2_PAYLOAD}
    if event_id:
        line["event_id"] = event_id
    return line


def test_an_approval_earlier_in_the_same_file_lets_its_event_through(capped, run, tmp_path):
    event_id = str(uuid.uuid4())
    file = write_jsonl(
        tmp_path / "approved.jsonl",
        [
            {
                "type": "approval.granted",
                "effective": "2025-02-01",
                "actor": "bob",
                "reason": "price agreed",
                "approval": "A-1",
                "event_id": event_id,  # in this line: the approved event's id
                "digest": PO_2_DIGEST,
            },
            po_2_line(event_id),
        ],
    )

    result = run("import", file)

    assert result.exit_code == 0, result.stderr
    (approval,) = capped.log(types=("approval.granted",))
    assert approval.event_id == approval_event_id("A-1")
    assert approval.payload["event_id"] == event_id
    (order,) = capped.log(types=("order.placed",), document="PO-2")
    assert order.event_id == event_id
    # The file again adds nothing.
    assert run("import", file).exit_code == 0
    assert count(capped) == order.seq


def test_a_blocked_import_line_names_its_event_id_digest_and_the_commands(capped, tmp_path):
    file = write_jsonl(tmp_path / "blocked.jsonl", [po_2_line(None)])
    before = count(capped)

    with pytest.raises(BatchError) as caught:
        capped.import_file(file)

    (problem,) = caught.value.problems
    assert problem.line == 1
    found = re.search(
        r"; event_id ([0-9a-f-]{36}), digest ([0-9a-f]{64}): to record it anyway, someone else "
        r"runs `ledger approve \1 --digest \2 --reason TEXT`, then import the line again with "
        r"`event_id` \1$",
        problem.message,
    )
    assert found, problem.message
    assert found[2] == PO_2_DIGEST
    assert count(capped) == before


def test_an_approval_after_its_event_in_the_file_is_too_late(capped, tmp_path):
    event_id = str(uuid.uuid4())
    approval = {
        "type": "approval.granted",
        "effective": "2025-02-01",
        "actor": "bob",
        "reason": "late",
        "approval": "A-1",
        "event_id": event_id,
        "digest": PO_2_DIGEST,
    }
    file = write_jsonl(tmp_path / "late.jsonl", [po_2_line(event_id), approval])

    with pytest.raises(BatchError) as caught:
        capped.import_file(file)

    assert [problem.line for problem in caught.value.problems] == [1]
    assert capped.approvals() == []


# -- approval list --------------------------------------------------------------------------------


def test_approval_list_shows_every_approval_and_the_seq_that_used_it(capped, run):
    used, unused = str(uuid.uuid4()), str(uuid.uuid4())
    first = int(approve(run, "bob", used, PO_2_DIGEST, "--approval", "A-1").stdout)
    second = int(approve(run, "=carol", unused, PO_2_DIGEST, "--approval", "A-2").stdout)
    seq = int(run("--actor", "alice", *PO_2, "--event-id", used).stdout)

    result = run("approval", "list", "--as-of", "2000-01-01", "--format", "csv")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "approval,event_id,digest,approved_by,recorded_at,reason,used_seq"
    )
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    events = {event.seq: event for event in capped.log()}
    assert rows == [
        {
            "approval": "A-1",
            "event_id": used,
            "digest": PO_2_DIGEST,
            "approved_by": "bob",
            "recorded_at": events[first].recorded_at,
            "reason": "agreed",
            "used_seq": str(seq),
        },
        {
            "approval": "A-2",
            "event_id": unused,
            "digest": PO_2_DIGEST,
            "approved_by": "'=carol",  # the formula guard
            "recorded_at": events[second].recorded_at,
            "reason": "agreed",
            "used_seq": "",
        },
    ]
    # Knowledge limits apply: before the event, A-1 was not used yet; before A-2, it is unknown.
    limited = run("approval", "list", "--upto-seq", str(first), "--format", "json")
    assert [(row["approval"], row["used_seq"]) for row in json.loads(limited.stdout)] == [
        ("A-1", None)
    ]


# -- verify --deep --------------------------------------------------------------------------------


def test_verify_deep_accepts_an_approved_event_and_names_an_unapproved_one(capped, run):
    event_id = str(uuid.uuid4())
    approve(run, "bob", event_id, PO_2_DIGEST)
    assert run("--actor", "alice", *PO_2, "--event-id", event_id).exit_code == 0
    assert run("verify", "--deep").exit_code == 0

    # A writer who bypasses the rules appends an order the cap refuses, with no approval.
    rogue = NewEvent.create(
        "order.placed",
        "2025-02-02",
        {**PO_2_PAYLOAD, "order": "PO-3"},
        actor="mallory",
        event_id=str(uuid.uuid4()),
    )
    with Store(capped.engine, None).appending() as appender:
        seq = appender.append(rogue).seq

    result = run("verify", "--deep")

    assert result.exit_code == 1
    digest = by_hand("order.placed", "2025-02-02", {**PO_2_PAYLOAD, "order": "PO-3"})
    assert f"seq {seq}: order: blocked by budget_cap" in result.stderr
    assert (
        f"event_id {rogue.event_id}, digest {digest}: no approval by someone else lifts it"
        in result.stderr
    )


# -- compliance and the report --------------------------------------------------------------------


def test_compliance_still_shows_the_violation_with_the_approval_in_its_detail(capped, run):
    event_id = str(uuid.uuid4())
    approval_seq = int(approve(run, "bob", event_id, PO_2_DIGEST, "--approval", "A-1").stdout)
    assert run("--actor", "alice", *PO_2, "--event-id", event_id).exit_code == 0
    # A restriction (warn mode) on nvidia from before PO-2: a row whose subject is PO-2.
    set_policy(capped, "restricted_supplier", "CN", "2025-01-01", supplier="nvidia")

    result = run("compliance", "--as-of", "2025-02-15", "--format", "csv")

    rows = {
        (row["policy"], row["subject"]): row for row in csv.DictReader(io.StringIO(result.stdout))
    }
    cap = rows["budget_cap", "2025"]
    assert cap["status"] == "violation"
    assert cap["detail"].endswith(f"; approved by bob, approval A-1, seq {approval_seq}")
    restricted = rows["restricted_supplier", "PO-2"]
    assert restricted["status"] == "violation"
    assert restricted["detail"].endswith(f"; approved by bob, approval A-1, seq {approval_seq}")
    # Before the approved event (as of its date, or known before it), no note.
    before = run("compliance", "--as-of", "2025-01-31", "--format", "csv")
    assert "approved by" not in before.stdout
    limited = run("compliance", "--as-of", "2025-02-15", "--upto-seq", str(approval_seq))
    assert "approved by" not in limited.stdout


def test_the_report_compliance_table_shows_the_approval(capped, run, tmp_path):
    pytest.importorskip("matplotlib")
    event_id = str(uuid.uuid4())
    approval_seq = int(approve(run, "bob", event_id, PO_2_DIGEST, "--approval", "A-1").stdout)
    assert run("--actor", "alice", *PO_2, "--event-id", event_id).exit_code == 0
    page = tmp_path / "report.html"

    result = run("report", "--as-of", "2025-02-15", "-o", str(page))

    assert result.exit_code == 0, result.stderr
    table = page.read_text(encoding="utf-8").split('<table class="compliance"', 1)[1]
    table = table.split("</table>", 1)[0]
    assert f"approved by bob, approval A-1, seq {approval_seq}" in table


def test_a_csv_import_carries_an_approval_line_before_its_event(capped, run, tmp_path):
    event_id = str(uuid.uuid4())
    columns = [
        "event_id",
        "type",
        "effective",
        "actor",
        "reason",
        "approval",
        "digest",
        *PO_2_PAYLOAD,
    ]
    rows = [
        {
            "event_id": event_id,
            "type": "approval.granted",
            "effective": "2025-02-01",
            "actor": "bob",
            "reason": "agreed",
            "approval": "A-1",
            "digest": PO_2_DIGEST,
        },
        {**po_2_line(event_id), "quantity": "10"},
    ]
    path = tmp_path / "approved.csv"
    with open(path, "w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, columns)
        writer.writeheader()
        writer.writerows(rows)

    result = run("import", str(path))

    assert result.exit_code == 0, result.stderr
    assert [row["used_seq"] for row in capped.approvals()] == [count(capped)]


def test_the_library_gives_an_approval_its_envelope_id_from_the_approval_id(capped):
    event_id = str(uuid.uuid4())
    appended = capped.record(
        "approval.granted",
        {"approval": "A-7", "event_id": event_id, "digest": PO_2_DIGEST},
        actor="bob",
        reason="agreed",
    )
    assert appended.event_id == approval_event_id("A-7")
