from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from sales_perf.fields import money

# An employee number is letters, digits, "-", "_" and "." and does not start with "-": it appears in
# URLs, file names and spreadsheets (where a leading "=", "+", "-" or "@" would start a formula).
EMPLOYEE_NO_PATTERN = r"^[A-Za-z0-9_.][A-Za-z0-9_.-]*\Z"
employee_no_validator = RegexValidator(
    EMPLOYEE_NO_PATTERN,
    _('Use letters, digits, "-", "_" and "." only, not starting with "-".'),
    code="invalid_employee_no",
)


class Role(models.Model):
    """A sales role of the written policy (POLICY.md §1)."""

    MANAGER = "manager"
    SUPERVISOR = "supervisor"
    REP = "rep"

    code = models.SlugField(_("code"), max_length=32, unique=True)
    name_en = models.CharField(_("English name"), max_length=100)
    name_zh = models.CharField(_("Chinese name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        ordering = ["order", "code"]
        verbose_name = _("role")
        verbose_name_plural = _("roles")

    def __str__(self) -> str:
        return self.name

    @property
    def name(self) -> str:
        return self.name_zh if (get_language() or "").startswith("zh") else self.name_en


class Duty(models.Model):
    role = models.ForeignKey(Role, on_delete=models.CASCADE, related_name="duties", verbose_name=_("role"))
    order = models.PositiveSmallIntegerField(_("order"))
    text_en = models.TextField(_("English text"))
    text_zh = models.TextField(_("Chinese text"))

    class Meta:
        ordering = ["role", "order"]
        verbose_name = _("duty")
        verbose_name_plural = _("duties")
        constraints = [models.UniqueConstraint(fields=["role", "order"], name="duty_unique_role_order")]

    def __str__(self) -> str:
        return f"{self.role.code} {self.order}"

    @property
    def text(self) -> str:
        return self.text_zh if (get_language() or "").startswith("zh") else self.text_en


class Employee(models.Model):
    employee_no = models.CharField(_("employee no."), max_length=32, unique=True, validators=[employee_no_validator])
    name = models.CharField(_("name"), max_length=200)
    email = models.EmailField(_("email"), blank=True)
    role = models.ForeignKey(Role, on_delete=models.PROTECT, related_name="employees", verbose_name=_("role"))
    reports_to = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="reports",
        verbose_name=_("reports to"),
    )
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    is_active = models.BooleanField(
        _("active"), default=True, help_text=_("Untick for a leaver, and give the end date.")
    )
    # A leaver keeps their history; they are not scored for months after this day and cannot log in.
    end_date = models.DateField(_("end date"), null=True, blank=True, help_text=_("last working day"))
    # Empty means "the policy default in force for the period" (POLICY.md §6).
    quarterly_bonus_base = money(_("quarterly bonus base"), null=True, blank=True)
    annual_bonus_base = money(_("annual bonus base"), null=True, blank=True)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="employee",
        verbose_name=_("login"),
    )

    class Meta:
        ordering = ["employee_no"]
        verbose_name = _("employee")
        verbose_name_plural = _("employees")
        constraints = [
            models.CheckConstraint(
                condition=Q(quarterly_bonus_base__isnull=True) | Q(quarterly_bonus_base__gte=Decimal("0")),
                name="employee_quarterly_bonus_base_not_negative",
            ),
            models.CheckConstraint(
                condition=Q(annual_bonus_base__isnull=True) | Q(annual_bonus_base__gte=Decimal("0")),
                name="employee_annual_bonus_base_not_negative",
            ),
            models.CheckConstraint(
                condition=~Q(reports_to=models.F("id")),
                name="employee_not_own_manager",
            ),
        ]

    # The audit trail: every change of manager, role, bonus base, active or end date, with who and when.
    history = HistoricalRecords(
        verbose_name=_("employee change"),
        verbose_name_plural=_("employee changes"),
        user_db_constraint=False,
    )

    def __str__(self) -> str:
        return f"{self.employee_no} {self.name}"

    def has_left(self, on: date | None = None) -> bool:
        """Inactive, or past the end date on ``on`` (default: today)."""
        if not self.is_active:
            return True
        return self.end_date is not None and self.end_date < (on or timezone.localdate())
