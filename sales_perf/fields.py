"""Model fields that many apps declare alike: who did something, when it happened, an amount of money.
Each function returns a plain Django field, so a model reads as before and the migrations see exactly
the field they always saw. (The employee and the period a row belongs to: roles.fields, appraisals.fields.)"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models


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


def money(verbose_name: Any, **extra: Any) -> models.DecimalField:
    """An amount of money: up to 12 digits before the decimal point and 2 after."""
    return models.DecimalField(verbose_name, max_digits=14, decimal_places=2, **extra)
