"""The scoring and reward rules of POLICY.md §5 and §6 as a pure engine.

Plain dataclasses in, plain results out: no Django, no clock, no I/O. The policy figures
arrive as data (a ``PolicyRules`` built from the DB policy version), the period arrives as a
``PeriodSpec`` and each employee's metrics arrive pre-aggregated by a selector.

Money and scores are ``Decimal`` end to end. Every score and composite is computed with
one division in a wide context and then rounded half up, so a figure that is exactly on a
half cent (e.g. 103.125) rounds up as the policy says instead of drifting with the
context's precision.

A period is scored bottom-up through the org tree (S4 needs the team's composites).
``score_employees`` is the one scoring loop: it scores employees whose teams are already
scored. A close runs it chunk by chunk, one tree level after another, reading the team's
composites back from the database; ``score_period`` runs it level by level in memory for a
whole org (the policy preview, a dry run, the tests). Missing KPIs carry a ``MissingReason``
code with its parameters, never a sentence: the pages word it in the reader's language.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Context, Decimal, DivisionByZero, InvalidOperation, Overflow, localcontext
from enum import StrEnum
from functools import lru_cache

from appraisals.periods import MONTH, PERIOD_KINDS, PeriodRef
from roles.tree import team_index, tree_levels

MONTHLY = "monthly"
QUARTERLY = "quarterly"

CENT = Decimal("0.01")
# KpiResult.value is kept to 8 places (the KpiScore.value column); the score is computed
# from the exact figures, not from this rounded value.
VALUE_QUANTUM = Decimal("0.00000001")
ZERO = Decimal("0")
HUNDRED = Decimal("100")

# Wide enough that every quotient whose exact value ends on a half cent is held exactly.
_ENGINE_CONTEXT = Context(prec=60, traps=[InvalidOperation, DivisionByZero, Overflow])


class Formula(StrEnum):
    OWN_RATIO = "own_ratio"
    OWN_MEAN = "own_mean"
    UNIT_RATIO = "unit_ratio"
    TEAM_MEAN_COMPOSITE = "team_mean_composite"
    TEAM_TARGET_HIT_SHARE = "team_target_hit_share"
    OWN_DELTA = "own_delta"


class RewardKind(StrEnum):
    COMMISSION = "commission"
    CONSECUTIVE_BANDS = "consecutive_bands"
    BAND_BONUS = "band_bonus"
    BAND_FLAG = "band_flag"
    DEVELOPMENT_FLAG = "development_flag"


# --------------------------------------------------------------------------- policy


_FORMULA_METRICS: dict[Formula, tuple[bool, bool]] = {
    # formula -> (needs numerator_metric, needs denominator_metric)
    Formula.OWN_RATIO: (True, True),
    Formula.OWN_MEAN: (True, False),
    Formula.UNIT_RATIO: (True, True),
    Formula.TEAM_MEAN_COMPOSITE: (False, False),
    Formula.TEAM_TARGET_HIT_SHARE: (True, True),
    Formula.OWN_DELTA: (True, False),
}


@dataclass(frozen=True, slots=True)
class KpiDef:
    code: str
    role: str
    formula: Formula
    numerator_metric: str | None
    denominator_metric: str | None
    target: Decimal
    weight: Decimal
    cadence: str  # "monthly" | "quarterly"

    def __post_init__(self) -> None:
        object.__setattr__(self, "formula", Formula(self.formula))
        needs_numerator, needs_denominator = _FORMULA_METRICS[self.formula]
        if needs_numerator and not self.numerator_metric:
            raise ValueError(f"KPI {self.code}: {self.formula} needs a numerator metric")
        if needs_denominator and not self.denominator_metric:
            raise ValueError(f"KPI {self.code}: {self.formula} needs a denominator metric")
        if self.cadence not in (MONTHLY, QUARTERLY):
            raise ValueError(f"KPI {self.code}: cadence must be monthly or quarterly, not {self.cadence!r}")
        if self.weight < 0:
            raise ValueError(f"KPI {self.code}: weight must not be negative")


@dataclass(frozen=True, slots=True)
class BandDef:
    letter: str
    min_composite: Decimal


@dataclass(frozen=True, slots=True)
class TierSpec:
    """A commission tier as the engine applies it (stored as ``appraisals.models.CommissionTier``).

    ``rate`` applies to the slice of actual between the previous tier's multiple × target
    (0 for the first tier) and ``up_to_multiple`` × target; ``None`` means no upper end."""

    up_to_multiple: Decimal | None
    rate: Decimal


@dataclass(frozen=True, slots=True)
class RewardRuleSpec:
    """A reward rule as the engine applies it (stored as ``appraisals.models.RewardRule``)."""

    code: str
    kind: RewardKind
    roles: frozenset[str]
    period_kinds: frozenset[str]
    bands: frozenset[str] = frozenset()
    multipliers: Mapping[str, Decimal] = field(default_factory=dict, hash=False)
    base_field: str | None = None  # "quarterly_bonus_base" | "annual_bonus_base"
    default_base: Decimal | None = None
    window_months: int = 3
    threshold: Decimal | None = None
    tiers: tuple[TierSpec, ...] = ()
    flat_rate: Decimal | None = None
    actual_metric: str = "sales_actual"
    target_metric: str = "sales_target"
    is_cash: bool = False
    order: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "kind", RewardKind(self.kind))
        object.__setattr__(self, "roles", frozenset(self.roles))
        object.__setattr__(self, "period_kinds", frozenset(self.period_kinds))
        object.__setattr__(self, "bands", frozenset(self.bands))
        if not self.period_kinds <= PERIOD_KINDS:
            raise ValueError(f"reward {self.code}: unknown period kinds {sorted(self.period_kinds - PERIOD_KINDS)}")
        if self.base_field not in (None, "quarterly_bonus_base", "annual_bonus_base"):
            raise ValueError(f"reward {self.code}: unknown base field {self.base_field!r}")
        if self.window_months < 1:
            raise ValueError(f"reward {self.code}: window_months must be at least 1")
        if self.kind == RewardKind.DEVELOPMENT_FLAG and self.threshold is None:
            raise ValueError(f"reward {self.code}: a development flag needs a threshold")
        if any(multiplier < 0 for multiplier in self.multipliers.values()):
            raise ValueError(f"reward {self.code}: multipliers must not be negative")
        if any(tier.rate < 0 for tier in self.tiers) or (self.flat_rate is not None and self.flat_rate < 0):
            raise ValueError(f"reward {self.code}: rates must not be negative")
        # Open-ended tier last, the others by their upper multiple.
        tiers = sorted(self.tiers, key=lambda tier: (tier.up_to_multiple is None, tier.up_to_multiple or ZERO))
        if any(tier.up_to_multiple is None for tier in tiers[:-1]):
            raise ValueError(f"reward {self.code}: only one commission tier may be open-ended")
        object.__setattr__(self, "tiers", tuple(tiers))

    def applies_to(self, role: str, period_kind: str) -> bool:
        return role in self.roles and period_kind in self.period_kinds


@dataclass(frozen=True, slots=True)
class PolicyRules:
    """One policy version as the engine reads it: its KPIs, bands and reward rules (stored as
    ``appraisals.models.PolicyVersion``; ``appraisals.selectors.engine_policy`` builds this)."""

    kpis: tuple[KpiDef, ...]
    bands: tuple[BandDef, ...]
    reward_rules: tuple[RewardRuleSpec, ...]
    score_min: Decimal = Decimal("0")
    score_max: Decimal = Decimal("150")
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False, hash=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "kpis", tuple(self.kpis))
        object.__setattr__(self, "bands", tuple(sorted(self.bands, key=lambda band: band.min_composite, reverse=True)))
        object.__setattr__(self, "reward_rules", tuple(sorted(self.reward_rules, key=lambda rule: rule.order)))
        if not self.bands:
            raise ValueError("a policy needs at least one band")
        if self.score_min > self.score_max:
            raise ValueError("score_min must not exceed score_max")
        for label, codes in (("KPI", [k.code for k in self.kpis]), ("reward", [r.code for r in self.reward_rules])):
            if len(set(codes)) != len(codes):
                raise ValueError(f"duplicate {label} codes in the policy")

    def kpis_for(self, role: str, period_kind: str) -> tuple[KpiDef, ...]:
        """The KPIs a scorecard of this role and period kind holds: monthly-cadence ones only
        for a month, all of the role's KPIs for a quarter or a year."""
        key = ("kpis", role, period_kind)
        if key not in self._cache:
            self._cache[key] = tuple(
                kpi for kpi in self.kpis if kpi.role == role and (period_kind != MONTH or kpi.cadence == MONTHLY)
            )
        return self._cache[key]

    def reward_rules_for(self, role: str, period_kind: str) -> tuple[RewardRuleSpec, ...]:
        """The reward rules that apply to this role at the close of this period kind, in table order
        (``rewards_for`` computes the rewards they give)."""
        key = ("reward_rules", role, period_kind)
        if key not in self._cache:
            self._cache[key] = tuple(rule for rule in self.reward_rules if rule.applies_to(role, period_kind))
        return self._cache[key]

    def band_for(self, composite: Decimal) -> str:
        for band in self.bands:
            if composite >= band.min_composite:
                return band.letter
        # Below every minimum (only possible if HR sets the lowest band above score_min).
        return self.bands[-1].letter

    def development_threshold(self, role: str, period_kind: str) -> Decimal | None:
        for rule in self.reward_rules_for(role, period_kind):
            if rule.kind == RewardKind.DEVELOPMENT_FLAG:
                return rule.threshold
        return None

    def unit_metrics(self) -> frozenset[str]:
        """Metrics summed over unit(e) in ``UnitAggregate.totals``."""
        return self._memo("unit_metrics", lambda: _metric_pairs(self.kpis, Formula.UNIT_RATIO))

    def unit_metrics_by_month(self) -> frozenset[str]:
        """Metrics summed over unit(e) month by month in ``UnitAggregate.by_month`` (M2)."""
        return self._memo("unit_metrics_by_month", lambda: _metric_pairs(self.kpis, Formula.TEAM_TARGET_HIT_SHARE))

    def metrics_needed_by_month(self) -> frozenset[str]:
        """Metrics the selector must fill in ``EmployeeInput.by_month`` (for every employee)."""

        def compute() -> frozenset[str]:
            commission = {metric for kind in PERIOD_KINDS for metric in self.commission_metrics(kind)}
            return self.unit_metrics_by_month() | commission

        return self._memo("by_month", compute)

    def commission_metrics(self, period_kind: str) -> frozenset[str]:
        """Own metrics a commission of this period kind reads month by month (actual and target)."""
        return self._memo(
            ("commission_metrics", period_kind),
            lambda: frozenset(
                metric
                for rule in self.reward_rules
                if rule.kind == RewardKind.COMMISSION and period_kind in rule.period_kinds
                for metric in (rule.actual_metric, rule.target_metric)
            ),
        )

    def point_metrics(self) -> frozenset[str]:
        """Metrics read at single quarters (a delta KPI such as M5 compares two of them)."""
        return self._memo(
            "point_metrics",
            lambda: frozenset(kpi.numerator_metric for kpi in self.kpis if kpi.formula == Formula.OWN_DELTA),
        )

    def roles_comparing_team_targets(self) -> frozenset[str]:
        """Roles with a KPI that counts the team's (d, month) pairs on target (M2)."""
        return self._memo(
            "roles_comparing_team_targets",
            lambda: frozenset(kpi.role for kpi in self.kpis if kpi.formula == Formula.TEAM_TARGET_HIT_SHARE),
        )

    def development_flag_codes(self) -> frozenset[str]:
        """Codes of the development flag: a flag on the scorecard, not a reward to decide."""
        return frozenset(rule.code for rule in self.reward_rules if rule.kind == RewardKind.DEVELOPMENT_FLAG)

    def period_spec(self, code: str) -> PeriodSpec:
        """The spec of a period as this policy needs it (a month lists the earlier months flex time reads)."""
        return PeriodSpec.from_code(code, history_months=self.flex_history_months())

    def flex_history_months(self) -> int:
        """How many earlier months' bands a month close needs (longest window − 1)."""
        windows = [rule.window_months for rule in self.reward_rules if rule.kind == RewardKind.CONSECUTIVE_BANDS]
        return max(windows, default=1) - 1

    def _memo(self, key: str, compute):
        if key not in self._cache:
            self._cache[key] = compute()
        return self._cache[key]


