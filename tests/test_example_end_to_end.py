"""POLICY.md's worked example end to end: import through the commands, close every month, quarter
and the year through the period-end job, export, and compare every value with the expected files."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import pytest
import time_machine
from django.core.management import call_command

MONTHS = [f"2026-{m:02d}" for m in range(1, 13)]
QUARTERS = [f"2026-Q{q}" for q in range(1, 5)]

# The close_period command waits for its job, which starts when the request commits: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)


def _read_csv(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"))))


def _export(*args) -> list[dict]:
    out = io.StringIO()
    call_command(*args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


@pytest.fixture
def closed_example_year(example_dir):
    # The example's year 2026 can only close once it has ended (POLICY.md §3).
    with time_machine.travel(date(2027, 1, 15), tick=False):
        yield _close_example_year(example_dir)


def _close_example_year(example_dir):
    call_command("import_employees", str(example_dir / "employees.csv"), stdout=io.StringIO())
    call_command("import_metrics", str(example_dir / "metrics.csv"), stdout=io.StringIO(), stderr=io.StringIO())
    for code in [*MONTHS, *QUARTERS, "2026"]:
        call_command("close_period", code, stdout=io.StringIO(), stderr=io.StringIO())
    return example_dir


def test_every_exported_scorecard_value_matches_the_example(closed_example_year):
    expected = _read_csv(closed_example_year / "expected_scorecards.csv")
    exported = {}
    for code in [*MONTHS, *QUARTERS, "2026"]:
        for row in _export("export_scorecards", code):
            exported[(row["employee_no"], row["period"])] = row
    assert len(exported) == len(expected)
    mismatches = [
        (
            row["employee_no"],
            row["period"],
            column,
            value,
            exported[(row["employee_no"], row["period"])].get(column, ""),
        )
        for row in expected
        for column, value in row.items()
        if exported[(row["employee_no"], row["period"])].get(column, "") != value
    ]
    assert mismatches == []


def test_bonus_list_matches_the_example(closed_example_year):
    expected = _read_csv(closed_example_year / "expected_bonus_list_2026.csv")
    exported = _export("export_bonus_list", "2026")
    assert {row["employee_no"]: row for row in exported} == {row["employee_no"]: row for row in expected}
    header = (
        (closed_example_year / "expected_bonus_list_2026.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    )
    out = io.StringIO()
    call_command("export_bonus_list", "2026", stdout=out)
    assert out.getvalue().splitlines()[0].split(",") == header


def test_xlsx_export_holds_the_same_cells(closed_example_year, tmp_path):
    from openpyxl import load_workbook

    target = tmp_path / "bonus.xlsx"
    call_command("export_bonus_list", "2026", "--format", "xlsx", "-o", str(target))
    sheet = load_workbook(target, read_only=True).active
    # Money and scores are numeric cells there; shown with 2 places they are the CSV's text.
    rows = [[_as_text(cell) for cell in row] for row in sheet.iter_rows(values_only=True)]
    expected = list(
        csv.reader(io.StringIO((closed_example_year / "expected_bonus_list_2026.csv").read_text(encoding="utf-8")))
    )
    assert sorted(rows[1:]) == sorted(expected[1:])
    assert rows[0] == expected[0]


def _as_text(cell) -> str:
    if cell is None:
        return ""
    if isinstance(cell, int | float):
        return f"{Decimal(str(cell)):.2f}"
    return cell
