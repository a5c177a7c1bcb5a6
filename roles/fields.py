"""The employee a row belongs to: a foreign key that several apps declare alike."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _


def employee_ref(related_name: str, *, on_delete: Any = models.PROTECT, **extra: Any) -> models.ForeignKey:
    return models.ForeignKey(
        "roles.Employee", on_delete=on_delete, related_name=related_name, verbose_name=_("employee"), **extra
    )
