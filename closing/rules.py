"""The rules of the close (POLICY.md §3): what may close now and why not, what is due, the first month
of the history, and the periods HR can act on.

A period closes once its last day has ended; months close in order (the first month of the history
waits for nothing), a quarter after its three months, a year after its four quarters. A close
already waiting in the line counts as done for the closes behind it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Exists, OuterRef, QuerySet
from django.utils.translation import gettext, ngettext

from appraisals.models import MetricValue, Period, Scorecard
from appraisals.periods import MONTH, QUARTER, YEAR, PeriodCodeError, PeriodRef
from appraisals.selectors import NoPolicyError, policy_version_for
from closing.exceptions import CloseRefused
from closing.models import CloseJob


def parse_period_code(code: str) -> PeriodRef:
    """The period a code names, or ``CloseRefused`` saying what is wrong with the code."""
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


def periods_to_act_on(*, today: date, state: LineState | None = None) -> QuerySet[Period]:
    """The periods HR can do something with, newest first: every closed or closing one, and every
    open one that has begun and is not wholly before the first month of the history (such a period
    holds nothing and could only close after months nobody will close)."""
    state = state or LineState.load()
    first = state.first_month
    periods = Period.objects.select_related("closed_by").filter(start__lte=today).order_by("-end", "start")
    if first is not None:
        periods = periods.exclude(status=Period.Status.OPEN, end__lt=first.start)
    return periods
