"""The policy as engine types (``appraisals.engine.policy``): what it needs read, and its bands."""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from appraisals.engine.policy import BandDef, PolicyRules
from tests.appraisals.engine.defaults import default_policy


def test_default_policy_needs_sales_by_month_and_two_months_of_band_history():
    policy = default_policy()

    assert policy.metrics_needed_by_month() == {"sales_actual", "sales_target"}
    assert policy.flex_history_months() == 2


# --------------------------------------------------------------------------- bands


@pytest.mark.parametrize(
    ("composite", "band"),
    [
        ("150.00", "A"),
        ("110.00", "A"),
        ("109.99", "B"),
        ("95.00", "B"),
        ("94.99", "C"),
        ("80.00", "C"),
        ("79.99", "D"),
        ("60.00", "D"),
        ("59.99", "E"),
        ("0.00", "E"),
    ],
)
def test_a_band_starts_at_its_minimum(composite, band):
    assert default_policy().band_for(D(composite)) == band


def test_a_composite_below_every_band_minimum_gets_the_lowest_band():
    policy = PolicyRules(kpis=(), bands=(BandDef("A", D("110")), BandDef("B", D("50"))), reward_rules=())

    assert (policy.band_for(D("49.99")), policy.band_for(D("50.00"))) == ("B", "B")
