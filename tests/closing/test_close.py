"""The period close as a whole: preconditions, all-or-nothing, reruns, retries, reopen, query counts."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext

from appraisals.models import KpiScore, Metric, MetricValue, Period, PeriodEvent, Scorecard
from closing.attempt import period_close_chunk
from closing.exceptions import CloseRefused
from closing.models import CloseJob
from closing.reopen import period_reopen
from rewards import services as reward_services
from rewards.models import RewardSuggestion
from roles.models import Employee, Role
from tests.builders import close_period, employee, period, small_org, user

pytestmark = pytest.mark.django_db


def snapshot(code):
    return sorted(
        Scorecard.objects.filter(period__code=code).values_list("employee__employee_no", "composite", "band")
    ), sorted(RewardSuggestion.objects.filter(period__code=code).values_list("employee__employee_no", "code", "amount"))


def test_close_month_writes_scorecards_rewards_and_history():
    small_org()
    hr = user("hr1")
    job = close_period("2026-01", user=hr)

    job.refresh_from_db()
    assert job.status == CloseJob.Status.DONE
    p = Period.objects.get(code="2026-01")
    assert p.status == Period.Status.CLOSED and p.closed_by == hr
    cards = {s.employee.employee_no: s for s in Scorecard.objects.select_related("employee")}
    # R1: R1 = 1.2 → 120.00, R2 = 4/4 → 100.00; (50×120 + 20×100) / 70 = 114.2857 → 114.29, band A
    assert cards["R1"].composite == Decimal("114.29") and cards["R1"].band == "A"
    # R2: R1 = 0.9 → 90.00; (50×90 + 20×100) / 70 = 92.857 → 92.86, band C
    assert cards["R2"].composite == Decimal("92.86") and cards["R2"].band == "C"
    # S1: S1 = 210,000 / 200,000 = 1.05 → 105.00; S4 = (114.29 + 92.86) / 2 = 103.575 → 103.58
    # (35×105 + 30×103.58) / 65 = 104.3446 → 104.34
    assert cards["S1"].composite == Decimal("104.34")
    s1 = {k.code: k for k in cards["S1"].kpi_scores.all()}
    assert s1["S1"].inputs["sales_actual"] == "210000.0000" or Decimal(s1["S1"].inputs["sales_actual"]) == 210000
    # M1: M1 = 1.05 → 105.00; M2: S1's team hit (210,000 ≥ 200,000) 1/1 = 1 ÷ 0.8 → 125.00;
    # M3a, M3b missing (no data) → (30×105 + 15×125) / 45 = 111.666 → 111.67
    assert cards["M1"].composite == Decimal("111.67")
    assert cards["M1"].missing_kpis == "M3a;M3b"
    commissions = dict(
        RewardSuggestion.objects.filter(code="commission").values_list("employee__employee_no", "amount")
    )
    # R1: 2% × 100,000 + 4% × 20,000 = 2,800.00; R2: 2% × 90,000 = 1,800.00
    assert commissions == {"R1": Decimal("2800.00"), "R2": Decimal("1800.00")}
    actions = list(p.events.order_by("at", "id").values_list("action", flat=True))
    assert actions == ["close_requested", "close_started", "closed"]
    assert p.events.get(action="closed").details["scorecards"] == 4


def test_second_close_of_a_closed_period_is_refused():
    small_org()
    close_period("2026-01")
    before = snapshot("2026-01")
    with pytest.raises(CloseRefused, match="2026-01 is already closed"):
        close_period("2026-01")
    assert snapshot("2026-01") == before
    assert Scorecard.objects.count() == 4


def test_quarter_cannot_close_before_its_months():
    small_org()
    close_period("2026-01")
    with pytest.raises(CloseRefused, match="2026-Q1 cannot close before 2026-02, 2026-03 are closed"):
        close_period("2026-Q1")
    # A refusal writes nothing: the quarter has no row until a close of it is accepted.
    assert not Period.objects.filter(code="2026-Q1").exists()


def test_year_cannot_close_before_its_quarters():
    small_org()
    with pytest.raises(CloseRefused, match="2026 cannot close before 2026-Q1, 2026-Q2, 2026-Q3, 2026-Q4"):
        close_period("2026")


def test_bad_period_code_is_refused():
    with pytest.raises(CloseRefused, match="not a period"):
        close_period("2026-13")


def test_rerunning_a_chunk_does_not_duplicate(monkeypatch):
    """A redelivered chunk message (acks_late) rewrites the chunk from a clean slate."""
    small_org()
    calls = []
    original = period_close_chunk

    def twice(*, job_id, attempt, employee_ids, level):
        calls.append(list(employee_ids))
        original(job_id=job_id, attempt=attempt, employee_ids=employee_ids, level=level)
        return original(job_id=job_id, attempt=attempt, employee_ids=employee_ids, level=level)

    monkeypatch.setattr("closing.attempt.period_close_chunk", twice)
    close_period("2026-01")
    assert len(calls) == 3  # reps, supervisor, manager levels
    assert Scorecard.objects.count() == 4
    assert KpiScore.objects.filter(scorecard__employee__employee_no="R1").count() == 2
    assert RewardSuggestion.objects.filter(code="commission").count() == 2


def test_a_chunk_that_fails_once_is_retried_with_the_same_result(monkeypatch):
    small_org()
    close_period("2026-01")
    expected = snapshot("2026-01")
    period_reopen(code="2026-01", reason="test retry")

    original = reward_services.suggestions_write
    failures = []

    def flaky(*args, **kwargs):
        if not failures:
            failures.append(1)
            raise OperationalError("server closed the connection unexpectedly")
        return original(*args, **kwargs)

    monkeypatch.setattr(reward_services, "suggestions_write", flaky)
    job = close_period("2026-01")
    job.refresh_from_db()
    assert failures == [1]
    assert job.status == CloseJob.Status.DONE
    assert snapshot("2026-01") == expected


def test_a_failing_close_leaves_nothing_half_done(monkeypatch):
    small_org()

    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(reward_services, "suggestions_write", broken)
    with pytest.raises(ValueError, match="boom"):
        close_period("2026-01")
    p = Period.objects.get(code="2026-01")
    assert p.status == Period.Status.OPEN
    assert Scorecard.objects.count() == 0 and KpiScore.objects.count() == 0
    assert RewardSuggestion.objects.count() == 0
    assert CloseJob.objects.get().status == CloseJob.Status.FAILED
    assert "boom" in p.events.get(action="close_failed").reason


def test_closed_period_refuses_metric_changes_through_reopen_only():
    small_org()
    close_period("2026-01")
    with pytest.raises(CloseRefused, match="a reason is required"):
        period_reopen(code="2026-01", reason="  ")
    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED


def test_reopen_keeps_approved_rewards_and_shows_a_changed_amount():
    r1 = small_org().r1
    hr = user("hr2")
    close_period("2026-01")
    approved = RewardSuggestion.objects.get(employee=r1, code="commission")
    RewardSuggestion.objects.filter(pk=approved.pk).update(
        status="approved", decided_by=hr, decided_at="2026-02-02T00:00:00Z"
    )

    period_reopen(code="2026-01", reason="R1's sales were under-reported", user=hr)
    p = Period.objects.get(code="2026-01")
    assert p.status == Period.Status.OPEN
    assert Scorecard.objects.filter(period=p).count() == 0
    # Pending suggestions are discarded, approved ones kept.
    assert list(RewardSuggestion.objects.values_list("employee__employee_no", "status")) == [("R1", "approved")]
    event = p.events.get(action="reopened")
    assert event.reason == "R1's sales were under-reported" and event.actor == hr

    MetricValue.objects.filter(employee=r1, metric_id="sales_actual").update(value=Decimal("160000"))
    close_period("2026-01")
    approved.refresh_from_db()
    # The approved amount stays; the new figure is shown beside it:
    # 2% × 100,000 + 4% × 50,000 + 6% × 10,000 = 2,000 + 2,000 + 600 = 4,600.00
    assert approved.status == "approved" and approved.amount == Decimal("2800.00")
    assert approved.recomputed_amount == Decimal("4600.00")
    assert approved.difference == Decimal("1800.00")
    assert RewardSuggestion.objects.filter(code="commission").count() == 2


def test_reopening_a_month_inside_a_closed_quarter_reopens_the_quarter_and_later_months():
    small_org()
    for code in ("2026-01", "2026-02", "2026-03", "2026-Q1"):
        close_period(code)

    reopened = period_reopen(code="2026-01", reason="fix")

    assert [p.code for p in reopened] == ["2026-01", "2026-02", "2026-03", "2026-Q1"]
    assert set(Period.objects.values_list("status", flat=True)) == {Period.Status.OPEN}
    assert not Scorecard.objects.exists()
    reasons = set(PeriodEvent.objects.filter(action="reopened").values_list("period__code", "reason"))
    assert reasons == {(code, "fix") for code in ("2026-01", "2026-02", "2026-03", "2026-Q1")}


def test_reclose_gives_the_same_numbers():
    small_org()
    close_period("2026-01")
    first = snapshot("2026-01")
    period_reopen(code="2026-01", reason="check")
    close_period("2026-01")
    assert snapshot("2026-01") == first


def test_no_data_employee_gets_no_scorecard_and_is_reported():
    small_org()
    employee("R9")
    job = close_period("2026-01")
    summary = PeriodEvent.objects.get(period=job.period, action="closed").details
    assert summary["no_data"] == 1 and summary["no_data_sample"] == ["R9"]
    assert not Scorecard.objects.filter(employee__employee_no="R9").exists()


def _org(size: int, month_code: str):
    """One manager, supervisors of 10 reps each, every rep with a month of sales."""
    manager = employee(role=Role.MANAGER)
    sales_target = Metric.objects.get(code="sales_target")
    sales_actual = Metric.objects.get(code="sales_actual")
    month = period(month_code)
    values = []
    supervisor = None
    for i in range(size - 1):
        if i % 11 == 0:
            supervisor = employee(role=Role.SUPERVISOR, reports_to=manager)
            continue
        rep = employee(reports_to=supervisor)
        values += [
            MetricValue(employee=rep, period=month, metric=sales_target, value=100000, entered_at="2026-02-01T00:00Z"),
            MetricValue(
                employee=rep, period=month, metric=sales_actual, value=90000 + i, entered_at="2026-02-01T00:00Z"
            ),
        ]
    MetricValue.objects.bulk_create(values)


def _close_queries(month_code: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        close_period(month_code)
    return len(queries)


def test_close_query_count_does_not_grow_with_headcount(settings):
    settings.SALES_PERF_CLOSE_CHUNK_SIZE = 10000
    _org(50, "2026-01")
    small = _close_queries("2026-01")
    assert Scorecard.objects.filter(period__code="2026-01").count() == 50

    RewardSuggestion.objects.all().delete()
    Scorecard.objects.all().delete()
    MetricValue.objects.all().delete()
    Employee.objects.update(reports_to=None)
    Employee.objects.all().delete()
    _org(500, "2026-06")
    large = _close_queries("2026-06")
    assert Scorecard.objects.filter(period__code="2026-06").count() == 500
    # Both orgs have 3 tree levels and fit one chunk per level: the same queries, whatever the headcount.
    assert small == large
    assert large < 130
