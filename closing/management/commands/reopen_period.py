from django.core.management.base import BaseCommand, CommandError

from closing.exceptions import CloseRefused
from closing.reopen import period_reopen


class Command(BaseCommand):
    help = (
        "Reopen a closed PERIOD with a written reason (kept in the history of every period it reopens): "
        "a month also reopens every later closed month and the closed quarters and years containing them; "
        "a quarter also reopens its year."
    )

    def add_arguments(self, parser):
        parser.add_argument("period")
        parser.add_argument("--reason", required=True)

    def handle(self, *args, period: str, reason: str, **options):
        try:
            reopened = period_reopen(code=period, reason=reason)
        except CloseRefused as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"Reopened {', '.join(p.code for p in reopened)}.")
