"""The period-end job (POLICY.md §3, §5, §6): claim, score the tree bottom-up in chunks, finalize.

A close runs as Celery tasks (closing/tasks.py), each calling one service here:

1. ``period_close_request`` checks the preconditions, claims the period with a conditional
   update (open → closing) and queues the job.
2. ``period_close_plan`` splits the org into tree levels (leaves first) and each level into
   chunks; the tasks run every chunk of a level in parallel and join before the next level,
   because a supervisor's S4 needs the team's scorecards.
3. ``period_close_chunk`` scores one chunk and writes its scorecards, KPI rows and reward
   suggestions in one transaction. It first removes what an earlier try of the same chunk
   wrote, so a retried or redelivered chunk never duplicates anything.
4. ``period_close_finalize`` marks the period closed (closing → closed); ``period_close_fail``
   removes a failed attempt's partial results and puts the period back to open.

While a period is ``closing`` its partial results are never shown, so the close is all or
nothing as far as anyone can see.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from appraisals import scoring
from appraisals.models import Period, PeriodEvent, Scorecard
from appraisals.periods import MONTH, PeriodCodeError, PeriodRef
from appraisals.selectors import NoPolicyError, chunk_inputs, engine_policy, org_nodes, policy_version_for
from appraisals.services import scorecards_discard, scorecards_write
from closing.models import CloseJob
from rewards import services as reward_services
from rewards.models import RewardSuggestion
from rewards.services import suggestions_discard_pending
from roles.models import Employee
from sales_perf.bulk import execute

logger = logging.getLogger(__name__)


class CloseRefused(Exception):
    """A close or reopen that must not happen; the message says why in one line."""


def period_for_code(code: str) -> Period:
    """The Period row of a code, created (open) on first use."""
    try:
        ref = PeriodRef.parse(code)
    except PeriodCodeError as exc:
        raise CloseRefused(str(exc)) from None
    period, _ = Period.objects.get_or_create(code=ref.code, defaults=Period.fields_for(ref))
    return period


def close_problems(period: Period) -> list[str]:
    """Why ``period`` cannot close now (empty when it can)."""
    if period.status == Period.Status.CLOSED:
        return [gettext("%(code)s is already closed") % {"code": period.code}]
    if period.status == Period.Status.CLOSING:
        return [gettext("a close of %(code)s is already running") % {"code": period.code}]
    problems = []
    children = [child.code for child in period.ref.children()]
    if children:
        closed = set(
            Period.objects.filter(code__in=children, status=Period.Status.CLOSED).values_list("code", flat=True)
        )
        still_open = [code for code in children if code not in closed]
        if still_open:
            sentence = ngettext(
                "%(code)s cannot close before %(parts)s is closed",
                "%(code)s cannot close before %(parts)s are closed",
                len(still_open),
            )
            problems.append(sentence % {"code": period.code, "parts": ", ".join(still_open)})
    try:
        policy_version_for(period)
    except NoPolicyError as exc:
        problems.append(str(exc))
    return problems


def period_close_request(*, code: str, user=None, scheduled: bool = False) -> CloseJob:
    """Claim a period for closing and create its job; raises ``CloseRefused`` with the reason.

    The caller starts the job (``closing.tasks.close_period_start.delay_on_commit(job.pk)``)."""
    period = period_for_code(code)
    problems = close_problems(period)
    if problems:
        if scheduled or period.status == Period.Status.OPEN:
            PeriodEvent.objects.create(
                period=period,
                action=PeriodEvent.Action.CLOSE_FAILED,
                actor=user,
                reason="; ".join(problems),
                details={"scheduled": scheduled},
            )
        raise CloseRefused("; ".join(problems))
    with transaction.atomic():
        claimed = Period.objects.filter(pk=period.pk, status=Period.Status.OPEN).update(status=Period.Status.CLOSING)
        if not claimed:
            raise CloseRefused(gettext("%(code)s is already closed or closing") % {"code": period.code})
        job = CloseJob.objects.create(period=period, requested_by=user)
        PeriodEvent.objects.create(
            period=period, action=PeriodEvent.Action.CLOSE_REQUESTED, actor=user, details={"scheduled": scheduled}
        )
    return job


def close_job_wait(
    *, job: CloseJob, timeout: float, poll: float = 0.2, on_progress: Callable[[CloseJob], None] | None = None
) -> CloseJob:
    """Wait until a close job is done or failed and return it fresh; ``on_progress`` hears of each
    step. In-process Celery has finished by the time the request returns; real workers take a while.
    Raises ``TimeoutError`` after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = None
    while True:
        job.refresh_from_db()
        if job.status in (CloseJob.Status.DONE, CloseJob.Status.FAILED):
            return job
        if time.monotonic() > deadline:
            raise TimeoutError(f"close of {job.period} still running after {timeout:g}s (job {job.pk})")
        progress = (job.steps_done, job.steps_total)
        if on_progress is not None and progress != last:
            on_progress(job)
            last = progress
        time.sleep(poll)


