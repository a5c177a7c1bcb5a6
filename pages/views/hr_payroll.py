"""HR console: payroll runs (POLICY.md §6). A run hands approved cash to payroll and is then
immutable; its file downloads again byte for byte the same."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from pages.forms.hr_payroll import PayrollRunForm
from pages.selectors.hr_payroll import get_run_for_hr, payroll_runs, run_lines
from pages.views.decorators import hr_view
from pages.views.responses import download
from rewards.payroll import PayrollRefused, payroll_plan, payroll_run_create, payroll_run_file

RUNS_PER_PAGE = 25
LINES_PER_PAGE = 200
PREVIEW_LINES = 50


@hr_view("GET", "POST", never_cache=True)
def payroll(request):
    """The runs made so far with their totals, and the next run: what it would pay (a dry run), made on confirm."""
    form = PayrollRunForm(request.POST or request.GET or None, initial={"token": uuid.uuid4()})
    period = None
    if form.is_bound and form.is_valid():
        period = form.cleaned_data["period"]
        if request.method == "POST":
            try:
                run = payroll_run_create(
                    user=request.user,
                    fmt=form.cleaned_data["file_format"],
                    period=period,
                    token=form.cleaned_data["token"],
                )
            except PayrollRefused as exc:
                messages.error(request, str(exc))
            else:
                messages.success(
                    request, _("Payroll run #%(run)s is made: its file is ready to hand over.") % {"run": run.pk}
                )
                return redirect("hr:payroll_run", pk=run.pk)
    plan = payroll_plan(period=period)
    runs = Paginator(payroll_runs(), RUNS_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "hr/payroll.html",
        {
            "hr_section": "payroll",
            "form": PayrollRunForm(initial={"token": uuid.uuid4(), "period": period, "file_format": "csv"})
            if request.method == "POST"
            else form,
            "plan": plan,
            "preview": plan.lines[:PREVIEW_LINES],
            "page": runs,
        },
    )


@hr_view("GET", never_cache=True)
def payroll_run(request, pk: int):
    run = get_run_for_hr(pk)
    lines = Paginator(run_lines(run), LINES_PER_PAGE)
    return render(
        request,
        "hr/payroll_run.html",
        {"hr_section": "payroll", "run": run, "page": lines.get_page(request.GET.get("page"))},
    )


@hr_view("GET", never_cache=True)
def payroll_run_download(request, pk: int):
    run = get_run_for_hr(pk)
    content, name = payroll_run_file(run)
    return download(content, fmt=run.file_format, filename=name)
