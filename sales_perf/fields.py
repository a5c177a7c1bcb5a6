"""Model fields that many apps declare alike: who did something, when it happened, the employee and
period a row belongs to, an amount of money. Each function returns a plain Django field, so a model
reads as before and the migrations see exactly the field they always saw."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


def user_ref(verbose_name: Any = None, *, on_delete: Any = models.SET_NULL, **extra: Any) -> models.ForeignKey:
    """A user who did something, kept optional (empty for the scheduler, or once the user is gone)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=on_delete,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=verbose_name,
        **extra,
    )


def optional_moment(verbose_name: Any = None) -> models.DateTimeField:
    """When something happened, empty until it has."""
    return models.DateTimeField(verbose_name, null=True, blank=True)


def employee_ref(related_name: str, *, on_delete: Any = models.PROTECT, **extra: Any) -> models.ForeignKey:
    return models.ForeignKey(
        "roles.Employee", on_delete=on_delete, related_name=related_name, verbose_name=_("employee"), **extra
    )


def period_ref(related_name: str, *, on_delete: Any = models.PROTECT, **extra: Any) -> models.ForeignKey:
    return models.ForeignKey(
        "appraisals.Period", on_delete=on_delete, related_name=related_name, verbose_name=_("period"), **extra
    )


def money(verbose_name: Any, **extra: Any) -> models.DecimalField:
    """An amount of money: up to 12 digits before the decimal point and 2 after."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **extra)
