from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appraisals.models import Period
from sales_perf.fields import optional_moment, user_ref


class CloseJob(models.Model):
    """One requested close of a period: its place in the line, its lease while it runs, its progress.

    Closes run one at a time (POLICY.md §3). A request waits in the line (``queued``) until every
    close requested before it has ended; the running one holds a lease that its worker renews as
    it goes. A close whose worker died stops renewing: once the lease has run out, the line takes
    it over (its partial results are removed and it starts again as a new attempt)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("waiting in line")
        RUNNING = "running", _("running")
        DONE = "done", _("done")
        FAILED = "failed", _("failed")
        CANCELLED = "cancelled", _("cancelled")

    ACTIVE = (Status.QUEUED, Status.RUNNING)
    FINISHED = (Status.DONE, Status.FAILED, Status.CANCELLED)

    period = models.ForeignKey(Period, on_delete=models.CASCADE, related_name="close_jobs")
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.QUEUED)
    requested_by = user_ref()
    scheduled = models.BooleanField(_("requested by the scheduler"), default=False)
    # Each start or takeover is a new attempt; a worker of an older attempt can no longer write.
    attempt = models.PositiveSmallIntegerField(_("attempt"), default=0)
    lease_expires_at = optional_moment(_("lease expires at"))
    started_at = optional_moment(_("started at"))
    steps_total = models.PositiveIntegerField(default=0)
    steps_done = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = optional_moment()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("close job")
        verbose_name_plural = _("close jobs")
        constraints = [
            # One close at a time, whatever races the application code might lose.
            models.UniqueConstraint(fields=["status"], condition=Q(status="running"), name="close_job_one_running"),
            # A period is in the line at most once.
            models.UniqueConstraint(
                fields=["period"], condition=Q(status__in=["queued", "running"]), name="close_job_one_active_per_period"
            ),
            models.CheckConstraint(
                condition=~Q(status="running") | Q(lease_expires_at__isnull=False), name="close_job_running_has_lease"
            ),
        ]
        indexes = [
            # The line: active jobs in request order.
            models.Index(fields=["status", "created_at"], name="close_job_line"),
        ]

    def __str__(self) -> str:
        return f"{self.period} {self.status}"

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        if not self.steps_total:
            return 0
        return min(99, int(self.steps_done * 100 / self.steps_total))
