"""Threat: a pay-relevant change nobody can trace. Every change to employees, metric values (old → new,
who, when, through which import), policy versions and reward decisions is kept (django-simple-history),
period events are the close's own log, and HR reads it all on the History page, filtered and exported."""

from __future__ import annotations

import csv
import io
from datetime import date
from decimal import Decimal

import openpyxl
import pytest
from django.core.management import call_command
from django.test import TestCase

from appraisals.metric_import import metrics_import
from appraisals.models import MetricValue, PolicyVersion
from appraisals.policy import KpiFigures, PolicyFigures, policy_version_copy, policy_version_update
from rewards.models import RewardSuggestion
from rewards.services import reward_accept_recomputed, rewards_decide
from roles.employee_import import EMPLOYEE_COLUMNS, employees_import
from roles.models import Employee
from tests.builders import client_for, default_policy_version, employee, hr_user, reward, tiny_org_closed
from uploads.models import ImportJob

pytestmark = pytest.mark.django_db

HEADER = ",".join(EMPLOYEE_COLUMNS)
METRICS = "employee_no,period,metric,value\n"
HistoricalMetricValue = MetricValue.history.model
HistoricalEmployee = Employee.history.model


# --- metric values ---------------------------------------------------------------------------------


def test_a_metric_import_records_old_and_new_values_who_and_which_import():
    hr = hr_user()
    employee("R01")
    metrics_import(
        source=f"{METRICS}R01,2026-01,sales_actual,1000\n".encode(), filename="m.csv", user=hr, reason="first"
    )
    metrics_import(
        source=f"{METRICS}R01,2026-01,sales_actual,1200\nR01,2026-01,csat,4\n".encode(),
        filename="m.csv",
        user=hr,
        reason="second",
    )

    rows = list(
        HistoricalMetricValue.objects.order_by("history_id").values_list(
            "metric_id", "previous_value", "value", "history_type", "history_user_id", "history_change_reason"
        )
    )
    assert rows == [
        ("sales_actual", None, Decimal("1000"), "+", hr.pk, "first"),
        ("sales_actual", Decimal("1000"), Decimal("1200"), "~", hr.pk, "second"),
        ("csat", None, Decimal("4"), "+", hr.pk, "second"),
    ]
    current = MetricValue.objects.get(metric_id="sales_actual")
    assert HistoricalMetricValue.objects.filter(id=current.pk).count() == 2


def test_a_refused_import_writes_no_history():
    employee("R01")
    with pytest.raises(Exception):  # noqa: B017 - ImportFailed; the point is what is left behind
        metrics_import(
            source=f"{METRICS}R01,2026-01,sales_actual,1000\nR01,2026-01,csat,9\n".encode(), filename="m.csv"
        )
    assert HistoricalMetricValue.objects.count() == 0


def test_the_command_names_itself_and_its_file(tmp_path):
    employee("R01")
    path = tmp_path / "march.csv"
    path.write_text(f"{METRICS}R01,2026-03,sales_actual,5\n")

    call_command("import_metrics", str(path), verbosity=0)

    assert HistoricalMetricValue.objects.get().history_change_reason == "import_metrics command (march.csv)"


def test_an_upload_names_its_import_job(hr_client):
    employee("R01")
    upload = io.BytesIO(f"{METRICS}R01,2026-01,sales_actual,1000\n".encode())
    upload.name = "metrics.csv"
    with TestCase.captureOnCommitCallbacks(execute=True):
        hr_client.post("/hr/imports/", {"kind": "metrics", "metrics-file": upload})

    job = ImportJob.objects.get()
    row = HistoricalMetricValue.objects.get()
    assert row.history_change_reason == f"import job #{job.pk} (metrics.csv)"
    assert row.history_user_id == job.requested_by_id


