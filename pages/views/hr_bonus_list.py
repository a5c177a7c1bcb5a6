"""HR console: the year's bonus list (/hr/bonus/<year>/) and its download (POLICY.md §7).

Only closed periods count: a period being closed is left out until it is done, and the page says so."""

from __future__ import annotations

from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import render
from django.utils import timezone

from pages.forms.hr_bonus_list import DownloadForm
from pages.selectors.hr_bonus_list import bonus_list_paged, bonus_list_years, closing_period_codes
from pages.views.decorators import hr_view
from pages.views.responses import download
from rewards.selectors import BONUS_LIST_COLUMNS, bonus_list, bonus_list_is_provisional
from sales_perf import exports


def _check_year(year: int) -> None:
    if not 1900 <= year <= 2999:
        raise Http404("No such year")


@hr_view("GET")
def bonus_list_page(request, year: int):
    """The year's bonus list: rows of ``rewards.selectors.bonus_list``, totals per role over all rows."""
    _check_year(year)
    approved_only = request.GET.get("approved") == "on"
    listed = bonus_list_paged(year=year, approved_only=approved_only, page_number=request.GET.get("page"))
    return render(
        request,
        "hr/bonus_list.html",
        {
            "hr_section": "bonus",
            "year": year,
            "years": bonus_list_years(shown=year, this_year=timezone.localdate().year),
            "page": listed.page,
            "lines": listed.lines,
            "role_totals": listed.role_totals,
            "overall": listed.overall,
            # The list leaves a period that is being closed out until it is done: say so.
            "closing": closing_period_codes(year),
            "provisional": bonus_list_is_provisional(year),
            "approved_only": approved_only,
            "formats": exports.FORMATS,
        },
    )


@hr_view("GET")
def bonus_list_download(request, year: int):
    """The bonus list as POLICY.md §7 columns, CSV or XLSX (``?format=``)."""
    _check_year(year)
    form = DownloadForm(request.GET)
    if not form.is_valid():
        return HttpResponseBadRequest("format must be csv or xlsx")
    fmt = form.cleaned_data["format"]
    approved_only = form.cleaned_data["approved"]
    rows = bonus_list(year=year, approved_only=approved_only)
    content = exports.render(BONUS_LIST_COLUMNS, (row.as_export_row() for row in rows), fmt=fmt)
    name = "_".join(
        [
            "bonus_list",
            str(year),
            *(["approved"] if approved_only else []),
            *(["provisional"] if bonus_list_is_provisional(year) else []),
        ]
    )
    return download(content, fmt=fmt, filename=f"{name}.{fmt}")
