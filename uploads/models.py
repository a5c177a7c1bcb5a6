from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from sales_perf.fields import optional_moment, user_ref


class ImportJob(models.Model):
    """One file HR uploaded on the imports page, imported by a Celery job (uploads.tasks).

    The file waits in the default storage until the job has read it; what the import said stays
    here: the counts of a good file, or every bad row (capped like the import's own report)."""

    class Kind(models.TextChoices):
        EMPLOYEES = "employees", _("employees")
        METRICS = "metrics", _("metrics")

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")

    FINISHED = (Status.DONE, Status.FAILED)

    kind = models.CharField(_("kind"), max_length=9, choices=Kind.choices)
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/", blank=True)
    filename = models.CharField(_("file name"), max_length=255)
    size = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    requested_by = user_ref(_("uploaded by"))
    # The uploader's language: the job's report (bad rows' reasons) is written in it.
    language = models.CharField(_("language"), max_length=10, blank=True)
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    started_at = optional_moment(_("started at"))
    finished_at = optional_moment(_("finished at"))
    status = models.CharField(_("status"), max_length=7, choices=Status.choices, default=Status.QUEUED)
    progress = models.CharField(_("progress"), max_length=200, blank=True)
    # The result of a good file.
    rows = models.PositiveIntegerField(_("rows"), null=True, blank=True)
    created = models.PositiveIntegerField(_("created"), null=True, blank=True)
    updated = models.PositiveIntegerField(_("updated"), null=True, blank=True)
    encoding = models.CharField(_("read as"), max_length=10, blank=True)
    # A refused file: its bad rows as [line, field, reason] (the first 1,000), and how many there were.
    errors = models.JSONField(_("bad rows"), default=list, blank=True)
    bad_rows = models.PositiveIntegerField(_("bad rows"), default=0)
    error_count = models.PositiveIntegerField(_("errors"), default=0)
    # Why a job failed without a report (the worker met an error of its own).
    message = models.TextField(_("message"), blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")

    def __str__(self) -> str:
        return f"{self.kind} {self.filename} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def unlisted(self) -> int:
        return max(0, self.error_count - len(self.errors))

    @property
    def audit_reason(self) -> str:
        """How the audit trail names the changes this job made."""
        return f"import job #{self.pk} ({self.filename})"[:100]
