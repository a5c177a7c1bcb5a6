"""HR console: periods list and detail, close (with the job's progress page), reopen, export."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period, PeriodEvent, Scorecard
from closing.models import CloseJob
from rewards.models import RewardSuggestion
from tests.builders import employee, hr_user, period, small_org, user
from tests.pages.helpers import squashed

# --- access ------------------------------------------------------------------------------------

PAGES = [
    ("get", "/hr/periods/"),
    ("get", "/hr/periods/2026-01/"),
    ("get", "/hr/periods/2026-01/export/?format=csv"),
    ("get", "/hr/jobs/{job}/"),
    ("get", "/hr/jobs/{job}/?format=json"),
    ("post", "/hr/periods/"),
    ("post", "/hr/periods/2026-01/close/"),
    ("post", "/hr/periods/2026-01/reopen/"),
]


@pytest.fixture
def closed_month_with_job(db):
    closed = period("2026-01", status=Period.Status.CLOSED, closed_at=timezone.now())
    return CloseJob.objects.create(period=closed, status=CloseJob.Status.DONE, steps_total=3, steps_done=3)


def test_period_and_job_urls_have_their_names():
    assert reverse("hr:periods") == "/hr/periods/"
    assert reverse("hr:period_detail", args=["2026-Q1"]) == "/hr/periods/2026-Q1/"
    assert reverse("hr:period_close", args=["2026-01"]) == "/hr/periods/2026-01/close/"
    assert reverse("hr:period_reopen", args=["2026"]) == "/hr/periods/2026/reopen/"
    assert reverse("hr:period_export", args=["2026-01"]) == "/hr/periods/2026-01/export/"
    assert reverse("hr:job", args=[7]) == "/hr/jobs/7/"


@pytest.mark.parametrize(("method", "url"), PAGES)
def test_anonymous_is_sent_to_login(client, closed_month_with_job, method, url):
    response = getattr(client, method)(url.format(job=closed_month_with_job.pk), {"reason": "x", "code": "2026-02"})
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("role_code", ["rep", "supervisor", "manager"])
@pytest.mark.parametrize(("method", "url"), PAGES)
def test_non_hr_is_refused_every_period_page_and_changes_nothing(
    request, closed_month_with_job, role_code, method, url
):
    client = request.getfixturevalue(f"{role_code}_client")
    events = PeriodEvent.objects.count()

    response = getattr(client, method)(url.format(job=closed_month_with_job.pk), {"reason": "x", "code": "2026-02"})

    assert response.status_code == 403
    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED
    assert not Period.objects.filter(code="2026-02").exists()
    assert PeriodEvent.objects.count() == events


@pytest.mark.parametrize("action", ["close", "reopen"])
def test_close_and_reopen_refuse_a_get(hr_client, action):
    period("2026-01")
    assert hr_client.get(f"/hr/periods/2026-01/{action}/").status_code == 405


def test_period_detail_refuses_a_post(hr_client):
    period("2026-01")
    assert hr_client.post("/hr/periods/2026-01/").status_code == 405


def test_post_without_csrf_token_is_refused(db):
    client = Client(enforce_csrf_checks=True)
    client.force_login(hr_user())
    period("2026-01", status=Period.Status.CLOSED)

    response = client.post("/hr/periods/2026-01/reopen/", {"reason": "wrong target"})

    assert response.status_code == 403
    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED


def test_unknown_period_has_no_detail_page(hr_client):
    assert hr_client.get("/hr/periods/2031-05/").status_code == 404


def test_malformed_period_code_is_not_found(hr_client):
    assert hr_client.get("/hr/periods/2026-13/").status_code == 404
    assert hr_client.post("/hr/periods/2026-Q5/close/").status_code == 404


def test_unknown_job_is_not_found(hr_client):
    assert hr_client.get("/hr/jobs/999999/").status_code == 404


# --- the periods list --------------------------------------------------------------------------


def test_list_shows_periods_newest_first_with_status_and_closer(hr_client):
    closer = user("closer", first_name="Chen", last_name="Jing")
    period("2026-01", status=Period.Status.CLOSED, closed_at=timezone.now(), closed_by=closer)
    period("2026-02")
    period("2026-Q1")

    response = hr_client.get("/hr/periods/")

    codes = [row[0].code for row in response.context["rows"]]
    assert codes == ["2026-Q1", "2026-02", "2026-01"]
    page = response.content.decode()
    assert "Chen Jing" in page
    assert '<span class="badge text-bg-secondary">closed</span>' in page


def test_list_filters_by_kind(hr_client):
    period("2026-01")
    period("2026-Q1")
    period("2026")

    response = hr_client.get("/hr/periods/", {"kind": "quarter"})

    assert [row[0].code for row in response.context["rows"]] == ["2026-Q1"]


def test_list_offers_close_for_an_open_month_and_reopen_for_a_closed_one(hr_client):
    period("2026-01", status=Period.Status.CLOSED, closed_at=timezone.now())
    period("2026-02")

    page = hr_client.get("/hr/periods/").content.decode()

    assert 'action="/hr/periods/2026-02/close/"' in page
    assert 'action="/hr/periods/2026-01/reopen/"' in page
    assert 'action="/hr/periods/2026-01/close/"' not in page
    # Each row's reopen form has its own field id.
    assert 'id="id_reopen_2026-01_reason"' in page


def test_list_shows_why_a_quarter_with_open_months_cannot_close(hr_client):
    period("2026-01", status=Period.Status.CLOSED)
    period("2026-Q1")

    page = hr_client.get("/hr/periods/").content.decode()

    assert "2026-Q1 cannot close before 2026-02, 2026-03 are closed" in page
    assert 'action="/hr/periods/2026-Q1/close/"' not in page


def test_list_query_count_does_not_grow_with_closed_periods(hr_client):
    closer = user("closer")
    for month in (1, 2, 3):
        period(f"2025-{month:02d}", status=Period.Status.CLOSED, closed_at=timezone.now(), closed_by=closer)
    period("2026-01")
    with CaptureQueriesContext(connection) as few:
        hr_client.get("/hr/periods/")
    for month in range(4, 13):
        period(f"2025-{month:02d}", status=Period.Status.CLOSED, closed_at=timezone.now(), closed_by=closer)
    with CaptureQueriesContext(connection) as many:
        hr_client.get("/hr/periods/")
    assert len(many) == len(few)


# --- close -------------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_close_through_the_view_closes_the_month_and_shows_the_job_done(hr_client):
    small_org()

    response = hr_client.post("/hr/periods/2026-01/close/")

    job = CloseJob.objects.get(period__code="2026-01")
    assert response.status_code == 302 and response["Location"] == f"/hr/jobs/{job.pk}/"
    closed = Period.objects.get(code="2026-01")
    assert closed.status == Period.Status.CLOSED and closed.closed_by.username == "hr"
    assert Scorecard.objects.filter(period=closed).count() == 4
    page = hr_client.get(response["Location"])
    assert page.status_code == 200
    text = page.content.decode()
    assert 'aria-valuenow="100"' in text and ">100%<" in text
    rewards = RewardSuggestion.objects.filter(period=closed).count()
    assert f"2026-01 is closed: 4 scorecards, {rewards} reward suggestions, 0 employees without data." in squashed(page)
    # Finished: no polling script and no refresh.
    assert "close_progress.js" not in text and 'http-equiv="refresh"' not in text


def test_job_page_names_the_people_without_data_and_counts_the_rest(hr_client, monkeypatch):
    from pages.views import hr_periods

    monkeypatch.setattr(hr_periods, "NO_DATA_SHOWN", 2)
    small_org()
    for number in ("X1", "X2", "X3"):
        employee(number, name=f"Newcomer {number}")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = hr_client.post("/hr/periods/2026-01/close/")

    page = squashed(hr_client.get(response["Location"]))

    assert "3 employees without data." in page
    assert re.search(r'id="no-data-people">.*Newcomer X1</a> <span[^>]*>X1</span>.*Newcomer X2</a>', page)
    assert "Newcomer X3" not in page
    assert "and 1 more" in page


def test_job_page_says_one_employee_without_data_in_the_singular(hr_client):
    small_org()
    employee("X1", name="Newcomer X1")
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = hr_client.post("/hr/periods/2026-01/close/")

    page = squashed(hr_client.get(response["Location"]))

    assert "1 employee without data." in page and "and 1 more" not in page


@pytest.mark.django_db(transaction=True)
def test_job_json_status_reports_the_finished_close(hr_client):
    small_org()
    hr_client.post("/hr/periods/2026-01/close/")
    job = CloseJob.objects.get(period__code="2026-01")

    by_param = hr_client.get(f"/hr/jobs/{job.pk}/", {"format": "json"}).json()
    by_header = hr_client.get(f"/hr/jobs/{job.pk}/", headers={"accept": "application/json"}).json()

    assert by_param == by_header
    assert by_param == {
        "status": "done",
        "percent": 100,
        "steps_done": job.steps_total,
        "steps_total": job.steps_total,
        "message": job.message,
        "period": "2026-01",
    }
    assert job.steps_total > 0
    assert job.message.startswith("4 scorecards")


@pytest.mark.django_db(transaction=True)
def test_close_then_detail_shows_history_counts_and_exports(hr_client):
    small_org()
    hr_client.post("/hr/periods/2026-01/close/")

    response = hr_client.get("/hr/periods/2026-01/")

    assert response.context["scorecard_count"] == 4
    assert response.context["reward_count"] == RewardSuggestion.objects.filter(period__code="2026-01").count()
    assert [event.action for event in response.context["events"]] == ["closed", "close_started", "close_requested"]
    page = response.content.decode()
    assert "4 scorecards · " in page
    assert "/hr/periods/2026-01/export/?format=csv" in page

    export = hr_client.get("/hr/periods/2026-01/export/", {"format": "csv"})
    assert export["Content-Type"].startswith("text/csv")
    assert 'filename="scorecards-2026-01.csv"' in export["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(export.content.decode())))
    r1 = next(row for row in rows if row["employee_no"] == "R1")
    assert r1["composite"] == str(Scorecard.objects.get(employee__employee_no="R1").composite)


def test_running_job_page_polls_and_has_a_no_script_fallback(hr_client):
    closing = period("2026-01", status=Period.Status.CLOSING)
    job = CloseJob.objects.create(
        period=closing,
        status=CloseJob.Status.RUNNING,
        steps_total=4,
        steps_done=1,
        attempt=1,
        lease_expires_at=timezone.now() + timedelta(seconds=60),
    )

    page = hr_client.get(f"/hr/jobs/{job.pk}/").content.decode()

    assert 'aria-valuenow="25"' in page and "1 of 4 steps" in page
    assert 'id="close-progress-config"' in page and "js/close_progress.js" in page
    assert '<noscript><meta http-equiv="refresh"' in page
    assert f'href="/hr/jobs/{job.pk}/">Reload' in page


def test_failed_job_page_shows_the_reason(hr_client):
    month = period("2026-01")
    job = CloseJob.objects.create(period=month, status=CloseJob.Status.FAILED, message="OperationalError: gone away")

    page = hr_client.get(f"/hr/jobs/{job.pk}/").content.decode()

    assert "OperationalError: gone away" in page
    assert "close_progress.js" not in page


def test_closing_a_closed_period_shows_the_refusal_and_changes_nothing(hr_client):
    closed_at = timezone.now()
    period("2026-01", status=Period.Status.CLOSED, closed_at=closed_at)

    response = hr_client.post("/hr/periods/2026-01/close/", follow=True)

    assert "2026-01 is already closed" in response.content.decode()
    assert response.redirect_chain[-1][0] == "/hr/periods/"
    assert Period.objects.get(code="2026-01").closed_at == closed_at
    assert not CloseJob.objects.exists()


def test_refused_close_returns_to_the_page_it_came_from(hr_client):
    period("2026-01", status=Period.Status.CLOSED)

    response = hr_client.post("/hr/periods/2026-01/close/", {"next": "/hr/periods/2026-01/"})

    assert response["Location"] == "/hr/periods/2026-01/"


def test_refused_close_ignores_an_offsite_next(hr_client):
    period("2026-01", status=Period.Status.CLOSED)

    response = hr_client.post("/hr/periods/2026-01/close/", {"next": "https://evil.example/"})

    assert response["Location"] == "/hr/periods/"


def test_closing_a_quarter_with_open_months_shows_the_precondition(hr_client):
    period("2026-01", status=Period.Status.CLOSED)
    period("2026-Q1")

    response = hr_client.post("/hr/periods/2026-Q1/close/", follow=True)

    assert "2026-Q1 cannot close before 2026-02, 2026-03 are closed" in response.content.decode()
    assert Period.objects.get(code="2026-Q1").status == Period.Status.OPEN
    assert not CloseJob.objects.exists()


def test_detail_shows_the_precondition_instead_of_a_close_button(hr_client):
    period("2026-Q1")

    page = hr_client.get("/hr/periods/2026-Q1/").content.decode()

    assert "2026-Q1 cannot close before 2026-01, 2026-02, 2026-03 are closed" in page
    assert 'action="/hr/periods/2026-Q1/close/"' not in page


@pytest.mark.django_db(transaction=True)
def test_close_another_period_by_code_creates_and_closes_it(hr_client):
    response = hr_client.post("/hr/periods/", {"code": "2026-03"})

    job = CloseJob.objects.get()
    assert response["Location"] == f"/hr/jobs/{job.pk}/"
    assert Period.objects.get(code="2026-03").status == Period.Status.CLOSED


def test_close_another_period_with_a_bad_code_is_a_form_error(hr_client):
    response = hr_client.post("/hr/periods/", {"code": "2026-13"})

    assert response.status_code == 200
    assert response.context["close_form"].errors["code"]
    assert not Period.objects.exists()


# --- reopen ------------------------------------------------------------------------------------


def test_reopen_without_a_reason_is_a_form_error(hr_client):
    period("2026-01", status=Period.Status.CLOSED, closed_at=timezone.now())

    response = hr_client.post("/hr/periods/2026-01/reopen/", {"reason": "   "})

    assert response.status_code == 200
    assert response.context["reopen_form"].errors["reason"]
    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED
    assert not PeriodEvent.objects.exists()


def test_reopen_with_a_reason_opens_the_period_and_keeps_the_reason(hr_client):
    period("2026-01", status=Period.Status.CLOSED, closed_at=timezone.now())

    response = hr_client.post("/hr/periods/2026-01/reopen/", {"reason": "R7's January sales were missing"})

    assert response["Location"] == "/hr/periods/2026-01/"
    reopened = Period.objects.get(code="2026-01")
    assert reopened.status == Period.Status.OPEN and reopened.closed_at is None
    event = PeriodEvent.objects.get(period=reopened)
    assert (event.action, event.reason, event.actor.username) == ("reopened", "R7's January sales were missing", "hr")
    page = hr_client.get(response["Location"]).content.decode()
    assert "2026-01 is open again." in page
    assert "R7&#x27;s January sales were missing" in page


def test_reopen_of_a_month_whose_quarter_is_closed_reopens_both(hr_client):
    period("2026-01", status=Period.Status.CLOSED)
    period("2026-Q1", status=Period.Status.CLOSED)

    response = hr_client.post("/hr/periods/2026-01/reopen/", {"reason": "late data"}, follow=True)

    assert "2026-01, 2026-Q1 are open again." in response.content.decode()
    assert set(Period.objects.values_list("code", "status")) == {("2026-01", "open"), ("2026-Q1", "open")}
    assert set(PeriodEvent.objects.values_list("period__code", "action", "reason")) == {
        ("2026-01", "reopened", "late data"),
        ("2026-Q1", "reopened", "late data"),
    }


def test_reopen_of_an_open_period_is_refused(hr_client):
    period("2026-01")

    response = hr_client.post("/hr/periods/2026-01/reopen/", {"reason": "why not"}, follow=True)

    assert "2026-01 is not closed" in response.content.decode()


# --- detail and export -------------------------------------------------------------------------


def test_detail_history_names_the_actor_or_the_scheduler(hr_client):
    month = period("2026-01")
    PeriodEvent.objects.create(
        period=month, action=PeriodEvent.Action.CLOSE_FAILED, reason="no policy", details={"scheduled": True}
    )

    page = hr_client.get("/hr/periods/2026-01/").content.decode()

    assert "close failed" in page and "no policy" in page and "scheduler" in page


def test_detail_of_a_closing_period_hides_partial_counts(hr_client):
    period("2026-01", status=Period.Status.CLOSING)

    response = hr_client.get("/hr/periods/2026-01/")

    assert response.context["scorecard_count"] is None
    assert "/export/" not in response.content.decode()


def test_open_period_cannot_be_exported(hr_client):
    period("2026-01")
    assert hr_client.get("/hr/periods/2026-01/export/", {"format": "csv"}).status_code == 404


def test_export_in_an_unknown_format_is_a_bad_request(hr_client):
    period("2026-01", status=Period.Status.CLOSED)
    assert hr_client.get("/hr/periods/2026-01/export/", {"format": "pdf"}).status_code == 400


def test_export_xlsx_of_a_closed_period_without_scorecards_has_the_header(hr_client):
    period("2026-01", status=Period.Status.CLOSED)

    response = hr_client.get("/hr/periods/2026-01/export/", {"format": "xlsx"})

    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [cell.value for cell in next(sheet.iter_rows())][:3] == ["employee_no", "name", "role"]


@pytest.mark.django_db(transaction=True)
def test_a_close_that_fails_in_process_shows_the_failed_job(monkeypatch, hr_client):
    from rewards import services as reward_services

    small_org()

    def broken(*args, **kwargs):
        raise ValueError("boom")

    monkeypatch.setattr(reward_services, "suggestions_write", broken)
    response = hr_client.post("/hr/periods/2026-01/close/", follow=True)

    assert response.redirect_chain[-1][0] == f"/hr/jobs/{CloseJob.objects.get().pk}/"
    assert "ValueError: boom" in response.content.decode()
    assert Period.objects.get(code="2026-01").status == Period.Status.OPEN
