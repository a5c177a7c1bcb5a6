"""Notifications (issue: people hear when their scorecard is ready, a reward is decided, a question
is filed or answered, ratings are due, a close failed): stored for the bell, mailed in the
recipient's language unless they turned that kind off. Inactive people get nothing.

``notify`` only stores; the mail goes out from a Celery task (``notifications.tasks``) that the
caller enqueues once its transaction commits, and from the beat as a backstop."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage, get_connection
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext

from notifications import messages
from notifications.models import Kind, Notification, Preference
from roles.access import HR_GROUP
from roles.models import Employee

logger = logging.getLogger(__name__)
MAIL_BATCH = 500


def _reachable_users(user_ids: Iterable[int]):
    """Active logins whose employee (if any) is active too."""
    return (
        get_user_model()
        .objects.filter(pk__in=set(user_ids), is_active=True)
        .exclude(employee__is_active=False)
        .select_related("notification_preference")
    )


def notify_each(*, kind: str, messages: Iterable[tuple[int, dict, str]], now: datetime | None = None) -> int:
    """Store notifications of ``kind``, one per ``(user id, params, url)``, for the active users among
    them, in one bulk insert; returns how many were stored."""
    messages = list(messages)
    now = now or timezone.now()
    users = {user.pk: user for user in _reachable_users(user_id for user_id, _params, _url in messages)}
    made = []
    for user_id, params, url in messages:
        user = users.get(user_id)
        if user is None:
            continue
        preference = getattr(user, "notification_preference", None)
        muted = kind in (preference.no_email if preference else [])
        made.append(
            Notification(recipient=user, kind=kind, params=params, url=url, created_at=now, email_wanted=not muted)
        )
    Notification.objects.bulk_create(made, batch_size=2000)
    return len(made)


def notify(*, kind: str, user_ids: Iterable[int], params: dict, url: str = "", now: datetime | None = None) -> int:
    """The same notification of ``kind`` to each active user among ``user_ids``; returns how many."""
    return notify_each(kind=kind, messages=[(user_id, params, url) for user_id in set(user_ids)], now=now)


def notify_employees(*, kind: str, messages: Iterable[tuple[int, dict, str]], now: datetime | None = None) -> int:
    """Like ``notify_each`` with employee ids: each goes to that employee's login, if they have one."""
    messages = list(messages)
    logins = dict(
        Employee.objects.filter(pk__in={pk for pk, _params, _url in messages}, user__isnull=False).values_list(
            "pk", "user_id"
        )
    )
    return notify_each(
        kind=kind,
        messages=[(logins[pk], params, url) for pk, params, url in messages if pk in logins],
        now=now,
    )


def hr_user_ids() -> list[int]:
    return list(
        get_user_model().objects.filter(Q(groups__name=HR_GROUP) | Q(is_superuser=True)).values_list("pk", flat=True)
    )


def unread_count(user) -> int:
    if not user.is_authenticated:
        return 0
    return Notification.objects.filter(recipient=user, read_at__isnull=True).count()


def notifications_mark_read(*, user, ids: Iterable[int] | None = None) -> int:
    """Mark the user's notifications (``ids``, or all) read; another's are never touched."""
    unread = Notification.objects.filter(recipient=user, read_at__isnull=True)
    if ids is not None:
        unread = unread.filter(pk__in=list(ids))
    return unread.update(read_at=timezone.now())


def preference_for(user) -> Preference:
    preference, _created = Preference.objects.get_or_create(user=user)
    return preference


def preference_update(*, user, language: str | None = None, no_email: Iterable[str] | None = None) -> Preference:
    preference = preference_for(user)
    if language is not None:
        preference.language = language
    if no_email is not None:
        preference.no_email = sorted(set(no_email) & set(Kind.values))
    preference.save(update_fields=["language", "no_email"])
    return preference


def _address(user) -> str:
    if user.email:
        return user.email
    employee = Employee.objects.filter(user=user).values_list("email", flat=True).first()
    return employee or ""


def emails_send(*, limit: int = MAIL_BATCH) -> int:
    """Mail the notifications waiting for it, each in its recipient's language; returns how many went.

    Each is claimed by a conditional update before it is sent, so two workers never send one twice."""
    pending = list(
        Notification.objects.filter(email_wanted=True, emailed_at__isnull=True)
        .select_related("recipient__notification_preference")
        .order_by("id")[:limit]
    )
    sent = 0
    connection = get_connection()
    for notification in pending:
        claimed = Notification.objects.filter(pk=notification.pk, emailed_at__isnull=True).update(
            emailed_at=timezone.now()
        )
        if not claimed:
            continue
        recipient = notification.recipient
        address = _address(recipient)
        if not address or not recipient.is_active:
            continue
        preference = getattr(recipient, "notification_preference", None)
        with translation.override(preference.language if preference else settings.LANGUAGE_CODE):
            subject = messages.title(notification)
            parts = [messages.body(notification)]
            if notification.url:
                link = settings.SALES_PERF_SITE_URL.rstrip("/") + notification.url
                parts.append(gettext("Open: %(url)s") % {"url": link})
            text = "\n\n".join(part for part in parts if part) or subject
        EmailMessage(subject=subject, body=text, to=[address], connection=connection).send()
        sent += 1
    return sent
