"""What the engine scores: the period, and each employee's figures pre-aggregated by a selector."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from appraisals.engine.base import ZERO
from appraisals.periods import MONTH, PeriodRef


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
