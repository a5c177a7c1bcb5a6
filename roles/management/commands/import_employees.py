"""``manage.py import_employees FILE``: employees.csv / .xlsx into the org (POLICY.md §7)."""

from __future__ import annotations

from roles.services import employees_import
from sales_perf.commands import FileImportCommand


class Command(FileImportCommand):
    help = (
        "Create or update employees from an employees.csv or .xlsx file; a file with any bad row imports nothing. "
        "Progress goes to stderr."
    )
    command_name = "import_employees"
    file_help = "employees.csv or .xlsx"

    def run_import(self, **kwargs):
        return employees_import(**kwargs)

    def summary(self, result) -> str:
        unchanged = f", {result.unchanged} unchanged" if result.unchanged else ""
        return (
            f"Imported {result.rows} employees ({result.created} created, {result.updated} updated{unchanged}), "
            f"read as {result.encoding}."
        )
