"""The default policy of POLICY.md §5 and §6 as engine dataclasses, for the engine's tests."""

from __future__ import annotations

from decimal import Decimal as D

from appraisals.engine.policy import BandDef, Formula, KpiDef, PolicyRules, RewardKind, RewardRuleSpec, TierSpec

ALL_ROLES = frozenset({"manager", "supervisor", "rep"})

DEFAULT_KPIS = (
    # code, role, formula, numerator, denominator, target, weight, cadence
    KpiDef("R1", "rep", Formula.OWN_RATIO, "sales_actual", "sales_target", D("1.0"), D("50"), "monthly"),
    KpiDef("R2", "rep", Formula.OWN_MEAN, "csat", None, D("4"), D("20"), "monthly"),
    KpiDef("R3", "rep", Formula.OWN_MEAN, "collaboration", None, D("4"), D("15"), "quarterly"),
    KpiDef("R4", "rep", Formula.OWN_MEAN, "skill_growth", None, D("4"), D("15"), "quarterly"),
    KpiDef("S1", "supervisor", Formula.UNIT_RATIO, "sales_actual", "sales_target", D("1.0"), D("35"), "monthly"),
    KpiDef("S2", "supervisor", Formula.OWN_MEAN, "collaboration", None, D("4"), D("15"), "quarterly"),
    KpiDef("S3", "supervisor", Formula.OWN_MEAN, "team_efficiency", None, D("4"), D("20"), "quarterly"),
    KpiDef("S4", "supervisor", Formula.TEAM_MEAN_COMPOSITE, None, None, D("100"), D("30"), "monthly"),
    KpiDef("M1", "manager", Formula.UNIT_RATIO, "sales_actual", "sales_target", D("1.0"), D("30"), "monthly"),
    KpiDef(
        "M2", "manager", Formula.TEAM_TARGET_HIT_SHARE, "sales_actual", "sales_target", D("0.8"), D("15"), "monthly"
    ),
    KpiDef("M3a", "manager", Formula.UNIT_RATIO, "new_customers", "new_customer_target", D("1.0"), D("10"), "monthly"),
    KpiDef("M3b", "manager", Formula.UNIT_RATIO, "customers_retained", "customers_start", D("0.9"), D("10"), "monthly"),
    KpiDef("M4", "manager", Formula.OWN_MEAN, "collaboration", None, D("4"), D("15"), "quarterly"),
    KpiDef("M5", "manager", Formula.OWN_DELTA, "market_share", None, D("1.0"), D("20"), "quarterly"),
)

DEFAULT_BANDS = (
    BandDef("A", D("110")),
    BandDef("B", D("95")),
    BandDef("C", D("80")),
    BandDef("D", D("60")),
    BandDef("E", D("0")),
)

DEFAULT_REWARDS = (
    RewardRuleSpec(
        code="commission",
        kind=RewardKind.COMMISSION,
        roles=frozenset({"rep"}),
        period_kinds=frozenset({"month"}),
        tiers=(
            TierSpec(D("1.0"), D("0.02")),
            TierSpec(D("1.5"), D("0.04")),
            TierSpec(None, D("0.06")),
        ),
        flat_rate=D("0.02"),
        is_cash=True,
        order=1,
    ),
    RewardRuleSpec(
        code="flex_time",
        kind=RewardKind.CONSECUTIVE_BANDS,
        roles=frozenset({"rep"}),
        period_kinds=frozenset({"month"}),
        bands=frozenset({"A", "B"}),
        window_months=3,
        order=2,
    ),
    RewardRuleSpec(
        code="quarterly_bonus",
        kind=RewardKind.BAND_BONUS,
        roles=frozenset({"supervisor"}),
        period_kinds=frozenset({"quarter"}),
        multipliers={"A": D("1.5"), "B": D("1.2"), "C": D("1.0"), "D": D("0.5"), "E": D("0")},
        base_field="quarterly_bonus_base",
        default_base=D("6000.00"),
        is_cash=True,
        order=3,
    ),
    RewardRuleSpec(
        code="year_end_bonus",
        kind=RewardKind.BAND_BONUS,
        roles=frozenset({"manager"}),
        period_kinds=frozenset({"year"}),
        multipliers={"A": D("2.0"), "B": D("1.5"), "C": D("1.0"), "D": D("0.5"), "E": D("0")},
        base_field="annual_bonus_base",
        default_base=D("60000.00"),
        is_cash=True,
        order=4,
    ),
    RewardRuleSpec(
        code="promotion_or_raise",
        kind=RewardKind.BAND_FLAG,
        roles=ALL_ROLES,
        period_kinds=frozenset({"year"}),
        bands=frozenset({"A"}),
        order=5,
    ),
    RewardRuleSpec(
        code="training_or_career_plan",
        kind=RewardKind.BAND_FLAG,
        roles=ALL_ROLES,
        period_kinds=frozenset({"quarter", "year"}),
        bands=frozenset({"A", "B"}),
        order=6,
    ),
    RewardRuleSpec(
        code="development_plan",
        kind=RewardKind.DEVELOPMENT_FLAG,
        roles=ALL_ROLES,
        period_kinds=frozenset({"quarter", "year"}),
        threshold=D("80"),
        order=7,
    ),
)


def default_policy() -> PolicyRules:
    return PolicyRules(kpis=DEFAULT_KPIS, bands=DEFAULT_BANDS, reward_rules=DEFAULT_REWARDS)


def default_rule(code: str) -> RewardRuleSpec:
    return next(rule for rule in DEFAULT_REWARDS if rule.code == code)
