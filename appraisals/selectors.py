"""Reads that feed the scoring engine: a whole chunk of an org in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NamedTuple

from django.conf import settings
from django.db import connection
from django.db.models import Q

from appraisals.engine.inputs import EmployeeInput, InputsPlan, MetricAgg, PeriodSpec, TargetHits, UnitAggregate
from appraisals.engine.kpis import team_target_hits
from appraisals.engine.org import score_period
from appraisals.engine.policy import BandDef, KpiDef, PolicyRules, RewardRuleSpec, TierSpec
from appraisals.engine.results import PeriodResult
from appraisals.models import Period, PolicyVersion, RewardRule
from appraisals.periods import PeriodRef
from roles.models import Employee
from sales_perf.bulk import id_list_sql


class NoPolicyError(Exception):
    pass


def policy_version_for(period: Period | PeriodRef) -> PolicyVersion:
    """The version in force for a period: the latest one effective on or before the period's start."""
    start = period.start
    version = PolicyVersion.objects.filter(effective_from__lte=start).order_by("-effective_from").first()
    if version is None:
        raise NoPolicyError(f"no policy version is in force for {period}")
    return version


def engine_policy(version: PolicyVersion) -> PolicyRules:
    """Turn a stored policy version into the engine's plain dataclasses (4 queries)."""
    kpis = tuple(
        KpiDef(
            code=kpi.code,
            role=kpi.role.code,
            formula=kpi.formula,
            numerator_metric=kpi.numerator_metric_id,
            denominator_metric=kpi.denominator_metric_id,
            target=kpi.target,
            weight=kpi.weight,
            cadence=kpi.cadence,
        )
        for kpi in version.kpis.select_related("role").order_by("role__order", "order", "id")
    )
    bands = tuple(BandDef(letter=b.letter, min_composite=b.min_composite) for b in version.bands.all())
    rules = []
    for rule in RewardRule.objects.filter(policy_version=version).prefetch_related("multipliers", "tiers"):
        rules.append(
            RewardRuleSpec(
                code=rule.code,
                kind=rule.kind,
                roles=frozenset(rule.role_codes),
                period_kinds=frozenset(rule.period_kind_list),
                bands=frozenset(rule.bands),
                multipliers={m.band: m.multiplier for m in rule.multipliers.all()},
                base_field=rule.base_field or None,
                default_base=rule.default_base,
                window_months=rule.window_months,
                threshold=rule.threshold,
                tiers=tuple(TierSpec(t.up_to_multiple, t.rate) for t in rule.tiers.all()),
                flat_rate=rule.flat_rate,
                actual_metric=rule.actual_metric,
                target_metric=rule.target_metric,
                is_cash=rule.is_cash,
                order=rule.order,
            )
        )
    return PolicyRules(
        kpis=kpis, bands=bands, reward_rules=tuple(rules), score_min=version.score_min, score_max=version.score_max
    )


@dataclass(frozen=True, slots=True)
class OrgNode:
    key: int
    reports_to: int | None


def scored_employees(period_start: date | None = None):
    """The employees a period starting on ``period_start`` scores: everyone but leavers whose end
    date came before it (a leaver keeps the history of the months they worked)."""
    employees = Employee.objects.all()
    if period_start is not None:
        employees = employees.filter(Q(end_date__isnull=True) | Q(end_date__gte=period_start))
    return employees


def org_nodes(*, period_start: date | None = None) -> list[OrgNode]:
    """Every employee scored for a period starting on ``period_start`` as (id, reports_to): one
    query, for the tree levels of a close. A manager who left is no one's node: their reports are
    roots of the period's tree."""
    rows = scored_employees(period_start).values_list("id", "reports_to_id").iterator(10000)
    return [OrgNode(pk, parent) for pk, parent in rows]


@dataclass
class ChunkInputs:
    employees: list[EmployeeInput]
    units: dict[int, UnitAggregate]
    team_composites: dict[int, list[Decimal]]
    team_hits: dict[int, dict[str, TargetHits]]
    reports_to_nos: dict[int, str]


