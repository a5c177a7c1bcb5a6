"""HR's decisions on reward suggestions (POLICY.md §6): approve, reject, accept a recomputed amount.

Every write is a conditional update that claims its rows, so a decision made twice (a double
click, two HR users at once, a retried request) changes a suggestion at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext

from appraisals.models import Period
from appraisals.scoring import RewardResult
from rewards.models import RewardSuggestion
from sales_perf.bulk import execute, insert_rows

DECISIONS = (RewardSuggestion.Status.APPROVED, RewardSuggestion.Status.REJECTED)


class DecisionRefused(Exception):
    """A decision that must not happen; the message says why in one line."""


def rewards_decide(*, suggestion_ids: Iterable[int], decision: str, user) -> int:
    """Approve or reject the pending suggestions among ``suggestion_ids`` whose period is closed.

    Returns how many changed; the others (already decided, period not closed, unknown ids) are
    left alone, so the caller can report ``len(ids) - changed`` as skipped."""
    if decision not in DECISIONS:
        raise DecisionRefused(gettext("unknown decision %(value)r (use approved or rejected)") % {"value": decision})
    ids = sorted({int(pk) for pk in suggestion_ids})
    if not ids:
        return 0
    return RewardSuggestion.objects.filter(
        pk__in=ids,
        status=RewardSuggestion.Status.PENDING,
        period__status=Period.Status.CLOSED,
    ).update(status=decision, decided_by=user, decided_at=timezone.now())


def reward_accept_recomputed(*, suggestion_id: int, user) -> RewardSuggestion:
    """Take the amount a re-close computed for an already decided reward.

    The suggestion gets the recomputed amount and goes back to pending for a fresh decision;
    the earlier decision (who, when, what amount) and who accepted the new amount when are
    kept in ``details["history"]``. A reward recomputed to 0.00 is no longer due: it cannot
    hold an amount of 0, so accepting it rejects it instead (not paid)."""
    with transaction.atomic():
        suggestion = (
            RewardSuggestion.objects.select_for_update(of=("self",))
            .select_related("period", "decided_by")
            .filter(pk=suggestion_id)
            .first()
        )
        if suggestion is None:
            raise DecisionRefused(gettext("no such reward suggestion"))
        if suggestion.recomputed_amount is None:
            raise DecisionRefused(gettext("this reward has no recomputed amount to accept"))
        if suggestion.period.status != Period.Status.CLOSED:
            raise DecisionRefused(gettext("%(code)s is not closed") % {"code": suggestion.period.code})
        now = timezone.now()
        recomputed = suggestion.recomputed_amount
        entry = {
            "action": "recomputed_accepted",
            "by": user.get_username() if user is not None else "",
            "at": now.isoformat(),
            "previous_amount": _text(suggestion.amount),
            "recomputed_amount": _text(recomputed),
            "previous_status": suggestion.status,
            "previous_decided_by": suggestion.decided_by.get_username() if suggestion.decided_by else "",
            "previous_decided_at": suggestion.decided_at.isoformat() if suggestion.decided_at else "",
        }
        details = dict(suggestion.details or {})
        details["history"] = [*details.get("history", []), entry]
        suggestion.details = details
        suggestion.recomputed_amount = None
        suggestion.recomputed_at = None
        if recomputed > 0:
            suggestion.amount = recomputed
            suggestion.status = RewardSuggestion.Status.PENDING
            suggestion.decided_by = None
            suggestion.decided_at = None
        else:
            suggestion.status = RewardSuggestion.Status.REJECTED
            suggestion.decided_by = user
            suggestion.decided_at = now
        suggestion.save(
            update_fields=[
                "amount",
                "status",
                "decided_by",
                "decided_at",
                "recomputed_amount",
                "recomputed_at",
                "details",
            ]
        )
    return suggestion


def _text(amount: Decimal | None) -> str:
    return "" if amount is None else format(amount.quantize(Decimal("0.01")), "f")


# ---------------------------------------------------------------------------------------------
# suggestions_write / suggestions_discard_pending: a close's reward suggestions
# ---------------------------------------------------------------------------------------------

SUGGESTION_COLUMNS = (
    "employee_id",
    "period_id",
    "code",
    "amount",
    "details",
    "policy_version_id",
    "status",
    "created_at",
)


def suggestions_write(
    *,
    period_id: int,
    version_id: int,
    employee_ids: Sequence[int],
    rewards: Sequence[RewardResult],
    now: datetime,
) -> int:
    """Insert a close's new suggestions for ``employee_ids``; returns how many were inserted.

    A reward HR already decided is kept as it is, and a different amount is only recorded beside
    it (``recomputed_amount``, 0.00 when the close no longer suggests it) for HR to see."""
    decided = {
        (s.employee_id, s.code): s
        for s in RewardSuggestion.objects.filter(period_id=period_id, employee_id__in=employee_ids).exclude(
            status=RewardSuggestion.Status.PENDING
        )
    }
    fresh = []
    changed = []
    seen = set()
    for reward in rewards:
        key = (reward.key, reward.code)
        seen.add(key)
        existing = decided.get(key)
        if existing is None:
            fresh.append(reward)
            continue
        recomputed = reward.amount if reward.amount != existing.amount else None
        if existing.recomputed_amount != recomputed:
            existing.recomputed_amount = recomputed
            existing.recomputed_at = now
            changed.append(existing)
    for key, existing in decided.items():
        if key not in seen and existing.amount is not None and existing.recomputed_amount != 0:
            existing.recomputed_amount = 0
            existing.recomputed_at = now
            changed.append(existing)
    if changed:
        RewardSuggestion.objects.bulk_update(changed, ["recomputed_amount", "recomputed_at"], batch_size=2000)
    insert_rows(
        RewardSuggestion,
        SUGGESTION_COLUMNS,
        (
            (r.key, period_id, r.code, r.amount, dict(r.details), version_id, RewardSuggestion.Status.PENDING, now)
            for r in fresh
        ),
    )
    return len(fresh)


def suggestions_discard_pending(*, period_id: int) -> None:
    """Remove a period's undecided suggestions (one statement); decided ones stay."""
    execute(
        "DELETE FROM rewards_rewardsuggestion WHERE period_id = %s AND status = %s",
        [period_id, RewardSuggestion.Status.PENDING],
    )