def _metric_pairs(kpis: Iterable[KpiDef], formula: Formula) -> frozenset[str]:
    return frozenset(
        metric
        for kpi in kpis
        if kpi.formula == formula
        for metric in (kpi.numerator_metric, kpi.denominator_metric)
        if metric
    )


# --------------------------------------------------------------------------- inputs


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


_NO_VALUES = MetricAgg(ZERO, 0)


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


# --------------------------------------------------------------------------- results


class MissingReason(StrEnum):
    """Why a KPI could not be computed; the pages turn a reason and its parameters into a sentence."""

    NO_VALUES = "no_values"  # metric: nothing of it recorded in the period
    ZERO_TOTAL = "zero_total"  # metric: the denominator's total is 0
    NO_POINT = "no_point"  # metric, quarter: no value at the quarter a delta needs
    NO_TEAM_SCORECARDS = "no_team_scorecards"
    NO_SUBTEAM_TARGETS = "no_subteam_targets"
    TARGET_NOT_POSITIVE = "target_not_positive"


@dataclass(frozen=True, slots=True)
class Missing:
    reason: MissingReason
    metric: str = ""
    quarter: str = ""

    def as_inputs(self) -> dict[str, str]:
        """The reason as it is kept beside the KPI's raw figures (``KpiScore.inputs``)."""
        kept = {"reason": str(self.reason)}
        if self.metric:
            kept["reason_metric"] = self.metric
        if self.quarter:
            kept["reason_quarter"] = self.quarter
        return kept


