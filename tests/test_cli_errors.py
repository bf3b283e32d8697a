"""The `ledger` command's surface (SPEC §5): exit statuses, one `error:` line per problem and never
a traceback, the seq on stdout, the actor, `ledger log` filters, the CSV formula guard, and
`ledger rebuild --check`."""

from __future__ import annotations

import csv
import getpass
import io
import json

import pytest
from given import OPEN_CN, OPEN_MY, PLACE_PO_1, REGISTER_DCPROV, REGISTER_HUAWEI, SIGN_L_1

# The worked example with its own PO-2 (from huawei, in USD), without nvidia.
GIVEN = [
    OPEN_CN,
    OPEN_MY,
    REGISTER_HUAWEI,
    REGISTER_DCPROV,
    ("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01"),
    PLACE_PO_1,
    (
        "order", "place", "PO-2", "--region", "CN", "--supplier", "huawei", "--sku", "ascend-910c",
        "--quantity", "4", "--unit-price", "1000", "--currency", "USD", "--effective", "2025-02-01",
    ),
    ("order", "amend", "PO-2", "--quantity", "5", "--effective", "2025-03-01"),
    SIGN_L_1,
    ("lease", "terminate", "L-1", "--fee", "10000", "--effective", "2025-12-01"),
]  # fmt: skip
PLACE_PO_9 = (
    "order",
    "place",
    "PO-9",
    "--region",
    "CN",
    "--supplier",
    "huawei",
    "--sku",
    "x",
    "--quantity",
    "1",
    "--unit-price",
    "1",
    "--currency",
    "CNY",
    "--effective",
    "2025-01-10",
)


def given_the_world(run) -> None:
    for args in GIVEN:
        result = run(*args)
        assert result.exit_code == 0, (args, result.stderr)


def one_error_line(result) -> str:
    assert "Traceback" not in result.stdout + result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    return lines[0]


def rows(result) -> list[dict[str, str]]:
    assert result.exit_code == 0, result.stderr
    return list(csv.DictReader(io.StringIO(result.stdout)))


class TestUsageErrors:
    @pytest.mark.parametrize(
        ("args", "named"),
        [
            (("fx", "set", "USD", "CNY", "7.2", "--effective", "2025-13-01"), "--effective"),
            (("fx", "set", "USD", "CNY", "7.2", "--effective", "yesterday"), "--effective"),
            (("fx", "set", "USD", "CNY", "seven"), "RATE"),
            (("fx", "set", "USD", "CNY", "NaN"), "RATE"),
            (("budget", "revise", "CN", "twenty-five", "1"), "YEAR"),
            (PLACE_PO_9[:-4] + ("--quantity", "ten") + PLACE_PO_9[-4:], "--quantity"),
            (("fx", "set", "USD", "CNY", "7.2", "--event-id", "42"), "--event-id"),
            (("fx", "set", "USD", "CNY", "7.2", "--colour", "red"), "--colour"),
            (("region", "open", "EU", "--name", "Europe", "--country", "DE"), "--currency"),
            (("fx", "set", "USD", "CNY"), "RATE"),
            (("order", "amend", "PO-1"), "--quantity"),
            (
                ("lease", "review", "L-1", "--owner", "o", "--operator", "p", "--outcome", "maybe"),
                "--outcome",
            ),
            (("log", "--from", "2025-02-30"), "--from"),
            (("query", "budget", "--as-of", "2025-1-1"), "--as-of"),
            (
                ("query", "budget", "--known-at", "2025-06-01T00:00:00Z", "--upto-seq", "3"),
                "--upto-seq",
            ),
            (("export", "events", "--upto-seq", "-1"), "--upto-seq"),
            (("frobnicate",), "frobnicate"),
        ],
    )
    def test_a_usage_error_exits_2_with_one_line(self, run, args, named):
        result = run(*args)

        assert result.exit_code == 2
        assert named in one_error_line(result)
        assert result.stdout == ""


