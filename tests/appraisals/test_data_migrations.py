"""The appraisals data migrations load POLICY.md §4, §5 and §6 exactly: the metric catalogue and the default policy."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisals.models import BandDefinition, KpiDefinition, Metric, PolicyVersion, RewardRule

pytestmark = pytest.mark.django_db


def test_the_metric_catalogue_is_loaded():
    metrics = {m.code: m for m in Metric.objects.all()}
    assert set(metrics) == (
        {"sales_target", "sales_actual", "new_customers", "new_customer_target", "customers_start"}
        | {"customers_retained", "csat", "collaboration", "skill_growth", "team_efficiency", "market_share"}
    )
    assert [code for code, m in metrics.items() if m.cadence == "quarterly"] == [
        "collaboration",
        "skill_growth",
        "team_efficiency",
        "market_share",
    ]
    assert (metrics["csat"].min_value, metrics["csat"].max_value) == (Decimal("1"), Decimal("5"))
    assert (metrics["market_share"].min_value, metrics["market_share"].max_value) == (Decimal("0"), Decimal("100"))
    assert metrics["new_customers"].integer_only and not metrics["sales_actual"].integer_only
    assert metrics["customers_retained"].at_most_metric_id == "customers_start"


def test_the_default_policy_kpis_are_loaded():
    version = PolicyVersion.objects.get()
    rows = {
        k.code: (k.role.code, k.formula, k.numerator_metric_id, k.denominator_metric_id, k.target, k.weight, k.cadence)
        for k in KpiDefinition.objects.filter(policy_version=version).select_related("role")
    }
    assert rows == {
        "R1": ("rep", "own_ratio", "sales_actual", "sales_target", Decimal("1"), Decimal("50"), "monthly"),
        "R2": ("rep", "own_mean", "csat", None, Decimal("4"), Decimal("20"), "monthly"),
        "R3": ("rep", "own_mean", "collaboration", None, Decimal("4"), Decimal("15"), "quarterly"),
        "R4": ("rep", "own_mean", "skill_growth", None, Decimal("4"), Decimal("15"), "quarterly"),
        "S1": ("supervisor", "unit_ratio", "sales_actual", "sales_target", Decimal("1"), Decimal("35"), "monthly"),
        "S2": ("supervisor", "own_mean", "collaboration", None, Decimal("4"), Decimal("15"), "quarterly"),
        "S3": ("supervisor", "own_mean", "team_efficiency", None, Decimal("4"), Decimal("20"), "quarterly"),
        "S4": ("supervisor", "team_mean_composite", None, None, Decimal("100"), Decimal("30"), "monthly"),
        "M1": ("manager", "unit_ratio", "sales_actual", "sales_target", Decimal("1"), Decimal("30"), "monthly"),
        "M2": (
            "manager",
            "team_target_hit_share",
            "sales_actual",
            "sales_target",
            Decimal("0.8"),
            Decimal("15"),
            "monthly",
        ),
        "M3a": (
            "manager",
            "unit_ratio",
            "new_customers",
            "new_customer_target",
            Decimal("1"),
            Decimal("10"),
            "monthly",
        ),
        "M3b": (
            "manager",
            "unit_ratio",
            "customers_retained",
            "customers_start",
            Decimal("0.9"),
            Decimal("10"),
            "monthly",
        ),
        "M4": ("manager", "own_mean", "collaboration", None, Decimal("4"), Decimal("15"), "quarterly"),
        "M5": ("manager", "own_delta", "market_share", None, Decimal("1"), Decimal("20"), "quarterly"),
    }
    # Weights of each role add up to 100.
    for role in ("rep", "supervisor", "manager"):
        assert sum(row[5] for row in rows.values() if row[0] == role) == Decimal("100")
    assert KpiDefinition.objects.get(code="M3b").label_zh == "老客户维护"


def test_the_default_bands_are_loaded():
    assert list(BandDefinition.objects.values_list("letter", "min_composite", "label_en", "label_zh")) == [
        ("A", Decimal("110.00"), "Outstanding", "优秀"),
        ("B", Decimal("95.00"), "Strong", "良好"),
        ("C", Decimal("80.00"), "Meets", "合格"),
        ("D", Decimal("60.00"), "Needs improvement", "待改进"),
        ("E", Decimal("0.00"), "Unsatisfactory", "不合格"),
    ]


def test_the_default_reward_rules_are_loaded():
    rules = {r.code: r for r in RewardRule.objects.prefetch_related("multipliers", "tiers")}
    assert list(rules) == [
        "commission",
        "flex_time",
        "quarterly_bonus",
        "year_end_bonus",
        "promotion_or_raise",
        "training_or_career_plan",
        "development_plan",
    ]
    commission = rules["commission"]
    assert [(t.up_to_multiple, t.rate) for t in commission.tiers.all()] == [
        (Decimal("1.0000"), Decimal("0.0200")),
        (Decimal("1.5000"), Decimal("0.0400")),
        (None, Decimal("0.0600")),
    ]
    assert commission.flat_rate == Decimal("0.0200") and commission.role_codes == ["rep"]
    quarterly = rules["quarterly_bonus"]
    assert quarterly.default_base == Decimal("6000.00") and quarterly.period_kind_list == ["quarter"]
    assert {m.band: m.multiplier for m in quarterly.multipliers.all()} == {
        "A": Decimal("1.5"),
        "B": Decimal("1.2"),
        "C": Decimal("1.0"),
        "D": Decimal("0.5"),
        "E": Decimal("0"),
    }
    year_end = rules["year_end_bonus"]
    assert year_end.default_base == Decimal("60000.00")
    assert {m.band: m.multiplier for m in year_end.multipliers.all()}["A"] == Decimal("2.0")
    assert rules["flex_time"].bands == "AB" and rules["flex_time"].window_months == 3
    assert rules["promotion_or_raise"].bands == "A" and rules["promotion_or_raise"].period_kind_list == ["year"]
    assert rules["training_or_career_plan"].period_kind_list == ["quarter", "year"]
    assert rules["development_plan"].threshold == Decimal("80.00")


def test_admin_shows_the_default_policy(admin_client):
    version = PolicyVersion.objects.get()
    page = admin_client.get(f"/admin/appraisals/policyversion/{version.pk}/change/").content.decode()
    assert "个人月度销售指标完成率" in page and "Outstanding" in page and "commission" in page