@dataclass(frozen=True, slots=True)
class KpiResult:
    code: str
    weight: Decimal
    target: Decimal
    value: Decimal | None
    score: Decimal | None
    inputs: Mapping[str, str]
    missing_reason: Missing | None = None

    @property
    def missing(self) -> bool:
        return self.score is None


@dataclass(frozen=True, slots=True)
class ScorecardResult:
    key: int
    role: str
    composite: Decimal
    band: str
    kpis: tuple[KpiResult, ...]
    missing_kpis: tuple[str, ...]
    development_kpis: tuple[str, ...]

    def kpi(self, code: str) -> KpiResult | None:
        return next((result for result in self.kpis if result.code == code), None)


@dataclass(frozen=True, slots=True)
class RewardResult:
    key: int
    code: str
    amount: Decimal | None
    details: Mapping[str, object]  # plain JSON values: what the reward was computed from


@dataclass(frozen=True, slots=True)
class PeriodResult:
    scorecards: dict[int, ScorecardResult]
    rewards: list[RewardResult]
    no_data: list[int]


# --------------------------------------------------------------------------- unit sums


def unit_totals(
    *,
    policy: PolicyRules,
    period: PeriodSpec,
    employees: Sequence[EmployeeInput],
    levels: Sequence[Sequence[int]] | None = None,
    teams: Mapping[int, list[int]] | None = None,
) -> dict[int, UnitAggregate]:
    """Σ over unit(e) for every employee, bottom-up: totals of the unit-ratio metrics (with
    counts, so "any value recorded in the unit" is known) and month-by-month sums of the
    metrics M2 compares. Pass ``levels``/``teams`` when already computed."""
    if teams is None:
        teams = team_index(employees)
    if levels is None:
        levels = tree_levels(employees, teams)
    by_key = {employee.key: employee for employee in employees}
    metrics = policy.unit_metrics()
    month_metrics = policy.unit_metrics_by_month()
    units: dict[int, UnitAggregate] = {}
    with localcontext(_ENGINE_CONTEXT):
        for level in levels:
            for key in level:
                employee = by_key[key]
                team = teams.get(key)
                if not team:
                    units[key] = UnitAggregate(totals=employee.totals, by_month=employee.by_month, has_team=False)
                    continue
                members = [units[member] for member in team]
                totals: dict[str, MetricAgg] = {}
                for metric in metrics:
                    own = employee.totals.get(metric, _NO_VALUES)
                    total, count = own.total, own.count
                    for member in members:
                        agg = member.totals.get(metric)
                        if agg is not None:
                            total += agg.total
                            count += agg.count
                    totals[metric] = MetricAgg(total, count)
                by_month: dict[str, dict[str, Decimal]] = {}
                for metric in month_metrics:
                    sums = dict(_monthly(employee.by_month, employee.totals, metric, period))
                    for member in members:
                        for month, value in _monthly(member.by_month, member.totals, metric, period).items():
                            sums[month] = sums.get(month, ZERO) + value
                    by_month[metric] = sums
                units[key] = UnitAggregate(totals=totals, by_month=by_month, has_team=True)
    return units


