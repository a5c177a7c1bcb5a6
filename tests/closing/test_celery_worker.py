"""A close through a real Celery worker on the Redis broker against PostgreSQL.

The test starts a worker process (2 processes, so chunks of a level really run in parallel)
pointed at the test database. It needs CELERY_BROKER_URL (Redis) and DATABASE_URL (PostgreSQL);
without them it is skipped, unless SALES_PERF_REQUIRE_SERVICES=1 (as in CI), where it fails."""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from appraisals.models import Metric, MetricValue, Period, Scorecard
from closing.line import close_job_wait
from closing.models import CloseJob
from closing.reopen import period_reopen
from closing.tasks import close_period_enqueue
from demo.workers import celery_worker
from rewards.models import RewardSuggestion
from roles.models import Role
from tests.builders import employee, period

# One worker process per broker: under pytest-xdist every test that sends tasks to Redis runs on the same
# xdist worker, one after another, so no Celery worker takes a task meant for another test database.
pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
    pytest.mark.xdist_group("celery-worker"),
]
ROOT = Path(__file__).resolve().parents[2]


def _services_or_skip():
    missing = []
    if not os.environ.get("CELERY_BROKER_URL"):
        missing.append("CELERY_BROKER_URL")
    if connection.vendor != "postgresql":
        missing.append("a PostgreSQL DATABASE_URL")
    if missing:
        if os.environ.get("SALES_PERF_REQUIRE_SERVICES") == "1":
            pytest.fail(f"SALES_PERF_REQUIRE_SERVICES=1 but {', '.join(missing)} not set")
        pytest.skip(f"needs {', '.join(missing)}")


@pytest.fixture
def worker():
    _services_or_skip()
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}",
        "DATABASE_CONN_MAX_AGE": "0",
        "SALES_PERF_CLOSE_CHUNK_SIZE": "100",
    }
    with (
        open(ROOT / "celery-test-worker.log", "w") as log,
        celery_worker(concurrency=2, loglevel="info", name="test@%h", env=env, stdout=log, stop_timeout=20) as process,
    ):
        yield process


def _wait(job: CloseJob, timeout: float = 90) -> CloseJob:
    try:
        return close_job_wait(job=job, timeout=timeout, poll=0.25)
    except TimeoutError as exc:
        pytest.fail(str(exc))


def _org(reps: int = 240):
    """A manager over 4 supervisors over ``reps`` reps; rep i sells 80,000 + 1,000 × (i mod 50) of 100,000."""
    manager = employee("WM1", role=Role.MANAGER)
    supervisors = [employee(f"WS{n}", role=Role.SUPERVISOR, reports_to=manager) for n in range(4)]
    month = period("2026-03")
    target, actual = Metric.objects.get(code="sales_target"), Metric.objects.get(code="sales_actual")
    values = []
    for i in range(reps):
        rep = employee(f"WR{i:03d}", reports_to=supervisors[i % 4])
        values += [
            MetricValue(employee=rep, period=month, metric=target, value=100000, entered_at="2026-04-01T00:00Z"),
            MetricValue(
                employee=rep, period=month, metric=actual, value=80000 + 1000 * (i % 50), entered_at="2026-04-01T00:00Z"
            ),
        ]
    MetricValue.objects.bulk_create(values)


def test_month_close_runs_on_a_real_worker_and_is_safe_to_rerun(worker):
    _org()
    job = _wait(close_period_enqueue(code="2026-03"))
    assert job.status == CloseJob.Status.DONE, job.message
    # 240 reps in chunks of 100 → 3 chunks, then 1 for the supervisors and 1 for the manager, + finalize.
    assert job.steps_total == 6 and job.steps_done == 6
    assert Period.objects.get(code="2026-03").status == Period.Status.CLOSED
    assert Scorecard.objects.filter(period__code="2026-03").count() == 245
    # WR007 sells 87,000 of 100,000: R1 = 87.00; no csat → R2 missing; composite 87.00, band C.
    card = Scorecard.objects.get(employee__employee_no="WR007", period__code="2026-03")
    assert (card.composite, card.band, card.missing_kpis) == (Decimal("87.00"), "C", "R2")
    # 2% of 87,000 = 1,740.00
    assert RewardSuggestion.objects.get(employee__employee_no="WR007", code="commission").amount == Decimal("1740.00")
    first = sorted(Scorecard.objects.values_list("employee__employee_no", "composite"))

    period_reopen(code="2026-03", reason="rerun on the worker")
    job = _wait(close_period_enqueue(code="2026-03"))
    assert job.status == CloseJob.Status.DONE, job.message
    assert sorted(Scorecard.objects.values_list("employee__employee_no", "composite")) == first
    assert RewardSuggestion.objects.filter(code="commission").count() == 240
