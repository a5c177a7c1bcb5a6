"""Threat: an upload that exhausts the server, or data that breaks the database or a spreadsheet.
DJANGO_UPLOAD_MAX_MB holds for the uploaded file itself (refused before it is read, nothing stored or
imported); header errors are capped like row errors; control characters are refused in every field
(row and column named); employee_no takes letters, digits, "-", "_" and ".", not a leading "-"."""

from __future__ import annotations

import io
import zipfile

import openpyxl.xml
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from appraisals.metric_import import metrics_import
from appraisals.models import MetricValue
from roles.employee_import import EMPLOYEE_COLUMNS, employees_import
from roles.models import Employee
from sales_perf.tabular import MAX_REPORTED_ERRORS, ImportFailed, read_table
from tests.builders import employee
from uploads.models import ImportJob

pytestmark = pytest.mark.django_db

URL = "/hr/imports/"
EMPLOYEES_HEADER = ",".join(EMPLOYEE_COLUMNS)


def post(client, kind: str, upload):
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, {"kind": kind, f"{kind}-file": upload})


# --- the upload size -------------------------------------------------------------------------------


def test_a_file_over_the_upload_limit_is_refused_before_it_is_read(hr_client, settings, org):
    settings.SALES_PERF_UPLOAD_MAX_BYTES = 1024 * 1024
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    row = "R01,2026-01,sales_actual,1000\n"
    text = "employee_no,period,metric,value\n" + row * (2 * 1024 * 1024 // len(row))
    stored_before = sorted(p.name for p in (settings.MEDIA_ROOT).rglob("*")) if settings.MEDIA_ROOT.exists() else []

    response = post(hr_client, "metrics", SimpleUploadedFile("metrics.csv", text.encode(), "text/csv"))

    assert response.status_code == 200
    assert "larger than 1 MB" in response.content.decode()
    assert ImportJob.objects.count() == 0 and MetricValue.objects.count() == 0
    stored_after = sorted(p.name for p in (settings.MEDIA_ROOT).rglob("*")) if settings.MEDIA_ROOT.exists() else []
    assert stored_after == stored_before  # nothing was kept of it


def test_a_file_just_under_the_limit_is_imported(hr_client, settings, org):
    settings.SALES_PERF_UPLOAD_MAX_BYTES = 1024 * 1024
    text = "employee_no,period,metric,value\nR01,2026-01,sales_actual,1000\n"

    response = post(hr_client, "metrics", SimpleUploadedFile("metrics.csv", text.encode(), "text/csv"))

    assert response.status_code == 302
    assert ImportJob.objects.get().status == "done" and MetricValue.objects.count() == 1


# --- header errors are capped ----------------------------------------------------------------------


def test_a_ten_thousand_column_header_reports_a_capped_list_and_the_count():
    header = "employee_no,period,metric,value," + ",".join(f"extra{n}" for n in range(10_000))

    with pytest.raises(ImportFailed) as refused:
        read_table(header.encode() + b"\n", filename="m.csv", columns=("employee_no", "period", "metric", "value"))

    assert len(refused.value.errors) == MAX_REPORTED_ERRORS
    assert refused.value.error_count == 10_000 and refused.value.unlisted == 9_000


def test_the_imports_page_shows_a_capped_header_report(hr_client):
    header = "employee_no,period,metric,value," + ",".join(f"extra{n}" for n in range(10_000))

    post(hr_client, "metrics", SimpleUploadedFile("metrics.csv", header.encode() + b"\n", "text/csv"))

    job = ImportJob.objects.get()
    assert job.status == "failed" and len(job.errors) == MAX_REPORTED_ERRORS and job.error_count == 10_000
    page = hr_client.get(f"/hr/imports/{job.pk}/").content.decode()
    assert "… and 9000 more errors." in page
    assert len(page) < 400_000


# --- control characters ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "code"), [("Li\x07 Qiang", "U+0007"), ("Li\x00Qiang", "U+0000"), ("\x1b[31mLi", "U+001B")]
)
def test_a_control_character_in_a_name_is_refused_with_row_and_column(name, code):
    text = f"{EMPLOYEES_HEADER}\nM01,Zhou Min,,manager,,,,\nS01,{name},,supervisor,M01,,,\n"

    with pytest.raises(ImportFailed) as refused:
        employees_import(source=text.encode(), filename="employees.csv")

    [error] = refused.value.errors
    assert (error.line, error.field) == (3, "name")
    assert code in error.reason
    assert Employee.objects.count() == 0


