"""HR's decisions on reward suggestions (POLICY.md §6): approve, reject, accept a recomputed amount.

Every write is a conditional update that claims its rows, so a decision made twice (a double
click, two HR users at once, a retried request) changes a suggestion at most once.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext

from appraisals.engine.results import RewardResult
from appraisals.models import Period, RewardRule
from notifications.models import Kind
from notifications.services import notify_employees
from rewards.models import PayrollAdjustment, PayrollLine, RewardSuggestion
from sales_perf.bulk import copy_json, copy_number, copy_text, execute, insert_rows

DECISIONS = (RewardSuggestion.Status.APPROVED, RewardSuggestion.Status.REJECTED)


class DecisionRefused(Exception):
    """A decision that must not happen; the message says why in one line."""


def _decidable(suggestion_ids: Iterable[int]):
    """The pending suggestions among ``suggestion_ids`` whose period is closed."""
    ids = sorted({int(pk) for pk in suggestion_ids})
    return RewardSuggestion.objects.filter(
        pk__in=ids, status=RewardSuggestion.Status.PENDING, period__status=Period.Status.CLOSED
    )


@dataclass(frozen=True)
class DecisionSummary:
    """What a decision on many rewards would change: per reward code, how many and how much money."""

    count: int
    by_code: list[tuple[str, int, Decimal | None]]  # (reward code, count, total money or None when non-cash)
    skipped: int

    @property
    def total(self) -> Decimal:
        return sum((amount for _code, _count, amount in self.by_code if amount is not None), Decimal("0.00"))


def rewards_decision_summary(*, suggestion_ids: Iterable[int]) -> DecisionSummary:
    """What ``rewards_decide`` would change, for HR to confirm first (1 query)."""
    ids = {int(pk) for pk in suggestion_ids}
    rows = list(_decidable(ids).values("code").annotate(count=Count("id"), total=Sum("amount")).order_by("code"))
    count = sum(row["count"] for row in rows)
    return DecisionSummary(
        count=count, by_code=[(row["code"], row["count"], row["total"]) for row in rows], skipped=len(ids) - count
    )


def rewards_decide(*, suggestion_ids: Iterable[int], decision: str, user, reason: str = "") -> int:
    """Approve or reject the pending suggestions among ``suggestion_ids`` whose period is closed;
    a rejection needs a reason, which the employee sees.

    Returns how many changed; the others (already decided, period not closed, unknown ids) are
    left alone, so the caller can report ``len(ids) - changed`` as skipped. Each decision gets a row
    in the audit trail (``RewardSuggestion.history``: who, when, what, ``reason`` saying where)."""
    if decision not in DECISIONS:
        raise DecisionRefused(gettext("unknown decision %(value)r (use approved or rejected)") % {"value": decision})
    reason = (reason or "").strip()
    if decision == RewardSuggestion.Status.REJECTED and not reason:
        raise DecisionRefused(gettext("a rejection needs a reason, which the employee will see"))
    with transaction.atomic():
        # Claimed under a row lock, so two HR users deciding at once change a suggestion once.
        chosen = list(
            _decidable(suggestion_ids).select_for_update(of=("self",)).select_related("period").order_by("pk")
        )
        if not chosen:
            return 0
        now = timezone.now()
        kept_reason = reason if decision == RewardSuggestion.Status.REJECTED else ""
        RewardSuggestion.objects.filter(pk__in=[s.pk for s in chosen]).update(
            status=decision, decided_by=user, decided_at=now, reason=kept_reason
        )
        for suggestion in chosen:
            suggestion.status, suggestion.decided_by, suggestion.decided_at = decision, user, now
            suggestion.reason = kept_reason
        _record(chosen, user=user, when=now, reason=reason or decision)
        _notify_decided(
            [(s.pk, s.employee_id, s.period.code, s.code, s.policy_version_id) for s in chosen], decision, reason
        )
    return len(chosen)


def _notify_decided(decided: list[tuple], decision: str, reason: str) -> None:
    """Tell each employee of a decision on their reward, named in both languages for their reading."""
    labels = {
        (version, code): (en, zh)
        for version, code, en, zh in RewardRule.objects.filter(
            policy_version_id__in={row[4] for row in decided}, code__in={row[3] for row in decided}
        ).values_list("policy_version_id", "code", "label_en", "label_zh")
    }
    messages = []
    for _pk, employee_id, period_code, code, version in decided:
        en, zh = labels.get((version, code), (code, code))
        params = {"reward_en": en, "reward_zh": zh, "period": period_code, "status": decision, "reason": reason}
        messages.append((employee_id, params, reverse("me")))
    notify_employees(kind=Kind.REWARD_DECIDED, messages=messages)


def rewards_undo(*, suggestion_ids: Iterable[int], user) -> int:
    """Take decisions back: approved or rejected rewards of closed periods return to pending, unless
    a payroll run holds them already (paid money is corrected by an adjustment, not by an undo).
    Returns how many changed."""
    ids = sorted({int(pk) for pk in suggestion_ids})
    if not ids:
        return 0
    with transaction.atomic():
        chosen = list(
            RewardSuggestion.objects.select_for_update(of=("self",))
            .filter(pk__in=ids, status__in=DECISIONS, period__status=Period.Status.CLOSED)
            .exclude(payroll_lines__isnull=False)
            .order_by("pk")
        )
        if not chosen:
            return 0
        RewardSuggestion.objects.filter(pk__in=[s.pk for s in chosen]).update(
            status=RewardSuggestion.Status.PENDING, decided_by=None, decided_at=None, reason=""
        )
        for suggestion in chosen:
            suggestion.status, suggestion.decided_by, suggestion.decided_at, suggestion.reason = (
                RewardSuggestion.Status.PENDING,
                None,
                None,
                "",
            )
        _record(chosen, user=user, when=timezone.now(), reason="decision undone")
    return len(chosen)


def _record(suggestions: Sequence[RewardSuggestion], *, user, when: datetime, reason: str) -> None:
    """The audit rows of decisions just written (one bulk insert)."""
    RewardSuggestion.history.bulk_history_create(
        suggestions, update=True, default_user=user, default_change_reason=reason[:100], default_date=when
    )


def reward_paid_amount(suggestion: RewardSuggestion) -> Decimal | None:
    """What payroll has been or will be told for a reward: its payment plus every adjustment (paid
    or waiting); ``None`` when it was never in a run."""
    payment = suggestion.payroll_lines.filter(kind=PayrollLine.Kind.PAYMENT).values_list("amount", flat=True).first()
    if payment is None:
        return None
    adjusted = suggestion.adjustments.aggregate(total=Sum("amount"))["total"] or Decimal("0.00")
    return payment + adjusted


def reward_accept_recomputed(*, suggestion_id: int, user) -> RewardSuggestion:
    """Take the amount a re-close computed for an already decided reward.

    Not yet paid: the suggestion gets the recomputed amount and goes back to pending for a fresh
    decision. Already in a payroll run: its paid amount never changes; the difference (new − paid,
    positive or negative) becomes an adjustment for the next run, and the reward keeps its
    decision with the new amount. A reward recomputed to 0.00 is no longer due: it cannot hold an
    amount of 0, so accepting it rejects it (and, if it was paid, adjusts by −paid). The earlier
    decision and who accepted the new amount when are kept in ``details["history"]``."""
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
        paid = reward_paid_amount(suggestion)
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
        if paid is not None:
            entry["paid"] = _text(paid)
            if recomputed != paid:
                PayrollAdjustment.objects.create(
                    reward=suggestion, amount=recomputed - paid, created_by=user, created_at=now
                )
        details = dict(suggestion.details or {})
        details["history"] = [*details.get("history", []), entry]
        suggestion.details = details
        suggestion.recomputed_amount = None
        suggestion.recomputed_at = None
        if recomputed > 0:
            suggestion.amount = recomputed
            if paid is None:
                suggestion.status = RewardSuggestion.Status.PENDING
                suggestion.decided_by = None
                suggestion.decided_at = None
                suggestion.reason = ""
        else:
            suggestion.status = RewardSuggestion.Status.REJECTED
            suggestion.decided_by = user
            suggestion.decided_at = now
            suggestion.reason = gettext("recomputed to 0.00 when its period was closed again")
        # The audit row is written below with the whole story of this step.
        suggestion.skip_history_when_saving = True
        suggestion.save(
            update_fields=[
                "amount",
                "status",
                "decided_by",
                "decided_at",
                "reason",
                "recomputed_amount",
                "recomputed_at",
                "details",
            ]
        )
        del suggestion.skip_history_when_saving
        _record(
            [suggestion],
            user=user,
            when=now,
            reason=f"recomputed amount accepted: {entry['previous_amount']} → {entry['recomputed_amount']}",
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
    "reason",
    "created_at",
)


def _suggestion_copy_line(row: Sequence) -> str:
    """A row of SUGGESTION_COLUMNS as a COPY line, formatted by column (see ``insert_rows``)."""
    employee, period, code, amount, details, version, status, reason, created = row
    return (
        f"{employee}\t{period}\t{copy_text(code)}\t{copy_number(amount)}\t{copy_json(details)}\t{version}\t"
        f"{copy_text(status)}\t{copy_text(reason)}\t{created}\n"
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
            (r.key, period_id, r.code, r.amount, dict(r.details), version_id, RewardSuggestion.Status.PENDING, "", now)
            for r in fresh
        ),
        copy_line=_suggestion_copy_line,
    )
    return len(fresh)


def suggestions_discard_pending(*, period_id: int) -> None:
    """Remove a period's undecided suggestions (one statement); decided ones stay."""
    execute(
        "DELETE FROM rewards_rewardsuggestion WHERE period_id = %s AND status = %s",
        [period_id, RewardSuggestion.Status.PENDING],
    )
