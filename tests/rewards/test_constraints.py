"""What must never be stored about a reward suggestion is refused by the database itself."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction

from appraisals.models import PolicyVersion
from rewards.models import RewardSuggestion
from tests.builders import employee, period, user

pytestmark = pytest.mark.django_db


def test_reward_amounts_must_be_positive_and_unique_per_period_and_code():
    fields = {
        "employee": employee(),
        "period": period("2026-01"),
        "code": "commission",
        "policy_version": PolicyVersion.objects.get(),
        "created_at": "2026-02-01T00:00Z",
    }
    with pytest.raises(IntegrityError), transaction.atomic():
        RewardSuggestion.objects.create(amount=Decimal("-5.00"), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        RewardSuggestion.objects.create(amount=Decimal("0.00"), **fields)
    RewardSuggestion.objects.create(amount=Decimal("10.00"), **fields)
    with pytest.raises(IntegrityError), transaction.atomic():
        RewardSuggestion.objects.create(amount=Decimal("11.00"), **fields)


def test_a_decided_reward_needs_a_decision_time():
    with pytest.raises(IntegrityError), transaction.atomic():
        RewardSuggestion.objects.create(
            employee=employee(),
            period=period("2026-01"),
            code="flex_time",
            policy_version=PolicyVersion.objects.get(),
            status="approved",
            decided_by=user(),
            created_at="2026-02-01T00:00Z",
        )
