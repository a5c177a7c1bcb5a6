"""The scheduler (django-celery-beat) closes months a set number of days after they end, then
quarters and years once their parts are closed; a refused scheduled close is recorded."""

from __future__ import annotations

from datetime import date

import pytest

from appraisals.models import Period, PeriodEvent
from closing import services as closing
from closing import tasks
from sales_perf.celery import app
from tests.builders import close_period, employee, metrics, period

pytestmark = pytest.mark.django_db


@pytest.fixture
def q1_sales():
    """R1 sells 100 of a 100 target in each month of 2026-Q1."""
    rep = employee("R1")
    for code in ("2026-01", "2026-02", "2026-03"):
        metrics(rep, period=code, sales_target="100", sales_actual="100")
    return rep


def test_a_month_is_due_only_the_set_number_of_days_after_it_ends(q1_sales):
    # 2026-01 ends on the 31st; 5 days later is 5 February.
    assert closing.period_due_for_auto_close(today=date(2026, 2, 4), days_after_end=5) is None
    assert closing.period_due_for_auto_close(today=date(2026, 2, 5), days_after_end=5) == "2026-01"


def test_months_close_oldest_first_then_the_quarter(q1_sales):
    today = date(2026, 5, 1)
    order = []
    for _ in range(4):
        code = closing.period_due_for_auto_close(today=today, days_after_end=5)
        order.append(code)
        close_period(code, scheduled=True)
    assert order == ["2026-01", "2026-02", "2026-03", "2026-Q1"]
    assert closing.period_due_for_auto_close(today=today, days_after_end=5) is None


def test_a_month_without_metrics_is_not_due():
    period("2026-01")
    assert closing.period_due_for_auto_close(today=date(2026, 6, 1), days_after_end=5) is None


def test_the_beat_task_closes_the_due_month(q1_sales, settings, monkeypatch, django_capture_on_commit_callbacks):
    settings.SALES_PERF_AUTO_CLOSE_DAYS = 5
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: date(2026, 2, 10))
    with django_capture_on_commit_callbacks(execute=True):
        assert tasks.auto_close_periods() == "2026-01"
    closed = Period.objects.get(code="2026-01")
    assert closed.status == Period.Status.CLOSED and closed.closed_by is None
    assert PeriodEvent.objects.get(period=closed, action="close_requested").details == {"scheduled": True}


def test_auto_close_can_be_switched_off(q1_sales, settings, monkeypatch):
    settings.SALES_PERF_AUTO_CLOSE_DAYS = 0
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: date(2026, 6, 1))
    assert tasks.auto_close_periods() is None
    assert not Period.objects.filter(status=Period.Status.CLOSED).exists()


def test_a_refused_scheduled_close_records_why_and_closes_nothing(q1_sales):
    with pytest.raises(closing.CloseRefused):
        close_period("2026-Q1", scheduled=True)
    event = PeriodEvent.objects.get(period__code="2026-Q1", action="close_failed")
    assert event.details == {"scheduled": True}
    assert "cannot close before 2026-01, 2026-02, 2026-03" in event.reason
    assert Period.objects.get(code="2026-Q1").status == Period.Status.OPEN


def test_the_schedule_is_defined_once_for_beat():
    schedule = app.conf.beat_schedule
    assert schedule["auto-close-periods"]["task"] == "closing.tasks.auto_close_periods"
    assert app.conf.beat_scheduler == "django_celery_beat.schedulers:DatabaseScheduler"
