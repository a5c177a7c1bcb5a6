"""A rep's pay preview on ``/me/``: the open month scored by the engine on the figures imported so far.

Nothing here has a rule of its own. The month's inputs are read exactly as a close reads them
(``appraisals.selectors.chunk_inputs``) and scored by the one scoring loop
(``appraisals.engine.org.score_period``), so the projected commission, composite and band are what a
close would produce if the month ended on today's figures. The "next band" line asks the same
engine again with only the completion changed, 0.01 percentage point at a time (a binary search),
and the tier ladder is the commission rule's tiers applied to the month's target.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime
from decimal import ROUND_CEILING, Decimal

from django.db.models import Max
from django.utils.formats import get_format

from appraisals.engine.inputs import EmployeeInput, MetricAgg, PeriodSpec, UnitAggregate
from appraisals.engine.kpis import score_employee
from appraisals.engine.org import score_period
from appraisals.engine.policy import Formula, KpiDef, PolicyRules, RewardKind, RewardRuleSpec
from appraisals.engine.results import ScorecardResult
from appraisals.engine.rewards import tier_bounds
from appraisals.models import BandDefinition, MetricValue, Period
from appraisals.periods import MONTH
from appraisals.selectors import NoPolicyError, chunk_inputs, engine_policy, policy_version_for
from roles.models import Employee

CENT = Decimal("0.01")
# The completion is searched in steps of 0.01 percentage point: a ratio of n / 10,000.
_STEPS_PER_UNIT = 10_000
_HUNDRED = Decimal(100)


@dataclass(frozen=True)
class TierStep:
    """One rung of the commission ladder for the month's target."""

    number: int
    floor: Decimal  # sales from which this rate applies
    ceiling: Decimal | None  # up to which; None: no upper end
    rate: Decimal
    portion: Decimal  # how much of the month's sales falls in this rung
    is_current: bool  # the rate the next sale earns

    @property
    def rate_percent(self) -> str:
        return _percent(self.rate)


@dataclass(frozen=True)
class NextBand:
    letter: str
    label: str
    completion: Decimal | None  # the completion (percent, 2 decimals) that reaches it; None: out of reach
    more_sales: Decimal | None  # the sales still needed for it this month


@dataclass(frozen=True)
class FlexMonth:
    month: str
    band: str | None
    projected: bool  # the open month's band is a projection
    counts: bool  # the band is one the flex-time rule accepts


@dataclass(frozen=True)
class FlexStreak:
    months: list[FlexMonth]
    bands: str  # the accepted bands, e.g. "A/B"

    @property
    def count(self) -> int:
        return sum(1 for month in self.months if month.counts)

    @property
    def needed(self) -> int:
        return len(self.months)

    @property
    def earned(self) -> bool:
        return self.count == self.needed


@dataclass(frozen=True)
class PayPreview:
    month: str
    as_of: datetime | None  # the latest import or edit of the figures behind it
    actual: Decimal
    target: Decimal | None
    commission: Decimal  # the engine's commission on these figures (0.00 without sales)
    tiers: list[TierStep]
    flat_rate: Decimal | None  # the rate without a target, when the month has none
    composite: Decimal | None
    band: str
    band_label: str
    next_band: NextBand | None
    flex: FlexStreak | None
    what_if: dict  # the figures static/js/what_if.js needs, through ``json_script``

    @property
    def flat_rate_percent(self) -> str:
        return _percent(self.flat_rate or Decimal(0))

    @property
    def current_tier(self) -> TierStep | None:
        return next((tier for tier in self.tiers if tier.is_current), None)

    @property
    def next_tier(self) -> TierStep | None:
        current = self.current_tier
        if current is None:
            return None
        return next((tier for tier in self.tiers if tier.number == current.number + 1), None)

    @property
    def to_next_tier(self) -> Decimal | None:
        """Sales still needed this month before the next rung's rate applies."""
        current = self.current_tier
        if current is None or current.ceiling is None or self.next_tier is None:
            return None
        return (current.ceiling - self.actual).quantize(CENT, rounding=ROUND_CEILING)


