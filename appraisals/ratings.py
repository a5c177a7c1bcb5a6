"""Quarterly ratings (POLICY.md §4): who rates whom, on which metrics, and the write.

- A lead (supervisor or manager) rates their direct reports: supervisors their reps, managers
  their supervisors. HR may rate anyone. Nobody rates themself.
- What a person is rated on comes from the policy in force for the quarter: the metrics behind
  their role's "mean of own values" KPIs that are quarterly ratings (rep: collaboration and
  skill_growth; supervisor: collaboration and team_efficiency; manager: collaboration).
- Only an open quarter takes ratings; a closed (or closing) one is frozen.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from appraisals.models import KpiDefinition, Metric, MetricValue, Period, PolicyVersion
from appraisals.periods import QUARTER, PeriodRef
from roles.access import LEAD, audience, is_hr, viewer_employee
from roles.models import Employee

# MetricValue.value is numeric(18, 4).
_VALUE_QUANTUM = Decimal("0.0001")


class RatingRefused(Exception):
    """Ratings that must not be saved; ``message`` is for the person entering them."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field  # the metric code (or "quarter") the message is about, None for the whole entry


@dataclass(frozen=True)
class QuarterOption:
    """One quarter the rating form may offer, with what can be rated in it and what is stored."""

    code: str
    status: str  # Period.Status; "open" when no Period row exists yet
    metrics: tuple[Metric, ...]
    current: dict[str, Decimal] = field(default_factory=dict)

    @property
    def is_open(self) -> bool:
        return self.status == Period.Status.OPEN


def can_rate(user, employee: Employee) -> bool:
    """Whether ``user`` may enter ``employee``'s quarterly ratings (the view and the template ask this)."""
    if not user.is_authenticated:
        return False
    rater = viewer_employee(user)
    if rater is not None and rater.pk == employee.pk:
        return False
    if is_hr(user):
        return True
    if rater is None or audience(user) != LEAD:
        return False
    return employee.reports_to_id == rater.pk


def rating_quarters(today: date) -> tuple[PeriodRef, PeriodRef]:
    """The quarters ratings are entered for: the current one and the one before (still open until it closes)."""
    current = PeriodRef.month(today.year, today.month).parent_quarter()
    return current, current.previous()


def _rating_kpis(version_ids: Sequence[int], role_id: int):
    return (
        KpiDefinition.objects.filter(
            policy_version_id__in=list(version_ids),
            role_id=role_id,
            formula=KpiDefinition.Formula.OWN_MEAN,
            numerator_metric__unit=Metric.Unit.RATING,
            numerator_metric__cadence=Metric.Cadence.QUARTERLY,
        )
        .select_related("numerator_metric")
        .order_by("order", "id")
    )


def rating_metrics_by_quarter(*, role_id: int, quarters: Sequence[PeriodRef]) -> dict[str, tuple[Metric, ...]]:
    """The rating metrics of a role for each quarter, from the policy version in force (2 queries)."""
    versions = list(PolicyVersion.objects.order_by("-effective_from").values_list("id", "effective_from"))
    version_of: dict[str, int | None] = {}
    for quarter in quarters:
        version_of[quarter.code] = next((pk for pk, start in versions if start <= quarter.start), None)
    wanted = {pk for pk in version_of.values() if pk is not None}
    by_version: dict[int, list[Metric]] = {pk: [] for pk in wanted}
    if wanted:
        for kpi in _rating_kpis(sorted(wanted), role_id):
            metrics = by_version[kpi.policy_version_id]
            if kpi.numerator_metric not in metrics:
                metrics.append(kpi.numerator_metric)
    return {code: tuple(by_version.get(pk, ())) if pk else () for code, pk in version_of.items()}