class TestRejectedEvents:
    @pytest.mark.parametrize(
        ("args", "field"),
        [
            (
                (
                    "region",
                    "open",
                    "EU",
                    "--name",
                    "Europe",
                    "--country",
                    "DE",
                    "--currency",
                    "eur",
                ),
                "currency",
            ),
            (
                (
                    "region",
                    "open",
                    "EU",
                    "--name",
                    "Europe",
                    "--country",
                    "Germany",
                    "--currency",
                    "EUR",
                ),
                "country",
            ),
            (
                (
                    "region",
                    "open",
                    "EU!",
                    "--name",
                    "Europe",
                    "--country",
                    "DE",
                    "--currency",
                    "EUR",
                ),
                "region",
            ),
            (
                (
                    "region",
                    "open",
                    "CN",
                    "--name",
                    "China again",
                    "--country",
                    "CN",
                    "--currency",
                    "CNY",
                ),
                "region",
            ),
            (PLACE_PO_9[:-4] + ("--quantity", "0") + PLACE_PO_9[-4:], "quantity"),
            (
                (
                    "order",
                    "place",
                    "PO-9",
                    "--region",
                    "EU",
                    "--supplier",
                    "huawei",
                    "--sku",
                    "x",
                    "--quantity",
                    "1",
                    "--unit-price",
                    "1",
                    "--currency",
                    "CNY",
                    "--effective",
                    "2025-01-10",
                ),
                "region",
            ),
            (
                (
                    "order",
                    "place",
                    "PO-9",
                    "--region",
                    "CN",
                    "--supplier",
                    "huawei",
                    "--sku",
                    "x",
                    "--quantity",
                    "1",
                    "--unit-price",
                    "1",
                    "--currency",
                    "CNY",
                    "--effective",
                    "2024-12-31",
                ),
                "region",
            ),
            (
                (
                    "order",
                    "place",
                    "PO-9",
                    "--region",
                    "CN",
                    "--supplier",
                    "huawei",
                    "--sku",
                    "x",
                    "--quantity",
                    "1",
                    "--unit-price",
                    "1",
                    "--currency",
                    "EUR",
                    "--effective",
                    "2025-01-10",
                ),
                "currency",
            ),
            (
                (
                    "order",
                    "place",
                    "PO-1",
                    "--region",
                    "CN",
                    "--supplier",
                    "huawei",
                    "--sku",
                    "x",
                    "--quantity",
                    "1",
                    "--unit-price",
                    "1",
                    "--currency",
                    "CNY",
                    "--effective",
                    "2025-01-10",
                ),
                "order",
            ),
            (
                (
                    "order",
                    "place",
                    "PO-9",
                    "--region",
                    "CN",
                    "--supplier",
                    "huawei",
                    "--sku",
                    "x",
                    "--quantity",
                    "1",
                    "--unit-price",
                    "-1",
                    "--currency",
                    "CNY",
                    "--effective",
                    "2025-01-10",
                ),
                "unit_price",
            ),
            (("fx", "set", "USD", "CNY", "0", "--effective", "2025-01-01"), "rate"),
            (("fx", "set", "USD", "USD", "1", "--effective", "2025-01-01"), "quote"),
            (("budget", "revise", "CN", "2025", "1", "--currency", "USD"), "currency"),
            (("budget", "revise", "CN", "1999", "1"), "year"),
            (("lease", "terminate", "L-9", "--effective", "2025-12-31"), "lease"),
            (("lease", "terminate", "L-1", "--effective", "2025-12-31"), "lease"),
            (("order", "amend", "PO-1", "--quantity", "2", "--effective", "2025-01-09"), "order"),
            (("policy", "set", "min_domestic_share", "--region", "CN"), "threshold"),
            (
                ("policy", "set", "min_domestic_share", "--region", "CN", "--threshold", "1.5"),
                "threshold",
            ),
            (("supplier", "register", "acme", "--name", " ", "--country", "US"), "name"),
        ],
    )
    def test_an_invalid_event_exits_1_with_one_line_naming_the_field(self, run, args, field):
        given_the_world(run)

        result = run(*args)

        assert result.exit_code == 1
        assert one_error_line(result).startswith(f"error: {field}: ")
        assert result.stdout == ""
        assert run("verify").stdout.startswith(f"ok: {len(GIVEN)} events")

    def test_an_empty_actor_is_refused(self, run):
        result = run("--actor", " ", "fx", "set", "USD", "CNY", "7.2")

        assert result.exit_code == 1
        assert one_error_line(result).startswith("error: actor: ")


