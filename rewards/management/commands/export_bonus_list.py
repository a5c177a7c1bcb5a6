from django.core.management.base import BaseCommand, CommandError

from rewards.selectors import BONUS_LIST_COLUMNS, bonus_list, bonus_list_is_provisional
from sales_perf.exports import add_export_arguments, write_export


class Command(BaseCommand):
    help = "Export the annual bonus list of YEAR (POLICY.md §7) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("year")
        add_export_arguments(parser)
        parser.add_argument("--approved-only", action="store_true", help="count approved rewards only")

    def handle(self, *args, year: str, format: str, output: str | None, approved_only: bool, **options):
        if not (year.isdigit() and len(year) == 4):
            raise CommandError(f"{year!r} is not a year (use YYYY)")
        if bonus_list_is_provisional(int(year)):
            self.stderr.write(f"{year} is not closed yet: this bonus list is provisional.")
        rows = bonus_list(year=int(year), approved_only=approved_only)
        write_export(
            BONUS_LIST_COLUMNS, (row.as_export_row() for row in rows), fmt=format, output=output, stdout=self.stdout
        )
