"""``metrics_import``: the metrics.csv / .xlsx bulk import (POLICY.md §4, §7), all or nothing.

Built for a million rows: the lookups are loaded once, each row is checked against plain
dicts, valid rows are spooled as COPY text (not kept as objects), and the write
(``appraisals.metric_values``) is one COPY + one INSERT … ON CONFLICT on PostgreSQL (batched
upserting bulk_create elsewhere).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import IO, TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext, gettext_lazy, ngettext

from appraisals.metric_values import metric_values_upsert
from appraisals.models import Metric, MetricValue, Period
from appraisals.periods import MONTH, QUARTER, PeriodRef
from roles.models import Employee
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

    metric_count: int
    rows: int = 0
    valid: int = 0
    # packed (employee, period, metric) → line of its first row, to find duplicates
    first_line: dict[int, int] = field(default_factory=dict)
    # (employee id, period slot index, metric) → (value, or None when the row's value was bad; line)
    # for rows of a metric that another metric may not exceed
    bound_values: dict[tuple[int, int, str], tuple[Decimal | None, int]] = field(default_factory=dict)
    # (line, employee id, period slot, rule, value) of valid rows of a metric with an at_most limit
    bounded_rows: list[tuple[int, int, _PeriodSlot, _MetricRule, Decimal]] = field(default_factory=list)
    # (employee id, period slot index, metric) of every row of a metric with an at_most limit
    bounded_keys: set[tuple[int, int, str]] = field(default_factory=set)

    def duplicate_of(self, line: int, employee_id: int, slot: _PeriodSlot, rule: _MetricRule) -> int | None:
        """The line that already holds this employee, period and metric; else remember this one."""
        key = (employee_id * _PERIOD_SLOTS + slot.index) * self.metric_count + rule.index
        earlier = self.first_line.get(key)
        if earlier is None:
            self.first_line[key] = line
        return earlier

    def keep(self, line: int, employee_id: int, slot: _PeriodSlot, rule: _MetricRule, number: Decimal | None) -> None:
        """Note a row's value for the at_most checks (``_metrics_check_at_most``), bad values included."""
        if rule.bounds:
            self.bound_values[(employee_id, slot.index, rule.code)] = (number, line)
        if rule.at_most is not None:
            self.bounded_keys.add((employee_id, slot.index, rule.code))
            if number is not None:
                self.bounded_rows.append((line, employee_id, slot, rule, number))


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
        checker = _MetricRowChecker(
            employee_ids=employee_ids, rules=rules, stored_periods=stored_periods, slots=slots, errors=errors
        )
        check = _metrics_validate(rows, checker, errors, spool, progress)
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


