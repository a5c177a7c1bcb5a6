"""``manage.py import_metrics FILE``: metrics.csv / .xlsx values (POLICY.md §4, §7)."""

from __future__ import annotations

from appraisals.services import metrics_import
from sales_perf.commands import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Import metric values from a metrics.csv or .xlsx file (employee_no, period, metric, value); "
        "a file with any bad row imports nothing. Progress goes to stderr."
    )
    command_name = "import_metrics"
    file_help = "metrics.csv or .xlsx"

    def run_import(self, **kwargs):
        return metrics_import(**kwargs)

    def summary(self, result) -> str:
        return (
            f"Imported {result.rows} metric values ({result.created} created, {result.updated} updated), "
            f"read as {result.encoding}."
        )
