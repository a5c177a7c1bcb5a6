"""``employees_import``: the employees.csv / .xlsx import (POLICY.md §2, §7), all or nothing."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext, ngettext

from roles.models import EMPLOYEE_NO_PATTERN, Employee, Role
from roles.tree import org_cycles
from sales_perf.bulk import execute, id_list_sql, insert_rows, is_postgres, next_ids
from sales_perf.tabular import FILE_LEVEL, LINE_BREAKS, ErrorList, ImportResult, TableSource, read_table

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser

EMPLOYEE_COLUMNS = (
    "employee_no",
    "name",
    "email",
    "role",
    "reports_to",
    "hire_date",
    "quarterly_bonus_base",
    "annual_bonus_base",
)
# The fields an import sets on an employee it already knows: every column but the key itself
# (is_active and the login stay as they are).
EMPLOYEE_IMPORT_FIELDS = EMPLOYEE_COLUMNS[1:]
# The same, as the employee table's columns (the role and the manager by their id).
_EMPLOYEE_TABLE_FIELDS = (
    "name",
    "email",
    "role_id",
    "reports_to_id",
    "hire_date",
    "quarterly_bonus_base",
    "annual_bonus_base",
)
EMPLOYEE_BATCH_SIZE = 1000
EMPLOYEE_PROGRESS_EVERY = 10_000
HISTORY_BATCH_SIZE = 5000  # employees per INSERT … SELECT into the audit trail

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_EMPLOYEE_NO = re.compile(EMPLOYEE_NO_PATTERN)
_CENT = Decimal("0.01")
# Employee.*_bonus_base is numeric(14, 2): at most 12 digits before the point.
_MAX_BONUS_BASE = Decimal(10) ** 12


@dataclass(slots=True)
class _EmployeeRow:
    line: int
    employee_no: str
    name: str
    email: str
    role_id: int | None
    reports_to: str | None
    hire_date: date | None
    quarterly_bonus_base: Decimal | None
    annual_bonus_base: Decimal | None


def employees_import(
    *,
    source: TableSource,
    filename: str,
    user: AbstractBaseUser | None = None,
    reason: str = "",
    progress: Callable[[str], None] | None = None,
) -> ImportResult:
    """Create or update the employees of an employees.csv / .xlsx file; all or nothing.

    Every bad row is reported (``ImportFailed``) before anything is written. An employee_no
    already known is updated (name, email, role, reports_to, hire date, bonus bases); its
    ``is_active`` and login are left alone. ``reports_to`` may name an employee further down
    the file or one already stored; the resulting org chart must have no cycle.

    ``progress`` is called with a short line every ``EMPLOYEE_PROGRESS_EVERY`` rows, when reading
    is done and before writing. Every created or changed employee gets a row in the audit trail
    (``Employee.history``) with ``user`` and ``reason`` (which import), written in bulk in the same
    transaction.
    """
    errors = ErrorList()
    checker = _EmployeeRowChecker(role_ids=dict(Role.objects.values_list("code", "id")), errors=errors)
    # One query for the whole org: change detection and the cycle check both need it.
    stored = {
        row[0]: row[1:]
        for row in Employee.objects.values_list("employee_no", "id", *_EMPLOYEE_TABLE_FIELDS, "reports_to__employee_no")
    }
    _header, rows = read_table(source, filename=filename, columns=EMPLOYEE_COLUMNS, errors=errors)
    parsed, row_count = _employees_read(rows, checker, progress)
    if progress is not None:
        progress(
            ngettext(
                "%(count)s row read, checking reporting lines",
                "%(count)s rows read, checking reporting lines",
                row_count,
            )
            % {"count": f"{row_count:,}"}
        )
    # Managers can be anywhere in the file, so they are checked once every row is known.
    _check_managers_known(parsed, stored, errors)
    _check_cycles(parsed, stored, errors)
    errors.raise_if_any()

    if progress is not None:
        progress(
            ngettext("%(count)s employee valid, writing", "%(count)s employees valid, writing", len(parsed))
            % {"count": f"{len(parsed):,}"}
        )
    with transaction.atomic():
        result = _employees_write(parsed, stored, row_count, user, reason or "employees import")
    return replace(result, encoding=rows.encoding)


def _employees_read(
    rows: Iterator[tuple[int, dict[str, str]]], checker: _EmployeeRowChecker, progress: Callable[[str], None] | None
) -> tuple[dict[str, _EmployeeRow], int]:
    """Every row checked field by field; the rows with a usable employee_no by it, and the number of rows."""
    parsed: dict[str, _EmployeeRow] = {}
    row_count = 0
    for line, row in rows:
        row_count += 1
        if progress is not None and row_count % EMPLOYEE_PROGRESS_EVERY == 0:
            progress(ngettext("%(count)s row read", "%(count)s rows read", row_count) % {"count": f"{row_count:,}"})
        employee = checker.row(line, row, parsed)
        if employee is not None:
            parsed[employee.employee_no] = employee
    return parsed, row_count


class _EmployeeRowChecker:
    """One check per field of an employee row: each reports its problems (line, field, reason) and
    returns what the field holds for the write."""

    def __init__(self, *, role_ids: dict[str, int], errors: ErrorList) -> None:
        self.role_ids = role_ids
        self.errors = errors
        self.no_max = Employee._meta.get_field("employee_no").max_length
        self.name_max = Employee._meta.get_field("name").max_length
        self.email_max = Employee._meta.get_field("email").max_length

    def row(self, line: int, row: dict[str, str], parsed: dict[str, _EmployeeRow]) -> _EmployeeRow | None:
        """The row to import, or None when its employee_no is unusable (every field is checked either way)."""
        employee_no = row["employee_no"]
        usable_no = self.employee_no(line, employee_no, parsed)
        self.name(line, row["name"])
        self.email(line, row["email"])
        employee = _EmployeeRow(
            line=line,
            employee_no=employee_no,
            name=row["name"],
            email=row["email"],
            role_id=self.role(line, row["role"]),
            reports_to=self.reports_to(line, row["reports_to"], employee_no),
            hire_date=_parse_date(row["hire_date"], line, "hire_date", self.errors),
            quarterly_bonus_base=_parse_bonus_base(
                row["quarterly_bonus_base"], line, "quarterly_bonus_base", self.errors
            ),
            annual_bonus_base=_parse_bonus_base(row["annual_bonus_base"], line, "annual_bonus_base", self.errors),
        )
        return employee if usable_no else None

    def employee_no(self, line: int, employee_no: str, parsed: dict[str, _EmployeeRow]) -> bool:
        """Whether ``employee_no`` is well formed and not already on an earlier line."""
        if not employee_no:
            problem = gettext("required")
        elif len(employee_no) > self.no_max:
            problem = gettext("longer than %(max)s characters (%(value)r)") % {"max": self.no_max, "value": employee_no}
        elif not _EMPLOYEE_NO.match(employee_no):
            problem = gettext('use letters, digits, "-", "_" and "." only, not starting with "-" (%(value)r)') % {
                "value": employee_no
            }
        elif employee_no in parsed:
            problem = gettext("duplicate: %(employee_no)s is also on line %(line)s") % {
                "employee_no": employee_no,
                "line": parsed[employee_no].line,
            }
        else:
            return True
        self.errors.add(line, "employee_no", problem)
        return False

    def name(self, line: int, name: str) -> None:
        if not name:
            self.errors.add(line, "name", gettext("required"))
        elif len(name) > self.name_max:
            self.errors.add(line, "name", gettext("longer than %(max)s characters") % {"max": self.name_max})
        elif LINE_BREAKS.search(name):
            self.errors.add(line, "name", gettext("a tab or line break is not allowed in a name"))

    def email(self, line: int, email: str) -> None:
        if not email:
            return
        try:
            if len(email) > self.email_max:
                raise ValidationError("too long")
            validate_email(email)
        except ValidationError:
            self.errors.add(line, "email", gettext("not an email address (%(value)r)") % {"value": email})

    def role(self, line: int, role_code: str) -> int | None:
        role_id = self.role_ids.get(role_code.lower())
        if role_id is None:
            if role_code:
                known = ", ".join(sorted(self.role_ids))
                problem = gettext("unknown role (%(value)r); use one of %(known)s") % {
                    "value": role_code,
                    "known": known,
                }
            else:
                problem = gettext("required")
            self.errors.add(line, "role", problem)
        return role_id

    def reports_to(self, line: int, reports_to: str, employee_no: str) -> str | None:
        """The manager's employee_no, if any; whether it exists is checked once every row is read."""
        if reports_to and reports_to == employee_no:
            self.errors.add(line, "reports_to", gettext("an employee cannot report to themself"))
            return None
        return reports_to or None


