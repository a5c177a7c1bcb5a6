"""Time single requests to the busiest pages, with their SQL, on this database (no load).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sales_perf_bench python manage.py bench_pages

Each page is requested once to warm up, then ``--repeat`` times through Django's test client as
its demo login; the command prints the median wall time, the queries and their total time, and
with ``--slowest N`` the slowest statements. ``bench_web`` measures the same pages under load.
"""

from __future__ import annotations

import statistics
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

PAGES = (
    ("rep", "/me/"),
    ("manager", "/team/"),
    ("hr", "/hr/"),
    ("hr", "/hr/rewards/"),
    ("hr", "/hr/bonus/{year}/"),
)


class Command(BaseCommand):
    help = "Time single requests to the busiest pages and count their queries."

    def add_arguments(self, parser):
        parser.add_argument("--year", type=int, default=2025, help="the bonus list's year")
        parser.add_argument("--repeat", type=int, default=5, help="timed requests per page (default 5)")
        parser.add_argument("--slowest", type=int, default=0, help="also print the N slowest statements")

    def handle(self, *args, year: int, repeat: int, slowest: int, **options):
        users = {user.username: user for user in get_user_model().objects.filter(username__in=["rep", "manager", "hr"])}
        if len(users) < 3:
            raise CommandError("no demo logins here: run bench_close (or seed_demo) on this database first")
        self.stdout.write(f"{'page':<22} {'median ms':>10} {'queries':>8} {'SQL ms':>8}")
        for username, path in PAGES:
            path = path.format(year=year)
            client = Client(HTTP_HOST="127.0.0.1")
            client.force_login(users[username])
            if client.get(path).status_code != 200:
                raise CommandError(f"{path} as {username} did not answer 200")
            times = []
            for _ in range(max(repeat, 1)):
                with CaptureQueriesContext(connection) as captured:
                    started = time.perf_counter()
                    client.get(path)
                    times.append(time.perf_counter() - started)
            queries = captured.captured_queries
            sql_ms = sum(float(query["time"]) for query in queries) * 1000
            median_ms = statistics.median(times) * 1000
            self.stdout.write(f"{path:<22} {median_ms:>10.0f} {len(queries):>8} {sql_ms:>8.0f}")
            for query in sorted(queries, key=lambda q: -float(q["time"]))[:slowest]:
                self.stdout.write(f"    {float(query['time']) * 1000:6.0f} ms  {query['sql'][:160]}")
