"""A rep's pay preview in the browser: the what-if box computes what the engine would, in English and Chinese."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisals.engine.policy import RewardKind
from appraisals.engine.rewards import commission_amount
from appraisals.models import Period
from appraisals.selectors import engine_policy, period_result_in_memory, policy_version_for
from roles.models import Role
from tests.browser.helpers import log_in
from tests.builders import employee, metrics, this_month

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ACTUAL = Decimal("174837.50")
TARGET = Decimal("200000")
# Amounts typed in the box: within tier 1, onto the 1.0 × target edge, across tiers, onto the 1.5 × edge,
# into tier 3, half cents that round up, grouped with commas.
TYPED = ["0", "1000", "25162.50", "25162.51", "125162.50", "200000", "0.25", "333333.33", "1,234,567.89"]


@pytest.fixture
def rep():
    supervisor = employee("S1", name="Supervisor One", role=Role.SUPERVISOR)
    person = employee("R1", name="Rep One", reports_to=supervisor, login="rep1")
    metrics(person, period=this_month(), sales_actual=str(ACTUAL), sales_target=str(TARGET), csat="4.2")
    return person


def engine_commission(actual: Decimal) -> Decimal:
    """The engine's commission on ``actual`` sales against this month's target (commission_amount)."""
    month = Period.objects.get(code=this_month())
    policy = engine_policy(policy_version_for(month))
    rule = next(r for r in policy.reward_rules if r.kind == RewardKind.COMMISSION)
    amount, _slices = commission_amount(rule, actual, TARGET)
    return amount


def shown(page, test_id: str) -> Decimal:
    return Decimal(page.get_by_test_id(test_id).inner_text().strip().replace(",", ""))


def test_projected_commission_is_the_engines_for_the_month(tab, rep):
    month = Period.objects.get(code=this_month())
    policy = engine_policy(policy_version_for(month))
    result = period_result_in_memory(policy=policy, period=month, employee_ids=[rep.pk])
    engine = next(r.amount for r in result.rewards if r.code == "commission")

    log_in(tab, "rep1", next_url="/me/")

    text = tab.get_by_test_id("projected-commission").inner_text().strip()
    assert text == f"{engine:,.2f} CNY"


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_what_if_box_equals_the_engine_for_typed_amounts(tab, rep, language):
    log_in(tab, "rep1", next_url="/me/")
    if language != "en":
        tab.locator("#language").select_option(language)  # submits by itself (static/js/app.js)
        tab.wait_for_function(f"document.documentElement.lang === '{language}'")
        assert "收入预览" in tab.locator("#pay-preview-title").inner_text()
    box = tab.locator("#what-if-amount")
    now = engine_commission(ACTUAL)

    for typed in TYPED:
        box.fill(typed)
        expected = engine_commission(ACTUAL + Decimal(typed.replace(",", "")))
        assert shown(tab, "what-if-commission") == expected, typed
        assert shown(tab, "what-if-gain") == expected - now, typed

    box.fill("ten thousand")
    assert tab.get_by_test_id("what-if-commission").is_hidden()
    assert tab.locator("[data-what-if=invalid]").is_visible()
