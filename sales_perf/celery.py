import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "sales_perf.settings")

app = Celery("sales_perf")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The periodic tasks are defined in closing/schedule.py, installed when Django starts.