def chunk_inputs(
    *, policy: PolicyRules, period: PeriodSpec, period_id: int, employee_ids: Sequence[int]
) -> ChunkInputs:
    """Everything the engine needs to score ``employee_ids`` (one tree level or part of one).

    What to read is planned once (``InputsPlan``); each reader below then makes at most one query
    (two for M2's sub-teams), whatever the chunk's size. The lower levels of the same close must
    already be written: S4 reads the team's scorecards."""
    plan = InputsPlan.of(policy, period)
    periods = period_ids(plan.period_codes)
    rows = chunk_employees(employee_ids)
    ids = [row.id for row in rows]
    sub_ids = periods.ids(plan.sub_periods)
    totals = own_totals(ids, sub_ids)
    by_month = own_values_by_period(ids, periods, plan.sub_periods, plan.by_month_metrics)
    at = own_values_at(ids, periods, plan.point_quarters, plan.point_metrics)
    bands = earlier_bands(ids, periods, plan.band_months)
    members = team_members(ids)
    composites = team_composites(period_id=period_id, employee_ids=ids)
    employees = [
        EmployeeInput(
            key=row.id,
            role=row.role,
            reports_to=row.reports_to_id,
            totals=totals.get(row.id, {}),
            by_month=by_month.get(row.id, {}),
            at=at.get(row.id, {}),
            previous_bands=bands.get(row.id, {}),
            quarterly_bonus_base=row.quarterly_bonus_base,
            annual_bonus_base=row.annual_bonus_base,
        )
        for row in rows
    ]
    managers = [pk for pk in ids if members.get(pk)]
    return ChunkInputs(
        employees=employees,
        units=_units(employees, managers, unit_sums(managers, plan.unit_metrics, sub_ids)),
        team_composites=composites,
        team_hits=_team_hits(plan, policy, employees, managers, periods),
        reports_to_nos={row.id: row.reports_to_no or "" for row in rows},
    )


def _units(
    employees: list[EmployeeInput], managers: list[int], sums: dict[int, dict[str, MetricAgg]]
) -> dict[int, UnitAggregate]:
    """unit(e) of each chunk member: the SQL sums for those with a team, their own figures (shared,
    not copied) for the others."""
    with_team = set(managers)
    return {
        employee.key: UnitAggregate(totals=sums.get(employee.key, {}), by_month={}, has_team=True)
        if employee.key in with_team
        else UnitAggregate(totals=employee.totals, by_month=employee.by_month, has_team=False)
        for employee in employees
    }


def _team_hits(
    plan: InputsPlan, policy: PolicyRules, employees: list[EmployeeInput], managers: list[int], periods: PeriodIds
) -> dict[int, dict[str, TargetHits]]:
    """M2's tally for each chunk member with a team whose role has the KPI."""
    roles = {employee.key: employee.role for employee in employees}
    counted = [pk for pk in managers if roles[pk] in plan.roles_comparing_team_targets]
    if not (counted and plan.unit_month_metrics):
        return {}
    subteams = subteam_month_sums(counted, plan.unit_month_metrics, periods.ids(plan.period.months), periods.code_of)
    return {
        pk: team_target_hits(policy=policy, period=plan.period, role=roles[pk], team_units=subteams.get(pk, []))
        for pk in counted
    }


# --------------------------------------------------------------------------- the close's readers
# Each reads one thing for a chunk in one query (none when the plan needs none of it).


class PeriodIds(NamedTuple):
    """The stored periods among a plan's codes (a period not stored yet has no values either)."""

    by_code: dict[str, int]
    code_of: dict[int, str]

    def ids(self, codes: Iterable[str]) -> list[int]:
        return [self.by_code[code] for code in codes if code in self.by_code]


def period_ids(codes: Sequence[str]) -> PeriodIds:
    by_code = dict(Period.objects.filter(code__in=list(codes)).values_list("code", "id"))
    return PeriodIds(by_code, {pk: code for code, pk in by_code.items()})


class ChunkEmployee(NamedTuple):
    id: int
    role: str
    reports_to_id: int | None
    reports_to_no: str | None
    quarterly_bonus_base: Decimal | None
    annual_bonus_base: Decimal | None


def chunk_employees(employee_ids: Sequence[int]) -> list[ChunkEmployee]:
    rows = Employee.objects.filter(id__in=employee_ids).values_list(
        "id",
        "role__code",
        "reports_to_id",
        "reports_to__employee_no",
        "quarterly_bonus_base",
        "annual_bonus_base",
    )
    return [ChunkEmployee(*row) for row in rows]


def own_totals(employee_ids: list[int], period_ids: list[int]) -> dict[int, dict[str, MetricAgg]]:
    """Σ and count of every metric of each employee over ``period_ids`` (the period's months for monthly
    metrics, its quarters for quarterly ones)."""
    totals: dict[int, dict[str, MetricAgg]] = defaultdict(dict)
    if not period_ids:
        return totals
    period_sql, period_params = id_list_sql("mv.period_id", period_ids)
    own_sql, own_params = id_list_sql("mv.employee_id", employee_ids)
    for employee_id, metric, total, count in _sums(
        "mv.employee_id, mv.metric_id",
        f"FROM appraisals_metricvalue mv WHERE {period_sql} AND {own_sql}",
        period_params + own_params,
        2,
    ):
        totals[employee_id][metric] = MetricAgg(_decimal(total), count)
    return totals


