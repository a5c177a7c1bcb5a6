"""Reads behind the HR History page (/hr/history/): the audit trail of pay-relevant data, newest first.

One list from six sources, each kept by its own model: employee changes, metric value changes
(old → new), policy version changes, reward decisions and their undoing (django-simple-history's
tables), period events (the close's own log) and the steps of disputes. Each source is filtered
(by employee, by period) and ordered newest first in the database; a page merges the first rows of
each, so a page costs one query per source and a count, however long the history.

A period filter keeps the metric values and rewards of that period and its events; employee and
policy changes are not of a period, so the filter keeps those made while it ran (start to end).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisals.models import MetricValue, Period, PeriodEvent, PolicyVersion
from disputes.models import DisputeEvent
from rewards.models import RewardSuggestion
from roles.models import Employee, Role

EMPLOYEE = "employee"
METRIC = "metric"
POLICY = "policy"
REWARD = "reward"
PERIOD = "period"
DISPUTE = "dispute"
KINDS = {
    EMPLOYEE: _("Employee"),
    METRIC: _("Metric value"),
    POLICY: _("Policy"),
    REWARD: _("Reward decision"),
    PERIOD: _("Period"),
    DISPUTE: _("Dispute"),
}
EMPTY = "—"
# The employee fields a change lists, in this order.
EMPLOYEE_FIELDS = (
    ("name", _("name")),
    ("email", _("email")),
    ("role_id", _("role")),
    ("reports_to_id", _("reports to")),
    ("hire_date", _("hire date")),
    ("is_active", _("active")),
    ("end_date", _("end date")),
    ("quarterly_bonus_base", _("quarterly bonus base")),
    ("annual_bonus_base", _("annual bonus base")),
    ("user_id", _("login")),
)
ACTIONS = {"+": _("created"), "~": _("changed"), "-": _("deleted")}


@dataclass(frozen=True, slots=True)
class Entry:
    at: datetime
    kind: str
    action: str  # created / changed / deleted, or a period event's action
    subject: str  # whom or what it is about
    change: str  # what changed: "reports to: S01 → S02; active: yes → no", "1000 → 1200"
    by: str  # the user, or "" (the scheduler, a command)
    via: str  # which import, page or command (the change reason)
    employee_no: str = ""
    period_code: str = ""

    @property
    def kind_label(self) -> str:
        return str(KINDS[self.kind])

    def as_row(self) -> list[str]:
        return [
            timezone.localtime(self.at).strftime("%Y-%m-%d %H:%M:%S"),
            self.kind_label,
            self.action,
            self.subject,
            self.change,
            self.by,
            self.via,
        ]


def export_header() -> list[str]:
    return [
        gettext("When"),
        gettext("What"),
        gettext("Action"),
        gettext("Whom"),
        gettext("Change"),
        gettext("By"),
        gettext("Through"),
    ]


@dataclass(frozen=True)
class HistoryFilter:
    kind: str = ""  # "" for every kind
    employee: Employee | None = None
    period: Period | None = None

    def window(self) -> tuple[datetime, datetime] | None:
        """The period's days as aware datetimes (start, end + 1 day), for sources not of a period."""
        if self.period is None:
            return None
        start = timezone.make_aware(datetime.combine(self.period.start, time.min))
        end = timezone.make_aware(datetime.combine(self.period.end + timedelta(days=1), time.min))
        return start, end


class Source:
    """One model's part of the history: a filtered queryset, newest first, and how a row reads."""

    def __init__(self, queryset: QuerySet, describe: Callable[[list], list[Entry]]):
        self.queryset = queryset
        self.describe = describe

    def count(self) -> int:
        return self.queryset.count()

    def first(self, limit: int) -> list[Entry]:
        return self.describe(list(self.queryset[:limit]))

    def all(self, chunk: int = 2000) -> Iterator[Entry]:
        rows = []
        for row in self.queryset.iterator(chunk_size=chunk):
            rows.append(row)
            if len(rows) == chunk:
                yield from self.describe(rows)
                rows = []
        if rows:
            yield from self.describe(rows)


class History:
    """The merged history of ``sources``: ``count()`` and slices, as Django's Paginator asks."""

    def __init__(self, sources: list[Source]):
        self.sources = sources
        self._count: int | None = None

    def count(self) -> int:
        if self._count is None:
            self._count = sum(source.count() for source in self.sources)
        return self._count

    def __len__(self) -> int:
        return self.count()

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else self.count()
        merged = heapq.merge(*(source.first(stop) for source in self.sources), key=_newest_first)
        return list(merged)[start:stop]

    def __iter__(self) -> Iterator[Entry]:
        return heapq.merge(*(source.all() for source in self.sources), key=_newest_first)


def _newest_first(entry: Entry):
    return -entry.at.timestamp()


