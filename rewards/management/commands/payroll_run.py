"""Hand approved cash rewards (and adjustments of paid ones) to payroll as one immutable run; with
--dry-run, show what the run would hold and make nothing."""

from __future__ import annotations

import sys

from django.core.management.base import BaseCommand, CommandError

from appraisals.models import Period
from rewards.models import PayrollRun
from rewards.payroll import PayrollRefused, payroll_file, payroll_plan, payroll_run_create, payroll_run_file


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("--period", help="only rewards of this closed period (YYYY-MM, YYYY-Qn or YYYY)")
        parser.add_argument("--format", choices=PayrollRun.Format.values, default=PayrollRun.Format.CSV)
        parser.add_argument("-o", "--output", help="write the file here (default: standard output)")
        parser.add_argument("--dry-run", action="store_true", help="show the lines; make no run")

    def handle(self, *args, period: str | None, format: str, output: str | None, dry_run: bool, **options):
        chosen = None
        if period:
            chosen = Period.objects.filter(code=period, status=Period.Status.CLOSED).first()
            if chosen is None:
                raise CommandError(f"{period} is not a closed period")
        if dry_run:
            plan = payroll_plan(period=chosen)
            if not plan.lines:
                raise CommandError("nothing to pay: no approved cash reward or adjustment is waiting")
            content = payroll_file(run_id=None, lines=plan.lines, fmt=format)
            self.stderr.write(f"Dry run: {len(plan.lines)} lines, {plan.total:.2f} in all; no run was made.")
        else:
            try:
                run = payroll_run_create(user=None, fmt=format, period=chosen)
            except PayrollRefused as exc:
                raise CommandError(str(exc)) from None
            content, _name = payroll_run_file(run)
            self.stderr.write(
                f"Payroll run #{run.pk}: {run.lines_count} lines, {run.total:.2f} in all; SHA-256 {run.sha256}"
            )
        if output:
            with open(output, "wb") as stream:
                stream.write(content)
        elif format == PayrollRun.Format.CSV:
            self.stdout.write(content.decode("utf-8"), ending="")
        else:
            self.stdout.flush()
            sys.stdout.buffer.write(content)
