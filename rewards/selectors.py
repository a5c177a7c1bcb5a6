"""The annual bonus list of POLICY.md §7: one row per employee with any scorecard or reward in a year."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, OuterRef, QuerySet, Sum

from appraisals.models import Period, RewardRule, Scorecard
from appraisals.periods import PeriodRef
from appraisals.selectors import NoPolicyError, policy_version_for
from rewards.models import RewardSuggestion
from roles.models import Employee

BONUS_LIST_COLUMNS = [
    "employee_no",
    "name",
    "role",
    "reports_to",
    "annual_composite",
    "annual_band",
    "commission_total",
    "quarterly_bonus_total",
    "year_end_bonus",
    "cash_total",
    "suggestions",
    "approval_status",
]
ZERO = Decimal("0.00")
DEVELOPMENT_PLAN = "development_plan"
# Which cash reward code fills which column; every cash reward adds to cash_total.
CASH_COLUMNS = {
    "commission": "commission_total",
    "quarterly_bonus": "quarterly_bonus_total",
    "year_end_bonus": "year_end_bonus",
}


@dataclass
class BonusRow:
    employee_id: int
    employee_no: str
    name: str
    role: str
    reports_to: str
    annual_composite: Decimal | None = None
    annual_band: str = ""
    totals: dict[str, Decimal] = field(default_factory=lambda: defaultdict(lambda: ZERO))
    cash_total: Decimal = ZERO
    suggestions: list[str] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)

    @property
    def approval_status(self) -> str:
        if not self.statuses:
            return ""
        if len(self.statuses) == 1:
            return next(iter(self.statuses))
        return "mixed"

    def as_export_row(self) -> list:
        return [
            self.employee_no,
            self.name,
            self.role,
            self.reports_to,
            self.annual_composite,
            self.annual_band,
            self.totals["commission_total"],
            self.totals["quarterly_bonus_total"],
            self.totals["year_end_bonus"],
            self.cash_total,
            ";".join(self.suggestions),
            self.approval_status,
        ]


def _suggestion_order(year: int) -> list[str]:
    """Non-cash reward codes in the order of the policy's reward table, then the development flag."""
    try:
        version = policy_version_for(PeriodRef.of_year(year))
    except NoPolicyError:
        return [DEVELOPMENT_PLAN]
    codes = list(
        RewardRule.objects.filter(policy_version=version, is_cash=False).order_by("order").values_list("code", "kind")
    )
    order = [code for code, kind in codes if kind != RewardRule.Kind.DEVELOPMENT_FLAG]
    return [*order, DEVELOPMENT_PLAN]


def bonus_list_is_provisional(year: int) -> bool:
    """Whether the year is not closed yet, so its list can still change (1 query)."""
    return not Period.objects.filter(year=year, kind="year", status=Period.Status.CLOSED).exists()


@dataclass
class BonusTotals:
    """Money of the bonus list summed over a group of its rows (a role, or everyone)."""

    role: str = ""
    people: int = 0
    commission: Decimal = ZERO
    quarterly_bonus: Decimal = ZERO
    year_end_bonus: Decimal = ZERO
    cash_total: Decimal = ZERO


def _counted_rewards(rewards: QuerySet, *, approved_only: bool) -> QuerySet:
    """The cash rewards a bonus list adds up: not rejected, or with ``approved_only`` approved."""
    rewards = rewards.filter(amount__isnull=False)
    if approved_only:
        return rewards.filter(status=RewardSuggestion.Status.APPROVED)
    return rewards.exclude(status=RewardSuggestion.Status.REJECTED)


def _closed_periods(year: int) -> QuerySet:
    """The year's closed periods (months, quarters, the year): a period being closed holds partial
    results and an open one none, so the bonus list reads only these."""
    return Period.objects.filter(year=year, status=Period.Status.CLOSED)


def bonus_list_people(year: int) -> QuerySet:
    """The employees on the year's bonus list (a scorecard or a reward in a closed period of the
    year), ordered by employee_no like the list: a page of it is a page of the list."""
    periods = _closed_periods(year)
    cards = Scorecard.objects.filter(employee_id=OuterRef("pk"), period__in=periods)
    rewards = RewardSuggestion.objects.filter(employee_id=OuterRef("pk"), period__in=periods)
    return Employee.objects.filter(Exists(cards) | Exists(rewards)).order_by("employee_no")