def own_values_by_period(
    employee_ids: list[int], periods: PeriodIds, codes: Sequence[str], metrics: Sequence[str]
) -> dict[int, dict[str, dict[str, Decimal]]]:
    """employee → metric → {period code: value} of ``metrics`` in the periods ``codes`` (the months a
    quarter's or a year's commission is paid on)."""
    values: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    ids = periods.ids(codes)
    if metrics and ids:
        for employee_id, metric, pid, value in _values(ids, employee_ids, metrics):
            values[employee_id][metric][periods.code_of[pid]] = _decimal(value)
    return values


def own_values_at(
    employee_ids: list[int], periods: PeriodIds, quarters: Sequence[str], metrics: Sequence[str]
) -> dict[int, dict[tuple[str, str], Decimal]]:
    """employee → {(metric, quarter): value} of ``metrics`` at single quarters (a delta such as M5)."""
    at: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    ids = periods.ids(quarters)
    if metrics and ids:
        for employee_id, metric, pid, value in _values(ids, employee_ids, metrics):
            at[employee_id][(metric, periods.code_of[pid])] = _decimal(value)
    return at


def earlier_bands(employee_ids: list[int], periods: PeriodIds, months: Sequence[str]) -> dict[int, dict[str, str]]:
    """employee → {month: band} of their scorecards of earlier ``months`` (flex time)."""
    bands: dict[int, dict[str, str]] = defaultdict(dict)
    ids = periods.ids(months)
    if ids:
        period_sql, period_params = id_list_sql("period_id", ids)
        id_sql, id_params = id_list_sql("employee_id", employee_ids)
        for employee_id, pid, band in _fetch(
            f"SELECT employee_id, period_id, band FROM appraisals_scorecard WHERE {period_sql} AND {id_sql}",
            period_params + id_params,
        ):
            bands[employee_id][periods.code_of[pid]] = band
    return bands


def team_members(employee_ids: list[int]) -> dict[int, list[int]]:
    """employee → the ids of those who report to them (whoever has one has a team)."""
    parent_sql, parent_params = id_list_sql("reports_to_id", employee_ids)
    members: dict[int, list[int]] = defaultdict(list)
    for child_id, parent_id in _fetch(
        f"SELECT id, reports_to_id FROM roles_employee WHERE {parent_sql}", parent_params
    ):
        members[parent_id].append(child_id)
    return members


def team_composites(*, period_id: int, employee_ids: list[int]) -> dict[int, list[Decimal]]:
    """employee → the composites of their team's scorecards of this period (S4): the levels below
    are written before this one is read."""
    parent_sql, parent_params = id_list_sql("reports_to_id", employee_ids)
    composites: dict[int, list[Decimal]] = defaultdict(list)
    for parent_id, composite in _fetch(
        f"SELECT e.reports_to_id, s.composite FROM appraisals_scorecard s "
        f"JOIN roles_employee e ON e.id = s.employee_id WHERE s.period_id = %s AND e.{parent_sql}",
        [period_id, *parent_params],
    ):
        composites[parent_id].append(_decimal(composite))
    return composites


def unit_sums(roots: list[int], metrics: Sequence[str], period_ids: list[int]) -> dict[int, dict[str, MetricAgg]]:
    """root → Σ and count of ``metrics`` over unit(root) (the root and everyone below), by a recursive
    walk down the tree (S1, M1, M3)."""
    result: dict[int, dict[str, MetricAgg]] = defaultdict(dict)
    if not (roots and metrics and period_ids):
        return result
    roots_sql, roots_params = id_list_sql("id", roots)
    period_sql, period_params = id_list_sql("mv.period_id", period_ids)
    metric_sql = ", ".join(["%s"] * len(metrics))
    for root, metric, total, count in _sums(
        "unit.root_id, mv.metric_id",
        f"FROM unit JOIN appraisals_metricvalue mv ON mv.employee_id = unit.member_id "
        f"WHERE {period_sql} AND mv.metric_id IN ({metric_sql})",
        roots_params + period_params + list(metrics),
        2,
        prefix=_UNIT_CTE.format(roots=roots_sql),
    ):
        result[root][metric] = MetricAgg(_decimal(total), count)
    return result


def subteam_month_sums(
    parent_ids: list[int], metrics: Sequence[str], month_ids: list[int], code_of: dict[int, str]
) -> dict[int, list[UnitAggregate]]:
    """parent → each team member d with a team of their own, as unit(d)'s month-by-month sums of
    ``metrics`` (M2; two queries: the sub-teams, then their sums)."""
    roots_sql, roots_params = id_list_sql("reports_to_id", parent_ids)
    subteams = _fetch(
        f"SELECT id, reports_to_id FROM roles_employee WHERE {roots_sql} "
        f"AND EXISTS (SELECT 1 FROM roles_employee c WHERE c.reports_to_id = roles_employee.id)",
        roots_params,
    )
    monthly = _unit_by_month([d for d, _ in subteams], metrics, month_ids, code_of) if month_ids else {}
    members: dict[int, list[UnitAggregate]] = defaultdict(list)
    for d, parent in subteams:
        members[parent].append(UnitAggregate(totals={}, by_month=monthly.get(d, {}), has_team=True))
    return members


