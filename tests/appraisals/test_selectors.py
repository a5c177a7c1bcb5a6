"""The close's readers (``appraisals.selectors``), each on its own: one query, whatever it reads."""

from __future__ import annotations

from decimal import Decimal

import pytest

from appraisals.engine.inputs import MetricAgg
from appraisals.selectors import earlier_bands, own_values_at, period_ids, unit_sums
from tests.builders import metrics, org_chart, period, scorecard

pytestmark = pytest.mark.django_db


def test_period_ids_leaves_out_periods_not_stored(django_assert_num_queries):
    january, february = period("2026-01"), period("2026-02")

    with django_assert_num_queries(1):
        periods = period_ids(["2026-02", "2026-01", "2025-11"])

    assert periods.ids(["2025-11", "2026-01", "2026-02"]) == [january.pk, february.pk]
    assert periods.code_of == {january.pk: "2026-01", february.pk: "2026-02"}


def test_unit_sums_cover_the_root_and_everyone_below_it(django_assert_num_queries):
    org = org_chart(managers=1, supervisors_per_manager=1, reps_per_supervisor=2)
    january, february = period("2026-01"), period("2026-02")
    for person, actual in ((org.m1, "1"), (org.s1, "20"), (org.r1, "100"), (org.r2, "50.5")):
        metrics(person, period=january, sales_actual=actual)
    metrics(org.r1, period=february, sales_actual="1000")  # another period: not summed

    with django_assert_num_queries(1):
        sums = unit_sums([org.m1.pk, org.s1.pk], ["sales_actual"], [january.pk])

    assert sums == {
        org.m1.pk: {"sales_actual": MetricAgg(Decimal("171.5"), 4)},
        org.s1.pk: {"sales_actual": MetricAgg(Decimal("170.5"), 3)},
    }


def test_earlier_bands_are_the_chunks_bands_of_the_planned_months(django_assert_num_queries):
    org = org_chart(managers=1, supervisors_per_manager=1, reps_per_supervisor=2)
    scorecard(org.r1, period="2025-12", band="E")  # outside the window
    scorecard(org.r1, period="2026-01", band="A")
    scorecard(org.r1, period="2026-02", band="B")
    scorecard(org.r2, period="2026-02", band="C")  # not in the chunk
    periods = period_ids(["2026-02", "2026-01"])

    with django_assert_num_queries(1):
        bands = earlier_bands([org.r1.pk], periods, ["2026-02", "2026-01"])

    assert bands == {org.r1.pk: {"2026-01": "A", "2026-02": "B"}}


def test_values_at_quarters_are_keyed_by_metric_and_quarter(django_assert_num_queries):
    org = org_chart(managers=1, supervisors_per_manager=1, reps_per_supervisor=1)
    metrics(org.m1, period="2025-Q4", market_share="0.125")
    metrics(org.m1, period="2026-Q1", market_share="0.15", collaboration="4")
    periods = period_ids(["2026-Q1", "2025-Q4"])

    with django_assert_num_queries(1):
        at = own_values_at([org.m1.pk, org.s1.pk], periods, ["2026-Q1", "2025-Q4"], ["market_share"])

    assert at == {
        org.m1.pk: {("market_share", "2026-Q1"): Decimal("0.15"), ("market_share", "2025-Q4"): Decimal("0.125")}
    }


def test_a_reader_with_nothing_planned_makes_no_query(django_assert_num_queries):
    org = org_chart(managers=1, supervisors_per_manager=1, reps_per_supervisor=1)
    periods = period_ids(["2026-Q1"])

    with django_assert_num_queries(0):
        assert own_values_at([org.m1.pk], periods, ["2026-Q1"], []) == {}
        assert earlier_bands([org.m1.pk], periods, []) == {}
        assert unit_sums([org.m1.pk], [], []) == {}
