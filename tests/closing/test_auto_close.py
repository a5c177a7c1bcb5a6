"""The scheduler (django-celery-beat) closes months a set number of days after they end, then
quarters and years once their parts are closed, through the same line as HR; a refused scheduled
close is recorded."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import time_machine

from appraisals.models import Metric, MetricValue, Period, PeriodEvent
from closing import tasks
from closing.exceptions import CloseRefused
from closing.rules import periods_due
from closing.schedule import BEAT_SCHEDULE
from sales_perf.celery import app
from tests.builders import close_period, period
from tests.factories import EmployeeFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def sales():
    rep = EmployeeFactory(employee_no="R1")
    for code in ("2026-01", "2026-02", "2026-03"):
        for metric, value in (("sales_target", "100"), ("sales_actual", "100")):
            MetricValue.objects.create(
                employee=rep,
                period=period(code),
                metric=Metric.objects.get(code=metric),
                value=Decimal(value),
                entered_at="2026-04-01T00:00Z",
            )
    return rep


def test_a_month_is_due_only_the_set_number_of_days_after_it_ends(sales):
    # 2026-01 ends on the 31st; 5 days later is 5 February.
    assert periods_due(today=date(2026, 2, 4), grace_days=5) == []
    assert periods_due(today=date(2026, 2, 5), grace_days=5) == ["2026-01"]


def test_without_grace_a_month_is_due_the_day_after_it_ends(sales):
    assert periods_due(today=date(2026, 1, 31)) == []
    assert periods_due(today=date(2026, 2, 1)) == ["2026-01"]


def test_due_lists_months_oldest_first_then_the_quarter(sales):
    assert periods_due(today=date(2026, 4, 1)) == ["2026-01", "2026-02", "2026-03", "2026-Q1"]
    # with the scheduler's 5 days, March is not yet due on 1 April, so neither is the quarter
    assert periods_due(today=date(2026, 4, 1), grace_days=5) == ["2026-01", "2026-02"]


def test_a_month_without_data_between_two_with_data_is_due_too(sales):
    MetricValue.objects.filter(period__code="2026-02").delete()

    assert periods_due(today=date(2026, 3, 10)) == ["2026-01", "2026-02"]


@time_machine.travel(date(2026, 4, 10), tick=False)
def test_due_closes_run_in_order_through_the_line(sales, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        jobs, refusals = tasks.close_due_enqueue()

    assert refusals == []
    assert [job.period.code for job in jobs] == ["2026-01", "2026-02", "2026-03", "2026-Q1"]
    assert set(Period.objects.filter(code__in=[j.period.code for j in jobs]).values_list("status", flat=True)) == {
        Period.Status.CLOSED
    }
    assert periods_due(today=date(2026, 4, 10)) == []


@time_machine.travel(date(2026, 2, 10), tick=False)
def test_the_beat_task_closes_the_due_month(sales, settings, django_capture_on_commit_callbacks):
    settings.SALES_PERF_AUTO_CLOSE_DAYS = 5
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.auto_close_periods() == ["2026-01"]
    closed = Period.objects.get(code="2026-01")
    assert closed.status == Period.Status.CLOSED and closed.closed_by is None
    assert PeriodEvent.objects.get(period=closed, action="close_requested").details == {"scheduled": True}


@time_machine.travel(date(2026, 6, 1), tick=False)
def test_auto_close_can_be_switched_off(sales, settings):
    settings.SALES_PERF_AUTO_CLOSE_DAYS = 0
    assert tasks.auto_close_periods() == []
    assert not Period.objects.filter(status=Period.Status.CLOSED).exists()


@time_machine.travel(date(2026, 4, 10), tick=False)
def test_a_refused_scheduled_close_records_why_and_closes_nothing(sales):
    period("2026-Q1")
    with pytest.raises(CloseRefused):
        close_period("2026-Q1", scheduled=True)
    event = PeriodEvent.objects.get(period__code="2026-Q1", action="close_refused")
    assert event.details == {"scheduled": True}
    assert "2026-01, 2026-02, 2026-03" in event.reason
    assert Period.objects.get(code="2026-Q1").status == Period.Status.OPEN


def test_the_schedule_is_defined_once_for_beat():
    schedule = app.conf.beat_schedule
    assert schedule is BEAT_SCHEDULE
    assert schedule["auto-close-periods"]["task"] == "closing.tasks.auto_close_periods"
    assert schedule["close-line-watch"]["task"] == "closing.tasks.close_line_watch"
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
