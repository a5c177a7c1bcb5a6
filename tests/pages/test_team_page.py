"""The team page (/team/) and its download (/team/export/): scope, filters, sorting, totals, query counts."""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from appraisals.models import KpiScore, Metric, MetricValue, Period, Scorecard
from appraisals.selectors import policy_version_for
from roles.models import Employee, Role
from tests.builders import Kpi, Org, client_for, employee, org_from, period, sales, scorecard
from tests.factories import role
from tests.pages.helpers import without_csrf_token

pytestmark = pytest.mark.django_db

TEAM = "/team/"
EXPORT = "/team/export/"
ROW = re.compile(r'data-employee="([^"]+)"')


def rows(response) -> list[str]:
    return ROW.findall(response.content.decode())


def row_html(response, employee_no: str) -> str:
    return re.search(rf'data-employee="{employee_no}".*?</tr>', response.content.decode(), re.S).group(0)


def number_cells(response, employee_no: str) -> list[str]:
    """The text of a row's number cells (tags dropped, spaces squashed), in table order."""
    cells = re.findall(r'<td class="num[^"]*"[^>]*>(.*?)</td>', row_html(response, employee_no), re.S)
    return [re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", cell)).strip() for cell in cells]


def csv_employee_nos(response) -> list[str]:
    reader = csv.reader(io.StringIO(response.content.decode("utf-8")))
    next(reader)
    return [line[0] for line in reader]


@pytest.fixture
def org(db) -> Org:
    """Two units for 2026-01 (closed); the audience clients log in as M1, S1 and R11.

    M1 (manager) ─ S1 (supervisor) ─ R11, R12
                 └ S2 (supervisor) ─ R21
    M9 (manager, another unit) ─ R91
    """
    period("2026-01", status=Period.Status.CLOSED)
    org = org_from(
        {"M1": None, "S1": "M1", "S2": "M1", "R11": "S1", "R12": "S1", "R21": "S2", "M9": None, "R91": "M9"},
        names={
            "M1": "Meng Li",
            "S1": "Song Qiang",
            "S2": "Shi Wen",
            "R11": "Chen Jing",
            "R12": "Ren Hao",
            "R21": "Rui Lan",
            "M9": "Ma Jun",
            "R91": "Ruo Xi",
        },
    )
    for employee_no, composite, band, kpis in (
        ("M1", "111.67", "A", {"M1": Kpi("105.00", value="1.05"), "M2": "125.00"}),
        ("S1", "104.34", "B", {"S1": Kpi("105.00", value="1.05"), "S4": "103.58"}),
        ("S2", "70.00", "D", {"S1": Kpi("50.00", value="0.5"), "S4": "58.00"}),
        ("R11", "114.29", "A", {"R1": Kpi("120.00", value="1.2"), "R2": "100.00"}),
        ("R12", "92.86", "C", {"R1": Kpi("90.00", value="0.9"), "R2": "100.00"}),
        ("R21", "55.00", "E", {"R1": Kpi("50.00", value="0.5"), "R2": None}),
        ("M9", "99.00", "B", {"M1": Kpi("99.00", value="0.99")}),
        ("R91", "101.00", "B", {"R1": Kpi("101.00", value="1.01"), "R2": "101.00"}),
    ):
        scorecard(org[employee_no], period="2026-01", composite=composite, band=band, kpis=kpis)
    sales(org.r11, month="2026-01", actual="120000", target="100000")
    sales(org.r12, month="2026-01", actual="90000", target="100000")
    sales(org.r21, month="2026-01", actual="50000", target="100000")
    sales(org.r91, month="2026-01", actual="101000", target="100000")
    return org


# --------------------------------------------------------------------------- access


def test_anonymous_is_redirected_to_login(client):
    response = client.get(TEAM)
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")


def test_rep_cannot_open_the_team_page(rep_client):
    assert rep_client.get(TEAM).status_code == 403


def test_team_page_refuses_a_post(manager_client):
    assert manager_client.post(TEAM, {"period": "2026-01"}).status_code == 405


def test_manager_sees_everyone_in_unit_at_depth_two(manager_client):
    response = manager_client.get(TEAM)
    assert response.status_code == 200
    assert set(rows(response)) == {"M1", "S1", "S2", "R11", "R12", "R21"}


def test_manager_does_not_see_another_unit(manager_client):
    content = without_csrf_token(manager_client.get(TEAM))
    assert "R91" not in content and "Ruo Xi" not in content and "M9" not in content


def test_supervisor_sees_own_team_only(supervisor_client):
    assert set(rows(supervisor_client.get(TEAM))) == {"S1", "R11", "R12"}


def test_hr_sees_everyone(hr_client, org):
    assert set(rows(hr_client.get(TEAM))) == set(org)


def test_employee_name_links_to_their_page_for_the_period(supervisor_client):
    assert 'href="/employees/R11/?period=2026-01">Chen Jing</a>' in supervisor_client.get(TEAM).content.decode()


# --------------------------------------------------------------------------- periods


def test_only_closed_periods_are_offered(manager_client):
    period("2025-12", status=Period.Status.CLOSED)
    period("2025-Q4", status=Period.Status.CLOSED)
    period("2026-02")  # open
    period("2026-03", status=Period.Status.CLOSING)
    choices = manager_client.get(TEAM).context["form"].fields["period"].widget.choices
    offered = [code for _group, options in choices for code, _label in options]
    assert offered == ["2026-01", "2025-12", "2025-Q4"]


def test_default_period_is_the_latest_closed_month(manager_client):
    period("2025-12", status=Period.Status.CLOSED)
    period("2025-Q4", status=Period.Status.CLOSED)
    assert manager_client.get(TEAM).context["team"].filters.period.code == "2026-01"


def test_open_period_shows_a_message_and_no_rows(manager_client, org):
    scorecard(org.r11, period=period("2026-02"), composite="100.00", band="B", kpis={"R1": "100.00"})
    response = manager_client.get(TEAM, {"period": "2026-02"})
    assert response.status_code == 200
    assert "2026-02 is not closed yet" in response.content.decode()
    assert rows(response) == []


def test_closing_period_shows_a_message_and_no_rows(manager_client, org):
    scorecard(
        org.r11,
        period=period("2026-02", status=Period.Status.CLOSING),
        composite="100.00",
        band="B",
        kpis={"R1": "100.00"},
    )
    response = manager_client.get(TEAM, {"period": "2026-02"})
    assert "2026-02 is not closed yet" in response.content.decode()
    assert rows(response) == []


def test_unknown_period_shows_a_message(manager_client):
    response = manager_client.get(TEAM, {"period": "2031-05"})
    assert response.status_code == 200
    assert "There is no period 2031-05" in response.content.decode()


def test_malformed_period_shows_a_message(manager_client):
    response = manager_client.get(TEAM, {"period": "last month"})
    assert response.status_code == 200
    assert "is not a period" in response.content.decode()


def test_no_closed_period_yet_shows_a_message():
    period("2026-01")
    lead = employee("M1", role=Role.MANAGER)
    response = client_for(lead).get(TEAM)
    assert response.status_code == 200
    assert "No period has been closed yet" in response.content.decode()


# --------------------------------------------------------------------------- filters


def test_band_filter_keeps_only_that_band(manager_client):
    assert set(rows(manager_client.get(TEAM, {"band": "A"}))) == {"M1", "R11"}


def test_role_filter_keeps_only_that_role(manager_client):
    assert set(rows(manager_client.get(TEAM, {"role": Role.SUPERVISOR}))) == {"S1", "S2"}


def test_supervisor_filter_keeps_only_their_team(manager_client):
    assert set(rows(manager_client.get(TEAM, {"supervisor": "S1"}))) == {"R11", "R12"}


def test_supervisor_choices_are_unit_members_with_reports(manager_client):
    choices = manager_client.get(TEAM).context["form"].fields["supervisor"].choices
    assert [value for value, _label in choices] == ["", "M1", "S2", "S1"]  # by name: Meng, Shi, Song


def test_supervisor_outside_the_unit_is_refused(supervisor_client):
    response = supervisor_client.get(TEAM, {"supervisor": "M9"})
    assert "team" not in response.context
    assert rows(response) == []


def test_search_matches_employee_no_case_insensitively(manager_client):
    assert set(rows(manager_client.get(TEAM, {"search": "r1"}))) == {"R11", "R12"}


def test_search_matches_name_case_insensitively(manager_client):
    assert rows(manager_client.get(TEAM, {"search": "chen"})) == ["R11"]


def test_filters_combine(manager_client):
    assert rows(manager_client.get(TEAM, {"role": Role.REP, "band": "E"})) == ["R21"]


# --------------------------------------------------------------------------- table


def test_default_order_is_most_in_need_first_band_e_to_a_then_lowest_composite(manager_client):
    # R21 E 55.00, S2 D 70.00, R12 C 92.86, S1 B 104.34, M1 A 111.67, R11 A 114.29
    assert rows(manager_client.get(TEAM)) == ["R21", "S2", "R12", "S1", "M1", "R11"]


def test_within_a_band_the_lowest_composite_comes_first(manager_client, org):
    Scorecard.objects.filter(employee=org.s1, period__code="2026-01").update(band="A")
    # A: S1 104.34 (band set by hand), M1 111.67, R11 114.29
    assert rows(manager_client.get(TEAM))[-3:] == ["S1", "M1", "R11"]


def test_composite_highest_first_is_one_click_away(manager_client):
    assert rows(manager_client.get(TEAM, {"sort": "composite"})) == ["R11", "M1", "S1", "R12", "S2", "R21"]


def test_sort_by_composite_ascending(manager_client):
    assert rows(manager_client.get(TEAM, {"sort": "composite", "dir": "asc"})) == [
        "R21",
        "S2",
        "R12",
        "S1",
        "M1",
        "R11",
    ]


def test_sort_by_kpi_score_puts_people_without_it_last(manager_client):
    # R1 scores: R11 120, R12 90, R21 50; the others have no R1 and come last by employee_no.
    assert rows(manager_client.get(TEAM, {"sort": "R1", "dir": "desc"})) == ["R11", "R12", "R21", "M1", "S1", "S2"]
    assert rows(manager_client.get(TEAM, {"sort": "R1", "dir": "asc"})) == ["R21", "R12", "R11", "M1", "S1", "S2"]


def test_sort_by_completion_breaks_ties_by_employee_no(manager_client):
    # completion values: R11 1.2, M1 1.05, S1 1.05, R12 0.9, S2 0.5, R21 0.5; ties by employee_no.
    assert rows(manager_client.get(TEAM, {"sort": "completion", "dir": "desc"})) == [
        "R11",
        "M1",
        "S1",
        "R12",
        "R21",
        "S2",
    ]


def test_sort_by_name_is_alphabetical(manager_client):
    # Chen Jing, Meng Li, Ren Hao, Rui Lan, Shi Wen, Song Qiang
    assert rows(manager_client.get(TEAM, {"sort": "name"})) == ["R11", "M1", "R12", "R21", "S2", "S1"]


def test_unknown_sort_falls_back_to_most_in_need_first(manager_client):
    assert rows(manager_client.get(TEAM, {"sort": "password", "dir": "sideways"})) == [
        "R21",
        "S2",
        "R12",
        "S1",
        "M1",
        "R11",
    ]


def test_sort_links_keep_the_filters(manager_client):
    content = manager_client.get(
        TEAM, {"band": "A", "role": Role.REP, "sort": "composite", "dir": "desc"}
    ).content.decode()
    assert 'href="?band=A&amp;role=rep&amp;sort=composite&amp;dir=asc"' in content
    assert 'href="?band=A&amp;role=rep&amp;sort=R1&amp;dir=desc"' in content


def test_columns_show_scores_completion_and_dashes(supervisor_client):
    response = supervisor_client.get(TEAM)
    r11 = row_html(response, "R11")
    # completion, composite, change (no 2025-12 scorecard), then the monthly KPI columns of the roles present
    assert number_cells(response, "R11") == ["120.0 %", "114.29", "—", "120.00", "100.00", "—", "—"]
    assert "Sales Representative" in r11 and "Song Qiang" in r11


def test_month_shows_only_monthly_kpi_columns(manager_client):
    assert manager_client.get(TEAM).context["team"].columns.kpi_codes == (
        "R1",
        "R2",
        "S1",
        "S4",
        "M1",
        "M2",
        "M3a",
        "M3b",
    )


def test_quarter_shows_every_kpi_column(manager_client, org):
    quarter = period("2026-Q1", status=Period.Status.CLOSED)
    scorecard(org.m1, period=quarter, composite="100.00", band="B", kpis={"M1": "100.00"})
    scorecard(org.r11, period=quarter, composite="100.00", band="B", kpis={"R1": "100.00"})
    codes = manager_client.get(TEAM, {"period": "2026-Q1"}).context["team"].columns.kpi_codes
    assert codes == ("R1", "R2", "R3", "R4", "M1", "M2", "M3a", "M3b", "M4", "M5")


def test_kpi_columns_of_roles_nobody_in_the_table_has_are_left_out(supervisor_client):
    response = supervisor_client.get(TEAM)
    assert response.context["team"].columns.kpi_codes == ("R1", "R2", "S1", "S4")
    assert "M3a" not in without_csrf_token(response)


def test_bands_d_and_e_are_flagged_in_words(manager_client):
    content = manager_client.get(TEAM).content.decode()
    flagged = re.findall(r'<tr data-employee="([^"]+)" class="table-warning[^"]*">.*?needs attention', content, re.S)
    assert sorted(flagged) == ["R21", "S2"]
    assert content.count("needs attention") == 2


def test_pagination_shows_fifty_per_page_and_keeps_filters(manager_client, org):
    extra = [Employee(employee_no=f"R2{n:02d}", name=f"Extra {n}", role=role(Role.REP)) for n in range(60)]
    extra = Employee.objects.bulk_create(extra)
    for person in extra:
        person.reports_to = org.s2
    Employee.objects.bulk_update(extra, ["reports_to"])
    version = policy_version_for(period("2026-01", status=Period.Status.CLOSED))
    Scorecard.objects.bulk_create(
        Scorecard(
            employee=e,
            period=period("2026-01", status=Period.Status.CLOSED),
            policy_version=version,
            role=Role.REP,
            reports_to="S2",
            composite=Decimal("100.00") + n,
            band="B",
            created_at=timezone.now(),
        )
        for n, e in enumerate(extra)
    )
    first = manager_client.get(TEAM, {"role": Role.REP})
    assert len(rows(first)) == 50
    assert 'href="?role=rep&amp;page=2"' in first.content.decode()
    second = manager_client.get(TEAM, {"role": Role.REP, "page": "2"})
    assert len(rows(second)) == 63 - 50
    assert set(rows(first)).isdisjoint(rows(second))


# --------------------------------------------------------------------------- totals


def test_totals_equal_the_database(manager_client):
    response = manager_client.get(TEAM)
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


def test_totals_follow_the_filters_over_all_pages(manager_client):
    totals = manager_client.get(TEAM, {"supervisor": "S1"}).context["team"].totals
    assert totals.people == 2
    assert dict(totals.band_counts) == {"A": 1, "B": 0, "C": 1, "D": 0, "E": 0}
    assert totals.completion == Decimal("105.0")  # 210,000 / 200,000


def test_band_chart_data_is_passed_as_json(manager_client):
    content = manager_client.get(TEAM).content.decode()
    assert '<script id="band-chart-data" type="application/json">' in content
    assert '"counts": [2, 1, 1, 1, 1]' in content
    assert 'aria-label="People per band: A 2, B 1, C 1, D 1, E 1"' in content


# --------------------------------------------------------------------------- export


def test_export_for_a_supervisor_holds_only_their_unit(supervisor_client):
    response = supervisor_client.get(EXPORT, {"period": "2026-01", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert sorted(csv_employee_nos(response)) == ["R11", "R12", "S1"]


def test_export_follows_the_table_filters(manager_client):
    response = manager_client.get(EXPORT, {"period": "2026-01", "format": "csv", "band": "A"})
    assert sorted(csv_employee_nos(response)) == ["M1", "R11"]


def test_export_cannot_be_widened_to_another_unit(supervisor_client):
    response = supervisor_client.get(EXPORT, {"period": "2026-01", "format": "csv", "supervisor": "S2"})
    assert response.status_code == 400
    assert b"R21" not in response.content


def test_export_xlsx_holds_the_same_rows(supervisor_client):
    response = supervisor_client.get(EXPORT, {"period": "2026-01", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert sorted(row[0] for row in sheet.iter_rows(min_row=2, values_only=True)) == ["R11", "R12", "S1"]


def test_export_of_a_period_not_closed_is_refused(manager_client):
    period("2026-02")
    assert manager_client.get(EXPORT, {"period": "2026-02", "format": "csv"}).status_code == 400


def test_rep_cannot_download_the_team(rep_client):
    assert rep_client.get(EXPORT, {"period": "2026-01"}).status_code == 403


def test_anonymous_download_is_redirected_to_login(client, org):
    response = client.get(EXPORT, {"period": "2026-01"})
    assert response.status_code == 302 and response.url.startswith("/accounts/login/")


def test_team_download_refuses_a_post(manager_client):
    assert manager_client.post(EXPORT, {"period": "2026-01"}).status_code == 405


# --------------------------------------------------------------------------- query count


def unit_of(size: int, prefix: str) -> Employee:
    """A manager over supervisors over reps, ``size`` people, all scored for 2026-01 (bulk, for speed)."""
    on = period("2026-01", status=Period.Status.CLOSED)
    version = policy_version_for(on)
    manager = employee(f"{prefix}M", role=Role.MANAGER)
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
    if connection.vendor == "postgresql":
        # As the imports and the close do after bulk writes: plans for the rows that are there.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    assert Scorecard.objects.filter(employee__employee_no__startswith=prefix).count() == size
    return manager


def queries_for(lead: Employee, params: dict) -> int:
    client = client_for(lead)
    client.get(TEAM, params)  # warm-up: the first request of a test may fill per-process caches
    with CaptureQueriesContext(connection) as captured:
        response = client.get(TEAM, params)
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize("sort", ["", "composite", "R1", "supervisor", "completion", "role", "change"])
def test_query_count_is_the_same_for_10_and_1000_people_whatever_the_sort(sort):
    small = unit_of(10, "A")
    large = unit_of(1000, "B")
    params = {"sort": sort, "dir": "desc"} if sort else {}
    assert queries_for(small, params) == queries_for(large, params)