def _unit_by_month(
    roots: list[int], metrics: Sequence[str], month_ids: list[int], code_of: dict[int, str]
) -> dict[int, dict[str, dict[str, Decimal]]]:
    if not roots:
        return {}
    roots_sql, roots_params = id_list_sql("id", roots)
    period_sql, period_params = id_list_sql("mv.period_id", month_ids)
    metric_sql = ", ".join(["%s"] * len(metrics))
    result: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    for root, metric, pid, total, _count in _sums(
        "unit.root_id, mv.metric_id, mv.period_id",
        f"FROM unit JOIN appraisals_metricvalue mv ON mv.employee_id = unit.member_id "
        f"WHERE {period_sql} AND mv.metric_id IN ({metric_sql})",
        roots_params + period_params + list(metrics),
        3,
        prefix=_UNIT_CTE.format(roots=roots_sql),
    ):
        result[root][metric][code_of[pid]] = _decimal(total)
    return result


# --------------------------------------------------------------------------- SQL helpers of the readers


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _values(period_ids: list[int], employee_ids: list[int], metrics: Sequence[str]) -> list[tuple]:
    """``(employee_id, metric, period_id, value)`` of ``metrics`` in those periods, for those employees."""
    period_sql, period_params = id_list_sql("period_id", period_ids)
    id_sql, id_params = id_list_sql("employee_id", employee_ids)
    metric_sql = ", ".join(["%s"] * len(metrics))
    return _fetch(
        f"SELECT employee_id, metric_id, period_id, value FROM appraisals_metricvalue "
        f"WHERE {period_sql} AND {id_sql} AND metric_id IN ({metric_sql})",
        period_params + id_params + list(metrics),
    )


def _sums(select_keys: str, source_sql: str, params: list, key_count: int, prefix: str = "") -> list[tuple]:
    """``(keys..., Σ value, count)`` grouped by the keys.

    PostgreSQL sums exact numerics itself. SQLite keeps decimals as floats and would sum them
    inexactly, so there the rows come back one by one and Python adds them as Decimal."""
    if connection.vendor == "postgresql":
        return _fetch(
            f"{prefix}SELECT {select_keys}, SUM(mv.value), COUNT(*) {source_sql} GROUP BY {select_keys}", params
        )
    grouped: dict[tuple, list] = {}
    for row in _fetch(f"{prefix}SELECT {select_keys}, mv.value {source_sql}", params):
        key = row[:key_count]
        entry = grouped.get(key)
        if entry is None:
            grouped[key] = [_decimal(row[key_count]), 1]
        else:
            entry[0] += _decimal(row[key_count])
            entry[1] += 1
    return [(*key, total, count) for key, (total, count) in grouped.items()]


def _decimal(value) -> Decimal:
    # SQLite hands back SUM() of a decimal column as float or str; go through str for exactness.
    return value if isinstance(value, Decimal) else Decimal(str(value))


_UNIT_CTE = """
WITH RECURSIVE unit(root_id, member_id) AS (
    SELECT id, id FROM roles_employee WHERE {roots}
    UNION ALL
    SELECT unit.root_id, e.id FROM roles_employee e JOIN unit ON e.reports_to_id = unit.member_id
)
"""


def period_result_in_memory(
    *, policy: PolicyRules, period: Period, employee_ids: Sequence[int] | None = None
) -> PeriodResult:
    """Score ``period`` for the whole org (or ``employee_ids``) in memory with the close's own inputs,
    read in chunks the size of a close's, and the one scoring loop; nothing is written. The policy
    preview and a close's dry run use it."""
    spec = policy.period_spec(period.code)
    ids = (
        list(employee_ids)
        if employee_ids is not None
        else list(scored_employees(period.start).values_list("id", flat=True))
    )
    size = settings.SALES_PERF_CLOSE_CHUNK_SIZE
    employees: list[EmployeeInput] = []
    units: dict[int, UnitAggregate] = {}
    team_hits: dict[int, dict[str, TargetHits]] = {}
    for start in range(0, len(ids), size):
        part = chunk_inputs(policy=policy, period=spec, period_id=period.pk, employee_ids=ids[start : start + size])
        employees += part.employees
        units.update(part.units)
        team_hits.update(part.team_hits)
    return score_period(policy=policy, period=spec, employees=employees, units=units, team_hits=team_hits)
