"""Reads behind the dispute pages (/disputes/…): a dispute in the viewer's scope, the list, the
closed periods and figures an employee may still question, and whether a corrected period closed
again."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q, QuerySet
from django.http import Http404

from appraisals.models import Period, PeriodEvent, RewardRule, Scorecard
from disputes.models import Dispute, DisputeEvent
from disputes.services import dispute_deadline, disputes_visible
from rewards.models import RewardSuggestion
from roles.models import Employee


def get_dispute_for_user(user, pk: int) -> Dispute:
    """A dispute the viewer may see, or 404 (out of scope is as good as not there)."""
    dispute = disputes_visible(user).filter(pk=pk).select_related("resolved_by").first()
    if dispute is None:
        raise Http404("No such dispute")
    return dispute


def disputes_listed(user, *, status: str) -> QuerySet[Dispute]:
    """The disputes the viewer may see, of ``status`` when it is one (open ones oldest first, the
    queue's order; otherwise newest first)."""
    disputes = disputes_visible(user)
    if status in Dispute.Status.values:
        disputes = disputes.filter(status=status)
    ordering = ("filed_at", "id") if status == Dispute.Status.OPEN else ("-filed_at", "-id")
    return disputes.order_by(*ordering)


def periods_open_to_dispute(employee: Employee, *, now: datetime) -> list[Period]:
    """The closed periods, newest first, in which the employee has a scorecard or a reward and whose
    window to question them is still open at ``now``."""
    return [
        period
        for period in Period.objects.filter(status=Period.Status.CLOSED)
        .filter(Q(scorecards__employee=employee) | Q(reward_suggestions__employee=employee))
        .distinct()
        .order_by("-end")
        if (deadline := dispute_deadline(period)) is not None and now <= deadline
    ]


def scorecard_of(employee: Employee, period: Period) -> Scorecard | None:
    return Scorecard.objects.filter(employee=employee, period=period).first()


def scorecard_kpi_choices(scorecard: Scorecard | None) -> list[tuple[str, str]]:
    """The KPIs of the scorecard, as choices of the dispute form."""
    return list(scorecard.kpi_scores.order_by("id").values_list("code", "code")) if scorecard else []


def reward_choices(employee: Employee, period: Period) -> list[tuple[int, str]]:
    """The employee's rewards of the period, as choices of the dispute form: label and amount."""
    return [
        (reward.pk, f"{_reward_label(reward)}{f' · {reward.amount:,.2f}' if reward.amount is not None else ''}")
        for reward in RewardSuggestion.objects.filter(employee=employee, period=period).order_by("code")
    ]


def _reward_label(reward: RewardSuggestion) -> str:
    rule = RewardRule.objects.filter(policy_version_id=reward.policy_version_id, code=reward.code).first()
    return rule.label if rule else reward.code


def reclose_after_correction(dispute: Dispute) -> PeriodEvent | None:
    """The close of the dispute's period after its figures were corrected, once it has happened."""
    corrected_at = next((event.at for event in dispute.events.all() if event.action == "corrected"), None)
    if corrected_at is None:
        return None
    return (
        PeriodEvent.objects.filter(period=dispute.period, action=PeriodEvent.Action.CLOSED, at__gt=corrected_at)
        .order_by("at")
        .first()
    )


def dispute_events(dispute: Dispute) -> QuerySet[DisputeEvent]:
    """The dispute's steps, each with who took it (read when shown)."""
    return dispute.events.select_related("actor")
