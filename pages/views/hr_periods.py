"""HR console: periods (close, reopen, history, exports) and the close job's progress.

Every view is an ``hr_view`` (logged in, HR only); the services do the work and
their refusals (``CloseRefused``) are shown to HR as they are.
"""

from __future__ import annotations

import logging

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from appraisals.exports import ExportRefused, scorecard_export
from appraisals.models import Period
from appraisals.periods import PeriodRef
from appraisals.selectors import NoPolicyError
from closing import line, reopen, rules
from closing.checklist import close_checklist, close_dry_run
from closing.exceptions import CloseRefused
from closing.models import CloseJob
from closing.tasks import close_due_enqueue, close_period_enqueue
from pages.forms.hr_periods import ClosePeriodForm, PeriodFilterForm, ReopenForm
from pages.selectors.hr_periods import (
    close_summary,
    failed_close_job,
    get_job_for_hr,
    get_period_for_hr,
    last_close_job,
    people_without_data,
    period_events,
    period_or_none,
    periods_listed,
    reward_count,
    scorecard_count,
)
from pages.views.decorators import hr_view
from pages.views.jobs import progress_config, wants_json
from pages.views.responses import back_url, download
from sales_perf import exports

logger = logging.getLogger(__name__)

PERIODS_PER_PAGE = 36
NO_DATA_SHOWN = 20  # people without data named on the job page; the rest are counted


# --- periods -----------------------------------------------------------------------------------


@hr_view("GET", "POST")
def periods(request):
    close_form = ClosePeriodForm()
    if request.method == "POST":
        close_form = ClosePeriodForm(request.POST)
        if close_form.is_valid():
            return _close(request, close_form.cleaned_data["code"], fallback=reverse("hr:periods"))
    filter_form = PeriodFilterForm(request.GET or None)
    state = rules.LineState.load()
    today = timezone.localdate()
    filters = filter_form.cleaned_data if filter_form.is_valid() else {}
    listed = periods_listed(
        everything=bool(filters.get("everything")), kind=filters.get("kind") or "", today=today, state=state
    )
    page = Paginator(listed, PERIODS_PER_PAGE).get_page(request.GET.get("page"))
    rows = [
        (
            period,
            # Only an open period can close; close_problems says why it cannot yet.
            rules.close_problems(period.ref, today=today, state=state) if period.status == Period.Status.OPEN else [],
            # Each row's reopen form needs its own field ids.
            ReopenForm(auto_id=f"id_reopen_{period.code}_%s") if period.status == Period.Status.CLOSED else None,
        )
        for period in page
    ]
    return render(
        request,
        "hr/periods.html",
        {
            "page": page,
            "rows": rows,
            "filter_form": filter_form,
            "close_form": close_form,
            "line": line.close_line(),
            "due": rules.periods_due(today=today),
            "hr_section": "periods",
        },
    )


@hr_view("GET")
def period_detail(request, code: str):
    period = get_period_for_hr(code)
    return render(request, "hr/period_detail.html", _detail_context(period, ReopenForm()))


def _detail_context(period: Period, reopen_form: ReopenForm) -> dict:
    is_closed = period.status == Period.Status.CLOSED
    return {
        "period": period,
        "problems": rules.close_problems(period.ref, today=timezone.localdate())
        if period.status == Period.Status.OPEN
        else [],
        "events": period_events(period),
        "job": last_close_job(period),
        # A closing period holds partial results: nothing is counted until it is closed.
        "scorecard_count": scorecard_count(period) if is_closed else None,
        "reward_count": reward_count(period) if is_closed else None,
        "reopen_form": reopen_form,
        "hr_section": "periods",
    }


@hr_view("POST")
def period_close(request, code: str):
    return _close(request, code, fallback=reverse("hr:periods"))


def _close(request, code: str, *, fallback: str):
    requested_at = timezone.now()
    try:
        job = close_period_enqueue(code=code, user=request.user)
    except CloseRefused as exc:
        messages.error(request, str(exc))
        return redirect(back_url(request, fallback))
    except Exception:
        # With in-process Celery (no broker) the job runs inside this request and a failure
        # surfaces here, already recorded and undone; the job page shows its reason.
        job = failed_close_job(code=code, user=request.user, since=requested_at)
        if job is None:
            raise
        logger.exception("close of %s failed in process", code)
    return redirect("hr:job", job_id=job.pk)


