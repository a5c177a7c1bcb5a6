"""HR's periods page shows the line of closes (the running one with its lease, the waiting ones
with a cancel button), closes everything due in one action, says why a period cannot close yet,
and lists only the periods HR can act on."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from appraisals.models import Period
from closing.line import close_line_next, period_close_request
from closing.models import CloseJob
from tests.builders import close_period, metrics, period, small_org

pytestmark = pytest.mark.django_db

TODAY = datetime(2026, 11, 30, 12, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))


@pytest.fixture
def months():
    """M1 over S1 over R1, R2, with figures from 2026-08 to 2026-11 (the month in progress)."""
    return small_org(months=("2026-08", "2026-09", "2026-10", "2026-11"))


@time_machine.travel(TODAY, tick=False)
def test_the_periods_page_shows_the_running_close_with_its_lease_and_the_waiting_ones(months, hr_client):
    close_period("2026-08")
    september = period_close_request(code="2026-09")
    october = period_close_request(code="2026-10")
    start = close_line_next()
    assert start.job_id == september.pk

    page = hr_client.get("/hr/periods/").content.decode()

    assert "Closes running and waiting" in page
    assert "Attempt 1; its worker holds the lease until 12:01:00" in page  # 60 s from now
    assert f'action="/hr/jobs/{october.pk}/cancel/"' in page
    assert "Cancel the close of 2026-10" in page
    assert f'action="/hr/jobs/{september.pk}/cancel/"' not in page  # a running close cannot be cancelled


@time_machine.travel(TODAY, tick=True)
def test_a_close_whose_lease_ran_out_is_shown_as_about_to_be_taken_over(months, hr_client):
    period_close_request(code="2026-08")
    close_line_next()

    with time_machine.travel(timezone.now() + timedelta(seconds=61)):
        page = hr_client.get("/hr/periods/").content.decode()

    assert "No sign of life since its lease ran out at 2026-11-30 12:01:00" in page


@time_machine.travel(TODAY, tick=False)
def test_hr_cancels_a_waiting_close_from_the_page(months, hr_client):
    job = period_close_request(code="2026-08")

    response = hr_client.post(f"/hr/jobs/{job.pk}/cancel/", follow=True)

    assert "The close of 2026-08 is out of the line." in response.content.decode()
    job.refresh_from_db()
    assert job.status == CloseJob.Status.CANCELLED


@pytest.mark.parametrize("method", ["get", "put"])
def test_cancel_takes_a_post_only(months, hr_client, method):
    job = period_close_request(code="2026-08", today=TODAY.date())

    assert getattr(hr_client, method)(f"/hr/jobs/{job.pk}/cancel/").status_code == 405


@pytest.mark.parametrize("audience", ["rep_client", "supervisor_client", "manager_client"])
def test_only_hr_cancels_or_closes_everything_due(request, audience):
    client = request.getfixturevalue(audience)
    job = period_close_request(code="2026-08", today=TODAY.date())

    assert client.post(f"/hr/jobs/{job.pk}/cancel/").status_code == 403
    assert client.post("/hr/periods/close-due/").status_code == 403
    assert CloseJob.objects.get(pk=job.pk).status == CloseJob.Status.QUEUED


def test_anonymous_is_sent_to_log_in(client):
    response = client.post("/hr/periods/close-due/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


@pytest.mark.django_db(transaction=True)
def test_close_everything_due_closes_the_ended_months_in_order_and_leaves_this_month_open(hr_client):
    small_org(months=("2026-08", "2026-09", "2026-10", "2026-11"))
    with time_machine.travel(TODAY, tick=False):
        page = hr_client.get("/hr/periods/").content.decode()
        assert "3 periods have ended and are open:" in page and "2026-08, 2026-09, 2026-10" in page

        response = hr_client.post("/hr/periods/close-due/", follow=True)

    text = response.content.decode()
    assert "3 closes are in line: 2026-08, 2026-09, 2026-10." in text
    statuses = dict(Period.objects.values_list("code", "status"))
    assert [statuses[code] for code in ("2026-08", "2026-09", "2026-10", "2026-11")] == [
        "closed",
        "closed",
        "closed",
        "open",
    ]
    assert "Nothing is due" in text


@time_machine.travel(TODAY, tick=False)
def test_the_page_says_why_a_period_cannot_close_yet(months, hr_client):
    page = hr_client.get("/hr/periods/").content.decode()

    assert "2026-11 has not ended: it can close from 2026-12-01" in page
    assert "2026-10 cannot close before 2026-09 is closed" in page


@time_machine.travel(TODAY, tick=False)
def test_only_periods_hr_can_act_on_are_listed_unless_asked_for_everything(months, hr_client):
    period("2024-Q4")  # before the first month with data: can never close
    period("2027-01")  # not begun
    rep = months.r1
    metrics(rep, period="2025-Q4", market_share="12")  # a quarterly value alone does not start the history

    listed = hr_client.get("/hr/periods/").context["page"].object_list
    everything = hr_client.get("/hr/periods/?everything=on").context["page"].object_list

    codes = [p.code for p in listed]
    assert codes == ["2026-11", "2026-10", "2026-09", "2026-08"]
    assert {"2024-Q4", "2027-01", "2025-Q4"} <= {p.code for p in everything}
