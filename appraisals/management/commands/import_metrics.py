"""Import metric values from a metrics.csv or .xlsx file (employee_no, period, metric, value); a file
with any bad row imports nothing. Progress goes to stderr."""

# ``manage.py import_metrics FILE`` (POLICY.md §4, §7); the docstring is its --help.

from __future__ import annotations

from appraisals.metric_import import metrics_import
from sales_perf.commands import FileImportCommand


class Command(FileImportCommand):
    help = __doc__
    file_help = "metrics.csv or .xlsx"
    run_import = staticmethod(metrics_import)

    def summary(self, result) -> str:
        return (
            f"Imported {result.rows} metric values ({result.created} created, {result.updated} updated), "
            f"read as {result.encoding}."
        )
