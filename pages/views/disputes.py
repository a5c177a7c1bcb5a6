"""Disputes (POLICY.md §8): an employee questions a figure of theirs; their supervisor line and HR see
it; HR answers. Every dispute page goes through ``get_dispute_for_user``: out of scope is a 404."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

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
    kpi_metrics,
)
from notifications.tasks import send_notification_emails
from pages.forms.disputes import AcceptDisputeForm, CorrectionFormSet, DisputeForm, RejectDisputeForm
from pages.selectors.disputes import (
    dispute_events,
    disputes_listed,
    get_dispute_for_user,
    periods_open_to_dispute,
    reclose_after_correction,
    reward_choices,
    scorecard_kpi_choices,
    scorecard_of,
)
from pages.views.decorators import hr_view, login_view, require, view_for
from roles.access import HR, LEAD, REP, audience, viewer_employee

DISPUTES_PER_PAGE = 50


@view_for((HR, LEAD, REP), "GET", never_cache=True)
def dispute_list(request):
    """A person's own disputes; a lead's unit's; HR's queue with ages and the dispute rate per period."""
    kind = audience(request.user)
    status = request.GET.get("status", "open" if kind == HR else "")
    disputes = disputes_listed(request.user, status=status)
    page = Paginator(disputes, DISPUTES_PER_PAGE).get_page(request.GET.get("page"))
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


@login_view("GET", "POST")
def dispute_new(request):
    """The employee's own form: first the closed period, then what they question and why."""
    employee = viewer_employee(request.user)
    require(employee is not None and employee.is_active)
    open_to_dispute = periods_open_to_dispute(employee, now=timezone.now())
    period = next((p for p in open_to_dispute if p.code == request.GET.get("period")), None)
    if period is None:
        return render(request, "disputes/choose_period.html", {"periods": open_to_dispute})
    scorecard = scorecard_of(employee, period)
    kpis = scorecard_kpi_choices(scorecard)
    rewards = reward_choices(employee, period)
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
    reclosed = reclose_after_correction(dispute)
    return render(
        request,
        "disputes/detail.html",
        {
            "dispute": dispute,
            "events": dispute_events(dispute),
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
