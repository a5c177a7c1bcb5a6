"""Disputes (POLICY.md §8): an employee questions a figure of theirs; their supervisor line and HR see
it; HR answers. Every dispute page goes through ``get_dispute_for_user``: out of scope is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from appraisals.models import Period, PeriodEvent, RewardRule, Scorecard
from closing.tasks import close_due_enqueue
from disputes.models import Dispute
from disputes.services import (
    Correction,
    DisputeRefused,
    dispute_accept,
    dispute_age_days,
    dispute_deadline,
    dispute_file,
    dispute_rates,
    dispute_reject,
    disputes_visible,
    kpi_metrics,
)
from notifications.tasks import send_notification_emails
from pages.forms.disputes import AcceptDisputeForm, CorrectionFormSet, DisputeForm, RejectDisputeForm
from pages.views.decorators import hr_view, view_for
from rewards.models import RewardSuggestion
from roles.access import HR, LEAD, REP, audience, require_audience, viewer_employee

DISPUTES_PER_PAGE = 50


def get_dispute_for_user(user, pk: int) -> Dispute:
    dispute = disputes_visible(user).filter(pk=pk).select_related("resolved_by").first()
    if dispute is None:
        raise Http404("No such dispute")
    return dispute


@login_required
@require_GET
@never_cache
def dispute_list(request):
    """A person's own disputes; a lead's unit's; HR's queue with ages and the dispute rate per period."""
    kind = require_audience(request.user, HR, LEAD, REP)
    disputes = disputes_visible(request.user)
    status = request.GET.get("status", "open" if kind == HR else "")
    if status in Dispute.Status.values:
        disputes = disputes.filter(status=status)
    ordering = ("filed_at", "id") if status == Dispute.Status.OPEN else ("-filed_at", "-id")
    page = Paginator(disputes.order_by(*ordering), DISPUTES_PER_PAGE).get_page(request.GET.get("page"))
    today = timezone.localdate()
    return render(
        request,
        "disputes/list.html",
        {
            "page": page,
            "rows": [(dispute, dispute_age_days(dispute, today)) for dispute in page],
            "status": status,
            "statuses": Dispute.Status.choices,
            "rates": dispute_rates() if kind == HR else [],
            "is_hr": kind == HR,
            "hr_section": "disputes",
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def dispute_new(request):
    """The employee's own form: first the closed period, then what they question and why."""
    employee = viewer_employee(request.user)
    if employee is None or not employee.is_active:
        raise PermissionDenied
    now = timezone.now()
    open_to_dispute = [
        period
        for period in Period.objects.filter(status=Period.Status.CLOSED)
        .filter(Q(scorecards__employee=employee) | Q(reward_suggestions__employee=employee))
        .distinct()
        .order_by("-end")
        if (deadline := dispute_deadline(period)) is not None and now <= deadline
    ]
    period = next((p for p in open_to_dispute if p.code == request.GET.get("period")), None)
    if period is None:
        return render(request, "disputes/choose_period.html", {"periods": open_to_dispute})
    scorecard = Scorecard.objects.filter(employee=employee, period=period).first()
    kpis = list(scorecard.kpi_scores.order_by("id").values_list("code", "code")) if scorecard else []
    rewards = [
        (reward.pk, f"{_reward_label(reward)}{f' · {reward.amount:,.2f}' if reward.amount is not None else ''}")
        for reward in RewardSuggestion.objects.filter(employee=employee, period=period).order_by("code")
    ]
    form = DisputeForm(request.POST or None, request.FILES or None, kpis=kpis, rewards=rewards)
    if request.method == "POST" and form.is_valid():
        try:
            dispute = dispute_file(
                user=request.user,
                period_code=period.code,
                subject=form.cleaned_data["subject"],
                kpi_code=form.cleaned_data["kpi_code"] or "",
                reward_id=form.cleaned_data["reward"],
                reason=form.cleaned_data["reason"],
                attachment=form.cleaned_data["attachment"],
            )
        except DisputeRefused as exc:
            form.add_error(None, str(exc))
        else:
            _announce(request, _("Your question is filed. You will see every step here."))
            return redirect("dispute_detail", pk=dispute.pk)
    return render(
        request,
        "disputes/new.html",
        {"form": form, "period": period, "deadline": dispute_deadline(period), "has_scorecard": scorecard is not None},
    )


def _reward_label(reward: RewardSuggestion) -> str:
    rule = RewardRule.objects.filter(policy_version_id=reward.policy_version_id, code=reward.code).first()
    return rule.label if rule else reward.code


