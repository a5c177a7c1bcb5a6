"""Bulk writes and id-list queries that work on PostgreSQL (fast path) and SQLite.

The one COPY writer of the project: ``copy_from`` streams text in PostgreSQL's COPY format
through psycopg2 (``copy_expert``) or psycopg 3 (``cursor.copy``); ``insert_rows`` turns
Python rows into that text on the fly (COPY on PostgreSQL, ``executemany`` in batches on
SQLite), so neither the close, the imports nor the demo ever hold all their rows as text.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from decimal import Decimal
from itertools import islice
from typing import IO

from django.db import connection
from django.db.models import Model

COPY_CHUNK = 1 << 20  # characters handed to the driver at a time
SQLITE_BATCH = 50_000  # rows per executemany: one prepared statement, flat statement count


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def id_list_sql(column: str, ids: Sequence[int]) -> tuple[str, list]:
    """``column IN (...)`` for a list of ids: one array parameter on PostgreSQL, placeholders elsewhere."""
    if not ids:
        return "1 = 0", []
    if is_postgres():
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


_encode_json = json.JSONEncoder(ensure_ascii=False).encode  # json.dumps's output, without its per-call setup
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_value(value) -> str:
    """One field of PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    kind = type(value)
    if kind is int or kind is Decimal:
        return str(value)
    if kind is dict or kind is list:
        value = _encode_json(value)
    elif kind is bool:
        return "t" if value else "f"
    elif kind is not str:
        value = str(value)
    return value.translate(_COPY_ESCAPES)


class LineStream:
    """A read()-able text file over an iterator of lines, so COPY streams without building the data."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._buffer = ""

    def read(self, size: int = -1) -> str:
        if size is None or size < 0:
            data, self._buffer = self._buffer + "".join(self._lines), ""
            return data
        parts, length = [self._buffer], len(self._buffer)
        for line in self._lines:
            parts.append(line)
            length += len(line)
            if length >= size:
                break
        data = "".join(parts)
        self._buffer = data[size:]
        return data[:size]


def copy_from(table: str, columns: Sequence[str], stream: IO[str] | LineStream) -> None:
    """``COPY table (columns) FROM STDIN`` with the text of ``stream`` (PostgreSQL only).

    Names are quoted here; the raw cursor bypasses Django's error translation, so it is restored
    and a unique violation arrives as ``django.db.IntegrityError`` like any other write's."""
    quote = connection.ops.quote_name
    sql = f"COPY {quote(table)} ({', '.join(quote(column) for column in columns)}) FROM STDIN"
    with connection.cursor() as cursor, connection.wrap_database_errors:
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):  # psycopg2
            raw.copy_expert(sql, stream, size=COPY_CHUNK)
            return
        with raw.copy(sql) as copy:  # psycopg 3
            while chunk := stream.read(COPY_CHUNK):
                copy.write(chunk)


def copy_number(value: int | Decimal | None) -> str:
    """A number (or NULL) as a COPY field: its text never needs escaping."""
    return r"\N" if value is None else str(value)


def copy_text(value: str) -> str:
    """A string as a COPY field (tabs, newlines and backslashes escaped)."""
    return value.translate(_COPY_ESCAPES)


def copy_json(value: dict | list) -> str:
    """A JSON document as a COPY field."""
    return _encode_json(value).translate(_COPY_ESCAPES)


def copy_lines(
    rows: Iterable[Sequence], counter: list[int], line: Callable[[Sequence], str] | None = None
) -> Iterator[str]:
    """COPY text lines of ``rows`` (``line`` formats one, newline included, if the caller knows its
    columns' types; by default each value's type decides); ``counter[0]`` counts them as they stream."""
    for row in rows:
        counter[0] += 1
        yield line(row) if line is not None else "\t".join(map(copy_value, row)) + "\n"


def insert_rows(
    model: type[Model] | str,
    columns: Sequence[str],
    rows: Iterable[Sequence],
    *,
    copy_line: Callable[[Sequence], str] | None = None,
) -> int:
    """Insert many rows (``columns`` are database column names) in a fixed number of statements:
    one COPY on PostgreSQL, ``executemany`` batches elsewhere. ``model`` may be a table name.

    ``copy_line`` formats one row as a COPY line for the big writers (the close writes millions of
    fields; formatting by column, with ``copy_number`` and ``copy_json``, beats a type test per value).
    It must give what ``copy_value`` would; tests/sales_perf/test_bulk.py holds the writers to that."""
    table = model if isinstance(model, str) else model._meta.db_table
    if is_postgres():
        counter = [0]
        copy_from(table, columns, LineStream(copy_lines(rows, counter, copy_line)))
        return counter[0]
    quote = connection.ops.quote_name
    # Identifiers come from model meta; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    written = 0
    iterator = iter(rows)
    with connection.cursor() as cursor:
        while batch := [[_sqlite_value(value) for value in row] for row in islice(iterator, SQLITE_BATCH)]:
            cursor.executemany(sql, batch)
            written += len(batch)
    return written


def next_ids(model: type[Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys for rows about to be inserted with explicit ids.

    PostgreSQL hands them out from the table's sequence (safe with concurrent writers). SQLite
    has one writer at a time; call this inside the transaction that inserts the rows."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        if is_postgres():
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count]
            )
            return [row[0] for row in cursor.fetchall()]
        quoted = connection.ops.quote_name
        cursor.execute(f"SELECT COALESCE(MAX({quoted(pk)}), 0) FROM {quoted(table)}")
        start = cursor.fetchone()[0] + 1
        return list(range(start, start + count))


def _sqlite_value(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def set_local_work_mem(megabytes: int) -> None:
    """On PostgreSQL, let sorts and hashes of the current transaction use ``megabytes`` each
    (``SET LOCAL``: it ends with the transaction); elsewhere nothing."""
    if is_postgres():
        execute(f"SET LOCAL work_mem = '{int(megabytes)}MB'")


def execute(sql: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount
