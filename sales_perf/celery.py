import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sales_perf.settings")

app = Celery("sales_perf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# Every periodic task, in one place. DatabaseScheduler (django-celery-beat) stores these on start,
# so HR can pause or re-time them in the admin.
app.conf.beat_schedule = {
    "auto-close-periods": {
        "task": "closing.tasks.auto_close_periods",
        "schedule": 15 * 60,
    },
}