@hr_view("GET", never_cache=True)
def period_checklist(request, code: str):
    """Before a close: who has no figures, whose sales look wrong, which policy version applies; on
    request (``?dry_run=1``) what the close would make, beside its last close."""
    ref = PeriodRef.parse(code)
    period = period_or_none(ref.code)
    dry_run = None
    if request.GET.get("dry_run") and period is not None:
        try:
            dry_run = close_dry_run(period=period)
        except NoPolicyError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "hr/period_checklist.html",
        {
            "code": ref.code,
            "period": period,
            "checklist": close_checklist(ref=ref, today=timezone.localdate()),
            "dry_run": dry_run,
            "hr_section": "periods",
        },
    )


@hr_view("POST")
def close_due(request):
    """ "Close everything due": every ended, open period in order, through the line."""
    try:
        jobs, refusals = close_due_enqueue(user=request.user)
    except Exception:
        # In-process Celery ran the closes inside this request; a failure is on its job page.
        logger.exception("close of the due periods failed in process")
        jobs, refusals = [], [_("A close failed; see its job on the periods page.")]
    for refusal in refusals:
        messages.error(request, refusal)
    if jobs:
        messages.success(
            request,
            ngettext("%(count)s close is in line: %(codes)s.", "%(count)s closes are in line: %(codes)s.", len(jobs))
            % {"count": len(jobs), "codes": ", ".join(job.period.code for job in jobs)},
        )
    elif not refusals:
        messages.info(request, _("Nothing is due."))
    return redirect(back_url(request, reverse("hr:periods")))


@hr_view("POST")
def close_cancel(request, job_id: int):
    try:
        job = line.close_cancel(job_id=get_job_for_hr(job_id).pk, user=request.user)
    except CloseRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The close of %(code)s is out of the line.") % {"code": job.period.code})
    return redirect(back_url(request, reverse("hr:periods")))


@hr_view("POST")
def period_reopen(request, code: str):
    form = ReopenForm(request.POST)
    if not form.is_valid():
        period = get_period_for_hr(code)
        return render(request, "hr/period_detail.html", _detail_context(period, form))
    try:
        reopened = reopen.period_reopen(code=code, reason=form.cleaned_data["reason"], user=request.user)
    except CloseRefused as exc:
        messages.error(request, str(exc))
        return redirect(back_url(request, reverse("hr:periods")))
    messages.success(
        request,
        ngettext("%(codes)s is open again.", "%(codes)s are open again.", len(reopened))
        % {"codes": ", ".join(period.code for period in reopened)},
    )
    return redirect(back_url(request, reverse("hr:period_detail", args=[code])))


@hr_view("GET")
def period_export(request, code: str):
    period = get_period_for_hr(code)
    fmt = request.GET.get("format", "csv")
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest("format must be csv or xlsx")
    try:
        header, rows = scorecard_export(period=period)
    except ExportRefused as exc:
        raise Http404(str(exc)) from None
    return download(exports.render(header, rows, fmt=fmt), fmt=fmt, filename=f"scorecards-{period.code}.{fmt}")


# --- close job ---------------------------------------------------------------------------------


@hr_view("GET")
def job(request, job_id: int):
    close_job = get_job_for_hr(job_id)
    if wants_json(request):
        return JsonResponse(_job_status(close_job))
    finished = close_job.is_finished
    summary = close_summary(close_job)
    no_data = people_without_data(summary, limit=NO_DATA_SHOWN)
    return render(
        request,
        "hr/job.html",
        {
            "job": close_job,
            "finished": finished,
            "summary": summary,
            "no_data_people": no_data,
            "no_data_more": max((summary or {}).get("no_data", 0) - len(no_data), 0),
            "progress_config": progress_config(
                reverse("hr:job", args=[close_job.pk]),
                CloseJob.Status,
                # The script picks by the total: the singular (total 1) or the language's other form.
                steps_one=ngettext("%(done)s of %(total)s step", "%(done)s of %(total)s steps", 1),
                steps=ngettext("%(done)s of %(total)s step", "%(done)s of %(total)s steps", 2),
            ),
        },
    )


def _job_status(close_job: CloseJob) -> dict:
    """The job page's JSON: the close job's own fields, and its period's code."""
    shown = ("status", "percent", "steps_done", "steps_total", "message")
    return {**{name: getattr(close_job, name) for name in shown}, "period": close_job.period.code}
