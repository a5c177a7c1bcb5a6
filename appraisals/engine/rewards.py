"""The reward rules of POLICY.md §6: commission on the tier ladder, flex time for bands held in a
row, band bonuses, band flags and the development flag."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, localcontext

from appraisals.engine.base import ENGINE_CONTEXT, ZERO, decimal_text, period_span, round_half_up
from appraisals.engine.inputs import EmployeeInput, PeriodSpec, monthly_values
from appraisals.engine.policy import PolicyRules, RewardKind, RewardRuleSpec
from appraisals.engine.results import RewardResult, ScorecardResult
from appraisals.periods import MONTH


def rewards_for(
    *, policy: PolicyRules, period: PeriodSpec, employee: EmployeeInput, scorecard: ScorecardResult | None
) -> list[RewardResult]:
    """The reward suggestions (and development flag) of one employee for one period, in the
    order of the policy's reward table (the rules: ``PolicyRules.reward_rules_for``). Commission
    depends on sales alone (POLICY.md §6), so it is made even without a scorecard; every other
    reward needs one."""
    with localcontext(ENGINE_CONTEXT):
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
    actuals = monthly_values(employee.by_month, employee.totals, rule.actual_metric, period)
    targets = monthly_values(employee.by_month, employee.totals, rule.target_metric, period)
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
            rule.actual_metric: decimal_text(actual),
            rule.target_metric: "" if target is None else decimal_text(target),
            "slices": [[decimal_text(part.portion), decimal_text(part.rate)] for part in slices],
        }
    else:
        details = {
            "months": period_span(period.months),
            rule.actual_metric: decimal_text(sum((actuals.get(m, ZERO) for m in period.months), ZERO)),
            rule.target_metric: decimal_text(sum((targets.get(m, ZERO) for m in period.months), ZERO)),
            "by_month": [
                {
                    "month": month,
                    "actual": decimal_text(actual),
                    "target": "" if target is None else decimal_text(target),
                    "slices": [[decimal_text(part.portion), decimal_text(part.rate)] for part in slices],
                    "amount": decimal_text(amount),
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
    details = {
        "band": scorecard.band,
        "base": decimal_text(base),
        "base_source": source,
        "multiplier": decimal_text(multiplier),
    }
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
        "scores": ";".join(f"{result.code}={decimal_text(result.score)}" for result in low),
        "threshold": decimal_text(rule.threshold),
    }
    return RewardResult(employee.key, rule.code, None, details)


_REWARD_RULES = {
    RewardKind.COMMISSION: _commission,
    RewardKind.CONSECUTIVE_BANDS: _consecutive_bands,
    RewardKind.BAND_BONUS: _band_bonus,
    RewardKind.BAND_FLAG: _band_flag,
    RewardKind.DEVELOPMENT_FLAG: _development_flag,
}
