"""Before a close HR sees who has no figures, whose sales look unusual, the policy version that
applies, and on request a dry run of the close, beside the last close of the period."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone

from appraisals.models import Scorecard
from closing.checklist import close_checklist, close_dry_run
from closing.reopen import period_reopen
from rewards.models import RewardSuggestion
from tests.builders import close_period, employee, metrics, period, sales, small_org

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


@pytest.fixture
def history():
    """M1 over S1 over R1 (120 % of target) and R2 (90 %) from 2026-06 to 2026-09; R9 with no figures."""
    org = small_org(months=("2026-06", "2026-07", "2026-08", "2026-09"))
    org.r9 = employee("R9", reports_to=org.s1)
    return org


def test_the_checklist_lists_active_people_without_figures(history):
    checklist = close_checklist(ref=period("2026-09").ref, today=TODAY.date())

    # M1, S1 (no monthly figures of their own) and R9
    assert checklist.without_metrics == 3
    assert [p.employee_no for p in checklist.without_metrics_sample] == ["M1", "R9", "S1"]
    assert checklist.version.effective_from.isoformat() == "2000-01-01"


def test_a_month_of_sales_over_three_times_or_under_a_third_of_the_average_before_is_an_outlier(history):
    sales(history.r9, month="2026-06", actual="100000", target="100000")
    sales(history.r9, month="2026-07", actual="110000", target="100000")
    sales(history.r9, month="2026-08", actual="90000", target="100000")
    sales(history.r9, month="2026-09", actual="400000", target="100000")  # × 4 of 100,000
    metrics(history.r2, period="2026-10", sales_actual="20000")  # under a third of 90,000

    september = close_checklist(ref=period("2026-09").ref, today=TODAY.date()).outliers
    october = close_checklist(ref=period("2026-10").ref, today=TODAY.date()).outliers

    assert [(o.employee_no, o.month, o.sales, o.average, o.ratio) for o in september] == [
        ("R9", "2026-09", Decimal("400000"), Decimal("100000.00"), Decimal("4.00"))
    ]
    assert [(o.employee_no, o.month) for o in october] == [("R2", "2026-10")]


@time_machine.travel(TODAY, tick=False)
def test_a_dry_run_computes_what_the_close_would_make_and_writes_nothing(history):
    for month in ("2026-06", "2026-07", "2026-08"):
        close_period(month)

    dry = close_dry_run(period=period("2026-09"))

    assert not Scorecard.objects.filter(period__code="2026-09").exists()
    assert not RewardSuggestion.objects.filter(period__code="2026-09").exists()
    assert (dry.scorecards, dry.no_data) == (4, 1)
    # R1: 120,000 of 100,000 → 2,000 + 4% × 20,000 = 2,800; R2: 2% × 90,000 = 1,800
    assert dry.money["commission"] == Decimal("4600.00") and dry.reward_counts["commission"] == 2
    # the same as the close then makes
    close_period("2026-09")
    closed = Scorecard.objects.filter(period__code="2026-09")
    assert {band: closed.filter(band=band).count() for band in dry.bands} == dry.bands


@time_machine.travel(TODAY, tick=False)
def test_a_dry_run_after_a_reopen_shows_the_difference_with_the_last_close(history):
    for month in ("2026-06", "2026-07", "2026-08", "2026-09"):
        close_period(month)
    period_reopen(code="2026-09", reason="late figures")
    sales(history.r9, month="2026-09", actual="100000", target="100000")

    dry = close_dry_run(period=period("2026-09"))

    changes = {(c.kind, c.key): (c.before, c.now, c.difference) for c in dry.changes}
    assert changes[("scorecards", "")] == ("4", "5", "+1")
    assert changes[("money", "commission")] == ("4600.00", "6600.00", "+2000.00")


@time_machine.travel(TODAY, tick=False)
def test_the_checklist_page_shows_it_all_and_runs_the_dry_run_on_request(history, hr_client):
    for month in ("2026-06", "2026-07", "2026-08"):
        close_period(month)

    page = hr_client.get("/hr/periods/2026-09/checklist/").content.decode()
    assert "2026-09 can close now." in page and "3 active people have no figure in 2026-09" in page
    assert "Run a dry run" in page

    dry = hr_client.get("/hr/periods/2026-09/checklist/?dry_run=1")
    assert "4 scorecards, 1 without data. Nothing was written." in dry.content.decode()
    assert not Scorecard.objects.filter(period__code="2026-09").exists()


@pytest.mark.parametrize("audience", ["rep_client", "supervisor_client", "manager_client"])
def test_only_hr_sees_the_checklist(request, audience):
    assert request.getfixturevalue(audience).get("/hr/periods/2026-09/checklist/").status_code == 403
