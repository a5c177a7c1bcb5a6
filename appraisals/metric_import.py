"""``metrics_import``: the metrics.csv / .xlsx bulk import (POLICY.md §4, §7), all or nothing.

Built for a million rows: the lookups are loaded once, each row is checked against plain
dicts, valid rows are spooled as COPY text (not kept as objects), and the write is one
COPY + one INSERT … ON CONFLICT on PostgreSQL (batched upserting bulk_create elsewhere).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from appraisals.models import Metric, MetricValue, Period
from appraisals.periods import MONTH, QUARTER, PeriodRef
from roles.models import Employee
from sales_perf.bulk import copy_from, insert_rows, set_local_work_mem
from sales_perf.tabular import (
    FILE_LEVEL,
    ErrorList,
    ImportFailed,
    ImportResult,
    RowError,
    TableSource,
    read_table_values,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

METRIC_COLUMNS = ("employee_no", "period", "metric", "value")
METRIC_PROGRESS_EVERY = 100_000
METRIC_BULK_BATCH = 5000  # objects per bulk_create call off PostgreSQL (Django splits further for SQLite)
METRIC_SPOOL_IN_MEMORY = 32 * 1024 * 1024  # bytes of spooled rows kept in memory before going to a temp file

# MetricValue.value is numeric(18, 4).
_VALUE_QUANTUM = Decimal("0.0001")
_VALUE_LIMIT = Decimal(10) ** 14
# Room for every period code there can be (1900-2999 × 17) when packing a row's identity into one int.
_PERIOD_SLOTS = 1 << 16
# Row-error reasons, in the reader's language (HR sees them on the imports page).
_CLOSED_STATUSES = {
    Period.Status.CLOSED: gettext_lazy("period %(code)s is closed"),
    Period.Status.CLOSING: gettext_lazy("period %(code)s is being closed"),
}
_CADENCE_HINT = {
    MONTH: gettext_lazy("%(metric)s is a monthly metric; use a month (YYYY-MM), not %(value)r"),
    QUARTER: gettext_lazy("%(metric)s is a quarterly metric; use a quarter (YYYY-Qn), not %(value)r"),
}


@dataclass(frozen=True, slots=True)
class _MetricRule:
    index: int
    code: str
    period_kind: str
    minimum: Decimal
    maximum: Decimal | None
    integer_only: bool
    at_most: str | None  # the metric this one may not exceed (customers_retained ≤ customers_start)
    bounds: tuple[str, ...]  # the metrics that may not exceed this one


@dataclass(frozen=True, slots=True)
class _PeriodSlot:
    index: int
    code: str
    kind: str
    id: int | None  # None: not stored yet, created by the import
    status: str | None


@dataclass(slots=True)
class _MetricCheck:
    """What the validation pass keeps for the checks that span rows and for the write."""

    rows: int = 0
    valid: int = 0
    # (employee id, period slot index, metric) → (value, or None when the row's value was bad; line)
    # for rows of a metric that another metric may not exceed
    bound_values: dict[tuple[int, int, str], tuple[Decimal | None, int]] = field(default_factory=dict)
    # (line, employee id, period slot, rule, value) of valid rows of a metric with an at_most limit
    bounded_rows: list[tuple[int, int, _PeriodSlot, _MetricRule, Decimal]] = field(default_factory=list)
    # (employee id, period slot index, metric) of every row of a metric with an at_most limit
    bounded_keys: set[tuple[int, int, str]] = field(default_factory=set)


def metrics_import(
    *,
    source: TableSource,
    filename: str,
    user: AbstractBaseUser | None = None,
    progress: Callable[[str], None] | None = None,
    reason: str = "",
) -> ImportResult:
    """Import metric values (``employee_no, period, metric, value``); all or nothing.

    Every bad row is reported (``ImportFailed``: line, field, reason) before anything is
    written. Periods that do not exist yet are created; a value for an open period that is
    already stored is replaced (``entered_by``/``entered_at`` set to ``user`` and now); a
    closed (or closing) period refuses the row. ``progress`` is called with a short line
    every ``METRIC_PROGRESS_EVERY`` rows and when reading is done.

    Every value written gets a row in the audit trail (``MetricValue.history``) with the value it
    replaced, ``user`` and ``reason`` (which import: the ImportJob, or the command and its file),
    written in bulk in the same transaction.
    """
    errors = ErrorList()
    employee_ids: dict[str, int] = dict(Employee.objects.values_list("employee_no", "id"))
    rules = _metric_rules()
    stored_periods = {
        code: (kind, pk, status)
        for code, kind, pk, status in Period.objects.values_list("code", "kind", "id", "status")
    }
    _header, rows = read_table_values(source, filename=filename, columns=METRIC_COLUMNS, errors=errors)

    slots: dict[str, _PeriodSlot] = {}
    with tempfile.SpooledTemporaryFile(
        max_size=METRIC_SPOOL_IN_MEMORY, mode="w+", encoding="utf-8", newline="\n"
    ) as spool:
        check = _metrics_validate(rows, employee_ids, rules, stored_periods, slots, spool, errors, progress)
        _metrics_check_at_most(check, rules, slots, errors)
        errors.raise_if_any()
        if not check.valid:
            return ImportResult(rows=check.rows, created=0, updated=0, encoding=rows.encoding)
        if progress is not None:
            progress(
                ngettext("%(count)s row valid, writing", "%(count)s rows valid, writing", check.valid)
                % {"count": f"{check.valid:,}"}
            )
        created, updated = _metrics_write(spool, slots, check.valid, user, reason or "metrics import")
    return ImportResult(rows=check.rows, created=created, updated=updated, encoding=rows.encoding)


def _metric_rules() -> dict[str, _MetricRule]:
    metrics = list(Metric.objects.order_by("code"))
    bounds: dict[str, list[str]] = {}
    for metric in metrics:
        if metric.at_most_metric_id:
            bounds.setdefault(metric.at_most_metric_id, []).append(metric.code)
    return {
        metric.code: _MetricRule(
            index=index,
            code=metric.code,
            period_kind=metric.period_kind,
            minimum=metric.min_value,
            maximum=metric.max_value,
            integer_only=metric.integer_only,
            at_most=metric.at_most_metric_id,
            bounds=tuple(bounds.get(metric.code, ())),
        )
        for index, metric in enumerate(metrics)
    }


def _period_slot(code: str, index: int, stored_periods: dict[str, tuple[str, int, str]]) -> _PeriodSlot | str:
    """The slot of a period code, or the reason the code is not a period."""
    stored = stored_periods.get(code)
    if stored is not None:
        kind, pk, status = stored
        return _PeriodSlot(index=index, code=code, kind=kind, id=pk, status=status)
    if not code:
        return gettext("required")
    ref = PeriodRef.parse_or_none(code)
    if ref is None or ref.code != code:  # e.g. surrounding spaces were tolerated by the parser
        return gettext("not a period (%(value)r); use YYYY-MM or YYYY-Qn") % {"value": code}
    return _PeriodSlot(index=index, code=code, kind=ref.kind, id=None, status=None)


def _number_text(value: Decimal) -> str:
    return format(value.normalize(), "f")


def _value_problem(number: Decimal, rule: _MetricRule, limits: tuple[str, str | None], text: str) -> str | None:
    """What is wrong with a finite value of ``rule``'s metric (``limits``: its minimum and maximum as
    written to the user), or None when it may be stored."""
    if number < rule.minimum:
        return gettext("below the minimum %(minimum)s (%(value)r)") % {"minimum": limits[0], "value": text}
    if rule.maximum is not None and number > rule.maximum:
        return gettext("above the maximum %(maximum)s (%(value)r)") % {"maximum": limits[1], "value": text}
    if number >= _VALUE_LIMIT:
        return gettext("too large (%(value)r)") % {"value": text}
    if rule.integer_only and number != number.to_integral_value():
        return gettext("not a whole number (%(value)r)") % {"value": text}
    if number != number.quantize(_VALUE_QUANTUM):
        return gettext("more than 4 decimal places (%(value)r)") % {"value": text}
    return None


def _metrics_validate(
    rows: Iterator[tuple[int, list[str]]],
    employee_ids: dict[str, int],
    rules: dict[str, _MetricRule],
    stored_periods: dict[str, tuple[str, int, str]],
    slots: dict[str, _PeriodSlot],
    spool: IO[str],
    errors: ErrorList,
    progress: Callable[[str], None] | None,
) -> _MetricCheck:
    """Check every row on its own and against earlier rows; spool the valid ones as COPY text."""
    check = _MetricCheck()
    bound_values = check.bound_values
    bounded_rows = check.bounded_rows
    bounded_keys = check.bounded_keys
    first_line: dict[int, int] = {}  # packed (employee, period, metric) → line, to find duplicates
    metric_count = max(len(rules), 1)
    limits = {
        code: (_number_text(rule.minimum), rule.maximum and _number_text(rule.maximum)) for code, rule in rules.items()
    }
    pending: list[str] = []  # spooled in chunks: one write per row is measurably slower
    add_error = errors.add
    every = METRIC_PROGRESS_EVERY
    count = 0
    valid = 0

    for line, (employee_no, period_code, metric_code, text) in rows:
        count += 1
        if count % every == 0:
            if progress is not None:
                progress(ngettext("%(count)s row read", "%(count)s rows read", count) % {"count": f"{count:,}"})
            spool.write("".join(pending))
            pending.clear()

        employee_id = employee_ids.get(employee_no)
        if employee_id is None:
            add_error(
                line,
                "employee_no",
                gettext("unknown employee (%(value)r)") % {"value": employee_no}
                if employee_no
                else gettext("required"),
            )

        rule = rules.get(metric_code)
        if rule is None:
            add_error(
                line,
                "metric",
                gettext("unknown metric (%(value)r)") % {"value": metric_code} if metric_code else gettext("required"),
            )

        slot = slots.get(period_code)
        if slot is None:
            found = _period_slot(period_code, len(slots), stored_periods)
            if isinstance(found, str):
                add_error(line, "period", found)
            else:
                slot = slots[period_code] = found
        if slot is not None:
            if rule is not None and slot.kind != rule.period_kind:
                add_error(line, "period", _CADENCE_HINT[rule.period_kind] % {"metric": rule.code, "value": period_code})
                slot = None
            elif slot.status in _CLOSED_STATUSES:
                add_error(line, "period", _CLOSED_STATUSES[slot.status] % {"code": period_code})
                slot = None

        number: Decimal | None = None
        try:
            number = Decimal(text)
        except InvalidOperation:
            add_error(
                line, "value", gettext("not a number (%(value)r)") % {"value": text} if text else gettext("required")
            )
        else:
            if not number.is_finite():
                add_error(line, "value", gettext("not a finite number (%(value)r)") % {"value": text})
                number = None
            elif rule is not None:
                problem = _value_problem(number, rule, limits[rule.code], text)
                if problem:
                    add_error(line, "value", problem)
                    number = None

        if employee_id is None or rule is None or slot is None:
            continue
        key = (employee_id * _PERIOD_SLOTS + slot.index) * metric_count + rule.index
        earlier = first_line.get(key)
        if earlier is not None:
            add_error(
                line,
                "metric",
                gettext("duplicate: %(employee_no)s %(period)s %(metric)s is also on line %(line)s")
                % {"employee_no": employee_no, "period": period_code, "metric": metric_code, "line": earlier},
            )
            continue
        first_line[key] = line
        if rule.bounds:
            bound_values[(employee_id, slot.index, rule.code)] = (number, line)
        if rule.at_most is not None:
            bounded_keys.add((employee_id, slot.index, rule.code))
        if number is None:
            continue
        if rule.at_most is not None:
            bounded_rows.append((line, employee_id, slot, rule, number))
        if not errors.count:  # once the file is refused there is nothing to write
            pending.append(f"{employee_id}\t{period_code}\t{metric_code}\t{number}\n")
            valid += 1

    spool.write("".join(pending))
    if progress is not None and (count == 0 or count % every):
        progress(ngettext("%(count)s row read", "%(count)s rows read", count) % {"count": f"{count:,}"})
    check.rows = count
    check.valid = valid
    return check


def _metrics_check_at_most(
    check: _MetricCheck, rules: dict[str, _MetricRule], slots: dict[str, _PeriodSlot], errors: ErrorList
) -> None:
    """customers_retained ≤ customers_start (any ``at_most_metric``), against the file, else the stored value."""
    bound_values = check.bound_values
    file_keys = check.bounded_keys
    # Stored values needed: the limit of a limited row whose limit is not in the file, and the
    # limited value of a limit row whose limited metric is not in the file.
    needed: set[tuple[int, int, str]] = set()
    for _line, employee_id, slot, rule, _number in check.bounded_rows:
        key = (employee_id, slot.index, rule.at_most)
        if key not in bound_values and slot.id is not None:
            needed.add(key)
    slot_by_index = {slot.index: slot for slot in slots.values()}
    for (employee_id, slot_index, code), (number, _line) in bound_values.items():
        if number is None or slot_by_index[slot_index].id is None:
            continue
        for limited in rules[code].bounds:
            if (employee_id, slot_index, limited) not in file_keys:
                needed.add((employee_id, slot_index, limited))
    stored = _metrics_stored_values(needed, slot_by_index)

    for line, employee_id, slot, rule, number in check.bounded_rows:
        key = (employee_id, slot.index, rule.at_most)
        if key in bound_values:
            limit, _limit_line = bound_values[key]
            sentence = gettext("more than %(metric)s (%(limit)s)")
        else:
            limit = stored.get(key)
            sentence = gettext("more than the stored %(metric)s (%(limit)s)")
        if limit is not None and number > limit:
            errors.add(line, "value", sentence % {"metric": rule.at_most, "limit": _number_text(limit)})
    for (employee_id, slot_index, code), (number, line) in bound_values.items():
        if number is None:
            continue
        for limited in rules[code].bounds:
            stored_value = stored.get((employee_id, slot_index, limited))
            if (
                (employee_id, slot_index, limited) not in file_keys
                and stored_value is not None
                and number < stored_value
            ):
                errors.add(
                    line,
                    "value",
                    gettext("less than the stored %(metric)s (%(limit)s)")
                    % {"metric": limited, "limit": _number_text(stored_value)},
                )


def _metrics_stored_values(
    needed: set[tuple[int, int, str]], slot_by_index: dict[int, _PeriodSlot]
) -> dict[tuple[int, int, str], Decimal]:
    if not needed:
        return {}
    slot_by_id = {slot_by_index[slot_index].id: slot_index for _employee_id, slot_index, _code in needed}
    stored = MetricValue.objects.filter(
        period_id__in=list(slot_by_id), metric_id__in=sorted({code for _e, _p, code in needed})
    ).values_list("employee_id", "period_id", "metric_id", "value")
    return {
        key: value
        for employee_id, period_id, metric_id, value in stored.iterator(chunk_size=10_000)
        if (key := (employee_id, slot_by_id[period_id], metric_id)) in needed
    }


def _metrics_write(
    spool: IO[str], slots: dict[str, _PeriodSlot], valid: int, user: AbstractBaseUser | None, reason: str
) -> tuple[int, int]:
    """Create the missing periods, then upsert the spooled rows; returns (created, updated)."""
    user_id = getattr(user, "pk", None)
    now = timezone.now()
    with transaction.atomic():
        missing = [
            Period(**Period.fields_for(PeriodRef.parse(slot.code))) for slot in slots.values() if slot.id is None
        ]
        if missing:
            Period.objects.bulk_create(missing, ignore_conflicts=True)  # a concurrent import may add them too
        # Lock the periods so a close cannot start between our check and our write.
        locked = Period.objects.select_for_update().filter(code__in=list(slots)).values_list("code", "id", "status")
        period_ids: dict[str, int] = {}
        closed: list[RowError] = []
        for code, pk, status in locked:
            period_ids[code] = pk
            if status in _CLOSED_STATUSES:
                problem = _CLOSED_STATUSES[status] % {"code": code}
                closed.append(
                    RowError(
                        FILE_LEVEL,
                        "period",
                        gettext("%(problem)s (since the file was checked)") % {"problem": problem},
                    )
                )
        if closed:
            raise ImportFailed(closed)
        spool.seek(0)
        if connection.vendor == "postgresql":
            stored_period_ids = [slot.id for slot in slots.values() if slot.id is not None]
            return _metrics_copy_upsert(spool, stored_period_ids, valid, user_id, now, reason[:100])
        return _metrics_bulk_upsert(spool, period_ids, valid, user_id, now, reason[:100])


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
