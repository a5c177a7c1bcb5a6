"""``manage.py bench_import --rows N``: time ``metrics_import`` on a generated metrics.csv of N rows;
``--employees N``: time ``employees_import`` on a generated employees.csv of an N-person org,
first as new people, then again with every rep moved to another supervisor (the update path).

Uses its own employees (``BENCH…``) and a far-future year so it never meets real data;
everything it made is removed afterwards unless ``--keep`` is given (a second run with
kept data then times a re-import, i.e. the update path).
"""

from __future__ import annotations

import csv
import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection, transaction

from appraisals.metric_import import metrics_import
from appraisals.models import Metric, MetricValue, Period
from roles.employee_import import EMPLOYEE_COLUMNS, employees_import
from roles.models import Employee, Role
from sales_perf.tabular import ImportFailed, failure_lines

BENCH_PREFIX = "BENCH"
BENCH_YEAR = 2990
MONTHLY = ("sales_target", "sales_actual", "new_customers", "new_customer_target", "customers_start", "csat")
QUARTERLY = ("collaboration", "skill_growth", "team_efficiency", "market_share")
# 12 months × (6 monthly metrics + customers_retained) + 4 quarters × 4 quarterly metrics
ROWS_PER_EMPLOYEE = 12 * (len(MONTHLY) + 1) + 4 * len(QUARTERLY)
RATINGS = ("3", "3.5", "4", "4.5", "5")


def bench_employee_no(number: int) -> str:
    return f"{BENCH_PREFIX}{number:07d}"


def bench_rows(employees: int) -> Iterator[tuple[str, str, str, str]]:
    """Plausible, valid metric rows: every metric of every month and quarter of BENCH_YEAR."""
    for number in range(employees):
        employee_no = bench_employee_no(number)
        for month in range(1, 13):
            period = f"{BENCH_YEAR}-{month:02d}"
            spread = (number * 7 + month * 13) % 50
            customers_start = 20 + spread % 30
            yield employee_no, period, "sales_target", "100000"
            yield employee_no, period, "sales_actual", f"{70000 + spread * 1500}.50"
            yield employee_no, period, "new_customers", str(spread % 6)
            yield employee_no, period, "new_customer_target", "3"
            yield employee_no, period, "customers_start", str(customers_start)
            yield employee_no, period, "customers_retained", str(customers_start - spread % 5)
            yield employee_no, period, "csat", RATINGS[spread % 5]
        for quarter in range(1, 5):
            period = f"{BENCH_YEAR}-Q{quarter}"
            spread = (number * 3 + quarter) % 5
            yield employee_no, period, "collaboration", RATINGS[spread]
            yield employee_no, period, "skill_growth", RATINGS[(spread + 1) % 5]
            yield employee_no, period, "team_efficiency", RATINGS[(spread + 2) % 5]
            yield employee_no, period, "market_share", f"{10 + spread}.25"


