"""Run the period-end job for PERIOD (YYYY-MM, YYYY-Qn or YYYY), or with --due for every ended, open
period in order (months, then quarters, then years), through the one line of closes, and wait."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from closing.exceptions import CloseRefused
from closing.line import close_job_wait
from closing.models import CloseJob
from closing.tasks import close_due_enqueue, close_line_run, close_period_enqueue


class Command(BaseCommand):
    help = __doc__

    def add_arguments(self, parser):
        parser.add_argument("period", nargs="?")
        parser.add_argument("--due", action="store_true", help="close every period that has ended and is open")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for the workers")

    def handle(self, *args, period: str | None, due: bool, timeout: int, **options):
        if bool(period) == due:
            raise CommandError("give a PERIOD or --due (not both)")
        try:
            if due:
                jobs, refusals = close_due_enqueue()
            else:
                jobs, refusals = [close_period_enqueue(code=period)], []
        except CloseRefused as exc:
            raise CommandError(str(exc)) from None
        except Exception as exc:
            # In-process Celery runs the job inside the request; its failure has been recorded.
            raise CommandError(f"close of {period or 'the due periods'} failed: {exc}") from None
        if due and not jobs and not refusals:
            self.stdout.write("Nothing is due.")
        failed = [self._wait(job, timeout) for job in jobs]
        problems = [message for message in failed if message] + refusals
        if problems:
            raise CommandError("; ".join(problems))

    def _wait(self, job: CloseJob, timeout: int) -> str:
        """Wait for one job, report it, and return its failure (empty when it closed)."""
        code = job.period.code
        try:
            job = close_job_wait(
                job=job,
                timeout=timeout,
                on_progress=lambda j: self.stderr.write(
                    f"{code}: {j.get_status_display()} {j.steps_done}/{j.steps_total or '?'} steps"
                ),
                # Nobody else may be running the line (a dead worker, an in-process run that stopped).
                on_stall=close_line_run.delay,
            )
        except TimeoutError as exc:
            return str(exc)
        if job.status != CloseJob.Status.DONE:
            return f"close of {code} {job.get_status_display()}: {job.message}"
        summary = job.period.events.filter(action="closed").first().details
        sample = summary["no_data_sample"]
        self.stdout.write(
            f"Closed {code}: {summary['scorecards']} scorecards, {summary['rewards']} reward suggestions, "
            f"{summary['no_data']} employees with no data"
            + (
                f" ({', '.join(sample)}{', …' if summary['no_data'] > len(sample) else ''})"
                if summary["no_data"]
                else ""
            )
            + "."
        )
        return ""
