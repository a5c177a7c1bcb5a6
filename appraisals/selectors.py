"""Reads that feed the scoring engine: a whole chunk of an org in a fixed number of queries."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.conf import settings
from django.db import connection
from django.db.models import Q

from appraisals.engine.inputs import EmployeeInput, MetricAgg, PeriodSpec, TargetHits, UnitAggregate
from appraisals.engine.kpis import team_target_hits
from appraisals.engine.org import score_period
from appraisals.engine.policy import BandDef, KpiDef, PolicyRules, RewardRuleSpec, TierSpec
from appraisals.engine.results import PeriodResult
from appraisals.models import Period, PolicyVersion, RewardRule
from appraisals.periods import MONTH, PeriodRef
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


def _period_ids(codes: Sequence[str]) -> dict[str, int]:
    return dict(Period.objects.filter(code__in=list(codes)).values_list("code", "id"))


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _values(period_ids: list[int], id_sql: str, id_params: list, metrics: list[str]) -> list[tuple]:
    """``(employee_id, metric, period_id, value)`` of ``metrics`` in those periods, for the employees
    ``id_sql`` selects."""
    period_sql, period_params = id_list_sql("period_id", period_ids)
    metric_sql = ", ".join(["%s"] * len(metrics))
    return _fetch(
        f"SELECT employee_id, metric_id, period_id, value FROM appraisals_metricvalue "
        f"WHERE {period_sql} AND {id_sql} AND metric_id IN ({metric_sql})",
        period_params + id_params + metrics,
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


def chunk_inputs(
    *, policy: PolicyRules, period: PeriodSpec, period_id: int, employee_ids: Sequence[int]
) -> ChunkInputs:
    """Everything the engine needs to score ``employee_ids`` (one tree level or part of one).

    The lower levels of the same close must already be written: S4 reads the team's scorecards.
    Query count is fixed, whatever the chunk's size."""
    sub_codes = list(period.months) + list(period.quarters)
    extra_codes = [c for c in (period.last_quarter, period.baseline_quarter) if c] + list(period.previous_months)
    period_ids = _period_ids(sub_codes + extra_codes)
    sub_ids = [period_ids[c] for c in sub_codes if c in period_ids]
    code_of = {pk: code for code, pk in period_ids.items()}

    rows = list(
        Employee.objects.filter(id__in=employee_ids).values_list(
            "id",
            "role__code",
            "reports_to_id",
            "reports_to__employee_no",
            "quarterly_bonus_base",
            "annual_bonus_base",
        )
    )
    ids = [row[0] for row in rows]
    id_sql, id_params = id_list_sql("employee_id", ids)

    # Own totals per metric over the period's months (monthly metrics) and quarters (quarterly ones).
    totals: dict[int, dict[str, MetricAgg]] = defaultdict(dict)
    if sub_ids:
        period_sql, period_params = id_list_sql("mv.period_id", sub_ids)
        own_sql, own_params = id_list_sql("mv.employee_id", ids)
        for employee_id, metric, total, count in _sums(
            "mv.employee_id, mv.metric_id",
            f"FROM appraisals_metricvalue mv WHERE {period_sql} AND {own_sql}",
            period_params + own_params,
            2,
        ):
            totals[employee_id][metric] = MetricAgg(_decimal(total), count)

    # Month-by-month own values for rewards that look at single months inside a longer period.
    own_by_month: dict[int, dict[str, dict[str, Decimal]]] = defaultdict(lambda: defaultdict(dict))
    commission_metrics = sorted(policy.commission_metrics(period.kind))
    if period.kind != MONTH and commission_metrics and sub_ids:
        for employee_id, metric, pid, value in _values(sub_ids, id_sql, id_params, commission_metrics):
            own_by_month[employee_id][metric][code_of[pid]] = _decimal(value)

    # Point values for deltas (M5): the period's last quarter and the baseline quarter.
    at: dict[int, dict[tuple[str, str], Decimal]] = defaultdict(dict)
    delta_metrics = sorted(policy.point_metrics())
    point_ids = [period_ids[c] for c in (period.last_quarter, period.baseline_quarter) if c and c in period_ids]
    if delta_metrics and point_ids:
        for employee_id, metric, pid, value in _values(point_ids, id_sql, id_params, delta_metrics):
            at[employee_id][(metric, code_of[pid])] = _decimal(value)

    # Bands of earlier months (flex time).
    previous_bands: dict[int, dict[str, str]] = defaultdict(dict)
    previous_ids = [period_ids[c] for c in period.previous_months if c in period_ids]
    if previous_ids:
        period_sql, period_params = id_list_sql("period_id", previous_ids)
        for employee_id, pid, band in _fetch(
            f"SELECT employee_id, period_id, band FROM appraisals_scorecard WHERE {period_sql} AND {id_sql}",
            period_params + id_params,
        ):
            previous_bands[employee_id][code_of[pid]] = band

    # Who has a team, and the team's composites for this period (S4); lower levels are already written.
    parent_sql, parent_params = id_list_sql("reports_to_id", ids)
    children: dict[int, list[int]] = defaultdict(list)
    for child_id, parent_id in _fetch(
        f"SELECT id, reports_to_id FROM roles_employee WHERE {parent_sql}", parent_params
    ):
        children[parent_id].append(child_id)
    team_composites: dict[int, list[Decimal]] = defaultdict(list)
    for parent_id, composite in _fetch(
        f"SELECT e.reports_to_id, s.composite FROM appraisals_scorecard s "
        f"JOIN roles_employee e ON e.id = s.employee_id WHERE s.period_id = %s AND e.{parent_sql}",
        [period_id, *parent_params],
    ):
        team_composites[parent_id].append(_decimal(composite))

    employees = [
        EmployeeInput(
            key=pk,
            role=role,
            reports_to=parent,
            totals=totals.get(pk, {}),
            by_month=own_by_month.get(pk, {}),
            at=at.get(pk, {}),
            previous_bands=previous_bands.get(pk, {}),
            quarterly_bonus_base=q_base,
            annual_bonus_base=a_base,
        )
        for pk, role, parent, _parent_no, q_base, a_base in rows
    ]

    # Unit sums (S1, M1, M3…) over unit(e) for chunk members with a team, by a recursive walk down the tree.
    units: dict[int, UnitAggregate] = {}
    unit_metrics = sorted(policy.unit_metrics())
    month_metrics = sorted(policy.unit_metrics_by_month())
    managers = [pk for pk in ids if children.get(pk)]
    unit_totals: dict[int, dict[str, MetricAgg]] = defaultdict(dict)
    if managers and unit_metrics and sub_ids:
        unit_totals = _unit_totals(managers, unit_metrics, sub_ids)
    by_employee = {e.key: e for e in employees}
    for pk in ids:
        employee = by_employee[pk]
        if children.get(pk):
            units[pk] = UnitAggregate(totals=unit_totals.get(pk, {}), by_month={}, has_team=True)
        else:
            units[pk] = UnitAggregate(totals=employee.totals, by_month=employee.by_month, has_team=False)

    # M2: month-by-month unit sums of each team member d that has a team of its own.
    team_hits: dict[int, dict[str, TargetHits]] = {}
    m2_roles = policy.roles_comparing_team_targets()
    needs_hits = [pk for pk in managers if by_employee[pk].role in m2_roles]
    if needs_hits and month_metrics:
        month_ids = [period_ids[c] for c in period.months if c in period_ids]
        sub_roots_sql, sub_roots_params = id_list_sql("reports_to_id", needs_hits)
        subteam_rows = _fetch(
            f"SELECT id, reports_to_id FROM roles_employee WHERE {sub_roots_sql} "
            f"AND EXISTS (SELECT 1 FROM roles_employee c WHERE c.reports_to_id = roles_employee.id)",
            sub_roots_params,
        )
        monthly = _unit_by_month([d for d, _ in subteam_rows], month_metrics, month_ids, code_of) if month_ids else {}
        members: dict[int, list[UnitAggregate]] = defaultdict(list)
        for d, parent in subteam_rows:
            members[parent].append(UnitAggregate(totals={}, by_month=monthly.get(d, {}), has_team=True))
        for pk in needs_hits:
            team_hits[pk] = team_target_hits(
                policy=policy, period=period, role=by_employee[pk].role, team_units=members.get(pk, [])
            )

    return ChunkInputs(
        employees=employees,
        units=units,
        team_composites=team_composites,
        team_hits=team_hits,
        reports_to_nos={row[0]: row[3] or "" for row in rows},
    )


def _unit_totals(roots: list[int], metrics: list[str], period_ids: list[int]) -> dict[int, dict[str, MetricAgg]]:
    roots_sql, roots_params = id_list_sql("id", roots)
    period_sql, period_params = id_list_sql("mv.period_id", period_ids)
    metric_sql = ", ".join(["%s"] * len(metrics))
    result: dict[int, dict[str, MetricAgg]] = defaultdict(dict)
    for root, metric, total, count in _sums(
        "unit.root_id, mv.metric_id",
        f"FROM unit JOIN appraisals_metricvalue mv ON mv.employee_id = unit.member_id "
        f"WHERE {period_sql} AND mv.metric_id IN ({metric_sql})",
        roots_params + period_params + metrics,
        2,
        prefix=_UNIT_CTE.format(roots=roots_sql),
    ):
        result[root][metric] = MetricAgg(_decimal(total), count)
    return result


def _unit_by_month(
    roots: list[int], metrics: list[str], month_ids: list[int], code_of: dict[int, str]
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
        roots_params + period_params + metrics,
        3,
        prefix=_UNIT_CTE.format(roots=roots_sql),
    ):
        result[root][metric][code_of[pid]] = _decimal(total)
    return result


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
