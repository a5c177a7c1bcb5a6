"""A rep in the browser: their own completion on /me/, nobody else's page, and /me/ on a phone."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.db.models import Sum

from appraisals.models import MetricValue
from appraisals.periods import PeriodRef
from closing.models import CloseJob
from roles.models import Employee, Role
from tests.browser.helpers import PHONE, has_no_horizontal_scroll, log_in, wider_than_screen
from tests.builders import close_period, employee, sales, this_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def reps() -> tuple[Employee, Employee]:
    """M1 over S1 over the rep R1 (login "rep1") and their peer R2, both with figures this month."""
    manager = employee("M1", name="Manager One", role=Role.MANAGER)
    supervisor = employee("S1", name="Supervisor One", role=Role.SUPERVISOR, reports_to=manager)
    rep = employee("R1", name="Rep One", reports_to=supervisor, login="rep1")
    peer = employee("R2", name="Peer Two", reports_to=supervisor, login="rep2")
    sales(rep, month=this_month(), actual="174837.50", target="200000")
    sales(peer, month=this_month(), actual="250000", target="200000")
    return rep, peer


@pytest.fixture
def last_month_closed(reps) -> str:
    """Last month closed in-process, so /me/ also shows a scorecard, commission, trend and rewards."""
    code = PeriodRef.parse(this_month()).previous().code
    for person, actual in zip(reps, ("96000", "131000"), strict=True):
        sales(person, month=code, actual=actual, target="100000")
    job = close_period(code)
    job.refresh_from_db()
    assert job.status == CloseJob.Status.DONE
    return code


def completion_in_db(employee: Employee, code: str) -> Decimal:
    """Σ actual ÷ Σ target × 100 of the month, rounded to 1 decimal as the page shows it."""
    totals = dict(
        MetricValue.objects.filter(employee=employee, period__code=code, metric_id__in=["sales_actual", "sales_target"])
        .values("metric_id")
        .annotate(total=Sum("value"))
        .values_list("metric_id", "total")
    )
    rate = totals["sales_actual"] * 100 / totals["sales_target"]
    return rate.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def test_rep_sees_their_own_completion_rate_of_the_open_month(tab, reps):
    rep, _peer = reps
    expected = completion_in_db(rep, this_month())
    assert expected == Decimal("87.4")  # the figures above: 174,837.50 of 200,000

    log_in(tab, "rep1")

    assert tab.url.endswith("/me/")
    assert tab.get_by_test_id("completion").inner_text().strip() == f"{expected} %"
    assert tab.get_by_test_id("sales").inner_text().strip() == f"Sales in {this_month()}: 174,837.50 of 200,000.00 CNY"
    assert tab.locator("#open-month-title").inner_text().startswith(this_month())
    assert "Rep One" in tab.locator("main").inner_text()


def test_rep_cannot_open_a_peers_page(tab, reps):
    rep, peer = reps
    log_in(tab, "rep1")

    own = tab.goto(f"/employees/{rep.employee_no}/")
    assert own.status == 200
    response = tab.goto(f"/employees/{peer.employee_no}/")

    assert response.status == 404
    assert "Peer Two" not in tab.content()


def test_me_fits_a_phone_screen_without_horizontal_scrolling(new_page, reps, last_month_closed):
    page = new_page(viewport=PHONE)
    log_in(page, "rep1", next_url="/me/")

    assert page.url.endswith("/me/")
    assert page.get_by_test_id("completion").is_visible()
    assert page.locator("#last-month-title").inner_text().strip() == f"Last closed month {last_month_closed}"
    assert has_no_horizontal_scroll(page), wider_than_screen(page)