def pay_preview(*, employee: Employee, month_code: str) -> PayPreview | None:
    """The projected pay of ``employee`` for ``month_code`` on the figures imported so far, or
    ``None`` when there is nothing to project: a role without commission, a month without a
    period row or without the person's figures, no policy in force, or a month already closed."""
    period = Period.objects.filter(code=month_code, kind=MONTH).first()
    if period is None or period.status == Period.Status.CLOSED:
        return None
    as_of = MetricValue.objects.filter(employee=employee, period=period).aggregate(latest=Max("entered_at"))["latest"]
    if as_of is None:
        return None
    try:
        version = policy_version_for(period)
    except NoPolicyError:
        return None
    policy = engine_policy(version)
    role = employee.role.code
    rule = next(
        (r for r in policy.reward_rules_for(role, MONTH) if r.kind == RewardKind.COMMISSION),
        None,
    )
    if rule is None:
        return None
    spec = policy.period_spec(period.code)
    inputs = chunk_inputs(policy=policy, period=spec, period_id=period.pk, employee_ids=[employee.pk])
    person = inputs.employees[0]
    if inputs.units[person.key].has_team:
        return None  # a lead's scorecard needs the team's: not a projection this page makes
    result = score_period(
        policy=policy, period=spec, employees=[person], units=inputs.units, team_hits=inputs.team_hits
    )
    card = result.scorecards.get(person.key)
    commission = next(
        (r.amount for r in result.rewards if r.code == rule.code and r.amount is not None), Decimal("0.00")
    )
    actual = _total(person, rule.actual_metric)
    target = _total(person, rule.target_metric) if person.totals.get(rule.target_metric) else None
    band = card.band if card else ""
    labels = {band.letter: band.label for band in BandDefinition.objects.filter(policy_version=version)}
    return PayPreview(
        month=period.code,
        as_of=as_of,
        actual=actual,
        target=target,
        commission=commission,
        tiers=_ladder(rule, actual, target),
        flat_rate=rule.flat_rate if not target else None,
        composite=card.composite if card else None,
        band=band,
        band_label=labels.get(band, ""),
        next_band=_next_band(policy, spec, person, card, rule, labels) if card else None,
        flex=_flex_streak(policy, spec, person, card),
        what_if=_what_if_data(rule, actual, target, commission),
    )


# --------------------------------------------------------------------------------- pieces


def _percent(rate: Decimal) -> str:
    """0.0200 → "2", 0.0125 → "1.25": a rate as a percentage without trailing zeros."""
    return format((rate * _HUNDRED).normalize(), "f")


def _total(person: EmployeeInput, metric: str) -> Decimal:
    agg = person.totals.get(metric)
    return agg.total if agg is not None else Decimal(0)


def _ladder(rule: RewardRuleSpec, actual: Decimal, target: Decimal | None) -> list[TierStep]:
    """The commission rule's tiers in money for this target, with the rung the next sale falls in."""
    if not target or target <= 0:
        return []
    steps = []
    current_found = False
    for number, (floor, ceiling, rate) in enumerate(tier_bounds(rule, target), start=1):
        top = actual if ceiling is None else min(actual, ceiling)
        is_current = not current_found and (ceiling is None or actual < ceiling)
        current_found = current_found or is_current
        steps.append(
            TierStep(
                number=number,
                floor=floor,
                ceiling=ceiling,
                rate=rate,
                portion=max(top - floor, Decimal(0)),
                is_current=is_current,
            )
        )
    return steps


def _completion_kpi(policy: PolicyRules, role: str, rule: RewardRuleSpec) -> KpiDef | None:
    """The month's completion KPI (R1): own actual ÷ own target, the figures commission reads."""
    return next(
        (
            kpi
            for kpi in policy.kpis_for(role, MONTH)
            if kpi.formula == Formula.OWN_RATIO
            and kpi.numerator_metric == rule.actual_metric
            and kpi.denominator_metric == rule.target_metric
        ),
        None,
    )


def _with_actual(person: EmployeeInput, metric: str, actual: Decimal) -> EmployeeInput:
    totals = dict(person.totals)
    before = totals.get(metric)
    totals[metric] = MetricAgg(actual, max(before.count if before else 0, 1))
    by_month = {key: value for key, value in person.by_month.items() if key != metric}
    return replace(person, totals=totals, by_month=by_month)


