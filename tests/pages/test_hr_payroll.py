"""HR's payroll page: the next run shown before it is made, runs listed with totals, a double submit
making one run, downloads, and nobody but HR."""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest

from rewards.models import PayrollRun, RewardSuggestion
from tests.builders import hr_user, reward

pytestmark = pytest.mark.django_db

APPROVED = RewardSuggestion.Status.APPROVED


def test_the_page_shows_what_the_next_run_would_pay_and_makes_nothing(hr_client):
    reward(amount="1000.00", status=APPROVED)
    reward(amount="234.56", status=APPROVED, code="quarterly_bonus", period="2026-Q1")

    response = hr_client.get("/hr/payroll/")

    page = response.content.decode()
    assert "2 payments and 0 adjustments, 1,234.56 CNY in all." in page
    assert "Make the run" in page
    assert not PayrollRun.objects.exists()
    assert response["Cache-Control"].startswith("max-age=0")


def test_making_a_run_twice_from_the_same_form_makes_one_run(hr_client):
    reward(amount="1000.00", status=APPROVED)
    form = {"token": str(uuid.uuid4()), "file_format": "csv", "period": ""}

    first = hr_client.post("/hr/payroll/", form)
    second = hr_client.post("/hr/payroll/", form)

    run = PayrollRun.objects.get()
    assert first["Location"] == second["Location"] == f"/hr/payroll/{run.pk}/"
    assert (run.created_by, run.total) == (hr_user(), Decimal("1000.00"))


def test_a_run_page_lists_its_lines_and_the_file_checksum(hr_client):
    paid = reward(amount="1000.00", status=APPROVED)
    hr_client.post("/hr/payroll/", {"token": str(uuid.uuid4()), "file_format": "xlsx", "period": ""})
    run = PayrollRun.objects.get()

    page = hr_client.get(f"/hr/payroll/{run.pk}/").content.decode()

    assert run.sha256 in page and paid.employee.employee_no in page
    listing = hr_client.get("/hr/payroll/").content.decode()
    assert f"#{run.pk}" in listing and "1,000.00" in listing
    assert "Nothing to pay" in listing


def test_with_nothing_to_pay_the_page_says_so(hr_client):
    response = hr_client.post("/hr/payroll/", {"token": str(uuid.uuid4()), "file_format": "csv"}, follow=True)

    assert "nothing to pay" in response.content.decode()
    assert not PayrollRun.objects.exists()


@pytest.mark.parametrize("audience", ["rep_client", "supervisor_client", "manager_client"])
def test_only_hr_sees_or_makes_payroll_runs(request, audience):
    client = request.getfixturevalue(audience)
    reward(amount="10.00", status=APPROVED)

    assert client.get("/hr/payroll/").status_code == 403
    assert client.post("/hr/payroll/", {"token": str(uuid.uuid4()), "file_format": "csv"}).status_code == 403
    assert not PayrollRun.objects.exists()


def test_anonymous_is_sent_to_log_in(client):
    assert client.get("/hr/payroll/")["Location"].startswith("/accounts/login/")


def test_an_unknown_run_is_not_found(hr_client):
    assert hr_client.get("/hr/payroll/999/").status_code == 404
    assert hr_client.get("/hr/payroll/999/download/").status_code == 404
