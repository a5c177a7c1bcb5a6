"""Bulk writes and id-list queries that work on PostgreSQL (fast path) and SQLite."""

from __future__ import annotations

import io
import json
from collections.abc import Iterable, Sequence
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


def _copy_value(value) -> str:
    if value is None:
        return r"\N"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    elif isinstance(value, Decimal):
        value = format(value, "f")
    elif isinstance(value, bool):
        value = "t" if value else "f"
    else:
        value = str(value)
    return value.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


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
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({column_sql}) FROM STDIN", buffer)
    return count


def next_ids(model: type[Model], count: int) -> list[int]:
    """Reserve ``count`` primary keys from the table's sequence (PostgreSQL)."""
    if count == 0:
        return []
    table = model._meta.db_table
    pk = model._meta.pk.column
    with connection.cursor() as cursor:
        cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, pk, count])
        return [row[0] for row in cursor.fetchall()]
