from django.contrib import messages
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import ngettext

from appraisals.ratings import (
    RatingsInvalid,
    grid_rater,
    quarter_frozen_message,
    rating_quarters,
    ratings_grid,
    ratings_grid_save,
)
from pages.forms.ratings import RatingsGridForm
from pages.forms.team import TeamExportForm, TeamFilterForm
from pages.selectors.team import team_page, unrated_for_viewer
from pages.selectors.team_export import team_export_table
from pages.views.decorators import login_view, require, view_for
from pages.views.responses import download
from roles.access import HR, LEAD
from sales_perf.exports import render as render_table


@view_for((HR, LEAD), "GET")
def team(request):
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
    context["unrated"] = unrated_for_viewer(user=request.user, today=timezone.localdate())
    return render(request, "team/team.html", context)


@view_for((HR, LEAD), "GET")
def team_export(request):
    form = TeamExportForm(request.GET, user=request.user)
    if not form.is_valid():
        return HttpResponseBadRequest(
            "\n".join(str(error) for errors in form.errors.values() for error in errors),
            content_type="text/plain; charset=utf-8",
        )
    filters = form.filters()
    fmt = form.cleaned_data["format"]
    # The download's rows and columns are exactly the table's: the same filtered scope (never wider
    # than the viewer's), the same order, the change since the previous period and the development plan.
    header, rows = team_export_table(
        user=request.user, filters=filters, sort_key=form.cleaned_data["sort"], direction=form.cleaned_data["dir"]
    )
    return download(render_table(header, rows, fmt=fmt), fmt=fmt, filename=f"scorecards-{filters.period.code}.{fmt}")


@login_view("GET", "POST")
def team_ratings(request):
    """The ratings grid: a lead rates everyone they rate for a quarter in one form, all or nothing."""
    rater = grid_rater(request.user)
    require(rater is not None)
    quarters = rating_quarters(timezone.localdate())
    codes = [quarter.code for quarter in quarters]
    code = request.GET.get("quarter") or codes[0]
    if code not in codes:
        raise Http404("ratings are entered for the current quarter and the one before")
    grid = ratings_grid(rater=rater, quarter=code)
    form = RatingsGridForm(request.POST if request.method == "POST" else None, grid=grid)
    if request.method == "POST":
        if not grid.is_open:
            form.add_error(None, quarter_frozen_message(code, grid.status))
        elif form.is_valid():
            try:
                saved = ratings_grid_save(rater_user=request.user, quarter=code, entries=form.entries())
            except RatingsInvalid as invalid:
                form.add_grid_errors(invalid.errors)
            else:
                messages.success(
                    request,
                    ngettext(
                        "%(count)d rating saved for %(quarter)s.", "%(count)d ratings saved for %(quarter)s.", saved
                    )
                    % {"count": saved, "quarter": code},
                )
                return redirect(f"{reverse('team_ratings')}?quarter={code}")
    status = 400 if form.is_bound and form.errors else 200
    return render(
        request,
        "team/ratings.html",
        {
            "form": form,
            "grid": grid,
            "quarters": codes,
            "quarter": code,
            "errors": form.error_list() if form.is_bound else [],
        },
        status=status,
    )
