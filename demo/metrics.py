"""The demo's periods and metric values: which months and quarters get figures, plausible figures
for each person within the metric catalogue's ranges, and their bulk write (one ``COPY`` on
PostgreSQL; ``executemany`` in chunks of 50,000 rows on other databases).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta

from appraisals.models import Metric, MetricValue, Period
from appraisals.periods import MONTH, PeriodRef
from demo.exceptions import DemoSeedError
from demo.org import DemoPerson
from roles.models import Role
from sales_perf.bulk import insert_rows

# (employee id, period id, metric, value text)
MetricRow = tuple[int, int, str, str]
# A metric's value as the text the catalogue accepts, by metric code.
ValueText = dict[str, Callable[[float], str]]


@dataclass(frozen=True)
class DemoPeriods:
    months: tuple[PeriodRef, ...]
    # Quarters that end inside the months: they get every quarterly metric.
    quarters: tuple[PeriodRef, ...]
    # The quarter before the first month's quarter: market_share only, so M5 has a baseline.
    baseline_quarter: PeriodRef

    @property
    def all(self) -> tuple[PeriodRef, ...]:
        return (*self.months, self.baseline_quarter, *self.quarters)


def demo_periods(*, end: PeriodRef, months: int) -> DemoPeriods:
    if end.kind != MONTH:
        raise DemoSeedError(f"the last month must be a month (YYYY-MM), not {end.code}")
    if months < 1:
        raise DemoSeedError("--months must be at least 1")
    month_refs = [end]
    while len(month_refs) < months:
        month_refs.append(month_refs[-1].previous())
    month_refs.reverse()
    in_range = set(month_refs)
    quarters = sorted({m.parent_quarter() for m in month_refs if m.parent_quarter().months()[-1] in in_range})
    return DemoPeriods(
        months=tuple(month_refs),
        quarters=tuple(quarters),
        baseline_quarter=month_refs[0].parent_quarter().previous(),
    )


def demo_periods_open(periods: DemoPeriods) -> dict[str, int]:
    """Period ids by code, creating missing ones as open; refuses if any is not open."""
    codes = [ref.code for ref in periods.all]
    existing = dict(Period.objects.filter(code__in=codes).values_list("code", "status"))
    not_open = sorted(code for code, status in existing.items() if status != Period.Status.OPEN)
    if not_open:
        raise DemoSeedError(f"period(s) {', '.join(not_open)} are not open; demo metrics go into open periods only")
    Period.objects.bulk_create(
        [Period(**Period.fields_for(ref)) for ref in periods.all if ref.code not in existing], ignore_conflicts=True
    )
    return dict(Period.objects.filter(code__in=codes).values_list("code", "pk"))


@dataclass(frozen=True)
class _Range:
    """One metric's valid values from the catalogue, and how many decimals the demo writes."""

    low: float
    high: float | None
    places: int

    def text(self, value: float) -> str:
        if value < self.low:
            value = self.low
        elif self.high is not None and value > self.high:
            value = self.high
        return f"{value:.{self.places}f}"


_PLACES_BY_UNIT = {Metric.Unit.MONEY: 2, Metric.Unit.COUNT: 0, Metric.Unit.RATING: 1, Metric.Unit.PERCENT: 1}
_SEEDED_METRICS = (
    "sales_target",
    "sales_actual",
    "new_customers",
    "new_customer_target",
    "customers_start",
    "customers_retained",
    "csat",
    "collaboration",
    "skill_growth",
    "team_efficiency",
    "market_share",
)


def metric_ranges() -> dict[str, _Range]:
    ranges = {
        metric.code: _Range(
            low=float(metric.min_value),
            high=float(metric.max_value) if metric.max_value is not None else None,
            places=0 if metric.integer_only else _PLACES_BY_UNIT.get(metric.unit, 2),
        )
        for metric in Metric.objects.filter(code__in=_SEEDED_METRICS)
    }
    missing = [code for code in _SEEDED_METRICS if code not in ranges]
    if missing:
        raise DemoSeedError(f"the metric catalogue lacks {', '.join(missing)}; run the migrations")
    return ranges


def _rating(rng: random.Random, mean: float) -> float:
    return round(rng.gauss(mean, 0.3), 1)


