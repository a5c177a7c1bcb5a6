"""HR console: the rewards of closed periods and HR's decisions on them (/hr/rewards/).

Every view is an ``hr_view`` (logged in, HR only); the services do the work and
their refusals (``DecisionRefused``) are shown to HR as they are.
Only closed periods' rewards are listed: a closing period holds partial results.
"""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from pages.forms.hr_rewards import RewardDecisionForm, RewardFilterForm
from pages.selectors.hr_rewards import (
    closed_period_codes,
    get_suggestion_for_hr,
    reward_labels,
    reward_rows,
    rewards_of_closed_periods,
    totals_by_code,
)
from pages.views.decorators import hr_view
from pages.views.responses import back_url
from rewards.models import RewardSuggestion
from rewards.services import (
    DecisionRefused,
    reward_accept_recomputed,
    rewards_decide,
    rewards_decision_summary,
    rewards_undo,
)

REWARDS_PER_PAGE = 100


@hr_view("GET")
def rewards(request):
    """Rewards of closed periods, filtered, with totals per type over the whole filtered set."""
    labels = reward_labels()
    form = RewardFilterForm(request.GET or None, periods=closed_period_codes(), rewards=labels)
    filters = form.filters() if form.is_bound else {}
    rows = rewards_of_closed_periods(**filters)
    totals = totals_by_code(rows.counts_by_code(), labels)
    page = Paginator(rows, REWARDS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "hr/rewards.html",
        {
            "hr_section": "rewards",
            "form": form,
            "page": page,
            "rows": reward_rows(list(page)),
            "totals": totals,
            "total_count": sum(row["n"] for row in totals),
            "total_amount": sum((row["total"] or Decimal("0") for row in totals), Decimal("0")),
            "here": request.get_full_path(),
        },
    )


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
        {
            "hr_section": "rewards",
            "form": form,
            "decision": form.cleaned_data["decision"],
            "ids": form.cleaned_data["ids"],
            "summary": summary,
            "lines": [(labels.get(code, code), count, total) for code, count, total in summary.by_code],
            "back": back,
        },
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