@dataclass(frozen=True)
class ClosePlan:
    levels: list[list[list[int]]]  # level -> chunks -> employee ids, leaves first

    @property
    def chunk_count(self) -> int:
        return sum(len(level) for level in self.levels)


def period_close_plan(*, job_id: int, chunk_size: int | None = None) -> ClosePlan | None:
    """Start a queued job: clear leftovers of a crashed attempt and split the org into chunks.

    Returns ``None`` when the job was already started (a redelivered start message)."""
    chunk_size = chunk_size or settings.SALES_PERF_CLOSE_CHUNK_SIZE
    with transaction.atomic():
        claimed = CloseJob.objects.filter(pk=job_id, status=CloseJob.Status.QUEUED).update(
            status=CloseJob.Status.RUNNING
        )
        if not claimed:
            return None
        job = CloseJob.objects.select_related("period").get(pk=job_id)
        _discard_results(job.period)
        try:
            levels = scoring.tree_levels(org_nodes())
        except scoring.CycleError as exc:
            raise CloseRefused(str(exc)) from None
        plan = ClosePlan(
            levels=[[level[i : i + chunk_size] for i in range(0, len(level), chunk_size)] for level in levels if level]
        )
        CloseJob.objects.filter(pk=job_id).update(steps_total=plan.chunk_count + 1, steps_done=0)
    return plan


def _discard_results(period: Period) -> None:
    """Remove a period's scorecards (with their KPI rows) and undecided suggestions; decided rewards
    are kept. A few statements whatever the size."""
    scorecards_discard(period_id=period.pk)
    suggestions_discard_pending(period_id=period.pk)


@dataclass(frozen=True)
class ChunkResult:
    scorecards: int
    no_data: int
    rewards: int


def period_close_chunk(*, job_id: int, employee_ids: Sequence[int], level: int = 0) -> ChunkResult:
    """Score one chunk of one tree level (``level`` 0 = the leaves) and write its results.

    Safe to run again: the chunk writes in one transaction, so a failed try leaves nothing, and a
    second delivery of a chunk that was written fails on the unique (employee, period) of its
    scorecards and changes nothing."""
    job = CloseJob.objects.select_related("period").get(pk=job_id)
    period = job.period
    if period.status != Period.Status.CLOSING or job.status != CloseJob.Status.RUNNING:
        raise CloseRefused(f"{period.code} is not being closed by job {job_id}")
    version = policy_version_for(period)
    policy = engine_policy(version)
    spec = policy.period_spec(period.code)
    flags = policy.development_flag_codes()
    if level > 0 and connection.vendor == "postgresql":
        # The levels below have just written their scorecards; fresh statistics keep the planner
        # from treating that table as empty when this level reads the team's composites.
        execute("ANALYZE appraisals_scorecard")
    try:
        with transaction.atomic():
            inputs = chunk_inputs(policy=policy, period=spec, period_id=period.pk, employee_ids=employee_ids)
            result = scoring.score_employees(
                policy=policy,
                period=spec,
                employees=inputs.employees,
                units=inputs.units,
                team_composites=inputs.team_composites,
                team_hits=inputs.team_hits,
            )
            now = timezone.now()
            scorecards_write(
                period_id=period.pk,
                version_id=version.pk,
                results=list(result.scorecards.values()),
                reports_to_nos=inputs.reports_to_nos,
                now=now,
            )
            written_rewards = reward_services.suggestions_write(
                period_id=period.pk,
                version_id=version.pk,
                employee_ids=employee_ids,
                # The development flag is not a reward: it lives on the scorecard (development_kpis).
                rewards=[reward for reward in result.rewards if reward.code not in flags],
                now=now,
            )
            CloseJob.objects.filter(pk=job_id).update(steps_done=F("steps_done") + 1)
    except IntegrityError as exc:
        if not _is_duplicate_chunk(exc):
            raise
        logger.info("close job %s: chunk of %s employees was already written", job_id, len(employee_ids))
        return ChunkResult(scorecards=0, no_data=0, rewards=0)
    return ChunkResult(scorecards=len(result.scorecards), no_data=len(result.no_data), rewards=written_rewards)


def _is_duplicate_chunk(exc: IntegrityError) -> bool:
    """A second delivery of a written chunk: its scorecards (or, for people paid commission without
    a scorecard, its suggestions) are already there."""
    text = str(exc)
    return any(
        mark in text
        for mark in (
            "scorecard_unique_employee_period",
            "appraisals_scorecard.employee_id",
            "reward_unique_employee_period_code",
            "rewards_rewardsuggestion.employee_id",
        )
    )


