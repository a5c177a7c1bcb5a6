"""metrics_import and ``manage.py import_metrics`` (POLICY.md §3, §4, §7)."""

from __future__ import annotations

import io
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisals import metric_import
from appraisals.metric_import import METRIC_COLUMNS, metrics_import
from appraisals.models import MetricValue, Period
from roles.employee_import import employees_import
from roles.models import Employee, Role
from sales_perf.tabular import ImportFailed, ImportResult, RowError
from tests.builders import csv_bytes, employee, metrics, period, user
from tests.factories import MetricValueFactory

HEADER = ",".join(METRIC_COLUMNS)

pytestmark = pytest.mark.django_db


def _import(*rows: str, **kwargs) -> ImportResult:
    return metrics_import(source=csv_bytes(*rows, header=HEADER), filename="metrics.csv", **kwargs)


def _refused(*rows: str, header: str = HEADER) -> list[RowError]:
    with pytest.raises(ImportFailed) as failed:
        metrics_import(source=csv_bytes(*rows, header=header), filename="metrics.csv")
    return failed.value.errors


def _stored() -> tuple[list[tuple], list[tuple]]:
    """Every stored value and period, to show a refused file changed nothing."""
    values = list(
        MetricValue.objects.order_by("employee__employee_no", "period__code", "metric_id").values_list(
            "employee__employee_no", "period__code", "metric_id", "value", "entered_by_id", "entered_at"
        )
    )
    periods = list(Period.objects.order_by("code").values_list("code", "status"))
    return values, periods


def _value(employee_no: str, period_code: str, metric: str) -> Decimal:
    return MetricValue.objects.get(employee__employee_no=employee_no, period__code=period_code, metric_id=metric).value


@pytest.fixture
def people() -> None:
    supervisor = employee("S01", role=Role.SUPERVISOR)
    employee("R01", reports_to=supervisor)
    employee("R02", reports_to=supervisor)


@pytest.fixture
def stored(people) -> tuple[list[tuple], list[tuple]]:
    """R01 has 2026-01 values stored (20 customers at the start, 16 kept); returns the snapshot."""
    r01 = Employee.objects.get(employee_no="R01")
    metrics(r01, period="2026-01", sales_target="100000", customers_start="20", customers_retained="16")
    return _stored()


# --- the worked example ------------------------------------------------------------------------


@pytest.fixture
def example(example_dir) -> ImportResult:
    employees_import(source=example_dir / "employees.csv", filename="employees.csv")
    return metrics_import(source=example_dir / "metrics.csv", filename="metrics.csv")


def test_example_file_imports_390_values(example):
    assert example == ImportResult(rows=390, created=390, updated=0)
    assert MetricValue.objects.count() == 390


def test_example_file_values_are_stored(example):
    assert _value("M01", "2025-Q4", "market_share") == Decimal("18.0")
    assert _value("R01", "2026-01", "sales_actual") == Decimal("150000")
    assert _value("R01", "2026-01", "csat") == Decimal("3.5")
    assert _value("R02", "2026-01", "customers_retained") == Decimal("15")


def test_example_file_creates_its_months_and_quarters_open(example):
    expected = [(f"2026-{month:02d}", "month") for month in range(1, 13)]
    expected += [("2025-Q4", "quarter")] + [(f"2026-Q{quarter}", "quarter") for quarter in range(1, 5)]

    assert sorted(Period.objects.values_list("code", "kind")) == sorted(expected)
    assert set(Period.objects.values_list("status", flat=True)) == {"open"}


def test_example_reimport_replaces_every_value(example, example_dir):
    again = metrics_import(source=example_dir / "metrics.csv", filename="metrics.csv")

    assert again == ImportResult(rows=390, created=0, updated=390)
    assert MetricValue.objects.count() == 390


# --- writes ------------------------------------------------------------------------------------


def test_value_records_who_entered_it(people):
    hr = user()

    _import("R01,2026-02,csat,4.5", user=hr)

    stored = MetricValue.objects.get()
    assert (stored.value, stored.entered_by_id, stored.entered_at is not None) == (Decimal("4.5"), hr.pk, True)