class _MetricRowChecker:
    """One check per field of a metric row, each against dicts loaded once: it returns the field's
    value, or reports the problem (line, field, reason) and returns None."""

    def __init__(
        self,
        *,
        employee_ids: dict[str, int],
        rules: dict[str, _MetricRule],
        stored_periods: dict[str, tuple[str, int, str]],
        slots: dict[str, _PeriodSlot],
        errors: ErrorList,
    ) -> None:
        self.employee_ids = employee_ids
        self.rules = rules
        self.stored_periods = stored_periods
        self.slots = slots  # every period code seen, filled as rows name them
        self.add_error = errors.add
        self.limits = {
            code: (_number_text(rule.minimum), rule.maximum and _number_text(rule.maximum))
            for code, rule in rules.items()
        }

    def employee(self, line: int, employee_no: str) -> int | None:
        employee_id = self.employee_ids.get(employee_no)
        if employee_id is None:
            problem = gettext("unknown employee (%(value)r)") % {"value": employee_no}
            self.add_error(line, "employee_no", problem if employee_no else gettext("required"))
        return employee_id

    def metric(self, line: int, metric_code: str) -> _MetricRule | None:
        rule = self.rules.get(metric_code)
        if rule is None:
            problem = gettext("unknown metric (%(value)r)") % {"value": metric_code}
            self.add_error(line, "metric", problem if metric_code else gettext("required"))
        return rule

    def period(self, line: int, period_code: str, rule: _MetricRule | None) -> _PeriodSlot | None:
        """The period's slot, if it is a period that takes ``rule``'s metric and is still open."""
        slot = self.slots.get(period_code)
        if slot is None:
            found = _period_slot(period_code, len(self.slots), self.stored_periods)
            if isinstance(found, str):
                self.add_error(line, "period", found)
                return None
            slot = self.slots[period_code] = found
        if rule is not None and slot.kind != rule.period_kind:
            hint = _CADENCE_HINT[rule.period_kind] % {"metric": rule.code, "value": period_code}
            self.add_error(line, "period", hint)
            return None
        if slot.status in _CLOSED_STATUSES:
            self.add_error(line, "period", _CLOSED_STATUSES[slot.status] % {"code": period_code})
            return None
        return slot

    def value(self, line: int, text: str, rule: _MetricRule | None) -> Decimal | None:
        """The value as a number within ``rule``'s limits (any finite number when the metric is unknown)."""
        try:
            number = Decimal(text)
        except InvalidOperation:
            problem = gettext("not a number (%(value)r)") % {"value": text} if text else gettext("required")
            self.add_error(line, "value", problem)
            return None
        if not number.is_finite():
            self.add_error(line, "value", gettext("not a finite number (%(value)r)") % {"value": text})
            return None
        if rule is not None:
            problem = _value_problem(number, rule, self.limits[rule.code], text)
            if problem:
                self.add_error(line, "value", problem)
                return None
        return number


def _metrics_validate(
    rows: Iterator[tuple[int, list[str]]],
    checker: _MetricRowChecker,
    errors: ErrorList,
    spool: IO[str],
    progress: Callable[[str], None] | None,
) -> _MetricCheck:
    """Check every row on its own and against earlier rows; spool the valid ones as COPY text."""
    check = _MetricCheck(metric_count=max(len(checker.rules), 1))
    pending: list[str] = []  # spooled in chunks: one write per row is measurably slower
    count = valid = 0
    # Bound once: a million rows call each of them.
    check_employee, check_metric, check_period, check_value = (
        checker.employee,
        checker.metric,
        checker.period,
        checker.value,
    )
    for line, (employee_no, period_code, metric_code, text) in rows:
        count += 1
        if count % METRIC_PROGRESS_EVERY == 0:
            _report_rows_read(progress, count)
            spool.write("".join(pending))
            pending.clear()
        # Every field is checked, so one pass reports all of a row's problems.
        employee_id = check_employee(line, employee_no)
        rule = check_metric(line, metric_code)
        slot = check_period(line, period_code, rule)
        number = check_value(line, text, rule)
        if employee_id is None or rule is None or slot is None:
            continue
        earlier = check.duplicate_of(line, employee_id, slot, rule)
        if earlier is not None:
            duplicate = gettext("duplicate: %(employee_no)s %(period)s %(metric)s is also on line %(line)s")
            args = {"employee_no": employee_no, "period": period_code, "metric": metric_code, "line": earlier}
            errors.add(line, "metric", duplicate % args)
            continue
        check.keep(line, employee_id, slot, rule, number)
        if number is not None and not errors.count:  # once the file is refused there is nothing to write
            pending.append(f"{employee_id}\t{period_code}\t{metric_code}\t{number}\n")
            valid += 1
    spool.write("".join(pending))
    if count == 0 or count % METRIC_PROGRESS_EVERY:
        _report_rows_read(progress, count)
    check.rows = count
    check.valid = valid
    return check


def _report_rows_read(progress: Callable[[str], None] | None, count: int) -> None:
    if progress is not None:
        progress(ngettext("%(count)s row read", "%(count)s rows read", count) % {"count": f"{count:,}"})


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
        return metric_values_upsert(
            rows=spool,
            valid=valid,
            period_ids=period_ids,
            stored_period_ids=[slot.id for slot in slots.values() if slot.id is not None],
            user_id=user_id,
            now=now,
            reason=reason[:100],
        )
