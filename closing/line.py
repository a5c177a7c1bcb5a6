"""The line of closes (POLICY.md §3): requests, starting the next close, taking over a dead one,
cancelling a waiting one, and waiting for one to finish.

Closes run one at a time, in the order they were requested:

1. ``period_close_request`` checks the rules (``closing.rules``) and puts a job in the line. A
   refusal writes nothing but the refusal on an existing period.
2. ``close_line_next`` starts the first job of the line when no close runs: it checks the rules
   again (a close ahead of it may have failed), claims the period (open → closing) and gives the
   job a lease. A running job whose lease ran out (its worker died) is taken over first: its
   partial results are removed and it starts again as a new attempt (``closing.attempt``).

Every change to the line happens under the line's lock (``closing.lock``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone
from django.utils.translation import gettext, ngettext

from appraisals.models import Period, PeriodEvent
from appraisals.periods import PeriodRef
from closing.attempt import close_job_finish, close_notify_trouble, period_results_discard
from closing.exceptions import CloseRefused
from closing.lock import lease_until, line_locked
from closing.models import CloseJob
from closing.rules import LineState, close_problems, parse_period_code, periods_due
from sales_perf.locks import with_lock_retries

logger = logging.getLogger(__name__)

# A close whose worker keeps dying is given up after this many attempts.
MAX_ATTEMPTS = 3


def period_close_request(*, code: str, user=None, scheduled: bool = False, today: date | None = None) -> CloseJob:
    """Put a close of ``code`` in the line; raises ``CloseRefused`` with the reasons.

    A close of a period whose running close died (its lease ran out) is that close: it is returned,
    and the line takes it over when the caller starts the line. The caller starts the line once
    this is committed (``closing.tasks.close_period_enqueue``)."""
    ref = parse_period_code(code)
    today = today or timezone.localdate()

    def request() -> CloseJob | list[str]:
        with line_locked():
            return _request_locked(ref, today=today, user=user, scheduled=scheduled)

    outcome = with_lock_retries(request)
    if isinstance(outcome, list):
        raise CloseRefused("; ".join(outcome))
    return outcome


def _request_locked(ref: PeriodRef, *, today: date, user, scheduled: bool) -> CloseJob | list[str]:
    """A request under the line's lock: the new (or dead, to be taken over) job, or the refusals."""
    period = Period.objects.filter(code=ref.code).first()
    if period is not None and period.status == Period.Status.CLOSING:
        dead = CloseJob.objects.filter(
            period=period, status=CloseJob.Status.RUNNING, lease_expires_at__lte=timezone.now()
        ).first()
        if dead is not None:
            return dead
    state = LineState.load()
    problems = close_problems(ref, today=today, state=state, ahead=state.active)
    if problems:
        if period is not None:
            PeriodEvent.objects.create(
                period=period,
                action=PeriodEvent.Action.CLOSE_REFUSED,
                actor=user,
                reason="; ".join(problems),
                details={"scheduled": scheduled},
            )
        return problems
    if period is None:
        period = Period.objects.create(**Period.fields_for(ref))
    job = CloseJob.objects.create(period=period, requested_by=user, scheduled=scheduled)
    PeriodEvent.objects.create(
        period=period, action=PeriodEvent.Action.CLOSE_REQUESTED, actor=user, details={"scheduled": scheduled}
    )
    return job


def close_due_request(
    *, user=None, scheduled: bool = False, today: date | None = None, grace_days: int = 0
) -> tuple[list[CloseJob], list[str]]:
    """Put every period that is due in the line, in order (months, quarters, years), in one
    transaction under the line's lock, so two of these at once never ask for a period twice.

    Returns ``(jobs, refusals)``; a refusal (a rule that fails although the period was due) stops the rest."""
    today = today or timezone.localdate()

    def request_all() -> tuple[list[CloseJob], list[str]]:
        jobs: list[CloseJob] = []
        with line_locked():
            for code in periods_due(today=today, grace_days=grace_days):
                outcome = _request_locked(PeriodRef.parse(code), today=today, user=user, scheduled=scheduled)
                if isinstance(outcome, list):
                    return jobs, [f"{code}: {'; '.join(outcome)}"]
                jobs.append(outcome)
        return jobs, []

    return with_lock_retries(request_all)


def close_cancel(*, job_id: int, user=None) -> CloseJob:
    """Take a waiting close out of the line (a running one cannot be cancelled)."""

    def cancel() -> CloseJob | None:
        with line_locked():
            cancelled = CloseJob.objects.filter(pk=job_id, status=CloseJob.Status.QUEUED).update(
                status=CloseJob.Status.CANCELLED, finished_at=timezone.now()
            )
            job = CloseJob.objects.select_related("period").get(pk=job_id)
            if not cancelled:
                return None
            PeriodEvent.objects.create(period=job.period, action=PeriodEvent.Action.CLOSE_CANCELLED, actor=user)
            return job

    job = with_lock_retries(cancel)
    if job is None:
        raise CloseRefused(gettext("only a close waiting in line can be cancelled"))
    return job


@dataclass(frozen=True)
class CloseStart:
    """What a worker must run: one attempt of one job."""

    job_id: int
    attempt: int


