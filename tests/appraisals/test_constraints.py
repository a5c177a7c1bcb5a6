"""What must never be stored about metric values and scorecards is refused by the database itself."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.db.models import ProtectedError

from appraisals.models import KpiScore, Metric, MetricValue, Scorecard
from tests.builders import employee, period, scorecard, user
from tests.factories import MetricValueFactory

pytestmark = pytest.mark.django_db


def test_duplicate_metric_value_for_the_same_employee_period_metric_is_refused():
    value = MetricValueFactory(value=Decimal("5"))
    with pytest.raises(IntegrityError), transaction.atomic():
        MetricValue.objects.create(
            employee=value.employee, period=value.period, metric=value.metric, value=6, entered_at=value.entered_at
        )
    assert MetricValue.objects.count() == 1


@pytest.mark.parametrize(
    ("metric", "value"),
    [("sales_actual", "-0.01"), ("csat", "0.99"), ("csat", "5.01"), ("collaboration", "0"), ("market_share", "100.1")],
)
def test_out_of_range_metric_values_are_refused(metric, value):
    code = "2026-Q1" if metric in ("collaboration", "market_share") else "2026-01"
    with pytest.raises(IntegrityError), transaction.atomic():
        MetricValueFactory(metric=Metric.objects.get(code=metric), period=period(code), value=Decimal(value))


@pytest.mark.parametrize(
    ("metric", "value"), [("csat", "1"), ("csat", "5"), ("market_share", "100"), ("sales_actual", "0")]
)
def test_edge_metric_values_are_stored(metric, value):
    code = "2026-Q1" if metric == "market_share" else "2026-01"
    stored = MetricValueFactory(metric=Metric.objects.get(code=metric), period=period(code), value=Decimal(value))
    stored.refresh_from_db()
    assert stored.value == Decimal(value)


def test_negative_composite_and_duplicate_scorecard_are_refused():
    with pytest.raises(IntegrityError), transaction.atomic():
        scorecard(employee(), period=period("2026-01"), composite="-1")
    card = scorecard(employee(), period=period("2026-01"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Scorecard.objects.create(
            employee=card.employee,
            period=card.period,
            policy_version=card.policy_version,
            role="rep",
            composite=1,
            band="E",
            created_at="2026-02-01T00:00Z",
        )
    with pytest.raises(IntegrityError), transaction.atomic():
        KpiScore.objects.create(scorecard=card, code="R1", weight=50, target=1, score=Decimal("-0.01"))


def test_deleting_an_employee_removes_their_metric_values():
    value = MetricValueFactory()
    value.employee.delete()
    assert not MetricValue.objects.filter(pk=value.pk).exists()


def test_a_metric_or_period_with_values_cannot_be_deleted():
    value = MetricValueFactory()
    with pytest.raises(ProtectedError):
        value.metric.delete()
    with pytest.raises(ProtectedError):
        value.period.delete()
    assert MetricValue.objects.filter(pk=value.pk).exists()


def test_deleting_the_user_who_entered_a_value_keeps_the_value():
    entered_by = user()
    value = MetricValueFactory(entered_by=entered_by)
    entered_by.delete()
    value.refresh_from_db()
    assert value.entered_by_id is None
