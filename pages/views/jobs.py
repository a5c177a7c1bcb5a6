"""What the pages of a background job share (a close, an import): the JSON status a page polls and
the configuration of its polling script (``window.salesPerf.pollJob`` in static/js/app.js)."""

from __future__ import annotations

from django.db import models
from django.http import HttpRequest

POLL_INTERVAL_MS = 1000  # how often a job page asks for progress


def wants_json(request: HttpRequest) -> bool:
    """The job's JSON status is asked for (``?format=json`` or ``Accept: application/json``)."""
    return (
        request.GET.get("format") == "json"
        or request.get_preferred_type(["text/html", "application/json"]) == "application/json"
    )


def progress_config(url: str, statuses: type[models.TextChoices], **extra) -> dict:
    """The page script's configuration: where to poll (``url`` is the job page), how often, and the
    label of each status; ``extra`` adds what one page's script needs besides."""
    return {
        "url": f"{url}?format=json",
        "interval_ms": POLL_INTERVAL_MS,
        "labels": {status.value: str(status.label) for status in statuses},
        **extra,
    }
