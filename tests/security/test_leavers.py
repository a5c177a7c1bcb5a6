"""Threat: a leaver who still logs in, or is still scored and paid. An employee's end date: they keep their
history, are not scored for periods starting after it, and cannot log in (nor keep a session)."""

from __future__ import annotations

from datetime import date

import pytest
from django.test import Client

from appraisals.models import Scorecard
from rewards.models import RewardSuggestion
from roles.models import Employee
from tests.builders import close_period, employee, metrics

pytestmark = pytest.mark.django_db

PASSWORD = "pass-word-123"


def log_in(username: str) -> int:
    return Client().post("/accounts/login/", {"username": username, "password": PASSWORD}).status_code


def test_a_leaver_is_not_scored_after_the_end_date_and_keeps_their_history():
    supervisor = employee("S01", role="supervisor")
    stays = employee("R01", reports_to=supervisor)
    leaves = employee("R02", reports_to=supervisor)
    for month in ("2026-01", "2026-02"):
        for person in (stays, leaves):
            metrics(person, period=month, sales_target="100000", sales_actual="100000", csat="4")
    close_period("2026-01")
    Employee.objects.filter(pk=leaves.pk).update(is_active=False, end_date=date(2026, 1, 31))

    close_period("2026-02")

    scored = set(Scorecard.objects.filter(period__code="2026-02").values_list("employee__employee_no", flat=True))
    assert scored == {"S01", "R01"}
    january = set(Scorecard.objects.filter(period__code="2026-01").values_list("employee__employee_no", flat=True))
    assert "R02" in january  # the months they worked stay as they were
    assert not RewardSuggestion.objects.filter(period__code="2026-02", employee=leaves).exists()


def test_a_leaver_whose_end_date_falls_in_the_month_is_scored_for_it():
    leaves = employee("R02", end_date=date(2026, 1, 15))
    metrics(leaves, period="2026-01", sales_target="100000", sales_actual="100000", csat="4")
    close_period("2026-01")
    assert Scorecard.objects.filter(period__code="2026-01", employee=leaves).exists()


def test_a_leaver_cannot_log_in_even_with_an_active_login():
    employee("R01", login="rep1", is_active=False, end_date=date(2026, 1, 31))
    assert log_in("rep1") == 200  # the form again: refused


def test_an_end_date_in_the_past_ends_the_login_and_its_session():
    person = employee("R01", login="rep1")
    client = Client()
    assert client.post("/accounts/login/", {"username": "rep1", "password": PASSWORD}).status_code == 302
    assert client.get("/me/").status_code == 200

    Employee.objects.filter(pk=person.pk).update(end_date=date(2020, 12, 31))

    assert client.get("/me/").status_code == 302  # the session is over
    assert log_in("rep1") == 200


def test_a_future_end_date_still_logs_in():
    employee("R01", login="rep1", end_date=date(2999, 1, 31))
    assert log_in("rep1") == 302