def rating_options(*, employee: Employee, today: date) -> list[QuarterOption]:
    """The quarters of the rating form (current first) with their status, metrics and stored values (4 queries)."""
    quarters = rating_quarters(today)
    codes = [q.code for q in quarters]
    statuses = dict(Period.objects.filter(code__in=codes).values_list("code", "status"))
    metrics = rating_metrics_by_quarter(role_id=employee.role_id, quarters=quarters)
    current: dict[str, dict[str, Decimal]] = {code: {} for code in codes}
    for code, metric, value in MetricValue.objects.filter(
        employee=employee, period__code__in=codes, metric__unit=Metric.Unit.RATING
    ).values_list("period__code", "metric_id", "value"):
        current[code][metric] = value
    return [
        QuarterOption(
            code=code,
            status=statuses.get(code, Period.Status.OPEN),
            metrics=metrics[code],
            current=current[code],
        )
        for code in codes
    ]


def quarter_frozen_message(code: str, status: str) -> str:
    if status == Period.Status.CLOSING:
        return gettext("%(quarter)s is being closed; its ratings can no longer change.") % {"quarter": code}
    return gettext("%(quarter)s is closed; its ratings can no longer change.") % {"quarter": code}


def _check_value(metric: Metric, value: Decimal) -> None:
    if not isinstance(value, Decimal) or not value.is_finite():
        raise RatingRefused(gettext("Enter a number."), field=metric.code)
    low, high = metric.min_value, metric.max_value
    if high is not None and not low <= value <= high:
        raise RatingRefused(
            gettext("%(metric)s must be between %(low)s and %(high)s.")
            % {"metric": metric.name, "low": low.normalize(), "high": high.normalize()},
            field=metric.code,
        )
    if value < low:
        raise RatingRefused(
            gettext("%(metric)s must be at least %(low)s.") % {"metric": metric.name, "low": low.normalize()},
            field=metric.code,
        )
    if value != value.quantize(_VALUE_QUANTUM):
        raise RatingRefused(gettext("Use at most 4 decimal places."), field=metric.code)


def ratings_enter(
    *, rater_user, employee: Employee, quarter_code: str, values: Mapping[str, Decimal]
) -> list[MetricValue]:
    """Save ``employee``'s ratings for an open quarter; a metric left out keeps its stored value.

    Raises ``PermissionDenied`` when the rater may not rate this person and ``RatingRefused``
    for a closed quarter, a metric the person is not rated on, or a value out of range. All
    or nothing: either every value is saved (with who and when) or none."""
    if not can_rate(rater_user, employee):
        raise PermissionDenied
    quarter = PeriodRef.parse_or_none(quarter_code)
    if quarter is None or quarter.kind != QUARTER:
        raise RatingRefused(gettext("%(code)s is not a quarter.") % {"code": quarter_code}, field="quarter")
    if not values:
        raise RatingRefused(gettext("Enter at least one rating."))
    metrics = {m.code: m for m in rating_metrics_by_quarter(role_id=employee.role_id, quarters=[quarter])[quarter.code]}
    for code, value in values.items():
        metric = metrics.get(code)
        if metric is None:
            raise RatingRefused(
                gettext("%(metric)s is not rated for this person in %(quarter)s.")
                % {"metric": code, "quarter": quarter.code},
                field=code,
            )
        _check_value(metric, value)

    with transaction.atomic():
        period, _ = Period.objects.get_or_create(code=quarter.code, defaults=Period.fields_for(quarter))
        # Hold the period row so a close cannot claim the quarter half-way through this write.
        period = Period.objects.select_for_update().get(pk=period.pk)
        if period.status != Period.Status.OPEN:
            raise RatingRefused(quarter_frozen_message(quarter.code, period.status), field="quarter")
        now = timezone.now()
        saved = []
        for code in (c for c in metrics if c in values):
            value, _ = MetricValue.objects.update_or_create(
                employee=employee,
                period=period,
                metric=metrics[code],
                defaults={"value": values[code], "entered_by": rater_user, "entered_at": now},
            )
            saved.append(value)
    return saved