def bonus_list_totals(*, year: int, approved_only: bool = False) -> dict[str, BonusTotals]:
    """The bonus list's money and headcount per role code, as the sum of its rows would give, in two
    aggregate queries whatever the headcount (the HR page shows them above one page of rows)."""
    totals: dict[str, BonusTotals] = defaultdict(BonusTotals)
    periods = _closed_periods(year)
    # Counted over the ids of the year's scorecards and rewards (one hashed set), which PostgreSQL
    # does several times faster than the per-person EXISTS that pages the list.
    on_the_list = (
        Scorecard.objects.filter(period__in=periods)
        .values("employee_id")
        .union(RewardSuggestion.objects.filter(period__in=periods).values("employee_id"))
    )
    people = Employee.objects.filter(id__in=on_the_list).order_by().values_list("role__code")
    for role, n in people.annotate(n=Count("*")):
        totals[role].people = n
    counted = _counted_rewards(RewardSuggestion.objects.filter(period__in=periods), approved_only=approved_only)
    for role, code, total in counted.values_list("employee__role__code", "code").annotate(total=Sum("amount")):
        line = totals[role]
        column = CASH_COLUMNS.get(code)
        if column:
            attribute = column.removesuffix("_total")
            setattr(line, attribute, getattr(line, attribute) + total)
        line.cash_total += total
    return dict(totals)


def bonus_list(*, year: int, employee_ids: Iterable[int] | None = None, approved_only: bool = False) -> list[BonusRow]:
    """The bonus list rows ordered by employee_no; ``employee_ids`` limits it to a viewer's scope.

    Totals add every non-rejected cash reward of the year's periods (months, quarters, the
    year), or with ``approved_only`` only the approved ones; a rejected reward is not paid, but
    still shows in approval_status."""
    periods = _closed_periods(year)
    cards = Scorecard.objects.filter(period__in=periods)
    rewards = RewardSuggestion.objects.filter(period__in=periods)
    if employee_ids is not None:
        employee_ids = list(employee_ids)
        cards = cards.filter(employee_id__in=employee_ids)
        rewards = rewards.filter(employee_id__in=employee_ids)

    involved: set[int] = set(cards.values_list("employee_id", flat=True).distinct())
    reward_rows = list(rewards.values("employee_id", "code", "status").annotate(total=Sum("amount"), n=Count("id")))
    involved.update(row["employee_id"] for row in reward_rows)
    rows: dict[int, BonusRow] = {}
    for pk, employee_no, name, role, boss in Employee.objects.filter(id__in=involved).values_list(
        "id", "employee_no", "name", "role__code", "reports_to__employee_no"
    ):
        rows[pk] = BonusRow(employee_id=pk, employee_no=employee_no, name=name, role=role, reports_to=boss or "")

    for employee_id, composite, band in cards.filter(period__kind="year").values_list(
        "employee_id", "composite", "band"
    ):
        rows[employee_id].annual_composite = composite
        rows[employee_id].annual_band = band

    flags: dict[int, set[str]] = defaultdict(set)
    for row in reward_rows:
        bonus = rows[row["employee_id"]]
        bonus.statuses.add(row["status"])
        flags[row["employee_id"]].add(row["code"])
        counted = RewardSuggestion.Status.APPROVED if approved_only else row["status"]
        if row["total"] is not None and row["status"] != RewardSuggestion.Status.REJECTED and row["status"] == counted:
            column = CASH_COLUMNS.get(row["code"])
            if column:
                bonus.totals[column] += row["total"]
            bonus.cash_total += row["total"]
    for employee_id in cards.exclude(development_kpis="").values_list("employee_id", flat=True).distinct():
        flags[employee_id].add(DEVELOPMENT_PLAN)

    order = _suggestion_order(year)
    for employee_id, codes in flags.items():
        rows[employee_id].suggestions = [code for code in order if code in codes]
    return sorted(rows.values(), key=lambda row: row.employee_no)
