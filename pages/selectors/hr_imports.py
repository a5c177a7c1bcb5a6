"""Reads behind the HR console's imports (/hr/imports/…): an import job, the latest ones, and the
metric catalogue a metrics file may name."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from appraisals.models import Metric
from uploads.models import ImportJob


def get_import_job_for_hr(job_id: int) -> ImportJob:
    """An import job, or 404 (HR sees every import; the caller has checked the audience)."""
    return get_object_or_404(ImportJob.objects.select_related("requested_by"), pk=job_id)


def recent_import_jobs(limit: int) -> QuerySet[ImportJob]:
    """The latest ``limit`` imports, newest first (read when shown)."""
    return ImportJob.objects.select_related("requested_by")[:limit]


def metric_catalogue() -> QuerySet[Metric]:
    """Every metric in the catalogue's order (read when shown)."""
    return Metric.objects.order_by("order", "code")
