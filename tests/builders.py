"""Shared test builders: keyword-only functions that make the objects tests need.

Model objects come from the factory_boy factories of tests/factories.py; the builders give them the
shapes the tests talk about: people and org charts, a month's figures, ratings, scorecards, rewards,
and a period closed the way HR closes it. Figures are written as strings (``"120000"``) and stored
as Decimals.
"""

from __future__ import annotations

import importlib
from collections.abc import Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from pathlib import Path

from django.contrib.auth.models import Group, User
from django.test import Client, TestCase
from django.utils import timezone

from appraisals.models import KpiScore, Metric, MetricValue, Period, PolicyVersion, Scorecard
from appraisals.periods import PeriodRef
from appraisals.selectors import policy_version_for
from closing.models import CloseJob
from closing.tasks import close_period_enqueue
from rewards.models import RewardSuggestion
from roles.access import HR_GROUP
from roles.models import Employee, Role
from tests import factories

# The worked example of docs/policy.md: employees.csv, metrics.csv and the exports they imply.
EXAMPLE_DIR = Path(__file__).resolve().parent / "data" / "example"

Figure = str | int | Decimal

# --------------------------------------------------------------------------- people


def user(username: str | None = None, **fields) -> User:
    """A login (password ``pass-word-123``); asked for an existing username, that user."""
    if username is not None:
        fields["username"] = username
    return factories.UserFactory(**fields)


def hr_user(username: str = "hr", **fields) -> User:
    """A login in the HR group (the same user for the same username)."""
    hr = user(username, **fields)
    hr.groups.add(Group.objects.get(name=HR_GROUP))
    return hr


def employee(
    employee_no: str | None = None,
    *,
    role: str = Role.REP,
    reports_to: Employee | None = None,
    name: str | None = None,
    login: bool | str = False,
    **fields,
) -> Employee:
    """An employee of ``role`` (a Role code), with a login if ``login`` says so.

    ``login=True`` names the login after the employee_no in lower case; a string names it."""
    if employee_no is not None:
        fields["employee_no"] = employee_no
    if name is not None:
        fields["name"] = name
    person = factories.EmployeeFactory(role=factories.role(role), reports_to=reports_to, **fields)
    if login and person.user_id is None:
        person.user = user(login if isinstance(login, str) else person.employee_no.lower())
        person.save(update_fields=["user"])
    return person


def client_for(who: Employee | User) -> Client:
    """A test client logged in as ``who``: a user, or an employee's login (made if they have none)."""
    if isinstance(who, Employee):
        if who.user_id is None:
            who.user = user(who.employee_no.lower())
            who.save(update_fields=["user"])
        who = who.user
    client = Client()
    client.force_login(who)
    return client


class Org:
    """Employees by employee_no: ``org["R01"]`` or ``org.r01``; iterating gives the employee numbers.

    ``org.manager``, ``org.supervisor`` and ``org.rep`` are the first of each role, the people the
    audience clients of tests/conftest.py log in as."""

    def __init__(self, employees: Iterable[Employee]) -> None:
        self.people = {person.employee_no: person for person in employees}

    def __getitem__(self, employee_no: str) -> Employee:
        return self.people[employee_no]

    def __getattr__(self, name: str) -> Employee:
        people = self.__dict__.get("people", {})
        if name.upper() not in people:
            raise AttributeError(name)
        return people[name.upper()]

    def __iter__(self) -> Iterator[str]:
        return iter(self.people)

    def __len__(self) -> int:
        return len(self.people)

    def of_role(self, role: str) -> list[Employee]:
        """The employees of ``role`` (a Role code) in the order they were made."""
        return [person for person in self.people.values() if person.role.code == role]

    @property
    def manager(self) -> Employee:
        return self.of_role(Role.MANAGER)[0]

    @property
    def supervisor(self) -> Employee:
        return self.of_role(Role.SUPERVISOR)[0]

    @property
    def rep(self) -> Employee:
        return self.of_role(Role.REP)[0]


