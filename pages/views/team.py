from django.contrib.auth.decorators import login_required
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.views.decorators.http import require_GET

from appraisals.exports import scorecard_export
from pages.forms.team import TeamExportForm, TeamFilterForm
from pages.team import team_page, team_scorecards
from roles.access import HR, LEAD, require_audience
from sales_perf.exports import render as render_table

CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


@require_GET
@login_required
def team(request):
    require_audience(request.user, HR, LEAD)
    form = TeamFilterForm(request.GET, user=request.user)
    context = {"form": form}
    if form.is_valid():
        context["team"] = team_page(
            user=request.user,
            filters=form.filters(),
            sort_key=form.cleaned_data["sort"],
            direction=form.cleaned_data["dir"],
            page_number=request.GET.get("page"),
        )
    return render(request, "team/team.html", context)


@require_GET
@login_required
def team_export(request):
    require_audience(request.user, HR, LEAD)
    form = TeamExportForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "\n".join(str(error) for errors in form.errors.values() for error in errors),
            content_type="text/plain; charset=utf-8",
        )
    filters = form.filters()
    fmt = form.cleaned_data["format"]
    # The download's rows are exactly the table's: the same filtered scope, never wider than the viewer's.
    scope = team_scorecards(user=request.user, filters=filters).values("employee_id")
    header, rows = scorecard_export(period=filters.period, employee_ids=scope)
    response = HttpResponse(render_table(header, rows, fmt=fmt), content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="scorecards-{filters.period.code}.{fmt}"'
    return response
