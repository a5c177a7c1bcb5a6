"""The close rules of POLICY.md §3, in process: ended periods only, months in order, the line,
cancelling, leases and takeover, cascading reopen, refusals that write nothing, commission
without a scorecard."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.apps import apps
from django.test import TestCase
from django.utils import timezone

from appraisals.models import Metric, MetricValue, Period, PeriodEvent, Scorecard
from closing import tasks
from closing.attempt import period_close_chunk, period_close_plan
from closing.exceptions import CloseRefused, CloseSuperseded
from closing.line import (
    MAX_ATTEMPTS,
    CloseStart,
    close_cancel,
    close_due_request,
    close_line_next,
    close_line_stalled,
    period_close_request,
)
from closing.models import CloseJob
from closing.reopen import period_reopen
from closing.rules import first_month_of_history, periods_due
from rewards.models import RewardSuggestion
from rewards.selectors import bonus_list
from roles.models import Role
from tests.builders import close_period, period
from tests.factories import EmployeeFactory, role

pytestmark = pytest.mark.django_db

# The app's time zone is Asia/Shanghai; noon there is safely inside the day.
TODAY = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


def value(employee, code: str, metric: str, amount: str) -> None:
    MetricValue.objects.create(
        employee=employee,
        period=period(code),
        metric=Metric.objects.get(code=metric),
        value=Decimal(amount),
        entered_at="2026-01-31T00:00:00Z",
    )


@pytest.fixture
def reps():
    """S1 over R1 (always band A: 130 % of target, csat 5) and R2 (80 %), from 2026-06 to 2026-11."""
    supervisor = EmployeeFactory(employee_no="S1", role=role(Role.SUPERVISOR))
    r1 = EmployeeFactory(employee_no="R1", reports_to=supervisor)
    r2 = EmployeeFactory(employee_no="R2", reports_to=supervisor)
    for month in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-11"):
        for rep, actual, csat in ((r1, "130000", "5"), (r2, "80000", "4")):
            value(rep, month, "sales_target", "100000")
            value(rep, month, "sales_actual", actual)
            value(rep, month, "csat", csat)
    return supervisor, r1, r2


def row_counts() -> dict[str, int]:
    """Rows in every table of the app's own models."""
    return {
        model._meta.label: model._base_manager.count()
        for app in ("roles", "appraisals", "rewards", "closing")
        for model in apps.get_app_config(app).get_models()
    }


def request(code: str, **kwargs) -> CloseJob:
    """Put a close in the line without running the line."""
    return period_close_request(code=code, today=TODAY.date(), **kwargs)


def run_line() -> None:
    tasks.close_line_run.apply()


# --------------------------------------------------------------------------- ended periods only


@time_machine.travel(TODAY, tick=False)
@pytest.mark.parametrize(
    ("code", "from_date"),
    [
        ("2026-11", "2026-12-01"),  # the month in progress
        ("2026-12", "2027-01-01"),
        ("2027-01", "2027-02-01"),
        ("2030-05", "2030-06-01"),
        ("2026-Q4", "2027-01-01"),
        ("2026", "2027-01-01"),
    ],
)
def test_a_period_that_has_not_ended_is_refused_with_the_date_it_can_close_from(reps, code, from_date):
    for month in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10"):
        close_period(month)
    before = row_counts()

    with pytest.raises(CloseRefused, match=f"{code} has not ended: it can close from {from_date}"):
        close_period(code)

    after = row_counts()
    if Period.objects.filter(code=code).exists():  # an existing period keeps the refusal, nothing else
        assert PeriodEvent.objects.filter(period__code=code, action="close_refused").count() == 1
        after["appraisals.PeriodEvent"] -= 1
    assert after == before


@time_machine.travel(TODAY, tick=False)
def test_a_month_closes_from_the_day_after_its_last_day(reps):
    last_minute = datetime(2026, 6, 30, 23, 59, tzinfo=timezone.get_fixed_timezone(8 * 60))
    with time_machine.travel(last_minute), pytest.raises(CloseRefused, match="it can close from 2026-07-01"):
        close_period("2026-06")
    with time_machine.travel(datetime(2026, 7, 1, 0, 1, tzinfo=timezone.get_fixed_timezone(8 * 60))):
        assert close_period("2026-06").status == CloseJob.Status.DONE


# --------------------------------------------------------------------------- months in order


@time_machine.travel(TODAY, tick=False)
def test_a_month_cannot_close_while_the_month_before_is_open(reps):
    close_period("2026-06")
    close_period("2026-07")

    with pytest.raises(CloseRefused, match="2026-09 cannot close before 2026-08 is closed"):
        close_period("2026-09")
    assert not Scorecard.objects.filter(period__code="2026-09").exists()