def test_a_control_character_in_an_xlsx_cell_is_refused_too():
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(EMPLOYEE_COLUMNS))
    sheet.append(["M01", "Zhou\x7fMin", "", "manager"])
    buffer = io.BytesIO()
    workbook.save(buffer)

    with pytest.raises(ImportFailed) as refused:
        employees_import(source=buffer.getvalue(), filename="employees.xlsx")

    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "name")]


def test_a_line_break_in_a_name_is_refused():
    text = f'{EMPLOYEES_HEADER}\nM01,"Zhou\nMin",,manager,,,,\n'
    with pytest.raises(ImportFailed) as refused:
        employees_import(source=text.encode(), filename="employees.csv")
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "name")]


def test_a_control_character_in_a_metric_row_names_its_column():
    employee("R01")
    text = "employee_no,period,metric,value\nR01,2026-01,sales_actual,10\x0000\n"
    with pytest.raises(ImportFailed) as refused:
        metrics_import(source=text.encode(), filename="metrics.csv")
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "value")]
    assert MetricValue.objects.count() == 0


def test_chinese_names_and_spaces_are_not_control_characters():
    text = f"{EMPLOYEES_HEADER}\nM01,王\u00a0经理,,manager,,,,\nR01,Chen  Jing,,rep,M01,,,\n"
    assert employees_import(source=text.encode(), filename="employees.csv").created == 2


# --- employee numbers ------------------------------------------------------------------------------


@pytest.mark.parametrize("number", ["=1+1", "-9", "+44", "@SUM", "R 01", "R01;", "R/01", "张三"])
def test_an_employee_no_outside_letters_digits_dash_underscore_dot_is_refused(number):
    text = f"{EMPLOYEES_HEADER}\n{number},Someone,,rep,,,,\n"
    with pytest.raises(ImportFailed) as refused:
        employees_import(source=text.encode(), filename="employees.csv")
    assert [(e.line, e.field) for e in refused.value.errors] == [(2, "employee_no")]


@pytest.mark.parametrize("number", ["R01", "r-01", "A_9.3", "9-1", "_x"])
def test_ordinary_employee_numbers_import(number):
    text = f"{EMPLOYEES_HEADER}\n{number},Someone,,rep,,,,\n"
    assert employees_import(source=text.encode(), filename="employees.csv").created == 1


# --- XML inside XLSX ------------------------------------------------------------------------------


def test_defusedxml_guards_openpyxl():
    assert openpyxl.xml.DEFUSEDXML is True


def test_an_xlsx_with_an_entity_expansion_is_refused():
    """A "billion laughs" workbook part: defusedxml refuses its entity declarations before expanding any."""
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["employee_no", "period", "metric", "value"])
    workbook.save(buffer)
    entities = "".join(f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, 10))
    doctype = f'<!DOCTYPE lolz [<!ENTITY lol0 "lol">{entities}]>'
    patched = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, zipfile.ZipFile(patched, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/workbook.xml":
                text = data.decode()
                declaration_end = text.index("?>") + 2 if text.startswith("<?xml") else 0
                data = (text[:declaration_end] + doctype + text[declaration_end:]).encode()
            target.writestr(item, data)

    with pytest.raises(ImportFailed) as refused:
        _header, rows = read_table(patched.getvalue(), filename="m.xlsx", columns=("employee_no",), required=())
        list(rows)

    assert refused.value.errors[0].field == "file"