def _check_managers_known(parsed: dict[str, _EmployeeRow], stored: dict[str, tuple], errors: ErrorList) -> None:
    """A manager named in ``reports_to`` must be in the file or already stored."""
    for employee in parsed.values():
        if employee.reports_to is not None and employee.reports_to not in parsed and employee.reports_to not in stored:
            errors.add(
                employee.line, "reports_to", gettext("unknown employee (%(value)r)") % {"value": employee.reports_to}
            )
            employee.reports_to = None


def _parse_date(text: str, line: int, field: str, errors: ErrorList) -> date | None:
    if not text:
        return None
    try:
        if not _ISO_DATE.match(text):
            raise ValueError
        return date.fromisoformat(text)
    except ValueError:
        errors.add(line, field, gettext("not a date (%(value)r); use YYYY-MM-DD") % {"value": text})
        return None


def _parse_bonus_base(text: str, line: int, field: str, errors: ErrorList) -> Decimal | None:
    if not text:
        return None
    try:
        amount = Decimal(text)
    except InvalidOperation:
        amount = None
    if amount is None or not amount.is_finite():
        errors.add(line, field, gettext("not a number (%(value)r)") % {"value": text})
    elif amount < 0:
        errors.add(line, field, gettext("negative (%(value)r)") % {"value": text})
    elif amount >= _MAX_BONUS_BASE:
        errors.add(line, field, gettext("too large (%(value)r)") % {"value": text})
    elif amount != amount.quantize(_CENT):
        errors.add(line, field, gettext("more than 2 decimal places (%(value)r)") % {"value": text})
    else:
        return amount
    return None


