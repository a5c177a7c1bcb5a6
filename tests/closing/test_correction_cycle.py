"""A cascading reopen, a correction import and "close everything due" give exactly what a straight
run of the corrected figures gives (the worked example of docs/policy.md, through the commands)."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
import time_machine
from django.core.management import call_command

from appraisals.models import Period
from tests.builders import EXAMPLE_DIR, load_reference_data

# The commands wait for their jobs, which start when the request commits: no test transaction.
pytestmark = pytest.mark.django_db(transaction=True)

AFTER_THE_YEAR = date(2027, 1, 15)  # the example's year 2026 can only close once it has ended
PERIODS = [*(f"2026-{m:02d}" for m in range(1, 13)), *(f"2026-Q{q}" for q in range(1, 5)), "2026"]
# R02's March sales were recorded 50,000 short.
CORRECTION = ("R02", "2026-03", "sales_actual", "130000.0")


def run(*args) -> str:
    out = io.StringIO()
    call_command(*args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


def exports() -> dict[str, list[dict]]:
    """Every period's scorecard export and the year's bonus list, as rows."""
    files = {code: run("export_scorecards", code) for code in PERIODS}
    files["bonus 2026"] = run("export_bonus_list", "2026")
    return {
        name: sorted(csv.DictReader(io.StringIO(text)), key=lambda row: row["employee_no"])
        for name, text in files.items()
    }


def corrected_metrics(folder) -> tuple:
    """The example's metrics.csv with the correction applied, and a file holding the correction alone."""
    header = "employee_no,period,metric,value\n"
    lines = (EXAMPLE_DIR / "metrics.csv").read_text(encoding="utf-8").splitlines(keepends=True)
    key = ",".join(CORRECTION[:3]) + ","
    assert sum(line.startswith(key) for line in lines) == 1
    whole = folder / "metrics-corrected.csv"
    whole.write_text("".join(",".join(CORRECTION) + "\n" if line.startswith(key) else line for line in lines))
    alone = folder / "correction.csv"
    alone.write_text(header + ",".join(CORRECTION) + "\n")
    return whole, alone


def test_reopen_correct_and_close_due_equals_a_straight_run_of_the_corrected_figures(tmp_path):
    whole, alone = corrected_metrics(tmp_path)
    with time_machine.travel(AFTER_THE_YEAR, tick=False):
        run("import_employees", str(EXAMPLE_DIR / "employees.csv"))
        run("import_metrics", str(EXAMPLE_DIR / "metrics.csv"))
        run("close_period", "--due")
        before = exports()

        reopened = run("reopen_period", "2026-03", "--reason", "R02's March sales were recorded 50,000 short")
        assert reopened == (
            "Reopened 2026-03, 2026-04, 2026-05, 2026-06, 2026-07, 2026-08, 2026-09, 2026-10, 2026-11, 2026-12, "
            "2026-Q1, 2026-Q2, 2026-Q3, 2026-Q4, 2026.\n"
        )
        run("import_metrics", str(alone))
        run("close_period", "--due")
        # every 2026 period is closed again (2025-Q4 only holds the market-share baseline: never closed)
        assert dict(Period.objects.exclude(status="closed").values_list("code", "status")) == {"2025-Q4": "open"}
        after_correction = exports()

    call_command("flush", interactive=False, verbosity=0)
    load_reference_data()
    with time_machine.travel(AFTER_THE_YEAR, tick=False):
        run("import_employees", str(EXAMPLE_DIR / "employees.csv"))
        run("import_metrics", str(whole))
        for code in PERIODS:
            run("close_period", code)
        straight = exports()

    assert after_correction == straight
    # and the correction did change something: R02's March and what depends on it
    assert after_correction["2026-03"] != before["2026-03"]
    assert after_correction["bonus 2026"] != before["bonus 2026"]
