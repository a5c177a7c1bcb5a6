"""Load test of the busiest pages: gunicorn with production settings on this database, Locust
(headless) with logged-in simulated people, and a table of p50, p95, p99 and errors per page.

Run it on the PostgreSQL database bench_close built (100,000 employees, closed 2025 periods):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sales_perf_bench \\
        python manage.py bench_web --users 20 --seconds 60 --unit-size 1000

``--unit-size`` first moves whole supervisor teams under the demo manager until their unit holds
that many people (the team page's worst case); it changes the org, so use a benchmark database.
"""

from __future__ import annotations

import csv
import os
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import Count

from roles.models import Employee, Role

ROOT = Path(settings.BASE_DIR)
LOCUSTFILE = Path(__file__).resolve().parents[2] / "bench" / "locustfile.py"
COLUMNS = ("page", "requests", "errors", "p50 ms", "p95 ms", "p99 ms", "max ms", "req/s")


class Command(BaseCommand):
    help = "Load-test the busiest pages with Locust against gunicorn and print p50/p95/p99 and errors per page."

    def add_arguments(self, parser):
        parser.add_argument("--users", type=int, default=20, help="simulated people at once (default 20)")
        parser.add_argument("--seconds", type=int, default=60, help="how long to run (default 60)")
        parser.add_argument("--wait", type=float, default=1.0, help="mean think time between requests (s)")
        parser.add_argument("--workers", type=int, default=4, help="gunicorn worker processes (default 4)")
        parser.add_argument("--port", type=int, default=8765)
        parser.add_argument("--year", type=int, default=2025, help="the bonus list's year")
        parser.add_argument("--unit-size", type=int, default=0, help="grow the demo manager's unit to this size")

    def handle(self, *args, users, seconds, wait, workers, port, year, unit_size, **options):
        if connection.vendor != "postgresql":
            self.stderr.write("warning: not PostgreSQL; the figures will not mean much")
        if not Employee.objects.filter(user__username="manager").exists():
            raise CommandError("no demo logins here: run bench_close (or seed_demo) on this database first")
        if unit_size:
            self.stdout.write(f"The demo manager's unit: {self._grow_unit(unit_size):,} people")
        env = {
            **os.environ,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": os.environ.get("DJANGO_SECRET_KEY") or secrets.token_urlsafe(50),
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
            "DJANGO_HSTS_SECONDS": "0",
            "DJANGO_LOG_LEVEL": "WARNING",
            "BENCH_YEAR": str(year),
            "BENCH_WAIT": str(wait),
        }
        # The production static storage (hashed names from a manifest), as gunicorn will serve it.
        subprocess.run(
            [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True
        )
        gunicorn = ["gunicorn", "sales_perf.wsgi", "--workers", str(workers), "--bind", f"127.0.0.1:{port}"]
        server = subprocess.Popen(  # noqa: S603 - our own interpreter, fixed arguments
            [sys.executable, "-m", *gunicorn, "--log-level", "warning"],
            cwd=ROOT,
            env=env,
        )
        try:
            self._wait_until_up(port)
            with tempfile.TemporaryDirectory() as folder:
                prefix = Path(folder) / "bench"
                load = ["--users", str(users), "--spawn-rate", str(users), "--run-time", f"{seconds}s"]
                target = ["--host", f"http://127.0.0.1:{port}", "--csv", str(prefix), "--loglevel", "WARNING"]
                subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
                    [
                        sys.executable,
                        "-m",
                        "locust",
                        "-f",
                        str(LOCUSTFILE),
                        "--headless",
                        "--only-summary",
                        *load,
                        *target,
                    ],
                    cwd=ROOT,
                    env=env,
                    check=False,
                    stdout=subprocess.DEVNULL,
                )
                rows = list(csv.DictReader((prefix.parent / "bench_stats.csv").open()))
        finally:
            server.terminate()
            server.wait(timeout=30)
        self._print(rows, users=users, seconds=seconds, wait=wait, workers=workers)

    def _grow_unit(self, size: int) -> int:
        """Move supervisors (with their reps) of other managers under the demo manager until the
        manager's unit holds at least ``size`` people; returns the unit's size."""
        manager = Employee.objects.get(user__username="manager")
        supervisors = Employee.objects.filter(role__code=Role.SUPERVISOR).annotate(reps=Count("reports"))
        unit = list(supervisors.filter(reports_to=manager).values_list("reps", flat=True))
        people = len(unit) + sum(unit)
        moved = []
        for pk, reps in supervisors.exclude(reports_to=manager).order_by("employee_no").values_list("pk", "reps"):
            if people >= size:
                break
            moved.append(pk)
            people += 1 + reps
        with transaction.atomic():
            Employee.objects.filter(pk__in=moved).update(reports_to=manager)
        return people

    def _wait_until_up(self, port: int) -> None:
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}/accounts/login/", headers={"X-Forwarded-Proto": "https"}
        )
        for _ in range(60):
            try:
                with urllib.request.urlopen(request, timeout=5):  # noqa: S310
                    return
            except (urllib.error.URLError, ConnectionError):
                time.sleep(0.5)
        raise CommandError("gunicorn did not answer within 30 s")

    def _print(self, rows: list[dict], *, users: int, seconds: int, wait: float, workers: int) -> None:
        self.stdout.write(
            f"\n{users} users, about {wait:g} s between requests, {seconds} s, gunicorn with {workers} workers, "
            f"database {connection.vendor}"
        )
        self.stdout.write("{:<28} {:>8} {:>7} {:>7} {:>7} {:>7} {:>7} {:>6}".format(*COLUMNS))
        for row in rows:
            name = "all pages" if row["Name"] == "Aggregated" else row["Name"]
            self.stdout.write(
                f"{name:<28} {int(row['Request Count']):>8} {int(row['Failure Count']):>7} "
                f"{row['50%']:>7} {row['95%']:>7} {row['99%']:>7} {float(row['Max Response Time']):>7.0f} "
                f"{float(row['Requests/s']):>6.1f}"
            )
