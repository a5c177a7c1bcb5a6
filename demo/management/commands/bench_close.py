"""Benchmark of the period-end job: build an org with a year of metrics, then time a month, a
quarter and a year close and the bonus-list export. Run it on PostgreSQL:

    createdb -h 127.0.0.1 -U postgres sales_perf_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sales_perf_bench python manage.py migrate
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/sales_perf_bench python manage.py bench_close --employees 100000

Each close runs in a fresh subprocess (in-process Celery), so its peak memory is its own.
"""

from __future__ import annotations

import contextlib
import cProfile
import io
import json
import resource
import subprocess
import sys
import time
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction

from appraisals.models import KpiScore, MetricValue, Period, Scorecard
from appraisals.periods import PeriodRef
from demo.workers import celery_worker
from rewards.models import RewardSuggestion
from roles.models import Employee

ROOT = Path(settings.BASE_DIR)


class Command(BaseCommand):
    help = "Time month, quarter and year closes and the bonus-list export for an org of N employees."

    def add_arguments(self, parser):
        parser.add_argument("--employees", type=int, default=100_000)
        parser.add_argument("--year", type=int, default=2025)
        parser.add_argument("--seed", type=int, default=7)
        parser.add_argument("--rebuild", action="store_true", help="rebuild the org even if one of that size exists")
        parser.add_argument(
            "--workers",
            type=int,
            default=0,
            help="close through N real Celery worker processes (needs CELERY_BROKER_URL); default: in-process",
        )
        parser.add_argument("--measure", help="(internal) close this period in this process and print JSON")
        parser.add_argument(
            "--profile",
            metavar="FOLDER",
            help="write a cProfile of each close (in-process) to FOLDER/<period>.prof",
        )

    def handle(
        self,
        *args,
        employees: int,
        year: int,
        seed: int,
        rebuild: bool,
        workers: int,
        measure: str | None,
        profile: str | None,
        **options,
    ):
        if measure:
            self._measure(measure, profile=profile)
            return
        self.profile = profile
        with contextlib.ExitStack() as stack:
            if workers:
                if not settings.CELERY_BROKER_URL.startswith("redis"):
                    raise CommandError("--workers needs CELERY_BROKER_URL (Redis)")
                stack.enter_context(celery_worker(concurrency=workers, loglevel="warning"))
                time.sleep(5)
            self._bench(employees=employees, year=year, seed=seed, rebuild=rebuild, workers=workers)

    def _bench(self, *, employees: int, year: int, seed: int, rebuild: bool, workers: int) -> None:
        if connection.vendor != "postgresql":
            self.stderr.write("warning: not PostgreSQL; the figures will not mean much")
        self._build(employees=employees, year=year, seed=seed, rebuild=rebuild)
        self._reset_year(year)
        month, quarter, whole = f"{year}-03", f"{year}-Q1", f"{year}"
        self._mark_closed([f"{year}-01", f"{year}-02"])
        results = [("month", month, self._run(month))]
        results.append(("quarter", quarter, self._run(quarter)))
        self._mark_closed([f"{year}-{m:02d}" for m in range(4, 13)] + [f"{year}-Q{q}" for q in range(2, 5)])
        results.append(("year", whole, self._run(whole)))

        started = time.perf_counter()
        out = io.StringIO()
        call_command("export_bonus_list", str(year), stdout=out)
        export_seconds = time.perf_counter() - started
        export_rows = out.getvalue().count("\n") - 1

        people = Employee.objects.count()
        values = MetricValue.objects.filter(period__year=year).count()
        self.stdout.write(
            f"\nOrg: {people:,} employees, {values:,} metric values in {year}; database {connection.vendor}"
        )
        columns = ("close", "period", "wall s", "queries", "rows", "peak MiB", "COPY s", "ratio")
        self.stdout.write("{:<8} {:<8} {:>8} {:>8} {:>9} {:>9} {:>7} {:>6}".format(*columns))
        for kind, code, r in results:
            copy_seconds = self._copy_time(code)
            ratio = r["seconds"] / copy_seconds if copy_seconds else float("nan")
            queries = "—" if r["queries"] is None else r["queries"]
            peak = "—" if r["peak_mib"] is None else f"{r['peak_mib']:.0f}"
            self.stdout.write(
                f"{kind:<8} {code:<8} {r['seconds']:>8.2f} {queries:>8} {r['rows']:>9,} {peak:>9} "
                f"{copy_seconds:>7.2f} {ratio:>5.1f}x"
            )
        self.stdout.write(f"export   bonus list {year}: {export_seconds:.2f} s for {export_rows:,} rows")

    def _build(self, *, employees: int, year: int, seed: int, rebuild: bool) -> None:
        from demo.seed import demo_seed

        existing = Employee.objects.count()
        has_year = MetricValue.objects.filter(period__code=f"{year}-12").exists()
        if existing == employees and has_year and not rebuild:
            self.stdout.write(f"Reusing the existing org of {existing:,} employees.")
            return
        if existing and not rebuild:
            raise CommandError(
                f"the database holds {existing:,} employees, not an org of {employees:,} with {year}'s metrics; "
                "use an empty database or --rebuild"
            )
        self._reset_year(year)
        started = time.perf_counter()
        demo_seed(
            end=PeriodRef.month(year, 12),
            employees=employees,
            months=12,
            seed=seed,
            reset=bool(existing),
            progress=lambda message: self.stderr.write(message),
        )
        if connection.vendor == "postgresql":
            # The generator writes each person's whole year at once; monthly imports (the real
            # thing) write each month's rows together. Lay the table out as they would.
            with connection.cursor() as cursor:
                cursor.execute("CLUSTER appraisals_metricvalue USING metric_value_period_metric")
                cursor.execute("ANALYZE appraisals_metricvalue")
        self.stdout.write(
            f"Built {employees:,} employees with 12 months of metrics in {time.perf_counter() - started:.1f} s"
        )

    def _reset_year(self, year: int) -> None:
        """Undo earlier benchmark closes of the year (scorecards, suggestions, statuses)."""
        with transaction.atomic():
            periods = Period.objects.filter(year=year)
            KpiScore.objects.filter(scorecard__period__in=periods)._raw_delete(connection.alias)
            Scorecard.objects.filter(period__in=periods)._raw_delete(connection.alias)
            RewardSuggestion.objects.filter(period__in=periods)._raw_delete(connection.alias)
            periods.update(status=Period.Status.OPEN, closed_at=None, closed_by=None)
            for ref in [PeriodRef.of_year(year), *PeriodRef.of_year(year).quarters()]:
                Period.objects.get_or_create(code=ref.code, defaults=Period.fields_for(ref))
        if connection.vendor == "postgresql":
            # Each run deletes the last run's rows; without a vacuum the dead ones pile up (1.8
            # million dead suggestions after a few runs) and slow every later read of these tables.
            with connection.cursor() as cursor:
                for table in ("appraisals_kpiscore", "appraisals_scorecard", "rewards_rewardsuggestion"):
                    cursor.execute(f"VACUUM ANALYZE {table}")

    def _mark_closed(self, codes: list[str]) -> None:
        """Benchmark shortcut: parts of a quarter/year that are not being measured only need the status."""
        Period.objects.filter(code__in=codes).update(status=Period.Status.CLOSED)

    def _run(self, code: str) -> dict:
        self.stderr.write(f"closing {code} …")
        completed = subprocess.run(
            [sys.executable, "manage.py", "bench_close", "--measure", code]
            + (["--profile", self.profile] if self.profile else []),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
        if completed.returncode:
            raise CommandError(f"close of {code} failed:\n{completed.stderr[-3000:]}")
        return json.loads(completed.stdout.strip().splitlines()[-1])

    def _measure(self, code: str, *, profile: str | None = None) -> None:
        from closing.line import close_job_wait
        from closing.models import CloseJob
        from closing.tasks import close_period_enqueue

        queries = 0

        def count(execute, sql, params, many, context):
            nonlocal queries
            queries += 1
            return execute(sql, params, many, context)

        profiler = cProfile.Profile() if profile else None
        with connection.execute_wrapper(count):
            started = time.perf_counter()
            if profiler:
                profiler.enable()
            job = close_job_wait(job=close_period_enqueue(code=code), timeout=3600, poll=0.1)
            seconds = time.perf_counter() - started
        if profiler:
            profiler.disable()
            Path(profile).mkdir(parents=True, exist_ok=True)
            profiler.dump_stats(Path(profile) / f"{code}.prof")
        if job.status == CloseJob.Status.FAILED:
            raise CommandError(job.message)
        period = Period.objects.get(code=code)
        rows = (
            Scorecard.objects.filter(period=period).count()
            + KpiScore.objects.filter(scorecard__period=period).count()
            + RewardSuggestion.objects.filter(period=period).count()
        )
        in_process = settings.CELERY_TASK_ALWAYS_EAGER
        peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(
            json.dumps(
                {
                    "seconds": seconds,
                    # With real workers the queries and memory are theirs, not this process's.
                    "queries": queries if in_process else None,
                    "rows": rows,
                    "peak_mib": peak_kib / 1024 if in_process else None,
                }
            )
        )

    def _copy_time(self, code: str) -> float:
        """How long PostgreSQL takes to COPY in the rows the close wrote (the floor for any writer)."""
        if connection.vendor != "postgresql":
            return 0.0
        period_id = Period.objects.get(code=code).pk
        sources = {
            "appraisals_scorecard": f"SELECT * FROM appraisals_scorecard WHERE period_id = {period_id}",
            "appraisals_kpiscore": "SELECT k.* FROM appraisals_kpiscore k JOIN appraisals_scorecard s "
            f"ON s.id = k.scorecard_id WHERE s.period_id = {period_id}",
            "rewards_rewardsuggestion": f"SELECT * FROM rewards_rewardsuggestion WHERE period_id = {period_id}",
        }
        total = 0.0
        with transaction.atomic(), connection.cursor() as cursor:
            for table, select in sources.items():
                buffer = io.StringIO()
                cursor.cursor.copy_expert(f"COPY ({select}) TO STDOUT", buffer)
                buffer.seek(0)
                cursor.execute(f"CREATE TEMP TABLE bench_{table} (LIKE {table} INCLUDING ALL) ON COMMIT DROP")
                started = time.perf_counter()
                cursor.cursor.copy_expert(f"COPY bench_{table} FROM STDIN", buffer)
                total += time.perf_counter() - started
        return total
