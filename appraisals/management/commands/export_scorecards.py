from django.core.management.base import BaseCommand, CommandError

from appraisals.exports import ExportRefused, scorecard_export
from appraisals.models import Period
from appraisals.periods import PeriodCodeError, PeriodRef
from sales_perf.exports import add_export_arguments, write_export


class Command(BaseCommand):
    help = "Export a closed period's scorecards (POLICY.md §7) as CSV or XLSX."

    def add_arguments(self, parser):
        parser.add_argument("period")
        add_export_arguments(parser)

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
