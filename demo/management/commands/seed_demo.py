"""``manage.py seed_demo``: a demo org with months of metrics and documented demo logins."""

from __future__ import annotations

import argparse
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from appraisals.periods import MONTH, PeriodCodeError, PeriodRef
from demo.exceptions import DemoSeedError
from demo.seed import demo_seed


def _month(value: str) -> PeriodRef:
    try:
        ref = PeriodRef.parse(value)
    except PeriodCodeError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    if ref.kind != MONTH:
        raise argparse.ArgumentTypeError(f"{value!r} is not a month (use YYYY-MM)")
    return ref


class Command(BaseCommand):
    help = (
        "Create a demo sales org (managers over supervisors over reps) with months of plausible metrics "
        "and demo logins. The same arguments always produce the same data."
    )

    def add_arguments(self, parser: argparse.ArgumentParser) -> None:
        parser.add_argument("--employees", type=int, default=40, help="headcount (at least 3; default 40)")
        parser.add_argument("--months", type=int, default=12, help="months of metrics (default 12)")
        parser.add_argument("--seed", type=int, default=42, help="random seed (default 42)")
        parser.add_argument("--end", type=_month, help="last month, YYYY-MM (default: the month before today)")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="delete the existing demo employees and their metric values first",
        )

    def handle(self, *args, **options) -> None:
        end = options["end"]
        if end is None:
            today = timezone.localdate()
            end = PeriodRef.month(today.year, today.month).previous()
        started = time.monotonic()

        def progress(message: str) -> None:
            self.stdout.write(f"[{time.monotonic() - started:7.1f}s] {message}")

        try:
            result = demo_seed(
                end=end,
                employees=options["employees"],
                months=options["months"],
                seed=options["seed"],
                reset=options["reset"],
                progress=progress,
            )
        except DemoSeedError as exc:
            raise CommandError(str(exc)) from exc

        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data: {result.employees:,} employees (managers {result.managers:,}, "
                f"supervisors {result.supervisors:,}, reps {result.reps:,}), {result.metric_values:,} metric values, "
                f"{result.periods[0]} … {end.code}, in {time.monotonic() - started:.1f}s."
            )
        )
        self.stdout.write("Demo logins (demo passwords: never use them on a real database):")
        for login in result.logins:
            linked = f" → {login.employee_no} {login.employee_name}" if login.employee_no else ""
            self.stdout.write(f"  {login.username:<11} {login.password:<21} {login.description}{linked}")
