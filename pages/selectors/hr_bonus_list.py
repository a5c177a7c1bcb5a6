"""Reads behind the HR console's bonus list (/hr/bonus/<year>/): one page of the year's rows, with
the totals per role over every row, the labels of their rewards and approval states.

Totals come from aggregate queries and rows are read for one page only, so a page costs the same
at any headcount (``rewards.selectors`` holds the list itself)."""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from appraisals.models import Period, RewardRule
from appraisals.periods import PeriodRef
from appraisals.selectors import NoPolicyError, policy_version_for
from pages.selectors.hr_rewards import reward_labels
from rewards.models import RewardSuggestion
from rewards.selectors import BonusRow, BonusTotals, bonus_list, bonus_list_people, bonus_list_totals
from roles.models import Role

BONUS_ROWS_PER_PAGE = 100


@dataclass
class BonusLine:
    row: BonusRow
    role: str
    suggestions: list[str] = field(default_factory=list)
    status: str = ""


@dataclass(frozen=True)
class BonusListPage:
    page: Page
    lines: list[BonusLine]
    role_totals: list[BonusTotals]  # per role with anybody on the list, in the roles' order
    overall: BonusTotals


class SizedQuerySet:
    """A queryset whose length is already known, for Django's Paginator (which would count it)."""

    def __init__(self, queryset: QuerySet, *, size: int) -> None:
        self.queryset, self.size = queryset, size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index):
        return self.queryset[index]


def _approval_labels() -> dict[str, str]:
    return {**dict(RewardSuggestion.Status.choices), "mixed": _("mixed")}


def _suggestion_labels(year: int) -> dict[str, str]:
    """Codes of the year's suggestions (and the development flag) -> labels of the year's version."""
    labels = reward_labels()
    try:
        version = policy_version_for(PeriodRef.of_year(year))
    except NoPolicyError:
        return labels
    for rule in RewardRule.objects.filter(policy_version=version).only("code", "label_en", "label_zh"):
        labels[rule.code] = rule.label
    return labels


def bonus_list_paged(*, year: int, approved_only: bool, page_number) -> BonusListPage:
    """One page of the year's bonus list (rows of ``rewards.selectors.bonus_list``) and the totals
    per role and overall over all its rows."""
    roles = {role.code: role for role in Role.objects.all()}
    totals = bonus_list_totals(year=year, approved_only=approved_only)
    role_totals = [
        replace(totals[code], role=role.name) for code, role in roles.items() if code in totals and totals[code].people
    ]
    overall = BonusTotals(role=_("All"))
    for line in totals.values():
        for attribute in ("people", "commission", "quarterly_bonus", "year_end_bonus", "cash_total"):
            setattr(overall, attribute, getattr(overall, attribute) + getattr(line, attribute))
    # The head count is known from the totals: the paginator need not count again.
    people = SizedQuerySet(bonus_list_people(year).values_list("id", flat=True), size=overall.people)
    page = Paginator(people, BONUS_ROWS_PER_PAGE).get_page(page_number)
    rows = bonus_list(year=year, employee_ids=list(page), approved_only=approved_only)
    labels = _suggestion_labels(year)
    statuses = _approval_labels()
    lines = [
        BonusLine(
            row=row,
            role=roles[row.role].name if row.role in roles else row.role,
            suggestions=[labels.get(code, code) for code in row.suggestions],
            status=statuses.get(row.approval_status, row.approval_status),
        )
        for row in rows
    ]
    return BonusListPage(page=page, lines=lines, role_totals=role_totals, overall=overall)


def bonus_list_years(*, shown: int, this_year: int) -> list[int]:
    """The years to pick from, newest first: every year with a period, the one shown and this one."""
    return sorted(set(Period.objects.values_list("year", flat=True).distinct()) | {shown, this_year}, reverse=True)


def closing_period_codes(year: int) -> list[str]:
    """The year's periods being closed right now (the list leaves them out until they are done)."""
    return list(Period.objects.filter(year=year, status=Period.Status.CLOSING).values_list("code", flat=True))
