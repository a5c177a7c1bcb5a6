"""Celery tasks of the period close: thin wrappers that take ids and call one service each.

The line runs itself: ``close_line_run`` starts the next close (or takes over a dead one), chains
its levels of chunks and its finalize, and ends by running the line again. Callers put closes in
the line and then start it once their request is committed (``close_period_enqueue``). Every
task is safe to run twice: the services claim their work with conditional updates, a chunk
writes all or nothing, and a worker whose attempt was taken over stops without writing.
"""

from __future__ import annotations

import logging
import time

from celery import chain, group, shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError
from django.utils import timezone

import closing.attempt
import closing.line
from closing import reminders
from closing.exceptions import CloseSuperseded
from closing.models import CloseJob
from notifications.tasks import send_notification_emails

logger = logging.getLogger(__name__)

TRANSIENT_ERRORS = (OperationalError, InterfaceError)
MAX_RETRIES = 3


def close_period_enqueue(*, code: str, user=None, scheduled: bool = False) -> CloseJob:
    """What a caller of one close runs: put it in the line (``CloseRefused`` when it cannot close)
    and start the line once that is committed. In-process Celery runs the line right there (outside
    a transaction, at once), this close and any waiting before it included."""
    job = closing.line.period_close_request(code=code, user=user, scheduled=scheduled)
    close_line_run.delay_on_commit()
    return job


def close_due_enqueue(*, user=None, scheduled: bool = False, grace_days: int = 0):
    """ "Close everything due": every ended, open period in order, through the same line.
    Returns ``(jobs, refusals)`` as ``closing.line.close_due_request`` does."""
    jobs, refusals = closing.line.close_due_request(user=user, scheduled=scheduled, grace_days=grace_days)
    if jobs:
        close_line_run.delay_on_commit()
    return jobs, refusals


def _run(task, start: closing.line.CloseStart, service):
    """Run one step of a close: retry a transient failure with exponential backoff, stop quietly when
    the attempt was taken over, and otherwise give up (undoing the attempt, then moving the line on).

    In-process (eager) mode retries in a loop, since there is no broker to send a retry to."""
    attempt = task.request.retries
    while True:
        try:
            return service()
        except CloseSuperseded:
            logger.info("close job %s attempt %s was taken over; stopping", start.job_id, start.attempt)
            return None
        except Exception as exc:
            if isinstance(exc, TRANSIENT_ERRORS) and attempt < MAX_RETRIES:
                countdown = 2 ** (attempt + 1)
                logger.warning("close job %s: %s, retry %s", start.job_id, exc, attempt + 1)
                if not task.request.is_eager:
                    raise task.retry(exc=exc, countdown=countdown) from exc
                attempt += 1
                time.sleep(countdown / 8)
                continue
            closing.attempt.period_close_fail(
                job_id=start.job_id, attempt=start.attempt, reason=f"{type(exc).__name__}: {exc}"
            )
            send_notification_emails.delay()
            close_line_run.delay()  # the next close of the line does not wait for this one
            raise


@shared_task(bind=True, acks_late=True)
def close_line_run(self) -> int | None:
    """Start the next close of the line, if any and none is running; returns its job id."""
    start = closing.line.close_line_next()
    if start is None:
        return None
    if start.attempt > 1:
        send_notification_emails.delay()  # HR hears of the takeover
    plan = _run(self, start, lambda: closing.attempt.period_close_plan(job_id=start.job_id, attempt=start.attempt))
    if plan is None:
        return None
    steps = [
        group(close_period_chunk.si(start.job_id, start.attempt, ids, number) for ids in level)
        for number, level in enumerate(plan.levels)
    ]
    chain(*steps, close_period_finalize.si(start.job_id, start.attempt), close_line_run.si()).apply_async()
    return start.job_id


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def close_period_chunk(self, job_id: int, attempt: int, employee_ids: list[int], level: int = 0) -> dict | None:
    start = closing.line.CloseStart(job_id, attempt)
    result = _run(
        self,
        start,
        lambda: closing.attempt.period_close_chunk(
            job_id=job_id, attempt=attempt, employee_ids=employee_ids, level=level
        ),
    )
    if result is None:
        return None
    return {"scorecards": result.scorecards, "no_data": result.no_data, "rewards": result.rewards}


@shared_task(bind=True, acks_late=True, max_retries=MAX_RETRIES)
def close_period_finalize(self, job_id: int, attempt: int) -> dict | None:
    start = closing.line.CloseStart(job_id, attempt)
    summary = _run(self, start, lambda: closing.attempt.period_close_finalize(job_id=job_id, attempt=attempt))
    if summary is not None:
        closing.attempt.close_notify_scorecards_ready(job_id=job_id)
        send_notification_emails.delay()
    return summary


@shared_task(acks_late=True)
def close_line_watch() -> bool:
    """Beat, every half minute: push the line when a close waits and none runs (its chain was lost
    with a worker) or when the running close's lease ran out (its worker died)."""
    if closing.line.close_line_stalled():
        close_line_run.delay()
        return True
    return False


@shared_task(acks_late=True)
def auto_close_periods() -> list[str]:
    """Beat: request every period that is due, months ``SALES_PERF_AUTO_CLOSE_DAYS`` days after
    they end (0: never); refusals are recorded on the periods' histories."""
    days = settings.SALES_PERF_AUTO_CLOSE_DAYS
    if days <= 0:
        return []
    jobs, refusals = close_due_enqueue(scheduled=True, grace_days=days)
    for refusal in refusals:
        logger.warning("scheduled close refused at %s: %s", timezone.now().isoformat(), refusal)
    return [job.period.code for job in jobs]


@shared_task(acks_late=True)
def ratings_due_remind() -> int:
    """Beat: five days before a quarter ends, remind the leads who still have people to rate (once
    per quarter and lead), then mail what was stored."""
    stored = reminders.ratings_due_notify()
    if stored:
        send_notification_emails.delay_on_commit()
    return stored