@view_for((HR, LEAD, REP), "GET", never_cache=True)
def dispute_detail(request, pk: int):
    dispute = get_dispute_for_user(request.user, pk)
    return _detail(request, dispute)


def _correction_periods(dispute: Dispute) -> list[str]:
    """The codes a correction of the dispute's period may name: its months, then its quarters."""
    ref = dispute.period.ref
    return [m.code for m in ref.months()] + [q.code for q in ref.quarters()]


def _detail(request, dispute: Dispute, *, accept_form=None, reject_form=None, corrections=None, status=200):
    is_hr = audience(request.user) == HR
    periods = _correction_periods(dispute)
    corrected_at = next((event.at for event in dispute.events.all() if event.action == "corrected"), None)
    reclosed = (
        PeriodEvent.objects.filter(period=dispute.period, action=PeriodEvent.Action.CLOSED, at__gt=corrected_at)
        .order_by("at")
        .first()
        if corrected_at
        else None
    )
    return render(
        request,
        "disputes/detail.html",
        {
            "dispute": dispute,
            "events": dispute.events.select_related("actor"),
            "reclosed": reclosed,
            "is_hr": is_hr,
            "accept_form": accept_form or AcceptDisputeForm(prefix="accept"),
            "reject_form": reject_form or RejectDisputeForm(prefix="reject"),
            "corrections": corrections or CorrectionFormSet(prefix="fix", form_kwargs={"periods": periods}),
            "kpi_metrics": kpi_metrics(dispute),
            "hr_section": "disputes",
        },
        status=status,
    )


def _announce(request, message: str) -> None:
    """After a step the people concerned hear of: mail them (once the transaction commits) and confirm it here."""
    send_notification_emails.delay_on_commit()
    messages.success(request, message)


@hr_view("POST")
def dispute_reject_view(request, pk: int):
    dispute = get_dispute_for_user(request.user, pk)
    form = RejectDisputeForm(request.POST, prefix="reject")
    if not form.is_valid():
        return _detail(request, dispute, reject_form=form, status=400)
    try:
        dispute_reject(dispute_id=dispute.pk, user=request.user, resolution=form.cleaned_data["resolution"])
    except DisputeRefused as exc:
        messages.error(request, str(exc))
    else:
        _announce(request, _("The dispute is rejected; the employee sees your reason."))
    return redirect("dispute_detail", pk=dispute.pk)


@hr_view("POST")
def dispute_accept_view(request, pk: int):
    """Accept, with the corrected figures: the period is reopened (with what depends on it), the figures
    are written, and everything due goes back into the close line."""
    dispute = get_dispute_for_user(request.user, pk)
    periods = _correction_periods(dispute)
    form = AcceptDisputeForm(request.POST, prefix="accept")
    corrections = CorrectionFormSet(request.POST, prefix="fix", form_kwargs={"periods": periods})
    if not (form.is_valid() and corrections.is_valid()):
        return _detail(request, dispute, accept_form=form, corrections=corrections, status=400)
    fixes = [
        Correction(metric=row["metric"].code, period=row["period"], value=row["value"])
        for row in corrections.cleaned_data
        if row.get("metric") is not None
    ]
    try:
        dispute_accept(
            dispute_id=dispute.pk, user=request.user, resolution=form.cleaned_data["resolution"], corrections=fixes
        )
    except DisputeRefused as exc:
        messages.error(request, str(exc))
        return redirect("dispute_detail", pk=dispute.pk)
    send_notification_emails.delay_on_commit()
    if fixes:
        try:
            close_due_enqueue(user=request.user)
        except Exception:  # in-process Celery ran the closes here; a failure is on its job page
            messages.warning(request, _("A close failed; see the periods page."))
        messages.success(
            request,
            _("The dispute is accepted: %(code)s was reopened with the corrected figures and is closing again.")
            % {"code": dispute.period.code},
        )
    else:
        messages.success(request, _("The dispute is accepted."))
    return redirect("dispute_detail", pk=dispute.pk)


@view_for((HR, LEAD, REP), "GET", never_cache=True)
def dispute_attachment(request, pk: int):
    """The attachment, to those who may see the dispute; always as a download, never shown inline."""
    dispute = get_dispute_for_user(request.user, pk)
    if not dispute.attachment:
        raise Http404("No attachment")
    response = FileResponse(
        dispute.attachment.open("rb"), as_attachment=True, filename=dispute.attachment_name or dispute.attachment.name
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response