def test_a_value_changed_in_the_admin_keeps_its_previous_value(db):
    hr = hr_user(is_staff=True)
    rep = employee("R01")
    metrics_import(source=f"{METRICS}R01,2026-01,sales_actual,1000\n".encode(), filename="m.csv")
    value = MetricValue.objects.get()
    client = client_for(hr)

    response = client.post(
        f"/admin/appraisals/metricvalue/{value.pk}/change/",
        {"employee": rep.pk, "period": value.period_id, "metric": "sales_actual", "value": "1100"},
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    latest = HistoricalMetricValue.objects.latest("history_id")
    assert (latest.previous_value, latest.value, latest.history_user_id, latest.history_change_reason) == (
        Decimal("1000"),
        Decimal("1100"),
        hr.pk,
        "admin",
    )


# --- employees -------------------------------------------------------------------------------------


def test_an_employee_import_records_each_created_and_changed_employee():
    hr = hr_user()
    employees_import(
        source=f"{HEADER}\nM01,Zhou,,manager,,,,\nR01,Chen,,rep,M01,,,\n".encode(), filename="e.csv", user=hr
    )
    employees_import(
        source=f"{HEADER}\nM01,Zhou,,manager,,,,\nM02,Wu,,manager,,,,\nR01,Chen,,rep,M02,,5000,\n".encode(),
        filename="e.csv",
        user=hr,
        reason="reorg",
    )

    rows = list(
        HistoricalEmployee.objects.order_by("history_id").values_list(
            "employee_no", "history_type", "reports_to__employee_no", "quarterly_bonus_base", "history_change_reason"
        )
    )
    assert rows == [
        ("M01", "+", None, None, "employees import"),
        ("R01", "+", "M01", None, "employees import"),
        ("M02", "+", None, None, "reorg"),
        ("R01", "~", "M02", Decimal("5000.00"), "reorg"),
    ]
    assert set(HistoricalEmployee.objects.values_list("history_user_id", flat=True)) == {hr.pk}


# --- policy and rewards ----------------------------------------------------------------------------


def test_policy_changes_list_the_figures_they_change():
    hr = hr_user()
    source = default_policy_version()
    kpi = source.kpis.order_by("id").first()
    version = policy_version_copy(source=source, name="2027", effective_from=date(2027, 1, 1), user=hr)
    policy_version_update(
        version=version,
        name="2027 B",
        effective_from=date(2027, 1, 1),
        figures=PolicyFigures(kpis={kpi.code: KpiFigures(weight=kpi.weight + 5, target=kpi.target)}),
        user=hr,
    )

    rows = list(PolicyVersion.history.filter(id=version.pk).order_by("history_id"))
    assert [row.history_type for row in rows] == ["+", "~"]
    assert rows[0].history_change_reason.startswith("copy of ")
    weight = format(kpi.weight.normalize(), "f")
    assert f"{kpi.code} weight: {weight} → {format((kpi.weight + 5).normalize(), 'f')}" in rows[1].history_change_reason
    assert "name: 2027 → 2027 B" in rows[1].history_change_reason
    assert rows[1].history_user_id == hr.pk


def test_reward_decisions_are_recorded_with_who_and_where():
    hr = hr_user()
    first, second = reward(employee("R01")), reward(employee("R02"))

    assert rewards_decide(suggestion_ids=[first.pk, second.pk], decision="approved", user=hr, reason="page") == 2
    # a second click changes nothing and records nothing
    assert rewards_decide(suggestion_ids=[first.pk], decision="rejected", user=hr, reason="late") == 0

    rows = (
        RewardSuggestion.history.filter(history_type="~")
        .order_by("history_id")
        .values_list("id", "status", "history_user_id", "history_change_reason")
    )
    assert list(rows) == [(first.pk, "approved", hr.pk, "page"), (second.pk, "approved", hr.pk, "page")]


def test_accepting_a_recomputed_amount_is_recorded():
    hr = hr_user()
    suggestion = reward(employee("R01"), status="approved", amount="100.00", recomputed_amount=Decimal("120.00"))

    reward_accept_recomputed(suggestion_id=suggestion.pk, user=hr)

    row = RewardSuggestion.history.get(history_type="~")
    assert (row.status, row.amount, row.history_user_id) == ("pending", Decimal("120.00"), hr.pk)
    assert row.history_change_reason == "recomputed amount accepted: 100.00 → 120.00"


# --- the History page ------------------------------------------------------------------------------


@pytest.fixture
def history_data(db):
    hr = hr_user()
    employees_import(
        source=f"{HEADER}\nM01,Zhou,,manager,,,,\nR01,Chen,,rep,M01,,,\n".encode(), filename="e.csv", user=hr
    )
    metrics_import(source=f"{METRICS}R01,2026-01,sales_actual,1000\n".encode(), filename="m.csv", user=hr)
    metrics_import(source=f"{METRICS}R01,2026-02,sales_actual,700\n".encode(), filename="m.csv", user=hr)
    metrics_import(source=f"{METRICS}R01,2026-01,sales_actual,1300\n".encode(), filename="m.csv", user=hr, reason="fix")
    return hr


def test_the_history_page_shows_every_kind_newest_first(hr_client, history_data):
    page = hr_client.get("/hr/history/").content.decode()

    assert "R01 2026-01 sales_actual" in page
    assert "1000 → 1300" in page and "— → 700" in page
    assert page.index("1000 → 1300") < page.index("— → 700") < page.index("— → 1000")
    assert "R01 Chen" in page and "reports to: M01" in page
    assert "5 changes" in page  # two employees created, three metric values written


def test_the_history_page_filters_by_employee_and_period(hr_client, history_data):
    page = hr_client.get("/hr/history/?employee=R01&period=2026-01").content.decode()
    assert "1000 → 1300" in page and "— → 700" not in page
    only_m01 = hr_client.get("/hr/history/?employee=M01").content.decode()
    assert "M01 Zhou" in only_m01 and "R01 Chen" not in only_m01 and "sales_actual" not in only_m01
    refused = hr_client.get("/hr/history/?employee=NOBODY").content.decode()
    assert "No employee NOBODY." in refused


def test_the_history_page_is_paginated(hr_client, history_data, monkeypatch):
    monkeypatch.setattr("pages.views.history.PER_PAGE", 2)
    first = hr_client.get("/hr/history/").content.decode()
    last = hr_client.get("/hr/history/?page=3").content.decode()
    assert "1000 → 1300" in first and "1000 → 1300" not in last
    assert "M01 Zhou" in last


def test_the_history_exports_as_csv_and_xlsx(hr_client, history_data):
    response = hr_client.get("/hr/history/?employee=R01&format=csv")
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["When", "What", "Action", "Whom", "Change", "By", "Through"]
    assert [row[4] for row in rows[1:]][:1] == ["1000 → 1300"]
    assert len(rows) == 1 + 4  # three metric changes and R01's creation

    xlsx = hr_client.get("/hr/history/?kind=metric&format=xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet.max_row == 1 + 3


def test_the_history_page_is_for_hr_only(rep_client, supervisor_client, manager_client):
    for client in (rep_client, supervisor_client, manager_client):
        assert client.get("/hr/history/").status_code == 403
        assert client.get("/hr/history/?format=csv").status_code == 403


def test_period_events_show_on_the_history_page(hr_client):
    tiny_org_closed(month="2026-01")
    page = hr_client.get("/hr/history/?kind=period&period=2026-01").content.decode()
    assert "2026-01" in page and "closed" in page


def test_the_history_page_in_chinese(hr_client, history_data):
    page = hr_client.get("/hr/history/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<title>历史记录" in page and "业绩数据" in page and "类别" in page and "— → 1000" in page
