from __future__ import annotations

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class RewardRule(models.Model):
    """One reward of POLICY.md §6 with its figures, as part of a policy version."""

    class Kind(models.TextChoices):
        COMMISSION = "commission", _("commission on sales (tiers)")
        CONSECUTIVE_BANDS = "consecutive_bands", _("bands held for consecutive months")
        BAND_BONUS = "band_bonus", _("bonus base × band multiplier")
        BAND_FLAG = "band_flag", _("suggested for bands")
        DEVELOPMENT_FLAG = "development_flag", _("KPI below threshold (flag)")

    class BaseField(models.TextChoices):
        QUARTERLY = "quarterly_bonus_base", _("quarterly bonus base")
        ANNUAL = "annual_bonus_base", _("annual bonus base")

    policy_version = models.ForeignKey(
        "appraisals.PolicyVersion", on_delete=models.CASCADE, related_name="reward_rules"
    )
    code = models.SlugField(_("code"), max_length=40)
    label_en = models.CharField(_("English label"), max_length=200)
    label_zh = models.CharField(_("Chinese label"), max_length=200)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    roles = models.CharField(_("roles"), max_length=100, help_text=_("role codes separated by commas"))
    period_kinds = models.CharField(
        _("made at close of"), max_length=30, help_text=_("month, quarter, year separated by commas")
    )
    bands = models.CharField(_("bands"), max_length=10, blank=True, help_text=_("eligible band letters, e.g. AB"))
    is_cash = models.BooleanField(_("cash"), default=False)
    base_field = models.CharField(_("base"), max_length=24, choices=BaseField.choices, blank=True)
    default_base = models.DecimalField(_("default base"), max_digits=14, decimal_places=2, null=True, blank=True)
    window_months = models.PositiveSmallIntegerField(_("months in a row"), default=3)
    threshold = models.DecimalField(_("score threshold"), max_digits=7, decimal_places=2, null=True, blank=True)
    flat_rate = models.DecimalField(_("rate without a target"), max_digits=7, decimal_places=4, null=True, blank=True)
    actual_metric = models.CharField(_("actual metric"), max_length=40, default="sales_actual")
    target_metric = models.CharField(_("target metric"), max_length=40, default="sales_target")
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["policy_version", "order"]
        verbose_name = _("reward rule")
        verbose_name_plural = _("reward rules")
        constraints = [
            models.UniqueConstraint(fields=["policy_version", "code"], name="reward_rule_unique_code_per_version"),
            models.CheckConstraint(
                condition=Q(default_base__isnull=True) | Q(default_base__gte=Decimal("0")),
                name="reward_rule_default_base_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(flat_rate__isnull=True) | Q(flat_rate__gte=Decimal("0")),
                name="reward_rule_flat_rate_not_negative",
            ),
            models.CheckConstraint(condition=Q(window_months__gte=1), name="reward_rule_window_positive"),
        ]

    def __str__(self) -> str:
        return self.code

    @property
    def label(self) -> str:
        return self.label_zh if (get_language() or "").startswith("zh") else self.label_en

    @property
    def role_codes(self) -> list[str]:
        return [code.strip() for code in self.roles.split(",") if code.strip()]

    @property
    def period_kind_list(self) -> list[str]:
        return [kind.strip() for kind in self.period_kinds.split(",") if kind.strip()]


class BandMultiplier(models.Model):
    rule = models.ForeignKey(RewardRule, on_delete=models.CASCADE, related_name="multipliers")
    band = models.CharField(_("band"), max_length=1)
    multiplier = models.DecimalField(_("multiplier"), max_digits=7, decimal_places=4)

    class Meta:
        ordering = ["rule", "band"]
        verbose_name = _("band multiplier")
        verbose_name_plural = _("band multipliers")
        constraints = [
            models.UniqueConstraint(fields=["rule", "band"], name="band_multiplier_unique"),
            models.CheckConstraint(condition=Q(multiplier__gte=Decimal("0")), name="band_multiplier_not_negative"),
        ]

    def __str__(self) -> str:
        return f"{self.band} × {self.multiplier}"


class CommissionTier(models.Model):
    """The rate on the slice of sales up to ``up_to_multiple`` × target (empty: everything above)."""

    rule = models.ForeignKey(RewardRule, on_delete=models.CASCADE, related_name="tiers")
    up_to_multiple = models.DecimalField(_("up to × target"), max_digits=7, decimal_places=4, null=True, blank=True)
    rate = models.DecimalField(_("rate"), max_digits=7, decimal_places=4)

    class Meta:
        ordering = ["rule", models.F("up_to_multiple").asc(nulls_last=True)]
        verbose_name = _("commission tier")
        verbose_name_plural = _("commission tiers")
        constraints = [
            models.UniqueConstraint(fields=["rule", "up_to_multiple"], name="commission_tier_unique"),
            models.CheckConstraint(condition=Q(rate__gte=Decimal("0")), name="commission_tier_rate_not_negative"),
            models.CheckConstraint(
                condition=Q(up_to_multiple__isnull=True) | Q(up_to_multiple__gt=Decimal("0")),
                name="commission_tier_multiple_positive",
            ),
        ]

    def __str__(self) -> str:
        return f"≤ {self.up_to_multiple or '∞'} × target: {self.rate}"


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