def period_close_finalize(*, job_id: int) -> dict:
    """Mark the period closed once every chunk is written; returns the close's summary."""
    job = CloseJob.objects.select_related("period").get(pk=job_id)
    period = job.period
    with transaction.atomic():
        now = timezone.now()
        closed = Period.objects.filter(pk=period.pk, status=Period.Status.CLOSING).update(
            status=Period.Status.CLOSED, closed_at=now, closed_by=job.requested_by
        )
        if not closed:
            raise CloseRefused(gettext("%(code)s is not closing") % {"code": period.code})
        summary = close_summary(period)
        PeriodEvent.objects.create(
            period=period, action=PeriodEvent.Action.CLOSED, actor=job.requested_by, details=summary
        )
        CloseJob.objects.filter(pk=job_id).update(
            status=CloseJob.Status.DONE,
            steps_done=F("steps_total"),
            finished_at=now,
            message=f"{summary['scorecards']} scorecards, {summary['rewards']} reward suggestions, "
            f"{summary['no_data']} without data",
        )
    return summary


def close_summary(period: Period) -> dict:
    scorecards = Scorecard.objects.filter(period=period).count()
    # NOT IN (a hashed subplan on PostgreSQL) rather than NOT EXISTS: the close has just written the
    # scorecards, so the table statistics are stale and a correlated plan could go quadratic.
    scored = Scorecard.objects.filter(period=period).values("employee_id")
    no_data = Employee.objects.exclude(id__in=scored)
    return {
        "scorecards": scorecards,
        "rewards": RewardSuggestion.objects.filter(period=period).count(),
        "no_data": Employee.objects.count() - scorecards,
        "no_data_sample": list(no_data.order_by("employee_no").values_list("employee_no", flat=True)[:20]),
    }


def period_close_fail(*, job_id: int, reason: str) -> None:
    """Undo a failed attempt: partial results go, the period is open again, the reason is kept."""
    with transaction.atomic():
        job = CloseJob.objects.select_for_update().select_related("period").get(pk=job_id)
        if job.status in (CloseJob.Status.DONE, CloseJob.Status.FAILED):
            return
        period = job.period
        reopened = Period.objects.filter(pk=period.pk, status=Period.Status.CLOSING).update(status=Period.Status.OPEN)
        if reopened:
            _discard_results(period)
        CloseJob.objects.filter(pk=job_id).update(
            status=CloseJob.Status.FAILED, finished_at=timezone.now(), message=reason[:2000]
        )
        PeriodEvent.objects.create(
            period=period, action=PeriodEvent.Action.CLOSE_FAILED, actor=job.requested_by, reason=reason[:2000]
        )


def period_reopen(*, code: str, reason: str, user=None) -> Period:
    """Reopen a closed period with a written reason (kept): its scorecards and undecided
    suggestions are discarded and recomputed on the next close; decided rewards stay."""
    reason = (reason or "").strip()
    if not reason:
        raise CloseRefused(gettext("a reason is required to reopen a period"))
    period = period_for_code(code)
    if period.status != Period.Status.CLOSED:
        raise CloseRefused(gettext("%(code)s is not closed") % {"code": period.code})
    parents = [parent.code for parent in period.ref.parents()]
    closed_parents = list(
        Period.objects.filter(code__in=parents, status=Period.Status.CLOSED).values_list("code", flat=True)
    )
    if closed_parents:
        raise CloseRefused(
            gettext("reopen %(parents)s first: it contains %(code)s")
            % {"parents": ", ".join(sorted(closed_parents, key=len)), "code": period.code}
        )
    with transaction.atomic():
        reopened = Period.objects.filter(pk=period.pk, status=Period.Status.CLOSED).update(
            status=Period.Status.OPEN, closed_at=None, closed_by=None
        )
        if not reopened:
            raise CloseRefused(gettext("%(code)s is not closed") % {"code": period.code})
        _discard_results(period)
        PeriodEvent.objects.create(period=period, action=PeriodEvent.Action.REOPENED, actor=user, reason=reason)
    period.refresh_from_db()
    return period


def period_due_for_auto_close(*, today: date, days_after_end: int) -> str | None:
    """The next period the scheduler should close, or ``None``.

    Months close ``days_after_end`` days after they end, oldest first and one at a time
    (a month's flex time reads the bands of the months before it); a quarter or a year is
    due as soon as all its parts are closed."""
    for period in Period.objects.filter(status=Period.Status.OPEN).exclude(kind=MONTH).order_by("start", "end"):
        if not close_problems(period):
            return period.code
    cutoff = today - timedelta(days=days_after_end)
    month = (
        Period.objects.filter(kind=MONTH, status=Period.Status.OPEN, end__lte=cutoff, metric_values__isnull=False)
        .order_by("start")
        .values_list("code", flat=True)
        .first()
    )
    if month is None:
        return None
    # Quarters and years above a closable month must exist so they are picked up once their parts close.
    for parent in PeriodRef.parse(month).parents():
        Period.objects.get_or_create(code=parent.code, defaults=Period.fields_for(parent))
    return month