def test_reimport_replaces_the_value_of_an_open_period(stored):
    hr = user()

    result = _import("R01,2026-01,sales_target,120000.50", "R02,2026-01,sales_target,90000", user=hr)

    assert result == ImportResult(rows=2, created=1, updated=1)
    assert MetricValue.objects.filter(period__code="2026-01", metric_id="sales_target").count() == 2
    replaced = MetricValue.objects.get(employee__employee_no="R01", period__code="2026-01", metric_id="sales_target")
    assert (replaced.value, replaced.entered_by_id) == (Decimal("120000.50"), hr.pk)


def test_values_other_than_the_file_are_left_alone(stored):
    _import("R01,2026-01,sales_target,1")

    assert _value("R01", "2026-01", "customers_start") == Decimal("20")


def test_header_only_file_imports_nothing(people):
    assert _import() == ImportResult(rows=0, created=0, updated=0)
    assert not Period.objects.exists()


# --- closed periods ----------------------------------------------------------------------------


def test_closed_period_refuses_the_value(stored):
    Period.objects.filter(code="2026-01").update(status=Period.Status.CLOSED)
    before = _stored()

    errors = _refused("R01,2026-01,sales_target,1", "R01,2026-02,sales_target,1")

    assert errors == [RowError(2, "period", "period 2026-01 is closed")]
    assert _stored() == before


def test_period_being_closed_refuses_the_value(stored):
    Period.objects.filter(code="2026-01").update(status=Period.Status.CLOSING)

    errors = _refused("R01,2026-01,sales_target,1")

    assert errors == [RowError(2, "period", "period 2026-01 is being closed")]


def test_open_month_of_a_closed_year_is_accepted(people):
    period("2026", status=Period.Status.CLOSED)

    _import("R01,2026-02,csat,4")

    assert _value("R01", "2026-02", "csat") == Decimal("4")


def test_period_closed_while_the_file_was_checked_is_refused(stored):
    def close_the_month(message: str) -> None:
        if message.endswith(("row read", "rows read")):
            Period.objects.filter(code="2026-01").update(status=Period.Status.CLOSED)

    with pytest.raises(ImportFailed) as failed:
        _import("R01,2026-01,sales_target,1", progress=close_the_month)

    assert failed.value.errors == [
        RowError(0, "period", "period 2026-01 is closed (since the file was checked)"),
    ]
    assert _value("R01", "2026-01", "sales_target") == Decimal("100000")


# --- every bad row is refused, and nothing is written ------------------------------------------


@pytest.mark.parametrize(
    ("row", "error"),
    [
        ("X99,2026-01,csat,4", RowError(2, "employee_no", "unknown employee ('X99')")),
        (",2026-01,csat,4", RowError(2, "employee_no", "required")),
        ("R01,2026-01,happiness,4", RowError(2, "metric", "unknown metric ('happiness')")),
        ("R01,2026-13,csat,4", RowError(2, "period", "not a period ('2026-13'); use YYYY-MM or YYYY-Qn")),
        ("R01,2026/01,csat,4", RowError(2, "period", "not a period ('2026/01'); use YYYY-MM or YYYY-Qn")),
        ("R01,,csat,4", RowError(2, "period", "required")),
        (
            "R01,2026-Q1,csat,4",
            RowError(2, "period", "csat is a monthly metric; use a month (YYYY-MM), not '2026-Q1'"),
        ),
        (
            "R01,2026-03,collaboration,4",
            RowError(2, "period", "collaboration is a quarterly metric; use a quarter (YYYY-Qn), not '2026-03'"),
        ),
        ("R01,2026,csat,4", RowError(2, "period", "csat is a monthly metric; use a month (YYYY-MM), not '2026'")),
        ("R01,2026-01,sales_actual,abc", RowError(2, "value", "not a number ('abc')")),
        ('R01,2026-01,sales_actual,"1,000"', RowError(2, "value", "not a number ('1,000')")),
        ("R01,2026-01,sales_actual,", RowError(2, "value", "required")),
        ("R01,2026-01,sales_actual,NaN", RowError(2, "value", "not a finite number ('NaN')")),
        ("R01,2026-01,sales_actual,inf", RowError(2, "value", "not a finite number ('inf')")),
        ("R01,2026-01,sales_actual,-1", RowError(2, "value", "below the minimum 0 ('-1')")),
        ("R01,2026-01,csat,0.5", RowError(2, "value", "below the minimum 1 ('0.5')")),
        ("R01,2026-01,csat,5.5", RowError(2, "value", "above the maximum 5 ('5.5')")),
        ("R01,2026-Q1,market_share,100.01", RowError(2, "value", "above the maximum 100 ('100.01')")),
        ("R01,2026-01,new_customers,2.5", RowError(2, "value", "not a whole number ('2.5')")),
        ("R01,2026-01,sales_actual,1.00001", RowError(2, "value", "more than 4 decimal places ('1.00001')")),
        ("R01,2026-01,sales_actual,1e15", RowError(2, "value", "too large ('1e15')")),
    ],
)
def test_bad_row_is_refused_and_nothing_changes(stored, row, error):
    assert _refused(row) == [error]
    assert _stored() == stored