def close_line_next(*, now: datetime | None = None, today: date | None = None) -> CloseStart | None:
    """Start the next close if none is running: a running close whose lease ran out is taken over
    (partial results removed, a new attempt); otherwise the first waiting close whose rules still
    hold starts (one whose rules no longer hold fails with the reason). ``None``: nothing to run."""
    now = now or timezone.now()
    today = today or timezone.localdate()

    def next_start() -> CloseStart | None:
        with line_locked():
            running = CloseJob.objects.select_related("period").filter(status=CloseJob.Status.RUNNING).first()
            if running is not None:
                if running.lease_expires_at > now:
                    return None
                start = _take_over(running, now)
                if start is not None:
                    return start
            for job in (
                CloseJob.objects.select_related("period")
                .filter(status=CloseJob.Status.QUEUED)
                .order_by("created_at", "id")
            ):
                state = LineState.load()
                state.active.discard(job.period.code)  # the job's own place in the line
                problems = close_problems(job.period.ref, today=today, state=state)
                claimed = not problems and Period.objects.filter(pk=job.period_id, status=Period.Status.OPEN).update(
                    status=Period.Status.CLOSING
                )
                if not claimed:
                    reason = "; ".join(problems) or gettext("%(code)s is not open") % {"code": job.period.code}
                    close_job_finish(job, status=CloseJob.Status.FAILED, now=now, message=reason)
                    PeriodEvent.objects.create(
                        period=job.period,
                        action=PeriodEvent.Action.CLOSE_REFUSED,
                        actor=job.requested_by,
                        reason=reason,
                        details={"scheduled": job.scheduled, "at_start": True},
                    )
                    continue
                CloseJob.objects.filter(pk=job.pk).update(
                    status=CloseJob.Status.RUNNING, attempt=1, started_at=now, lease_expires_at=lease_until(now)
                )
                PeriodEvent.objects.create(
                    period=job.period,
                    action=PeriodEvent.Action.CLOSE_STARTED,
                    actor=job.requested_by,
                    details={"scheduled": job.scheduled},
                )
                return CloseStart(job.pk, 1)
            return None

    return with_lock_retries(next_start)


def _take_over(job: CloseJob, now: datetime) -> CloseStart | None:
    """A running close whose worker stopped renewing its lease: remove what it wrote and run it again,
    or give it up after ``MAX_ATTEMPTS``. Runs under the line's lock."""
    period_results_discard(period_id=job.period_id)
    details = {"attempt": job.attempt, "lease_expired_at": job.lease_expires_at.isoformat()}
    if job.attempt >= MAX_ATTEMPTS:
        reason = ngettext(
            "the close stopped %(count)s time without finishing (its worker died)",
            "the close stopped %(count)s times without finishing (its worker died)",
            job.attempt,
        ) % {"count": job.attempt}
        Period.objects.filter(pk=job.period_id, status=Period.Status.CLOSING).update(status=Period.Status.OPEN)
        close_job_finish(job, status=CloseJob.Status.FAILED, now=now, message=reason)
        PeriodEvent.objects.create(
            period=job.period, action=PeriodEvent.Action.CLOSE_FAILED, reason=reason, details=details
        )
        return None
    attempt = job.attempt + 1
    CloseJob.objects.filter(pk=job.pk).update(
        attempt=attempt, started_at=now, lease_expires_at=lease_until(now), steps_done=0, steps_total=0
    )
    PeriodEvent.objects.create(period=job.period, action=PeriodEvent.Action.CLOSE_TAKEN_OVER, details=details)
    close_notify_trouble(code=job.period.code, reason="", taken_over=True)
    logger.warning("close of %s taken over: attempt %s after the lease ran out", job.period.code, attempt)
    return CloseStart(job.pk, attempt)


@dataclass(frozen=True)
class CloseLine:
    """What HR sees of the line: the running close (with its lease) and the waiting ones in order."""

    running: CloseJob | None
    waiting: list[CloseJob]
    now: datetime

    @property
    def lease_expired(self) -> bool:
        return self.running is not None and self.running.lease_expires_at <= self.now

    @property
    def is_empty(self) -> bool:
        return self.running is None and not self.waiting


def close_line(*, now: datetime | None = None) -> CloseLine:
    """The line as it stands (1 query)."""
    jobs = list(
        CloseJob.objects.filter(status__in=CloseJob.ACTIVE)
        .select_related("period", "requested_by")
        .order_by("created_at", "id")
    )
    running = next((job for job in jobs if job.status == CloseJob.Status.RUNNING), None)
    return CloseLine(
        running=running,
        waiting=[job for job in jobs if job.status == CloseJob.Status.QUEUED],
        now=now or timezone.now(),
    )


def close_line_stalled(*, now: datetime | None = None) -> bool:
    """Whether the line needs a push: a close waits and none runs, or the running one's lease ran out."""
    now = now or timezone.now()
    running = CloseJob.objects.filter(status=CloseJob.Status.RUNNING).values_list("lease_expires_at", flat=True)
    lease = running.first()
    if lease is not None:
        return lease <= now
    return CloseJob.objects.filter(status=CloseJob.Status.QUEUED).exists()


def close_job_wait(
    *,
    job: CloseJob,
    timeout: float,
    poll: float = 0.2,
    on_progress: Callable[[CloseJob], None] | None = None,
    on_stall: Callable[[], None] | None = None,
) -> CloseJob:
    """Wait until a close job has finished and return it fresh; ``on_progress`` hears of each step,
    ``on_stall`` is called when the line needs a push (see ``close_line_stalled``). Raises
    ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        job.refresh_from_db()
        if job.is_finished:
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"close of {job.period} still running after {timeout:g}s (job {job.pk})")
        progress = (job.status, job.steps_done, job.steps_total)
        if on_progress is not None and progress != last:
            on_progress(job)
            last = progress
        if on_stall is not None and close_line_stalled():
            on_stall()
        time.sleep(poll)
