"""HR in the browser: metric imports (refused and accepted, as import jobs), a month-end close, reward approvals,
the bonus list download, and the console on a phone."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.db.models import Sum

from appraisals.models import MetricValue, Period, Scorecard
from closing.models import CloseJob
from rewards.models import RewardSuggestion
from rewards.services import rewards_decide
from tests.browser.helpers import PHONE, has_no_horizontal_scroll, log_in, wider_than_screen
from tests.builders import close_period, employee, hr_user, small_org

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PENDING = RewardSuggestion.Status.PENDING
APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED


@pytest.fixture
def hr():
    """The HR user the tests log in as: hr1."""
    return hr_user("hr1")


def close(code: str) -> None:
    job = close_period(code)
    job.refresh_from_db()
    assert job.status == CloseJob.Status.DONE, job.message


def upload_metrics(page, text: str, name: str = "metrics.csv") -> None:
    page.locator("#id_metrics-file").set_input_files(
        files=[{"name": name, "mimeType": "text/csv", "buffer": text.encode("utf-8")}]
    )
    page.get_by_role("button", name="Import Metrics").click()
    page.wait_for_load_state()


def test_hr_sees_the_bad_row_of_a_metrics_file_and_nothing_is_imported(tab, hr):
    employee("R1")
    before = MetricValue.objects.count()
    log_in(tab, "hr1", next_url="/hr/imports/")

    upload_metrics(
        tab,
        "employee_no,period,metric,value\n"
        "R1,2026-01,sales_actual,1000\n"
        "R1,2026-01,csat,9\n"
        "R1,2026-01,sales_target,900\n",
    )

    assert re.search(r"/hr/imports/\d+/$", tab.url)  # the import job's page
    errors = tab.locator("section[aria-labelledby=import-errors-title]")
    assert "metrics.csv: 1 bad row — nothing was imported." in errors.locator("h2").inner_text()
    cells = errors.locator("tbody tr").first.locator("td").all_inner_texts()
    assert [cell.strip() for cell in cells[:2]] == ["3", "value"]  # csat 9 is the file's line 3
    assert "above the maximum 5" in cells[2]
    assert errors.locator("tbody tr").count() == 1
    assert MetricValue.objects.count() == before


def test_hr_imports_a_clean_metrics_file(tab, hr):
    rep = employee("R1")
    log_in(tab, "hr1", next_url="/hr/imports/")

    upload_metrics(
        tab,
        "employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\nR1,2026-01,sales_target,900\nR1,2026-01,csat,4.5\n",
    )

    # The upload became an import job; in-process Celery ran it as the request committed.
    assert re.search(r"/hr/imports/\d+/$", tab.url)
    assert (
        tab.locator("#import-summary").inner_text().strip()
        == "metrics.csv: 3 rows OK — 3 created, 0 updated (read as UTF-8)"
    )
    assert dict(MetricValue.objects.filter(employee=rep, period__code="2026-01").values_list("metric_id", "value")) == {
        "sales_actual": Decimal("1000"),
        "sales_target": Decimal("900"),
        "csat": Decimal("4.5"),
    }


def test_hr_closes_a_month_from_the_periods_page(tab, hr):
    small_org(months=("2026-01",), csat="4.2")
    log_in(tab, "hr1", next_url="/hr/periods/")

    row = tab.locator("tbody tr").filter(has=tab.get_by_role("link", name="2026-01", exact=True))
    row.get_by_text("Close…").click()
    row.get_by_role("button", name="Yes, close 2026-01").click()
    tab.wait_for_url("**/hr/jobs/*/")

    progress = tab.locator("#close-progress")
    assert progress.get_attribute("aria-valuenow") == "100"
    assert progress.inner_text().strip() == "100%"
    assert tab.locator("#close-status-label").inner_text().strip() == "done"
    summary = tab.locator("#close-summary").inner_text()
    assert summary.startswith("2026-01 is closed: 4 scorecards")
    closed = Period.objects.get(code="2026-01")
    assert closed.status == Period.Status.CLOSED
    assert closed.closed_by == hr
    assert Scorecard.objects.filter(period=closed).count() == 4
    assert CloseJob.objects.get(period=closed).status == CloseJob.Status.DONE


def test_hr_approves_selected_rewards(tab, hr):
    org = small_org(months=("2026-01",), csat="4.2")
    close("2026-01")
    commissions = {
        s.employee.employee_no: s
        for s in RewardSuggestion.objects.filter(period__code="2026-01", code="commission").select_related("employee")
    }
    assert set(commissions) == {"R1", "R2"}
    others = set(RewardSuggestion.objects.exclude(code="commission").values_list("pk", flat=True))
    log_in(tab, "hr1", next_url="/hr/rewards/")

    tab.locator("#id_period").select_option("2026-01")
    tab.locator("#id_status").select_option(PENDING)
    tab.get_by_role("button", name="Filter").click()
    tab.wait_for_url("**status=pending**")
    for suggestion in commissions.values():
        tab.locator(f"#pick-{suggestion.pk}").check()
    tab.get_by_role("button", name="Approve selected").click()
    tab.wait_for_load_state()
    # First what it changes: how many, and how much per reward kind.
    assert "This decides 2 pending rewards:" in tab.locator("main").inner_text()
    total = sum((s.amount for s in commissions.values()), Decimal("0"))
    assert f"{total:,.2f}" in tab.locator("table").inner_text()
    tab.get_by_role("button", name="Yes, approve 2 rewards").click()
    tab.wait_for_load_state()

    assert tab.get_by_role("alert").first.inner_text().strip() == "2 rewards approved."
    for suggestion in commissions.values():
        suggestion.refresh_from_db()
        assert suggestion.status == APPROVED
        assert suggestion.decided_by == hr
    # What was not ticked is still pending; the filtered list (pending) no longer offers the approved ones.
    assert set(RewardSuggestion.objects.filter(pk__in=others).values_list("status", flat=True)) <= {PENDING}
    assert tab.locator(f"#pick-{commissions['R1'].pk}").count() == 0
    assert org["R1"].reward_suggestions.filter(status=APPROVED).count() == 1


def test_hr_downloads_the_bonus_list_csv(tab, hr):
    org = small_org(months=("2026-01", "2026-02"), csat="4.2")
    close("2026-01")
    close("2026-02")
    r1 = org["R1"]
    rejected = RewardSuggestion.objects.get(employee=r1, period__code="2026-02", code="commission")
    rewards_decide(suggestion_ids=[rejected.pk], decision=REJECTED, user=hr, reason="booked twice")
    paid = RewardSuggestion.objects.filter(employee=r1, period__year=2026, period__status=Period.Status.CLOSED)
    cash_total = paid.exclude(status=REJECTED).aggregate(total=Sum("amount"))["total"]
    assert cash_total and cash_total != paid.aggregate(total=Sum("amount"))["total"]
    log_in(tab, "hr1", next_url="/hr/bonus/2026/")

    with tab.expect_download() as download_info:
        tab.get_by_role("link", name="Download CSV").click()
    download = download_info.value

    assert download.suggested_filename == "bonus_list_2026_provisional.csv"  # the year is not closed
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    rows = {row["employee_no"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"M1", "S1", "R1", "R2"}
    assert Decimal(rows["R1"]["cash_total"]) == cash_total
    assert rows["R1"]["approval_status"] == "mixed"  # one pending, one rejected
    on_screen = tab.locator("#bonus-R1 td").nth(8).inner_text().strip()
    assert on_screen == f"{cash_total:,.2f}"


@pytest.mark.parametrize(
    "url",
    [
        "/hr/",
        "/hr/imports/",
        "/hr/periods/",
        "/hr/rewards/",
        "/hr/bonus/2026/",
        "/team/?period=2026-01",
    ],
)
def test_hr_pages_fit_a_phone_screen_without_horizontal_scrolling(new_page, hr, url):
    small_org(months=("2026-01",), csat="4.2")
    close("2026-01")
    page = new_page(viewport=PHONE)
    log_in(page, "hr1")

    response = page.goto(url)

    assert response.status == 200
    assert has_no_horizontal_scroll(page), wider_than_screen(page)
