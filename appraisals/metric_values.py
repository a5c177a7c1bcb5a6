"""Metric values upserted in bulk with their audit rows: the write of the metric import.

The rows come as COPY text, one ``employee_id<TAB>period_code<TAB>metric<TAB>value`` line each (as
``metrics_import`` spools them once they are checked). On PostgreSQL that is one COPY into a staging
table and one INSERT … ON CONFLICT that writes each value's audit row too; elsewhere, batches of
upserting bulk_create, each with its audit rows.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import IO

from django.db import connection

from appraisals.models import MetricValue, Period
from sales_perf.bulk import copy_from, insert_rows, set_local_work_mem

METRIC_BULK_BATCH = 5000  # objects per bulk_create call off PostgreSQL (Django splits further for SQLite)


def metric_values_upsert(
    *,
    rows: IO[str],
    valid: int,
    period_ids: dict[str, int],
    stored_period_ids: list[int],
    user_id: int | None,
    now: datetime,
    reason: str,
) -> tuple[int, int]:
    """Upsert ``valid`` spooled rows (each period already stored: ``period_ids``; ``stored_period_ids``:
    those that may hold values already) with their audit rows; returns (created, updated). Runs inside
    the caller's transaction."""
    if connection.vendor == "postgresql":
        return _metrics_copy_upsert(rows, stored_period_ids, valid, user_id, now, reason)
    return _metrics_bulk_upsert(rows, period_ids, valid, user_id, now, reason)


# The audit trail's columns for a metric value (MetricValue.history), in the order the writers give them.
HISTORY_COLUMNS = (
    "id",
    "employee_id",
    "period_id",
    "metric_id",
    "value",
    "previous_value",
    "history_date",
    "history_change_reason",
    "history_type",
    "history_user_id",
)


def _metrics_copy_upsert(
    spool: IO[str], stored_period_ids: list[int], valid: int, user_id: int | None, now: datetime, reason: str
) -> tuple[int, int]:
    """COPY the spooled rows into a temporary table, then upsert them all in one statement that also
    writes each value's audit row (the value it replaced included)."""
    quote = connection.ops.quote_name
    field = MetricValue._meta.get_field
    target = quote(MetricValue._meta.db_table)
    history = quote(MetricValue.history.model._meta.db_table)
    periods = quote(Period._meta.db_table)
    employee, period, metric, value = (quote(field(name).column) for name in ("employee", "period", "metric", "value"))
    entered_by, entered_at = quote(field("entered_by").column), quote(field("entered_at").column)
    staging = "metric_import_rows"
    replaced = "metric_import_replaced"
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {staging}")
        cursor.execute(f"DROP TABLE IF EXISTS {replaced}")
        cursor.execute(
            f"CREATE TEMP TABLE {staging} (employee_id bigint NOT NULL, period_code varchar(7) NOT NULL,"
            " metric_id varchar(40) NOT NULL, value numeric(18, 4) NOT NULL) ON COMMIT DROP"
        )
        copy_from(staging, ["employee_id", "period_code", "metric_id", "value"], spool)
        cursor.execute(f"ANALYZE {staging}")
        # Every name in these statements comes from model meta; the only values are parameters.
        # The values about to be replaced are kept first (their count is the "updated" figure, and
        # the audit trail records each old value); skipped when none of the periods holds a value
        # yet: a month's first import.
        updated = 0
        if stored_period_ids:
            any_stored = f"SELECT 1 FROM {target} WHERE {period} = ANY(%s) LIMIT 1"  # noqa: S608
            cursor.execute(any_stored, [stored_period_ids])
            if cursor.fetchone() is not None:
                cursor.execute(
                    f"CREATE TEMP TABLE {replaced} ON COMMIT DROP AS"  # noqa: S608
                    f" SELECT v.id, v.{value} AS value FROM {staging} s JOIN {periods} p ON p.code = s.period_code"
                    f" JOIN {target} v"
                    f" ON v.{employee} = s.employee_id AND v.{period} = p.id AND v.{metric} = s.metric_id"
                )
                updated = cursor.rowcount
        # In key order, so the unique index is filled page by page rather than at random; with
        # room to sort a million rows in memory (for this transaction only).
        set_local_work_mem(128)
        upsert = (
            f"INSERT INTO {target} ({employee}, {period}, {metric}, {value}, {entered_by}, {entered_at})"  # noqa: S608
            f" SELECT s.employee_id, p.id, s.metric_id, s.value, %s, %s"
            f" FROM {staging} s JOIN {periods} p ON p.code = s.period_code"
            f" ORDER BY s.employee_id, p.id, s.metric_id"
            f" ON CONFLICT ({employee}, {period}, {metric}) DO UPDATE SET {value} = EXCLUDED.{value},"
            f" {entered_by} = EXCLUDED.{entered_by}, {entered_at} = EXCLUDED.{entered_at}"
            f" RETURNING id, {employee}, {period}, {metric}, {value}"
        )
        if updated:
            previous, kind, joined = (
                "r.value",
                "CASE WHEN r.id IS NULL THEN '+' ELSE '~' END",
                f"LEFT JOIN {replaced} r ON r.id = w.id",
            )
        else:
            previous, kind, joined = "NULL", "'+'", ""
        cursor.execute(
            f"WITH written AS ({upsert})"  # noqa: S608
            f" INSERT INTO {history} ({', '.join(HISTORY_COLUMNS)})"
            f" SELECT w.id, w.{employee}, w.{period}, w.{metric}, w.{value}, {previous}, %s, %s, {kind}, %s"
            f" FROM written w {joined}",
            [user_id, now, now, reason, user_id],
        )
        written = cursor.rowcount
        cursor.execute(f"DROP TABLE {staging}")
        cursor.execute(f"DROP TABLE IF EXISTS {replaced}")
        # Fresh statistics, or the close that follows plans its reads for a table a fraction of its size.
        cursor.execute(f"ANALYZE {target}")
    if written != valid:
        raise RuntimeError(f"metrics_import wrote {written} rows of {valid}")
    return valid - updated, updated


