from datetime import timedelta

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.utils import timezone

from closing.services import period_due_for_auto_close


class Command(BaseCommand):
    help = (
        "Close, oldest first, every month that ended before today and has metrics, then every quarter and "
        "year whose parts are closed (what the scheduler would have done). Safe to run again."
    )

    def handle(self, *args, **options):
        today = timezone.localdate()
        closed = []
        while True:
            # A month is due the day after it ends; quarters and years as soon as their parts are closed.
            code = period_due_for_auto_close(today=today - timedelta(days=1), days_after_end=0)
            if code is None or code in closed:
                break
            call_command("close_period", code, stdout=self.stdout, stderr=self.stderr)
            closed.append(code)
        self.stdout.write(f"Closed {len(closed)} periods." if closed else "Nothing to close.")
