"""Celery task of the notifications: mail what is waiting (enqueued by callers after commit, and
every minute by beat as a backstop)."""

from celery import shared_task

from notifications.services import emails_send


@shared_task(acks_late=True)
def send_notification_emails() -> int:
    return emails_send()
