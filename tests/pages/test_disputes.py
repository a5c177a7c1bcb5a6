"""The dispute pages: a rep files from their own scorecard, sees every step, never a peer's; the line
sees its unit's; HR answers; the attachment only reaches those who may see the dispute."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from disputes.models import Dispute
from tests.builders import close_period, metrics

pytestmark = pytest.mark.django_db

CLOSED_AT = datetime(2026, 2, 3, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))
SOON_AFTER = CLOSED_AT + timedelta(days=2)
PDF = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


@pytest.fixture
def closed_january(org):
    """The conftest org's reps R01 and R02 (under S01, under M01) with January closed."""
    for rep in (org.r01, org.r02):
        metrics(rep, period="2026-01", sales_target="100000", sales_actual="90000", csat="4")
    with time_machine.travel(CLOSED_AT, tick=False):
        close_period("2026-01")
    return org


def file_as(client, **data):
    values = {"subject": "kpi", "kpi_code": "R1", "reason": "My January sales are missing an order."}
    values.update(data)
    return client.post("/disputes/new/?period=2026-01", values)


@time_machine.travel(SOON_AFTER, tick=False)
def test_a_rep_questions_a_kpi_from_their_scorecard_and_sees_the_steps(closed_january, rep_client):
    page = rep_client.get("/employees/R01/?period=2026-01").content.decode()
    assert 'href="/disputes/new/?period=2026-01"' in page

    response = file_as(rep_client, attachment=SimpleUploadedFile("order.pdf", PDF, "application/pdf"))

    dispute = Dispute.objects.get()
    assert response["Location"] == f"/disputes/{dispute.pk}/"
    detail = rep_client.get(response["Location"]).content.decode()
    assert "My January sales are missing an order." in detail and "order.pdf" in detail
    download = rep_client.get(f"/disputes/{dispute.pk}/attachment/")
    assert b"".join(download.streaming_content) == PDF
    assert download["Content-Disposition"].startswith("attachment")


@time_machine.travel(SOON_AFTER, tick=False)
def test_a_short_reason_is_shown_back_with_the_error(closed_january, rep_client):
    response = file_as(rep_client, reason="wrong")

    assert response.status_code == 200
    assert "at least 10 characters" in response.content.decode()
    assert not Dispute.objects.exists()


@time_machine.travel(SOON_AFTER, tick=False)
def test_a_peer_never_sees_a_dispute_or_its_attachment(closed_january, rep_client, client):
    from tests.builders import client_for

    file_as(client_for(closed_january.r02), attachment=SimpleUploadedFile("x.pdf", PDF, "application/pdf"))
    dispute = Dispute.objects.get()

    assert rep_client.get(f"/disputes/{dispute.pk}/").status_code == 404
    assert rep_client.get(f"/disputes/{dispute.pk}/attachment/").status_code == 404
    assert "R02" not in rep_client.get("/disputes/").content.decode()


@time_machine.travel(SOON_AFTER, tick=False)
def test_the_supervisor_line_sees_its_units_disputes_but_cannot_answer(closed_january, rep_client, supervisor_client):
    file_as(rep_client)
    dispute = Dispute.objects.get()

    assert supervisor_client.get(f"/disputes/{dispute.pk}/").status_code == 200
    assert "R01" in supervisor_client.get("/disputes/").content.decode()
    response = supervisor_client.post(f"/disputes/{dispute.pk}/reject/", {"reject-resolution": "no"})
    assert response.status_code == 403


@time_machine.travel(SOON_AFTER, tick=False)
def test_hr_sees_the_queue_with_ages_and_rates_and_rejects(closed_january, rep_client, hr_client):
    file_as(rep_client)
    dispute = Dispute.objects.get()

    with time_machine.travel(SOON_AFTER + timedelta(days=3)):
        queue = hr_client.get("/disputes/")
    assert queue.context["rows"] == [(dispute, 3)]
    assert "Questions per 100 scorecards" in queue.content.decode()

    hr_client.post(f"/disputes/{dispute.pk}/reject/", {"reject-resolution": "The order was booked in February."})

    dispute.refresh_from_db()
    assert dispute.status == "rejected"
    assert "The order was booked in February." in rep_client.get(f"/disputes/{dispute.pk}/").content.decode()


@pytest.mark.parametrize("url", ["/disputes/", "/disputes/new/", "/notifications/"])
def test_anonymous_is_sent_to_log_in(client, url):
    assert client.get(url)["Location"].startswith("/accounts/login/")


def test_hr_who_is_no_employee_cannot_file_a_dispute(hr_client):
    assert hr_client.get("/disputes/new/").status_code == 403
