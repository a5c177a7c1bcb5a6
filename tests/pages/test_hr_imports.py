"""HR console: the imports page (/hr/imports/) runs the same services as the import commands."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from openpyxl import Workbook

from appraisals.models import MetricValue
from roles.models import Employee, Role
from roles.services import EMPLOYEE_COLUMNS
from tests.builders import employee, period

pytestmark = pytest.mark.django_db

URL = "/hr/imports/"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def csv_upload(text: str, name: str = "metrics.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def post_file(client, kind: str, upload):
    return client.post(URL, {"kind": kind, f"{kind}-file": upload})


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

    response = post_file(hr_client, "metrics", csv_upload(text))

    assert response.status_code == 200
    page = response.content.decode()
    assert "nothing was imported" in page
    assert '<td class="num">3</td>' in page  # the csat row is the file's line 3
    assert "above the maximum 5" in page
    assert MetricValue.objects.count() == before


def test_metrics_file_that_is_clean_is_imported_and_counted(hr_client):
    rep = employee("R1")
    text = "employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\nR1,2026-01,csat,4.5\n"

    response = post_file(hr_client, "metrics", csv_upload(text))

    assert response.status_code == 302 and response["Location"] == URL
    assert dict(MetricValue.objects.filter(employee=rep).values_list("metric_id", "value")) == {
        "sales_actual": Decimal("1000"),
        "csat": Decimal("4.5"),
    }
    page = hr_client.get(URL).content.decode()
    assert "metrics.csv: 2 rows OK — 2 created, 0 updated" in page


def test_metrics_reimport_counts_updates(hr_client):
    employee("R1")
    post_file(hr_client, "metrics", csv_upload("employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\n"))
    text = "employee_no,period,metric,value\nR1,2026-01,sales_actual,1500\nR1,2026-01,sales_target,900\n"

    response = post_file(hr_client, "metrics", csv_upload(text))

    assert "2 rows OK — 1 created, 1 updated" in hr_client.get(response["Location"]).content.decode()
    assert MetricValue.objects.get(metric_id="sales_actual").value == Decimal("1500")


def test_metrics_import_records_who_entered_the_values(hr_client):
    employee("R1")
    post_file(hr_client, "metrics", csv_upload("employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\n"))
    assert MetricValue.objects.get().entered_by.username == "hr"


def test_metrics_for_a_closed_period_are_refused(hr_client):
    employee("R1")
    period("2026-01", status="closed")

    response = post_file(
        hr_client, "metrics", csv_upload("employee_no,period,metric,value\nR1,2026-01,sales_actual,1000\n")
    )

    assert "period 2026-01 is closed" in response.content.decode()
    assert MetricValue.objects.count() == 0


def test_unknown_column_is_reported_on_the_header_line(hr_client):
    response = post_file(hr_client, "metrics", csv_upload("employee_no,period,metric,value,colour\n"))
    page = response.content.decode()
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

    response = post_file(hr_client, "employees", upload)

    assert response.status_code == 302
    org = dict(Employee.objects.values_list("employee_no", "reports_to__employee_no"))
    assert org == {"M7": None, "S7": "M7", "R7": "S7"}
    assert Employee.objects.get(employee_no="M7").role.code == Role.MANAGER
    assert "employees.xlsx: 3 rows OK — 3 created, 0 updated" in hr_client.get(URL).content.decode()


def test_employees_xlsx_with_a_cycle_imports_nothing(hr_client):
    upload = employees_xlsx([["A1", "Ann", "", "supervisor", "B1", None], ["B1", "Bob", "", "manager", "A1", None]])

    response = post_file(hr_client, "employees", upload)

    assert response.status_code == 200
    assert "nothing was imported" in response.content.decode()
    assert Employee.objects.count() == 0