class TestRecording:
    def test_each_recording_command_prints_the_new_seq_alone(self, run):
        for seq, args in enumerate(GIVEN, start=1):
            result = run(*args)

            assert (result.exit_code, result.stdout, result.stderr) == (0, f"{seq}\n", "")

    def test_the_actor_comes_from_the_option_else_the_environment_else_the_login(
        self, run, monkeypatch
    ):
        run("--actor", "a.chen", "fx", "set", "USD", "CNY", "7.2", "--effective", "2025-01-01")
        run("fx", "set", "USD", "CNY", "7.3", "--effective", "2025-01-02")  # LEDGER_ACTOR=tester
        monkeypatch.delenv("LEDGER_ACTOR")
        run("fx", "set", "USD", "CNY", "7.4", "--effective", "2025-01-03")

        actors = [row["actor"] for row in rows(run("log", "--format", "csv"))]

        assert actors == ["a.chen", "tester", getpass.getuser()]

    def test_the_recorded_at_stamp_and_event_id_are_set_by_the_store(self, run):
        run(
            "fx",
            "set",
            "USD",
            "CNY",
            "7.2",
            "--effective",
            "2025-01-01",
            "--event-id",
            "B1D5E0F2-7C44-4E0B-9D4A-5A0F2A1C0E11",
        )

        (event,) = json.loads(run("log", "--format", "json").stdout)

        assert event["event_id"] == "b1d5e0f2-7c44-4e0b-9d4a-5a0f2a1c0e11"
        assert event["recorded_at"].endswith("Z") and len(event["recorded_at"]) == 27


class TestLog:
    def test_log_filters_by_type(self, run):
        given_the_world(run)

        listed = rows(
            run("log", "--type", "order.placed", "--type", "order.amended", "--format", "csv")
        )

        assert [(row["seq"], row["type"]) for row in listed] == [
            ("6", "order.placed"),
            ("7", "order.placed"),
            ("8", "order.amended"),
        ]

    def test_log_filters_by_effective_date_range(self, run):
        given_the_world(run)

        listed = rows(run("log", "--from", "2025-01-10", "--to", "2025-03-01", "--format", "csv"))

        assert [row["effective"] for row in listed] == ["2025-01-10", "2025-02-01", "2025-03-01"]

    def test_log_filters_by_region_exactly_and_case_sensitively(self, run):
        given_the_world(run)
        run(
            "region",
            "open",
            "cn",
            "--name",
            "lower-case cn",
            "--country",
            "CN",
            "--currency",
            "CNY",
            "--effective",
            "2025-01-01",
        )
        run(
            "region",
            "open",
            "CN2",
            "--name",
            "China 2",
            "--country",
            "CN",
            "--currency",
            "CNY",
            "--effective",
            "2025-01-01",
        )

        listed = rows(run("log", "--region", "CN", "--format", "csv"))
        lower = rows(run("log", "--region", "cn", "--format", "csv"))

        # CN's opening, the USD/CNY rate, its two orders and the amendment of PO-2: the events
        # that touch CN (or name it), never those of CN2 or cn alone.
        assert [row["seq"] for row in listed] == ["1", "5", "6", "7", "8"]
        assert [row["type"] for row in lower] == ["fx.rate_set", "region.opened"]
        assert json.loads(lower[1]["payload"])["name"] == "lower-case cn"

    def test_log_shows_the_history_of_one_document(self, run):
        given_the_world(run)

        order = json.loads(run("log", "--id", "PO-2", "--format", "json").stdout)
        lease = rows(run("log", "--id", "L-1", "--format", "csv"))

        assert [(event["seq"], event["type"]) for event in order] == [
            (7, "order.placed"),
            (8, "order.amended"),
        ]
        assert order[1]["payload"] == {"order": "PO-2", "quantity": 5}
        assert [row["type"] for row in lease] == ["lease.signed", "lease.terminated"]

    def test_log_filters_combine_and_json_has_the_csv_columns(self, run):
        given_the_world(run)

        as_json = json.loads(
            run(
                "log",
                "--region",
                "CN",
                "--type",
                "order.placed",
                "--to",
                "2025-01-31",
                "--format",
                "json",
            ).stdout
        )
        as_csv = rows(
            run(
                "log",
                "--region",
                "CN",
                "--type",
                "order.placed",
                "--to",
                "2025-01-31",
                "--format",
                "csv",
            )
        )

        assert [event["seq"] for event in as_json] == [6]
        assert list(as_json[0]) == list(as_csv[0])
        assert as_json[0]["reason"] is None and as_csv[0]["reason"] == ""

    def test_log_of_an_unknown_region_is_an_error(self, run):
        given_the_world(run)

        result = run("log", "--region", "EU", "--format", "csv")

        assert result.exit_code == 1
        assert one_error_line(result) == "error: unknown region 'EU'; known: CN, MY"


