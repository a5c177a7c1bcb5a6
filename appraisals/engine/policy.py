"""The policy as the engine reads it: KPI definitions, bands and reward rules with their commission
tiers, built from a stored policy version (``appraisals.selectors.engine_policy``) or in a test."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from appraisals.engine.base import MONTHLY, QUARTERLY, ZERO
from appraisals.engine.inputs import PeriodSpec
from appraisals.periods import MONTH, PERIOD_KINDS


class Formula(StrEnum):
    """How a KPI is computed (the stored ``KpiDefinition.Formula``; a test holds the two equal)."""

    OWN_RATIO = "own_ratio"
    OWN_MEAN = "own_mean"
    UNIT_RATIO = "unit_ratio"
    TEAM_MEAN_COMPOSITE = "team_mean_composite"
    TEAM_TARGET_HIT_SHARE = "team_target_hit_share"
    OWN_DELTA = "own_delta"


class RewardKind(StrEnum):
    """Which rule makes a reward (the stored ``RewardRule.Kind``; a test holds the two equal)."""

    COMMISSION = "commission"
    CONSECUTIVE_BANDS = "consecutive_bands"
    BAND_BONUS = "band_bonus"
    BAND_FLAG = "band_flag"
    DEVELOPMENT_FLAG = "development_flag"


# The employee fields a band bonus may take its base from (``EmployeeInput`` has both).
BONUS_BASE_FIELDS = ("quarterly_bonus_base", "annual_bonus_base")


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
    base_field: str | None = None  # one of BONUS_BASE_FIELDS
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
        if self.base_field is not None and self.base_field not in BONUS_BASE_FIELDS:
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