def composite_with_sales(
    *,
    policy: PolicyRules,
    period: PeriodSpec,
    person: EmployeeInput,
    metric: str,
    actual: Decimal,
) -> Decimal | None:
    """The engine's composite for ``person`` with the month's ``metric`` (sales) at ``actual`` and
    every other figure unchanged; ``None`` when no KPI could be scored."""
    changed = _with_actual(person, metric, actual)
    unit = UnitAggregate(totals=changed.totals, by_month=changed.by_month, has_team=False)
    card = score_employee(policy=policy, period=period, employee=changed, unit=unit)
    return card.composite if card else None


def _next_band(
    policy: PolicyRules,
    spec: PeriodSpec,
    person: EmployeeInput,
    card: ScorecardResult,
    rule: RewardRuleSpec,
    labels: dict[str, str],
) -> NextBand | None:
    """The band above the projected one and the lowest completion (0.01 % steps) that reaches it
    with the other KPIs unchanged; the completion is ``None`` when even the capped score cannot."""
    higher = [band for band in policy.bands if band.min_composite > card.composite]
    if not higher:
        return None
    goal = higher[-1]  # bands are sorted from the top down: the nearest one above
    kpi = _completion_kpi(policy, person.role, rule)
    target = _total(person, rule.target_metric)
    if kpi is None or target <= 0 or kpi.target <= 0:
        return NextBand(goal.letter, labels.get(goal.letter, ""), None, None)

    def reaches(steps: int) -> bool:
        composite = composite_with_sales(
            policy=policy,
            period=spec,
            person=person,
            metric=rule.actual_metric,
            actual=target * steps / _STEPS_PER_UNIT,
        )
        return composite is not None and composite >= goal.min_composite

    # Past score_max the completion score is capped: no completion above that helps.
    high = int((policy.score_max / _HUNDRED * kpi.target * _STEPS_PER_UNIT).to_integral_value(rounding=ROUND_CEILING))
    if not reaches(high):
        return NextBand(goal.letter, labels.get(goal.letter, ""), None, None)
    low = -1  # reaches(low) is False (a completion below 0 is never needed)
    while high - low > 1:
        middle = (low + high) // 2
        if reaches(middle):
            high = middle
        else:
            low = middle
    needed = (target * high / _STEPS_PER_UNIT - _total(person, rule.actual_metric)).quantize(
        CENT, rounding=ROUND_CEILING
    )
    return NextBand(
        goal.letter,
        labels.get(goal.letter, ""),
        (Decimal(high) / 100).quantize(CENT),
        max(needed, Decimal("0.00")),
    )


def _flex_streak(policy: PolicyRules, spec: PeriodSpec, person: EmployeeInput, card) -> FlexStreak | None:
    """The flex-time rule's months (this one and the ones before it) and which are in its bands so far."""
    rule = next(
        (r for r in policy.reward_rules_for(person.role, MONTH) if r.kind == RewardKind.CONSECUTIVE_BANDS),
        None,
    )
    if rule is None:
        return None
    earlier = list(reversed(spec.previous_months[: rule.window_months - 1]))
    months = [
        FlexMonth(month, person.previous_bands.get(month), False, person.previous_bands.get(month) in rule.bands)
        for month in earlier
    ]
    band = card.band if card else None
    months.append(FlexMonth(spec.code, band, True, band in rule.bands))
    return FlexStreak(months=months, bands="/".join(sorted(rule.bands)))


def _what_if_data(rule: RewardRuleSpec, actual: Decimal, target: Decimal | None, commission: Decimal) -> dict:
    """The commission rule as decimal strings: static/js/what_if.js computes exactly with them."""
    return {
        "actual": format(actual, "f"),
        "target": format(target, "f") if target else None,
        "tiers": [
            [None if tier.up_to_multiple is None else format(tier.up_to_multiple, "f"), format(tier.rate, "f")]
            for tier in rule.tiers
        ],
        "flat_rate": format(rule.flat_rate or Decimal(0), "f"),
        "commission": format(commission, "f"),
        # How the page writes numbers in the reader's language.
        "decimal_separator": get_format("DECIMAL_SEPARATOR"),
        "thousand_separator": get_format("THOUSAND_SEPARATOR"),
    }
