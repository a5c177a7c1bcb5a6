"""HR console: the rewards of closed periods and HR's decisions on them (/hr/rewards/).

Every view is an ``hr_view`` (logged in, HR only); the services do the work and
their refusals (``DecisionRefused``) are shown to HR as they are.
Only closed periods' rewards are listed: a closing period holds partial results.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisals.models import Period, RewardRule
from pages.forms.hr_rewards import RewardDecisionForm, RewardFilterForm
from pages.selectors.hr_rewards import REWARD_COUNTS, reward_labels, totals_by_code
from pages.views.decorators import hr_view
from pages.views.responses import back_url
from rewards.models import PayrollLine, RewardSuggestion
from rewards.services import (
    DecisionRefused,
    reward_accept_recomputed,
    rewards_decide,
    rewards_decision_summary,
    rewards_undo,
)

REWARDS_PER_PAGE = 100


def _context(section: str, **values) -> dict:
    return {"hr_section": section, **values}


# --- rewards ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RewardRow:
    suggestion: RewardSuggestion
    label: str
    difference: str  # the recomputed amount minus the amount, signed; empty when none
    accepted: dict | None  # the last "recomputed amount accepted" entry of its history
    paid_run: int | None  # the payroll run that paid it


def get_suggestion_for_hr(pk: int) -> RewardSuggestion:
    """A reward of a closed period, or 404 (others hold no final results and are never shown)."""
    return get_object_or_404(RewardSuggestion, pk=pk, period__status=Period.Status.CLOSED)


@hr_view("GET")
def rewards(request):
    """Rewards of closed periods, filtered, with totals per type over the whole filtered set."""
    labels = reward_labels()
    closed = list(
        Period.objects.filter(status=Period.Status.CLOSED).order_by("-end", "start").values_list("code", flat=True)
    )
    form = RewardFilterForm(request.GET or None, periods=closed, rewards=labels)
    filters = form.filters() if form.is_bound else {}
    listed = RewardSuggestion.objects.filter(period__status=Period.Status.CLOSED)
    if "period" in filters:
        listed = listed.filter(period__code=filters["period"])
    if "code" in filters:
        listed = listed.filter(code=filters["code"])
    if "status" in filters:
        listed = listed.filter(status=filters["status"])
    rows = RewardsByPeriod(listed)
    totals = totals_by_code(rows.counts_by_code(), labels)
    page = Paginator(rows, REWARDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "hr/rewards.html",
        _context(
            "rewards",
            form=form,
            page=page,
            rows=_reward_rows(list(page)),
            totals=totals,
            total_count=sum(row["n"] for row in totals),
            total_amount=sum((row["total"] or Decimal("0") for row in totals), Decimal("0")),
            here=request.get_full_path(),
        ),
    )


class RewardsByPeriod:
    """The filtered rewards of closed periods as the list shows them (newest period first, then by
    employee number and reward), for Django's Paginator: ``len()`` and slices.

    One aggregate per (period, reward kind) gives the page count and the totals; a page then reads
    only the periods it spans, each in employee-number order straight from the indexes, so a page
    costs the same whether the periods hold a hundred rewards or a million."""

    def __init__(self, suggestions: QuerySet) -> None:
        self.suggestions = suggestions
        rows = list(suggestions.order_by().values("period_id", "code").annotate(**REWARD_COUNTS))
        self._by_code = rows
        sizes: dict[int, int] = {}
        for row in rows:
            sizes[row["period_id"]] = sizes.get(row["period_id"], 0) + row["n"]
        order = Period.objects.filter(pk__in=sizes).order_by("-end", "start", "pk").values_list("pk", flat=True)
        self._periods = [(pk, sizes[pk]) for pk in order]

    def counts_by_code(self) -> list[dict]:
        """Count and amount per reward kind over every period (from the same aggregate)."""
        merged: dict[str, dict] = {}
        for row in self._by_code:
            entry = merged.setdefault(row["code"], {"code": row["code"], "n": 0, "total": None})
            entry["n"] += row["n"]
            if row["total"] is not None:
                entry["total"] = (entry["total"] or Decimal("0")) + row["total"]
        return list(merged.values())

    def __len__(self) -> int:
        return sum(size for _pk, size in self._periods)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else len(self)
        found: list[RewardSuggestion] = []
        offset = 0
        for period_id, size in self._periods:
            if offset + size > start and offset < stop:
                first = max(start - offset, 0)
                last = min(stop - offset, size)
                found += list(
                    self.suggestions.filter(period_id=period_id)
                    .select_related("employee", "period", "decided_by")
                    .order_by("employee__employee_no", "code")[first:last]
                )
            offset += size
            if offset >= stop:
                break
        return found


def _reward_rows(suggestions: list[RewardSuggestion]) -> list[RewardRow]:
    """Each row with its label from the reward rule of the version that made it, and the run that paid
    it (2 queries)."""
    versions = {s.policy_version_id for s in suggestions}
    rules = RewardRule.objects.filter(policy_version_id__in=versions).only(
        "policy_version_id", "code", "label_en", "label_zh"
    )
    labels = {(rule.policy_version_id, rule.code): rule.label for rule in rules} if versions else {}
    paid = dict(
        PayrollLine.objects.filter(reward__in=suggestions, kind=PayrollLine.Kind.PAYMENT).values_list(
            "reward_id", "run_id"
        )
    )
    rows = []
    for s in suggestions:
        difference = s.difference
        history = [entry for entry in (s.details or {}).get("history", []) if entry.get("action")]
        rows.append(
            RewardRow(
                suggestion=s,
                label=labels.get((s.policy_version_id, s.code), s.code),
                difference="" if difference is None else f"{difference:+,.2f}",
                accepted=history[-1] if history else None,
                paid_run=paid.get(s.pk),
            )
        )
    return rows


@hr_view("POST")
def rewards_decide_view(request):
    """Approve, reject or undo the ticked rewards (or one row's). A rejection needs a reason and a
    decision on several rewards is confirmed first, on a page that shows how many and how much
    money per reward kind it changes; decided ones, paid ones (undo) and open periods are skipped."""
    back = back_url(request, reverse("hr:rewards"))
    form = RewardDecisionForm(request.POST)
    if not form.is_valid():
        for error in form.non_field_errors() or [_("Pick rewards from the list.")]:
            messages.error(request, error)
        return redirect(back)
    ids, decision, reason = form.cleaned_data["ids"], form.cleaned_data["decision"], form.cleaned_data["reason"]
    if form.needs_confirmation:
        return _decision_confirmation(request, form, back)
    try:
        if decision == RewardDecisionForm.UNDO:
            changed = rewards_undo(suggestion_ids=ids, user=request.user)
        else:
            changed = rewards_decide(suggestion_ids=ids, decision=decision, user=request.user, reason=reason)
    except DecisionRefused as exc:
        messages.error(request, str(exc))
        return redirect(back)
    texts = {
        RewardSuggestion.Status.APPROVED: ngettext(
            "%(count)d reward approved.", "%(count)d rewards approved.", changed
        ),
        RewardSuggestion.Status.REJECTED: ngettext(
            "%(count)d reward rejected.", "%(count)d rewards rejected.", changed
        ),
        RewardDecisionForm.UNDO: ngettext(
            "%(count)d decision taken back: the reward is pending again.",
            "%(count)d decisions taken back: the rewards are pending again.",
            changed,
        ),
    }
    messages.success(request, texts[decision] % {"count": changed})
    skipped = len(ids) - changed
    if skipped:
        if decision == RewardDecisionForm.UNDO:
            text = ngettext(
                "%(count)d skipped: not decided, or already in a payroll run.",
                "%(count)d skipped: not decided, or already in a payroll run.",
                skipped,
            )
        else:
            text = ngettext(
                "%(count)d skipped: already decided, or its period is not closed.",
                "%(count)d skipped: already decided, or their period is not closed.",
                skipped,
            )
        messages.warning(request, text % {"count": skipped})
    return redirect(back)


def _decision_confirmation(request, form: RewardDecisionForm, back: str):
    """The page between a decision and its effect: what it changes, and the reason field of a rejection."""
    summary = rewards_decision_summary(suggestion_ids=form.cleaned_data["ids"])
    labels = reward_labels()
    rejecting = form.cleaned_data["decision"] == RewardSuggestion.Status.REJECTED
    if rejecting and not form.cleaned_data["reason"] and request.POST.get("confirm"):
        form.add_error("reason", _("A rejection needs a reason: the employee sees it."))
    return render(
        request,
        "hr/rewards_confirm.html",
        _context(
            "rewards",
            form=form,
            decision=form.cleaned_data["decision"],
            ids=form.cleaned_data["ids"],
            summary=summary,
            lines=[(labels.get(code, code), count, total) for code, count, total in summary.by_code],
            back=back,
        ),
    )


@hr_view("POST")
def reward_accept_recomputed_view(request, pk: int):
    """Take a re-close's amount for a decided reward; it goes back to pending for a fresh decision."""
    suggestion = get_suggestion_for_hr(pk)
    back = back_url(request, reverse("hr:rewards"))
    try:
        suggestion = reward_accept_recomputed(suggestion_id=suggestion.pk, user=request.user)
    except DecisionRefused as exc:
        messages.error(request, str(exc))
        return redirect(back)
    if suggestion.status == RewardSuggestion.Status.PENDING:
        messages.success(
            request,
            _("The recomputed amount %(amount)s is taken; the reward is pending a new decision.")
            % {"amount": f"{suggestion.amount:,.2f}"},
        )
    else:
        messages.success(request, _("The reward was recomputed to 0.00 and is now rejected (not paid)."))
    return redirect(back)
