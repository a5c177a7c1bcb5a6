"""employees_import and ``manage.py import_employees`` (POLICY.md §2, §7)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from roles.employee_import import EMPLOYEE_COLUMNS, employees_import
from roles.models import Employee, Role
from sales_perf.tabular import ImportFailed, ImportResult, RowError
from tests.builders import csv_bytes, employee, user

HEADER = ",".join(EMPLOYEE_COLUMNS)

pytestmark = pytest.mark.django_db


def _import(*rows: str) -> ImportResult:
    return employees_import(source=csv_bytes(*rows, header=HEADER), filename="employees.csv")


def _refused(*rows: str, header: str = HEADER) -> list[RowError]:
    with pytest.raises(ImportFailed) as failed:
        employees_import(source=csv_bytes(*rows, header=header), filename="employees.csv")
    return failed.value.errors


def _org() -> list[tuple]:
    """Every stored employee with every field an import could touch."""
    return list(
        Employee.objects.order_by("employee_no").values_list(
            "employee_no",
            "name",
            "email",
            "role__code",
            "reports_to__employee_no",
            "hire_date",
            "quarterly_bonus_base",
            "annual_bonus_base",
            "is_active",
            "user_id",
        )
    )


@pytest.fixture
def stored_org() -> list[tuple]:
    """M01 ← S01 ← R01 already stored; returns the snapshot a refused import must leave as it is."""
    manager = employee("M01", name="Zhou Min", role=Role.MANAGER)
    supervisor = employee("S01", name="Li Qiang", role=Role.SUPERVISOR, reports_to=manager)
    employee("R01", name="Chen Jing", reports_to=supervisor, annual_bonus_base=Decimal("100.00"))
    return _org()


# --- the worked example ------------------------------------------------------------------------


def test_example_file_imports_seven_employees(example_dir):
    result = employees_import(source=example_dir / "employees.csv", filename="employees.csv")

    assert result == ImportResult(rows=7, created=7, updated=0)
    assert Employee.objects.count() == 7


def test_example_file_values_are_stored(example_dir):
    employees_import(source=example_dir / "employees.csv", filename="employees.csv")

    stored = {row[0]: row for row in _org()}
    assert stored["R04"][1] == "=Hyperlink test"
    assert stored["M01"][1:8] == (
        "周敏 Zhou Min",
        "m01@example.com",
        "manager",
        None,
        date(2021, 3, 1),
        None,
        Decimal("80000.00"),
    )
    assert stored["S02"][3:8] == ("supervisor", "M01", date(2021, 3, 1), Decimal("8000.00"), None)
    assert stored["R01"][3:8] == ("rep", "S01", date(2021, 3, 1), None, None)


# --- updates -----------------------------------------------------------------------------------


def test_reimport_updates_the_employee_without_a_duplicate(stored_org):
    result = _import("R01,Chen Jing-Wang,r01@new.example.com,supervisor,M01,2022-05-01,6500.50,")

    assert result == ImportResult(rows=1, created=0, updated=1)
    assert Employee.objects.count() == 3
    assert _org()[1] == (
        "R01",
        "Chen Jing-Wang",
        "r01@new.example.com",
        "supervisor",
        "M01",
        date(2022, 5, 1),
        Decimal("6500.50"),
        None,
        True,
        None,
    )


def test_reimport_keeps_active_flag_and_login(stored_org):
    login = user()
    Employee.objects.filter(employee_no="R01").update(is_active=False, user=login)

    _import("R01,Chen Jing,r01@example.com,rep,S01,,,")

    assert Employee.objects.filter(employee_no="R01").values_list("is_active", "user_id").get() == (False, login.pk)


def test_reimport_of_the_same_values_changes_nothing(stored_org):
    result = _import(
        "M01,Zhou Min,m01@example.com,manager,,,,",
        "S01,Li Qiang,s01@example.com,supervisor,M01,,,",
    )

    assert result == ImportResult(rows=2, created=0, updated=0)
    assert _org() == stored_org


def test_new_and_known_employees_in_one_file(stored_org):
    result = _import("S02,Wang Fang,s02@example.com,supervisor,M01,,8000,", "S01,Li Qiang,,supervisor,S02,,,")

    assert result == ImportResult(rows=2, created=1, updated=1)
    assert Employee.objects.get(employee_no="S01").reports_to.employee_no == "S02"


def test_empty_bonus_base_clears_a_stored_one(stored_org):
    _import("R01,Chen Jing,r01@example.com,rep,S01,,,")

    assert Employee.objects.get(employee_no="R01").annual_bonus_base is None


def test_manager_may_come_later_in_the_file():
    _import("R01,Chen Jing,,rep,S01,,,", "S01,Li Qiang,,supervisor,M01,,,", "M01,Zhou Min,,manager,,,,")

    assert dict(Employee.objects.values_list("employee_no", "reports_to__employee_no")) == {
        "M01": None,
        "S01": "M01",
        "R01": "S01",
    }


def test_manager_may_be_a_stored_employee(stored_org):
    _import("R09,New Rep,,rep,S01,2026-01-05,,")

    assert Employee.objects.get(employee_no="R09").reports_to.employee_no == "S01"


def test_role_code_ignores_case():
    _import("M01,Zhou Min,,Manager,,,,")

    assert Employee.objects.get(employee_no="M01").role.code == "manager"


# --- every bad row is refused, and nothing is written ------------------------------------------


@pytest.mark.parametrize(
    ("row", "error"),
    [
        (",No Number,,rep,,,,", RowError(2, "employee_no", "required")),
        ("X" * 33 + ",Long,,rep,,,,", RowError(2, "employee_no", f"longer than 32 characters ('{'X' * 33}')")),
        ("R09,,,rep,,,,", RowError(2, "name", "required")),
        ("R09,Rep,not-an-email,rep,,,,", RowError(2, "email", "not an email address ('not-an-email')")),
        (
            "R09,Rep,,director,,,,",
            RowError(2, "role", "unknown role ('director'); use one of manager, rep, supervisor"),
        ),
        ("R09,Rep,,,,,,", RowError(2, "role", "required")),
        ("R09,Rep,,rep,X99,,,", RowError(2, "reports_to", "unknown employee ('X99')")),
        ("R09,Rep,,rep,R09,,,", RowError(2, "reports_to", "an employee cannot report to themself")),
        ("R09,Rep,,rep,,2021-02-30,,", RowError(2, "hire_date", "not a date ('2021-02-30'); use YYYY-MM-DD")),
        ("R09,Rep,,rep,,01/03/2021,,", RowError(2, "hire_date", "not a date ('01/03/2021'); use YYYY-MM-DD")),
        ("R09,Rep,,rep,,,-1,", RowError(2, "quarterly_bonus_base", "negative ('-1')")),
        ("R09,Rep,,rep,,,,abc", RowError(2, "annual_bonus_base", "not a number ('abc')")),
        ("R09,Rep,,rep,,,,NaN", RowError(2, "annual_bonus_base", "not a number ('NaN')")),
        ("R09,Rep,,rep,,,1000.005,", RowError(2, "quarterly_bonus_base", "more than 2 decimal places ('1000.005')")),
        ("R09,Rep,,rep,,,1e12,", RowError(2, "quarterly_bonus_base", "too large ('1e12')")),
    ],
)
def test_bad_row_is_refused_and_nothing_changes(stored_org, row, error):
    assert _refused(row) == [error]
    assert _org() == stored_org


def test_duplicate_employee_no_in_the_file(stored_org):
    errors = _refused("R09,Rep,,rep,,,,", "R10,Other,,rep,,,,", "R09,Again,,rep,,,,")

    assert errors == [RowError(4, "employee_no", "duplicate: R09 is also on line 2")]
    assert _org() == stored_org


def test_cycle_inside_the_file(stored_org):
    errors = _refused("A1,A,,rep,B1,,,", "B1,B,,rep,C1,,,", "C1,C,,rep,A1,,,", "D1,D,,rep,A1,,,")

    assert errors == [
        RowError(2, "reports_to", "reporting cycle: A1 → B1 → C1 → A1"),
        RowError(3, "reports_to", "reporting cycle: A1 → B1 → C1 → A1"),
        RowError(4, "reports_to", "reporting cycle: A1 → B1 → C1 → A1"),
    ]
    assert _org() == stored_org


def test_cycle_through_the_file_and_the_stored_org(stored_org):
    # Stored: R01 → S01 → M01. The file makes M01 report to R01, closing the loop.
    errors = _refused("M01,Zhou Min,,manager,R01,,,")

    assert errors == [RowError(2, "reports_to", "reporting cycle: M01 → R01 → S01 → M01")]
    assert _org() == stored_org


def test_swapping_manager_and_supervisor_in_one_file_is_no_cycle(stored_org):
    _import("M01,Zhou Min,,manager,S01,,,", "S01,Li Qiang,,supervisor,,,,")

    assert dict(Employee.objects.values_list("employee_no", "reports_to__employee_no")) == {
        "M01": "S01",
        "S01": None,
        "R01": "S01",
    }


def test_every_bad_row_is_reported_and_good_rows_are_not_written(stored_org):
    errors = _refused(
        "R10,Good Rep,,rep,S01,,,",
        "R11,,bad,rep,,,,",
        "R12,Rep,,boss,,,,",
        "R13,Good Rep,,rep,,,,",
        "R14,Rep,,rep,,,-5,x",
    )

    assert [(error.line, error.field) for error in errors] == [
        (3, "name"),
        (3, "email"),
        (4, "role"),
        (6, "quarterly_bonus_base"),
        (6, "annual_bonus_base"),
    ]
    assert _org() == stored_org


def test_unknown_column_is_refused(stored_org):
    errors = _refused("R09,Rep,,rep,,,,,x", header=HEADER + ",nickname")

    assert errors == [RowError(1, "nickname", "unknown column")]
    assert _org() == stored_org


def test_missing_column_is_refused(stored_org):
    errors = _refused("R09,Rep,,rep,,,", header=HEADER.replace(",annual_bonus_base", ""))

    assert errors == [RowError(1, "annual_bonus_base", "missing column")]
    assert _org() == stored_org


# --- formats -----------------------------------------------------------------------------------


def test_byte_order_mark_is_accepted():
    employees_import(
        source=b"\xef\xbb\xbf" + csv_bytes("M01,Zhou Min,,manager,,,,", header=HEADER), filename="employees.csv"
    )

    assert list(Employee.objects.values_list("employee_no", flat=True)) == ["M01"]


def test_xlsx_file_imports_like_the_csv():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(EMPLOYEE_COLUMNS))
    sheet.append(["M01", "Zhou Min", "m01@example.com", "manager", None, date(2021, 3, 1), None, 80000])
    sheet.append([1002, "Li Qiang", None, "supervisor", "M01", None, 8000.5, None])
    data = io.BytesIO()
    workbook.save(data)

    result = employees_import(source=data.getvalue(), filename="employees.xlsx")

    assert result == ImportResult(rows=2, created=2, updated=0, encoding="XLSX")
    assert _org() == [
        ("1002", "Li Qiang", "", "supervisor", "M01", None, Decimal("8000.50"), None, True, None),
        (
            "M01",
            "Zhou Min",
            "m01@example.com",
            "manager",
            None,
            date(2021, 3, 1),
            None,
            Decimal("80000.00"),
            True,
            None,
        ),
    ]


# --- cost --------------------------------------------------------------------------------------


def _queries_to_import(count: int, prefix: str) -> int:
    # Half new and half already stored, so both the bulk insert and the bulk update run.
    for n in range(count // 2):
        employee(f"{prefix}{n:04d}")
    rows = [f"{prefix}M,Boss,,manager,,,,"]
    rows += [f"{prefix}{n:04d},Renamed {n},,rep,{prefix}M,2024-01-01,,100" for n in range(count)]
    with CaptureQueriesContext(connection) as queries:
        employees_import(source=csv_bytes(*rows, header=HEADER), filename="employees.csv")
    return len(queries)


def test_query_count_does_not_grow_with_rows():
    # 90 rows still fit one SQLite batch (999 parameters); PostgreSQL sends any number in one.
    assert _queries_to_import(10, "A") == _queries_to_import(90, "B")


# --- the command -------------------------------------------------------------------------------


def test_command_reports_what_it_imported(tmp_path, capsys):
    path = tmp_path / "employees.csv"
    path.write_bytes(csv_bytes("M01,Zhou Min,,manager,,,,", "S01,Li Qiang,,supervisor,M01,,,", header=HEADER))

    call_command("import_employees", str(path))

    output = capsys.readouterr()
    assert output.out == "Imported 2 employees (2 created, 0 updated), read as UTF-8.\n"
    assert output.err.splitlines() == ["2 rows read, checking reporting lines", "2 employees valid, writing"]


def test_command_prints_every_bad_row_and_fails(tmp_path, capsys):
    path = tmp_path / "employees.csv"
    path.write_bytes(csv_bytes("M01,,,manager,,,,", "S01,Li Qiang,,chief,M01,,,", header=HEADER))

    with pytest.raises(CommandError, match=r"^employees\.csv: 2 bad rows, nothing imported$"):
        call_command("import_employees", str(path))

    assert capsys.readouterr().err.splitlines()[1:] == [
        "line 2, field name: required",
        "line 3, field role: unknown role ('chief'); use one of manager, rep, supervisor",
    ]
    assert Employee.objects.count() == 0


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_employees", str(tmp_path / "nope.csv"))


def test_a_gb18030_file_from_excel_imports_and_the_report_names_the_encoding(tmp_path, capsys):
    path = tmp_path / "员工.csv"
    path.write_bytes(
        "employee_no,name,email,role,reports_to,hire_date,quarterly_bonus_base,annual_bonus_base\r\n"
        "M01,王经理,,manager,,2020-01-01,,\r\n"
        "R01,陈静,,rep,M01,2024-03-01,,\r\n".encode("gb18030")
    )

    call_command("import_employees", str(path))

    assert capsys.readouterr().out == "Imported 2 employees (2 created, 0 updated), read as GB18030.\n"
    assert dict(Employee.objects.values_list("employee_no", "name")) == {"M01": "王经理", "R01": "陈静"}
