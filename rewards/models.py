from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


class RewardSuggestion(models.Model):
    """A reward the period-end job suggested; HR approves or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    # Indexed through the unique (employee, period, code) and the (period, status) index.
    employee = models.ForeignKey(
        "roles.Employee",
        on_delete=models.PROTECT,
        related_name="reward_suggestions",
        verbose_name=_("employee"),
        db_index=False,
    )
    period = models.ForeignKey(
        "appraisals.Period",
        on_delete=models.PROTECT,
        related_name="reward_suggestions",
        verbose_name=_("period"),
        db_index=False,
    )
    code = models.SlugField(_("reward"), max_length=40)
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2, null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    policy_version = models.ForeignKey(
        "appraisals.PolicyVersion", on_delete=models.PROTECT, related_name="reward_suggestions"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    # Set when a reopened period closes again and computes a different amount for a decided reward:
    # HR sees the difference instead of the amount silently changing.
    recomputed_amount = models.DecimalField(
        _("recomputed amount"), max_digits=14, decimal_places=2, null=True, blank=True
    )
    recomputed_at = models.DateTimeField(_("recomputed at"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("reward suggestion")
        verbose_name_plural = _("reward suggestions")
        constraints = [
            models.UniqueConstraint(fields=["employee", "period", "code"], name="reward_unique_employee_period_code"),
            models.CheckConstraint(
                condition=Q(amount__isnull=True) | Q(amount__gt=Decimal("0")), name="reward_amount_positive"
            ),
            models.CheckConstraint(
                condition=Q(recomputed_amount__isnull=True) | Q(recomputed_amount__gte=Decimal("0")),
                name="reward_recomputed_amount_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(status="pending") | Q(decided_at__isnull=False), name="reward_decision_has_time"
            ),
        ]
        indexes = [
            # HR's reward list filters by status within a period.
            models.Index(fields=["period", "status"], name="reward_period_status"),
        ]

    def __str__(self) -> str:
        return f"{self.employee_id} {self.period_id} {self.code} {self.amount or ''}"

    @property
    def difference(self) -> Decimal | None:
        if self.recomputed_amount is None or self.amount is None:
            return None
        return self.recomputed_amount - self.amount
