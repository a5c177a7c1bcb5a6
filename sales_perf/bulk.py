"""Bulk writes and id-list queries that work on PostgreSQL (fast path) and SQLite."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.db.models import Model


def is_postgres() -> bool:
    return connection.vendor == "postgresql"


def id_list_sql(column: str, ids: Sequence[int]) -> tuple[str, list]:
    """``column IN (...)`` for a list of ids: one array parameter on PostgreSQL, placeholders elsewhere."""
    if not ids:
        return "1 = 0", []
    if is_postgres():
        return f"{column} = ANY(%s)", [list(ids)]
    return f"{column} IN ({', '.join(['%s'] * len(ids))})", list(ids)


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_value(value) -> str:
    """One field of PostgreSQL's COPY text format."""
    if value is None:
        return r"\N"
    kind = type(value)
    if kind is int or kind is Decimal:
        return str(value)
    if kind is dict or kind is list:
        value = json.dumps(value, ensure_ascii=False)
    elif kind is bool:
        return "t" if value else "f"
    elif kind is not str:
        value = str(value)
    return value.translate(_COPY_ESCAPES)


def copy_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert rows with PostgreSQL COPY (text format); ``columns`` are database column names."""
    buffer = io.StringIO()
    count = 0
    for row in rows:
        buffer.write("\t".join(_copy_value(value) for value in row))
        buffer.write("\n")
        count += 1
    if not count:
        return 0
    buffer.seek(0)
    table = connection.ops.quote_name(model._meta.db_table)
    column_sql = ", ".join(connection.ops.quote_name(column) for column in columns)
    # The raw cursor's copy_expert bypasses Django's error translation: restore it, so a unique
    # violation arrives as django.db.IntegrityError like any other write's.
    with connection.cursor() as cursor, connection.wrap_database_errors:
        cursor.cursor.copy_expert(f"COPY {table} ({column_sql}) FROM STDIN", buffer)
    return count


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


def insert_rows(model: type[Model], columns: Sequence[str], rows: Iterable[Sequence]) -> int:
    """Insert many rows in one statement round: COPY on PostgreSQL, ``executemany`` elsewhere.

    Either way the number of queries does not depend on the number of rows."""
    if is_postgres():
        return copy_rows(model, columns, rows)
    prepared = [[_sqlite_value(value) for value in row] for row in rows]
    if not prepared:
        return 0
    quoted = connection.ops.quote_name
    sql = (
        f"INSERT INTO {quoted(model._meta.db_table)} ({', '.join(quoted(c) for c in columns)}) "
        f"VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, prepared)
    return len(prepared)


def _sqlite_value(value):
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return connection.ops.adapt_datetimefield_value(value)
    return value


def execute(sql: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, list(params))
        return cursor.rowcount
