"""Celery task of HR's uploads: a thin wrapper that takes a job id and calls one service."""

from __future__ import annotations

from celery import shared_task

from uploads import services
from uploads.models import ImportJob


def import_job_enqueue(*, kind: str, upload, user) -> ImportJob:
    """What the imports page runs: store the upload, record the job, and run it once the request's
    transaction has committed (in-process Celery runs it right then, inside the request)."""
    job = services.import_job_create(kind=kind, upload=upload, user=user)
    import_job_run.delay_on_commit(job.pk)
    return job


@shared_task(acks_late=True)
def import_job_run(job_id: int) -> str | None:
    job = services.import_job_run(job_id=job_id)
    return None if job is None else job.status