@time_machine.travel(TODAY, tick=False)
def test_months_closed_in_order_give_flex_time_for_three_months_of_a_or_b(reps):
    for month in ("2026-06", "2026-07", "2026-08", "2026-09"):
        close_period(month)

    flex = RewardSuggestion.objects.filter(code="flex_time").order_by("period__start")
    # R1 is band A every month: flex time from the third month on; R2 (band C) never.
    assert [(s.employee.employee_no, s.period.code) for s in flex] == [("R1", "2026-08"), ("R1", "2026-09")]


@time_machine.travel(TODAY, tick=False)
def test_the_first_month_of_the_history_closes_without_the_month_before(reps):
    assert first_month_of_history().code == "2026-06"

    assert close_period("2026-06").status == CloseJob.Status.DONE
    assert not Period.objects.filter(code="2026-05").exists()


@time_machine.travel(TODAY, tick=False)
def test_a_month_without_data_in_between_still_closes_in_its_turn(reps):
    MetricValue.objects.filter(period__code="2026-07").delete()
    close_period("2026-06")
    with pytest.raises(CloseRefused, match="2026-08 cannot close before 2026-07 is closed"):
        close_period("2026-08")

    assert close_period("2026-07").status == CloseJob.Status.DONE
    assert not Scorecard.objects.filter(period__code="2026-07").exists()
    assert close_period("2026-08").status == CloseJob.Status.DONE


@time_machine.travel(TODAY, tick=False)
def test_a_quarter_waits_for_its_months_and_a_year_for_its_quarters(reps):
    with pytest.raises(CloseRefused, match="2026-Q3 cannot close before 2026-07, 2026-08, 2026-09 are closed"):
        close_period("2026-Q3")


# --------------------------------------------------------------------------- the line


@time_machine.travel(TODAY, tick=False)
def test_a_month_may_wait_in_line_behind_the_month_before_it(reps):
    close_period("2026-06")
    july = request("2026-07")
    august = request("2026-08")  # July waits ahead of it: accepted
    assert (july.status, august.status) == (CloseJob.Status.QUEUED, CloseJob.Status.QUEUED)

    run_line()

    assert [job.status for job in CloseJob.objects.filter(pk__in=[july.pk, august.pk]).order_by("created_at")] == [
        CloseJob.Status.DONE,
        CloseJob.Status.DONE,
    ]
    assert RewardSuggestion.objects.filter(
        code="flex_time", period__code="2026-08", employee__employee_no="R1"
    ).exists()


@time_machine.travel(TODAY, tick=False)
def test_the_line_runs_first_requested_first(reps):
    close_period("2026-06")
    jobs = [request(code) for code in ("2026-07", "2026-08", "2026-09", "2026-Q3")]

    run_line()

    started = list(
        PeriodEvent.objects.filter(
            action="close_started", period__code__in=["2026-07", "2026-08", "2026-09", "2026-Q3"]
        )
        .order_by("at", "id")
        .values_list("period__code", flat=True)
    )
    assert started == ["2026-07", "2026-08", "2026-09", "2026-Q3"]
    assert {CloseJob.objects.get(pk=job.pk).status for job in jobs} == {CloseJob.Status.DONE}


@time_machine.travel(TODAY, tick=False)
def test_a_period_waits_in_line_once(reps):
    request("2026-06")
    with pytest.raises(CloseRefused, match="2026-06 is already waiting in line to close"):
        request("2026-06")
    assert CloseJob.objects.count() == 1


@time_machine.travel(TODAY, tick=False)
def test_a_waiting_close_can_be_cancelled_and_the_line_skips_it(reps):
    june = request("2026-06")

    close_cancel(job_id=june.pk)
    run_line()

    june.refresh_from_db()
    assert june.status == CloseJob.Status.CANCELLED
    assert Period.objects.get(code="2026-06").status == Period.Status.OPEN
    assert PeriodEvent.objects.filter(period__code="2026-06", action="close_cancelled").exists()
    with pytest.raises(CloseRefused, match="only a close waiting in line"):
        close_cancel(job_id=june.pk)


@time_machine.travel(TODAY, tick=False)
def test_when_a_close_fails_the_closes_behind_it_that_need_it_fail_with_the_reason(reps, monkeypatch):
    _june, july, _august = (request(code) for code in ("2026-06", "2026-07", "2026-08"))

    def broken(**kwargs):
        raise ValueError("boom")

    monkeypatch.setattr("closing.attempt.scorecards_write", broken)
    with pytest.raises(ValueError, match="boom"):
        run_line_propagating()

    statuses = {job.period.code: job.status for job in CloseJob.objects.select_related("period")}
    assert statuses == {"2026-06": "failed", "2026-07": "failed", "2026-08": "failed"}
    july.refresh_from_db()
    assert "2026-07 cannot close before 2026-06 is closed" in july.message
    assert not Period.objects.filter(status__in=["closing", "closed"]).exists()


