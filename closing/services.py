"""The period close (POLICY.md §3, §5, §6): the line, the lease, the bottom-up job, and reopening.

Closes run one at a time, in the order they were requested:

1. ``period_close_request`` checks the rules (the period has ended, months close in order, a
   quarter after its months, a year after its quarters; closes already waiting count as done)
   and puts a job in the line. A refusal writes nothing but the refusal on an existing period.
2. ``close_line_next`` starts the first job of the line when no close runs: it checks the
   rules again (a close ahead of it may have failed), claims the period (open → closing) and
   gives the job a lease. A running job whose lease ran out (its worker died) is taken over
   first: its partial results are removed and it starts again as a new attempt.
3. ``period_close_plan`` splits the org into tree levels (leaves first) and each level into
   chunks; the tasks run a level's chunks in parallel and join before the next level, because
   a supervisor's S4 needs the team's scorecards.
4. ``period_close_chunk`` scores one chunk and writes its scorecards, KPI rows and reward
   suggestions in one transaction that also renews the lease and checks the attempt is still
   the current one, so a worker that was taken over can no longer write.
5. ``period_close_finalize`` marks the period closed; ``period_close_fail`` removes a failed
   attempt's partial results and puts the period back to open. Then the line moves on.

Every change to the line (a request, a start, a takeover, an end, a cancel, a reopen) happens
under one lock: a transaction-level advisory lock on PostgreSQL, the database's write lock on
SQLite (transactions there begin IMMEDIATE), with retries on "database is locked".

Reopening cascades: a month reopens every later closed month and every closed quarter and
year containing a reopened month; a quarter reopens its year. It is refused while any close
runs or waits.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, connection, transaction
from django.db.models import Count, Exists, F, OuterRef, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from appraisals.engine.org import score_employees
from appraisals.models import MetricValue, Period, PeriodEvent, Scorecard
from appraisals.periods import MONTH, QUARTER, YEAR, PeriodCodeError, PeriodRef
from appraisals.scorecards import scorecards_discard, scorecards_write
from appraisals.selectors import NoPolicyError, chunk_inputs, engine_policy, org_nodes, policy_version_for
from closing.models import CloseJob
from notifications.models import Kind
from notifications.services import hr_user_ids, notify
from rewards import services as reward_services
from rewards.models import RewardSuggestion
from rewards.services import suggestions_discard_pending
from roles.models import Employee
from roles.tree import CycleError, tree_levels
from sales_perf.bulk import execute, set_local_work_mem
from sales_perf.locks import serialized, with_lock_retries

logger = logging.getLogger(__name__)

# pg_advisory_xact_lock key of the line: any constant the app's other locks do not use.
LINE_LOCK_KEY = 4_701_137_003
# A close whose worker keeps dying is given up after this many attempts.
MAX_ATTEMPTS = 3


class CloseRefused(Exception):
    """A close or reopen that must not happen; the message says why in one line."""


class CloseSuperseded(Exception):
    """This attempt of a close was taken over by a newer one; its worker must stop without writing."""


# --------------------------------------------------------------------------- the line's lock


def _line_locked():
    """A transaction in which nobody else changes the line."""
    return serialized(LINE_LOCK_KEY)


def _lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.SALES_PERF_CLOSE_LEASE_SECONDS)


# --------------------------------------------------------------------------- the rules


def _parse(code: str) -> PeriodRef:
    try:
        return PeriodRef.parse(code)
    except PeriodCodeError as exc:
        raise CloseRefused(str(exc)) from None


def first_month_of_history() -> PeriodRef | None:
    """The earliest month holding any metric value or scorecard (POLICY.md §3); one query."""
    first = (
        Period.objects.filter(kind=MONTH)
        .filter(
            Exists(MetricValue.objects.filter(period=OuterRef("pk")))
            | Exists(Scorecard.objects.filter(period=OuterRef("pk")))
        )
        .order_by("start")
        .values_list("year", "number")
        .first()
    )
    return PeriodRef.month(*first) if first else None


@dataclass(frozen=True)
class LineState:
    """What the rules need to know about every period, read once (3 queries)."""

    statuses: dict[str, str]
    active: set[str]  # periods with a close running or waiting
    first_month: PeriodRef | None

    @classmethod
    def load(cls) -> LineState:
        return cls(
            statuses=dict(Period.objects.values_list("code", "status")),
            active=set(CloseJob.objects.filter(status__in=CloseJob.ACTIVE).values_list("period__code", flat=True)),
            first_month=first_month_of_history(),
        )

    def settled(self, code: str, ahead: Iterable[str]) -> bool:
        """Closed, or going to be: a close of it waits ahead in the line."""
        return self.statuses.get(code) == Period.Status.CLOSED or code in ahead


def close_problems(
    ref: PeriodRef, *, today: date, state: LineState | None = None, ahead: Iterable[str] = ()
) -> list[str]:
    """Why the period ``ref`` cannot close now (empty when it can). ``ahead``: periods whose closes
    wait before this one in the line; they count as closed."""
    state = state or LineState.load()
    ahead = set(ahead)
    code = ref.code
    status = state.statuses.get(code, Period.Status.OPEN)
    if status == Period.Status.CLOSED:
        return [gettext("%(code)s is already closed") % {"code": code}]
    if status == Period.Status.CLOSING:
        return [gettext("a close of %(code)s is already running") % {"code": code}]
    if code in state.active:
        return [gettext("%(code)s is already waiting in line to close") % {"code": code}]
    problems = []
    if today <= ref.end:
        problems.append(
            gettext("%(code)s has not ended: it can close from %(date)s")
            % {"code": code, "date": (ref.end + timedelta(days=1)).isoformat()}
        )
    waiting_for = [child.code for child in ref.children() if not state.settled(child.code, ahead)]
    if ref.kind == MONTH:
        previous = ref.previous()
        # The first month of the history waits for nothing, nor do months before it (they hold nothing).
        is_first = state.first_month is None or ref <= state.first_month
        if not is_first and not state.settled(previous.code, ahead):
            waiting_for.append(previous.code)
    if waiting_for:
        sentence = ngettext(
            "%(code)s cannot close before %(parts)s is closed",
            "%(code)s cannot close before %(parts)s are closed",
            len(waiting_for),
        )
        problems.append(sentence % {"code": code, "parts": ", ".join(waiting_for)})
    try:
        policy_version_for(ref)
    except NoPolicyError as exc:
        problems.append(str(exc))
    return problems


def periods_due(*, today: date, grace_days: int = 0) -> list[str]:
    """Every period a "close everything due" would request, in order: the open months from the first
    month of history that ended ``grace_days`` or more days ago, then the quarters and then the years
    whose parts will all be closed."""
    state = LineState.load()
    first = state.first_month
    if first is None:
        return []
    # Ended (its last day is over), and at least ``grace_days`` ago: due on the grace_days-th day after.
    last_day = min(today - timedelta(days=1), today - timedelta(days=grace_days))
    due: list[str] = []
    month = first
    while month.end <= last_day:
        if not state.settled(month.code, due) and month.code not in state.active:
            due.append(month.code)
        month = month.next()
    for kind in (QUARTER, YEAR):
        parents = sorted({parent for code in [*state.statuses, *due] for parent in _parents_of(code, kind)})
        for parent in parents:
            if parent.code in state.active or state.settled(parent.code, due) or parent.end >= today:
                continue
            if all(state.settled(child.code, due) or child.code in state.active for child in parent.children()):
                due.append(parent.code)
    return due


def _parents_of(code: str, kind: str) -> list[PeriodRef]:
    ref = PeriodRef.parse(code)
    return [parent for parent in ref.parents() if parent.kind == kind]


# --------------------------------------------------------------------------- requests and the line


def period_close_request(*, code: str, user=None, scheduled: bool = False, today: date | None = None) -> CloseJob:
    """Put a close of ``code`` in the line; raises ``CloseRefused`` with the reasons.

    A close of a period whose running close died (its lease ran out) is that close: it is returned,
    and the line takes it over when the caller starts the line. The caller starts the line once
    this is committed (``closing.tasks.close_period_enqueue``)."""
    ref = _parse(code)
    today = today or timezone.localdate()

    def request() -> CloseJob | list[str]:
        with _line_locked():
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
        with _line_locked():
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
        with _line_locked():
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
        with _line_locked():
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
                    _finish(job, CloseJob.Status.FAILED, now, reason)
                    PeriodEvent.objects.create(
                        period=job.period,
                        action=PeriodEvent.Action.CLOSE_REFUSED,
                        actor=job.requested_by,
                        reason=reason,
                        details={"scheduled": job.scheduled, "at_start": True},
                    )
                    continue
                CloseJob.objects.filter(pk=job.pk).update(
                    status=CloseJob.Status.RUNNING, attempt=1, started_at=now, lease_expires_at=_lease_until(now)
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
    _discard_results(job.period_id)
    details = {"attempt": job.attempt, "lease_expired_at": job.lease_expires_at.isoformat()}
    if job.attempt >= MAX_ATTEMPTS:
        reason = ngettext(
            "the close stopped %(count)s time without finishing (its worker died)",
            "the close stopped %(count)s times without finishing (its worker died)",
            job.attempt,
        ) % {"count": job.attempt}
        Period.objects.filter(pk=job.period_id, status=Period.Status.CLOSING).update(status=Period.Status.OPEN)
        _finish(job, CloseJob.Status.FAILED, now, reason)
        PeriodEvent.objects.create(
            period=job.period, action=PeriodEvent.Action.CLOSE_FAILED, reason=reason, details=details
        )
        return None
    attempt = job.attempt + 1
    CloseJob.objects.filter(pk=job.pk).update(
        attempt=attempt, started_at=now, lease_expires_at=_lease_until(now), steps_done=0, steps_total=0
    )
    PeriodEvent.objects.create(period=job.period, action=PeriodEvent.Action.CLOSE_TAKEN_OVER, details=details)
    _notify_hr_of_trouble(job.period.code, reason="", taken_over=True)
    logger.warning("close of %s taken over: attempt %s after the lease ran out", job.period.code, attempt)
    return CloseStart(job.pk, attempt)


def _notify_hr_of_trouble(code: str, *, reason: str, taken_over: bool) -> None:
    notify(
        kind=Kind.CLOSE_TROUBLE,
        user_ids=hr_user_ids(),
        params={"period": code, "reason": reason, "taken_over": taken_over},
        url=reverse("hr:period_detail", args=[code]),
    )


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


def _finish(job: CloseJob, status: str, now: datetime, message: str = "") -> None:
    CloseJob.objects.filter(pk=job.pk).update(status=status, finished_at=now, message=message[:2000])


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


def periods_to_act_on(*, today: date, state: LineState | None = None):
    """The periods HR can do something with, newest first: every closed or closing one, and every
    open one that has begun and is not wholly before the first month of the history (such a period
    holds nothing and could only close after months nobody will close)."""
    state = state or LineState.load()
    first = state.first_month
    periods = Period.objects.select_related("closed_by").filter(start__lte=today).order_by("-end", "start")
    if first is not None:
        periods = periods.exclude(status=Period.Status.OPEN, end__lt=first.start)
    return periods


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


# --------------------------------------------------------------------------- one attempt


def _current(job_id: int, attempt: int) -> CloseJob:
    """The job if ``attempt`` is still its current, running attempt; renews its lease (a row lock
    on PostgreSQL until the caller's transaction ends, so a takeover waits for it)."""
    now = timezone.now()
    renewed = CloseJob.objects.filter(pk=job_id, attempt=attempt, status=CloseJob.Status.RUNNING).update(
        lease_expires_at=_lease_until(now)
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
        with _line_locked():
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


def period_close_fail(*, job_id: int, attempt: int, reason: str) -> None:
    """Undo a failed attempt: partial results go, the period is open again, the reason is kept.

    Retried while the database is locked; should it still not get through, the job keeps its lease
    only until it runs out, and the line then takes it over: never a period stuck in closing."""

    def fail() -> None:
        with _line_locked():
            job = (
                CloseJob.objects.select_related("period")
                .filter(pk=job_id, attempt=attempt, status=CloseJob.Status.RUNNING)
                .first()
            )
            if job is None:
                return  # finished, or taken over by a newer attempt
            if Period.objects.filter(pk=job.period_id, status=Period.Status.CLOSING).update(status=Period.Status.OPEN):
                _discard_results(job.period_id)
            _finish(job, CloseJob.Status.FAILED, timezone.now(), reason)
            CloseJob.objects.filter(pk=job_id).update(lease_expires_at=None)
            PeriodEvent.objects.create(
                period=job.period, action=PeriodEvent.Action.CLOSE_FAILED, actor=job.requested_by, reason=reason[:2000]
            )
            _notify_hr_of_trouble(job.period.code, reason=reason[:2000], taken_over=False)

    with_lock_retries(fail, attempts=30)


def _discard_results(period_id: int) -> None:
    """Remove a period's scorecards (with their KPI rows) and undecided suggestions; decided rewards
    are kept. A few statements whatever the size."""
    scorecards_discard(period_id=period_id)
    suggestions_discard_pending(period_id=period_id)


# --------------------------------------------------------------------------- reopening


def reopen_cascade(ref: PeriodRef, statuses: dict[str, str]) -> list[PeriodRef]:
    """What reopening ``ref`` reopens (POLICY.md §3): a month, every later closed month and every
    closed quarter and year containing a reopened month; a quarter, its year. In close order."""
    closed = {code for code, status in statuses.items() if status == Period.Status.CLOSED}
    reopened = [ref]
    if ref.kind == MONTH:
        months = sorted(PeriodRef.parse(code) for code in closed if PeriodRef.parse(code).kind == MONTH)
        reopened += [month for month in months if month > ref]
    if ref.kind in (MONTH, QUARTER):
        parents = {parent for period in reopened for parent in period.parents() if parent.code in closed}
        reopened += sorted(parents)
    order = {MONTH: 0, QUARTER: 1, YEAR: 2}
    return sorted(set(reopened), key=lambda period: (order[period.kind], period.start))


def period_reopen(*, code: str, reason: str, user=None) -> list[Period]:
    """Reopen a closed period and everything that depends on it, with one written reason kept on
    each; their scorecards and undecided suggestions go (recomputed on the next close), decided
    rewards stay. Refused while any close runs or waits. Returns the reopened periods."""
    reason = (reason or "").strip()
    ref = _parse(code)

    def reopen() -> list[Period] | str:
        with _line_locked():
            period = Period.objects.filter(code=ref.code).first()
            problem = _reopen_problem(ref, period, reason)
            if problem:
                if period is not None:
                    PeriodEvent.objects.create(
                        period=period, action=PeriodEvent.Action.REOPEN_REFUSED, actor=user, reason=problem
                    )
                return problem
            statuses = dict(Period.objects.values_list("code", "status"))
            codes = [period.code for period in reopen_cascade(ref, statuses)]
            periods = {period.code: period for period in Period.objects.filter(code__in=codes)}
            for cascade_code in codes:
                target = periods[cascade_code]
                Period.objects.filter(pk=target.pk).update(status=Period.Status.OPEN, closed_at=None, closed_by=None)
                _discard_results(target.pk)
                PeriodEvent.objects.create(
                    period=target,
                    action=PeriodEvent.Action.REOPENED,
                    actor=user,
                    reason=reason,
                    details={"reopened_with": ref.code} if cascade_code != ref.code else {"cascade": codes},
                )
            return [Period.objects.get(pk=periods[c].pk) for c in codes]

    outcome = with_lock_retries(reopen)
    if isinstance(outcome, str):
        raise CloseRefused(outcome)
    return outcome


def _reopen_problem(ref: PeriodRef, period: Period | None, reason: str) -> str:
    if not reason:
        return gettext("a reason is required to reopen a period")
    if period is None or period.status != Period.Status.CLOSED:
        return gettext("%(code)s is not closed") % {"code": ref.code}
    active = list(
        CloseJob.objects.filter(status__in=CloseJob.ACTIVE)
        .order_by("created_at")
        .values_list("period__code", flat=True)
    )
    if active:
        return gettext("a close is running or waiting (%(codes)s); reopen once the line is empty") % {
            "codes": ", ".join(active)
        }
    return ""
