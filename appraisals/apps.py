from django.apps import AppConfig


class AppraisalsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "appraisals"

    def ready(self) -> None:
        from appraisals import audit  # noqa: F401 - connects the audit trail's receivers
