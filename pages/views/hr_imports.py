"""HR console: file imports (/hr/imports/) and each import's job page.

An upload does not run inside the web request: it is stored and imported by a Celery job
(``uploads.tasks.import_job_enqueue``), and HR follows it on its job page, which polls its JSON
status and then shows the counts of a good file or every bad row of a refused one. With in-process
Celery (no broker) the job has run by the time the page opens."""

from __future__ import annotations

from django.http import HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from appraisals.metric_import import METRIC_COLUMNS
from pages.forms.hr_imports import ImportForm
from pages.selectors.hr_imports import get_import_job_for_hr, metric_catalogue, recent_import_jobs
from pages.views.decorators import hr_view
from pages.views.jobs import progress_config, wants_json
from roles.employee_import import EMPLOYEE_COLUMNS
from uploads.models import ImportJob
from uploads.tasks import import_job_enqueue

RECENT_JOBS = 10  # imports listed under the upload forms
KINDS = (ImportJob.Kind.EMPLOYEES, ImportJob.Kind.METRICS)
# What each column of the two files holds (POLICY.md §7), shown beside the upload forms.
COLUMN_HELP = {
    "employee_no": gettext_lazy(
        'the employee\'s number (letters, digits, "-", "_", "."); a number already known updates that employee'
    ),
    "name": gettext_lazy("full name"),
    "email": gettext_lazy("may be empty"),
    "role": gettext_lazy("manager, supervisor or rep"),
    "reports_to": gettext_lazy("the employee_no of their manager; empty at the top"),
    "hire_date": gettext_lazy("YYYY-MM-DD; may be empty"),
    "quarterly_bonus_base": gettext_lazy("money; empty takes the policy default"),
    "annual_bonus_base": gettext_lazy("money; empty takes the policy default"),
    "period": gettext_lazy("YYYY-MM for a monthly metric, YYYY-Qn for a quarterly one"),
    "metric": gettext_lazy("a metric code from the list below"),
    "value": gettext_lazy("a number within the metric's range"),
}


@hr_view("GET", "POST")
def imports(request):
    forms = {kind: ImportForm(prefix=kind) for kind in KINDS}
    if request.method == "POST":
        kind = request.POST.get("kind")
        if kind not in KINDS:
            return HttpResponseBadRequest("unknown import")
        too_large = f"{kind}-file" in getattr(request, "upload_too_large", set())
        form = forms[kind] = ImportForm(request.POST, request.FILES, prefix=kind, too_large=too_large)
        if form.is_valid():
            job = import_job_enqueue(kind=kind, upload=form.cleaned_data["file"], user=request.user)
            return redirect("hr:import_job", job_id=job.pk)
    return render(
        request,
        "hr/imports.html",
        {
            "forms": forms,
            "jobs": recent_import_jobs(RECENT_JOBS),
            "employee_columns": [(column, COLUMN_HELP.get(column, "")) for column in EMPLOYEE_COLUMNS],
            "metric_columns": [(column, COLUMN_HELP.get(column, "")) for column in METRIC_COLUMNS],
            "metrics": metric_catalogue(),
            "hr_section": "imports",
        },
    )


@hr_view("GET")
def import_job(request, job_id: int):
    job = get_import_job_for_hr(job_id)
    if wants_json(request):
        return JsonResponse(import_job_status(job))
    return render(
        request,
        "hr/import_job.html",
        {
            "job": job,
            "summary": import_summary(job) if job.status == ImportJob.Status.DONE else "",
            "progress_config": progress_config(reverse("hr:import_job", args=[job.pk]), ImportJob.Status),
            "hr_section": "imports",
        },
    )


def import_job_status(job: ImportJob) -> dict:
    return {
        "status": job.status,
        "finished": job.is_finished,
        "progress": job.progress,
        "rows": job.rows,
        "created": job.created,
        "updated": job.updated,
        "bad_rows": job.bad_rows,
    }


def import_summary(job: ImportJob) -> str:
    rows = ngettext("%(count)s row OK", "%(count)s rows OK", job.rows or 0) % {"count": f"{job.rows or 0:,}"}
    return _("%(file)s: %(rows)s — %(created)s created, %(updated)s updated (read as %(encoding)s)") % {
        "file": job.filename,
        "rows": rows,
        "created": f"{job.created or 0:,}",
        "updated": f"{job.updated or 0:,}",
        "encoding": job.encoding,
    }
