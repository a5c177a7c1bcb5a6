"""A real Celery worker in a subprocess, for the close benchmark (``bench_close --workers``) and the
worker test (tests/closing/test_celery_worker.py)."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings


@contextmanager
def celery_worker(
    *,
    concurrency: int,
    loglevel: str,
    name: str | None = None,
    env: Mapping[str, str] | None = None,
    stdout=None,
    stop_timeout: float = 30,
) -> Iterator[subprocess.Popen]:
    """Run ``celery -A sales_perf worker`` from the project folder while the block runs; then stop it
    (terminate, and kill it if it has not stopped within ``stop_timeout`` seconds). ``stdout``, when
    given, takes the worker's output and errors alike; ``env`` replaces the environment."""
    command = [sys.executable, "-m", "celery", "-A", "sales_perf", "worker"]
    command += ["--concurrency", str(concurrency), "-l", loglevel]
    if name:
        command += ["-n", name]
    output = {"stdout": stdout, "stderr": subprocess.STDOUT} if stdout is not None else {}
    process = subprocess.Popen(command, cwd=Path(settings.BASE_DIR), env=env, **output)  # noqa: S603 - a fixed command
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
