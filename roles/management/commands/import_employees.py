"""``manage.py import_employees FILE``: employees.csv / .xlsx into the org (POLICY.md §7)."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from roles.services import employees_import
from sales_perf.tabular import ImportFailed, failure_lines


class Command(BaseCommand):
    help = (
        "Create or update employees from an employees.csv or .xlsx file; a file with any bad row imports nothing. "
        "Progress goes to stderr."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="employees.csv or .xlsx")

    def handle(self, *args, file: str, verbosity: int = 1, **options) -> None:
        path = Path(file)
        try:
            handle = path.open("rb")
        except OSError as exc:
            raise CommandError(f"{file}: cannot be read ({exc.strerror})") from None
        with handle:
            try:
                result = employees_import(
                    source=handle,
                    filename=path.name,
                    progress=self.stderr.write if verbosity >= 1 else None,
                    reason=f"import_employees command ({path.name})"[:100],
                )
            except ImportFailed as failed:
                for line in failure_lines(failed):
                    self.stderr.write(line)
                raise CommandError(f"{path.name}: {failed.message}, nothing imported") from None
        unchanged = f", {result.unchanged} unchanged" if result.unchanged else ""
        self.stdout.write(
            f"Imported {result.rows} employees ({result.created} created, {result.updated} updated{unchanged}), "
            f"read as {result.encoding}."
        )
