"""Celery tasks of the period-end job: thin wrappers that take ids and call one service each.

Every task is safe to run twice (acks_late redelivery, retries): the services claim their work
with conditional updates and rewrite a chunk from a clean slate.
"""

from __future__ import annotations

import logging

from celery import chain, group, shared_task
from django.conf import settings
from django.db import DatabaseError, InterfaceError, OperationalError
from django.utils import timezone

from closing import services as closing
from closing.models import CloseJob

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 3


def _run(task, job_id: int, service):
    """Run one close step: retry a transient failure with exponential backoff, and give up
    (undoing the whole attempt) on anything else or when the retries are spent.

    In-process (eager) mode retries in a loop, since there is no broker to send a retry to."""
    attempt = task.request.retries
    while True:
        try:
            return service()
        except Exception as exc:
            if isinstance(exc, TRANSIENT_ERRORS) and attempt < MAX_RETRIES:
                logger.warning("close job %s: %s, retry %s", job_id, exc, attempt + 1)
                if not task.request.is_eager:
                    raise task.retry(exc=exc, countdown=2 ** (attempt + 1)) from exc
                attempt += 1
                continue
            closing.period_close_fail(job_id=job_id, reason=f"{type(exc).__name__}: {exc}")
            raise


def close_period_enqueue(*, code: str, user=None, scheduled: bool = False) -> CloseJob:
    """What every caller of a close runs: claim the period (``CloseRefused`` if it cannot close)
    and start the job once that claim is committed. In-process Celery runs the whole job there
    and then (inside no transaction, that is at once)."""
    job = closing.period_close_request(code=code, user=user, scheduled=scheduled)
    close_period_start.delay_on_commit(job.pk)
    return job


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def close_period_start(self, job_id: int) -> None:
    plan = _run(self, job_id, lambda: closing.period_close_plan(job_id=job_id))
    if plan is None:
        return
    steps = [
        group(close_period_chunk.si(job_id, ids, number) for ids in level) for number, level in enumerate(plan.levels)
    ]
    chain(*steps, close_period_finalize.si(job_id)).apply_async()


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def close_period_chunk(self, job_id: int, employee_ids: list[int], level: int = 0) -> dict:
    result = _run(
        self, job_id, lambda: closing.period_close_chunk(job_id=job_id, employee_ids=employee_ids, level=level)
    )
    return {"scorecards": result.scorecards, "no_data": result.no_data, "rewards": result.rewards}


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def close_period_finalize(self, job_id: int) -> dict:
    return _run(self, job_id, lambda: closing.period_close_finalize(job_id=job_id))


@shared_task(acks_late=True)
def auto_close_periods() -> str | None:
    """Beat: request the next due close (see ``closing.period_due_for_auto_close``)."""
    days = settings.SALES_PERF_AUTO_CLOSE_DAYS
    if days <= 0:
        return None
    code = closing.period_due_for_auto_close(today=timezone.localdate(), days_after_end=days)
    if code is None:
        return None
    try:
        close_period_enqueue(code=code, scheduled=True)
    except (closing.CloseRefused, DatabaseError) as exc:
        # The refusal is recorded on the period's history by the service.
        logger.warning("scheduled close of %s refused: %s", code, exc)
        return None
    return code
