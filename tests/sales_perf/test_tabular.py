"""Reading CSV / XLSX bulk files (sales_perf.tabular); no database needed."""

from __future__ import annotations

import io
import zipfile
from datetime import date, datetime
from decimal import Decimal

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from sales_perf.tabular import (
    ErrorList,
    ImportFailed,
    RowError,
    cell_text,
    failure_lines,
    read_table,
    read_table_values,
)

COLUMNS = ("employee_no", "period", "metric", "value")


def _read(data: bytes, filename: str = "metrics.csv", columns=COLUMNS, **kwargs) -> tuple[list[str], list]:
    header, rows = read_table(data, filename=filename, columns=columns, **kwargs)
    return header, list(rows)


def _xlsx(rows: list[list[object]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    for cells in sheet.iter_rows():
        for cell in cells:
            if isinstance(cell.value, str) and cell.value.startswith("="):
                cell.data_type = "s"  # text that looks like a formula, as Excel stores a typed '=…
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def test_csv_rows_are_dicts_numbered_by_file_line():
    header, rows = _read(b"employee_no,period,metric,value\nR01,2026-01,csat,4\nR02,2026-01,csat,5\n")

    assert header == list(COLUMNS)
    assert rows == [
        (2, {"employee_no": "R01", "period": "2026-01", "metric": "csat", "value": "4"}),
        (3, {"employee_no": "R02", "period": "2026-01", "metric": "csat", "value": "5"}),
    ]


def test_byte_order_mark_is_accepted():
    _header, rows = _read(b"\xef\xbb\xbfemployee_no,period,metric,value\r\nR01,2026-01,csat,4\r\n")

    assert rows == [(2, {"employee_no": "R01", "period": "2026-01", "metric": "csat", "value": "4"})]


def test_column_order_is_free_and_names_ignore_case_and_spaces():
    header, rows = _read(b" Value ,METRIC,employee_no,period\n4,csat,R01,2026-01\n")

    assert header == ["value", "metric", "employee_no", "period"]
    assert rows == [(2, {"employee_no": "R01", "period": "2026-01", "metric": "csat", "value": "4"})]


def test_values_come_in_the_order_of_the_columns_asked_for():
    _header, rows = read_table_values(
        b"value,metric,employee_no,period\n4,csat,R01,2026-01\n", filename="m.csv", columns=COLUMNS
    )

    assert list(rows) == [(2, ["R01", "2026-01", "csat", "4"])]


def test_cells_are_stripped():
    _header, rows = _read(b"employee_no,period,metric,value\n R01 , 2026-01,csat , 4\n")

    assert rows[0][1] == {"employee_no": "R01", "period": "2026-01", "metric": "csat", "value": "4"}


def test_blank_rows_are_skipped_and_line_numbers_stay_physical():
    _header, rows = _read(b"employee_no,period,metric,value\n\nR01,2026-01,csat,4\n,,,\nR02,2026-01,csat,5\n")

    assert [line for line, _row in rows] == [3, 5]


def test_a_quoted_value_over_two_lines_keeps_the_line_it_starts_on():
    _header, rows = read_table(
        b'employee_no,name\nR01,"two\nlines"\nR02,plain\n', filename="e.csv", columns=("employee_no", "name")
    )

    assert list(rows) == [
        (2, {"employee_no": "R01", "name": "two\nlines"}),
        (4, {"employee_no": "R02", "name": "plain"}),
    ]


def test_optional_column_absent_reads_as_empty():
    _header, rows = read_table(
        b"employee_no\nR01\n", filename="e.csv", columns=("employee_no", "email"), required=("employee_no",)
    )

    assert list(rows) == [(2, {"employee_no": "R01", "email": ""})]


def test_unknown_column_is_refused_on_line_1():
    with pytest.raises(ImportFailed) as failed:
        _read(b"employee_no,period,metric,value,comment\n")

    assert failed.value.errors == [RowError(1, "comment", "unknown column")]


def test_missing_column_is_refused():
    with pytest.raises(ImportFailed) as failed:
        _read(b"employee_no,period,value\n")

    assert failed.value.errors == [RowError(1, "metric", "missing column")]


def test_duplicate_column_is_refused():
    with pytest.raises(ImportFailed) as failed:
        _read(b"employee_no,period,metric,value,Period\n")

    assert failed.value.errors == [RowError(1, "period", "duplicate column")]


def test_every_header_problem_is_reported_at_once():
    with pytest.raises(ImportFailed) as failed:
        _read(b"employee_no,employee_no,extra\n")

    assert {(error.field, error.reason) for error in failed.value.errors} == {
        ("employee_no", "duplicate column"),
        ("extra", "unknown column"),
        ("period", "missing column"),
        ("metric", "missing column"),
        ("value", "missing column"),
    }


def test_empty_file_is_refused():
    with pytest.raises(ImportFailed) as failed:
        _read(b"")

    assert failed.value.errors == [RowError(0, "file", "the file is empty (no header row)")]


def test_trailing_unnamed_empty_columns_are_ignored():
    _header, rows = _read(b"employee_no,period,metric,value,,\nR01,2026-01,csat,4,,\n")

    assert rows == [(2, {"employee_no": "R01", "period": "2026-01", "metric": "csat", "value": "4"})]


def test_a_value_beyond_the_header_is_a_row_error():
    errors = ErrorList()

    _header, rows = _read(
        b"employee_no,period,metric,value\nR01,2026-01,csat,4,oops\nR02,2026-01,csat,5\n", errors=errors
    )

    assert [line for line, _row in rows] == [3]
    assert errors.kept == [RowError(2, "row", "a value in column 5, which has no header ('oops')")]


def test_text_that_is_not_utf8_names_its_line():
    errors = ErrorList()

    _header, streamed = read_table(
        b"employee_no,period,metric,value\nR01,2026-01,csat,4\nR\xe902,2026-01,csat,4\n",
        filename="metrics.csv",
        columns=COLUMNS,
        errors=errors,
    )
    rows = list(streamed)

    assert [line for line, _row in rows] == [2]
    # not UTF-8, so read as GB18030, which this is not either (a stray Latin-1 é)
    assert errors.kept == [RowError(3, "file", "not UTF-8 or GB18030 text (save the file as CSV UTF-8)")]
    assert streamed.encoding == "GB18030"


@pytest.mark.parametrize("encoding", ["gb18030", "gbk"])
def test_a_csv_saved_by_excel_on_chinese_windows_is_read_as_gb18030(encoding):
    text = "employee_no,name\r\nR01,陈静\r\nR02,李强·王\r\n"

    _header, rows = read_table(text.encode(encoding), filename="employees.csv", columns=("employee_no", "name"))

    assert [row for _line, row in rows] == [
        {"employee_no": "R01", "name": "陈静"},
        {"employee_no": "R02", "name": "李强·王"},
    ]
    assert rows.encoding == "GB18030"


def test_utf8_with_a_bom_is_read_as_utf8():
    _header, rows = read_table(
        "\ufeffemployee_no,name\nR01,陈静\n".encode(), filename="e.csv", columns=("employee_no", "name")
    )

    assert [row["name"] for _line, row in rows] == ["陈静"]
    assert rows.encoding == "UTF-8"


def test_the_encoding_of_a_stream_that_cannot_seek_is_found_too():
    class OneWay(io.RawIOBase):
        def __init__(self, data: bytes):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, buffer):
            chunk = self._data.read(len(buffer))
            buffer[: len(chunk)] = chunk
            return len(chunk)

    data = "employee_no,name\nR01,陈静\n".encode("gb18030")
    _header, rows = read_table(io.BufferedReader(OneWay(data)), filename="e.csv", columns=("employee_no", "name"))

    assert [row["name"] for _line, row in rows] == ["陈静"]
    assert rows.encoding == "GB18030"


def test_reads_a_path(tmp_path):
    path = tmp_path / "metrics.csv"
    path.write_bytes(b"employee_no,period,metric,value\nR01,2026-01,csat,4\n")

    _header, rows = read_table(path, filename=path.name, columns=COLUMNS)

    assert list(rows) == [(2, {"employee_no": "R01", "period": "2026-01", "metric": "csat", "value": "4"})]


def test_reads_an_upload_without_closing_it():
    upload = SimpleUploadedFile("metrics.csv", b"employee_no,period,metric,value\nR01,2026-01,csat,4\n")

    _header, rows = read_table(upload, filename=upload.name, columns=COLUMNS)

    assert [line for line, _row in rows] == [2]
    assert not upload.closed


def test_xlsx_cells_read_like_a_csv_export():
    data = _xlsx(
        [
            ["employee_no", "name", "hire_date", "base", "share"],
            [101, "=Hyperlink test", datetime(2021, 3, 1), 8000.0, 18.5],
            ["R02", "Li", date(2022, 1, 31), Decimal("0.10"), 0.1],
        ]
    )

    _header, rows = read_table(data, filename="e.xlsx", columns=("employee_no", "name", "hire_date", "base", "share"))

    assert list(rows) == [
        (
            2,
            {
                "employee_no": "101",
                "name": "=Hyperlink test",
                "hire_date": "2021-03-01",
                "base": "8000",
                "share": "18.5",
            },
        ),
        (3, {"employee_no": "R02", "name": "Li", "hire_date": "2022-01-31", "base": "0.1", "share": "0.1"}),
    ]


def test_xlsx_line_numbers_are_sheet_rows_and_blank_rows_are_skipped():
    data = _xlsx(
        [list(COLUMNS), ["R01", "2026-01", "csat", 4], [None, None, None, None], ["R02", "2026-01", "csat", 5]]
    )

    _header, rows = _read(data, filename="metrics.xlsx")

    assert [line for line, _row in rows] == [2, 4]


def test_xlsx_is_recognised_by_its_bytes_whatever_the_name():
    data = _xlsx([list(COLUMNS), ["R01", "2026-01", "csat", 4]])

    _header, rows = _read(data, filename="upload.csv")

    assert rows == [(2, {"employee_no": "R01", "period": "2026-01", "metric": "csat", "value": "4"})]


def test_xlsx_header_is_checked():
    data = _xlsx([["employee_no", "period", "metric", "value", "note"]])

    with pytest.raises(ImportFailed) as failed:
        _read(data, filename="metrics.xlsx")

    assert failed.value.errors == [RowError(1, "note", "unknown column")]


def test_a_file_named_xlsx_that_is_not_a_workbook_is_refused():
    with pytest.raises(ImportFailed) as failed:
        _read(b"employee_no,period,metric,value\n", filename="metrics.xlsx")

    assert failed.value.errors == [RowError(0, "file", "not an XLSX workbook")]


def test_a_zip_that_is_not_a_workbook_is_refused():
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("hello.txt", "not a spreadsheet")

    with pytest.raises(ImportFailed) as failed:
        _read(data.getvalue(), filename="metrics.xlsx")

    assert failed.value.errors[0].reason.startswith("not a readable XLSX workbook")


def test_an_old_xls_workbook_is_refused():
    with pytest.raises(ImportFailed) as failed:
        _read(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(100), filename="metrics.xls")

    assert "old binary .xls" in failed.value.errors[0].reason


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (7, "7"),
        (7.0, "7"),
        (150000.0, "150000"),
        (0.1, "0.1"),
        (1e-05, "0.00001"),
        (Decimal("2.50"), "2.50"),
        (True, "TRUE"),
        (datetime(2026, 3, 1), "2026-03-01"),
        (datetime(2026, 3, 1, 9, 30), "2026-03-01 09:30:00"),
        (date(2026, 3, 1), "2026-03-01"),
    ],
)
def test_cell_text(value, text):
    assert cell_text(value) == text


def test_error_list_keeps_the_first_errors_and_counts_all():
    errors = ErrorList(limit=3)
    for line in range(2, 12):
        errors.add(line, "value", "not a number")
    errors.add(11, "metric", "unknown metric")

    failed = errors.failure()

    assert len(failed.errors) == 3
    assert failed.error_count == 11
    assert failed.bad_rows == 10
    assert failed.message == "10 bad rows"
    assert failure_lines(failed)[-1] == "… and 8 more errors"


def test_row_error_prints_like_the_commands_report_it():
    assert str(RowError(12, "value", "not a number ('abc')")) == "line 12, field value: not a number ('abc')"
