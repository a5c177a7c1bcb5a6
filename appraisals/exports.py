"""The scorecard export of POLICY.md §7."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator

from appraisals.models import KpiScore, Period, Scorecard
from appraisals.selectors import policy_version_for

SCORECARD_COLUMNS = ["employee_no", "name", "role", "period", "composite", "band", "missing_kpis"]


class ExportRefused(Exception):
    pass


def scorecard_export(*, period: Period, employee_ids=None) -> tuple[list[str], Iterator[list]]:
    """Header and rows of a period's scorecards; ``employee_ids`` limits it to a viewer's scope."""
    if not period.is_closed:
        raise ExportRefused(f"{period.code} is not closed: there are no scorecards to export yet")
    cards = Scorecard.objects.filter(period=period)
    scores = KpiScore.objects.filter(scorecard__period=period)
    if employee_ids is not None:
        cards = cards.filter(employee_id__in=employee_ids)
        scores = scores.filter(scorecard__employee_id__in=employee_ids)
    kpi_scores: dict[int, dict[str, object]] = defaultdict(dict)
    present_codes = set()
    for scorecard_id, code, score in scores.values_list("scorecard_id", "code", "score").iterator(20000):
        kpi_scores[scorecard_id][code] = score
        present_codes.add(code)
    version = policy_version_for(period)
    policy_order = list(version.kpis.order_by("order", "id").values_list("code", flat=True))
    codes = [c for c in policy_order if c in present_codes] + sorted(present_codes - set(policy_order))
    header = SCORECARD_COLUMNS + codes

    def rows() -> Iterator[list]:
        for pk, employee_no, name, role, composite, band, missing in (
            cards.order_by("employee__employee_no")
            .values_list("id", "employee__employee_no", "employee__name", "role", "composite", "band", "missing_kpis")
            .iterator(20000)
        ):
            scores_of = kpi_scores.get(pk, {})
            yield [employee_no, name, role, period.code, composite, band, missing] + [scores_of.get(c) for c in codes]

    return header, rows()
