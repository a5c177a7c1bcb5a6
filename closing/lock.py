"""The line's lock and the lease of a running close.

Every change to the line (a request, a start, a takeover, an end, a cancel, a reopen) happens
under one lock: a transaction-level advisory lock on PostgreSQL, the database's write lock on
SQLite (transactions there begin IMMEDIATE); callers retry on "database is locked"
(``sales_perf.locks.with_lock_retries``). A running close holds a lease that each of its steps
renews; once the lease runs out (its worker died), the line takes the close over.
"""

from __future__ import annotations

from contextlib import AbstractContextManager
from datetime import datetime, timedelta

from django.conf import settings

from sales_perf.locks import serialized

# pg_advisory_xact_lock key of the line: any constant the app's other locks do not use.
LINE_LOCK_KEY = 4_701_137_003


def line_locked() -> AbstractContextManager[None]:
    """A transaction in which nobody else changes the line."""
    return serialized(LINE_LOCK_KEY)


def lease_until(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.SALES_PERF_CLOSE_LEASE_SECONDS)
