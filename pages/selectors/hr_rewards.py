"""Reads behind the HR console's rewards list (/hr/rewards/), and the reward labels and
count-and-amount totals the overview and the bonus list show too.

Only closed periods' rewards are listed: a closing period holds partial results."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Sum

from appraisals.models import RewardRule

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