def metric_rows(
    rng: random.Random,
    *,
    people: list[DemoPerson],
    periods: DemoPeriods,
    period_ids: dict[str, int],
    ranges: dict[str, _Range],
    progress: Callable[[str], None],
) -> Iterator[MetricRow]:
    """(employee id, period id, metric, value text) for every demo employee, in a fixed order."""
    text = {code: r.text for code, r in ranges.items()}
    month_ids = [(period_ids[m.code], m.number) for m in periods.months]
    quarter_ids = [period_ids[q.code] for q in periods.quarters]
    baseline_id = period_ids[periods.baseline_quarter.code]
    step = max(1, len(people) // 10)
    for done, person in enumerate(people, start=1):
        pk = person.pk
        if person.role == Role.REP:
            yield from _rep_rows(rng, text, pk, month_ids=month_ids, quarter_ids=quarter_ids)
        elif person.role == Role.SUPERVISOR:
            yield from _supervisor_rows(rng, text, pk, quarter_ids=quarter_ids)
        else:
            yield from _manager_rows(rng, text, pk, quarter_ids=quarter_ids, baseline_id=baseline_id)
        if done % step == 0 or done == len(people):
            progress(f"metric values: {done:,}/{len(people):,} employees generated")


# Targets run a little higher at the end of a quarter and in Q4.
_SEASON = {
    1: 0.92,
    2: 0.88,
    3: 1.02,
    4: 0.96,
    5: 0.98,
    6: 1.05,
    7: 0.95,
    8: 0.97,
    9: 1.06,
    10: 1.0,
    11: 1.05,
    12: 1.12,
}


def _rep_rows(
    rng: random.Random, text: ValueText, pk: int, *, month_ids: list[tuple[int, int]], quarter_ids: list[int]
) -> Iterator[MetricRow]:
    """A rep's months (target, sales, customers, satisfaction) and quarterly ratings."""
    skill = min(1.45, max(0.65, rng.gauss(1.02, 0.12)))
    base_target = rng.randint(80, 300) * 1000
    new_customer_base = rng.randint(2, 8)
    customers = rng.randint(15, 120)
    churn = rng.uniform(0.02, 0.12)
    csat_mean = rng.uniform(3.3, 4.7)
    for period_id, month in month_ids:
        target = min(300_000, max(80_000, round(base_target * _SEASON[month] * rng.uniform(0.95, 1.05), -3)))
        yield pk, period_id, "sales_target", text["sales_target"](target)
        # Now and then nobody records a sale for the month.
        if rng.random() >= 0.015:
            achievement = skill * rng.lognormvariate(0.0, 0.14)
            if rng.random() < 0.03:  # a big deal lands
                achievement *= rng.uniform(1.3, 1.8)
            yield pk, period_id, "sales_actual", text["sales_actual"](target * achievement)
        new_customer_target = max(1, new_customer_base + rng.randint(-1, 1))
        new_customers = max(0, round(rng.gauss(new_customer_target * skill, 1.3)))
        yield pk, period_id, "new_customer_target", text["new_customer_target"](new_customer_target)
        yield pk, period_id, "new_customers", text["new_customers"](new_customers)
        start = text["customers_start"](customers)
        lost = min(customers, round(customers * churn * rng.uniform(0.3, 1.7)))
        # Retained never exceeds start, even where the catalogue's range clamps start.
        retained = text["customers_retained"](min(customers - lost, float(start)))
        yield pk, period_id, "customers_start", start
        yield pk, period_id, "customers_retained", retained
        yield pk, period_id, "csat", text["csat"](round(rng.gauss(csat_mean, 0.25), 1))
        customers = customers - lost + new_customers
    collaboration, skill_growth = rng.uniform(3.0, 4.8), rng.uniform(3.0, 4.8)
    for period_id in quarter_ids:
        yield pk, period_id, "collaboration", text["collaboration"](_rating(rng, collaboration))
        yield pk, period_id, "skill_growth", text["skill_growth"](_rating(rng, skill_growth))


def _supervisor_rows(rng: random.Random, text: ValueText, pk: int, *, quarter_ids: list[int]) -> Iterator[MetricRow]:
    """A supervisor's quarterly ratings."""
    collaboration, efficiency = rng.uniform(3.2, 4.8), rng.uniform(3.0, 4.8)
    for period_id in quarter_ids:
        yield pk, period_id, "collaboration", text["collaboration"](_rating(rng, collaboration))
        yield pk, period_id, "team_efficiency", text["team_efficiency"](_rating(rng, efficiency))


def _manager_rows(
    rng: random.Random, text: ValueText, pk: int, *, quarter_ids: list[int], baseline_id: int
) -> Iterator[MetricRow]:
    """A manager's quarterly rating and market share (with the baseline quarter's)."""
    collaboration = rng.uniform(3.4, 4.8)
    # Market share drifts slowly, mostly upwards.
    share = rng.uniform(4.0, 30.0)
    yield pk, baseline_id, "market_share", text["market_share"](share)
    for period_id in quarter_ids:
        share = min(100.0, max(0.0, share + rng.gauss(0.3, 0.7)))
        yield pk, period_id, "collaboration", text["collaboration"](_rating(rng, collaboration))
        yield pk, period_id, "market_share", text["market_share"](share)


METRIC_VALUE_COLUMNS = ("employee_id", "period_id", "metric_id", "value", "entered_at")


def metric_values_write(rows: Iterable[MetricRow], *, entered_at: dict[int, datetime]) -> int:
    """One COPY on PostgreSQL (several times faster than multi-row INSERTs), batches on SQLite."""
    return insert_rows(MetricValue, METRIC_VALUE_COLUMNS, ((*row, entered_at[row[1]]) for row in rows))


def metric_entry_times(periods: DemoPeriods, period_ids: dict[str, int], *, now: datetime) -> dict[int, datetime]:
    """When each period's figures were entered, by period id: the night after the period ends;
    those of the running month, by now."""
    return {
        period_ids[ref.code]: min(now, datetime.combine(ref.end + timedelta(days=1), time(2, 0), tzinfo=UTC))
        for ref in periods.all
    }