def _monthly(
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


def team_target_hits(
    *, policy: PolicyRules, period: PeriodSpec, role: str, team_units: Iterable[UnitAggregate]
) -> dict[str, TargetHits]:
    """M2's tally for one employee: per TEAM_TARGET_HIT_SHARE KPI of ``role``, the (d, month)
    pairs with d in the team having a team of its own and Σ unit(d) target > 0, and the hits
    (Σ unit(d) actual ≥ Σ unit(d) target)."""
    kpis = [kpi for kpi in policy.kpis_for(role, period.kind) if kpi.formula == Formula.TEAM_TARGET_HIT_SHARE]
    if not kpis:
        return {}
    subteams = [unit for unit in team_units if unit.has_team]
    result: dict[str, TargetHits] = {}
    for kpi in kpis:
        pairs = hits = 0
        for unit in subteams:
            actuals = _monthly(unit.by_month, unit.totals, kpi.numerator_metric, period)
            targets = _monthly(unit.by_month, unit.totals, kpi.denominator_metric, period)
            for month in period.months:
                target = targets.get(month, ZERO)
                if target > 0:
                    pairs += 1
                    if actuals.get(month, ZERO) >= target:
                        hits += 1
        result[kpi.code] = TargetHits(pairs, hits)
    return result


# --------------------------------------------------------------------------- scoring


def round_half_up(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


# The small strings every scorecard repeats are built once and shared, which keeps a
# whole-org result small (100,000 scorecards hold ~400,000 inputs mappings).
@lru_cache(maxsize=256)
def _span(codes: tuple[str, ...]) -> str:
    if not codes:
        return ""
    return codes[0] if len(codes) == 1 else f"{codes[0]}..{codes[-1]}"


@lru_cache(maxsize=1024)
def _key(*parts: str | None) -> str:
    return "".join(str(part) for part in parts)


@lru_cache(maxsize=1024)
def _count(number: int) -> str:
    return str(number)


def _text(amount: Decimal) -> str:
    return format(amount, "f")


def score_employee(
    *,
    policy: PolicyRules,
    period: PeriodSpec,
    employee: EmployeeInput,
    unit: UnitAggregate,
    team_composites: Sequence[Decimal] = (),
    team_hits: Mapping[str, TargetHits] | None = None,
) -> ScorecardResult | None:
    """One employee's scorecard, or ``None`` ("no data") when no KPI can be computed.

    ``team_composites``: composites of team(e)'s scorecards for this period (members with no
    data left out). ``team_hits``: ``team_target_hits(...)`` for this employee."""
    with localcontext(_ENGINE_CONTEXT):
        return _score_employee(policy, period, employee, unit, team_composites, team_hits or {})


def _score_employee(
    policy: PolicyRules,
    period: PeriodSpec,
    employee: EmployeeInput,
    unit: UnitAggregate,
    team_composites: Sequence[Decimal],
    team_hits: Mapping[str, TargetHits],
) -> ScorecardResult | None:
    kpis = policy.kpis_for(employee.role, period.kind)
    results = []
    weighted = weights = ZERO
    for kpi in kpis:
        result = _score_kpi(policy, period, kpi, employee, unit, team_composites, team_hits)
        results.append(result)
        if result.score is not None:
            weighted += kpi.weight * result.score
            weights += kpi.weight
    if weights == 0:
        # No KPI present (or only zero-weight ones): nothing to build a composite from.
        return None
    composite = round_half_up(weighted / weights)
    threshold = policy.development_threshold(employee.role, period.kind)
    development = ()
    if threshold is not None:
        development = tuple(r.code for r in results if r.score is not None and r.score < threshold)
    return ScorecardResult(
        key=employee.key,
        role=employee.role,
        composite=composite,
        band=policy.band_for(composite),
        kpis=tuple(results),
        missing_kpis=tuple(r.code for r in results if r.score is None),
        development_kpis=development,
    )


def _score_kpi(
    policy: PolicyRules,
    period: PeriodSpec,
    kpi: KpiDef,
    employee: EmployeeInput,
    unit: UnitAggregate,
    team_composites: Sequence[Decimal],
    team_hits: Mapping[str, TargetHits],
) -> KpiResult:
    """value = numerator ÷ denominator; score = numerator × 100 ÷ (denominator × target),
    clamped and rounded. A missing KPI has value and score None and a ``reason``."""
    span = _span(period.months if kpi.cadence == MONTHLY else period.quarters)
    numerator = denominator = None
    inputs: dict[str, str]
    missing: Missing | None = None
    formula = kpi.formula
    if formula in (Formula.OWN_RATIO, Formula.UNIT_RATIO):
        totals = employee.totals if formula == Formula.OWN_RATIO else unit.totals
        top = totals.get(kpi.numerator_metric, _NO_VALUES)
        bottom = totals.get(kpi.denominator_metric, _NO_VALUES)
        inputs = {kpi.numerator_metric: _text(top.total), kpi.denominator_metric: _text(bottom.total)}
        if formula == Formula.UNIT_RATIO:
            inputs["scope"] = "unit"
        if top.count == 0:
            missing = Missing(MissingReason.NO_VALUES, metric=kpi.numerator_metric)
        elif bottom.total == 0:
            missing = Missing(MissingReason.ZERO_TOTAL, metric=kpi.denominator_metric)
        else:
            numerator, denominator = top.total, bottom.total
    elif formula == Formula.OWN_MEAN:
        agg = employee.totals.get(kpi.numerator_metric, _NO_VALUES)
        inputs = {
            _key(kpi.numerator_metric, "_total"): _text(agg.total),
            _key(kpi.numerator_metric, "_count"): _count(agg.count),
        }
        if agg.count == 0:
            missing = Missing(MissingReason.NO_VALUES, metric=kpi.numerator_metric)
        else:
            numerator, denominator = agg.total, Decimal(agg.count)
    elif formula == Formula.TEAM_MEAN_COMPOSITE:
        total = sum(team_composites, ZERO)
        inputs = {"team_scorecards": _count(len(team_composites)), "composites_total": _text(total)}
        if not team_composites:
            missing = Missing(MissingReason.NO_TEAM_SCORECARDS)
        else:
            numerator, denominator = total, Decimal(len(team_composites))
    elif formula == Formula.TEAM_TARGET_HIT_SHARE:
        tally = team_hits.get(kpi.code, TargetHits(0, 0))
        inputs = {"pairs": _count(tally.pairs), "hits": _count(tally.hits)}
        if tally.pairs == 0:
            missing = Missing(MissingReason.NO_SUBTEAM_TARGETS)
        else:
            numerator, denominator = Decimal(tally.hits), Decimal(tally.pairs)
    else:  # Formula.OWN_DELTA
        metric = kpi.numerator_metric
        last = employee.at.get((metric, period.last_quarter)) if period.last_quarter else None
        baseline = employee.at.get((metric, period.baseline_quarter)) if period.baseline_quarter else None
        inputs = {
            _key(metric, "@", period.last_quarter or period.code): "" if last is None else _text(last),
            _key(metric, "@", period.baseline_quarter or "baseline"): "" if baseline is None else _text(baseline),
        }
        span = ""
        if last is None or baseline is None:
            quarter = period.last_quarter if last is None else period.baseline_quarter
            missing = Missing(MissingReason.NO_POINT, metric=metric, quarter=quarter or "")
        else:
            numerator, denominator = last - baseline, Decimal(1)
    if span:
        inputs["months" if kpi.cadence == MONTHLY else "quarters"] = span
    if numerator is not None and kpi.target <= 0:
        numerator, missing = None, Missing(MissingReason.TARGET_NOT_POSITIVE)
    if missing is not None:
        inputs.update(missing.as_inputs())
        return KpiResult(kpi.code, kpi.weight, kpi.target, None, None, inputs, missing)
    raw_score = numerator * HUNDRED / (denominator * kpi.target)
    score = round_half_up(min(max(raw_score, policy.score_min), policy.score_max))
    value = (numerator / denominator).quantize(VALUE_QUANTUM, rounding=ROUND_HALF_UP)
    return KpiResult(kpi.code, kpi.weight, kpi.target, value, score, inputs)


# --------------------------------------------------------------------------- rewards


def rewards_for(
    *, policy: PolicyRules, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult | None
) -> list[RewardResult]:
    """The reward suggestions (and development flag) of one employee for one period, in the
    order of the policy's reward table (the rules: ``PolicyRules.reward_rules_for``). Commission
    depends on sales alone (POLICY.md §6), so it is made even without a scorecard; every other
    reward needs one."""
    with localcontext(_ENGINE_CONTEXT):
        return _rewards_for(policy, period, employee, scorecard)


def _rewards_for(
    policy: PolicyRules, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult | None
) -> list[RewardResult]:
    results = []
    for rule in policy.reward_rules_for(employee.role, period.kind):
        if scorecard is None and rule.kind != RewardKind.COMMISSION:
            continue
        result = _REWARD_RULES[rule.kind](rule, period, employee, scorecard)
        if result is not None:
            results.append(result)
    return results


@dataclass(frozen=True, slots=True)
class CommissionSlice:
    """The part of a month's sales paid at one rate."""

    portion: Decimal
    rate: Decimal


def tier_bounds(rule: RewardRuleSpec, target: Decimal) -> list[tuple[Decimal, Decimal | None, Decimal]]:
    """The commission tiers as money for ``target``: (floor, ceiling or None for no upper end, rate),
    in order, up to the first tier without an upper end."""
    bounds: list[tuple[Decimal, Decimal | None, Decimal]] = []
    floor = ZERO
    for tier in rule.tiers:
        ceiling = None if tier.up_to_multiple is None else tier.up_to_multiple * target
        bounds.append((floor, ceiling, tier.rate))
        if ceiling is None:
            break
        floor = ceiling
    return bounds


def commission_amount(
    rule: RewardRuleSpec, actual: Decimal, target: Decimal | None
) -> tuple[Decimal, list[CommissionSlice]]:
    """Commission on one month's sales, rounded to the cent, and the slices it came from."""
    if target is None or target <= 0:
        rate = rule.flat_rate or ZERO
        return round_half_up(actual * rate), [CommissionSlice(actual, rate)]
    slices: list[CommissionSlice] = []
    amount = ZERO
    for floor, ceiling, rate in tier_bounds(rule, target):
        portion = (actual if ceiling is None else min(actual, ceiling)) - floor
        if portion > 0:
            amount += portion * rate
            slices.append(CommissionSlice(portion, rate))
    return round_half_up(amount), slices


def _commission(
    rule: RewardRuleSpec, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult | None
) -> RewardResult | None:
    actuals = _monthly(employee.by_month, employee.totals, rule.actual_metric, period)
    targets = _monthly(employee.by_month, employee.totals, rule.target_metric, period)
    total = ZERO
    months = []
    for month in period.months:
        actual = actuals.get(month)
        if actual is None or actual <= 0:
            continue
        target = targets.get(month)
        amount, slices = commission_amount(rule, actual, target)
        total += amount
        months.append((month, actual, target, amount, slices))
    if total <= 0:
        return None
    details: dict[str, object]
    if len(months) == 1:  # a month: its figures and the slices paid at each rate
        _month, actual, target, _amount, slices = months[0]
        details = {
            "months": period.code if period.kind == MONTH else months[0][0],
            rule.actual_metric: _text(actual),
            rule.target_metric: "" if target is None else _text(target),
            "slices": [[_text(part.portion), _text(part.rate)] for part in slices],
        }
    else:
        details = {
            "months": _span(period.months),
            rule.actual_metric: _text(sum((actuals.get(m, ZERO) for m in period.months), ZERO)),
            rule.target_metric: _text(sum((targets.get(m, ZERO) for m in period.months), ZERO)),
            "by_month": [
                {
                    "month": month,
                    "actual": _text(actual),
                    "target": "" if target is None else _text(target),
                    "slices": [[_text(part.portion), _text(part.rate)] for part in slices],
                    "amount": _text(amount),
                }
                for month, actual, target, amount, slices in months
            ],
        }
    return RewardResult(employee.key, rule.code, total, details)


def _consecutive_bands(
    rule: RewardRuleSpec, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult
) -> RewardResult | None:
    earlier = period.previous_months[: rule.window_months - 1]
    if len(earlier) < rule.window_months - 1:
        return None
    history = [(month, employee.previous_bands.get(month)) for month in reversed(earlier)]
    history.append((period.code, scorecard.band))
    if not all(band in rule.bands for _, band in history):
        return None
    details = {
        "bands": ", ".join(f"{month}:{band}" for month, band in history),
        "eligible": "".join(sorted(rule.bands)),
    }
    return RewardResult(employee.key, rule.code, None, details)


def _band_bonus(
    rule: RewardRuleSpec, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult
) -> RewardResult | None:
    base = getattr(employee, rule.base_field) if rule.base_field else None
    source = "employee"
    if base is None:
        base, source = rule.default_base, "default"
    if base is None:
        return None
    multiplier = rule.multipliers.get(scorecard.band, ZERO)
    amount = round_half_up(base * multiplier)
    if amount <= 0:
        return None
    details = {"band": scorecard.band, "base": _text(base), "base_source": source, "multiplier": _text(multiplier)}
    return RewardResult(employee.key, rule.code, amount, details)


def _band_flag(
    rule: RewardRuleSpec, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult
) -> RewardResult | None:
    if scorecard.band not in rule.bands:
        return None
    return RewardResult(employee.key, rule.code, None, {"band": scorecard.band})


def _development_flag(
    rule: RewardRuleSpec, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult
) -> RewardResult | None:
    low = [result for result in scorecard.kpis if result.score is not None and result.score < rule.threshold]
    if not low:
        return None
    details = {
        "kpis": ";".join(result.code for result in low),
        "scores": ";".join(f"{result.code}={_text(result.score)}" for result in low),
        "threshold": _text(rule.threshold),
    }
    return RewardResult(employee.key, rule.code, None, details)


_REWARD_RULES = {
    RewardKind.COMMISSION: _commission,
    RewardKind.CONSECUTIVE_BANDS: _consecutive_bands,
    RewardKind.BAND_BONUS: _band_bonus,
    RewardKind.BAND_FLAG: _band_flag,
    RewardKind.DEVELOPMENT_FLAG: _development_flag,
}


# --------------------------------------------------------------------------- whole org


def score_employees(
    *,
    policy: PolicyRules,
    period: PeriodSpec,
    employees: Iterable[EmployeeInput],
    units: Mapping[int, UnitAggregate],
    team_composites: Mapping[int, Sequence[Decimal]],
    team_hits: Mapping[int, Mapping[str, TargetHits]],
) -> PeriodResult:
    """Scorecards and rewards of employees whose teams are already scored: one tree level, or a
    chunk of one. ``team_composites``: the composites of each employee's team for this period.

    The one scoring loop: a close runs it per chunk (teams' composites read back from the
    database), ``score_period`` per level in memory (the policy preview, a dry run, the tests)."""
    scorecards: dict[int, ScorecardResult] = {}
    rewards: list[RewardResult] = []
    no_data: list[int] = []
    no_hits: Mapping[str, TargetHits] = {}
    with localcontext(_ENGINE_CONTEXT):  # once for the whole loop: entering it per employee costs
        for employee in employees:
            key = employee.key
            scorecard = _score_employee(
                policy, period, employee, units[key], team_composites.get(key, ()), team_hits.get(key) or no_hits
            )
            if scorecard is None:
                no_data.append(key)
            else:
                scorecards[key] = scorecard
            rewards.extend(_rewards_for(policy, period, employee, scorecard))
    return PeriodResult(scorecards=scorecards, rewards=rewards, no_data=no_data)


def score_period(
    *,
    policy: PolicyRules,
    period: PeriodSpec,
    employees: Sequence[EmployeeInput],
    units: Mapping[int, UnitAggregate] | None = None,
    team_hits: Mapping[int, Mapping[str, TargetHits]] | None = None,
) -> PeriodResult:
    """Scorecards and rewards of a whole org for one period, scored bottom-up in memory.

    ``units`` and ``team_hits`` are computed from ``employees`` unless a selector read them
    already (the unit sums of a stored org come from SQL)."""
    teams = team_index(employees)
    levels = tree_levels(employees, teams)
    if units is None:
        units = unit_totals(policy=policy, period=period, employees=employees, levels=levels, teams=teams)
    if team_hits is None:
        team_hits = {
            key: team_target_hits(policy=policy, period=period, role=employee.role, team_units=[units[m] for m in team])
            for employee in employees
            if (team := teams.get(key := employee.key))
        }
    by_key = {employee.key: employee for employee in employees}
    result = PeriodResult(scorecards={}, rewards=[], no_data=[])
    for level in levels:
        composites = {
            key: [result.scorecards[m].composite for m in teams.get(key, ()) if m in result.scorecards] for key in level
        }
        part = score_employees(
            policy=policy,
            period=period,
            employees=[by_key[key] for key in level],
            units=units,
            team_composites=composites,
            team_hits=team_hits,
        )
        result.scorecards.update(part.scorecards)
        result.rewards.extend(part.rewards)
        result.no_data.extend(part.no_data)
    return result
