"""Reads behind the HR console's rewards list (/hr/rewards/), and the reward labels and
count-and-amount totals the overview and the bonus list show too.

Only closed periods' rewards are listed: a closing period holds partial results."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, QuerySet, Sum
from django.shortcuts import get_object_or_404

from appraisals.models import Period, RewardRule
from rewards.models import PayrollLine, RewardSuggestion

# How many rewards and how much money, per group of a values() query. Count("*"), not the id: the
# (period, code, status) index covers the amount, so these totals never read the table.
REWARD_COUNTS = {"n": Count("*"), "total": Sum("amount")}


def reward_labels() -> dict[str, str]:
    """Reward code -> label in the active language, the newest version's wording winning (1 query).
    The development flag is not a reward (it lives on the scorecard) and is left out."""
    labels: dict[str, str] = {}
    rules = (
        RewardRule.objects.exclude(kind=RewardRule.Kind.DEVELOPMENT_FLAG)
        .only("code", "label_en", "label_zh")
        .order_by("policy_version__effective_from", "order")
    )
    for rule in rules:
        labels[rule.code] = rule.label
    return labels


def totals_by_code(rows: Iterable[dict], labels: dict[str, str]) -> list[dict]:
    """Rows of code, n and total in the order of the reward table, each with its label."""
    rows = {row["code"]: row for row in rows}
    order = [code for code in labels if code in rows] + sorted(code for code in rows if code not in labels)
    return [
        {"code": code, "label": labels.get(code, code), "n": rows[code]["n"], "total": rows[code]["total"]}
        for code in order
    ]


def closed_period_codes() -> list[str]:
    """The codes of the closed periods, newest first: the periods the list can be filtered by."""
    return list(
        Period.objects.filter(status=Period.Status.CLOSED).order_by("-end", "start").values_list("code", flat=True)
    )


def get_suggestion_for_hr(pk: int) -> RewardSuggestion:
    """A reward of a closed period, or 404 (others hold no final results and are never shown)."""
    return get_object_or_404(RewardSuggestion, pk=pk, period__status=Period.Status.CLOSED)


def rewards_of_closed_periods(*, period: str = "", code: str = "", status: str = "") -> RewardsByPeriod:
    """The rewards of closed periods, of one period, reward or status when given, as the list pages
    them (2 queries now, then a page's)."""
    listed = RewardSuggestion.objects.filter(period__status=Period.Status.CLOSED)
    if period:
        listed = listed.filter(period__code=period)
    if code:
        listed = listed.filter(code=code)
    if status:
        listed = listed.filter(status=status)
    return RewardsByPeriod(listed)


class RewardsByPeriod:
    """The filtered rewards of closed periods as the list shows them (newest period first, then by
    employee number and reward), for Django's Paginator: ``len()`` and slices.

    One aggregate per (period, reward kind) gives the page count and the totals; a page then reads
    only the periods it spans, each in employee-number order straight from the indexes, so a page
    costs the same whether the periods hold a hundred rewards or a million."""

    def __init__(self, suggestions: QuerySet) -> None:
        self.suggestions = suggestions
        rows = list(suggestions.order_by().values("period_id", "code").annotate(**REWARD_COUNTS))
        self._by_code = rows
        sizes: dict[int, int] = {}
        for row in rows:
            sizes[row["period_id"]] = sizes.get(row["period_id"], 0) + row["n"]
        order = Period.objects.filter(pk__in=sizes).order_by("-end", "start", "pk").values_list("pk", flat=True)
        self._periods = [(pk, sizes[pk]) for pk in order]

    def counts_by_code(self) -> list[dict]:
        """Count and amount per reward kind over every period (from the same aggregate)."""
        merged: dict[str, dict] = {}
        for row in self._by_code:
            entry = merged.setdefault(row["code"], {"code": row["code"], "n": 0, "total": None})
            entry["n"] += row["n"]
            if row["total"] is not None:
                entry["total"] = (entry["total"] or Decimal("0")) + row["total"]
        return list(merged.values())

    def __len__(self) -> int:
        return sum(size for _pk, size in self._periods)

    def __getitem__(self, index):
        if not isinstance(index, slice):
            return self[index : index + 1][0]
        start, stop = index.start or 0, index.stop if index.stop is not None else len(self)
        found: list[RewardSuggestion] = []
        offset = 0
        for period_id, size in self._periods:
            if offset + size > start and offset < stop:
                first = max(start - offset, 0)
                last = min(stop - offset, size)
                found += list(
                    self.suggestions.filter(period_id=period_id)
                    .select_related("employee", "period", "decided_by")
                    .order_by("employee__employee_no", "code")[first:last]
                )
            offset += size
            if offset >= stop:
                break
        return found


@dataclass(frozen=True)
class RewardRow:
    suggestion: RewardSuggestion
    label: str
    difference: str  # the recomputed amount minus the amount, signed; empty when none
    accepted: dict | None  # the last "recomputed amount accepted" entry of its history
    paid_run: int | None  # the payroll run that paid it


def reward_rows(suggestions: list[RewardSuggestion]) -> list[RewardRow]:
    """Each row with its label from the reward rule of the version that made it, and the run that paid
    it (2 queries)."""
    versions = {s.policy_version_id for s in suggestions}
    rules = RewardRule.objects.filter(policy_version_id__in=versions).only(
        "policy_version_id", "code", "label_en", "label_zh"
    )
    labels = {(rule.policy_version_id, rule.code): rule.label for rule in rules} if versions else {}
    paid = dict(
        PayrollLine.objects.filter(reward__in=suggestions, kind=PayrollLine.Kind.PAYMENT).values_list(
            "reward_id", "run_id"
        )
    )
    rows = []
    for s in suggestions:
        difference = s.difference
        history = [entry for entry in (s.details or {}).get("history", []) if entry.get("action")]
        rows.append(
            RewardRow(
                suggestion=s,
                label=labels.get((s.policy_version_id, s.code), s.code),
                difference="" if difference is None else f"{difference:+,.2f}",
                accepted=history[-1] if history else None,
                paid_run=paid.get(s.pk),
            )
        )
    return rows