def history(filters: HistoryFilter) -> History:
    builders = {
        EMPLOYEE: _employee_source,
        METRIC: _metric_source,
        POLICY: _policy_source,
        REWARD: _reward_source,
        PERIOD: _period_source,
        DISPUTE: _dispute_source,
    }
    kinds = [filters.kind] if filters.kind in builders else list(builders)
    sources = [builders[kind](filters) for kind in kinds]
    return History([source for source in sources if source is not None])


# --------------------------------------------------------------------------- helpers


class _Names:
    """Usernames, employee numbers, role codes (and period codes, when asked) by id, loaded once per
    batch of rows."""

    def __init__(self, user_ids: Iterable = (), employee_ids: Iterable = (), period_ids: Iterable = ()):
        user_ids = {pk for pk in user_ids if pk is not None}
        employee_ids = {pk for pk in employee_ids if pk is not None}
        self.users = dict(get_user_model().objects.filter(pk__in=user_ids).values_list("pk", "username"))
        self.employees = dict(Employee.objects.filter(pk__in=employee_ids).values_list("pk", "employee_no"))
        self.roles = dict(Role.objects.values_list("pk", "code"))
        period_ids = set(period_ids)
        self.periods = dict(Period.objects.filter(pk__in=period_ids).values_list("pk", "code")) if period_ids else {}

    @classmethod
    def of_rows(cls, rows: list) -> _Names:
        """For history rows of an employee's figure in a period (metric values, rewards)."""
        return cls(
            user_ids=[row.history_user_id for row in rows],
            employee_ids=[row.employee_id for row in rows],
            period_ids=[row.period_id for row in rows],
        )

    def user(self, pk) -> str:
        return self.users.get(pk, "") if pk is not None else ""

    def employee_and_period(self, row) -> tuple[str, str]:
        """The employee number and the period code of a row of ``of_rows``."""
        return self.employees.get(row.employee_id, str(row.employee_id)), self.periods.get(row.period_id, "")


def _text(value) -> str:
    if value is None or value == "":
        return EMPTY
    if isinstance(value, bool):
        return gettext("yes") if value else gettext("no")
    if hasattr(value, "normalize"):  # Decimal: no trailing zeros
        return format(value.normalize(), "f")
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def _window(queryset: QuerySet, filters: HistoryFilter, field: str) -> QuerySet:
    window = filters.window()
    if window is None:
        return queryset
    return queryset.filter(**{f"{field}__gte": window[0], f"{field}__lt": window[1]})


def _of_employee_and_period(rows: QuerySet, filters: HistoryFilter) -> QuerySet:
    """The history rows of the chosen employee and period (rows that carry both ids)."""
    if filters.employee is not None:
        rows = rows.filter(employee_id=filters.employee.pk)
    if filters.period is not None:
        rows = rows.filter(period_id=filters.period.pk)
    return rows


# --------------------------------------------------------------------------- the five sources


def _employee_source(filters: HistoryFilter) -> Source:
    model = Employee.history.model
    rows = model.objects.order_by("-history_date", "-history_id")
    if filters.employee is not None:
        rows = rows.filter(id=filters.employee.pk)
    rows = _window(rows, filters, "history_date")
    return Source(rows, _employee_entries)


def _employee_entries(rows: list) -> list[Entry]:
    model = Employee.history.model
    # Each row's predecessor, so a change reads "old → new": one query for the rows' employees.
    earlier: dict[int, list] = {}
    for row in model.objects.filter(id__in={row.id for row in rows}).order_by("id", "history_date", "history_id"):
        earlier.setdefault(row.id, []).append(row)
    names = _Names(
        user_ids=[row.history_user_id for row in rows],
        employee_ids=[r.reports_to_id for group in earlier.values() for r in group],
    )
    fields = dict(EMPLOYEE_FIELDS)

    def show(row, name: str) -> str:
        value = getattr(row, name)
        if name == "role_id":
            return names.roles.get(value, EMPTY)
        if name == "reports_to_id":
            return names.employees.get(value, EMPTY) if value else EMPTY
        if name == "user_id":
            return gettext("linked") if value else EMPTY
        return _text(value)

    entries = []
    for row in rows:
        group = earlier.get(row.id, [])
        position = next((i for i, r in enumerate(group) if r.history_id == row.history_id), 0)
        before = group[position - 1] if position > 0 else None
        if before is None or row.history_type != "~":
            shown = ("role_id", "reports_to_id", "is_active", "end_date") if row.history_type == "+" else ()
            change = "; ".join(f"{fields[name]}: {show(row, name)}" for name in shown)
        else:
            change = "; ".join(
                f"{fields[name]}: {show(before, name)} → {show(row, name)}"
                for name, _label in EMPLOYEE_FIELDS
                if getattr(before, name) != getattr(row, name)
            )
        entries.append(
            _audit_entry(
                row,
                names,
                kind=EMPLOYEE,
                subject=f"{row.employee_no} {row.name}",
                change=change or EMPTY,
                employee_no=row.employee_no,
            )
        )
    return entries


