"""The one scoring loop over an org tree (``appraisals.engine.org``): bottom-up, level by level.

Every expected figure is worked out by hand in the comment beside it.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from appraisals.engine.inputs import EmployeeInput
from appraisals.engine.org import score_period
from tests.appraisals.engine.builders import MARCH, Q1, by_code, employee, only_kpi
from tests.appraisals.engine.defaults import default_policy


def four_level_org() -> list[EmployeeInput]:
    """M(1) ─ S(2) ─ T(3) ─ R(4), Q(5);  M ─ U(6) ─ P(7);  M ─ X(8), a rep directly under M."""

    def sales(actual: str, target: str) -> dict[str, list[str]]:
        # totals only, as the selector hands over a month (M2 then reads the month from totals)
        return {"sales_actual": [actual], "sales_target": [target]}

    return [
        employee(1, "manager"),
        employee(2, "supervisor", 1),
        employee(3, "supervisor", 2),
        employee(4, "rep", 3, values=sales("150", "100")),
        employee(5, "rep", 3, values=sales("60", "200")),
        employee(6, "supervisor", 1),
        employee(7, "rep", 6, values=sales("100", "100")),
        employee(8, "rep", 1, values=sales("50", "100")),
    ]


def test_four_level_tree_scores_bottom_up():
    result = score_period(policy=default_policy(), period=MARCH, employees=four_level_org())
    cards = result.scorecards

    # reps: R 150 ÷ 100 → 150.00; Q 60 ÷ 200 → 30.00; P 100 ÷ 100 → 100.00; X 50 ÷ 100 → 50.00
    assert {k: cards[k].composite for k in (4, 5, 7, 8)} == {
        4: D("150.00"),
        5: D("30.00"),
        7: D("100.00"),
        8: D("50.00"),
    }
    # T: S1 = (150 + 60) ÷ (100 + 200) = 0.7 → 70.00; S4 = (150 + 30) ÷ 2 = 90.00
    #    composite (35 × 70 + 30 × 90) ÷ 65 = 5150 ÷ 65 = 79.2307… → 79.23, D
    assert by_code(cards[3]) == {"S1": "70.00", "S4": "90.00"}
    assert (cards[3].composite, cards[3].band) == (D("79.23"), "D")
    # S: S1 = unit(S) = unit(T) → 70.00; S4 = T's 79.23
    #    (35 × 70 + 30 × 79.23) ÷ 65 = 4826.9 ÷ 65 = 74.26
    assert by_code(cards[2]) == {"S1": "70.00", "S4": "79.23"}
    assert cards[2].composite == D("74.26")
    # U: S1 = 100 ÷ 100 → 100.00, S4 = P's 100.00 → 100.00
    assert cards[6].composite == D("100.00")
    # M: M1 = (150 + 60 + 100 + 50) ÷ (100 + 200 + 100 + 100) = 360 ÷ 500 = 0.72 → 72.00 (X counts)
    #    M2: S's unit 210 < 300 missed, U's unit 100 ≥ 100 hit, X has no team → 1 ÷ 2 ÷ 0.8 → 62.50
    #    M3a, M3b: no customer figures → missing
    #    composite (30 × 72 + 15 × 62.5) ÷ 45 = 3097.5 ÷ 45 = 68.833… → 68.83, D
    assert by_code(cards[1]) == {"M1": "72.00", "M2": "62.50", "M3a": None, "M3b": None}
    assert (cards[1].composite, cards[1].band, cards[1].missing_kpis) == (D("68.83"), "D", ("M3a", "M3b"))
    assert result.no_data == []


@pytest.mark.parametrize(
    ("supervisor_feb_sales", "score", "hits"),
    [
        # unit(2): Jan 60 + 40 = 100 ≥ 100 hit; Feb 40 + 50 = 90 < 200 miss; Mar 100 ≥ 100 hit.
        # unit(5): its only target is 0 → no pair.  2 ÷ 3 = 0.666… ÷ 0.8 × 100 = 83.333… → 83.33
        (None, "83.33", "2"),
        # the supervisor's own Feb sales count in unit(2): 90 + 110 = 200 ≥ 200 hit → 3 ÷ 3 ÷ 0.8 → 125.00
        ("110", "125.00", "3"),
        # 90 + 109.99 = 199.99 < 200 → still 2 of 3 → 83.33
        ("109.99", "83.33", "2"),
    ],
)
def test_m2_over_a_quarter_uses_unit_sums_month_by_month(supervisor_feb_sales, score, hits):
    policy = default_policy()
    own = {"sales_actual": {"2026-02": supervisor_feb_sales}} if supervisor_feb_sales else {}
    org = [
        employee(1, "manager", values={"collaboration": ["4"]}),
        employee(2, "supervisor", 1, monthly=own),
        employee(
            3,
            "rep",
            2,
            monthly={
                "sales_actual": {"2026-01": "60", "2026-02": "40", "2026-03": "100"},
                "sales_target": {"2026-01": "100", "2026-02": "100", "2026-03": "100"},
            },
        ),
        employee(
            4,
            "rep",
            2,
            monthly={
                "sales_actual": {"2026-01": "40", "2026-02": "50"},
                "sales_target": {"2026-01": "0", "2026-02": "100"},
            },
        ),
        employee(5, "supervisor", 1),
        employee(6, "rep", 5, monthly={"sales_target": {"2026-01": "0"}}),
    ]

    card = score_period(policy=policy, period=Q1, employees=org).scorecards[1]

    m2 = only_kpi(card, "M2")
    assert (m2.score, m2.inputs["pairs"], m2.inputs["hits"]) == (D(score), "3", hits)


def test_supervisor_without_team_has_s4_missing_and_members_without_data_are_ignored():
    org = [
        # V: a supervisor with no reports; S1 = own 90 ÷ 100 → 90.00, S4 missing
        employee(1, "supervisor", values={"sales_actual": ["90"], "sales_target": ["100"]}),
        # W with Y (110 ÷ 100 → 110.00) and Z (no data at all)
        employee(2, "supervisor"),
        employee(3, "rep", 2, values={"sales_actual": ["110"], "sales_target": ["100"]}),
        employee(4, "rep", 2),
    ]

    result = score_period(policy=default_policy(), period=MARCH, employees=org)

    assert (result.scorecards[1].composite, result.scorecards[1].missing_kpis) == (D("90.00"), ("S4",))
    # W: S1 = 110 ÷ 100 → 110.00; S4 = Y's 110.00 alone → composite 110.00, A
    assert by_code(result.scorecards[2]) == {"S1": "110.00", "S4": "110.00"}
    assert result.scorecards[2].band == "A"
    assert result.no_data == [4]
