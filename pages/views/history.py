"""HR console: the History page (/hr/history/), the audit trail of pay-relevant data, and its export."""

from __future__ import annotations

from django.core.paginator import Paginator
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _

from pages.forms.history import HistoryFilterForm
from pages.selectors.history import HistoryFilter, export_header
from pages.selectors.history import history as history_entries
from pages.views.decorators import hr_view
from pages.views.responses import download
from sales_perf import exports

PER_PAGE = 50
EXPORT_MAX_ROWS = 500_000  # a bigger export is refused: filter by employee or period first


@hr_view("GET")
def history_page(request):
    form = HistoryFilterForm(request.GET or None)
    filters = HistoryFilter()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = HistoryFilter(kind=data["kind"], employee=data["employee"], period=data["period"])
    elif form.is_bound:
        return render(request, "hr/history.html", {"form": form, "page": None, "hr_section": "history"})
    entries = history_entries(filters)
    fmt = request.GET.get("format")
    if fmt:
        return _export(entries, fmt)
    page = Paginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    query.pop("format", None)
    return render(
        request,
        "hr/history.html",
        {"form": form, "page": page, "query": query.urlencode(), "hr_section": "history"},
    )


def _export(entries, fmt: str) -> HttpResponse:
    if fmt not in exports.FORMATS:
        return HttpResponseBadRequest("format must be csv or xlsx")
    if entries.count() > EXPORT_MAX_ROWS:
        return HttpResponseBadRequest(
            _("More than %(count)s changes: filter by employee or period first.") % {"count": f"{EXPORT_MAX_ROWS:,}"}
        )
    content = exports.render(export_header(), (entry.as_row() for entry in entries), fmt=fmt)
    return download(content, fmt=fmt, filename=f"history.{fmt}")
