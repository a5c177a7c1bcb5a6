"""HR's uploads, imported outside the web request: store the file, record the job, run it.

``import_job_create`` keeps the uploaded file in the default storage and records a queued job; the
caller enqueues ``uploads.tasks.import_job_run`` once that is committed. ``import_job_run`` runs the
same services as the management commands (``roles.employee_import.employees_import``,
``appraisals.metric_import.metrics_import``) with the same all-or-nothing rules, records the progress as
it goes and what the import said at the end, then removes the stored file."""

from __future__ import annotations

import logging
import time

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone, translation

from appraisals.metric_import import metrics_import
from roles.employee_import import employees_import
from sales_perf.tabular import ImportFailed
from uploads.models import ImportJob

logger = logging.getLogger(__name__)

PROGRESS_EVERY_SECONDS = 0.5  # the job row is written at most this often while a file is read
SERVICES = {
    ImportJob.Kind.EMPLOYEES: employees_import,
    ImportJob.Kind.METRICS: metrics_import,
}


def import_job_create(*, kind: str, upload: UploadedFile, user, language: str = "") -> ImportJob:
    """Store ``upload`` and record a queued job for it (``kind``: employees or metrics); the job
    reports in ``language`` (default: the active language)."""
    if kind not in SERVICES:
        raise ValueError(f"unknown import kind {kind!r}")
    job = ImportJob(
        kind=kind,
        filename=upload.name[:255],
        size=upload.size or 0,
        requested_by=user,
        language=language or translation.get_language() or "",
    )
    # The stored name is the storage's; the name HR gave the file is kept beside it.
    job.file.save(f"{kind}.{upload.name.rsplit('.', 1)[-1].lower()[:5]}", upload, save=False)
    job.save()
    return job


def _claim(job_id: int) -> ImportJob | None:
    """Take a waiting job (or one whose worker died mid-run: the import is all or nothing)."""
    now = timezone.now()
    claimed = ImportJob.objects.filter(
        pk=job_id, status__in=[ImportJob.Status.QUEUED, ImportJob.Status.RUNNING]
    ).update(status=ImportJob.Status.RUNNING, started_at=now, progress="")
    if not claimed:
        return None
    return ImportJob.objects.select_related("requested_by").get(pk=job_id)


def import_job_run(*, job_id: int) -> ImportJob | None:
    """Run one import job; returns it finished (``None`` when it was not waiting)."""
    job = _claim(job_id)
    if job is None:
        logger.info("import job %s is not waiting; nothing to do", job_id)
        return None
    last = [0.0]

    def progress(text: str) -> None:
        now = time.monotonic()
        if now - last[0] >= PROGRESS_EVERY_SECONDS:
            last[0] = now
            ImportJob.objects.filter(pk=job.pk).update(progress=text[:200])

    service = SERVICES[job.kind]
    with translation.override(job.language or None):
        _run(job, service, progress)
    return job


def _run(job: ImportJob, service, progress) -> None:
    try:
        with job.file.open("rb") as handle:
            result = service(
                source=handle,
                filename=job.filename,
                user=job.requested_by,
                reason=job.audit_reason,
                progress=progress,
            )
    except ImportFailed as failed:
        _finish(
            job,
            status=ImportJob.Status.FAILED,
            errors=[[error.line, error.field, error.reason] for error in failed.errors],
            bad_rows=failed.bad_rows,
            error_count=failed.error_count,
        )
    except Exception as exc:
        logger.exception("import job %s failed", job.pk)
        _finish(job, status=ImportJob.Status.FAILED, message=f"{type(exc).__name__}: {exc}"[:2000])
    else:
        _finish(
            job,
            status=ImportJob.Status.DONE,
            rows=result.rows,
            created=result.created,
            updated=result.updated,
            encoding=result.encoding,
        )


def _finish(job: ImportJob, **fields) -> None:
    fields.update(finished_at=timezone.now(), progress="")
    for name, value in fields.items():
        setattr(job, name, value)
    with transaction.atomic():
        ImportJob.objects.filter(pk=job.pk).update(**fields)
    # The file has been read: pay data does not wait on disk once the job has said what it holds.
    if job.file:
        try:
            job.file.delete(save=False)
        except OSError:
            logger.warning("import job %s: could not remove %s", job.pk, job.file.name)
        ImportJob.objects.filter(pk=job.pk).update(file="")
