"""The worked example of docs/policy.md (tests/data/example), run through the engine alone.

Closes 2026-01 … 2026-12, then 2026-Q1 … 2026-Q4, then 2026, the way the period-end job
does, and checks every figure of expected_scorecards.csv and expected_bonus_list_2026.csv
(every reward counted as pending, since nobody has approved anything).
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass
from decimal import Decimal

import pytest

from appraisals.engine.inputs import EmployeeInput, MetricAgg, PeriodSpec
from appraisals.engine.org import score_period
from appraisals.engine.policy import PolicyRules
from appraisals.engine.results import RewardResult, ScorecardResult
from tests.appraisals.engine.defaults import default_policy
from tests.builders import EXAMPLE_DIR

EXAMPLE = EXAMPLE_DIR

CLOSE_ORDER = [f"2026-{month:02d}" for month in range(1, 13)] + [f"2026-Q{q}" for q in range(1, 5)] + ["2026"]


def _read(name: str) -> list[dict[str, str]]:
    with (EXAMPLE / name).open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


@dataclass
class Person:
    key: int
    employee_no: str
    role: str
    reports_to: str
    quarterly_bonus_base: Decimal | None
    annual_bonus_base: Decimal | None


@dataclass
class ClosedYear:
    people: dict[str, Person]
    scorecards: dict[tuple[str, str], ScorecardResult]  # (period, employee_no)
    rewards: dict[str, list[RewardResult]]  # employee_no -> every reward of the year
    no_data: dict[str, list[int]]
    policy: PolicyRules


def _employee_inputs(
    policy: PolicyRules,
    period: PeriodSpec,
    people: dict[str, Person],
    values: dict[tuple[str, str], dict[str, Decimal]],
    bands: dict[tuple[str, str], str],
) -> list[EmployeeInput]:
    """What the selector hands the engine: per-period sums and counts, per-month values of the
    metrics the policy needs month by month, market share at the two quarters, earlier bands."""
    by_month_metrics = policy.metrics_needed_by_month()
    inputs = []
    for person in people.values():
        totals: dict[str, list] = defaultdict(lambda: [Decimal(0), 0])
        by_month: dict[str, dict[str, Decimal]] = defaultdict(dict)
        at: dict[tuple[str, str], Decimal] = {}
        for sub_period in period.months + period.quarters:
            for metric, value in values.get((person.employee_no, sub_period), {}).items():
                totals[metric][0] += value
                totals[metric][1] += 1
                if metric in by_month_metrics and sub_period in period.months:
                    by_month[metric][sub_period] = value
        for quarter in (period.last_quarter, period.baseline_quarter):
            for metric, value in values.get((person.employee_no, quarter), {}).items():
                at[(metric, quarter)] = value
        inputs.append(
            EmployeeInput(
                key=person.key,
                role=person.role,
                reports_to=people[person.reports_to].key if person.reports_to else None,
                totals={metric: MetricAgg(total, count) for metric, (total, count) in totals.items()},
                by_month=dict(by_month),
                at=at,
                previous_bands={
                    month: bands[(month, person.employee_no)]
                    for month in period.previous_months
                    if (month, person.employee_no) in bands
                },
                quarterly_bonus_base=person.quarterly_bonus_base,
                annual_bonus_base=person.annual_bonus_base,
            )
        )
    return inputs


@pytest.fixture(scope="module")
def closed_year() -> ClosedYear:
    policy = default_policy()
    people = {
        row["employee_no"]: Person(
            key=index,
            employee_no=row["employee_no"],
            role=row["role"],
            reports_to=row["reports_to"],
            quarterly_bonus_base=Decimal(row["quarterly_bonus_base"]) if row["quarterly_bonus_base"] else None,
            annual_bonus_base=Decimal(row["annual_bonus_base"]) if row["annual_bonus_base"] else None,
        )
        for index, row in enumerate(_read("employees.csv"), start=1)
    }
    number_of = {person.key: person.employee_no for person in people.values()}
    values: dict[tuple[str, str], dict[str, Decimal]] = defaultdict(dict)
    for row in _read("metrics.csv"):
        values[(row["employee_no"], row["period"])][row["metric"]] = Decimal(row["value"])

    closed = ClosedYear(people, {}, defaultdict(list), {}, policy)
    bands: dict[tuple[str, str], str] = {}
    for code in CLOSE_ORDER:
        period = PeriodSpec.from_code(code, history_months=policy.flex_history_months())
        result = score_period(
            policy=policy, period=period, employees=_employee_inputs(policy, period, people, values, bands)
        )
        for key, scorecard in result.scorecards.items():
            closed.scorecards[(code, number_of[key])] = scorecard
            if period.kind == "month":
                bands[(code, number_of[key])] = scorecard.band
        for reward in result.rewards:
            closed.rewards[number_of[reward.key]].append(reward)
        closed.no_data[code] = result.no_data
    return closed


EXPECTED_SCORECARDS = _read("expected_scorecards.csv")
KPI_COLUMNS = [
    column
    for column in EXPECTED_SCORECARDS[0]
    if column not in {"employee_no", "name", "role", "period", "composite", "band", "missing_kpis"}
]


def _money(amount: Decimal) -> str:
    return f"{amount:.2f}"


@pytest.mark.parametrize(
    "row", EXPECTED_SCORECARDS, ids=[f"{r['period']}-{r['employee_no']}" for r in EXPECTED_SCORECARDS]
)
def test_scorecard_matches_expected_export(closed_year: ClosedYear, row: dict[str, str]) -> None:
    scorecard = closed_year.scorecards[(row["period"], row["employee_no"])]
    scores = {kpi.code: _money(kpi.score) for kpi in scorecard.kpis if kpi.score is not None}

    assert scorecard.role == row["role"]
    assert _money(scorecard.composite) == row["composite"]
    assert scorecard.band == row["band"]
    assert ";".join(scorecard.missing_kpis) == row["missing_kpis"]
    assert {code: scores.get(code, "") for code in KPI_COLUMNS} == {code: row[code] for code in KPI_COLUMNS}


def test_no_scorecard_beyond_the_expected_export(closed_year: ClosedYear) -> None:
    expected = {(row["period"], row["employee_no"]) for row in EXPECTED_SCORECARDS}

    assert set(closed_year.scorecards) == expected
    assert all(keys == [] for keys in closed_year.no_data.values())


EXPECTED_BONUS_LIST = _read("expected_bonus_list_2026.csv")


@pytest.mark.parametrize("row", EXPECTED_BONUS_LIST, ids=[r["employee_no"] for r in EXPECTED_BONUS_LIST])
def test_bonus_list_matches_expected_export(closed_year: ClosedYear, row: dict[str, str]) -> None:
    person = closed_year.people[row["employee_no"]]
    annual = closed_year.scorecards[("2026", row["employee_no"])]
    rewards = closed_year.rewards[row["employee_no"]]
    rules = {rule.code: rule for rule in closed_year.policy.reward_rules}

    def total(codes: set[str]) -> str:
        return _money(sum((r.amount for r in rewards if r.code in codes), Decimal("0")))

    cash_codes = {code for code, rule in rules.items() if rule.is_cash}
    suggestions = sorted({r.code for r in rewards if not rules[r.code].is_cash}, key=lambda code: rules[code].order)
    # Nothing is approved or rejected yet; development_plan is a flag, not a reward.
    status = "pending" if any(r.code != "development_plan" for r in rewards) else ""

    assert (person.role, person.reports_to) == (row["role"], row["reports_to"])
    assert (_money(annual.composite), annual.band) == (row["annual_composite"], row["annual_band"])
    assert total({"commission"}) == row["commission_total"]
    assert total({"quarterly_bonus"}) == row["quarterly_bonus_total"]
    assert total({"year_end_bonus"}) == row["year_end_bonus"]
    assert total(cash_codes) == row["cash_total"]
    assert ";".join(suggestions) == row["suggestions"]
    assert status == row["approval_status"]


def test_bonus_list_has_a_row_for_everyone_with_a_scorecard_or_reward(closed_year: ClosedYear) -> None:
    with_results = {number for _, number in closed_year.scorecards} | set(closed_year.rewards)

    assert with_results == {row["employee_no"] for row in EXPECTED_BONUS_LIST}
