"""``manage.py import_metrics FILE``: metrics.csv / .xlsx values (POLICY.md §4, §7)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from appraisals.services import metrics_import
from sales_perf.tabular import ImportFailed, failure_lines


class Command(BaseCommand):
    help = (
        "Import metric values from a metrics.csv or .xlsx file (employee_no, period, metric, value); "
        "a file with any bad row imports nothing. Progress goes to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="metrics.csv or .xlsx")

    def handle(self, *args, file: str, verbosity: int = 1, **options) -> None:
        path = Path(file)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror})") from None
        progress = self.stderr.write if verbosity >= 1 else None
        with handle:
            try:
                result = metrics_import(
                    source=handle,
                    filename=path.name,
                    progress=progress,
                    reason=f"import_metrics command ({path.name})"[:100],
                )
            except ImportFailed as failed:
                for line in failure_lines(failed):
                    self.stderr.write(line)
                raise CommandError(f"{path.name}: {failed.message}, nothing imported") from None
        self.stdout.write(
            f"Imported {result.rows} metric values ({result.created} created, {result.updated} updated), "
            f"read as {result.encoding}."
        )
