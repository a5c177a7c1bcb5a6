"""The ratings service: who may rate whom, which metrics, open quarters only, ranges, all or nothing."""

from __future__ import annotations

import datetime
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.test.utils import CaptureQueriesContext

from appraisals.models import KpiDefinition, Metric, MetricValue, Period, PolicyVersion, RatingComment
from appraisals.periods import PeriodRef
from appraisals.ratings import (
    RatingRefused,
    can_rate,
    rating_metrics_by_quarter,
    rating_options,
    rating_quarters,
    ratings_enter,
)
from roles.models import Role
from tests.builders import hr_user, period, ratings, stored_metrics, user
from tests.factories import role

pytestmark = pytest.mark.django_db

Q = "2026-Q4"


# --------------------------------------------------------------------------- who rates whom


@pytest.mark.parametrize(
    ("rater", "ratee", "allowed"),
    [
        ("s01", "r01", True),  # supervisor → direct report
        ("s01", "s03", True),  # supervisor → a supervisor reporting to them
        ("s01", "r07", False),  # in the unit, not a direct report
        ("s01", "r03", False),  # another team
        ("m01", "s01", True),  # manager → direct-report supervisor
        ("m01", "r01", False),  # two levels down
        ("m09", "r09", True),  # a rep reporting straight to a manager is rated by that manager
        ("r01", "r02", False),  # reps rate nobody
        ("r01", "r01", False),
        ("s01", "s01", False),  # nobody rates themself
        ("hr", "m01", True),
        ("hr", "r09", True),
    ],
)
def test_who_may_rate_whom(org, rater, ratee, allowed):
    user = hr_user() if rater == "hr" else getattr(org, rater).user
    assert can_rate(user, getattr(org, ratee)) is allowed


def test_an_inactive_lead_rates_nobody(org):
    org.s01.is_active = False
    org.s01.save(update_fields=["is_active"])
    assert can_rate(org.s01.user, org.r01) is False


def test_a_login_without_employee_rates_nobody(org):
    assert can_rate(user("nobody"), org.r01) is False


# --------------------------------------------------------------------------- which metrics, which quarters


def test_rating_metrics_per_role_follow_the_default_policy():
    quarter = PeriodRef.parse(Q)
    rated = {
        code: [m.code for m in rating_metrics_by_quarter(role_id=role(code).pk, quarters=[quarter])[Q]]
        for code in (Role.REP, Role.SUPERVISOR, Role.MANAGER)
    }
    assert rated == {
        Role.REP: ["collaboration", "skill_growth"],
        Role.SUPERVISOR: ["collaboration", "team_efficiency"],
        Role.MANAGER: ["collaboration"],
    }


def test_rating_metrics_come_from_the_policy_in_force_for_the_quarter():
    later = PolicyVersion.objects.create(name="2030", effective_from=datetime.date(2030, 1, 1))
    KpiDefinition.objects.create(
        policy_version=later,
        role=role(Role.REP),
        code="R9",
        label_en="Team efficiency",
        label_zh="效率",
        formula=KpiDefinition.Formula.OWN_MEAN,
        numerator_metric=Metric.objects.get(code="team_efficiency"),
        target=Decimal("4"),
        weight=Decimal("100"),
        cadence=KpiDefinition.Cadence.QUARTERLY,
    )
    quarters = [PeriodRef.parse("2029-Q4"), PeriodRef.parse("2030-Q1")]

    rated = rating_metrics_by_quarter(role_id=role(Role.REP).pk, quarters=quarters)

    assert [m.code for m in rated["2029-Q4"]] == ["collaboration", "skill_growth"]
    assert [m.code for m in rated["2030-Q1"]] == ["team_efficiency"]


@pytest.mark.parametrize(
    ("today", "expected"),
    [
        (datetime.date(2026, 11, 27), ("2026-Q4", "2026-Q3")),
        (datetime.date(2026, 1, 5), ("2026-Q1", "2025-Q4")),
        (datetime.date(2026, 6, 30), ("2026-Q2", "2026-Q1")),
    ],
)
def test_rating_quarters_are_the_current_and_the_previous(today, expected):
    assert tuple(q.code for q in rating_quarters(today)) == expected


def test_rating_options_show_status_and_stored_values(org):
    period("2026-Q3", status=Period.Status.CLOSED)
    ratings(org.r01, quarter="2026-Q4", collaboration="4.5")

    options = rating_options(employee=org.r01, today=datetime.date(2026, 11, 27))

    assert [(o.code, o.is_open, o.current) for o in options] == [
        ("2026-Q4", True, {"collaboration": Decimal("4.5")}),
        ("2026-Q3", False, {}),
    ]


def test_rating_options_take_a_fixed_number_of_queries(org):
    with CaptureQueriesContext(connection) as ctx:
        rating_options(employee=org.r01, today=datetime.date(2026, 11, 27))
    assert len(ctx.captured_queries) == 4


