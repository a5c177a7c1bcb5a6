"""manage.py seed_demo and the demo.seed service behind it."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from appraisals.models import Metric, MetricValue, Period
from appraisals.periods import PeriodRef
from demo.logins import DEMO_LOGINS
from demo.org import demo_org_size
from demo.seed import demo_reset, demo_seed
from roles.models import Employee, Role
from tests.builders import employee, period, scorecard, user

pytestmark = pytest.mark.django_db

END = "2026-03"


def seed(*args: str, employees: int = 20, months: int = 12, seed: int = 42, end: str = END) -> str:
    out = StringIO()
    call_command(
        "seed_demo",
        f"--employees={employees}",
        f"--months={months}",
        f"--seed={seed}",
        f"--end={end}",
        *args,
        stdout=out,
    )
    return out.getvalue()


def org_digest() -> str:
    rows = Employee.objects.order_by("employee_no").values_list(
        "employee_no",
        "name",
        "email",
        "role__code",
        "reports_to__employee_no",
        "hire_date",
        "quarterly_bonus_base",
        "annual_bonus_base",
    )
    return hashlib.sha256(repr(list(rows)).encode()).hexdigest()


def metrics_digest() -> str:
    rows = MetricValue.objects.order_by("employee__employee_no", "period__code", "metric_id").values_list(
        "employee__employee_no", "period__code", "metric_id", "value"
    )
    return hashlib.sha256(repr([(e, p, m, str(v.normalize())) for e, p, m, v in rows]).encode()).hexdigest()


@pytest.mark.parametrize("employees", [3, 20, 200])
def test_org_is_a_tree_of_managers_over_supervisors_over_reps(employees):
    seed(employees=employees)

    staff = list(Employee.objects.select_related("role", "reports_to__role"))
    roles = Counter(e.role.code for e in staff)
    assert len(staff) == employees
    assert roles[Role.MANAGER] >= 1 and roles[Role.SUPERVISOR] >= 1 and roles[Role.REP] >= 1
    assert roles[Role.REP] >= roles[Role.SUPERVISOR] >= roles[Role.MANAGER]
    boss_role = {Role.MANAGER: None, Role.SUPERVISOR: Role.MANAGER, Role.REP: Role.SUPERVISOR}
    for person in staff:
        assert (person.reports_to.role.code if person.reports_to else None) == boss_role[person.role.code]
    # Every supervisor leads a team and every manager has supervisors.
    bosses = {e.reports_to_id for e in staff}
    assert all(e.pk in bosses for e in staff if e.role.code != Role.REP)


def test_org_size_for_twenty_is_one_manager_two_supervisors_and_reps():
    assert demo_org_size(20) == (1, 2, 17)
    assert demo_org_size(3) == (1, 1, 1)
    managers, supervisors, reps = demo_org_size(100_000)
    assert 7 <= supervisors / managers <= 9 and 7 <= reps / supervisors <= 9


def test_too_small_org_is_refused():
    with pytest.raises(CommandError, match="at least 3 employees"):
        seed(employees=2)
    assert not Employee.objects.exists()


def test_same_seed_writes_identical_data_and_another_seed_differs():
    seed(seed=7)
    first = org_digest(), metrics_digest()

    seed("--reset", seed=7)
    assert (org_digest(), metrics_digest()) == first

    seed("--reset", seed=8)
    other_org, other_metrics = org_digest(), metrics_digest()
    assert other_org != first[0]
    assert other_metrics != first[1]


def test_values_respect_the_metric_catalogue():
    seed(employees=60)
    catalogue = {metric.code: metric for metric in Metric.objects.all()}
    values = list(MetricValue.objects.select_related("period"))
    assert values

    for value in values:
        metric = catalogue[value.metric_id]
        assert value.value >= metric.min_value, value
        if metric.max_value is not None:
            assert value.value <= metric.max_value, value
        if metric.integer_only:
            assert value.value == value.value.to_integral_value(), value
        assert value.period.kind == metric.period_kind, value

    by_key = {(v.employee_id, v.period_id, v.metric_id): v.value for v in values}
    starts = {key: v for key, v in by_key.items() if key[2] == "customers_start"}
    assert starts
    for (employee_id, period_id, _metric), start in starts.items():
        assert by_key[(employee_id, period_id, "customers_retained")] <= start


def test_metrics_cover_the_months_and_quarters_ending_at_end():
    seed(months=12, end="2026-03")

    codes = set(Period.objects.values_list("code", flat=True))
    months = {f"2025-{m:02d}" for m in range(4, 13)} | {"2026-01", "2026-02", "2026-03"}
    assert codes == months | {"2025-Q1", "2025-Q2", "2025-Q3", "2025-Q4", "2026-Q1"}
    assert set(Period.objects.values_list("status", flat=True)) == {Period.Status.OPEN}
    # The quarter before the first month's quarter carries market_share only, as M5's baseline.
    assert set(MetricValue.objects.filter(period__code="2025-Q1").values_list("metric_id", flat=True)) == {
        "market_share"
    }
    manager = Employee.objects.filter(role__code=Role.MANAGER).first()
    assert set(
        MetricValue.objects.filter(employee=manager, period__kind="quarter").values_list("metric_id", flat=True)
    ) == {"collaboration", "market_share"}
    supervisor = Employee.objects.filter(role__code=Role.SUPERVISOR).first()
    assert set(MetricValue.objects.filter(employee=supervisor).values_list("metric_id", flat=True)) == {
        "collaboration",
        "team_efficiency",
    }
    rep = Employee.objects.filter(role__code=Role.REP).first()
    assert set(
        MetricValue.objects.filter(employee=rep, period__kind="quarter").values_list("metric_id", flat=True)
    ) == {"collaboration", "skill_growth"}
    assert MetricValue.objects.filter(employee=rep, metric_id="sales_target").count() == 12


def test_months_not_ending_a_quarter_get_no_quarterly_ratings():
    seed(months=2, end="2026-02")

    assert not MetricValue.objects.filter(metric_id__in=["collaboration", "skill_growth", "team_efficiency"]).exists()
    assert set(MetricValue.objects.filter(period__kind="quarter").values_list("period__code", flat=True)) == {"2025-Q4"}


def test_sales_look_like_a_real_team():
    seed(employees=300)

    pairs = {
        (v.employee_id, v.period_id): v.value
        for v in MetricValue.objects.filter(metric_id="sales_target").only("employee", "period", "value")
    }
    actuals = {
        (v.employee_id, v.period_id): v.value
        for v in MetricValue.objects.filter(metric_id="sales_actual").only("employee", "period", "value")
    }
    assert all(Decimal(80_000) <= t <= Decimal(300_000) and t % 1000 == 0 for t in pairs.values())
    ratios = [actuals[key] / target for key, target in pairs.items() if key in actuals]
    assert any(r < 1 for r in ratios), "some reps miss their target"
    assert any(r > Decimal("1.5") for r in ratios), "a few land above 150%"
    assert 0.5 < sum(r >= 1 for r in ratios) / len(ratios) < 0.8
    assert 0 < len(pairs) - len(actuals) < len(pairs) * 0.05, "now and then no sale is recorded"


def test_names_are_varied_and_employee_numbers_follow_the_role():
    seed(employees=200)

    staff = list(Employee.objects.select_related("role"))
    assert len({e.name for e in staff}) >= 190
    assert len({e.email for e in staff}) == 200
    prefix = {Role.MANAGER: "M", Role.SUPERVISOR: "S", Role.REP: "R"}
    assert all(e.employee_no.startswith(prefix[e.role.code]) for e in staff)
    # "陈静 Chen Jing": Chinese name, then the pinyin surname and given name.
    assert all(len(e.name.split(" ")) == 3 for e in staff)
    bases = [e for e in staff if e.quarterly_bonus_base is not None or e.annual_bonus_base is not None]
    assert 0 < len(bases) < len(staff) / 4, "some explicit bonus bases, most take the policy default"


def test_demo_logins_have_the_documented_passwords_and_links():
    seed()
    users = {user.username: user for user in get_user_model().objects.all()}
    passwords = {login.username: login.password for login in DEMO_LOGINS}
    assert passwords == {
        "admin": "admin-demo-pass",
        "hr": "hr-demo-pass",
        "manager": "manager-demo-pass",
        "supervisor": "supervisor-demo-pass",
        "rep": "rep-demo-pass",
    }
    for username, password in passwords.items():
        assert users[username].check_password(password), username
        assert not users[username].check_password("wrong-password")

    assert users["admin"].is_superuser and users["admin"].is_staff
    assert users["hr"].is_staff and not users["hr"].is_superuser
    # The HR group's admin permissions (roles/migrations/0004): employees yes, the policy no.
    assert users["hr"].has_perms(
        ["roles.change_employee", "appraisals.change_metricvalue", "axes.delete_accessattempt"]
    )
    assert not users["hr"].has_perm("appraisals.change_policyversion")
    assert list(users["hr"].groups.values_list("name", flat=True)) == ["HR"]
    assert not any(users[name].is_staff or users[name].groups.exists() for name in ("manager", "supervisor", "rep"))

    manager = Employee.objects.get(user=users["manager"])
    supervisor = Employee.objects.get(user=users["supervisor"])
    rep = Employee.objects.get(user=users["rep"])
    assert manager.role.code == Role.MANAGER
    assert manager == Employee.objects.filter(role__code=Role.MANAGER).order_by("employee_no").first()
    assert supervisor.role.code == Role.SUPERVISOR and supervisor.reports_to == manager
    assert supervisor == manager.reports.order_by("employee_no").first()
    assert rep.role.code == Role.REP and rep.reports_to == supervisor
    assert rep == supervisor.reports.order_by("employee_no").first()
    assert users["rep"].get_full_name() == rep.name  # the header shows the name as the employee writes it


def test_output_lists_the_logins_and_progress():
    out = seed()
    assert "metric values:" in out
    for login in DEMO_LOGINS:
        assert login.username in out and login.password in out


def test_query_count_does_not_grow_with_headcount():
    with CaptureQueriesContext(connection) as small:
        seed(employees=20)
    demo_reset()
    get_user_model().objects.all().delete()
    Period.objects.all().delete()
    with CaptureQueriesContext(connection) as large:
        seed(employees=200)

    assert Employee.objects.count() == 200
    assert len(small) <= 30
    # SQLite caps a bulk INSERT at 999 parameters: 175 reps take two employee batches instead of one.
    assert len(large) <= len(small) + 2


def test_rerun_without_reset_is_refused():
    seed()
    before = metrics_digest()
    with pytest.raises(CommandError, match="--reset"):
        seed(seed=1)
    assert metrics_digest() == before


def test_reset_replaces_the_demo_data_and_keeps_other_employees():
    other = employee("E-REAL-1")
    seed(employees=30)
    seed("--reset", employees=20)

    assert Employee.objects.count() == 21
    assert Employee.objects.filter(pk=other.pk).exists()
    assert get_user_model().objects.filter(username__in=[d.username for d in DEMO_LOGINS]).count() == 5
    assert Employee.objects.filter(user__username="rep").count() == 1


def test_reset_is_refused_when_a_scorecard_refers_to_demo_employees():
    seed()
    rep = Employee.objects.filter(role__code=Role.REP).first()
    scorecard(rep, period=Period.objects.get(code=END), composite="100.00", band="B")
    before = org_digest(), metrics_digest()

    with pytest.raises(CommandError, match="scorecards refer to demo employees"):
        seed("--reset")
    assert (org_digest(), metrics_digest()) == before


def test_a_closed_period_in_range_is_refused():
    period(END, status=Period.Status.CLOSED)
    with pytest.raises(CommandError, match=f"{END} are not open"):
        seed()
    assert not Employee.objects.exists()


def test_an_existing_user_named_like_a_demo_login_is_not_overwritten():
    user("admin", email="it@company.example", password="real-secret")
    with pytest.raises(CommandError, match="admin"):
        seed()
    assert get_user_model().objects.get(username="admin").check_password("real-secret")
    assert not Employee.objects.exists()


def test_end_defaults_to_the_month_before_today():
    before = timezone.localdate()
    call_command("seed_demo", "--employees=3", "--months=1", stdout=StringIO())
    after = timezone.localdate()

    expected = {
        PeriodRef.month(day.year, day.month).previous().code for day in (before, after)
    }  # a run across midnight on the 1st may see either month
    assert set(Period.objects.filter(kind="month").values_list("code", flat=True)) <= expected
    assert Period.objects.filter(kind="month").count() == 1


def test_service_runs_without_the_command():
    result = demo_seed(end=PeriodRef.parse(END), employees=20, months=3, seed=3)

    assert (result.managers, result.supervisors, result.reps) == (1, 2, 17)
    assert result.metric_values == MetricValue.objects.count() > 0
    assert result.periods[:3] == ("2026-01", "2026-02", "2026-03")
    assert {login.username: login.employee_no for login in result.logins}["rep"] == "R00001"
    assert all(
        v.entered_at.date() == v.period.end + timedelta(days=1) for v in MetricValue.objects.select_related("period")
    )


def test_reset_is_refused_when_a_real_employee_reports_to_a_demo_manager():
    seed()
    employee("E-REAL-1", reports_to=Employee.objects.get(employee_no="M0001"))

    with pytest.raises(CommandError, match="employees refer to demo employees"):
        seed("--reset")
    assert Employee.objects.count() == 21
