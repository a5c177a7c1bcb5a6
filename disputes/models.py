from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from appraisals.fields import period_ref
from roles.fields import employee_ref
from sales_perf.fields import optional_moment, user_ref

REASON_MIN_LENGTH = 10


class Dispute(models.Model):
    """An employee questions a number (POLICY.md §8): one KPI's input, a whole closed scorecard, or a
    reward. HR accepts it (with corrected figures, applied by reopening and closing again) or rejects
    it with a reason. Kept for good: never deleted; every step is a ``DisputeEvent``."""

    class Subject(models.TextChoices):
        SCORECARD = "scorecard", _("the whole scorecard")
        KPI = "kpi", _("one KPI's input")
        REWARD = "reward", _("a reward")

    class Status(models.TextChoices):
        OPEN = "open", _("open")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")

    employee = employee_ref("disputes")
    period = period_ref("disputes")
    subject = models.CharField(_("about"), max_length=10, choices=Subject.choices)
    # Scorecards and undecided rewards are made again when a period closes again, so a dispute names
    # what it questions by its codes within the employee's period, not by the rows.
    kpi_code = models.CharField(_("KPI"), max_length=10, blank=True)
    reward_code = models.CharField(_("reward"), max_length=40, blank=True)
    reason = models.TextField(_("reason"))
    attachment = models.FileField(_("attachment"), upload_to="disputes/%Y/%m/", blank=True)
    attachment_name = models.CharField(_("attachment name"), max_length=200, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.OPEN)
    resolution = models.TextField(_("answer"), blank=True)
    # The corrected metric values HR accepted: [{"metric", "period", "value", "before"}].
    corrections = models.JSONField(_("corrections"), default=list, blank=True)
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by")
    )
    filed_at = models.DateTimeField(_("filed at"))
    resolved_by = user_ref(_("answered by"), on_delete=models.PROTECT)
    resolved_at = optional_moment(_("answered at"))

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("dispute")
        verbose_name_plural = _("disputes")
        constraints = [
            models.CheckConstraint(
                condition=Q(status="open") | (Q(resolved_at__isnull=False) & ~Q(resolution="")),
                name="dispute_answered_with_a_reason",
            ),
            models.CheckConstraint(condition=~Q(subject="kpi") | ~Q(kpi_code=""), name="dispute_kpi_names_its_kpi"),
            models.CheckConstraint(
                condition=~Q(subject="reward") | ~Q(reward_code=""), name="dispute_reward_names_its_reward"
            ),
        ]
        indexes = [
            # HR's queue: open disputes, oldest first.
            models.Index(fields=["status", "filed_at"], name="dispute_queue"),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.employee_id} {self.period_id} {self.status}"


class DisputeEvent(models.Model):
    """One step of a dispute, with who and when; the employee sees every one."""

    class Action(models.TextChoices):
        FILED = "filed", _("filed")
        ACCEPTED = "accepted", _("accepted")
        REJECTED = "rejected", _("rejected")
        CORRECTED = "corrected", _("figures corrected and the period reopened")

    dispute = models.ForeignKey(Dispute, on_delete=models.PROTECT, related_name="events")
    action = models.CharField(_("step"), max_length=10, choices=Action.choices)
    actor = user_ref(_("by"))
    at = models.DateTimeField(_("at"))
    note = models.TextField(_("note"), blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("dispute step")
        verbose_name_plural = _("dispute steps")

    def __str__(self) -> str:
        return f"{self.dispute_id} {self.action}"
