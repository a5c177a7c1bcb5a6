"""Create or update employees from an employees.csv or .xlsx file; a file with any bad row imports
nothing. Progress goes to stderr."""

# ``manage.py import_employees FILE``: the org (POLICY.md §7); the docstring is its --help.

from __future__ import annotations

from roles.employee_import import employees_import
from sales_perf.commands import FileImportCommand


class Command(FileImportCommand):
    help = __doc__
    file_help = "employees.csv or .xlsx"
    run_import = staticmethod(employees_import)

    def summary(self, result) -> str:
        unchanged = f", {result.unchanged} unchanged" if result.unchanged else ""
        return (
            f"Imported {result.rows} employees ({result.created} created, {result.updated} updated{unchanged}), "
            f"read as {result.encoding}."
        )
