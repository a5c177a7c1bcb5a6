"""Reopening (POLICY.md §3): a closed period reopens with a written reason, and so does everything
that depends on it. A month reopens every later closed month and every closed quarter and year
containing a reopened month; a quarter reopens its year. Refused while any close runs or waits.
"""

from __future__ import annotations

from django.utils.translation import gettext

from appraisals.models import Period, PeriodEvent
from appraisals.periods import MONTH, QUARTER, YEAR, PeriodRef
from closing.attempt import period_results_discard
from closing.exceptions import CloseRefused
from closing.lock import line_locked
from closing.models import CloseJob
from closing.rules import parse_period_code
from sales_perf.locks import with_lock_retries


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
    ref = parse_period_code(code)

    def reopen() -> list[Period] | str:
        with line_locked():
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
                period_results_discard(period_id=target.pk)
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