ROLE_BY_PREFIX = {"M": Role.MANAGER, "S": Role.SUPERVISOR, "R": Role.REP}


def org_from(
    reports_to: Mapping[str, str | None],
    *,
    names: Mapping[str, str] | None = None,
    logins: bool | Collection[str] = False,
) -> Org:
    """The org of ``reports_to``: employee_no → their manager's employee_no, managers first.

    The first letter, M, S or R, gives the role. Everyone is named "Name <employee_no>" unless
    ``names`` says otherwise; ``logins`` (True: everyone) can log in as their employee_no in lower case."""
    made: dict[str, Employee] = {}
    for employee_no, boss in reports_to.items():
        if boss is not None and boss not in made:
            raise ValueError(f"{employee_no} reports to {boss}, who must come before them")
        made[employee_no] = employee(
            employee_no,
            role=ROLE_BY_PREFIX[employee_no[0]],
            reports_to=made.get(boss) if boss else None,
            name=(names or {}).get(employee_no, f"Name {employee_no}"),
            login=logins is True or (not isinstance(logins, bool) and employee_no in logins),
        )
    return Org(made.values())


def org_chart(
    *, managers: int = 1, supervisors_per_manager: int = 1, reps_per_supervisor: int = 2, logins: bool = False
) -> Org:
    """Managers over supervisors over reps, numbered M1…, S1…, R1… in that order (see ``org_from``)."""
    reports_to: dict[str, str | None] = {f"M{m}": None for m in range(1, managers + 1)}
    supervisors = managers * supervisors_per_manager
    reports_to |= {f"S{s}": f"M{(s - 1) // supervisors_per_manager + 1}" for s in range(1, supervisors + 1)}
    reports = supervisors * reps_per_supervisor
    reports_to |= {f"R{r}": f"S{(r - 1) // reps_per_supervisor + 1}" for r in range(1, reports + 1)}
    return org_from(reports_to, logins=logins)


def small_org(*, months: Sequence[str] = ("2026-01",), csat: Figure = "4") -> Org:
    """M1 over S1 over R1 and R2, with sales and customer satisfaction for each of ``months``.

    R1 sells 120,000 and R2 90,000 of a 100,000 target; both have customer satisfaction ``csat``."""
    org = org_chart(managers=1, supervisors_per_manager=1, reps_per_supervisor=2)
    for month in months:
        for rep, actual in ((org.r1, "120000"), (org.r2, "90000")):
            metrics(rep, period=month, sales_target="100000", sales_actual=actual, csat=csat)
    return org


# --------------------------------------------------------------------------- periods and figures


def this_month() -> str:
    """The code of the month today is in (YYYY-MM)."""
    today = timezone.localdate()
    return PeriodRef.month(today.year, today.month).code


def period(code: str, *, status: str | None = None, **fields) -> Period:
    """The period ``code``, made if missing, with ``status`` and ``fields`` set.

    A new period is open unless ``status`` says otherwise; an existing one keeps what is not given."""
    changes = {**fields, **({"status": status} if status is not None else {})}
    found = factories.PeriodFactory(code=code, **changes)
    if any(getattr(found, name) != value for name, value in changes.items()):
        for name, value in changes.items():
            setattr(found, name, value)
        found.save(update_fields=list(changes))
    return found


def _period_of(code_or_period: str | Period, *, status: str | None = None) -> Period:
    return code_or_period if isinstance(code_or_period, Period) else period(code_or_period, status=status)


def metrics(
    employee: Employee, *, period: str | Period, entered_by: User | None = None, **values: Figure
) -> list[MetricValue]:
    """``employee``'s metric values of ``period``, one per metric code given.

    ``metrics(rep, period="2026-01", sales_actual="120000", csat="4")``; a code names a period made
    (open) if missing, whose status is left as it is."""
    on = _period_of(period)
    return [
        MetricValue.objects.create(
            employee=employee,
            period=on,
            metric=Metric.objects.get(code=code),
            value=Decimal(str(value)),
            entered_by=entered_by,
            entered_at=timezone.now(),
        )
        for code, value in values.items()
    ]