def _audit_entry(row, names: _Names, *, action: str | None = None, via: str | None = None, **values) -> Entry:
    """The entry of an audit-trail row (django-simple-history): when, by whom and through what it was
    written; ``action`` is what its history type says (created, changed, deleted) unless given."""
    return Entry(
        at=row.history_date,
        action=str(ACTIONS.get(row.history_type, row.history_type)) if action is None else action,
        by=names.user(row.history_user_id),
        via=(row.history_change_reason or "") if via is None else via,
        **values,
    )


def _metric_source(filters: HistoryFilter) -> Source:
    # Ordered by the row id, which grows with time: the table's primary key serves a page of it.
    rows = MetricValue.history.model.objects.order_by("-history_id")
    return Source(_of_employee_and_period(rows, filters), _metric_entries)


def _metric_entries(rows: list) -> list[Entry]:
    names = _Names.of_rows(rows)
    entries = []
    for row in rows:
        employee_no, period_code = names.employee_and_period(row)
        if row.history_type == "-":
            change = f"{_text(row.value)} → {EMPTY}"
        else:
            change = f"{_text(row.previous_value)} → {_text(row.value)}"
        entries.append(
            _audit_entry(
                row,
                names,
                kind=METRIC,
                subject=f"{employee_no} {period_code} {row.metric_id}",
                change=change,
                employee_no=employee_no,
                period_code=period_code,
            )
        )
    return entries


def _policy_source(filters: HistoryFilter) -> Source | None:
    if filters.employee is not None:
        return None  # a policy is nobody's
    rows = _window(
        PolicyVersion.history.model.objects.order_by("-history_date", "-history_id"), filters, "history_date"
    )
    return Source(rows, _policy_entries)


def _policy_entries(rows: list) -> list[Entry]:
    names = _Names(user_ids=[row.history_user_id for row in rows])
    return [
        _audit_entry(
            row,
            names,
            kind=POLICY,
            subject=f"{row.name} ({row.effective_from:%Y-%m})",
            change=row.history_change_reason or EMPTY,
            via=gettext("HR policy pages"),
        )
        for row in rows
    ]


def _reward_source(filters: HistoryFilter) -> Source:
    rows = _of_employee_and_period(
        RewardSuggestion.history.model.objects.order_by("-history_date", "-history_id"), filters
    )
    return Source(rows, _reward_entries)


def _reward_entries(rows: list) -> list[Entry]:
    names = _Names.of_rows(rows)
    statuses = dict(RewardSuggestion.Status.choices)
    entries = []
    for row in rows:
        employee_no, period_code = names.employee_and_period(row)
        entries.append(
            _audit_entry(
                row,
                names,
                kind=REWARD,
                action=str(statuses.get(row.status, row.status)),
                subject=f"{employee_no} {period_code} {row.code}",
                change=_reward_change(row),
                employee_no=employee_no,
                period_code=period_code,
            )
        )
    return entries


def _reward_change(row) -> str:
    """The amount, and the reason HR gave with a rejection (which the employee sees too)."""
    change = f"{gettext('amount')}: {_text(row.amount)}"
    if row.reason:
        change += f"; {gettext('reason')}: {row.reason}"
    return change


def _dispute_source(filters: HistoryFilter) -> Source:
    rows = DisputeEvent.objects.select_related("dispute__employee", "dispute__period", "actor").order_by("-at", "-id")
    if filters.employee is not None:
        rows = rows.filter(dispute__employee=filters.employee)
    if filters.period is not None:
        rows = rows.filter(dispute__period=filters.period)
    return Source(rows, _dispute_entries)


def _dispute_entries(rows: list) -> list[Entry]:
    entries = []
    for row in rows:
        dispute = row.dispute
        about = dispute.kpi_code or dispute.reward_code or dispute.get_subject_display()
        entries.append(
            Entry(
                at=row.at,
                kind=DISPUTE,
                action=row.get_action_display(),
                subject=f"#{dispute.pk} {dispute.employee.employee_no} {dispute.period.code} {about}",
                change=row.note or EMPTY,
                by=row.actor.get_username() if row.actor else EMPTY,
                via="",
                employee_no=dispute.employee.employee_no,
                period_code=dispute.period.code,
            )
        )
    return entries


def _period_source(filters: HistoryFilter) -> Source | None:
    if filters.employee is not None:
        return None  # a period's close is everyone's
    rows = PeriodEvent.objects.select_related("period", "actor").order_by("-at", "-id")
    if filters.period is not None:
        rows = rows.filter(period=filters.period)
    return Source(rows, _period_entries)


def _period_entries(rows: list) -> list[Entry]:
    return [
        Entry(
            at=row.at,
            kind=PERIOD,
            action=row.get_action_display(),
            subject=row.period.code,
            change=row.reason or EMPTY,
            by=row.actor.get_username() if row.actor else gettext("scheduler"),
            via="",
            period_code=row.period.code,
        )
        for row in rows
    ]


def date_text(value: datetime) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i")