# --------------------------------------------------------------------------- ratings_enter


def test_enter_saves_values_with_who_and_when(org):
    saved = ratings_enter(
        rater_user=org.s01.user,
        employee=org.r01,
        quarter_code=Q,
        values={"collaboration": Decimal("4.5"), "skill_growth": Decimal("3")},
    )

    assert stored_metrics(org.r01, period=Q) == {"collaboration": Decimal("4.5"), "skill_growth": Decimal("3")}
    assert {(v.metric_id, v.entered_by_id) for v in saved} == {
        ("collaboration", org.s01.user.pk),
        ("skill_growth", org.s01.user.pk),
    }
    assert all(v.entered_at is not None for v in saved)
    assert Period.objects.get(code=Q).status == Period.Status.OPEN


def test_enter_again_updates_in_place_and_keeps_the_other_metric(org):
    ratings(org.r01, quarter=Q, collaboration="2", skill_growth="3")

    ratings_enter(rater_user=hr_user(), employee=org.r01, quarter_code=Q, values={"collaboration": Decimal("4")})

    assert stored_metrics(org.r01, period=Q) == {"collaboration": Decimal("4"), "skill_growth": Decimal("3")}
    assert MetricValue.objects.filter(employee=org.r01).count() == 2


@pytest.mark.parametrize("status", [Period.Status.CLOSED, Period.Status.CLOSING])
def test_a_closed_or_closing_quarter_is_refused(org, status):
    period(Q, status=status)

    with pytest.raises(RatingRefused) as refused:
        ratings_enter(rater_user=org.s01.user, employee=org.r01, quarter_code=Q, values={"collaboration": Decimal("4")})

    assert refused.value.field == "quarter"
    assert "can no longer change" in refused.value.message
    assert stored_metrics(org.r01, period=Q) == {}


@pytest.mark.parametrize("value", ["0.5", "5.5", "-1"])
def test_an_out_of_range_value_is_refused_and_nothing_is_saved(org, value):
    with pytest.raises(RatingRefused) as refused:
        ratings_enter(
            rater_user=org.s01.user,
            employee=org.r01,
            quarter_code=Q,
            values={"collaboration": Decimal("4"), "skill_growth": Decimal(value)},
        )

    assert refused.value.field == "skill_growth"
    assert stored_metrics(org.r01, period=Q) == {}


def test_a_metric_the_person_is_not_rated_on_is_refused(org):
    with pytest.raises(RatingRefused) as refused:
        ratings_enter(
            rater_user=org.s01.user, employee=org.r01, quarter_code=Q, values={"team_efficiency": Decimal("4")}
        )
    assert refused.value.field == "team_efficiency"


@pytest.mark.parametrize("code", ["2026-11", "2026", "2026-Q5", "soon"])
def test_a_code_that_is_not_a_quarter_is_refused(org, code):
    with pytest.raises(RatingRefused):
        ratings_enter(
            rater_user=org.s01.user, employee=org.r01, quarter_code=code, values={"collaboration": Decimal("4")}
        )


def test_nothing_entered_is_refused(org):
    with pytest.raises(RatingRefused):
        ratings_enter(rater_user=org.s01.user, employee=org.r01, quarter_code=Q, values={})


def test_a_rater_who_may_not_rate_is_denied(org):
    with pytest.raises(PermissionDenied):
        ratings_enter(rater_user=org.r02.user, employee=org.r01, quarter_code=Q, values={"collaboration": Decimal("4")})
    assert stored_metrics(org.r01, period=Q) == {}


def test_a_manager_rates_a_direct_report_supervisor(org):
    ratings_enter(
        rater_user=org.m01.user,
        employee=org.s01,
        quarter_code=Q,
        values={"collaboration": Decimal("4"), "team_efficiency": Decimal("3.5")},
    )
    assert stored_metrics(org.s01, period=Q) == {"collaboration": Decimal("4"), "team_efficiency": Decimal("3.5")}


@pytest.mark.parametrize("value", ["5", "2", "1.5"])
def test_an_extreme_rating_without_a_comment_is_refused_and_nothing_is_saved(org, value):
    with pytest.raises(RatingRefused) as refused:
        ratings_enter(
            rater_user=org.s01.user,
            employee=org.r01,
            quarter_code=Q,
            values={"skill_growth": Decimal("4"), "collaboration": Decimal(value)},
        )
    assert refused.value.field == "collaboration"
    assert stored_metrics(org.r01, period=Q) == {}


def test_an_extreme_rating_with_a_comment_is_saved_with_it(org):
    ratings_enter(
        rater_user=org.s01.user,
        employee=org.r01,
        quarter_code=Q,
        values={"collaboration": Decimal("2")},
        comments={"collaboration": "  Missed three hand-overs.  "},
    )
    assert stored_metrics(org.r01, period=Q) == {"collaboration": Decimal("2")}
    assert RatingComment.objects.get(employee=org.r01).text == "Missed three hand-overs."
