"""The one scoring loop: the scorecards and rewards of a tree level (``score_employees``, a close's
chunk), or of a whole org bottom-up in memory (``score_period``: the policy preview, a dry run,
the tests)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from decimal import Decimal, localcontext

from appraisals.engine.base import ENGINE_CONTEXT
from appraisals.engine.inputs import EmployeeInput, PeriodSpec, TargetHits, UnitAggregate
from appraisals.engine.kpis import _score_employee, team_target_hits, unit_totals
from appraisals.engine.policy import PolicyRules
from appraisals.engine.results import PeriodResult, RewardResult, ScorecardResult
from appraisals.engine.rewards import _rewards_for
from roles.tree import team_index, tree_levels


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
    with localcontext(ENGINE_CONTEXT):  # once for the whole loop: entering it per employee costs
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