def stored_metrics(employee: Employee, *, period: str) -> dict[str, Decimal]:
    """What is stored for ``employee`` in the period coded ``period``: metric code → value."""
    values = MetricValue.objects.filter(employee=employee, period__code=period)
    return dict(values.values_list("metric_id", "value"))


def csv_bytes(*rows: str, header: str) -> bytes:
    """A CSV file's bytes: the ``header`` line, then ``rows``, each line ending in a newline."""
    return ("\n".join([header, *rows]) + "\n").encode()


def sales(employee: Employee, *, month: str | Period, actual: Figure, target: Figure) -> list[MetricValue]:
    """``employee``'s sales and sales target of ``month``."""
    return metrics(employee, period=month, sales_actual=actual, sales_target=target)


def ratings(
    employee: Employee, *, quarter: str | Period, by: User | None = None, **values: Figure
) -> list[MetricValue]:
    """``employee``'s ratings of ``quarter`` (``collaboration="4.5"``…), entered by ``by``."""
    return metrics(employee, period=quarter, entered_by=by, **values)


# --------------------------------------------------------------------------- what a close writes


def default_policy_version() -> PolicyVersion:
    """The default policy the data migration loads (POLICY.md), in force from 2000-01."""
    return PolicyVersion.objects.get(effective_from=date(2000, 1, 1))


@dataclass(frozen=True)
class Kpi:
    """A KPI row of a scorecard: its score, the value it came from, weight, target and inputs."""

    score: Figure | None
    value: Figure | None = None
    weight: Figure = "50"
    target: Figure = "1"
    inputs: Mapping[str, str] = field(default_factory=dict)


def _decimal(figure: Figure | None) -> Decimal | None:
    return None if figure is None else Decimal(str(figure))


def scorecard(
    employee: Employee,
    *,
    period: str | Period,
    composite: Figure = "100.00",
    band: str = "B",
    kpis: Mapping[str, Kpi | Figure | None] | None = None,
    status: str = Period.Status.CLOSED,
    **fields,
) -> Scorecard:
    """``employee``'s scorecard of ``period`` under the policy in force, with a row per code of ``kpis``.

    A code names a period made or set to ``status`` (closed by default); a Period is taken as it is.
    A bare figure in ``kpis`` is the KPI's score."""
    on = _period_of(period, status=status)
    card = Scorecard.objects.create(
        employee=employee,
        period=on,
        policy_version=fields.pop("policy_version", None) or policy_version_for(on),
        role=employee.role.code,
        reports_to=employee.reports_to.employee_no if employee.reports_to else "",
        composite=Decimal(str(composite)),
        band=band,
        created_at=timezone.now(),
        **fields,
    )
    for code, row in (kpis or {}).items():
        row = row if isinstance(row, Kpi) else Kpi(score=row)
        KpiScore.objects.create(
            scorecard=card,
            code=code,
            weight=Decimal(str(row.weight)),
            target=Decimal(str(row.target)),
            value=_decimal(row.value),
            score=_decimal(row.score),
            inputs=dict(row.inputs),
        )
    return card


def rep_month_scorecard(
    employee: Employee,
    *,
    period: str | Period,
    composite: Figure = "91.71",
    band: str = "C",
    status: str = Period.Status.CLOSED,
) -> Scorecard:
    """A rep's month scorecard with the R1 and R2 rows a close writes.

    R1: 174,800 sold of a 200,000 target, 0.874 → 87.40; R2: one customer satisfaction of 4.1 → 102.50."""
    on = _period_of(period, status=status)
    r1 = {"sales_actual": "174800.00", "sales_target": "200000.00", "months": on.code}
    r2 = {"csat_total": "4.1", "csat_count": "1", "months": on.code}
    kpis = {
        "R1": Kpi("87.40", value="0.874", weight="50", target="1.0", inputs=r1),
        "R2": Kpi("102.50", value="4.1", weight="20", target="4", inputs=r2),
    }
    return scorecard(employee, period=on, composite=composite, band=band, kpis=kpis)


