from django.contrib import admin

from sales_perf.admin import ReadOnlyAdmin
from uploads.models import ImportJob


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdmin):
    list_display = ["pk", "kind", "filename", "status", "requested_by", "created_at", "rows", "bad_rows"]
    list_filter = ["kind", "status"]
    exclude = ["errors"]
