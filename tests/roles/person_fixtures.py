"""Builders for the person-page and ratings tests: a small org, closed scorecards, rewards, metrics."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from appraisals.models import KpiScore, Metric, MetricValue, Period, Scorecard
from appraisals.selectors import policy_version_for
from rewards.models import RewardSuggestion
from roles.models import Employee, Role
from tests.factories import EmployeeFactory, period, role


@dataclass
class Org:
    """M01 (manager) ─ S01 (supervisor) ─ R01, R02
                                         └ S03 (supervisor) ─ R07
                     └ S02 (supervisor) ─ R03
    M09 (manager, another unit) ─ R09
    Everyone but R09 has a login named after their employee_no (lower case)."""

    m01: Employee
    s01: Employee
    s02: Employee
    s03: Employee
    r01: Employee
    r02: Employee
    r03: Employee
    r07: Employee
    m09: Employee
    r09: Employee


def login(username: str):
    """A login without a password: the tests sign in with ``force_login``, and hashing a
    password per user would cost most of a test's time."""
    return get_user_model().objects.create(username=username, password="!")


def person(employee_no: str, role_code: str = Role.REP, reports_to: Employee | None = None, with_login: bool = True):
    return EmployeeFactory(
        employee_no=employee_no,
        name=f"Name {employee_no}",
        role=role(role_code),
        reports_to=reports_to,
        user=login(employee_no.lower()) if with_login else None,
    )


def make_org() -> Org:
    m01 = person("M01", Role.MANAGER)
    s01 = person("S01", Role.SUPERVISOR, m01)
    s02 = person("S02", Role.SUPERVISOR, m01)
    s03 = person("S03", Role.SUPERVISOR, s01)
    m09 = person("M09", Role.MANAGER)
    return Org(
        m01=m01,
        s01=s01,
        s02=s02,
        s03=s03,
        r01=person("R01", reports_to=s01),
        r02=person("R02", reports_to=s01),
        r03=person("R03", reports_to=s02),
        r07=person("R07", reports_to=s03),
        m09=m09,
        r09=person("R09", reports_to=m09, with_login=False),
    )


def hr_user(username: str = "hr"):
    user = login(username)
    user.groups.add(Group.objects.get(name="HR"))
    return user


def set_status(code: str, status: str) -> Period:
    obj = period(code)
    obj.status = status
    obj.save(update_fields=["status"])
    return obj


def closed(code: str) -> Period:
    return set_status(code, Period.Status.CLOSED)


def metric_value(employee: Employee, code: str, metric: str, value: str, entered_by=None) -> MetricValue:
    return MetricValue.objects.create(
        employee=employee,
        period=period(code),
        metric=Metric.objects.get(code=metric),
        value=Decimal(value),
        entered_by=entered_by,
        entered_at=timezone.now(),
    )


def sales(employee: Employee, code: str, actual: str, target: str) -> None:
    metric_value(employee, code, "sales_actual", actual)
    metric_value(employee, code, "sales_target", target)


# KPI rows as the close writes them: code → (weight, target, value, score, inputs)
REP_MONTH_KPIS = {
    "R1": (
        "50",
        "1.0",
        "0.874",
        "87.40",
        {"sales_actual": "174800.00", "sales_target": "200000.00", "months": "{code}"},
    ),
    "R2": ("20", "4", "4.1", "102.50", {"csat_total": "4.1", "csat_count": "1", "months": "{code}"}),
}


def scorecard(
    employee: Employee,
    code: str,
    composite: str = "91.71",
    band: str = "C",
    kpis: dict | None = None,
    status: str = Period.Status.CLOSED,
) -> Scorecard:
    """A scorecard of ``code`` (closed unless told otherwise) with KPI rows (default: a rep's month)."""
    on = set_status(code, status)
    card = Scorecard.objects.create(
        employee=employee,
        period=on,
        policy_version=policy_version_for(on),
        role=employee.role.code,
        reports_to=employee.reports_to.employee_no if employee.reports_to else "",
        composite=Decimal(composite),
        band=band,
        created_at=timezone.now(),
    )
    for kpi, (weight, target, value, score, inputs) in (REP_MONTH_KPIS if kpis is None else kpis).items():
        KpiScore.objects.create(
            scorecard=card,
            code=kpi,
            weight=Decimal(weight),
            target=Decimal(target),
            value=None if value is None else Decimal(value),
            score=None if score is None else Decimal(score),
            inputs={key: text.format(code=code) for key, text in inputs.items()},
        )
    return card


def reward(
    employee: Employee, code: str, reward_code: str, amount: str | None, status: str = RewardSuggestion.Status.PENDING
) -> RewardSuggestion:
    on = period(code)
    decided = status != RewardSuggestion.Status.PENDING
    return RewardSuggestion.objects.create(
        employee=employee,
        period=on,
        code=reward_code,
        amount=None if amount is None else Decimal(amount),
        policy_version=policy_version_for(on),
        status=status,
        decided_at=timezone.now() if decided else None,
        created_at=timezone.now(),
    )
