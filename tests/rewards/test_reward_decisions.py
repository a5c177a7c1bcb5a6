"""HR's decisions on reward suggestions: the services and the admin actions that call them."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from appraisals.models import Period, PolicyVersion
from rewards.models import RewardSuggestion
from rewards.services import DecisionRefused, reward_accept_recomputed, rewards_decide
from tests.factories import EmployeeFactory, UserFactory, period

pytestmark = pytest.mark.django_db

PENDING = RewardSuggestion.Status.PENDING
APPROVED = RewardSuggestion.Status.APPROVED
REJECTED = RewardSuggestion.Status.REJECTED


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    # UserFactory hashes a password per user; the default hasher is slow on purpose.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def suggestion(*, code="2026-01", period_status=Period.Status.CLOSED, reward="commission", amount="2800.00", **fields):
    return RewardSuggestion.objects.create(
        employee=fields.pop("employee", None) or EmployeeFactory(),
        period=period(code, status=period_status),
        code=reward,
        amount=None if amount is None else Decimal(amount),
        policy_version=PolicyVersion.objects.get(effective_from=date(2000, 1, 1)),
        created_at=timezone.now(),
        **fields,
    )


def decided(reward: RewardSuggestion, status: str, user) -> RewardSuggestion:
    RewardSuggestion.objects.filter(pk=reward.pk).update(status=status, decided_by=user, decided_at=timezone.now())
    reward.refresh_from_db()
    return reward


def test_approve_sets_status_and_who_and_when():
    hr = UserFactory()
    reward = suggestion()
    before = timezone.now()

    changed = rewards_decide(suggestion_ids=[reward.pk], decision=APPROVED, user=hr)

    reward.refresh_from_db()
    assert changed == 1
    assert reward.status == APPROVED
    assert reward.decided_by == hr
    assert reward.decided_at >= before


def test_reject_sets_status_rejected():
    hr = UserFactory()
    reward = suggestion()

    assert rewards_decide(suggestion_ids=[reward.pk], decision=REJECTED, user=hr) == 1

    reward.refresh_from_db()
    assert (reward.status, reward.decided_by) == (REJECTED, hr)


def test_a_decided_reward_is_not_decided_again():
    first, second = UserFactory(), UserFactory()
    reward = suggestion()
    rewards_decide(suggestion_ids=[reward.pk], decision=APPROVED, user=first)
    reward.refresh_from_db()
    decided_at = reward.decided_at

    changed = rewards_decide(suggestion_ids=[reward.pk], decision=REJECTED, user=second)

    reward.refresh_from_db()
    assert changed == 0
    assert (reward.status, reward.decided_by, reward.decided_at) == (APPROVED, first, decided_at)


@pytest.mark.parametrize("status", [Period.Status.OPEN, Period.Status.CLOSING])
def test_a_reward_of_a_period_that_is_not_closed_is_not_decided(status):
    reward = suggestion(code="2026-02", period_status=status)

    assert rewards_decide(suggestion_ids=[reward.pk], decision=APPROVED, user=UserFactory()) == 0

    reward.refresh_from_db()
    assert reward.status == PENDING and reward.decided_by is None and reward.decided_at is None


def test_bulk_decision_counts_only_the_rewards_it_changed():
    hr = UserFactory()
    pending = [suggestion(reward="commission"), suggestion(reward="flex_time", amount=None)]
    already = decided(suggestion(reward="commission"), REJECTED, hr)
    in_open_period = suggestion(code="2026-02", period_status=Period.Status.OPEN)
    ids = [r.pk for r in pending] + [already.pk, in_open_period.pk, 999999]

    changed = rewards_decide(suggestion_ids=ids, decision=APPROVED, user=hr)

    assert changed == 2
    statuses = dict(RewardSuggestion.objects.values_list("pk", "status"))
    assert [statuses[r.pk] for r in pending] == [APPROVED, APPROVED]
    assert statuses[already.pk] == REJECTED
    assert statuses[in_open_period.pk] == PENDING


def test_an_unknown_decision_is_refused():
    reward = suggestion()
    with pytest.raises(DecisionRefused, match="unknown decision"):
        rewards_decide(suggestion_ids=[reward.pk], decision="pending", user=UserFactory())
    reward.refresh_from_db()
    assert reward.status == PENDING


def test_accepting_a_recomputed_amount_takes_it_and_asks_for_a_fresh_decision():
    approver, accepter = UserFactory(username="approver"), UserFactory(username="accepter")
    reward = decided(suggestion(amount="2800.00"), APPROVED, approver)
    RewardSuggestion.objects.filter(pk=reward.pk).update(
        recomputed_amount=Decimal("3100.00"), recomputed_at=timezone.now()
    )

    result = reward_accept_recomputed(suggestion_id=reward.pk, user=accepter)

    reward.refresh_from_db()
    assert result.pk == reward.pk
    assert reward.amount == Decimal("3100.00")
    assert reward.recomputed_amount is None and reward.recomputed_at is None
    assert reward.status == PENDING and reward.decided_by is None
    [entry] = reward.details["history"]
    assert entry["by"] == "accepter"
    assert entry["previous_amount"] == "2800.00"
    assert entry["previous_status"] == APPROVED
    assert entry["previous_decided_by"] == "approver"
    assert entry["at"]


def test_accepting_a_recomputed_zero_rejects_the_reward():
    hr = UserFactory()
    reward = decided(suggestion(amount="2800.00"), APPROVED, hr)
    RewardSuggestion.objects.filter(pk=reward.pk).update(recomputed_amount=Decimal("0"), recomputed_at=timezone.now())

    reward_accept_recomputed(suggestion_id=reward.pk, user=hr)

    reward.refresh_from_db()
    assert reward.status == REJECTED
    assert reward.amount == Decimal("2800.00")
    assert reward.recomputed_amount is None
    assert reward.details["history"][0]["recomputed_amount"] == "0.00"


def test_accepting_without_a_recomputed_amount_is_refused():
    reward = suggestion()
    with pytest.raises(DecisionRefused, match="no recomputed amount"):
        reward_accept_recomputed(suggestion_id=reward.pk, user=UserFactory())


def test_accepting_in_a_reopened_period_is_refused():
    reward = suggestion(code="2026-03", period_status=Period.Status.OPEN, recomputed_amount=Decimal("10.00"))
    with pytest.raises(DecisionRefused, match="2026-03 is not closed"):
        reward_accept_recomputed(suggestion_id=reward.pk, user=UserFactory())
    reward.refresh_from_db()
    assert reward.amount == Decimal("2800.00")


def _admin_action(client, action: str, ids: list[int]):
    url = reverse("admin:rewards_rewardsuggestion_changelist")
    return client.post(url, {"action": action, "_selected_action": [str(pk) for pk in ids]}, follow=True)


def test_admin_approve_action_approves_pending_rewards(admin_client, admin_user):
    rewards = [suggestion(), suggestion()]

    response = _admin_action(admin_client, "approve_selected", [r.pk for r in rewards])

    assert response.status_code == 200
    assert "2 rewards decided." in response.content.decode()
    for reward in rewards:
        reward.refresh_from_db()
        assert (reward.status, reward.decided_by) == (APPROVED, admin_user)


def test_admin_reject_action_skips_decided_rewards(admin_client, admin_user):
    pending = suggestion()
    approved = decided(suggestion(), APPROVED, admin_user)

    response = _admin_action(admin_client, "reject_selected", [pending.pk, approved.pk])

    content = response.content.decode()
    assert "1 reward decided." in content and "1 skipped" in content
    assert dict(RewardSuggestion.objects.values_list("pk", "status")) == {pending.pk: REJECTED, approved.pk: APPROVED}
