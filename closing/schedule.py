"""Every periodic task of the app, in one place. The closing app installs it on the Celery app
when Django starts; django-celery-beat's DatabaseScheduler stores these entries on start, so HR
can pause or re-time them in the admin."""

BEAT_SCHEDULE = {
    # Closes whatever is due: months SALES_PERF_AUTO_CLOSE_DAYS days after they end, then quarters and years.
    "auto-close-periods": {"task": "closing.tasks.auto_close_periods", "schedule": 15 * 60},
    # Pushes the line when its chain was lost with a worker, and takes over a close whose lease ran out.
    "close-line-watch": {"task": "closing.tasks.close_line_watch", "schedule": 30},
    # Five days before a quarter ends, reminds each lead who still has people to rate (once per quarter).
    "ratings-due-reminders": {"task": "closing.tasks.ratings_due_remind", "schedule": 60 * 60},
    # Mails the notifications still waiting (callers enqueue it too, once their change is committed).
    "send-notification-emails": {"task": "notifications.tasks.send_notification_emails", "schedule": 60},
}
