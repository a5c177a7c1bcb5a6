from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ClosingConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "closing"
    verbose_name = _("Period close")

    def ready(self) -> None:
        from closing.schedule import BEAT_SCHEDULE
        from sales_perf.celery import app

        app.conf.beat_schedule = BEAT_SCHEDULE
