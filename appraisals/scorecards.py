"""A close's scorecards and their KPI rows: the one writer and the one discard.

The close scores a chunk with the engine and hands its ``ScorecardResult``s here; both tables are
written in one bulk round each (COPY on PostgreSQL, see ``sales_perf.bulk.insert_rows``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from appraisals.engine.results import ScorecardResult
from appraisals.models import KpiScore, Scorecard
from sales_perf.bulk import copy_json, copy_number, copy_text, execute, insert_rows, next_ids

SCORECARD_TABLE_COLUMNS = (
    "id",
    "employee_id",
    "period_id",
    "policy_version_id",
    "role",
    "reports_to",
    "composite",
    "band",
    "missing_kpis",
    "development_kpis",
    "created_at",
)
KPI_SCORE_TABLE_COLUMNS = ("scorecard_id", "code", "weight", "target", "value", "score", "inputs")


def _scorecard_copy_line(row: Sequence) -> str:
    """A row of SCORECARD_TABLE_COLUMNS as a COPY line, formatted by column (see ``insert_rows``)."""
    pk, employee, period, version, role, reports_to, composite, band, missing, development, created = row
    return (
        f"{pk}\t{employee}\t{period}\t{version}\t{copy_text(role)}\t{copy_text(reports_to)}\t"
        f"{copy_number(composite)}\t{copy_text(band)}\t{copy_text(missing)}\t{copy_text(development)}\t{created}\n"
    )


def _kpi_score_copy_line(row: Sequence) -> str:
    """A row of KPI_SCORE_TABLE_COLUMNS as a COPY line, formatted by column (see ``insert_rows``)."""
    scorecard, code, weight, target, value, score, inputs = row
    return (
        f"{scorecard}\t{copy_text(code)}\t{weight}\t{target}\t{copy_number(value)}\t{copy_number(score)}\t"
        f"{copy_json(inputs)}\n"
    )


def scorecards_write(
    *,
    period_id: int,
    version_id: int,
    results: Sequence[ScorecardResult],
    reports_to_nos: Mapping[int, str],
    now: datetime,
) -> int:
    """Insert scored scorecards with their KPI rows (one bulk statement round per table).

    A second write of the same employee and period fails on the unique (employee, period)."""
    ids = next_ids(Scorecard, len(results))
    insert_rows(
        Scorecard,
        SCORECARD_TABLE_COLUMNS,
        [
            (
                pk,
                result.key,
                period_id,
                version_id,
                result.role,
                reports_to_nos.get(result.key, ""),
                result.composite,
                result.band,
                ";".join(result.missing_kpis),
                ";".join(result.development_kpis),
                now,
            )
            for pk, result in zip(ids, results, strict=True)
        ],
        copy_line=_scorecard_copy_line,
    )
    insert_rows(
        KpiScore,
        KPI_SCORE_TABLE_COLUMNS,
        (
            (pk, kpi.code, kpi.weight, kpi.target, kpi.value, kpi.score, dict(kpi.inputs))
            for pk, result in zip(ids, results, strict=True)
            for kpi in result.kpis
        ),
        copy_line=_kpi_score_copy_line,
    )
    return len(results)


def scorecards_discard(*, period_id: int) -> None:
    """Remove a period's scorecards and their KPI rows (two statements whatever the size)."""
    execute(
        "DELETE FROM appraisals_kpiscore WHERE scorecard_id IN "
        "(SELECT id FROM appraisals_scorecard WHERE period_id = %s)",
        [period_id],
    )
    execute("DELETE FROM appraisals_scorecard WHERE period_id = %s", [period_id])
