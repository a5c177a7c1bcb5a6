"""Disputes (POLICY.md §8): filed within the window with a reason and an optional checked attachment,
seen by the supervisor line and HR, answered by HR; an accepted one corrects the figures through a
cascading reopen and the close line, and a paid difference reaches payroll as an adjustment."""

from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from appraisals.models import MetricValue, Period
from closing.tasks import close_due_enqueue
from disputes.models import Dispute
from disputes.services import Correction, DisputeRefused, dispute_accept, dispute_file, dispute_reject, disputes_visible
from notifications.models import Notification
from rewards.models import RewardSuggestion
from rewards.payroll import payroll_run_create
from rewards.services import reward_accept_recomputed, rewards_decide
from tests.builders import client_for, close_period, hr_user, small_org

pytestmark = pytest.mark.django_db

CLOSED_AT = datetime(2026, 2, 3, 10, 0, tzinfo=timezone.get_fixed_timezone(8 * 60))
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def january():
    """M1 over S1 over R1 (120,000 of 100,000) and R2, January closed on 3 February, everyone with a login."""
    with time_machine.travel(CLOSED_AT, tick=False):
        org = small_org(months=("2026-01",))
        for person in (org.m1, org.s1, org.r1, org.r2):
            client_for(person)  # gives them a login
        close_period("2026-01")
    return org


def file(org, **kwargs):
    values = {"user": org.r1.user, "period_code": "2026-01", "subject": "kpi", "kpi_code": "R1",
              "reason": "My January sales were 130,000, not 120,000."}  # fmt: skip
    values.update(kwargs)
    return dispute_file(**values)


def test_an_employee_files_a_question_about_one_kpi_and_the_line_and_hr_hear_of_it(january):
    hr = hr_user()
    with time_machine.travel(CLOSED_AT + timedelta(days=2)):
        dispute = file(january)

    assert (dispute.employee, dispute.status, dispute.kpi_code) == (january.r1, "open", "R1")
    assert list(dispute.events.values_list("action", flat=True)) == ["filed"]
    told = set(Notification.objects.filter(kind="dispute_filed").values_list("recipient_id", flat=True))
    assert told == {january.s1.user_id, january.m1.user_id, hr.pk}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"reason": "too short"}, "at least 10 characters"),
        ({"kpi_code": "R9"}, "has no KPI R9"),
        ({"period_code": "2026-02"}, "2026-02 is not closed"),
        ({"subject": "reward", "reward_id": 999999}, "no such reward of yours"),
    ],
)
def test_a_question_that_breaks_a_rule_is_refused(january, kwargs, message):
    with time_machine.travel(CLOSED_AT + timedelta(days=1)), pytest.raises(DisputeRefused, match=message):
        file(january, **kwargs)
    assert not Dispute.objects.exists()


def test_a_question_after_the_30_day_window_is_refused(january):
    with (
        time_machine.travel(CLOSED_AT + timedelta(days=30, minutes=1)),
        pytest.raises(DisputeRefused, match="2026-01 could be questioned until 2026-03-05"),
    ):
        file(january)


def test_an_attachment_must_really_be_a_pdf_png_or_jpeg_of_at_most_5_mb(january):
    with time_machine.travel(CLOSED_AT + timedelta(days=1)):
        with pytest.raises(DisputeRefused, match="must be a PDF, PNG or JPEG"):
            file(january, attachment=SimpleUploadedFile("proof.png", b"MZ\x90\x00 not an image", "image/png"))
        with pytest.raises(DisputeRefused, match="larger than 5 MB"):
            file(
                january,
                attachment=SimpleUploadedFile("big.pdf", b"%PDF-" + b"0" * (5 * 1024 * 1024), "application/pdf"),
            )
        dispute = file(january, attachment=SimpleUploadedFile("proof.png", PNG, "image/png"))

    assert dispute.attachment.read() == PNG and dispute.attachment_name == "proof.png"


def test_the_line_and_hr_see_a_dispute_a_peer_does_not(january):
    with time_machine.travel(CLOSED_AT + timedelta(days=1)):
        dispute = file(january)

    assert list(disputes_visible(january.s1.user)) == [dispute]
    assert list(disputes_visible(january.m1.user)) == [dispute]
    assert list(disputes_visible(hr_user())) == [dispute]
    assert list(disputes_visible(january.r2.user)) == []


