"""One attempt of a close (POLICY.md §5, §6): plan it, score and write each chunk, then finalize it
or fail it; and what every end of an attempt shares (its partial results discarded, its job
finished, HR told of trouble).

1. ``period_close_plan`` splits the org into tree levels (leaves first) and each level into
   chunks; the tasks run a level's chunks in parallel and join before the next level, because a
   supervisor's S4 needs the team's scorecards.
2. ``period_close_chunk`` scores one chunk and writes its scorecards, KPI rows and reward
   suggestions in one transaction that also renews the lease and checks the attempt is still the
   current one, so a worker that was taken over can no longer write (``CloseSuperseded``).
3. ``period_close_finalize`` marks the period closed; ``period_close_fail`` removes a failed
   attempt's partial results and puts the period back to open. Then the line moves on.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, F, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from appraisals.engine.org import score_employees
from appraisals.models import Period, PeriodEvent, Scorecard
from appraisals.scorecards import scorecards_discard, scorecards_write
from appraisals.selectors import chunk_inputs, engine_policy, org_nodes, policy_version_for
from closing.exceptions import CloseRefused, CloseSuperseded
from closing.lock import lease_until, line_locked
from closing.models import CloseJob
from notifications.models import Kind
from notifications.services import hr_user_ids, notify
from rewards import services as reward_services
from rewards.models import RewardSuggestion
from rewards.services import suggestions_discard_pending
from roles.models import Employee
from roles.tree import CycleError, tree_levels
from sales_perf.bulk import execute, set_local_work_mem
from sales_perf.locks import with_lock_retries

logger = logging.getLogger(__name__)


def _current(job_id: int, attempt: int) -> CloseJob:
    """The job if ``attempt`` is still its current, running attempt; renews its lease (a row lock
    on PostgreSQL until the caller's transaction ends, so a takeover waits for it)."""
    now = timezone.now()
    renewed = CloseJob.objects.filter(pk=job_id, attempt=attempt, status=CloseJob.Status.RUNNING).update(
        lease_expires_at=lease_until(now)
    )
    if not renewed:
        raise CloseSuperseded(f"close job {job_id} attempt {attempt} is no longer current")
    return CloseJob.objects.select_related("period").get(pk=job_id)


@dataclass(frozen=True)
class ClosePlan:
    job_id: int
    attempt: int
    levels: list[list[list[int]]]  # level -> chunks -> employee ids, leaves first

    @property
    def chunk_count(self) -> int:
        return sum(len(level) for level in self.levels)


def period_close_plan(*, job_id: int, attempt: int, chunk_size: int | None = None) -> ClosePlan:
    """Split the org into chunks for this attempt (leftovers of a dead attempt were removed when it
    was taken over)."""
    chunk_size = chunk_size or settings.SALES_PERF_CLOSE_CHUNK_SIZE
    _refresh_statistics()
    with transaction.atomic():
        job = _current(job_id, attempt)
        try:
            # Leavers are not scored for periods that start after their end date.
            levels = tree_levels(org_nodes(period_start=job.period.start))
        except CycleError as exc:
            raise CloseRefused(str(exc)) from None
        plan = ClosePlan(
            job_id=job_id,
            attempt=attempt,
            levels=[[level[i : i + chunk_size] for i in range(0, len(level), chunk_size)] for level in levels if level],
        )
        CloseJob.objects.filter(pk=job_id).update(steps_total=plan.chunk_count + 1, steps_done=0)
    return plan


# Tables a close reads in bulk; PostgreSQL plans its reads from their statistics.
_CLOSE_INPUTS = ("appraisals_metricvalue", "roles_employee")


def _refresh_statistics() -> None:
    """ANALYZE a close's input tables on PostgreSQL when they changed a lot since their statistics
    were taken (an import that did not analyze, many edits): a plan made for an empty table can
    make a close of 100,000 people several times slower."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND n_mod_since_analyze > 1000 + n_live_tup / 10",
            [list(_CLOSE_INPUTS)],
        )
        stale = [row[0] for row in cursor.fetchall()]
        for table in stale:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


@dataclass(frozen=True)
class ChunkResult:
    scorecards: int
    no_data: int
    rewards: int


def period_close_chunk(*, job_id: int, attempt: int, employee_ids: Sequence[int], level: int = 0) -> ChunkResult:
    """Score one chunk of one tree level (``level`` 0 = the leaves) and write its results.

    Safe to run again: the chunk writes in one transaction, so a failed try leaves nothing; a
    second delivery of a chunk that was written fails on the unique (employee, period) of its
    scorecards or suggestions and changes nothing; a chunk of an attempt that was taken over
    raises ``CloseSuperseded`` and writes nothing."""
    job = _current(job_id, attempt)
    period = job.period
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
            # Sums over a period's scattered metric rows: with PostgreSQL's default 4 MB the bitmap
            # of matching rows goes lossy and every row of each block is checked again.
            set_local_work_mem(settings.SALES_PERF_CLOSE_WORK_MEM_MB)
            inputs = chunk_inputs(policy=policy, period=spec, period_id=period.pk, employee_ids=employee_ids)
            result = score_employees(
                policy=policy,
                period=spec,
                employees=inputs.employees,
                units=inputs.units,
                team_composites=inputs.team_composites,
                team_hits=inputs.team_hits,
            )
            # The fence: only the current attempt writes, and its lease runs on.
            _current(job_id, attempt)
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


def period_close_finalize(*, job_id: int, attempt: int) -> dict:
    """Mark the period closed once every chunk is written; returns the close's summary."""

    def finalize() -> dict:
        with line_locked():
            job = _current(job_id, attempt)
            period = job.period
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
                lease_expires_at=None,
                message=f"{summary['scorecards']} scorecards, {summary['rewards']} reward suggestions, "
                f"{summary['no_data']} without data",
            )
            return summary

    return with_lock_retries(finalize)


