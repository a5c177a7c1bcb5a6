import sys

from django.core.management.base import BaseCommand, CommandError

from appraisals.exports import ExportRefused, scorecard_export
from appraisals.models import Period
from appraisals.periods import PeriodCodeError, PeriodRef
from sales_perf.exports import FORMATS, write_table


class Command(BaseCommand):
    help = "Export a closed period's scorecards (POLICY.md §7) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("period")
        parser.add_argument("--format", choices=FORMATS, default="csv")
        parser.add_argument("-o", "--output", help="file to write (default: standard output)")

    def handle(self, *args, period: str, format: str, output: str | None, **options):
        try:
            code = PeriodRef.parse(period).code
        except PeriodCodeError as exc:
            raise CommandError(str(exc)) from None
        found = Period.objects.filter(code=code).first()
        if found is None:
            raise CommandError(f"{code} is not closed: there are no scorecards to export yet")
        try:
            header, rows = scorecard_export(period=found)
        except ExportRefused as exc:
            raise CommandError(str(exc)) from None
        write_export(header, rows, fmt=format, output=output, stdout=self.stdout)


def write_export(header, rows, *, fmt: str, output: str | None, stdout) -> None:
    if output:
        mode = "w" if fmt == "csv" else "wb"
        with open(output, mode, encoding="utf-8" if fmt == "csv" else None, newline="" if fmt == "csv" else None) as f:
            write_table(header, rows, fmt=fmt, stream=f)
    elif fmt == "csv":
        write_table(header, rows, fmt=fmt, stream=stdout)
    else:
        stdout.flush()
        write_table(header, rows, fmt=fmt, stream=sys.stdout.buffer)
