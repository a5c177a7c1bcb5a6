"""What views answer alike: a CSV or XLSX download, and where a POST goes back to."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.http import url_has_allowed_host_and_scheme

from sales_perf.exports import CONTENT_TYPES


def download(content: bytes, *, fmt: str, filename: str) -> HttpResponse:
    """``content`` in ``fmt`` (csv or xlsx) as an attachment named ``filename``."""
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def back_url(request: HttpRequest, default: str) -> str:
    """Where a POST returns to: its ``next`` field when it is a local URL, else ``default`` (the one
    guard against an open redirect)."""
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return default