def _check_cycles(parsed: dict[str, _EmployeeRow], stored: dict[str, tuple], errors: ErrorList) -> None:
    """Refuse reporting lines that would close a loop once the file is applied to the stored org."""
    edges: dict[str, str | None] = {employee_no: values[-1] for employee_no, values in stored.items()}
    edges.update({employee_no: employee.reports_to for employee_no, employee in parsed.items()})
    for cycle in org_cycles(edges):
        chain = " → ".join(cycle)
        in_file = [parsed[employee_no] for employee_no in cycle[:-1] if employee_no in parsed]
        for employee in in_file:
            errors.add(employee.line, "reports_to", gettext("reporting cycle: %(chain)s") % {"chain": chain})
        if not in_file:
            errors.add(
                FILE_LEVEL,
                "reports_to",
                gettext("the stored org chart already has a reporting cycle: %(chain)s") % {"chain": chain},
            )


def _employees_write(
    parsed: dict[str, _EmployeeRow], stored: dict[str, tuple], row_count: int, user, reason: str
) -> ImportResult:
    """Create the new employees, update the changed ones, link every manager, and write the audit rows."""
    new = [employee for employee in parsed.values() if employee.employee_no not in stored]
    changed = [
        employee
        for employee in parsed.values()
        if employee.employee_no in stored and _row_values(employee) != _stored_values(stored[employee.employee_no])
    ]
    ids = _employees_copy_write(new, changed, stored) if is_postgres() else _employees_orm_write(new, changed, stored)
    history = _EmployeeHistory(user_id=getattr(user, "pk", None), reason=reason[:100])
    history.write([ids[e.employee_no] for e in new], "+")
    history.write([stored[e.employee_no][0] for e in changed], "~")
    return ImportResult(rows=row_count, created=len(new), updated=len(changed))


class _EmployeeHistory:
    """Audit rows for employees an import wrote: their stored state, copied by the database itself."""

    def __init__(self, *, user_id: int | None, reason: str) -> None:
        self.user_id = user_id
        self.reason = reason
        self.now = connection.ops.adapt_datetimefield_value(timezone.now())
        model = Employee.history.model
        tracked = [field.column for field in model.tracked_fields]
        quote = connection.ops.quote_name
        self.columns = ", ".join(quote(c) for c in tracked)
        self.history_table = quote(model._meta.db_table)
        self.table = quote(Employee._meta.db_table)

    def write(self, ids: list[int], kind: str) -> None:
        for start in range(0, len(ids), HISTORY_BATCH_SIZE):
            condition, params = id_list_sql("id", ids[start : start + HISTORY_BATCH_SIZE])
            # Names from model meta; every value is a parameter.
            execute(
                f"INSERT INTO {self.history_table} ({self.columns}, history_date, history_change_reason,"  # noqa: S608
                f" history_type, history_user_id) SELECT {self.columns}, %s, %s, %s, %s"
                f" FROM {self.table} WHERE {condition}",
                [self.now, self.reason, kind, self.user_id, *params],
            )


