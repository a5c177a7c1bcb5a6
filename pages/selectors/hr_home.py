"""Reads behind the HR console's overview (/hr/): the months still open, the rewards waiting for a
decision, the head count and the periods closed last."""

from __future__ import annotations

from django.db.models import Count, QuerySet

from appraisals.models import Period
from appraisals.periods import MONTH
from pages.selectors.hr_rewards import REWARD_COUNTS, reward_labels, totals_by_code
from rewards.models import RewardSuggestion
from roles.models import Employee

RECENT_CLOSED = 6


def open_months() -> list[Period]:
    """The months not closed yet, oldest first, each with how many people have figures (1 query)."""
    return list(
        Period.objects.filter(kind=MONTH)
        .exclude(status=Period.Status.CLOSED)
        .annotate(people=Count("metric_values__employee", distinct=True))
        .order_by("start")
    )


def pending_rewards_by_code() -> list[dict]:
    """Count and amount of the closed periods' rewards pending a decision, per reward (2 queries)."""
    labels = reward_labels()
    return totals_by_code(
        RewardSuggestion.objects.filter(status=RewardSuggestion.Status.PENDING, period__status=Period.Status.CLOSED)
        .order_by()
        .values("code")
        .annotate(**REWARD_COUNTS),
        labels,
    )


def active_employee_count() -> int:
    return Employee.objects.filter(is_active=True).count()


def recently_closed_periods() -> QuerySet[Period]:
    """The periods closed last, newest first (read when shown)."""
    return (
        Period.objects.filter(status=Period.Status.CLOSED)
        .select_related("closed_by")
        .order_by("-closed_at", "-end")[:RECENT_CLOSED]
    )
