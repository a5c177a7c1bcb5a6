"""Quarterly ratings (POLICY.md §4): who rates whom, on which metrics, and the write.

- A lead (supervisor or manager) rates their direct reports: supervisors their reps, managers
  their supervisors. HR may rate anyone. Nobody rates themself.
- What a person is rated on comes from the policy in force for the quarter: the metrics behind
  their role's "mean of own values" KPIs that are quarterly ratings (rep: collaboration and
  skill_growth; supervisor: collaboration and team_efficiency; manager: collaboration).
- Only an open quarter takes ratings; a closed (or closing) one is frozen.
- The ratings grid (``ratings_grid`` / ``ratings_grid_save``) takes a lead's whole team in one form:
  a rating of 2 or below, or of 5, needs a comment, and the save is all or nothing.
- ``unrated`` lists who still lacks a rating of a quarter: the team page, HR's pre-close checklist
  and the ratings-due reminder all read it.
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

from appraisals.models import KpiDefinition, Metric, MetricValue, Period, PolicyVersion, RatingComment
from appraisals.periods import QUARTER, PeriodCodeError, PeriodRef
from roles.access import LEAD, audience, is_hr, viewer_employee
from roles.models import Employee, Role

# MetricValue.value is numeric(18, 4).
_VALUE_QUANTUM = Decimal("0.0001")
# A rating at or below this, or at the top of the scale, carries weight: the lead says why.
COMMENT_AT_OR_BELOW = Decimal("2")
COMMENT_AT = Decimal("5")


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


def _rating_kpis(**filters):
    """The KPIs that are the mean of a quarterly rating (the ones a lead enters), in their order."""
    return (
        KpiDefinition.objects.filter(
            **filters,
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
        for kpi in _rating_kpis(policy_version_id__in=sorted(wanted), role_id=role_id):
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
    *,
    rater_user,
    employee: Employee,
    quarter_code: str,
    values: Mapping[str, Decimal],
    comments: Mapping[str, str] | None = None,
) -> list[MetricValue]:
    """Save ``employee``'s ratings for an open quarter; a metric left out keeps its stored value.

    A rating of 2 or below, or of 5, needs a comment (``comments`` by metric code, or one already
    stored for that rating); a comment given is saved with the rating.

    Raises ``PermissionDenied`` when the rater may not rate this person and ``RatingRefused``
    for a closed quarter, a metric the person is not rated on, a value out of range or a missing
    comment. All or nothing: either every value is saved (with who and when) or none."""
    comments = {code: text.strip() for code, text in (comments or {}).items() if text and text.strip()}
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
        period = _locked_quarter(quarter)
        if period.status != Period.Status.OPEN:
            raise RatingRefused(quarter_frozen_message(quarter.code, period.status), field="quarter")
        commented = set(
            RatingComment.objects.filter(employee=employee, period=period).values_list("metric_id", flat=True)
        )
        for code in (c for c in metrics if c in values):
            if comment_required(values[code]) and code not in comments and code not in commented:
                raise RatingRefused(
                    gettext("A rating of 2 or below, or of 5, needs a comment."),
                    field=code,
                )
        now = timezone.now()
        saved = []
        for code in (c for c in metrics if c in values):
            # A comment left out keeps the stored one (the person page does not show it).
            saved.append(
                _store_rating(
                    employee=employee,
                    period=period,
                    metric=metrics[code],
                    value=values[code],
                    comment=comments.get(code),
                    user=rater_user,
                    now=now,
                )
            )
    return saved


def _locked_quarter(quarter: PeriodRef) -> Period:
    """The quarter's period (made if need be), its row held so a close cannot claim the quarter
    half-way through a ratings write; the caller checks that it is open."""
    period, _ = Period.objects.get_or_create(code=quarter.code, defaults=Period.fields_for(quarter))
    return Period.objects.select_for_update().get(pk=period.pk)


def _store_rating(
    *, employee: Employee, period: Period, metric: Metric, value: Decimal, comment: str | None, user, now
) -> MetricValue:
    """Write one rating with who and when, and its comment: a text is kept, "" removes the stored
    one, ``None`` leaves it as it is."""
    stored, _ = MetricValue.objects.update_or_create(
        employee=employee,
        period=period,
        metric=metric,
        defaults={"value": value, "entered_by": user, "entered_at": now},
    )
    if comment:
        RatingComment.objects.update_or_create(
            employee=employee,
            period=period,
            metric=metric,
            defaults={"text": comment, "entered_by": user, "entered_at": now},
        )
    elif comment is not None:
        RatingComment.objects.filter(employee=employee, period=period, metric=metric).delete()
    return stored


def comment_required(value: Decimal | None) -> bool:
    """Whether a rating needs a comment: 2 or below, or 5."""
    return value is not None and (value <= COMMENT_AT_OR_BELOW or value == COMMENT_AT)


def _as_quarter(quarter: PeriodRef | str) -> PeriodRef:
    ref = quarter if isinstance(quarter, PeriodRef) else PeriodRef.parse(quarter)
    if ref.kind != QUARTER:
        raise PeriodCodeError(f"{ref.code} is not a quarter")
    return ref


def rating_metrics_by_role(*, quarter: PeriodRef) -> dict[int, tuple[Metric, ...]]:
    """Role id → the metrics that role is rated on in ``quarter``, from the policy in force (2 queries)."""
    version = (
        PolicyVersion.objects.filter(effective_from__lte=quarter.start)
        .order_by("-effective_from")
        .values_list("id", flat=True)
        .first()
    )
    if version is None:
        return {}
    by_role: dict[int, list[Metric]] = {}
    for kpi in _rating_kpis(policy_version_id=version):
        metrics = by_role.setdefault(kpi.role_id, [])
        if kpi.numerator_metric not in metrics:
            metrics.append(kpi.numerator_metric)
    return {role_id: tuple(metrics) for role_id, metrics in by_role.items()}


@dataclass(frozen=True)
class UnratedPerson:
    """Somebody with at least one rating of the quarter not entered yet, and who rates them."""

    employee_id: int
    employee_no: str
    name: str
    rater_id: int | None  # None: nobody above them; HR rates them
    rater_no: str
    rater_name: str
    missing: tuple[Metric, ...]

    @property
    def missing_names(self) -> str:
        return ", ".join(metric.name for metric in self.missing)


def unrated(*, quarter: PeriodRef | str, rater: Employee | None = None) -> list[UnratedPerson]:
    """The active people still missing a rating of ``quarter``, by employee_no; with ``rater``, only
    the people that lead rates (their direct reports). A fixed number of queries (4) whatever the size."""
    ref = _as_quarter(quarter)
    metrics_of = rating_metrics_by_role(quarter=ref)
    if not metrics_of:
        return []
    people = Employee.objects.filter(is_active=True, role_id__in=list(metrics_of))
    if rater is not None:
        people = people.filter(reports_to=rater)
    codes = {metric.code for metrics in metrics_of.values() for metric in metrics}
    stored: dict[int, set[str]] = {}
    for employee_id, code in MetricValue.objects.filter(
        period__code=ref.code, metric_id__in=codes, employee_id__in=people.values("pk")
    ).values_list("employee_id", "metric_id"):
        stored.setdefault(employee_id, set()).add(code)
    found = []
    for pk, no, name, role_id, rater_id, rater_no, rater_name in people.order_by("employee_no").values_list(
        "pk", "employee_no", "name", "role_id", "reports_to_id", "reports_to__employee_no", "reports_to__name"
    ):
        missing = tuple(m for m in metrics_of[role_id] if m.code not in stored.get(pk, ()))
        if missing:
            found.append(UnratedPerson(pk, no, name, rater_id, rater_no or "", rater_name or "", missing))
    return found


# --------------------------------------------------------------------------- the ratings grid


@dataclass(frozen=True)
class GridCell:
    metric: Metric
    value: Decimal | None
    comment: str


@dataclass(frozen=True)
class GridRow:
    employee: Employee
    cells: tuple[GridCell, ...]

    @property
    def unrated(self) -> int:
        return sum(1 for cell in self.cells if cell.value is None)


@dataclass(frozen=True)
class RatingsGrid:
    quarter: PeriodRef
    status: str  # Period.Status; "open" when no Period row exists yet
    rows: tuple[GridRow, ...]

    @property
    def is_open(self) -> bool:
        return self.status == Period.Status.OPEN

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """Every metric somebody in the grid is rated on, in policy order (the grid's columns)."""
        seen: dict[str, Metric] = {}
        for row in self.rows:
            for cell in row.cells:
                seen.setdefault(cell.metric.code, cell.metric)
        return tuple(seen.values())

    @property
    def unrated_count(self) -> int:
        return sum(1 for row in self.rows if row.unrated)


def grid_rater(user) -> Employee | None:
    """The lead whose grid ``user`` fills: their own employee record when it is an active
    supervisor or manager (an HR login that is also a lead included); ``None`` otherwise."""
    rater = viewer_employee(user)
    if rater is None or not rater.is_active or rater.role.code == Role.REP:
        return None
    return rater


def rated_by(rater: Employee):
    """The people a lead rates: their active direct reports."""
    return Employee.objects.filter(reports_to=rater, is_active=True).select_related("role")


def ratings_grid(*, rater: Employee, quarter: PeriodRef | str) -> RatingsGrid:
    """One row per person ``rater`` rates, one cell per rating of the quarter with what is stored
    (a fixed number of queries: 6)."""
    ref = _as_quarter(quarter)
    metrics_of = rating_metrics_by_role(quarter=ref)
    people = list(rated_by(rater).filter(role_id__in=list(metrics_of)).order_by("name", "employee_no"))
    ids = [person.pk for person in people]
    values = {
        (employee_id, code): value
        for employee_id, code, value in MetricValue.objects.filter(
            period__code=ref.code, employee_id__in=ids, metric__unit=Metric.Unit.RATING
        ).values_list("employee_id", "metric_id", "value")
    }
    comments = {
        (employee_id, code): text
        for employee_id, code, text in RatingComment.objects.filter(
            period__code=ref.code, employee_id__in=ids
        ).values_list("employee_id", "metric_id", "text")
    }
    status = Period.objects.filter(code=ref.code).values_list("status", flat=True).first() or Period.Status.OPEN
    rows = tuple(
        GridRow(
            employee=person,
            cells=tuple(
                GridCell(
                    metric=metric,
                    value=values.get((person.pk, metric.code)),
                    comment=comments.get((person.pk, metric.code), ""),
                )
                for metric in metrics_of[person.role_id]
            ),
        )
        for person in people
    )
    return RatingsGrid(quarter=ref, status=status, rows=rows)


@dataclass(frozen=True)
class GridEntry:
    """What the lead entered in one cell: a rating (None: left empty) and its comment."""

    value: Decimal | None
    comment: str = ""


@dataclass(frozen=True)
class GridError:
    employee_no: str
    metric: str  # a metric code; "" for the whole grid
    message: str


class RatingsInvalid(Exception):
    """The grid was not saved; ``errors`` says which person and which rating, and why."""

    def __init__(self, errors: Sequence[GridError]) -> None:
        super().__init__("; ".join(error.message for error in errors))
        self.errors = list(errors)


def ratings_grid_save(*, rater_user, quarter: PeriodRef | str, entries: Mapping[str, Mapping[str, GridEntry]]) -> int:
    """Save a lead's grid: ``entries`` is employee_no → metric code → entry. All or nothing.

    An empty cell keeps what is stored. Raises ``PermissionDenied`` when the user is no lead or a
    person is not one they rate, and ``RatingsInvalid`` naming every bad cell (out of range, a
    metric the person is not rated on, a missing comment) or a quarter that is not open.
    Returns how many ratings were written."""
    rater = grid_rater(rater_user)
    if rater is None:
        raise PermissionDenied
    ref = _as_quarter(quarter)
    metrics_of = rating_metrics_by_role(quarter=ref)
    people = {person.employee_no: person for person in rated_by(rater).filter(employee_no__in=list(entries))}
    if set(entries) - set(people):
        raise PermissionDenied
    errors: list[GridError] = []
    writes: list[tuple[Employee, Metric, GridEntry]] = []
    for employee_no, cells in entries.items():
        person = people[employee_no]
        metrics = {metric.code: metric for metric in metrics_of.get(person.role_id, ())}
        for code, entry in cells.items():
            metric = metrics.get(code)
            who = f"{person.name} ({person.employee_no})"
            if metric is None:
                errors.append(
                    GridError(
                        employee_no,
                        code,
                        gettext("%(person)s is not rated on %(metric)s in %(quarter)s.")
                        % {"person": who, "metric": code, "quarter": ref.code},
                    )
                )
                continue
            if entry.value is None:
                continue
            try:
                _check_value(metric, entry.value)
            except RatingRefused as refused:
                errors.append(GridError(employee_no, code, f"{who}, {metric.name}: {refused.message}"))
                continue
            if comment_required(entry.value) and not entry.comment.strip():
                errors.append(
                    GridError(
                        employee_no,
                        code,
                        gettext("%(person)s, %(metric)s: a rating of 2 or below, or of 5, needs a comment.")
                        % {"person": who, "metric": metric.name},
                    )
                )
                continue
            writes.append((person, metric, entry))
    if errors:
        raise RatingsInvalid(errors)

    with transaction.atomic():
        period = _locked_quarter(ref)
        if period.status != Period.Status.OPEN:
            raise RatingsInvalid([GridError("", "", quarter_frozen_message(ref.code, period.status))])
        now = timezone.now()
        for person, metric, entry in writes:
            # The grid shows the stored comments: a cell emptied removes its comment.
            _store_rating(
                employee=person,
                period=period,
                metric=metric,
                value=entry.value,
                comment=entry.comment.strip(),
                user=rater_user,
                now=now,
            )
    return len(writes)