class TestFormulaGuard:
    def test_actor_and_reason_are_guarded_in_csv_but_codes_and_payload_never(self, run, tmp_path):
        run(
            "--actor",
            "=cmd|' /C calc'!A0",
            "region",
            "open",
            "CN",
            "--name",
            '=HYPERLINK("x")',
            "--country",
            "CN",
            "--currency",
            "CNY",
            "--effective",
            "2025-01-01",
            "--reason",
            "+1 for China",
        )
        run(
            "--actor",
            "@ops",
            "supplier",
            "register",
            "huawei",
            "--name",
            "-Huawei",
            "--country",
            "CN",
            "--effective",
            "2025-01-01",
            "--reason",
            "'quoted",
        )
        run(
            "--actor",
            "plain",
            "supplier",
            "register",
            "zte",
            "--name",
            "ZTE",
            "--country",
            "CN",
            "--effective",
            "2025-01-01",
            "--reason",
            "\ttabbed",
        )
        export = tmp_path / "events.csv"
        run("export", "events", "-o", str(export))

        logged = rows(run("log", "--format", "csv"))
        with open(export, newline="", encoding="utf-8") as stream:
            exported = list(csv.DictReader(stream))
        as_json = json.loads(run("log", "--format", "json").stdout)

        for listing in (logged, exported):
            assert [row["actor"] for row in listing] == ["'=cmd|' /C calc'!A0", "'@ops", "plain"]
            assert [row["reason"] for row in listing] == ["'+1 for China", "''quoted", "'\ttabbed"]
            assert json.loads(listing[0]["payload"])["name"] == '=HYPERLINK("x")'
            assert json.loads(listing[1]["payload"])["name"] == "-Huawei"
            assert [row["type"] for row in listing] == [
                "region.opened",
                "supplier.registered",
                "supplier.registered",
            ]
        assert [event["actor"] for event in as_json] == ["=cmd|' /C calc'!A0", "@ops", "plain"]


class TestRebuild:
    def test_rebuild_check_passes_on_a_fresh_ledger(self, run):
        result = run("rebuild", "--check")

        assert result.exit_code == 0, result.stderr
        assert result.stdout.startswith("checked: 0 events")

    def test_rebuild_check_passes_after_recording_and_a_rebuild_changes_no_answer(self, run):
        given_the_world(run)
        budget = run("query", "budget", "--as-of", "2025-12-31", "--format", "csv").stdout

        checked = run("rebuild", "--check")
        rebuilt = run("rebuild")

        assert checked.exit_code == 0 and checked.stdout.startswith(f"checked: {len(GIVEN)} events")
        assert rebuilt.exit_code == 0 and rebuilt.stdout.startswith(f"rebuilt: {len(GIVEN)} events")
        assert run("query", "budget", "--as-of", "2025-12-31", "--format", "csv").stdout == budget


def test_help_works_for_every_command_without_a_database(run):
    from commands import main

    for name, command in main.commands.items():
        result = run(name, "--help")
        assert result.exit_code == 0, name
        assert "Example" in result.stdout or getattr(command, "commands", None), name


def test_every_missing_option_is_named_in_one_line(run):
    result = run("order", "place", "PO-9", "--region", "CN", "--quantity", "1")

    assert result.exit_code == 2
    assert result.stderr == (
        "error: Missing options '--supplier', '--sku', '--unit-price', '--currency'.\n"
    )


def test_one_missing_option_keeps_click_s_own_words(run):
    result = run("supplier", "register", "acme", "--name", "Acme")

    assert result.exit_code == 2
    assert result.stderr == "error: Missing option '--country'.\n"


@pytest.mark.parametrize("written, digits", [("1e5", "100000"), ("2.5E-2", "0.025")])
def test_exponent_notation_is_refused_with_the_digits_to_write(run, written, digits):
    for args in GIVEN:
        run(*args)
    count = len(run("log", "--format", "csv").stdout.splitlines())

    result = run("budget", "revise", "CN", "2025", written, "--effective", "2025-01-01")

    assert result.exit_code == 2
    assert f"{written!r} is in exponent notation; write the number out in digits ({digits})" in (
        result.stderr
    )
    assert len(run("log", "--format", "csv").stdout.splitlines()) == count
