"""Reads behind the bell (/notifications/): a person's notifications and where one points."""

from __future__ import annotations

from django.db.models import QuerySet

from notifications.models import Notification


def notifications_of(user) -> QuerySet[Notification]:
    """The user's notifications in their model's order (newest first)."""
    return Notification.objects.filter(recipient=user)


def notification_url(user, pk: int) -> str:
    """Where the user's notification ``pk`` points; empty when it points nowhere or is not theirs."""
    return Notification.objects.filter(recipient=user, pk=pk).values_list("url", flat=True).first() or ""
