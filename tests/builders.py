"""Shared test builders: keyword-only functions that make the objects tests need."""

from __future__ import annotations

from pathlib import Path

from django.test import TestCase

from closing.models import CloseJob
from closing.tasks import close_period_enqueue

# The worked example of docs/policy.md: employees.csv, metrics.csv and the exports they imply.
EXAMPLE_DIR = Path(__file__).resolve().parent / "data" / "example"


def close_period(code: str, *, user=None, scheduled: bool = False) -> CloseJob:
    """Close ``code`` the way HR and the scheduler do, and return its job once the close has run.

    Celery runs in-process in tests; the job starts when the request commits, so inside a test's
    transaction the on-commit callbacks are run here."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = close_period_enqueue(code=code, user=user, scheduled=scheduled)
    job.refresh_from_db()
    return job