def test_whole_number_written_with_decimals_is_accepted(people):
    _import("R01,2026-01,new_customers,3.0")

    assert _value("R01", "2026-01", "new_customers") == Decimal("3")


def test_duplicate_row_in_the_file(stored):
    errors = _refused("R02,2026-02,csat,4", "R02,2026-02,sales_target,1", "R02,2026-02,csat,5")

    assert errors == [RowError(4, "metric", "duplicate: R02 2026-02 csat is also on line 2")]
    assert _stored() == stored


def test_retained_above_start_in_the_same_file(stored):
    errors = _refused("R02,2026-02,customers_retained,21", "R02,2026-02,customers_start,20")

    assert errors == [RowError(2, "value", "more than customers_start (20)")]
    assert _stored() == stored


def test_retained_equal_to_start_is_accepted(people):
    _import("R02,2026-02,customers_start,20", "R02,2026-02,customers_retained,20")

    assert _value("R02", "2026-02", "customers_retained") == Decimal("20")


def test_retained_above_the_stored_start(stored):
    errors = _refused("R01,2026-01,customers_retained,21")

    assert errors == [RowError(2, "value", "more than the stored customers_start (20)")]
    assert _stored() == stored


def test_start_lowered_below_the_stored_retained(stored):
    errors = _refused("R01,2026-01,customers_start,15")

    assert errors == [RowError(2, "value", "less than the stored customers_retained (16)")]
    assert _stored() == stored


def test_start_and_retained_lowered_together_are_accepted(stored):
    _import("R01,2026-01,customers_start,10", "R01,2026-01,customers_retained,9")

    assert (_value("R01", "2026-01", "customers_start"), _value("R01", "2026-01", "customers_retained")) == (10, 9)


def test_retained_of_another_month_is_not_compared(stored):
    _import("R01,2026-02,customers_retained,30")

    assert _value("R01", "2026-02", "customers_retained") == Decimal("30")


def test_unknown_column_is_refused(stored):
    errors = _refused("R01,2026-01,csat,4,hi", header=HEADER + ",comment")

    assert errors == [RowError(1, "comment", "unknown column")]
    assert _stored() == stored


def test_missing_column_is_refused(stored):
    errors = _refused("R01,2026-01,4", header="employee_no,period,value")

    assert errors == [RowError(1, "metric", "missing column")]
    assert _stored() == stored


def test_every_bad_row_is_reported_and_good_rows_are_not_written(stored):
    errors = _refused(
        "R02,2026-03,csat,4",
        "R02,2026-03,sales_actual,x",
        "X1,2026-Q9,sales,1",
        "R02,2026-04,sales_target,5",
    )

    assert [(error.line, error.field) for error in errors] == [
        (3, "value"),
        (4, "employee_no"),
        (4, "metric"),
        (4, "period"),
    ]
    assert _stored() == stored  # neither R02's good values nor the months 2026-03/04 were written


def test_errors_kept_are_capped_but_all_are_counted(people):
    rows = [f"X{n},2026-01,csat,4" for n in range(1500)]

    with pytest.raises(ImportFailed) as failed:
        metrics_import(source=csv_bytes(*rows, header=HEADER), filename="metrics.csv")

    assert (len(failed.value.errors), failed.value.error_count, failed.value.bad_rows) == (1000, 1500, 1500)
    assert failed.value.errors[0] == RowError(2, "employee_no", "unknown employee ('X0')")
    assert str(failed.value) == "1,500 bad rows"


# --- formats -----------------------------------------------------------------------------------


def test_byte_order_mark_is_accepted(people):
    metrics_import(source=b"\xef\xbb\xbf" + csv_bytes("R01,2026-01,csat,4", header=HEADER), filename="metrics.csv")

    assert _value("R01", "2026-01", "csat") == Decimal("4")