def bench_org(count: int, *, shift: int = 0) -> Iterator[list[str]]:
    """An org of ``count`` people: one manager per 1,000, ten supervisors each, reps below them;
    ``shift`` moves every rep to the next supervisor (all managers change on re-import)."""
    managers = max(1, count // 1000)
    supervisors = managers * 10
    reps = count - managers - supervisors
    for number in range(managers):
        yield [bench_employee_no(number), f"Bench manager {number}", "", "manager", "", "", "", ""]
    for number in range(supervisors):
        boss = bench_employee_no(number % managers)
        yield [bench_employee_no(managers + number), f"Bench supervisor {number}", "", "supervisor", boss, "", "", ""]
    for number in range(reps):
        boss = bench_employee_no(managers + (number + shift) % supervisors)
        employee_no = bench_employee_no(managers + supervisors + number)
        yield [employee_no, f"Bench rep {number}", "", "rep", boss, "2024-01-01", "", ""]


def database_cpu_seconds() -> float | None:
    """CPU time used so far by this connection's PostgreSQL backend, when the server runs on this machine.

    On a shared machine wall time mostly measures the neighbours; CPU time measures the import.
    """
    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        name, _, rest = Path(f"/proc/{pid}/stat").read_text().rpartition(")")
    except OSError:
        return None
    if "postgres" not in name:  # a remote server: this pid is some local process
        return None
    fields = rest.split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class Command(BaseCommand):
    help = (
        "Time metrics_import on a generated file of --rows metric rows, or employees_import on an org of "
        "--employees people (own BENCH employees, cleaned up after)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--rows", type=int, default=1_000_000, help="metric rows in the file (default 1,000,000)")
        parser.add_argument("--employees", type=int, help="time the employee import of an org this size instead")
        parser.add_argument("--keep", action="store_true", help="keep the employees, periods and values afterwards")

    def handle(self, *args, rows: int, employees: int | None, keep: bool, **options) -> None:
        if employees is not None:
            self._bench_employees(employees, keep)
            return
        if rows < 1:
            raise CommandError("--rows must be at least 1")
        missing_metrics = {*MONTHLY, "customers_retained", *QUARTERLY} - set(
            Metric.objects.values_list("code", flat=True)
        )
        if missing_metrics:
            raise CommandError(f"the metric catalogue lacks {', '.join(sorted(missing_metrics))}; run migrate")
        employees = -(-rows // ROWS_PER_EMPLOYEE)
        made = self._ensure_employees(employees)
        self.stderr.write(f"{employees:,} bench employees ({made:,} created)")

        handle, name = tempfile.mkstemp(prefix="bench_metrics_", suffix=".csv")
        path = Path(name)
        try:
            started = time.perf_counter()
            with os.fdopen(handle, "w", encoding="utf-8", newline="") as out:
                writer = csv.writer(out)
                writer.writerow(["employee_no", "period", "metric", "value"])
                for _, row in zip(range(rows), bench_rows(employees), strict=False):
                    writer.writerow(row)
            self.stderr.write(
                f"wrote {rows:,} rows ({path.stat().st_size / 1e6:.1f} MB) in {time.perf_counter() - started:.1f} s"
            )

            database_cpu = database_cpu_seconds()
            started, started_cpu = time.perf_counter(), time.process_time()
            try:
                result = metrics_import(source=path, filename=path.name, progress=self.stderr.write)
            except ImportFailed as failed:
                for line in failure_lines(failed)[:20]:
                    self.stderr.write(line)
                raise CommandError(f"bench file refused: {failed.message}") from None
            seconds, client_cpu = time.perf_counter() - started, time.process_time() - started_cpu
            if database_cpu is not None:
                database_cpu = (database_cpu_seconds() or database_cpu) - database_cpu
        finally:
            path.unlink(missing_ok=True)
            if not keep:
                self._clean_up()

        cpu = f"; CPU: {client_cpu:.1f} s here" + (
            f" + {database_cpu:.1f} s in the database server" if database_cpu is not None else ""
        )
        self.stdout.write(
            f"metrics_import: {result.rows:,} rows ({result.created:,} created, {result.updated:,} updated) "
            f"in {seconds:.2f} s = {result.rows / seconds:,.0f} rows/s{cpu}"
        )

    def _bench_employees(self, count: int, keep: bool) -> None:
        if count < 10:
            raise CommandError("--employees must be at least 10")
        if Employee.objects.filter(employee_no__startswith=BENCH_PREFIX).exists():
            raise CommandError("bench employees exist already: remove them first (run without --keep)")
        folder = Path(tempfile.mkdtemp(prefix="bench_employees_"))
        try:
            for label, shift in (("new org", 0), ("every rep moved", 1)):
                path = folder / f"employees-{shift}.csv"
                with path.open("w", encoding="utf-8", newline="") as out:
                    writer = csv.writer(out)
                    writer.writerow(EMPLOYEE_COLUMNS)
                    writer.writerows(bench_org(count, shift=shift))
                started, started_cpu = time.perf_counter(), time.process_time()
                result = employees_import(source=path, filename=path.name)
                seconds, client_cpu = time.perf_counter() - started, time.process_time() - started_cpu
                self.stdout.write(
                    f"employees_import ({label}): {result.rows:,} rows ({result.created:,} created, "
                    f"{result.updated:,} updated) in {seconds:.2f} s; CPU {client_cpu:.1f} s here"
                )
        finally:
            for path in folder.iterdir():
                path.unlink()
            folder.rmdir()
            if not keep:
                self._clean_up()

    def _ensure_employees(self, count: int) -> int:
        existing = set(
            Employee.objects.filter(employee_no__startswith=BENCH_PREFIX).values_list("employee_no", flat=True)
        )
        rep = Role.objects.get(code=Role.REP)
        new = [
            Employee(employee_no=employee_no, name=f"Bench {number}", role=rep)
            for number in range(count)
            if (employee_no := bench_employee_no(number)) not in existing
        ]
        Employee.objects.bulk_create(new, batch_size=5000)
        return len(new)

    def _clean_up(self) -> None:
        """Remove the bench's employees, values and periods, and their audit rows: bench data is no one's
        history. Raw deletes, so no audit row is written per deleted value (a million of them)."""
        started = time.perf_counter()
        bench = Employee.objects.filter(employee_no__startswith=BENCH_PREFIX)
        with transaction.atomic():
            ids = list(bench.values_list("id", flat=True))
            values = 0
            for start in range(0, len(ids), 5000):
                chunk = ids[start : start + 5000]
                values += MetricValue.objects.filter(employee_id__in=chunk)._raw_delete(MetricValue.objects.db)
                MetricValue.history.filter(employee_id__in=chunk)._raw_delete(MetricValue.objects.db)
                Employee.history.filter(id__in=chunk)._raw_delete(Employee.objects.db)
            bench.update(reports_to=None)
            employees = bench._raw_delete(Employee.objects.db)
            # The bench year's periods go too, unless something else has been stored in them.
            _, deleted = Period.objects.filter(
                year=BENCH_YEAR, metric_values__isnull=True, scorecards__isnull=True
            ).delete()
            periods = deleted.get(Period._meta.label, 0)
        self.stderr.write(
            f"cleaned up {values:,} values, {employees:,} employees, {periods:,} periods "
            f"in {time.perf_counter() - started:.1f} s"
        )
