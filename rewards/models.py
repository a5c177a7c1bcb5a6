from __future__ import annotations

from decimal import Decimal

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from appraisals.fields import period_ref
from roles.fields import employee_ref
from sales_perf.fields import money, optional_moment, user_ref


class RewardSuggestion(models.Model):
    """A reward the period-end job suggested; HR approves or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("pending")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    # Indexed through the unique (employee, period, code) and the (period, status) index.
    employee = employee_ref("reward_suggestions", db_index=False)
    period = period_ref("reward_suggestions", db_index=False)
    code = models.SlugField(_("reward"), max_length=40)
    amount = money(_("amount"), null=True, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    policy_version = models.ForeignKey(
        "appraisals.PolicyVersion", on_delete=models.PROTECT, related_name="reward_suggestions"
    )
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    decided_by = user_ref(_("decided by"))
    decided_at = optional_moment(_("decided at"))
    # Why HR rejected it (required then); the employee sees it on their pages.
    reason = models.TextField(_("reason"), blank=True)
    # Set when a reopened period closes again and computes a different amount for a decided reward:
    # HR sees the difference instead of the amount silently changing.
    recomputed_amount = money(_("recomputed amount"), null=True, blank=True)
    recomputed_at = optional_moment(_("recomputed at"))
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
            models.CheckConstraint(condition=~Q(status="rejected") | ~Q(reason=""), name="reward_rejection_has_reason"),
        ]
        indexes = [
            # HR's reward list filters by status within a period, and its totals per period and
            # reward kind read this index alone (it covers code and amount).
            models.Index(fields=["period", "code", "status"], include=["amount"], name="reward_period_code_status"),
        ]

    # The audit trail of HR's decisions (rewards.services writes a row for each one).
    history = HistoricalRecords(
        verbose_name=_("reward decision"),
        verbose_name_plural=_("reward decisions"),
        excluded_fields=["details"],
        user_db_constraint=False,
    )

    def __str__(self) -> str:
        return f"{self.employee_id} {self.period_id} {self.code} {self.amount or ''}"

    @property
    def difference(self) -> Decimal | None:
        if self.recomputed_amount is None or self.amount is None:
            return None
        return self.recomputed_amount - self.amount


class PayrollRun(models.Model):
    """Approved cash handed to payroll: immutable once made (who, when, the lines, the file and its SHA-256)."""

    class Format(models.TextChoices):
        CSV = "csv", "CSV"
        XLSX = "xlsx", "XLSX"

    created_by = user_ref(_("by"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("made at"))
    period = models.ForeignKey(
        "appraisals.Period",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="payroll_runs",
        verbose_name=_("only the period"),
    )
    file_format = models.CharField(_("format"), max_length=4, choices=Format.choices)
    file = models.BinaryField(_("file"), editable=False)
    sha256 = models.CharField(_("SHA-256 of the file"), max_length=64)
    lines_count = models.PositiveIntegerField(_("lines"))
    total = models.DecimalField(_("total"), max_digits=16, decimal_places=2)
    # The form's one-time token: a double submit of the same run finds the run it already made.
    token = models.UUIDField(_("request token"), unique=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("payroll run")
        verbose_name_plural = _("payroll runs")

    def __str__(self) -> str:
        return f"#{self.pk} {self.created_at:%Y-%m-%d}"


class PayrollLine(models.Model):
    """One line of a payroll run: a reward's payment, or an adjustment of an earlier payment."""

    class Kind(models.TextChoices):
        PAYMENT = "payment", _("payment")
        ADJUSTMENT = "adjustment", _("adjustment")

    run = models.ForeignKey(PayrollRun, on_delete=models.PROTECT, related_name="lines", verbose_name=_("run"))
    reward = models.ForeignKey(
        RewardSuggestion, on_delete=models.PROTECT, related_name="payroll_lines", verbose_name=_("reward")
    )
    kind = models.CharField(_("line kind"), max_length=10, choices=Kind.choices)
    amount = money(_("amount"))
    original_run = models.ForeignKey(
        PayrollRun,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("adjusts the run"),
    )
    # As the file holds them, so the run reads the same whatever later happens to the employee.
    employee_no = models.CharField(_("employee no."), max_length=32)
    name = models.CharField(_("name"), max_length=200)
    period_code = models.CharField(_("period"), max_length=7)
    reward_code = models.CharField(_("reward"), max_length=40)

    class Meta:
        ordering = ["run", "id"]
        verbose_name = _("payroll line")
        verbose_name_plural = _("payroll lines")
        constraints = [
            # A reward is paid in at most one run: never twice.
            models.UniqueConstraint(
                fields=["reward"], condition=Q(kind="payment"), name="payroll_line_one_payment_per_reward"
            ),
            models.CheckConstraint(
                condition=~Q(kind="payment") | Q(amount__gt=Decimal("0"), original_run__isnull=True),
                name="payroll_payment_positive",
            ),
            models.CheckConstraint(
                condition=~Q(kind="adjustment") | (~Q(amount=Decimal("0")) & Q(original_run__isnull=False)),
                name="payroll_adjustment_refers_to_a_run",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.run_id} {self.employee_no} {self.reward_code} {self.amount}"


class PayrollAdjustment(models.Model):
    """A change to a reward that was already paid (HR took a recomputed amount): new − paid, waiting
    for the next payroll run, which carries it as an adjustment line."""

    reward = models.ForeignKey(
        RewardSuggestion, on_delete=models.PROTECT, related_name="adjustments", verbose_name=_("reward")
    )
    amount = money(_("amount"))
    created_by = user_ref(_("by"), on_delete=models.PROTECT)
    created_at = models.DateTimeField(_("at"))
    line = models.OneToOneField(
        PayrollLine,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="adjustment",
        verbose_name=_("paid in the line"),
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("payroll adjustment")
        verbose_name_plural = _("payroll adjustments")
        constraints = [
            models.CheckConstraint(condition=~Q(amount=Decimal("0")), name="payroll_adjustment_not_zero"),
        ]

    def __str__(self) -> str:
        return f"{self.reward_id} {self.amount}"
