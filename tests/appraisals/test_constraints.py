"""What must never be stored is refused by the database itself."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from appraisals.models import KpiScore, Metric, MetricValue, PolicyVersion, Scorecard
from rewards.models import RewardSuggestion
from roles.models import Employee
from tests.factories import EmployeeFactory, MetricValueFactory, UserFactory, period

pytestmark = pytest.mark.django_db


def refused(create):
    with pytest.raises(IntegrityError), transaction.atomic():
        create()


def test_duplicate_metric_value_for_the_same_employee_period_metric_is_refused():
    value = MetricValueFactory(value=Decimal("5"))
    refused(
        lambda: MetricValue.objects.create(
            employee=value.employee, period=value.period, metric=value.metric, value=6, entered_at=value.entered_at
        )
    )
    assert MetricValue.objects.count() == 1


@pytest.mark.parametrize(
    ("metric", "value"),
    [("sales_actual", "-0.01"), ("csat", "0.99"), ("csat", "5.01"), ("collaboration", "0"), ("market_share", "100.1")],
)
def test_out_of_range_metric_values_are_refused(metric, value):
    code = "2026-Q1" if metric in ("collaboration", "market_share") else "2026-01"
    refused(
        lambda: MetricValueFactory(metric=Metric.objects.get(code=metric), period=period(code), value=Decimal(value))
    )


@pytest.mark.parametrize(
    ("metric", "value"), [("csat", "1"), ("csat", "5"), ("market_share", "100"), ("sales_actual", "0")]
)
def test_edge_metric_values_are_stored(metric, value):
    code = "2026-Q1" if metric == "market_share" else "2026-01"
    stored = MetricValueFactory(metric=Metric.objects.get(code=metric), period=period(code), value=Decimal(value))
    stored.refresh_from_db()
    assert stored.value == Decimal(value)


def test_negative_bonus_base_is_refused():
    refused(lambda: EmployeeFactory(quarterly_bonus_base=Decimal("-1.00")))
    refused(lambda: EmployeeFactory(annual_bonus_base=Decimal("-0.01")))


def test_employee_cannot_report_to_themself():
    employee = EmployeeFactory()
    employee.reports_to_id = employee.pk
    refused(lambda: employee.save())


def _scorecard(**fields):
    employee = EmployeeFactory()
    return Scorecard.objects.create(
        employee=employee,
        period=period("2026-01"),
        policy_version=PolicyVersion.objects.get(),
        role="rep",
        composite=fields.pop("composite", Decimal("100.00")),
        band="B",
        created_at="2026-02-01T00:00Z",
        **fields,
    )


def test_negative_composite_and_duplicate_scorecard_are_refused():
    refused(lambda: _scorecard(composite=Decimal("-1")))
    card = _scorecard()
    refused(
        lambda: Scorecard.objects.create(
            employee=card.employee,
            period=card.period,
            policy_version=card.policy_version,
            role="rep",
            composite=1,
            band="E",
            created_at="2026-02-01T00:00Z",
        )
    )
    refused(lambda: KpiScore.objects.create(scorecard=card, code="R1", weight=50, target=1, score=Decimal("-0.01")))


def test_reward_amounts_must_be_positive_and_unique_per_period_and_code():
    employee = EmployeeFactory()
    fields = {
        "employee": employee,
        "period": period("2026-01"),
        "code": "commission",
        "policy_version": PolicyVersion.objects.get(),
        "created_at": "2026-02-01T00:00Z",
    }
    refused(lambda: RewardSuggestion.objects.create(amount=Decimal("-5.00"), **fields))
    refused(lambda: RewardSuggestion.objects.create(amount=Decimal("0.00"), **fields))
    RewardSuggestion.objects.create(amount=Decimal("10.00"), **fields)
    refused(lambda: RewardSuggestion.objects.create(amount=Decimal("11.00"), **fields))


def test_a_decided_reward_needs_a_decision_time():
    refused(
        lambda: RewardSuggestion.objects.create(
            employee=EmployeeFactory(),
            period=period("2026-01"),
            code="flex_time",
            policy_version=PolicyVersion.objects.get(),
            status="approved",
            decided_by=UserFactory(),
            created_at="2026-02-01T00:00Z",
        )
    )


def test_admin_refuses_a_reporting_cycle(client):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(admin)
    top = EmployeeFactory(employee_no="T1")
    middle = EmployeeFactory(employee_no="T2", reports_to=top)
    bottom = EmployeeFactory(employee_no="T3", reports_to=middle)
    response = client.post(
        f"/admin/roles/employee/{top.pk}/change/",
        {
            "employee_no": "T1",
            "name": top.name,
            "email": top.email,
            "role": top.role_id,
            "reports_to": bottom.pk,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    assert "cycle" in response.content.decode()
    assert Employee.objects.get(pk=top.pk).reports_to is None


def test_deleting_an_employee_removes_their_metric_values():
    value = MetricValueFactory()
    value.employee.delete()
    assert not MetricValue.objects.filter(pk=value.pk).exists()


def test_a_metric_or_period_with_values_cannot_be_deleted():
    from django.db.models import ProtectedError

    value = MetricValueFactory()
    with pytest.raises(ProtectedError):
        value.metric.delete()
    with pytest.raises(ProtectedError):
        value.period.delete()
    assert MetricValue.objects.filter(pk=value.pk).exists()


def test_deleting_the_user_who_entered_a_value_keeps_the_value():
    user = UserFactory()
    value = MetricValueFactory(entered_by=user)
    user.delete()
    value.refresh_from_db()
    assert value.entered_by_id is None