def reward(
    employee: Employee | None = None,
    *,
    period: str | Period = "2026-01",
    code: str = "commission",
    amount: Figure | None = "2800.00",
    status: str = RewardSuggestion.Status.PENDING,
    **fields,
) -> RewardSuggestion:
    """A reward suggestion for ``employee`` (a new rep unless given) under the policy in force.

    A code names a closed period (made, or set closed); a Period is taken as it is. A decided
    suggestion was decided now unless ``decided_at`` says otherwise."""
    on = _period_of(period, status=Period.Status.CLOSED)
    if status != RewardSuggestion.Status.PENDING:
        fields.setdefault("decided_at", timezone.now())
    if status == RewardSuggestion.Status.REJECTED:
        fields.setdefault("reason", "not earned this time")
    return RewardSuggestion.objects.create(
        employee=employee or factories.EmployeeFactory(),
        period=on,
        code=code,
        amount=_decimal(amount),
        policy_version=fields.pop("policy_version", None) or policy_version_for(on),
        status=status,
        created_at=timezone.now(),
        **fields,
    )


def tiny_org_closed(*, month: str = "2026-01") -> Period:
    """Supervisor SUP over four reps RA…RD ("Rep RA"…), ``month`` closed with the default policy.

    rep  target   actual   csat   R1      R2      composite (50·R1 + 20·R2) / 70   band
    RA   100000   105000   4.4    105.00  110.00  7450 / 70 = 106.43               B
    RB   100000   120000   3.2    120.00   80.00  7600 / 70 = 108.57               B
    RC   100000    90000   4.8     90.00  120.00  6900 / 70 =  98.57               B
    RD   100000    80000   4.0     80.00  100.00  6000 / 70 =  85.71               C
    SUP: S1 = 395000 / 400000 → 98.75; S4 = (106.43 + 108.57 + 98.57 + 85.71) / 4 = 99.82;
         (35 × 98.75 + 30 × 99.82) / 65 = 99.24 → B
    """
    supervisor = employee("SUP", name="Supervisor", role=Role.SUPERVISOR)
    for employee_no, actual, csat in (
        ("RA", "105000", "4.4"),
        ("RB", "120000", "3.2"),
        ("RC", "90000", "4.8"),
        ("RD", "80000", "4.0"),
    ):
        rep = employee(employee_no, name=f"Rep {employee_no}", reports_to=supervisor)
        metrics(rep, period=month, sales_target="100000", sales_actual=actual, csat=csat)
    close_period(month)
    closed = Period.objects.get(code=month)
    assert closed.status == Period.Status.CLOSED
    return closed


def close_period(code: str, *, user: User | None = None, scheduled: bool = False) -> CloseJob:
    """Close ``code`` the way HR and the scheduler do, and return its job once the close has run.

    Celery runs in-process in tests; the job starts when the request commits, so inside a test's
    transaction the on-commit callbacks are run here."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        job = close_period_enqueue(code=code, user=user, scheduled=scheduled)
    job.refresh_from_db()
    return job


# Reference data that data migrations load: roles and duties, the metric catalogue, the default policy.
_DATA_MIGRATIONS = (
    "roles.migrations.0002_default_roles_and_duties",
    "appraisals.migrations.0002_metric_catalogue",
    "appraisals.migrations.0003_default_policy",
    "roles.migrations.0004_hr_admin_permissions",
)


def load_reference_data() -> None:
    """Load what the data migrations load (idempotent): after a flush, a database is usable again."""
    from django.apps import apps
    from django.db import connection

    for name in _DATA_MIGRATIONS:
        importlib.import_module(name).load(apps, connection.schema_editor())
