"""Policy versions: copy with edited figures, locking, deleting, and the preview against a closed period."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisals.models import (
    BandDefinition,
    BandMultiplier,
    CommissionTier,
    KpiDefinition,
    PolicyVersion,
    RewardRule,
    Scorecard,
)
from appraisals.policy import (
    KpiFigures,
    PolicyFigures,
    PolicyRefused,
    RuleFigures,
    policy_preview,
    policy_version_copy,
    policy_version_delete,
)
from roles.models import Role
from tests.builders import (
    default_policy_version,
    employee,
    metrics,
    period,
    scorecard,
    tiny_org_closed,
    user,
)

pytestmark = pytest.mark.django_db

D = Decimal


def kpi(version: PolicyVersion, code: str) -> KpiDefinition:
    return KpiDefinition.objects.get(policy_version=version, code=code)


def figures_of(version: PolicyVersion) -> dict:
    """Every figure of a version, to compare two versions."""
    return {
        "kpis": sorted(version.kpis.values_list("code", "role__code", "formula", "weight", "target", "cadence")),
        "bands": sorted(version.bands.values_list("letter", "min_composite", "label_en")),
        "rules": sorted(
            RewardRule.objects.filter(policy_version=version).values_list(
                "code",
                "kind",
                "roles",
                "period_kinds",
                "bands",
                "default_base",
                "window_months",
                "threshold",
                "flat_rate",
                "is_cash",
            )
        ),
        "multipliers": sorted(
            BandMultiplier.objects.filter(rule__policy_version=version).values_list("rule__code", "band", "multiplier")
        ),
        "tiers": sorted(
            CommissionTier.objects.filter(rule__policy_version=version).values_list(
                "rule__code", "up_to_multiple", "rate"
            ),
            key=str,
        ),
    }


# --- copying ----------------------------------------------------------------------------------


def test_copy_holds_every_figure_of_the_source_and_the_edited_weight():
    source = default_policy_version()
    author = user()

    copy = policy_version_copy(
        source=source,
        name="2027 policy",
        effective_from=date(2027, 1, 1),
        figures=PolicyFigures(kpis={"R1": KpiFigures(weight=D("80"), target=D("1.0"))}),
        user=author,
    )

    assert copy.pk != source.pk
    assert (copy.name, copy.effective_from, copy.created_by) == ("2027 policy", date(2027, 1, 1), author)
    assert kpi(copy, "R1").weight == D("80")
    assert kpi(source, "R1").weight == D("50")
    mine, theirs = figures_of(copy), figures_of(source)
    assert [k for k in mine["kpis"] if k[0] != "R1"] == [k for k in theirs["kpis"] if k[0] != "R1"]
    assert len(mine["kpis"]) == 14
    assert {key: mine[key] for key in ("bands", "rules", "multipliers", "tiers")} == {
        key: theirs[key] for key in ("bands", "rules", "multipliers", "tiers")
    }


def test_copy_applies_band_and_reward_figures():
    copy = policy_version_copy(
        source=default_policy_version(),
        name="Generous",
        effective_from=date(2027, 1, 1),
        figures=PolicyFigures(
            bands={"A": D("105")},
            rules={
                "commission": RuleFigures(
                    tiers=((D("1.0"), D("0.03")), (D("2.0"), D("0.05")), (None, D("0.07"))), flat_rate=D("0.01")
                ),
                "quarterly_bonus": RuleFigures(default_base=D("8000.00"), multipliers={"A": D("2"), "B": D("1.5")}),
                "flex_time": RuleFigures(window_months=2, bands="A"),
                "development_plan": RuleFigures(threshold=D("70")),
            },
        ),
    )

    assert BandDefinition.objects.get(policy_version=copy, letter="A").min_composite == D("105")
    commission = RewardRule.objects.get(policy_version=copy, code="commission")
    assert sorted(commission.tiers.values_list("up_to_multiple", "rate"), key=str) == sorted(
        [(D("1.0"), D("0.03")), (D("2.0"), D("0.05")), (None, D("0.07"))], key=str
    )
    assert commission.flat_rate == D("0.01")
    bonus = RewardRule.objects.get(policy_version=copy, code="quarterly_bonus")
    assert bonus.default_base == D("8000.00")
    assert dict(bonus.multipliers.values_list("band", "multiplier")) == {"A": D("2"), "B": D("1.5")}
    flex = RewardRule.objects.get(policy_version=copy, code="flex_time")
    assert (flex.window_months, flex.bands) == (2, "A")
    assert RewardRule.objects.get(policy_version=copy, code="development_plan").threshold == D("70")


@pytest.mark.parametrize("start", [date(2026, 3, 1), date(2026, 1, 1), date(2025, 6, 1)])
def test_copy_refuses_a_start_on_or_before_a_closed_period(start):
    period("2026-03", status="closed")
    with pytest.raises(PolicyRefused, match="2026-03 is already closed"):
        policy_version_copy(source=default_policy_version(), name="x", effective_from=start)
    assert PolicyVersion.objects.count() == 1


def test_copy_may_start_the_month_after_the_last_closed_period():
    period("2026-03", status="closed")
    copy = policy_version_copy(source=default_policy_version(), name="April on", effective_from=date(2026, 4, 1))
    assert copy.effective_from == date(2026, 4, 1)


def test_copy_refuses_a_start_another_version_has():
    policy_version_copy(source=default_policy_version(), name="first", effective_from=date(2027, 1, 1))
    with pytest.raises(PolicyRefused, match="another version already starts in 2027-01"):
        policy_version_copy(source=default_policy_version(), name="second", effective_from=date(2027, 1, 1))
    assert PolicyVersion.objects.count() == 2


def test_copy_refuses_band_minimums_that_do_not_fall():
    with pytest.raises(PolicyRefused, match="band B"):
        policy_version_copy(
            source=default_policy_version(),
            name="x",
            effective_from=date(2027, 1, 1),
            figures=PolicyFigures(bands={"B": D("110")}),
        )
    assert PolicyVersion.objects.count() == 1


# --- locked and unused versions ---------------------------------------------------------------


def test_a_locked_version_cannot_be_deleted():
    version = policy_version_copy(source=default_policy_version(), name="Used", effective_from=date(2025, 1, 1))
    scorecard(employee(), period="2026-01", composite="100", policy_version=version)  # in use: locked
    with pytest.raises(PolicyRefused, match="in use"):
        policy_version_delete(version=version)
    assert PolicyVersion.objects.filter(pk=version.pk).exists()


def test_the_earliest_version_cannot_be_deleted():
    with pytest.raises(PolicyRefused, match="earliest"):
        policy_version_delete(version=default_policy_version())


# --- preview ----------------------------------------------------------------------------------


def test_the_tiny_org_closes_as_computed_by_hand():
    closed = tiny_org_closed()
    stored = {
        no: (composite, band)
        for no, composite, band in Scorecard.objects.filter(period=closed).values_list(
            "employee__employee_no", "composite", "band"
        )
    }
    assert stored == {
        "RA": (D("106.43"), "B"),
        "RB": (D("108.57"), "B"),
        "RC": (D("98.57"), "B"),
        "RD": (D("85.71"), "C"),
        "SUP": (D("99.24"), "B"),
    }


def test_preview_of_an_identical_version_changes_no_band():
    closed = tiny_org_closed()
    same = policy_version_copy(source=default_policy_version(), name="Same", effective_from=date(2027, 1, 1))

    preview = policy_preview(version=same, period=closed)

    assert (preview.scored, preview.stored) == (5, 5)
    assert preview.band_changes == 0 and preview.changes == []
    assert preview.composite_changes == 0
    assert preview.old_bands == preview.new_bands == {"B": 4, "C": 1}


def test_preview_with_heavier_r1_and_lower_a_reports_who_changes_band():
    """R1 weight 50 → 80 and band A from 110 → 105:

    RA (80·105 + 20·110) / 100 = 106.00 → A (was 106.43 B)
    RB (80·120 + 20·80)  / 100 = 112.00 → A (was 108.57 B)
    RC (80·90  + 20·120) / 100 =  96.00 → B
    RD (80·80  + 20·100) / 100 =  84.00 → C
    SUP S4 from the new composites = (106 + 112 + 96 + 84) / 4 = 99.50;
        (35 × 98.75 + 30 × 99.50) / 65 = 99.10 → B (with the stored ones it would stay 99.24)
    """
    closed = tiny_org_closed()
    figures = PolicyFigures(kpis={"R1": KpiFigures(D("80"), D("1.0"))}, bands={"A": D("105")})

    preview = policy_preview(version=default_policy_version(), period=closed, figures=figures)

    assert [(c.employee_no, c.old_composite, c.old_band, c.new_composite, c.new_band) for c in preview.changes] == [
        ("RA", D("106.43"), "B", D("106.00"), "A"),
        ("RB", D("108.57"), "B", D("112.00"), "A"),
    ]
    assert preview.composite_changes == 5
    assert preview.new_bands == {"A": 2, "B": 2, "C": 1}
    assert Scorecard.objects.get(period=closed, employee__employee_no="RA").band == "B"  # nothing written


def test_preview_query_count_does_not_grow_with_headcount():
    closed = tiny_org_closed()
    with CaptureQueriesContext(connection) as few:
        policy_preview(version=default_policy_version(), period=closed)
    supervisor = employee("SUP2", role=Role.SUPERVISOR)
    for _ in range(12):
        metrics(employee(reports_to=supervisor), period=closed, csat="4")
    with CaptureQueriesContext(connection) as many:
        preview = policy_preview(version=default_policy_version(), period=closed)
    assert preview.scored == 5 + 13
    assert len(many) == len(few)


def test_the_dispute_window_is_policy_data_copied_and_edited_like_any_figure():
    from datetime import date

    from appraisals.models import PolicyVersion
    from appraisals.policy import PolicyFigures, policy_version_copy

    source = PolicyVersion.objects.get(effective_from=date(2000, 1, 1))
    assert source.dispute_window_days == 30

    kept = policy_version_copy(source=source, name="Same window", effective_from=date(2099, 1, 1))
    longer = policy_version_copy(
        source=source, name="Longer", effective_from=date(2099, 2, 1), figures=PolicyFigures(dispute_window_days=45)
    )

    assert (kept.dispute_window_days, longer.dispute_window_days) == (30, 45)
