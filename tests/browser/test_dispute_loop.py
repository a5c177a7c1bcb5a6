"""The whole loop in a browser: a rep questions a figure of a paid month, HR accepts it with the
corrected value, the month is reopened and closed again, the rep sees the new figures, and the next
payroll run carries the difference as an adjustment of the first run."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisals.models import Period, Scorecard
from rewards.models import PayrollLine, PayrollRun, RewardSuggestion
from rewards.payroll import payroll_run_create
from rewards.services import rewards_decide
from tests.browser.helpers import log_in
from tests.builders import client_for, close_period, hr_user, small_org

pytestmark = pytest.mark.browser


def test_a_dispute_reaches_payroll_as_an_adjustment(new_page):
    team = small_org(months=("2026-01",))  # R1 sells 120,000 of a 100,000 target
    client_for(team.r1)  # a login "r1"
    hr = hr_user("hr1")
    close_period("2026-01")
    commissions = RewardSuggestion.objects.filter(code="commission")
    rewards_decide(suggestion_ids=list(commissions.values_list("pk", flat=True)), decision="approved", user=hr)
    first_run = payroll_run_create(user=hr)  # R1 paid 2,000 + 4% × 20,000 = 2,800.00

    rep = new_page()
    log_in(rep, "r1", next_url="/employees/R1/?period=2026-01")
    rep.get_by_role("link", name="Question a figure of this scorecard").click()
    rep.get_by_label("One KPI's input").check()
    rep.get_by_label("Which KPI").select_option("R1")
    rep.get_by_label("Why").fill("An order of 10,000 from 12 January is missing from my sales.")
    rep.get_by_role("button", name="File the question").click()
    rep.wait_for_url("**/disputes/*/")
    assert "Your question is filed." in rep.get_by_role("alert").first.inner_text()
    dispute_url = rep.url

    office = new_page()
    log_in(office, "hr1", next_url="/disputes/")
    office.get_by_role("link", name="#", exact=False).first.click()
    office.get_by_label("What was wrong (the employee reads it)").fill("The order was booked to the wrong person.")
    office.locator("#id_fix-0-metric").select_option("sales_actual")
    office.locator("#id_fix-0-period").select_option("2026-01")
    office.locator("#id_fix-0-value").fill("130000")
    office.get_by_role("button", name="Accept", exact=True).click()
    office.wait_for_load_state()
    assert "2026-01 was reopened with the corrected figures and is closing again" in office.locator("main").inner_text()

    assert Period.objects.get(code="2026-01").status == Period.Status.CLOSED
    r1_card = Scorecard.objects.get(employee=team.r1, period__code="2026-01")
    assert r1_card.kpi_scores.get(code="R1").score == Decimal("130.00")
    r1_commission = RewardSuggestion.objects.get(employee=team.r1, period__code="2026-01", code="commission")
    assert (r1_commission.amount, r1_commission.recomputed_amount) == (Decimal("2800.00"), Decimal("3200.00"))

    # HR takes the recomputed amount, then makes the next run from the payroll page.
    office.goto("/hr/rewards/?period=2026-01")
    office.get_by_role("button", name="Accept recomputed amount").click()
    office.wait_for_load_state()
    office.goto("/hr/payroll/")
    office.get_by_role("button", name="Make the run").click()
    office.wait_for_url("**/hr/payroll/*/")
    second_run = PayrollRun.objects.exclude(pk=first_run.pk).get()
    line = second_run.lines.get()
    assert (line.kind, line.amount, line.original_run_id) == (
        PayrollLine.Kind.ADJUSTMENT,
        Decimal("400.00"),
        first_run.pk,
    )
    assert "400.00" in office.locator("table").inner_text()

    # The rep sees the answer, each step, and the new figures.
    rep.goto(dispute_url)
    steps = rep.locator("main").inner_text()
    assert "The order was booked to the wrong person." in steps
    assert "closed again with the corrected figures" in steps
    rep.goto("/employees/R1/?period=2026-01")
    assert "130.00" in rep.locator("main").inner_text()
