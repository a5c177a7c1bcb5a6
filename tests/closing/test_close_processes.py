"""The close under real concurrency and real crashes: separate `manage.py` processes on one
database, on SQLite (a file, as the embedded default) and on PostgreSQL.

Each test gets its own copy of a database that already holds a 245-person org with five months
of figures (2025-06 … 2025-10; they have ended, so no clock needs moving), 2025-06 closed. The processes run with
in-process Celery, as the embedded default does: a process that finds the line busy waits for its
close, which the process running the line starts when the one before it ends."""

from __future__ import annotations

import csv
import os
import random
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MONTHS = ("2025-06", "2025-07", "2025-08", "2025-09", "2025-10")
SUPERVISORS = 4
REPS_PER_SUPERVISOR = 60
PG_HOST = "127.0.0.1"

pytestmark = pytest.mark.processes


# --------------------------------------------------------------------------- the org's files


def write_org(folder: Path) -> tuple[Path, Path]:
    """employees.csv and metrics.csv of M1 over S1…S4 over 100 reps each, deterministic."""
    rng = random.Random(20251031)
    employees = folder / "employees.csv"
    metrics = folder / "metrics.csv"
    with (
        employees.open("w", newline="", encoding="utf-8") as people,
        metrics.open("w", newline="", encoding="utf-8") as values,
    ):
        people_csv, values_csv = csv.writer(people), csv.writer(values)
        people_csv.writerow(["employee_no", "name", "email", "role", "reports_to", "hire_date",
                             "quarterly_bonus_base", "annual_bonus_base"])  # fmt: skip
        values_csv.writerow(["employee_no", "period", "metric", "value"])
        people_csv.writerow(["M1", "Manager", "", "manager", "", "", "", ""])
        values_csv.writerow(["M1", "2025-Q3", "collaboration", "4.2"])
        for s in range(1, SUPERVISORS + 1):
            supervisor = f"S{s}"
            people_csv.writerow([supervisor, f"Supervisor {s}", "", "supervisor", "M1", "", "", ""])
            values_csv.writerow([supervisor, "2025-Q3", "collaboration", "4"])
            values_csv.writerow([supervisor, "2025-Q3", "team_efficiency", "4.4"])
            for r in range(1, REPS_PER_SUPERVISOR + 1):
                rep = f"R{s}{r:03d}"
                people_csv.writerow([rep, f"Rep {s}-{r}", "", "rep", supervisor, "", "", ""])
                strong = r % 4 == 0  # a quarter of the reps are band A every month: flex time
                for month in MONTHS:
                    target = rng.randint(80, 200) * 1000
                    achievement = 1.3 if strong else rng.uniform(0.6, 1.2)
                    values_csv.writerow([rep, month, "sales_target", target])
                    values_csv.writerow([rep, month, "sales_actual", round(target * achievement, 2)])
                    values_csv.writerow([rep, month, "csat", "5" if strong else f"{rng.uniform(3, 4.8):.1f}"])
                values_csv.writerow([rep, "2025-Q3", "collaboration", "4"])
                values_csv.writerow([rep, "2025-Q3", "skill_growth", "4"])
    return employees, metrics


# --------------------------------------------------------------------------- databases