NO_DATA_SAMPLE = 50


def close_summary(period: Period) -> dict:
    """What a close made, kept on the period's history: counts, the band distribution and the money
    per reward (so a later dry run can show what a new close would change). 5 queries."""
    scorecards = Scorecard.objects.filter(period=period).count()
    # NOT IN (a hashed subplan on PostgreSQL) rather than NOT EXISTS: the close has just written the
    # scorecards, so the table statistics are stale and a correlated plan could go quadratic.
    scored = Scorecard.objects.filter(period=period).values("employee_id")
    no_data = Employee.objects.exclude(id__in=scored)
    bands = dict(
        Scorecard.objects.filter(period=period).values_list("band").annotate(count=Count("id")).order_by("band")
    )
    rewards = (
        RewardSuggestion.objects.filter(period=period)
        .values_list("code")
        .annotate(count=Count("id"), total=Sum("amount"))
        .order_by("code")
    )
    return {
        "scorecards": scorecards,
        "rewards": sum(count for _code, count, _total in rewards),
        "no_data": Employee.objects.count() - scorecards,
        "no_data_sample": list(no_data.order_by("employee_no").values_list("employee_no", flat=True)[:NO_DATA_SAMPLE]),
        "bands": bands,
        "reward_counts": {code: count for code, count, _total in rewards},
        "money": {code: format(total, "f") for code, _count, total in rewards if total is not None},
    }


def close_notify_scorecards_ready(*, job_id: int) -> int:
    """Tell everyone with a login who got a scorecard of the job's period that it is ready (one insert)."""
    job = CloseJob.objects.select_related("period").get(pk=job_id)
    logins = Employee.objects.filter(scorecards__period=job.period, user__isnull=False).values_list(
        "user_id", flat=True
    )
    return notify(
        kind=Kind.SCORECARD_READY,
        user_ids=list(logins),
        params={"period": job.period.code},
        url=reverse("me"),
    )


def period_close_fail(*, job_id: int, attempt: int, reason: str) -> None:
    """Undo a failed attempt: partial results go, the period is open again, the reason is kept.

    Retried while the database is locked; should it still not get through, the job keeps its lease
    only until it runs out, and the line then takes it over: never a period stuck in closing."""

    def fail() -> None:
        with line_locked():
            job = (
                CloseJob.objects.select_related("period")
                .filter(pk=job_id, attempt=attempt, status=CloseJob.Status.RUNNING)
                .first()
            )
            if job is None:
                return  # finished, or taken over by a newer attempt
            if Period.objects.filter(pk=job.period_id, status=Period.Status.CLOSING).update(status=Period.Status.OPEN):
                period_results_discard(period_id=job.period_id)
            close_job_finish(job, status=CloseJob.Status.FAILED, now=timezone.now(), message=reason)
            CloseJob.objects.filter(pk=job_id).update(lease_expires_at=None)
            PeriodEvent.objects.create(
                period=job.period, action=PeriodEvent.Action.CLOSE_FAILED, actor=job.requested_by, reason=reason[:2000]
            )
            close_notify_trouble(code=job.period.code, reason=reason[:2000], taken_over=False)

    with_lock_retries(fail, attempts=30)


# What every end of an attempt shares: a failed attempt here, a dead one taken over by the line,
# and a reopen all discard results, finish a job or tell HR the same way.


def period_results_discard(*, period_id: int) -> None:
    """Remove a period's scorecards (with their KPI rows) and undecided suggestions; decided rewards
    are kept. A few statements whatever the size."""
    scorecards_discard(period_id=period_id)
    suggestions_discard_pending(period_id=period_id)


def close_job_finish(job: CloseJob, *, status: str, now: datetime, message: str = "") -> None:
    """End a job with its status and why (the message kept to 2,000 characters)."""
    CloseJob.objects.filter(pk=job.pk).update(status=status, finished_at=now, message=message[:2000])


def close_notify_trouble(*, code: str, reason: str, taken_over: bool) -> None:
    """Tell HR that a close failed (``reason``) or was taken over after its worker died."""
    notify(
        kind=Kind.CLOSE_TROUBLE,
        user_ids=hr_user_ids(),
        params={"period": code, "reason": reason, "taken_over": taken_over},
        url=reverse("hr:period_detail", args=[code]),
    )
