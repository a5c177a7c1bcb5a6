"""Closes of org shapes the worked example does not have, with figures worked out by hand:
a manager under a manager (a deeper tree), a rep directly under a manager, a supervisor with
no team, and flex time across a year boundary."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisals.models import PeriodEvent, Scorecard
from rewards.models import RewardSuggestion
from tests.builders import close_period, org_from, sales

pytestmark = pytest.mark.django_db


@pytest.fixture
def deep_org():
    """M1 ─┬─ M2 ── S2 ── R3
    ├─ S1 ─┬─ R1
    │      └─ R2
    ├─ R9          (a rep directly under the manager)
    └─ S3          (a supervisor with no team and no figures)"""
    org = org_from(
        {
            "M1": None,
            "M2": "M1",
            "S1": "M1",
            "S2": "M2",
            "S3": "M1",
            "R1": "S1",
            "R2": "S1",
            "R3": "S2",
            "R9": "M1",
        }
    )
    sales(org.r1, month="2026-01", actual="120000", target="100000")
    sales(org.r2, month="2026-01", actual="80000", target="100000")
    sales(org.r3, month="2026-01", actual="250000", target="200000")
    sales(org.r9, month="2026-01", actual="100000", target="100000")
    # Flex time needs this month and the two before in band A or B.
    sales(org.r9, month="2025-11", actual="100000", target="100000")  # 100.00 B
    sales(org.r9, month="2025-12", actual="110000", target="100000")  # 110.00 A
    sales(org.r1, month="2025-12", actual="130000", target="100000")  # 130.00 A, but no 2025-11 scorecard
    return org


def cards(code):
    return {
        s.employee.employee_no: (s.composite, s.band, s.missing_kpis)
        for s in Scorecard.objects.filter(period__code=code).select_related("employee")
    }


def scores(employee_no, code):
    card = Scorecard.objects.get(employee__employee_no=employee_no, period__code=code)
    return {k.code: k.score for k in card.kpi_scores.all()}


def test_deeper_tree_scores_bottom_up(deep_org):
    for code in ("2025-11", "2025-12", "2026-01"):
        close_period(code)
    result = cards("2026-01")
    # Reps: no csat, so R2 is missing and the composite is the R1 score.
    # R1 120,000 / 100,000 = 1.2 → 120.00 A; R2 0.8 → 80.00 C; R3 1.25 → 125.00 A; R9 1.0 → 100.00 B.
    assert result["R1"] == (Decimal("120.00"), "A", "R2")
    assert result["R2"] == (Decimal("80.00"), "C", "R2")
    assert result["R3"] == (Decimal("125.00"), "A", "R2")
    assert result["R9"] == (Decimal("100.00"), "B", "R2")
    # S1: unit 200,000 / 200,000 → 100.00; S4 mean(120.00, 80.00) → 100.00; composite 100.00 B.
    assert result["S1"] == (Decimal("100.00"), "B", "")
    # S2: unit 250,000 / 200,000 → 125.00; S4 125.00 → 125.00 A.
    assert result["S2"] == (Decimal("125.00"), "A", "")
    # S3 has no team and no figures: S1 (zero denominator) and S4 (no team) missing → no scorecard.
    assert "S3" not in result
    # M2 (a manager under a manager): M1 = 250,000 / 200,000 → 125.00; M2: S2's unit hit its target
    # (250,000 ≥ 200,000), 1 of 1 = 1.0 ÷ 0.8 → 125.00; M3a/M3b have no data.
    # (30 × 125 + 15 × 125) / 45 = 125.00 A
    assert result["M2"] == (Decimal("125.00"), "A", "M3a;M3b")
    # M1: unit 550,000 / 500,000 = 1.1 → 110.00. M2 pairs: M2's unit (250,000 ≥ 200,000) and S1's
    # unit (200,000 ≥ 200,000) both hit; R9 and S3 have no team of their own → 2 of 2 → 125.00.
    # (30 × 110 + 15 × 125) / 45 = 5,175 / 45 = 115.00 A
    assert result["M1"] == (Decimal("115.00"), "A", "M3a;M3b")
    assert scores("M1", "2026-01") == {
        "M1": Decimal("110.00"),
        "M2": Decimal("125.00"),
        "M3a": None,
        "M3b": None,
    }
    summary = PeriodEvent.objects.get(period__code="2026-01", action="closed").details
    assert summary["no_data"] == 1 and summary["no_data_sample"] == ["S3"]


def test_commission_for_every_rep_wherever_they_sit(deep_org):
    for code in ("2025-11", "2025-12", "2026-01"):  # months close in order
        close_period(code)
    commissions = dict(
        RewardSuggestion.objects.filter(period__code="2026-01", code="commission").values_list(
            "employee__employee_no", "amount"
        )
    )
    # R1: 2% × 100,000 + 4% × 20,000 = 2,800.00   R2: 2% × 80,000 = 1,600.00
    # R3: 2% × 200,000 + 4% × 50,000 = 6,000.00   R9: 2% × 100,000 = 2,000.00
    assert commissions == {
        "R1": Decimal("2800.00"),
        "R2": Decimal("1600.00"),
        "R3": Decimal("6000.00"),
        "R9": Decimal("2000.00"),
    }


def test_flex_time_looks_back_across_the_year_boundary(deep_org):
    for code in ("2025-11", "2025-12", "2026-01"):
        close_period(code)
    flex = RewardSuggestion.objects.filter(code="flex_time").select_related("period", "employee")
    # R9: 2025-11 B, 2025-12 A, 2026-01 B → flex time in 2026-01. R1 is A in 2025-12 and 2026-01 but
    # has no 2025-11 scorecard; R3 has only 2026-01.
    assert [(f.employee.employee_no, f.period.code) for f in flex] == [("R9", "2026-01")]
    assert flex[0].details["bands"] == "2025-11:B, 2025-12:A, 2026-01:B"
