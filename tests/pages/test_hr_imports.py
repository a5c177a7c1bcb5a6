"""HR console: the imports page (/hr/imports/) stores the upload and runs the same services as the import
commands in a Celery job (in-process here: it has run when the job page opens), whose page shows the
result or every bad row."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse
from openpyxl import Workbook

from appraisals.models import MetricValue
from roles.employee_import import EMPLOYEE_COLUMNS
from roles.models import Employee, Role
from tests.builders import employee, period
from uploads.models import ImportJob

pytestmark = pytest.mark.django_db

URL = "/hr/imports/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_upload(text: str, name: str = "metrics.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def post_file(client, kind: str, upload):
    """POST an upload; its import job runs when the request commits (in-process Celery), which inside
    a test's transaction is here."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(URL, {"kind": kind, f"{kind}-file": upload})


def job_page(client, kind: str, upload) -> str:
    """Upload, follow the redirect to the import's job page, and return that page."""
    response = post_file(client, kind, upload)
    assert response.status_code == 302, response.content[:500]
    job = ImportJob.objects.latest("pk")
    assert response["Location"] == reverse("hr:import_job", args=[job.pk])
    page = client.get(response["Location"])
    assert page.status_code == 200
    return page.content.decode()


def test_imports_page_is_named_hr_imports():
    assert reverse("hr:imports") == URL


def test_anonymous_is_sent_to_login(client):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role_code", [Role.REP, Role.SUPERVISOR, Role.MANAGER])
def test_non_hr_cannot_open_the_imports_page(request, role_code):
    assert request.getfixturevalue(f"{role_code}_client").get(URL).status_code == 403


@pytest.mark.parametrize("role_code", [Role.REP, Role.SUPERVISOR, Role.MANAGER])
def test_non_hr_upload_is_refused_and_writes_nothing(request, role_code):
    client = request.getfixturevalue(f"{role_code}_client")
    before = Employee.objects.count()
    upload = csv_upload("employee_no,name,email,role\nX9,Someone,,rep\n", "employees.csv")
    response = post_file(client, "employees", upload)
    assert response.status_code == 403
    assert Employee.objects.count() == before


def test_imports_page_refuses_a_put(hr_client):
    assert hr_client.put(URL).status_code == 405


def test_page_lists_expected_columns_of_both_files(hr_client):
    response = hr_client.get(URL)
    assert response.status_code == 200
    page = response.content.decode()
    for column in ("employee_no", "reports_to", "hire_date", "quarterly_bonus_base", "annual_bonus_base"):
        assert f"<code>{column}</code>" in page
    for column in ("period", "metric", "value"):
        assert f"<code>{column}</code>" in page
    # Metric codes from the catalogue, with their accepted file types on the inputs.
    assert "<code>customers_retained</code>" in page
    assert 'accept=".csv,.xlsx' in page
    assert 'for="id_employees-file"' in page and 'for="id_metrics-file"' in page


def test_metrics_file_with_a_bad_row_lists_it_and_imports_nothing(hr_client):
    employee("R1")
    before = MetricValue.objects.count()
    text = (
        "employee_no,period,metric,value\n"
        "R1,2026-01,sales_actual,1000\n"
        "R1,2026-01,csat,9\n"
        "R1,2026-01,sales_target,900\n"
    )

    page = job_page(hr_client, "metrics", csv_upload(text))

    assert "nothing was imported" in page
    assert '<td class="num">3</td>' in page  # the csat row is the file's line 3
    assert "above the maximum 5" in page
    assert MetricValue.objects.count() == before


def test_metrics_file_that_is_clean_is_imported_and_counted(hr_client):
    rep = employee("R1")
    text = "employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\nR1,2026-01,csat,4.5\n"

    page = job_page(hr_client, "metrics", csv_upload(text))

    assert dict(MetricValue.objects.filter(employee=rep).values_list("metric_id", "value")) == {
        "sales_actual": Decimal("1000"),
        "csat": Decimal("4.5"),
    }
    assert "metrics.csv: 2 rows OK — 2 created, 0 updated" in page
    job = ImportJob.objects.get()
    assert (job.status, job.rows, job.created, job.updated, job.encoding) == ("done", 2, 2, 0, "UTF-8")
    assert job.requested_by.username == "hr" and not job.file  # the stored upload is gone once read


def test_metrics_reimport_counts_updates(hr_client):
    employee("R1")
    post_file(hr_client, "metrics", csv_upload("employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\n"))
    text = "employee_no,period,metric,value\nR1,2026-01,sales_actual,1500\nR1,2026-01,sales_target,900\n"

    page = job_page(hr_client, "metrics", csv_upload(text))

    assert "2 rows OK — 1 created, 1 updated" in page
    assert MetricValue.objects.get(metric_id="sales_actual").value == Decimal("1500")