def run_line_propagating() -> None:
    tasks.close_line_run.apply(throw=True)


@time_machine.travel(TODAY, tick=False)
def test_reopening_is_refused_while_a_close_waits_or_runs(reps):
    close_period("2026-06")
    request("2026-07")
    before = row_counts()

    with pytest.raises(CloseRefused, match=r"a close is running or waiting \(2026-07\)"):
        period_reopen(code="2026-06", reason="late figures")

    assert Period.objects.get(code="2026-06").status == Period.Status.CLOSED
    assert PeriodEvent.objects.filter(period__code="2026-06", action="reopen_refused").count() == 1
    after = row_counts()
    after["appraisals.PeriodEvent"] -= 1
    assert after == before


# --------------------------------------------------------------------------- lease and takeover


def start_and_abandon(code: str, *, levels: int) -> CloseStart:
    """A close whose worker dies after writing ``levels`` tree levels: started, planned, partly written."""
    request(code)
    start = close_line_next(today=TODAY.date())
    plan = period_close_plan(job_id=start.job_id, attempt=start.attempt)
    for number, level in enumerate(plan.levels[:levels]):
        for ids in level:
            period_close_chunk(job_id=start.job_id, attempt=start.attempt, employee_ids=ids, level=number)
    return start


@time_machine.travel(TODAY, tick=False)
def test_a_running_close_holds_the_line_while_its_lease_lasts(reps):
    start_and_abandon("2026-06", levels=1)
    request("2026-07")

    assert close_line_next(today=TODAY.date()) is None
    assert close_line_stalled() is False


@time_machine.travel(TODAY, tick=True)
def test_a_dead_close_is_taken_over_after_its_lease_and_its_partial_results_removed(reps, settings):
    settings.SALES_PERF_CLOSE_LEASE_SECONDS = 60
    dead = start_and_abandon("2026-06", levels=1)
    assert Scorecard.objects.filter(period__code="2026-06").count() == 2  # the reps' level only

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        assert close_line_stalled() is True
        start = close_line_next(today=TODAY.date())
        assert start == CloseStart(dead.job_id, 2)
        assert not Scorecard.objects.filter(period__code="2026-06").exists()
        # the dead worker, should it wake up, can no longer write
        with pytest.raises(CloseSuperseded):
            period_close_chunk(job_id=dead.job_id, attempt=dead.attempt, employee_ids=[1], level=0)

    event = PeriodEvent.objects.get(period__code="2026-06", action="close_taken_over")
    assert event.details["attempt"] == 1


@time_machine.travel(TODAY, tick=True)
def test_the_next_close_of_the_same_period_takes_a_dead_close_over(reps, settings):
    settings.SALES_PERF_CLOSE_LEASE_SECONDS = 60
    dead = start_and_abandon("2026-06", levels=1)
    with pytest.raises(CloseRefused, match="a close of 2026-06 is already running"):
        request("2026-06")

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        job = close_period("2026-06")

    assert (job.pk, job.status, job.attempt) == (dead.job_id, CloseJob.Status.DONE, 2)
    assert Scorecard.objects.filter(period__code="2026-06").count() == 3
    assert CloseJob.objects.count() == 1


@time_machine.travel(TODAY, tick=True)
def test_a_close_that_keeps_dying_is_given_up_and_its_period_reopened(reps, settings):
    settings.SALES_PERF_CLOSE_LEASE_SECONDS = 60
    dead = start_and_abandon("2026-06", levels=1)
    for attempt in range(2, MAX_ATTEMPTS + 1):
        with time_machine.travel(timezone.now() + timedelta(seconds=61 * (attempt - 1))):
            assert close_line_next(today=TODAY.date()) == CloseStart(dead.job_id, attempt)

    with time_machine.travel(timezone.now() + timedelta(seconds=61 * MAX_ATTEMPTS)):
        assert close_line_next(today=TODAY.date()) is None

    job = CloseJob.objects.get(pk=dead.job_id)
    assert job.status == CloseJob.Status.FAILED and "stopped 3 times" in job.message
    assert Period.objects.get(code="2026-06").status == Period.Status.OPEN
    assert not Scorecard.objects.exists()


# --------------------------------------------------------------------------- reopening cascades


@pytest.fixture
def closed_quarter(reps):
    with time_machine.travel(TODAY, tick=False):
        for code in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-Q3", "2026-10"):
            close_period(code)


