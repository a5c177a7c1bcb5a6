"""HR's decisions on reward suggestions: the services and the admin actions that call them."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period
from rewards.models import RewardSuggestion
from rewards.payroll import payroll_run_create
from rewards.services import (
    DecisionRefused,
    reward_accept_recomputed,
    rewards_decide,
    rewards_decision_summary,
    rewards_undo,
)
from tests.builders import period, reward, user

pytestmark = pytest.mark.django_db

PENDING = RewardSuggestion.Status.PENDING
APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED


def decided(suggestion: RewardSuggestion, status: str, by) -> RewardSuggestion:
    reason = "not earned" if status == REJECTED else ""
    RewardSuggestion.objects.filter(pk=suggestion.pk).update(
        status=status, decided_by=by, decided_at=timezone.now(), reason=reason
    )
    suggestion.refresh_from_db()
    return suggestion


def test_approve_sets_status_and_who_and_when():
    hr = user()
    suggestion = reward()
    before = timezone.now()

    changed = rewards_decide(suggestion_ids=[suggestion.pk], decision=APPROVED, user=hr)

    suggestion.refresh_from_db()
    assert changed == 1
    assert suggestion.status == APPROVED
    assert suggestion.decided_by == hr
    assert suggestion.decided_at >= before


def test_reject_sets_status_rejected_with_the_reason_the_employee_will_see():
    hr = user()
    suggestion = reward()

    assert rewards_decide(suggestion_ids=[suggestion.pk], decision=REJECTED, user=hr, reason=" target was wrong ") == 1

    suggestion.refresh_from_db()
    assert (suggestion.status, suggestion.decided_by, suggestion.reason) == (REJECTED, hr, "target was wrong")


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_rejection_without_a_reason_is_refused(reason):
    suggestion = reward()

    with pytest.raises(DecisionRefused, match="a rejection needs a reason"):
        rewards_decide(suggestion_ids=[suggestion.pk], decision=REJECTED, user=user(), reason=reason)

    suggestion.refresh_from_db()
    assert suggestion.status == PENDING


def test_the_database_refuses_a_rejection_without_a_reason():
    suggestion = reward()
    with pytest.raises(IntegrityError), transaction.atomic():
        RewardSuggestion.objects.filter(pk=suggestion.pk).update(status=REJECTED, decided_at=timezone.now())


def test_a_decision_can_be_undone_back_to_pending():
    hr = user()
    approved = decided(reward(), APPROVED, hr)
    rejected = decided(reward(code="quarterly_bonus"), REJECTED, hr)

    assert rewards_undo(suggestion_ids=[approved.pk, rejected.pk], user=hr) == 2

    for suggestion in (approved, rejected):
        suggestion.refresh_from_db()
        assert (suggestion.status, suggestion.decided_by, suggestion.decided_at, suggestion.reason) == (
            PENDING,
            None,
            None,
            "",
        )


def test_a_decision_cannot_be_undone_once_the_reward_is_in_a_payroll_run():
    hr = user()
    paid = decided(reward(amount="2800.00"), APPROVED, hr)
    payroll_run_create(user=hr)

    assert rewards_undo(suggestion_ids=[paid.pk], user=hr) == 0

    paid.refresh_from_db()
    assert paid.status == APPROVED


def test_the_summary_before_a_bulk_decision_counts_and_sums_per_reward():
    hr = user()
    pending = [reward(amount="100.00"), reward(amount="250.50"), reward(code="flex_time", amount=None)]
    already = decided(reward(amount="999.00"), APPROVED, hr)

    summary = rewards_decision_summary(suggestion_ids=[r.pk for r in pending] + [already.pk])

    assert summary.count == 3 and summary.skipped == 1
    assert summary.by_code == [("commission", 2, Decimal("350.50")), ("flex_time", 1, None)]
    assert summary.total == Decimal("350.50")


def test_a_decided_reward_is_not_decided_again():
    first, second = user(), user()
    suggestion = reward()
    rewards_decide(suggestion_ids=[suggestion.pk], decision=APPROVED, user=first)
    suggestion.refresh_from_db()
    decided_at = suggestion.decided_at

    changed = rewards_decide(suggestion_ids=[suggestion.pk], decision=REJECTED, user=second, reason="no")

    suggestion.refresh_from_db()
    assert changed == 0
    assert (suggestion.status, suggestion.decided_by, suggestion.decided_at) == (APPROVED, first, decided_at)


@pytest.mark.parametrize("status", [Period.Status.OPEN, Period.Status.CLOSING])
def test_a_reward_of_a_period_that_is_not_closed_is_not_decided(status):
    suggestion = reward(period=period("2026-02", status=status))

    assert rewards_decide(suggestion_ids=[suggestion.pk], decision=APPROVED, user=user()) == 0

    suggestion.refresh_from_db()
    assert suggestion.status == PENDING and suggestion.decided_by is None and suggestion.decided_at is None


def test_bulk_decision_counts_only_the_rewards_it_changed():
    hr = user()
    pending = [reward(), reward(code="flex_time", amount=None)]
    already = decided(reward(), REJECTED, hr)
    in_open_period = reward(period=period("2026-02", status=Period.Status.OPEN))
    ids = [r.pk for r in pending] + [already.pk, in_open_period.pk, 999999]

    changed = rewards_decide(suggestion_ids=ids, decision=APPROVED, user=hr)

    assert changed == 2
    statuses = dict(RewardSuggestion.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in pending] == [APPROVED, APPROVED]
    assert statuses[already.pk] == REJECTED
    assert statuses[in_open_period.pk] == PENDING


def test_an_unknown_decision_is_refused():
    suggestion = reward()
    with pytest.raises(DecisionRefused, match="unknown decision"):
        rewards_decide(suggestion_ids=[suggestion.pk], decision="pending", user=user())
    suggestion.refresh_from_db()
    assert suggestion.status == PENDING


def test_accepting_a_recomputed_amount_takes_it_and_asks_for_a_fresh_decision():
    approver, accepter = user("approver"), user("accepter")
    suggestion = decided(reward(amount="2800.00"), APPROVED, approver)
    RewardSuggestion.objects.filter(pk=suggestion.pk).update(
        recomputed_amount=Decimal("3100.00"), recomputed_at=timezone.now()
    )

    result = reward_accept_recomputed(suggestion_id=suggestion.pk, user=accepter)

    suggestion.refresh_from_db()
    assert result.pk == suggestion.pk
    assert suggestion.amount == Decimal("3100.00")
    assert suggestion.recomputed_amount is None and suggestion.recomputed_at is None
    assert suggestion.status == PENDING and suggestion.decided_by is None
    [entry] = suggestion.details["history"]
    assert entry["by"] == "accepter"
    assert entry["previous_amount"] == "2800.00"
    assert entry["previous_status"] == APPROVED
    assert entry["previous_decided_by"] == "approver"
    assert entry["at"]


def test_accepting_a_recomputed_zero_rejects_the_reward():
    hr = user()
    suggestion = decided(reward(amount="2800.00"), APPROVED, hr)
    RewardSuggestion.objects.filter(pk=suggestion.pk).update(
        recomputed_amount=Decimal("0"), recomputed_at=timezone.now()
    )

    reward_accept_recomputed(suggestion_id=suggestion.pk, user=hr)

    suggestion.refresh_from_db()
    assert suggestion.status == REJECTED
    assert suggestion.amount == Decimal("2800.00")
    assert suggestion.recomputed_amount is None
    assert suggestion.details["history"][0]["recomputed_amount"] == "0.00"


def test_accepting_without_a_recomputed_amount_is_refused():
    suggestion = reward()
    with pytest.raises(DecisionRefused, match="no recomputed amount"):
        reward_accept_recomputed(suggestion_id=suggestion.pk, user=user())


def test_accepting_in_a_reopened_period_is_refused():
    suggestion = reward(period=period("2026-03", status=Period.Status.OPEN), recomputed_amount=Decimal("10.00"))
    with pytest.raises(DecisionRefused, match="2026-03 is not closed"):
        reward_accept_recomputed(suggestion_id=suggestion.pk, user=user())
    suggestion.refresh_from_db()
    assert suggestion.amount == Decimal("2800.00")


def _admin_action(client, action: str, ids: list[int]):
    url = reverse("admin:rewards_rewardsuggestion_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in ids]}, follow=True)


def test_admin_approve_action_approves_pending_rewards(admin_client, admin_user):
    suggestions = [reward(), reward()]

    response = _admin_action(admin_client, "approve_selected", [r.pk for r in suggestions])

    assert response.status_code == 200
    assert "2 rewards decided." in response.content.decode()
    for suggestion in suggestions:
        suggestion.refresh_from_db()
        assert (suggestion.status, suggestion.decided_by) == (APPROVED, admin_user)


def test_admin_approve_action_skips_decided_rewards(admin_client, admin_user):
    pending = reward()
    rejected = decided(reward(), REJECTED, admin_user)

    response = _admin_action(admin_client, "approve_selected", [pending.pk, rejected.pk])

    content = response.content.decode()
    assert "1 reward decided." in content and "1 skipped" in content
    assert dict(RewardSuggestion.objects.values_list("pk", "status")) == {pending.pk: APPROVED, rejected.pk: REJECTED}


def test_the_admin_has_no_reject_action_since_a_rejection_needs_a_reason(admin_client):
    reward()
    response = admin_client.get(reverse("admin:rewards_rewardsuggestion_changelist"))

    actions = [value for value, _label in response.context["action_form"].fields["action"].choices]
    assert "approve_selected" in actions and "reject_selected" not in actions
