"""Reads behind the HR console's periods (/hr/periods/…) and the close job's page (/hr/jobs/<id>/):
which periods to list, a period's history, last close and counts, what a finished close recorded."""

from __future__ import annotations

from datetime import date, datetime

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from appraisals.models import Period, PeriodEvent, Scorecard
from closing import rules
from closing.models import CloseJob
from rewards.models import RewardSuggestion
from roles.models import Employee


def get_period_for_hr(code: str) -> Period:
    """The period of a code, or 404 (HR sees every period; the caller has checked the audience)."""
    return get_object_or_404(Period.objects.select_related("closed_by"), code=code)


def get_job_for_hr(job_id: int) -> CloseJob:
    """A close job, or 404 (HR sees every job; the caller has checked the audience)."""
    return get_object_or_404(CloseJob.objects.select_related("period", "requested_by"), pk=job_id)


def period_or_none(code: str) -> Period | None:
    """The period of a code when it has a row yet (a checklist can come before it)."""
    return Period.objects.filter(code=code).first()


def periods_listed(*, everything: bool, kind: str, today: date, state: rules.LineState) -> QuerySet[Period]:
    """The periods page's list, newest first: every period, or only those to act on (the close line's
    view of ``today``); of one kind when given."""
    if everything:
        listed = Period.objects.select_related("closed_by").order_by("-end", "start")
    else:
        listed = rules.periods_to_act_on(today=today, state=state)
    if kind:
        listed = listed.filter(kind=kind)
    return listed


def period_events(period: Period) -> QuerySet[PeriodEvent]:
    """The period's history, newest first (read when shown)."""
    return period.events.select_related("actor").order_by("-at", "-id")


def last_close_job(period: Period) -> CloseJob | None:
    return period.close_jobs.select_related("requested_by").order_by("-created_at", "-id").first()


def scorecard_count(period: Period) -> int:
    return Scorecard.objects.filter(period=period).count()


def reward_count(period: Period) -> int:
    return RewardSuggestion.objects.filter(period=period).count()


def failed_close_job(*, code: str, user, since: datetime) -> CloseJob | None:
    """The close of ``code`` that ``user`` asked for at ``since`` or later and that failed, if any."""
    return (
        CloseJob.objects.filter(period__code=code, status=CloseJob.Status.FAILED)
        .filter(requested_by=user, created_at__gte=since)
        .order_by("-created_at", "-id")
        .first()
    )


def close_summary(close_job: CloseJob) -> dict | None:
    """The counts a finished close recorded on its period's history (``None`` before it is done)."""
    if close_job.status != CloseJob.Status.DONE:
        return None
    event = (
        PeriodEvent.objects.filter(
            period=close_job.period, action=PeriodEvent.Action.CLOSED, at__gte=close_job.created_at
        )
        .order_by("at", "id")
        .first()
    )
    return event.details if event else None


def people_without_data(summary: dict | None, *, limit: int) -> list[tuple[str, str]]:
    """(employee_no, name) of the first ``limit`` people the close found without data (1 query)."""
    sample = (summary or {}).get("no_data_sample") or []
    if not sample:
        return []
    shown = sample[:limit]
    names = dict(Employee.objects.filter(employee_no__in=shown).values_list("employee_no", "name"))
    return [(number, names.get(number, "")) for number in shown]
