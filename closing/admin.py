from django.contrib import admin

from closing.models import CloseJob
from sales_perf.admin import ReadOnlyAdmin


@admin.register(CloseJob)
class CloseJobAdmin(ReadOnlyAdmin):
    list_display = ["period", "status", "steps_done", "steps_total", "created_at", "finished_at", "message"]
    list_filter = ["status"]