def _row_values(employee: _EmployeeRow) -> tuple:
    return (
        employee.name,
        employee.email,
        employee.role_id,
        employee.reports_to,
        employee.hire_date,
        employee.quarterly_bonus_base,
        employee.annual_bonus_base,
    )


def _stored_values(values: tuple) -> tuple:
    """A stored employee as ``_row_values`` gives a row (the manager by employee_no)."""
    _pk, name, email, role_id, _boss_id, hire_date, quarterly, annual, boss_no = values
    return (name, email, role_id, boss_no, hire_date, quarterly, annual)


_WRITTEN_COLUMNS = ("id", "employee_no", *_EMPLOYEE_TABLE_FIELDS)


def _employees_copy_write(
    new: list[_EmployeeRow], changed: list[_EmployeeRow], stored: dict[str, tuple]
) -> dict[str, int]:
    """PostgreSQL: ids for the new people come from the sequence in one query, so every row, its
    manager included, is known before writing; then one COPY of the new employees and, for the
    changed ones, a COPY into a staging table and one ``UPDATE … FROM``. (Django's bulk_update
    writes a CASE per row: it took 46 of 50 s for 20,000 people.) Django's foreign keys are
    deferred to the commit, so a new employee may name a manager further down the file."""
    ids = {employee_no: values[0] for employee_no, values in stored.items()}
    ids.update(zip((e.employee_no for e in new), next_ids(Employee, len(new)), strict=True))

    def rows(employees: list[_EmployeeRow]):
        for e in employees:
            yield (
                ids[e.employee_no],
                e.employee_no,
                e.name,
                e.email,
                e.role_id,
                ids[e.reports_to] if e.reports_to else None,
                e.hire_date,
                e.quarterly_bonus_base,
                e.annual_bonus_base,
            )

    table = Employee._meta.db_table
    quote = connection.ops.quote_name
    insert_rows(table, (*_WRITTEN_COLUMNS, "is_active"), ((*row, True) for row in rows(new)))
    with connection.cursor() as cursor:
        if changed:
            staging = "employee_import_rows"
            cursor.execute(f"DROP TABLE IF EXISTS {staging}")
            cursor.execute(
                f"CREATE TEMP TABLE {staging} ON COMMIT DROP AS"  # noqa: S608 - names from model meta
                f" SELECT {', '.join(_WRITTEN_COLUMNS)} FROM {quote(table)} WITH NO DATA"
            )
            insert_rows(staging, _WRITTEN_COLUMNS, rows(changed))
            fields = _WRITTEN_COLUMNS[2:]
            # Names come from a fixed list and model meta; there are no values in this statement.
            cursor.execute(
                f"UPDATE {quote(table)} e SET {', '.join(f'{f} = s.{f}' for f in fields)}"  # noqa: S608
                f" FROM {staging} s WHERE e.id = s.id"
            )
            cursor.execute(f"DROP TABLE {staging}")
        # Fresh statistics for the close that usually follows an import.
        cursor.execute(f"ANALYZE {quote(table)}")
    return ids


def _employees_orm_write(
    new: list[_EmployeeRow], changed: list[_EmployeeRow], stored: dict[str, tuple]
) -> dict[str, int]:
    """SQLite: bulk_create the new employees, then bulk_update the changed ones and every new one
    with a manager (managers may come later in the file, so they are linked once all have ids)."""
    Employee.objects.bulk_create(
        [Employee(employee_no=e.employee_no, **_employee_fields(e, reports_to_id=None)) for e in new],
        batch_size=EMPLOYEE_BATCH_SIZE,
    )
    ids = {employee_no: values[0] for employee_no, values in stored.items()}
    ids.update(Employee.objects.filter(employee_no__in=[e.employee_no for e in new]).values_list("employee_no", "id"))
    updates = [
        Employee(
            id=ids[e.employee_no],
            employee_no=e.employee_no,
            **_employee_fields(e, reports_to_id=ids[e.reports_to] if e.reports_to else None),
        )
        for e in [*changed, *(e for e in new if e.reports_to)]
    ]
    Employee.objects.bulk_update(updates, fields=EMPLOYEE_IMPORT_FIELDS, batch_size=EMPLOYEE_BATCH_SIZE)
    return ids


def _employee_fields(employee: _EmployeeRow, *, reports_to_id: int | None) -> dict:
    return {
        "name": employee.name,
        "email": employee.email,
        "role_id": employee.role_id,
        "reports_to_id": reports_to_id,
        "hire_date": employee.hire_date,
        "quarterly_bonus_base": employee.quarterly_bonus_base,
        "annual_bonus_base": employee.annual_bonus_base,
    }