@dataclass
class Database:
    """One database the processes share, and a way to read it from the test."""

    backend: str
    env: dict[str, str]
    sqlite_path: Path | None = None
    pg_name: str | None = None
    processes: list[subprocess.Popen] = field(default_factory=list)

    def manage(self, *args: str, extra_env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
        return subprocess.run(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            capture_output=True,
            text=True,
            timeout=timeout,
        )

    def spawn(self, *args: str, extra_env: dict | None = None) -> subprocess.Popen:
        process = subprocess.Popen(  # noqa: S603 - our own manage.py
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env={**self.env, **(extra_env or {})},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        self.processes.append(process)
        return process

    def query(self, sql: str, params: tuple = ()) -> list[tuple]:
        if self.backend == "sqlite":
            connection = sqlite3.connect(self.sqlite_path, timeout=30)
            try:
                return connection.execute(sql.replace("%s", "?"), params).fetchall()
            finally:
                connection.close()
        import psycopg2

        connection = psycopg2.connect(host=PG_HOST, user="postgres", dbname=self.pg_name)
        try:
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall()
        finally:
            connection.close()

    def results(self) -> tuple[list, list]:
        """Every scorecard and reward suggestion, as comparable plain rows."""
        cards = self.query(
            "SELECT e.employee_no, p.code, CAST(s.composite AS TEXT), s.band, s.missing_kpis "
            "FROM appraisals_scorecard s JOIN roles_employee e ON e.id = s.employee_id "
            "JOIN appraisals_period p ON p.id = s.period_id ORDER BY 1, 2"
        )
        rewards = self.query(
            "SELECT e.employee_no, p.code, r.code, CAST(r.amount AS TEXT), r.status "
            "FROM rewards_rewardsuggestion r JOIN roles_employee e ON e.id = r.employee_id "
            "JOIN appraisals_period p ON p.id = r.period_id ORDER BY 1, 2, 3"
        )
        return [_normal(row) for row in cards], [_normal(row) for row in rewards]

    def statuses(self) -> dict[str, str]:
        return dict(self.query("SELECT code, status FROM appraisals_period"))

    def active_jobs(self) -> list[tuple]:
        return self.query(
            "SELECT p.code, j.status FROM closing_closejob j JOIN appraisals_period p ON p.id = j.period_id "
            "WHERE j.status IN ('queued', 'running')"
        )


def _normal(row: tuple) -> tuple:
    """Decimals as text the same way on both databases (SQLite keeps no trailing zeros)."""
    from decimal import Decimal

    return tuple(format(Decimal(value).normalize(), "f") if _is_number(value) else value for value in row)


def _is_number(value) -> bool:
    if not isinstance(value, str):
        return False
    try:
        float(value)
    except ValueError:
        return False
    return True


def _base_env() -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DATABASE_", "CELERY_", "SQLITE_", "SALES_PERF_", "DJANGO_"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="sales_perf.settings",
        PYTHONPATH=str(ROOT),
        SALES_PERF_CLOSE_CHUNK_SIZE="20",  # many chunks: a crash lands inside the close, not after it
        CELERY_TRACE_LOG_LEVEL="ERROR",
        DJANGO_LOG_LEVEL="ERROR",
    )
    return env


def _postgres_available() -> bool:
    try:
        import psycopg2

        psycopg2.connect(host=PG_HOST, user="postgres", dbname="postgres", connect_timeout=3).close()
    except Exception:
        return False
    return True


def _pg_execute(sql: str) -> None:
    import psycopg2

    connection = psycopg2.connect(host=PG_HOST, user="postgres", dbname="postgres")
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(sql)
    finally:
        connection.close()


class _Lazy(dict):
    """A dict that makes a missing entry with ``make(key)`` when it is first read."""

    def __init__(self, make) -> None:
        super().__init__()
        self.make = make

    def __missing__(self, key):
        self[key] = value = self.make(key)
        return value


def _template(backend: str, folder: Path, employees: Path, metrics: Path) -> Database:
    if backend == "sqlite":
        path = folder / "template.sqlite3"
        database = Database("sqlite", {**_base_env(), "SQLITE_NAME": str(path)}, sqlite_path=path)
    else:
        name = f"sp_proc_tmpl_{os.getpid()}"
        _pg_execute(f"DROP DATABASE IF EXISTS {name}")
        _pg_execute(f"CREATE DATABASE {name}")
        url = f"postgres://postgres@{PG_HOST}:5432/{name}"
        database = Database("postgresql", {**_base_env(), "DATABASE_URL": url}, pg_name=name)
    for args in (
        ("migrate", "--noinput"),
        ("import_employees", str(employees)),
        ("import_metrics", str(metrics)),
        ("close_period", "2025-06"),  # the first month of the history: every test starts after it
    ):
        result = database.manage(*args)
        assert result.returncode == 0, result.stderr
    if backend == "sqlite":  # fold the write-ahead log into the file before it is copied
        connection = sqlite3.connect(database.sqlite_path)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        connection.close()
    return database


# Under pytest-xdist each backend's tests run on one worker (loadgroup), so each template is made once.
BACKENDS = [pytest.param(backend, marks=pytest.mark.xdist_group(f"close-processes-{backend}"))
            for backend in ("sqlite", "postgresql")]  # fmt: skip


@pytest.fixture(scope="session")
def templates(tmp_path_factory) -> Iterator[dict[str, Database]]:
    """A migrated database holding the org, per backend, made once per test session when a test first needs it."""
    folder = tmp_path_factory.mktemp("close-processes")
    employees, metrics = write_org(folder)
    made = _Lazy(lambda backend: _template(backend, folder, employees, metrics))
    yield made
    if "postgresql" in made:
        _pg_execute(f"DROP DATABASE IF EXISTS {made['postgresql'].pg_name}")


@pytest.fixture(params=BACKENDS)
def database(request, templates, tmp_path) -> Iterator[Database]:
    """A fresh copy of the template database for one test."""
    backend = request.param
    if backend == "postgresql" and not _postgres_available():
        if os.environ.get("SALES_PERF_REQUIRE_SERVICES") == "1":
            pytest.fail("PostgreSQL is not reachable on 127.0.0.1:5432")
        pytest.skip("PostgreSQL is not reachable on 127.0.0.1:5432")
    template = templates[backend]
    if backend == "sqlite":
        path = tmp_path / "db.sqlite3"
        shutil.copyfile(template.sqlite_path, path)
        copy = Database("sqlite", {**template.env, "SQLITE_NAME": str(path)}, sqlite_path=path)
    else:
        name = f"sp_proc_{uuid.uuid4().hex[:12]}"
        _pg_execute(f"CREATE DATABASE {name} TEMPLATE {template.pg_name}")
        copy = Database(
            "postgresql", {**template.env, "DATABASE_URL": f"postgres://postgres@{PG_HOST}:5432/{name}"}, pg_name=name
        )
    yield copy
    for process in copy.processes:
        if process.poll() is None:
            process.kill()
        process.wait()
    if backend == "postgresql":
        _pg_execute(f"DROP DATABASE IF EXISTS {copy.pg_name} WITH (FORCE)")


@pytest.fixture(scope="session")
def reference(templates) -> Iterator[dict[str, tuple]]:
    """Scorecards and rewards of a straight run (one process, one close after another), per backend,
    made when a test first reads it."""
    dropped: list[str] = []

    def straight_run(backend: str) -> tuple:
        template = templates[backend]
        if backend == "sqlite":
            path = template.sqlite_path.with_name("reference.sqlite3")
            shutil.copyfile(template.sqlite_path, path)
            copy = Database("sqlite", {**template.env, "SQLITE_NAME": str(path)}, sqlite_path=path)
        else:
            name = f"sp_proc_ref_{os.getpid()}"
            _pg_execute(f"DROP DATABASE IF EXISTS {name}")
            _pg_execute(f"CREATE DATABASE {name} TEMPLATE {template.pg_name}")
            dropped.append(name)
            url = f"postgres://postgres@{PG_HOST}:5432/{name}"
            copy = Database(backend, {**template.env, "DATABASE_URL": url}, pg_name=name)
        close_in_order(copy, (*MONTHS[1:], "2025-Q3"))
        return copy.results()

    yield _Lazy(straight_run)
    for name in dropped:
        _pg_execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def close_in_order(database: Database, codes) -> None:
    for code in codes:
        result = database.manage("close_period", code)
        assert result.returncode == 0, result.stdout + result.stderr


def assert_consistent(database: Database) -> None:
    """Nothing left half-done: no period closing, no close running or waiting."""
    assert "closing" not in database.statuses().values()
    assert database.active_jobs() == []


# --------------------------------------------------------------------------- the tests


@pytest.mark.parametrize("round_", range(2))
def test_two_processes_closing_adjacent_months_at_once_lose_nothing(database, reference, round_):
    first = database.spawn("close_period", "2025-07")
    time.sleep(random.uniform(0, 0.4))
    second = database.spawn("close_period", "2025-08")
    _july_out, july_err = first.communicate(timeout=300)
    _august_out, august_err = second.communicate(timeout=300)

    assert first.returncode == 0, july_err
    if second.returncode != 0:
        # August asked before July was in line: refused with the reason, and nothing written for it.
        assert "2025-08 cannot close before 2025-07 is closed" in august_err
        assert database.statuses()["2025-08"] == "open"
    assert_consistent(database)

    close_in_order(database, [code for code in ("2025-08", "2025-09", "2025-10", "2025-Q3")
                              if database.statuses().get(code) != "closed"])  # fmt: skip
    assert database.results() == reference[database.backend]


@pytest.mark.parametrize("delay", [0.0, 0.5, 1.2])
def test_reopening_a_month_while_its_quarter_closes_never_leaves_the_quarter_closed_over_an_open_month(database, delay):
    close_in_order(database, ["2025-07", "2025-08", "2025-09"])

    quarter = database.spawn("close_period", "2025-Q3")
    time.sleep(delay)
    reopen = database.manage("reopen_period", "2025-09", "--reason", "late figures")
    quarter.communicate(timeout=300)

    statuses = database.statuses()
    if reopen.returncode == 0:
        # the reopen got in before the quarter's close was in line, or after it ended (and cascaded)
        assert statuses["2025-09"] == "open"
        assert statuses.get("2025-Q3", "open") == "open"
    else:
        assert "a close is running or waiting (2025-Q3)" in reopen.stderr
        assert statuses["2025-09"] == "closed"
    if statuses.get("2025-Q3") == "closed":
        assert all(statuses[month] == "closed" for month in ("2025-07", "2025-08", "2025-09"))
    assert_consistent(database)


def test_a_close_killed_mid_chunk_is_taken_over_after_its_lease(database, reference):
    total = SUPERVISORS * (REPS_PER_SUPERVISOR + 1) + 1
    for _try in range(5):
        victim = database.spawn("close_period", "2025-07", extra_env={"SALES_PERF_CLOSE_LEASE_SECONDS": "2"})
        written = _wait_for_partial_results(database, "2025-07", victim)
        if written is not None:
            break
        victim.communicate()  # it finished before it could be caught: start again from the open month
        database.manage("reopen_period", "2025-07", "--reason", "test retry")
    else:
        pytest.fail("could not catch the close in the middle")
    os.kill(victim.pid, signal.SIGKILL)
    victim.communicate()

    # The dead close holds the period until its lease runs out, with its partial results.
    assert database.statuses()["2025-07"] == "closing"
    assert 0 < _count(database, "2025-07") < total
    time.sleep(2.5)

    retry = database.manage("close_period", "2025-07")

    assert retry.returncode == 0, retry.stderr
    assert "Closed 2025-07" in retry.stdout
    (attempt,) = database.query("SELECT attempt FROM closing_closejob j JOIN appraisals_period p "
                                "ON p.id = j.period_id WHERE p.code = '2025-07' AND j.status = 'done'")[0]  # fmt: skip
    assert attempt == 2
    events = [row[0] for row in database.query(
        "SELECT e.action FROM appraisals_periodevent e JOIN appraisals_period p ON p.id = e.period_id "
        "WHERE p.code = '2025-07' ORDER BY e.id")]  # fmt: skip
    assert "close_taken_over" in events
    assert_consistent(database)
    close_in_order(database, ["2025-08", "2025-09", "2025-10", "2025-Q3"])
    assert database.results() == reference[database.backend]


def _count(database: Database, code: str) -> int:
    return database.query(
        "SELECT COUNT(*) FROM appraisals_scorecard s JOIN appraisals_period p ON p.id = s.period_id WHERE p.code = %s",
        (code,),
    )[0][0]


def _wait_for_partial_results(database: Database, code: str, process: subprocess.Popen) -> int | None:
    """Poll until the close has written some chunks (then it is inside the next one); ``None`` if it ended."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return None
        rows = database.query(
            "SELECT j.steps_done FROM closing_closejob j JOIN appraisals_period p ON p.id = j.period_id "
            "WHERE p.code = %s AND j.status = 'running'",
            (code,),
        )
        if rows and rows[0][0] >= 3:
            return rows[0][0]
        time.sleep(0.005)
    return None