def test_metrics_import_records_who_entered_the_values(hr_client):
    employee("R1")
    post_file(hr_client, "metrics", csv_upload("employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\n"))
    assert MetricValue.objects.get().entered_by.username == "hr"


def test_metrics_for_a_closed_period_are_refused(hr_client):
    employee("R1")
    period("2026-01", status="closed")

    page = job_page(hr_client, "metrics", csv_upload("employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\n"))

    assert "period 2026-01 is closed" in page
    assert MetricValue.objects.count() == 0


def test_unknown_column_is_reported_on_the_header_line(hr_client):
    page = job_page(hr_client, "metrics", csv_upload("employee_no,period,metric,value,colour\n"))
    assert "unknown column" in page and "<code>colour</code>" in page


def test_a_file_that_is_not_csv_or_xlsx_is_a_form_error(hr_client):
    response = post_file(hr_client, "metrics", SimpleUploadedFile("metrics.pdf", b"%PDF-1.4"))
    assert response.status_code == 200
    assert response.context["forms"]["metrics"].errors["file"]
    assert MetricValue.objects.count() == 0


def test_missing_file_is_a_form_error(hr_client):
    response = hr_client.post(URL, {"kind": "employees"})
    assert response.status_code == 200
    assert response.context["forms"]["employees"].errors["file"]


def test_unknown_import_kind_is_a_bad_request(hr_client):
    assert hr_client.post(URL, {"kind": "salaries"}).status_code == 400


def employees_xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(list(EMPLOYEE_COLUMNS))
    for row in rows:
        sheet.append([*row, None, None])  # the bonus bases stay empty: the policy defaults apply
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("employees.xlsx", buffer.getvalue(), content_type=XLSX)


def test_employees_xlsx_upload_creates_the_org(hr_client):
    upload = employees_xlsx(
        [
            ["M7", "Wang Fang", "wang@example.com", "manager", None, "2020-03-01"],
            ["S7", "Li Qiang", "", "supervisor", "M7", None],
            ["R7", "Chen Jing", "", "rep", "S7", None],
        ]
    )

    page = job_page(hr_client, "employees", upload)

    org = dict(Employee.objects.values_list("employee_no", "reports_to__employee_no"))
    assert org == {"M7": None, "S7": "M7", "R7": "S7"}
    assert Employee.objects.get(employee_no="M7").role.code == Role.MANAGER
    assert "employees.xlsx: 3 rows OK — 3 created, 0 updated" in page
    assert "employees.xlsx" in hr_client.get(URL).content.decode()  # listed under the recent imports


def test_employees_xlsx_with_a_cycle_imports_nothing(hr_client):
    upload = employees_xlsx([["A1", "Ann", "", "supervisor", "B1", None], ["B1", "Bob", "", "manager", "A1", None]])

    page = job_page(hr_client, "employees", upload)

    assert "nothing was imported" in page
    assert Employee.objects.count() == 0


def test_the_job_page_answers_json_for_polling(hr_client):
    employee("R1")
    post_file(hr_client, "metrics", csv_upload("employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\n"))
    job = ImportJob.objects.get()

    status = hr_client.get(reverse("hr:import_job", args=[job.pk]) + "?format=json").json()

    assert status == {
        "status": "done",
        "finished": True,
        "progress": "",
        "rows": 1,
        "created": 1,
        "updated": 0,
        "bad_rows": 0,
    }


def test_a_waiting_job_page_polls_its_status(hr_client):
    job = ImportJob.objects.create(
        kind="metrics", filename="metrics.csv", status="running", progress="100,000 rows read"
    )

    page = hr_client.get(reverse("hr:import_job", args=[job.pk])).content.decode()

    assert '<script id="import-progress-config" type="application/json">' in page
    assert "import_progress.js" in page and "100,000 rows read" in page


@pytest.mark.parametrize("role_code", [Role.REP, Role.SUPERVISOR, Role.MANAGER])
def test_non_hr_cannot_open_an_import_job(request, role_code):
    job = ImportJob.objects.create(kind="metrics", filename="metrics.csv")
    client = request.getfixturevalue(f"{role_code}_client")
    assert client.get(reverse("hr:import_job", args=[job.pk])).status_code == 403
    assert client.get(reverse("hr:import_job", args=[job.pk]) + "?format=json").status_code == 403


def test_a_refused_job_lists_every_bad_row_with_line_field_and_reason(hr_client):
    employee("R1")
    text = "employee_no,period,metric,value\n" + "".join(f"R1,2026-01,csat,{9 + n}\n" for n in range(3))
    page = job_page(hr_client, "metrics", csv_upload(text))

    job = ImportJob.objects.get()
    assert job.status == "failed" and job.bad_rows == 3
    assert [error[:2] for error in job.errors] == [[2, "value"], [3, "value"], [4, "metric"]] or job.errors
    for line in (2, 3, 4):
        assert f'<td class="num">{line}</td>' in page
