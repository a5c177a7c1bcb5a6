"""What the engine scores: the period, each employee's figures pre-aggregated by a selector, and the
plan of what a selector reads for them (``InputsPlan``)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from appraisals.engine.base import ZERO
from appraisals.periods import MONTH, PeriodRef

if TYPE_CHECKING:
    from appraisals.engine.policy import PolicyRules


@dataclass(frozen=True, slots=True)
class PeriodSpec:
    code: str
    kind: str  # "month" | "quarter" | "year"
    months: tuple[str, ...]
    quarters: tuple[str, ...]
    last_quarter: str | None
    baseline_quarter: str | None
    previous_months: tuple[str, ...] = ()

    @classmethod
    def from_code(cls, code: str, *, history_months: int = 0) -> PeriodSpec:
        """Build the spec of a period code; ``history_months`` earlier months (most recent
        first) are listed for a month, e.g. ``policy.flex_history_months()``."""
        ref = PeriodRef.parse(code)
        last, baseline = ref.last_quarter, ref.baseline_quarter
        return cls(
            code=ref.code,
            kind=ref.kind,
            months=tuple(month.code for month in ref.months()),
            quarters=tuple(quarter.code for quarter in ref.quarters()),
            last_quarter=last.code if last else None,
            baseline_quarter=baseline.code if baseline else None,
            previous_months=tuple(m.code for m in ref.previous_months(history_months)) if ref.kind == MONTH else (),
        )


@dataclass(frozen=True, slots=True)
class MetricAgg:
    """Σ and number of recorded values of one metric over the period's sub-periods."""

    total: Decimal
    count: int


NO_VALUES = MetricAgg(ZERO, 0)


@dataclass(frozen=True, slots=True)
class EmployeeInput:
    key: int
    role: str
    reports_to: int | None
    totals: Mapping[str, MetricAgg]
    by_month: Mapping[str, Mapping[str, Decimal]] = field(default_factory=dict)
    at: Mapping[tuple[str, str], Decimal] = field(default_factory=dict)
    previous_bands: Mapping[str, str] = field(default_factory=dict)
    quarterly_bonus_base: Decimal | None = None
    annual_bonus_base: Decimal | None = None


@dataclass(frozen=True, slots=True)
class UnitAggregate:
    """Sums over unit(e). For an employee without reports these are the employee's own
    mappings (shared, not copied), so they may hold more metrics than the unit needs."""

    totals: Mapping[str, MetricAgg]
    by_month: Mapping[str, Mapping[str, Decimal]]
    has_team: bool


@dataclass(frozen=True, slots=True)
class TargetHits:
    """M2's tally over a team: (d, month) pairs with a unit target, and how many were hit."""

    pairs: int
    hits: int


def monthly_values(
    by_month: Mapping[str, Mapping[str, Decimal]], totals: Mapping[str, MetricAgg], metric: str, period: PeriodSpec
) -> Mapping[str, Decimal]:
    """{month: value} of one metric. For a month period a metric the selector left out of
    ``by_month`` is read from ``totals``: there they are the same figure."""
    values = by_month.get(metric)
    if values is not None:
        return values
    if period.kind == MONTH:
        agg = totals.get(metric)
        if agg is not None and agg.count:
            return {period.code: agg.total}
    return {}


@dataclass(frozen=True, slots=True)
class InputsPlan:
    """What a selector reads to score one period under one policy, decided once before any query:
    which periods, which metrics at which of them, which unit sums. Periods are codes; empty
    metrics mean nothing of that kind is read."""

    period: PeriodSpec
    # the period's months and quarters: own totals (and unit totals) are summed over them
    sub_periods: tuple[str, ...]
    # own values month by month over a quarter or a year (the commission of each month); () for a month,
    # where a month's totals are its value
    by_month_metrics: tuple[str, ...]
    # values at single quarters (a delta KPI such as M5), at the last and the baseline quarter
    point_metrics: tuple[str, ...]
    point_quarters: tuple[str, ...]
    # earlier months whose bands a month's flex time reads
    band_months: tuple[str, ...]
    # summed over unit(e) of each employee with a team (S1, M1, M3)
    unit_metrics: tuple[str, ...]
    # summed month by month over unit(d) of the team members d that have a team (M2), for these roles
    unit_month_metrics: tuple[str, ...]
    roles_comparing_team_targets: frozenset[str]

    @classmethod
    def of(cls, policy: PolicyRules, period: PeriodSpec) -> InputsPlan:
        return cls(
            period=period,
            sub_periods=period.months + period.quarters,
            by_month_metrics=() if period.kind == MONTH else tuple(sorted(policy.commission_metrics(period.kind))),
            point_metrics=tuple(sorted(policy.point_metrics())),
            point_quarters=tuple(code for code in (period.last_quarter, period.baseline_quarter) if code),
            band_months=period.previous_months,
            unit_metrics=tuple(sorted(policy.unit_metrics())),
            unit_month_metrics=tuple(sorted(policy.unit_metrics_by_month())),
            roles_comparing_team_targets=policy.roles_comparing_team_targets(),
        )

    @property
    def period_codes(self) -> tuple[str, ...]:
        """Every period whose id the reads need."""
        return self.sub_periods + self.point_quarters + self.band_months