def test_xlsx_file_imports_like_the_csv(people):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(METRIC_COLUMNS))
    sheet.append(["R01", "2026-01", "sales_actual", 150000.0])
    sheet.append(["R01", "2026-01", "csat", 3.5])
    sheet.append(["R01", "2026-Q1", "market_share", 18])
    data = io.BytesIO()
    workbook.save(data)

    result = metrics_import(source=data.getvalue(), filename="metrics.xlsx")

    assert result == ImportResult(rows=3, created=3, updated=0, encoding="XLSX")
    assert _value("R01", "2026-01", "sales_actual") == Decimal("150000")
    assert _value("R01", "2026-01", "csat") == Decimal("3.5")
    assert _value("R01", "2026-Q1", "market_share") == Decimal("18")


def test_xlsx_errors_name_the_sheet_row(people):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(METRIC_COLUMNS))
    sheet.append(["R01", "2026-01", "csat", 4])
    sheet.append(["R01", "2026-01", "sales_actual", "lots"])
    data = io.BytesIO()
    workbook.save(data)

    with pytest.raises(ImportFailed) as failed:
        metrics_import(source=data.getvalue(), filename="metrics.xlsx")

    assert failed.value.errors == [RowError(3, "value", "not a number ('lots')")]


# --- cost --------------------------------------------------------------------------------------


def _queries_to_import(count: int, month: str) -> int:
    # Half the rows replace stored values, half are new: both paths of the upsert run.
    people = [employee(f"Q{month}{n:04d}") for n in range(count)]
    for person in people[: count // 2]:
        MetricValueFactory(employee=person, period=period(month), metric_id="sales_target")
    rows = [f"{person.employee_no},{month},sales_target,{n}" for n, person in enumerate(people)]
    with CaptureQueriesContext(connection) as queries:
        metrics_import(source=csv_bytes(*rows, header=HEADER), filename="metrics.csv")
    return len(queries)


def test_query_count_does_not_grow_with_rows():
    # 150 rows still fit one SQLite batch (999 parameters); on PostgreSQL the rows go by COPY.
    assert _queries_to_import(10, "2026-01") == _queries_to_import(150, "2026-02")


def test_progress_is_reported_while_reading(people, monkeypatch):
    monkeypatch.setattr(metric_import, "METRIC_PROGRESS_EVERY", 10)
    messages: list[str] = []

    _import(
        *(
            f"R01,2026-{month:02d},{metric},1"
            for month in range(1, 6)
            for metric in ("sales_target", "sales_actual", "new_customers", "new_customer_target", "customers_start")
        ),
        progress=messages.append,
    )

    assert messages == ["10 rows read", "20 rows read", "25 rows read", "25 rows valid, writing"]


# --- the command --------------------------------------------------------------------------------


def test_command_reports_what_it_imported(stored, tmp_path, capsys):
    path = tmp_path / "metrics.csv"
    path.write_bytes(csv_bytes("R01,2026-01,csat,4", "R01,2026-01,sales_target,5", header=HEADER))

    call_command("import_metrics", str(path))

    output = capsys.readouterr()
    assert output.out == "Imported 2 metric values (1 created, 1 updated), read as UTF-8.\n"
    assert output.err.splitlines() == ["2 rows read", "2 rows valid, writing"]


def test_command_prints_every_bad_row_and_fails(stored, tmp_path, capsys):
    path = tmp_path / "metrics.csv"
    path.write_bytes(
        csv_bytes(
            "R01,2026-01,value,abc", "R01,2026-01,csat,abc", "R09,2026-01,csat,4", "R01,2026-02,csat,4", header=HEADER
        )
    )

    with pytest.raises(CommandError, match=r"^metrics\.csv: 3 bad rows, nothing imported$"):
        call_command("import_metrics", str(path))

    assert capsys.readouterr().err.splitlines()[1:] == [
        "line 2, field metric: unknown metric ('value')",
        "line 2, field value: not a number ('abc')",
        "line 3, field value: not a number ('abc')",
        "line 4, field employee_no: unknown employee ('R09')",
    ]
    assert _stored() == stored


def test_command_refuses_a_missing_file(tmp_path):
    with pytest.raises(CommandError, match="cannot be read"):
        call_command("import_metrics", str(tmp_path / "nope.csv"))
