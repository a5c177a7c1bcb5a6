"""Serialising writers on both databases: one named lock, and retries while the database is busy.

On PostgreSQL ``serialized(key)`` takes a transaction-level advisory lock; on SQLite every
transaction already begins IMMEDIATE (settings), so holding the transaction holds the write lock.
``with_lock_retries`` runs a whole transaction again, with growing pauses, while the database
says it is locked (a concurrent SQLite writer, a PostgreSQL deadlock)."""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TypeVar

from django.db import OperationalError, connection, transaction

logger = logging.getLogger(__name__)
T = TypeVar("T")

_LOCK_ERRORS = ("database is locked", "database table is locked", "deadlock detected", "could not serialize")


def is_lock_error(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return any(mark in text for mark in _LOCK_ERRORS)


def with_lock_retries(operation: Callable[[], T], *, attempts: int = 12) -> T:
    """Run ``operation`` (a whole transaction), again with growing pauses while the database says it is
    locked. Inside an outer transaction a retry cannot help, so the error is passed on."""
    pause = 0.05
    for attempt in range(attempts):
        try:
            return operation()
        except OperationalError as exc:
            if connection.in_atomic_block or not is_lock_error(exc) or attempt == attempts - 1:
                raise
            logger.warning("database busy (%s); retrying in %.2fs", exc, pause)
            time.sleep(pause * (1 + random.random()))  # noqa: S311 - jitter, not security
            pause = min(pause * 2, 2.0)
    raise AssertionError("unreachable")


@contextmanager
def serialized(key: int) -> Iterator[None]:
    """A transaction in which no other holder of ``key`` runs."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        yield