def _metrics_bulk_upsert(
    spool: IO[str], period_ids: dict[str, int], valid: int, user_id: int | None, now: datetime, reason: str
) -> tuple[int, int]:
    """Off PostgreSQL: batches of upserting bulk_create, each with its audit rows."""
    updated = 0
    batch: list[MetricValue] = []
    for record in spool:
        employee_id, period_code, metric_code, number = record.rstrip("\n").split("\t")
        batch.append(
            MetricValue(
                employee_id=int(employee_id),
                period_id=period_ids[period_code],
                metric_id=metric_code,
                value=Decimal(number),
                entered_by_id=user_id,
                entered_at=now,
            )
        )
        if len(batch) >= METRIC_BULK_BATCH:
            updated += _metrics_bulk_write(batch, user_id, now, reason)
            batch = []
    if batch:
        updated += _metrics_bulk_write(batch, user_id, now, reason)
    return valid - updated, updated


def _metrics_bulk_write(batch: list[MetricValue], user_id: int | None, now: datetime, reason: str) -> int:
    """Upsert one batch and write its audit rows; returns how many values it replaced."""
    keys = {(value.employee_id, value.period_id, value.metric_id) for value in batch}
    stored = {
        (employee_id, period_id, metric_id): (pk, value)
        for pk, employee_id, period_id, metric_id, value in MetricValue.objects.filter(
            employee_id__in={key[0] for key in keys},
            period_id__in={key[1] for key in keys},
            metric_id__in={key[2] for key in keys},
        ).values_list("pk", "employee_id", "period_id", "metric_id", "value")
        if (employee_id, period_id, metric_id) in keys
    }
    _metrics_bulk_create(batch)
    if any(value.pk is None for value in batch):  # a backend that returns no ids from an upsert
        ids = {
            (e, p, m): pk
            for pk, e, p, m in MetricValue.objects.filter(
                employee_id__in={key[0] for key in keys}, period_id__in={key[1] for key in keys}
            ).values_list("pk", "employee_id", "period_id", "metric_id")
        }
        for value in batch:
            value.pk = ids[(value.employee_id, value.period_id, value.metric_id)]
    rows = []
    for value in batch:
        old = stored.get((value.employee_id, value.period_id, value.metric_id))
        rows.append(
            (
                value.pk,
                value.employee_id,
                value.period_id,
                value.metric_id,
                value.value,
                None if old is None else old[1],
                now,
                reason,
                "+" if old is None else "~",
                user_id,
            )
        )
    insert_rows(MetricValue.history.model, HISTORY_COLUMNS, rows)
    return len(stored)


def _metrics_bulk_create(batch: list[MetricValue]) -> None:
    MetricValue.objects.bulk_create(
        batch,
        update_conflicts=True,
        unique_fields=["employee", "period", "metric"],
        update_fields=["value", "entered_by", "entered_at"],
        batch_size=METRIC_BULK_BATCH,
    )
