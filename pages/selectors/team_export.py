"""The team page's download (/team/export/): the table's columns and order over every page of the
filtered scope, read in batches so memory stays flat whatever the unit's size."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

from django.utils.translation import gettext_lazy as _

from pages.selectors.team import (
    SORT_LABELS,
    TeamFilters,
    previous_period_code,
    resolve_sort,
    team_columns,
    team_ordered,
    team_rows,
    team_scorecards,
)

EXPORT_BATCH = 2000


def team_export_table(
    *, user, filters: TeamFilters, sort_key: str | None = None, direction: str | None = None
) -> tuple[list[str], Iterator[list]]:
    """The team download: the table's columns (and order) over every page of the filtered scope.

    The rows are read in batches, each with its KPI scores in one query, so memory stays flat."""
    all_columns = team_columns(filters.period)
    cards = team_scorecards(user=user, filters=filters, threshold=all_columns.threshold)
    present = set(cards.order_by().values_list("role", flat=True).distinct())
    columns = all_columns.for_roles(present)
    sort = resolve_sort(sort_key, direction, columns, filters.view)
    previous_code = previous_period_code(filters.period)
    ordered = team_ordered(cards, columns, sort, previous_code)
    header = [
        str(_("Employee no.")),
        str(SORT_LABELS["name"]),
        str(SORT_LABELS["role"]),
        str(SORT_LABELS["supervisor"]),
        str(_("Completion (%)")),
        str(SORT_LABELS["composite"]),
        str(SORT_LABELS["band"]),
        str(_("Change since %(period)s") % {"period": previous_code}),
        str(_("Composite in %(period)s") % {"period": previous_code}),
        str(_("Band in %(period)s") % {"period": previous_code}),
        str(_("Development plan")),
        *(kpi.heading for kpi in columns.kpis),
    ]

    def rows() -> Iterator[list]:
        for start in itertools.count(0, EXPORT_BATCH):
            batch = list(ordered[start : start + EXPORT_BATCH])
            for row in team_rows(batch, columns):
                yield [
                    row.employee_no,
                    row.name,
                    row.role,
                    row.supervisor,
                    row.completion,
                    row.composite,
                    row.band,
                    row.change,
                    row.previous_composite,
                    row.previous_band,
                    ";".join(row.development),
                    *row.scores,
                ]
            if len(batch) < EXPORT_BATCH:
                return

    return header, rows()
