from django.core.management.base import BaseCommand, CommandError

from closing import services as closing
from closing.models import CloseJob
from closing.tasks import close_period_enqueue


class Command(BaseCommand):
    help = "Run the period-end job for PERIOD (YYYY-MM, YYYY-Qn or YYYY) through Celery and wait for it."

    def add_arguments(self, parser):
        parser.add_argument("period")
        parser.add_argument("--timeout", type=int, default=3600, help="seconds to wait for the workers")

    def handle(self, *args, period: str, timeout: int, **options):
        try:
            job = close_period_enqueue(code=period)
        except closing.CloseRefused as exc:
            raise CommandError(str(exc)) from None
        except Exception as exc:
            # In-process Celery runs the job inside the request; its failure has been recorded.
            raise CommandError(f"close of {period} failed: {exc}") from None
        try:
            job = closing.close_job_wait(
                job=job,
                timeout=timeout,
                on_progress=lambda j: self.stderr.write(f"{period}: {j.steps_done}/{j.steps_total or '?'} steps"),
            )
        except TimeoutError as exc:
            raise CommandError(str(exc)) from None
        if job.status == CloseJob.Status.FAILED:
            raise CommandError(f"close of {period} failed: {job.message}")
        summary = job.period.events.filter(action="closed").first().details
        self.stdout.write(
            f"Closed {period}: {summary['scorecards']} scorecards, {summary['rewards']} reward suggestions, "
            f"{summary['no_data']} employees with no data"
            + (
                f" ({', '.join(summary['no_data_sample'])}{', …' if summary['no_data'] > 20 else ''})"
                if summary["no_data"]
                else ""
            )
            + "."
        )