def test_hr_rejects_with_a_reason_the_employee_sees(january):
    with time_machine.travel(CLOSED_AT + timedelta(days=1)):
        dispute = file(january)
    hr = hr_user()

    with pytest.raises(DisputeRefused, match="needs a reason"):
        dispute_reject(dispute_id=dispute.pk, user=hr, resolution=" ")
    dispute_reject(dispute_id=dispute.pk, user=hr, resolution="The invoice was dated February.")

    dispute.refresh_from_db()
    assert (dispute.status, dispute.resolution, dispute.resolved_by) == (
        "rejected",
        "The invoice was dated February.",
        hr,
    )
    assert list(dispute.events.values_list("action", flat=True)) == ["filed", "rejected"]
    assert Notification.objects.get(kind="dispute_resolved").recipient == january.r1.user
    with pytest.raises(DisputeRefused, match="already answered"):
        dispute_accept(dispute_id=dispute.pk, user=hr, resolution="no")


@pytest.mark.django_db(transaction=True)
def test_an_accepted_question_on_a_paid_month_corrects_it_and_pays_the_difference_next_run(january):
    hr = hr_user()
    with time_machine.travel(CLOSED_AT + timedelta(days=1)):
        commissions = RewardSuggestion.objects.filter(code="commission")
        rewards_decide(suggestion_ids=list(commissions.values_list("pk", flat=True)), decision="approved", user=hr)
        first_run = payroll_run_create(user=hr)
        dispute = file(january)

        dispute_accept(
            dispute_id=dispute.pk,
            user=hr,
            resolution="A 10,000 order was booked to the wrong person.",
            corrections=[Correction("sales_actual", "2026-01", Decimal("130000"))],
        )
        assert Period.objects.get(code="2026-01").status == Period.Status.OPEN
        close_due_enqueue(user=hr)

    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED
    r1_sales = MetricValue.objects.get(employee=january.r1, period__code="2026-01", metric_id="sales_actual")
    assert r1_sales.value == Decimal("130000")
    dispute.refresh_from_db()
    assert dispute.status == "accepted"
    assert dispute.corrections == [
        {"metric": "sales_actual", "period": "2026-01", "value": "130000", "before": "120000.0000"}
    ]
    # R1's commission: paid 2,800.00; now 2,000 + 4% × 30,000 = 3,200.00
    commission = RewardSuggestion.objects.get(employee=january.r1, code="commission")
    assert commission.recomputed_amount == Decimal("3200.00")
    reward_accept_recomputed(suggestion_id=commission.pk, user=hr)
    second_run = payroll_run_create(user=hr)
    assert list(second_run.lines.values_list("kind", "amount", "original_run_id")) == [
        ("adjustment", Decimal("400.00"), first_run.pk)
    ]


def test_a_correction_outside_the_disputed_period_is_refused_and_nothing_changes(january):
    with time_machine.travel(CLOSED_AT + timedelta(days=1)):
        dispute = file(january)

    with pytest.raises(DisputeRefused, match="must be inside 2026-01"):
        dispute_accept(
            dispute_id=dispute.pk,
            user=hr_user(),
            resolution="fix",
            corrections=[Correction("sales_actual", "2026-02", Decimal("1"))],
        )
    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED
    dispute.refresh_from_db()
    assert dispute.status == "open"


def test_an_invalid_corrected_value_is_refused_and_the_period_stays_closed(january):
    with time_machine.travel(CLOSED_AT + timedelta(days=1)):
        dispute = file(january)

    with pytest.raises(DisputeRefused):
        dispute_accept(
            dispute_id=dispute.pk,
            user=hr_user(),
            resolution="fix",
            corrections=[Correction("csat", "2026-01", Decimal("9"))],  # ratings run from 1 to 5
        )
    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED


def test_every_step_of_a_dispute_and_a_rejection_reason_are_on_the_history_page(january):
    hr = hr_user()
    with time_machine.travel(CLOSED_AT + timedelta(days=2)):
        dispute = file(january)
        dispute_reject(dispute_id=dispute.pk, user=hr, resolution="The January file shows 120,000.")
        commission = RewardSuggestion.objects.get(employee=january.r1, period__code="2026-01", code="commission")
        rewards_decide(suggestion_ids=[commission.pk], decision="rejected", user=hr, reason="Figures under review")

    no = january.r1.employee_no
    page = client_for(hr).get("/hr/history/", {"employee": no}).content.decode()

    assert f"#{dispute.pk} {no} 2026-01 R1" in page
    assert page.count(f"#{dispute.pk} {no}") == 2  # filed, then rejected
    assert "The January file shows 120,000." in page
    assert "reason: Figures under review" in page
    only_disputes = client_for(hr).get("/hr/history/", {"kind": "dispute"}).content.decode()
    assert "sales_actual" not in only_disputes and f"#{dispute.pk} {no}" in only_disputes