@pytest.mark.parametrize(
    ("code", "reopened"),
    [
        # a month: every later closed month, and the closed quarter containing one of them
        ("2026-08", ["2026-08", "2026-09", "2026-10", "2026-Q3"]),
        ("2026-10", ["2026-10"]),  # Q4 is not closed
        ("2026-06", ["2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-Q3"]),
        # a quarter: itself (and its year, were it closed)
        ("2026-Q3", ["2026-Q3"]),
    ],
)
def test_reopening_cascades_with_the_one_reason_on_each(closed_quarter, code, reopened):
    result = period_reopen(code=code, reason="late figures")

    assert [p.code for p in result] == reopened
    assert set(Period.objects.filter(status="open").values_list("code", flat=True)) >= set(reopened)
    events = PeriodEvent.objects.filter(action="reopened")
    assert sorted(events.values_list("period__code", flat=True)) == sorted(reopened)
    assert set(events.values_list("reason", flat=True)) == {"late figures"}
    assert not Scorecard.objects.filter(period__code__in=reopened).exists()


def test_reopening_a_quarter_reopens_its_closed_year():
    for code in ("2025-Q4", "2025"):
        period(code, status=Period.Status.CLOSED)

    assert [p.code for p in period_reopen(code="2025-Q4", reason="audit")] == ["2025-Q4", "2025"]


def test_after_a_cascading_reopen_close_everything_due_brings_the_history_back(closed_quarter):
    period_reopen(code="2026-07", reason="late figures")

    with time_machine.travel(TODAY, tick=False):
        jobs, refusals = close_due_request()
        run_line()

    assert refusals == []
    assert [job.period.code for job in jobs] == ["2026-07", "2026-08", "2026-09", "2026-10", "2026-Q3"]
    assert set(Period.objects.values_list("code", "status")) >= {
        (code, "closed") for code in ("2026-06", "2026-07", "2026-08", "2026-09", "2026-10", "2026-Q3")
    }


# --------------------------------------------------------------------------- refusals write nothing


def test_a_refused_reopen_of_an_unknown_period_creates_no_row():
    before = row_counts()

    with pytest.raises(CloseRefused, match="2027-05 is not closed"):
        period_reopen(code="2027-05", reason="typo")

    assert row_counts() == before
    assert not Period.objects.filter(code="2027-05").exists()


def test_a_refused_reopen_without_a_reason_writes_only_its_refusal(closed_quarter):
    before = row_counts()

    with pytest.raises(CloseRefused, match="a reason is required"):
        period_reopen(code="2026-06", reason="  ")

    after = row_counts()
    assert after["appraisals.PeriodEvent"] == before["appraisals.PeriodEvent"] + 1
    after["appraisals.PeriodEvent"] -= 1
    assert after == before


@time_machine.travel(TODAY, tick=False)
def test_a_refused_close_of_an_unknown_period_creates_no_row(reps):
    before = row_counts()

    with pytest.raises(CloseRefused):
        close_period("2026-Q4")
    with pytest.raises(CloseRefused, match="not a period"):
        close_period("2026-13")

    assert row_counts() == before


# --------------------------------------------------------------------------- commission without a scorecard


@time_machine.travel(TODAY, tick=False)
def test_a_rep_with_sales_but_nothing_to_score_is_paid_commission_and_is_on_the_bonus_list():
    rep = EmployeeFactory(employee_no="R9")
    value(rep, "2026-06", "sales_actual", "150000")  # no target, no csat: no KPI can be scored

    job = close_period("2026-06")

    assert job.status == CloseJob.Status.DONE
    assert not Scorecard.objects.filter(employee=rep).exists()
    commission = RewardSuggestion.objects.get(employee=rep, period__code="2026-06")
    assert (commission.code, commission.amount) == ("commission", Decimal("3000.00"))  # 2% × 150,000
    rows = {row.employee_no: row for row in bonus_list(year=2026)}
    assert rows["R9"].totals["commission_total"] == Decimal("3000.00")
    assert rows["R9"].annual_band == ""


# --------------------------------------------------------------------------- due


@time_machine.travel(TODAY, tick=False)
def test_close_period_due_closes_every_ended_open_period_in_order(reps):
    with TestCase.captureOnCommitCallbacks(execute=True):
        jobs, refusals = tasks.close_due_enqueue()
    jobs_closed = [CloseJob.objects.get(pk=job.pk) for job in jobs]

    assert refusals == []
    assert [job.period.code for job in jobs_closed] == [
        "2026-06",
        "2026-07",
        "2026-08",
        "2026-09",
        "2026-10",
        "2026-Q3",
    ]
    assert {job.status for job in jobs_closed} == {CloseJob.Status.DONE}
    # the month in progress and its quarter stay open
    assert Period.objects.get(code="2026-11").status == Period.Status.OPEN
    assert periods_due(today=date(2026, 11, 30)) == []
