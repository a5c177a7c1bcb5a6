"""The bonus list page and its CSV/XLSX downloads (POLICY.md §7)."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period
from rewards.models import RewardSuggestion
from rewards.selectors import BONUS_LIST_COLUMNS, bonus_list, bonus_list_totals
from tests.builders import Org, default_policy_version, org_from, period, reward, scorecard
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db

APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED

# POLICY.md §7, export_bonus_list, in this order.
POLICY_COLUMNS = [
    *("employee_no", "name", "role", "reports_to", "annual_composite", "annual_band"),
    *("commission_total", "quarterly_bonus_total", "year_end_bonus", "cash_total", "suggestions", "approval_status"),
]


def small_year() -> Org:
    """A manager over a supervisor over two reps, with a closed 2026 and rewards in it."""
    org = org_from(
        {"M1": None, "S1": "M1", "R1": "S1", "R2": "S1"},
        names={"M1": "Manager One", "S1": "Supervisor One", "R1": "=HYPERLINK(1)", "R2": "Rep Two"},
    )
    scorecard(org.m1, period="2026", composite="112.40", band="A")
    scorecard(org.s1, period="2026", composite="99.10", band="B")
    scorecard(org.r1, period="2026", composite="85.00", band="C", development_kpis="R2")
    reward(org.r1, period="2026-01", code="commission", amount="2800.00", status=APPROVED)
    reward(org.r1, period="2026-02", code="commission", amount="1200.50")
    reward(org.r1, period="2026-02", code="flex_time", amount=None)
    reward(org.r2, period="2026-01", code="commission", amount="1000.00", status=REJECTED)
    reward(org.s1, period="2026-Q1", code="quarterly_bonus", amount="7200.00", status=APPROVED)
    reward(org.m1, period="2026", code="year_end_bonus", amount="120000.00")
    reward(org.m1, period="2026", code="promotion_or_raise", amount=None)
    reward(org.r2, period="2025-12", code="commission", amount="999.00")  # another year
    return org


def test_page_rows_are_the_bonus_list_rows(hr_client):
    small_year()

    response = hr_client.get(reverse("hr:bonus_list", args=[2026]))

    assert response.status_code == 200
    shown = [line.row.as_export_row() for line in response.context["lines"]]
    assert shown == [row.as_export_row() for row in bonus_list(year=2026)]
    assert [row[0] for row in shown] == ["M1", "R1", "R2", "S1"]


def test_page_shows_the_figures_of_each_row(hr_client):
    small_year()

    response = hr_client.get(reverse("hr:bonus_list", args=[2026]))

    lines = {line.row.employee_no: line for line in response.context["lines"]}
    assert lines["R1"].row.cash_total == Decimal("4000.50")
    assert lines["R1"].suggestions == ["Flexible working time", "Development plan (flag)"]
    assert lines["R1"].status == "mixed"
    assert lines["R2"].row.cash_total == Decimal("0.00") and lines["R2"].status == "rejected"
    assert lines["M1"].suggestions == ["Promotion or raise"]
    text = response.content.decode()
    assert "4,000.50" in text and "120,000.00" in text and "112.40" in text
    assert "Sales Representative" in text


def test_totals_per_role_and_overall(hr_client):
    small_year()

    response = hr_client.get(reverse("hr:bonus_list", args=[2026]))

    totals = {
        t.role: (t.people, t.commission, t.quarterly_bonus, t.year_end_bonus, t.cash_total)
        for t in response.context["role_totals"]
    }
    assert totals == {
        "Sales Manager": (1, Decimal("0"), Decimal("0"), Decimal("120000.00"), Decimal("120000.00")),
        "Sales Supervisor": (1, Decimal("0"), Decimal("7200.00"), Decimal("0"), Decimal("7200.00")),
        "Sales Representative": (2, Decimal("4000.50"), Decimal("0"), Decimal("0"), Decimal("4000.50")),
    }
    overall = response.context["overall"]
    assert (overall.people, overall.cash_total) == (4, Decimal("131200.50"))
    assert "131,200.50" in response.content.decode()


def test_role_names_follow_the_language(hr_client):
    small_year()
    response = hr_client.get(reverse("hr:bonus_list", args=[2026]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "销售代表" in response.content.decode()
    assert "工作时间的适度弹性" in response.content.decode()


def test_totals_cover_every_page(hr_client):
    reps = EmployeeFactory.create_batch(101)
    closed = period("2026-01", status=Period.Status.CLOSED)
    RewardSuggestion.objects.bulk_create(
        RewardSuggestion(
            employee=rep,
            period=closed,
            code="commission",
            amount=Decimal("10.00"),
            policy_version=default_policy_version(),
            created_at=timezone.now(),
        )
        for rep in reps
    )

    response = hr_client.get(reverse("hr:bonus_list", args=[2026]), {"page": 2})

    assert len(response.context["lines"]) == 1
    assert response.context["overall"].people == 101
    assert response.context["overall"].cash_total == Decimal("1010.00")


def test_year_selector_lists_years_with_periods(hr_client):
    small_year()
    response = hr_client.get(reverse("hr:bonus_list", args=[2026]))
    assert {2025, 2026} <= set(response.context["years"])
    assert reverse("hr:bonus_list", args=[2025]) in response.content.decode()


def test_a_year_out_of_range_is_not_found(hr_client):
    assert hr_client.get(reverse("hr:bonus_list", args=[1066])).status_code == 404
    assert hr_client.get(reverse("hr:bonus_list_download", args=[1066]) + "?format=csv").status_code == 404


def test_page_query_count_does_not_grow_with_headcount(hr_client):
    small_year()
    with CaptureQueriesContext(connection) as few:
        hr_client.get(reverse("hr:bonus_list", args=[2026]))
    for rep in EmployeeFactory.create_batch(15):
        reward(rep, period="2026-03", code="commission", amount="10.00")
        scorecard(rep, period="2026", composite="90.00", band="C")
    with CaptureQueriesContext(connection) as many:
        response = hr_client.get(reverse("hr:bonus_list", args=[2026]))
    assert len(response.context["lines"]) == 19
    assert len(many) == len(few)


def test_csv_download_has_the_policy_columns_and_the_rows(hr_client):
    small_year()

    response = hr_client.get(reverse("hr:bonus_list_download", args=[2026]), {"format": "csv"})

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="bonus_list_2026.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[0] == POLICY_COLUMNS == BONUS_LIST_COLUMNS
    by_no = {row[0]: dict(zip(rows[0], row, strict=True)) for row in rows[1:]}
    assert set(by_no) == {"M1", "S1", "R1", "R2"}
    assert by_no["R1"]["commission_total"] == "4000.50"
    assert by_no["R1"]["cash_total"] == "4000.50"
    assert by_no["R1"]["suggestions"] == "flex_time;development_plan"
    assert by_no["R1"]["approval_status"] == "mixed"
    assert by_no["M1"]["annual_composite"] == "112.40" and by_no["M1"]["annual_band"] == "A"
    assert by_no["M1"]["year_end_bonus"] == "120000.00"
    assert by_no["S1"]["reports_to"] == "M1" and by_no["S1"]["quarterly_bonus_total"] == "7200.00"


def test_csv_download_defuses_a_formula_in_a_name(hr_client):
    small_year()
    response = hr_client.get(reverse("hr:bonus_list_download", args=[2026]), {"format": "csv"})
    rows = {row[0]: row for row in csv.reader(io.StringIO(response.content.decode("utf-8")))}
    assert rows["R1"][1] == "'=HYPERLINK(1)"


def test_xlsx_download_opens_with_the_same_table(hr_client):
    small_year()

    response = hr_client.get(reverse("hr:bonus_list_download", args=[2026]), {"format": "xlsx"})

    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert response["Content-Disposition"] == 'attachment; filename="bonus_list_2026.xlsx"'
    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rows = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert rows[0] == POLICY_COLUMNS
    by_no = {row[0]: row for row in rows[1:]}
    assert by_no["R1"][1] == "'=HYPERLINK(1)"
    # money is a number a spreadsheet can sum and sort, shown with 2 decimals
    assert by_no["R1"][9] == 4000.5
    r1_row = next(index for index, row in enumerate(rows, start=1) if row[0] == "R1")
    cash = sheet.cell(row=r1_row, column=10)
    assert (cash.data_type, cash.number_format) == ("n", "0.00")
    assert sheet.freeze_panes == "A2"
    assert sheet.column_dimensions["B"].width >= len("'=HYPERLINK(1)")


def test_an_unknown_download_format_is_a_bad_request(hr_client):
    response = hr_client.get(reverse("hr:bonus_list_download", args=[2026]), {"format": "pdf"})
    assert response.status_code == 400


@pytest.mark.parametrize("approved_only", [False, True])
def test_aggregate_totals_equal_the_sum_of_the_rows(approved_only):
    small_year()
    for rep in EmployeeFactory.create_batch(3):
        reward(rep, period="2026-03", code="commission", amount="10.10", status=APPROVED)
        reward(rep, period="2026-Q1", code="quarterly_bonus", amount="5.05")

    totals = bonus_list_totals(year=2026, approved_only=approved_only)

    summed: dict[str, list] = {}
    for row in bonus_list(year=2026, approved_only=approved_only):
        line = summed.setdefault(row.role, [0, Decimal("0.00"), Decimal("0.00"), Decimal("0.00"), Decimal("0.00")])
        line[0] += 1
        line[1] += row.totals["commission_total"]
        line[2] += row.totals["quarterly_bonus_total"]
        line[3] += row.totals["year_end_bonus"]
        line[4] += row.cash_total
    shown = {
        role: [t.people, t.commission, t.quarterly_bonus, t.year_end_bonus, t.cash_total] for role, t in totals.items()
    }
    assert shown == summed
    assert sum(t.people for t in totals.values()) == 7
