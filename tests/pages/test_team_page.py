"""The team page (/team/) and its download (/team/export/): scope, filters, sorting, totals, query counts."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from appraisals.models import KpiScore, Metric, MetricValue, Period, Scorecard
from appraisals.selectors import policy_version_for
from roles.models import Employee, Role
from tests.factories import EmployeeFactory, period, role

pytestmark = pytest.mark.django_db

TEAM = "/team/"
EXPORT = "/team/export/"
ROW = re.compile(r'data-employee="([^"]+)"')


# --------------------------------------------------------------------------- helpers


def closed(code: str = "2026-01") -> Period:
    return period(code, status=Period.Status.CLOSED)


def person(employee_no: str, role_code: str = Role.REP, reports_to: Employee | None = None, **fields) -> Employee:
    return EmployeeFactory(
        employee_no=employee_no,
        name=fields.pop("name", f"Name {employee_no}"),
        role=role(role_code),
        reports_to=reports_to,
        **fields,
    )


def new_user(username: str):
    # No password: force_login does not need one, and hashing one costs seconds per test.
    return get_user_model().objects.create(username=username)


def login_for(client, employee: Employee) -> None:
    user = new_user(f"u-{employee.employee_no.lower()}")
    employee.user = user
    employee.save(update_fields=["user"])
    client.force_login(user)


def login_hr(client) -> None:
    user = new_user("hr")
    user.groups.add(Group.objects.get(name="HR"))
    client.force_login(user)


def card(employee: Employee, composite: str, band: str, scores: dict, on: Period | None = None) -> Scorecard:
    """A scorecard with KPI rows; ``scores`` maps a code to a score or to (score, value)."""
    on = on or closed()
    scorecard = Scorecard.objects.create(
        employee=employee,
        period=on,
        policy_version=policy_version_for(on),
        role=employee.role.code,
        reports_to=employee.reports_to.employee_no if employee.reports_to else "",
        composite=Decimal(composite),
        band=band,
        created_at=timezone.now(),
    )
    for code, entry in scores.items():
        score, value = entry if isinstance(entry, tuple) else (entry, None)
        KpiScore.objects.create(
            scorecard=scorecard,
            code=code,
            weight=Decimal("50"),
            target=Decimal("1"),
            value=None if value is None else Decimal(value),
            score=None if score is None else Decimal(score),
        )
    return scorecard


def sales(employee: Employee, actual: str, target: str, code: str = "2026-01") -> None:
    for metric, value in (("sales_actual", actual), ("sales_target", target)):
        MetricValue.objects.create(
            employee=employee,
            period=period(code),
            metric=Metric.objects.get(code=metric),
            value=Decimal(value),
            entered_at=timezone.now(),
        )


def rows(response) -> list[str]:
    return ROW.findall(response.content.decode())


def csv_employee_nos(response) -> list[str]:
    reader = csv.reader(io.StringIO(response.content.decode("utf-8")))
    next(reader)
    return [line[0] for line in reader]


@pytest.fixture
def org():
    """Two units for 2026-01 (closed).

    M1 (manager) ─ S1 (supervisor) ─ R11, R12
                 └ S2 (supervisor) ─ R21
    M9 (manager, another unit) ─ R91
    """
    closed()
    m1 = person("M1", Role.MANAGER, name="Meng Li")
    s1 = person("S1", Role.SUPERVISOR, m1, name="Song Qiang")
    s2 = person("S2", Role.SUPERVISOR, m1, name="Shi Wen")
    r11 = person("R11", reports_to=s1, name="Chen Jing")
    r12 = person("R12", reports_to=s1, name="Ren Hao")
    r21 = person("R21", reports_to=s2, name="Rui Lan")
    m9 = person("M9", Role.MANAGER, name="Ma Jun")
    r91 = person("R91", reports_to=m9, name="Ruo Xi")
    card(m1, "111.67", "A", {"M1": ("105.00", "1.05"), "M2": "125.00"})
    card(s1, "104.34", "B", {"S1": ("105.00", "1.05"), "S4": "103.58"})
    card(s2, "70.00", "D", {"S1": ("50.00", "0.5"), "S4": "58.00"})
    card(r11, "114.29", "A", {"R1": ("120.00", "1.2"), "R2": "100.00"})
    card(r12, "92.86", "C", {"R1": ("90.00", "0.9"), "R2": "100.00"})
    card(r21, "55.00", "E", {"R1": ("50.00", "0.5"), "R2": None})
    card(m9, "99.00", "B", {"M1": ("99.00", "0.99")})
    card(r91, "101.00", "B", {"R1": ("101.00", "1.01"), "R2": "101.00"})
    sales(r11, "120000", "100000")
    sales(r12, "90000", "100000")
    sales(r21, "50000", "100000")
    sales(r91, "101000", "100000")
    return {e.employee_no: e for e in (m1, s1, s2, r11, r12, r21, m9, r91)}


# --------------------------------------------------------------------------- access


def test_anonymous_is_redirected_to_login(client):
    response = client.get(TEAM)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_rep_gets_403(client, org):
    login_for(client, org["R11"])
    assert client.get(TEAM).status_code == 403


def test_post_is_405(client, org):
    login_for(client, org["M1"])
    assert client.post(TEAM, {"period": "2026-01"}).status_code == 405


def test_manager_sees_everyone_in_unit_at_depth_two(client, org):
    login_for(client, org["M1"])
    response = client.get(TEAM)
    assert response.status_code == 200
    assert set(rows(response)) == {"M1", "S1", "S2", "R11", "R12", "R21"}


def test_manager_does_not_see_another_unit(client, org):
    login_for(client, org["M1"])
    content = client.get(TEAM).content.decode()
    assert "R91" not in content and "Ruo Xi" not in content and "M9" not in content


def test_supervisor_sees_own_team_only(client, org):
    login_for(client, org["S1"])
    assert set(rows(client.get(TEAM))) == {"S1", "R11", "R12"}


def test_hr_sees_everyone(client, org):
    login_hr(client)
    assert set(rows(client.get(TEAM))) == set(org)


def test_employee_name_links_to_their_page_for_the_period(client, org):
    login_for(client, org["S1"])
    assert 'href="/employees/R11/?period=2026-01">Chen Jing</a>' in client.get(TEAM).content.decode()


# --------------------------------------------------------------------------- periods


def test_only_closed_periods_are_offered(client, org):
    closed("2025-12")
    closed("2025-Q4")
    period("2026-02")  # open
    period("2026-03", status=Period.Status.CLOSING)
    login_for(client, org["M1"])
    choices = client.get(TEAM).context["form"].fields["period"].widget.choices
    offered = [code for _group, options in choices for code, _label in options]
    assert offered == ["2026-01", "2025-12", "2025-Q4"]


def test_default_period_is_the_latest_closed_month(client, org):
    closed("2025-12")
    closed("2025-Q4")
    login_for(client, org["M1"])
    assert client.get(TEAM).context["team"].filters.period.code == "2026-01"


def test_open_period_shows_a_message_and_no_rows(client, org):
    card(org["R11"], "100.00", "B", {"R1": "100.00"}, on=period("2026-02"))
    login_for(client, org["M1"])
    response = client.get(TEAM, {"period": "2026-02"})
    assert response.status_code == 200
    assert "2026-02 is not closed yet" in response.content.decode()
    assert rows(response) == []


def test_closing_period_shows_a_message_and_no_rows(client, org):
    card(org["R11"], "100.00", "B", {"R1": "100.00"}, on=period("2026-02", status=Period.Status.CLOSING))
    login_for(client, org["M1"])
    response = client.get(TEAM, {"period": "2026-02"})
    assert "2026-02 is not closed yet" in response.content.decode()
    assert rows(response) == []


def test_unknown_period_shows_a_message(client, org):
    login_for(client, org["M1"])
    response = client.get(TEAM, {"period": "2031-05"})
    assert response.status_code == 200
    assert "There is no period 2031-05" in response.content.decode()


def test_malformed_period_shows_a_message(client, org):
    login_for(client, org["M1"])
    response = client.get(TEAM, {"period": "last month"})
    assert response.status_code == 200
    assert "is not a period" in response.content.decode()


def test_no_closed_period_yet_shows_a_message(client):
    period("2026-01")
    lead = person("M1", Role.MANAGER)
    login_for(client, lead)
    response = client.get(TEAM)
    assert response.status_code == 200
    assert "No period has been closed yet" in response.content.decode()


# --------------------------------------------------------------------------- filters


def test_filter_by_band(client, org):
    login_for(client, org["M1"])
    assert set(rows(client.get(TEAM, {"band": "A"}))) == {"M1", "R11"}


def test_filter_by_role(client, org):
    login_for(client, org["M1"])
    assert set(rows(client.get(TEAM, {"role": Role.SUPERVISOR}))) == {"S1", "S2"}


def test_filter_by_supervisor(client, org):
    login_for(client, org["M1"])
    assert set(rows(client.get(TEAM, {"supervisor": "S1"}))) == {"R11", "R12"}


def test_supervisor_choices_are_unit_members_with_reports(client, org):
    login_for(client, org["M1"])
    choices = client.get(TEAM).context["form"].fields["supervisor"].choices
    assert [value for value, _label in choices] == ["", "M1", "S2", "S1"]  # by name: Meng, Shi, Song


def test_supervisor_outside_the_unit_is_refused(client, org):
    login_for(client, org["S1"])
    response = client.get(TEAM, {"supervisor": "M9"})
    assert "team" not in response.context
    assert rows(response) == []


def test_search_matches_employee_no_case_insensitively(client, org):
    login_for(client, org["M1"])
    assert set(rows(client.get(TEAM, {"search": "r1"}))) == {"R11", "R12"}


def test_search_matches_name_case_insensitively(client, org):
    login_for(client, org["M1"])
    assert rows(client.get(TEAM, {"search": "chen"})) == ["R11"]


def test_filters_combine(client, org):
    login_for(client, org["M1"])
    assert rows(client.get(TEAM, {"role": Role.REP, "band": "E"})) == ["R21"]


# --------------------------------------------------------------------------- table


def test_default_order_is_composite_highest_first(client, org):
    login_for(client, org["M1"])
    assert rows(client.get(TEAM)) == ["R11", "M1", "S1", "R12", "S2", "R21"]


def test_sort_by_composite_ascending(client, org):
    login_for(client, org["M1"])
    assert rows(client.get(TEAM, {"sort": "composite", "dir": "asc"})) == ["R21", "S2", "R12", "S1", "M1", "R11"]


def test_sort_by_kpi_score_puts_people_without_it_last(client, org):
    login_for(client, org["M1"])
    # R1 scores: R11 120, R12 90, R21 50; the others have no R1 and come last by employee_no.
    assert rows(client.get(TEAM, {"sort": "R1", "dir": "desc"})) == ["R11", "R12", "R21", "M1", "S1", "S2"]
    assert rows(client.get(TEAM, {"sort": "R1", "dir": "asc"})) == ["R21", "R12", "R11", "M1", "S1", "S2"]


def test_sort_by_completion(client, org):
    login_for(client, org["M1"])
    # completion values: R11 1.2, M1 1.05, S1 1.05, R12 0.9, S2 0.5, R21 0.5; ties by employee_no.
    assert rows(client.get(TEAM, {"sort": "completion", "dir": "desc"})) == ["R11", "M1", "S1", "R12", "R21", "S2"]


def test_sort_by_name(client, org):
    login_for(client, org["M1"])
    # Chen Jing, Meng Li, Ren Hao, Rui Lan, Shi Wen, Song Qiang
    assert rows(client.get(TEAM, {"sort": "name"})) == ["R11", "M1", "R12", "R21", "S2", "S1"]


def test_unknown_sort_falls_back_to_composite(client, org):
    login_for(client, org["M1"])
    assert rows(client.get(TEAM, {"sort": "password", "dir": "sideways"})) == ["R11", "M1", "S1", "R12", "S2", "R21"]


def test_sort_links_keep_the_filters(client, org):
    login_for(client, org["M1"])
    content = client.get(TEAM, {"band": "A", "role": Role.REP, "sort": "composite", "dir": "desc"}).content.decode()
    assert 'href="?band=A&amp;role=rep&amp;sort=composite&amp;dir=asc"' in content
    assert 'href="?band=A&amp;role=rep&amp;sort=R1&amp;dir=desc"' in content


def test_columns_show_scores_completion_and_dashes(client, org):
    login_for(client, org["S1"])
    content = client.get(TEAM).content.decode()
    r11 = re.search(r'data-employee="R11".*?</tr>', content, re.S).group(0)
    cells = re.findall(r'<td class="num">([^<]*)</td>', r11)
    # completion and composite, then the monthly KPI columns of the roles present (R1 R2 S1 S4)
    assert cells == ["120.0 %", "114.29", "120.00", "100.00", "—", "—"]
    assert "Sales Representative" in r11 and "Song Qiang" in r11


def test_month_shows_only_monthly_kpi_columns(client, org):
    login_for(client, org["M1"])
    assert client.get(TEAM).context["team"].columns.kpi_codes == ("R1", "R2", "S1", "S4", "M1", "M2", "M3a", "M3b")


def test_quarter_shows_every_kpi_column(client, org):
    card(org["M1"], "100.00", "B", {"M1": "100.00"}, on=closed("2026-Q1"))
    card(org["R11"], "100.00", "B", {"R1": "100.00"}, on=closed("2026-Q1"))
    login_for(client, org["M1"])
    codes = client.get(TEAM, {"period": "2026-Q1"}).context["team"].columns.kpi_codes
    assert codes == ("R1", "R2", "R3", "R4", "M1", "M2", "M3a", "M3b", "M4", "M5")


def test_kpi_columns_of_roles_nobody_in_the_table_has_are_left_out(client, org):
    login_for(client, org["S1"])
    response = client.get(TEAM)
    assert response.context["team"].columns.kpi_codes == ("R1", "R2", "S1", "S4")
    assert "M3a" not in response.content.decode()


def test_bands_d_and_e_are_flagged_in_words(client, org):
    login_for(client, org["M1"])
    content = client.get(TEAM).content.decode()
    flagged = re.findall(r'<tr data-employee="([^"]+)" class="table-warning">.*?needs attention', content, re.S)
    assert sorted(flagged) == ["R21", "S2"]
    assert content.count("needs attention") == 2


def test_pagination_shows_fifty_per_page_and_keeps_filters(client, org):
    extra = [Employee(employee_no=f"R2{n:02d}", name=f"Extra {n}", role=role(Role.REP)) for n in range(60)]
    extra = Employee.objects.bulk_create(extra)
    for employee in extra:
        employee.reports_to = org["S2"]
    Employee.objects.bulk_update(extra, ["reports_to"])
    version = policy_version_for(closed())
    Scorecard.objects.bulk_create(
        Scorecard(
            employee=e,
            period=closed(),
            policy_version=version,
            role=Role.REP,
            reports_to="S2",
            composite=Decimal("100.00") + n,
            band="B",
            created_at=timezone.now(),
        )
        for n, e in enumerate(extra)
    )
    login_for(client, org["M1"])
    first = client.get(TEAM, {"role": Role.REP})
    assert len(rows(first)) == 50
    assert 'href="?role=rep&amp;page=2"' in first.content.decode()
    second = client.get(TEAM, {"role": Role.REP, "page": "2"})
    assert len(rows(second)) == 63 - 50
    assert set(rows(first)).isdisjoint(rows(second))


# --------------------------------------------------------------------------- totals


def test_totals_equal_the_database(client, org):
    login_for(client, org["M1"])
    response = client.get(TEAM)
    unit = ["M1", "S1", "S2", "R11", "R12", "R21"]
    cards = Scorecard.objects.filter(period__code="2026-01", employee__employee_no__in=unit)
    values = MetricValue.objects.filter(period__code="2026-01", employee__employee_no__in=unit)
    actual = sum(v.value for v in values.filter(metric="sales_actual"))
    target = sum(v.value for v in values.filter(metric="sales_target"))
    expected_completion = (actual * 100 / target).quantize(Decimal("0.1"))  # 260,000 / 300,000 → 86.7
    totals = response.context["team"].totals
    assert totals.people == cards.count() == 6
    assert dict(totals.band_counts) == {b: cards.filter(band=b).count() for b in "ABCDE"}
    assert totals.completion == expected_completion == Decimal("86.7")
    content = response.content.decode()
    assert '<dd class="col-6 col-sm-7 mb-1" data-total="people">6</dd>' in content
    assert 'data-total="completion">86.7 %</dd>' in content
    assert "260,000.00 of 300,000.00 CNY" in content


def test_totals_follow_the_filters_over_all_pages(client, org):
    login_for(client, org["M1"])
    totals = client.get(TEAM, {"supervisor": "S1"}).context["team"].totals
    assert totals.people == 2
    assert dict(totals.band_counts) == {"A": 1, "B": 0, "C": 1, "D": 0, "E": 0}
    assert totals.completion == Decimal("105.0")  # 210,000 / 200,000


def test_band_chart_data_is_passed_as_json(client, org):
    login_for(client, org["M1"])
    content = client.get(TEAM).content.decode()
    assert '<script id="band-chart-data" type="application/json">' in content
    assert '"counts": [2, 1, 1, 1, 1]' in content
    assert 'aria-label="People per band: A 2, B 1, C 1, D 1, E 1"' in content


# --------------------------------------------------------------------------- export


def test_export_for_a_supervisor_holds_only_their_unit(client, org):
    login_for(client, org["S1"])
    response = client.get(EXPORT, {"period": "2026-01", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert sorted(csv_employee_nos(response)) == ["R11", "R12", "S1"]


def test_export_follows_the_table_filters(client, org):
    login_for(client, org["M1"])
    response = client.get(EXPORT, {"period": "2026-01", "format": "csv", "band": "A"})
    assert sorted(csv_employee_nos(response)) == ["M1", "R11"]


def test_export_cannot_be_widened_to_another_unit(client, org):
    login_for(client, org["S1"])
    response = client.get(EXPORT, {"period": "2026-01", "format": "csv", "supervisor": "S2"})
    assert response.status_code == 400
    assert b"R21" not in response.content


def test_export_xlsx_holds_the_same_rows(client, org):
    login_for(client, org["S1"])
    response = client.get(EXPORT, {"period": "2026-01", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["R11", "R12", "S1"]


def test_export_of_a_period_not_closed_is_refused(client, org):
    period("2026-02")
    login_for(client, org["M1"])
    assert client.get(EXPORT, {"period": "2026-02", "format": "csv"}).status_code == 400


def test_export_rep_gets_403(client, org):
    login_for(client, org["R11"])
    assert client.get(EXPORT, {"period": "2026-01"}).status_code == 403


def test_export_anonymous_is_redirected_to_login(client, org):
    response = client.get(EXPORT, {"period": "2026-01"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_export_post_is_405(client, org):
    login_for(client, org["M1"])
    assert client.post(EXPORT, {"period": "2026-01"}).status_code == 405


# --------------------------------------------------------------------------- query count


def unit_of(size: int, prefix: str) -> Employee:
    """A manager over supervisors over reps, ``size`` people, all scored for 2026-01 (bulk, for speed)."""
    on = closed()
    version = policy_version_for(on)
    manager = person(f"{prefix}M", Role.MANAGER)
    supervisors = Employee.objects.bulk_create(
        Employee(employee_no=f"{prefix}S{n}", name=f"Sup {n}", role=role(Role.SUPERVISOR), reports_to=manager)
        for n in range(max(1, size // 100))
    )
    reps = Employee.objects.bulk_create(
        Employee(
            employee_no=f"{prefix}R{n:04d}",
            name=f"Rep {n}",
            role=role(Role.REP),
            reports_to=supervisors[n % len(supervisors)],
        )
        for n in range(size - 1 - len(supervisors))
    )
    people = [manager, *supervisors, *reps]
    cards = Scorecard.objects.bulk_create(
        Scorecard(
            employee=e,
            period=on,
            policy_version=version,
            role=e.role.code,
            reports_to=e.reports_to.employee_no if e.reports_to else "",
            composite=Decimal(40 + n % 90),
            band="ABCDE"[n % 5],
            created_at=timezone.now(),
        )
        for n, e in enumerate(people)
    )
    code = {Role.MANAGER: "M1", Role.SUPERVISOR: "S1", Role.REP: "R1"}
    KpiScore.objects.bulk_create(
        KpiScore(
            scorecard=c,
            code=code[c.role],
            weight=Decimal("50"),
            target=Decimal("1"),
            value=Decimal("1.0"),
            score=Decimal(n % 150),
        )
        for n, c in enumerate(cards)
    )
    actual, target = Metric.objects.get(code="sales_actual"), Metric.objects.get(code="sales_target")
    MetricValue.objects.bulk_create(
        MetricValue(employee=e, period=on, metric=m, value=Decimal("1000"), entered_at=timezone.now())
        for e in reps
        for m in (actual, target)
    )
    assert Scorecard.objects.filter(employee__employee_no__startswith=prefix).count() == size
    return manager


def queries_for(client, lead: Employee, params: dict) -> int:
    login_for(client, lead)
    client.get(TEAM, params)  # warm-up: the first request of a test may fill per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TEAM, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("sort", ["composite", "R1", "supervisor", "completion", "role"])
def test_query_count_is_the_same_for_10_and_1000_people(client, sort):
    small = unit_of(10, "A")
    large = unit_of(1000, "B")
    params = {"sort": sort, "dir": "desc"}
    assert queries_for(client, small, params) == queries_for(client, large, params)
