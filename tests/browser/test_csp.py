"""The pages under the app's own strict Content-Security-Policy (django-csp, no 'unsafe-inline'): the
browser gets the header with every page, refuses nothing, and what moved from inline code to static/js
still works (language switcher, progress bars, select all, charts, the import job page)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone

from appraisals.models import Metric, MetricValue, Period
from closing.models import CloseJob
from roles.models import Role
from tests.browser.helpers import log_in
from tests.builders import close_period, period, this_month
from tests.factories import EmployeeFactory, UserFactory, role
from uploads.models import ImportJob

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _metric(employee, code: str, name: str, value: str) -> None:
    MetricValue.objects.create(
        employee=employee,
        period=period(code),
        metric=Metric.objects.get(code=name),
        value=Decimal(value),
        entered_at=timezone.now(),
    )


@pytest.fixture
def site():
    """M1 over S1 over R1 (login "rep1") and R2; 2026-01 closed, R1 at 87.4 % this month, a close running."""
    hr = UserFactory(username="hr1")
    hr.groups.add(Group.objects.get(name="HR"))
    manager = EmployeeFactory(employee_no="M1", name="Mia Manager", role=role(Role.MANAGER))
    supervisor = EmployeeFactory(
        employee_no="S1", name="Sid Supervisor", role=role(Role.SUPERVISOR), reports_to=manager
    )
    r1 = EmployeeFactory(employee_no="R1", name="Rita Rep", reports_to=supervisor, user=UserFactory(username="rep1"))
    r2 = EmployeeFactory(employee_no="R2", name="Ravi Rep", reports_to=supervisor)
    for rep, actual in ((r1, "120000"), (r2, "90000")):
        _metric(rep, "2026-01", "sales_target", "100000")
        _metric(rep, "2026-01", "sales_actual", actual)
        _metric(rep, "2026-01", "csat", "4.2")
    job = close_period("2026-01")
    job.refresh_from_db()
    assert job.status == CloseJob.Status.DONE, job.message
    _metric(r1, this_month(), "sales_target", "200000")
    _metric(r1, this_month(), "sales_actual", "174800")
    running = CloseJob.objects.create(
        period=period("2025-12", status=Period.Status.CLOSING),
        status=CloseJob.Status.RUNNING,
        steps_total=4,
        steps_done=1,
        attempt=1,
        lease_expires_at=timezone.now() + timedelta(seconds=600),
    )
    return {"running_job": running}


@pytest.fixture
def strict(new_page):
    """A page that records every Content-Security-Policy the app sends and every refusal the browser reports
    (``strict.policies``, ``strict.refused``)."""
    page = new_page()
    refused: list[str] = []
    policies: list[str] = []
    page.on(
        "response",
        lambda response: (
            policies.append(response.headers.get("content-security-policy", ""))
            if response.request.resource_type == "document"
            else None
        ),
    )
    page.on(
        "console",
        lambda message: refused.append(message.text) if "Content Security Policy" in message.text else None,
    )
    page.refused = refused
    page.policies = policies
    return page


def _directives(policy: str) -> dict[str, str]:
    return dict(part.strip().split(" ", 1) for part in policy.split(";") if part.strip())


def _bar_share(page, selector: str) -> float:
    """How much of its track a progress bar fills, 0 … 1, once its width transition has ended."""
    page.wait_for_function(
        "selector => !document.querySelector(selector).getAnimations().some(a => a instanceof CSSTransition)",
        arg=selector,
    )
    return page.evaluate(
        """selector => {
          const bar = document.querySelector(selector);
          return bar.getBoundingClientRect().width / bar.parentElement.getBoundingClientRect().width;
        }""",
        selector,
    )


def test_rep_pages_work_under_a_strict_csp(strict, site):
    log_in(strict, "rep1", next_url="/me/")

    assert strict.locator('[data-testid="completion"]').inner_text().strip() == "87.4 %"
    assert _bar_share(strict, ".progress .progress-bar") == pytest.approx(0.87, abs=0.005)
    strict.locator("#trend-chart").wait_for()
    assert strict.evaluate("Chart.getChart(document.getElementById('trend-chart')) !== undefined")

    strict.locator("#language").select_option("zh-hans")  # submits by itself (static/js/app.js)
    strict.wait_for_function("document.documentElement.lang === 'zh-hans'")
    assert "我的绩效" in strict.locator("h1").inner_text()
    strict.locator("#language").select_option("en")
    strict.wait_for_function("document.documentElement.lang === 'en'")

    assert strict.refused == []
    assert strict.policies and all(_directives(p).get("script-src") == "'self'" for p in strict.policies)
    assert not any("unsafe-inline" in policy for policy in strict.policies)


def test_hr_pages_work_under_a_strict_csp(strict, site):
    log_in(strict, "hr1", next_url="/hr/")
    for url in [
        "/hr/",
        "/hr/imports/",
        "/hr/periods/",
        "/hr/periods/2026-01/",
        "/hr/bonus/2026/",
        "/hr/policy/",
        "/hr/history/",
        "/team/?period=2026-01",
        "/employees/R1/?period=2026-01",
    ]:
        assert strict.goto(url).status == 200, url

    strict.goto("/hr/rewards/")
    picks = strict.locator(".reward-pick")
    assert picks.count() > 1
    strict.locator("#select-all").check()  # static/js/rewards.js ticks the rest
    assert all(picks.nth(i).is_checked() for i in range(picks.count()))

    strict.goto(f"/hr/jobs/{site['running_job'].pk}/")
    assert strict.locator("#close-progress").get_attribute("aria-valuenow") == "25"
    assert _bar_share(strict, "#close-progress .progress-bar") == pytest.approx(0.25, abs=0.005)

    strict.goto("/team/?period=2026-01")
    strict.locator("#band-chart").wait_for()
    assert strict.evaluate("Chart.getChart(document.getElementById('band-chart')) !== undefined")

    # An import job still waiting: its page polls (static/js/import_progress.js) and shows the progress.
    waiting = ImportJob.objects.create(kind="metrics", filename="metrics.csv", status="running", progress="")
    strict.goto(f"/hr/imports/{waiting.pk}/")
    ImportJob.objects.filter(pk=waiting.pk).update(progress="200,000 rows read")
    strict.locator("#import-progress", has_text="200,000 rows read").wait_for()
    ImportJob.objects.filter(pk=waiting.pk).update(status="done", rows=3, created=3, updated=0, encoding="UTF-8")
    strict.locator("#import-summary").wait_for()  # the page reloaded itself once the job ended

    assert strict.refused == []
    assert strict.policies and not any("unsafe-inline" in policy for policy in strict.policies)
    assert all(_directives(p).get("style-src") == "'self'" for p in strict.policies)
