"""The sentences of a scorecard's KPI lines: the raw figures behind a value
("R1 = 354,000.00 actual ÷ 300,000.00 target over 2026-07…09") and why a KPI is missing, both read
from what the close kept in ``KpiScore.inputs``, in the reader's language."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from appraisals.engine.results import MissingReason
from appraisals.models import KpiDefinition, Metric

# Short words for the raw-input sentence ("R1 = 354,000.00 actual ÷ 300,000.00 target …");
# any other metric reads with its catalogue name.
_SENTENCE_WORDS = {
    "sales_actual": _("actual"),
    "sales_target": _("target"),
    "new_customers": _("new customers"),
    "new_customer_target": _("new-customer target"),
    "customers_retained": _("customers retained"),
    "customers_start": _("customers at month start"),
}


def _number(text: str, metric: Metric | None = None) -> str:
    try:
        amount = Decimal(text)
    except (InvalidOperation, TypeError):
        return text or "—"
    places = 0 if metric is not None and metric.integer_only and amount == amount.to_integral_value() else 2
    return number_format(amount, decimal_pos=places, force_grouping=True)


def _span_text(span: str) -> str:
    """``2026-07..2026-09`` → ``2026-07…09``; ``2025-12..2026-02`` → ``2025-12…2026-02``."""
    first, _sep, last = span.partition("..")
    if not last:
        return first
    if first[:5] == last[:5]:
        return f"{first}…{last[5:]}"
    return f"{first}…{last}"


def _word(metric: Metric | None, code: str) -> str:
    if code in _SENTENCE_WORDS:
        return str(_SENTENCE_WORDS[code])
    return metric.name if metric is not None else code


def kpi_explanation(code: str, definition: KpiDefinition | None, inputs: dict) -> str:
    """The raw figures behind a KPI's value in one sentence, from ``KpiScore.inputs``:
    "R1 = 354,000.00 actual ÷ 300,000.00 target over 2026-07…09"."""
    span = _span_text(inputs.get("months") or inputs.get("quarters") or "")
    formula = definition.formula if definition else ""
    top = definition.numerator_metric if definition else None
    bottom = definition.denominator_metric if definition else None
    F = KpiDefinition.Formula
    if formula in (F.OWN_RATIO, F.UNIT_RATIO) and top and bottom:
        params = {
            "code": code,
            "top": _number(inputs.get(top.code, ""), top),
            "top_name": _word(top, top.code),
            "bottom": _number(inputs.get(bottom.code, ""), bottom),
            "bottom_name": _word(bottom, bottom.code),
            "span": span,
        }
        if formula == F.UNIT_RATIO:
            sentence = gettext("%(code)s = %(top)s %(top_name)s ÷ %(bottom)s %(bottom_name)s over %(span)s, whole unit")
        else:
            sentence = gettext("%(code)s = %(top)s %(top_name)s ÷ %(bottom)s %(bottom_name)s over %(span)s")
        return sentence % params
    if formula == F.OWN_MEAN and top:
        count = inputs.get(f"{top.code}_count", "0")
        sentence = ngettext(
            "%(code)s = %(total)s %(metric)s ÷ %(count)s value over %(span)s",
            "%(code)s = %(total)s %(metric)s ÷ %(count)s values over %(span)s",
            int(count) if count.isdigit() else 0,
        )
        return sentence % {
            "code": code,
            "total": _number(inputs.get(f"{top.code}_total", "")),
            "metric": top.name,
            "count": count,
            "span": span,
        }
    if formula == F.TEAM_MEAN_COMPOSITE:
        count = inputs.get("team_scorecards", "0")
        sentence = ngettext(
            "%(code)s = %(total)s composite ÷ %(count)s team scorecard over %(span)s",
            "%(code)s = %(total)s composite ÷ %(count)s team scorecards over %(span)s",
            int(count) if count.isdigit() else 0,
        )
        return sentence % {
            "code": code,
            "total": _number(inputs.get("composites_total", "")),
            "count": count,
            "span": span,
        }
    if formula == F.TEAM_TARGET_HIT_SHARE:
        return gettext("%(code)s = %(hits)s of %(pairs)s team-months on target over %(span)s") % {
            "code": code,
            "hits": inputs.get("hits", "0"),
            "pairs": inputs.get("pairs", "0"),
            "span": span,
        }
    if formula == F.OWN_DELTA and top:
        points = sorted((key.partition("@")[2], text) for key, text in inputs.items() if "@" in key)
        if len(points) == 2:
            (baseline_quarter, baseline), (last_quarter, last) = points
            sentence = gettext(
                "%(code)s = %(metric)s %(last)s at %(last_quarter)s − %(baseline)s at %(baseline_quarter)s"
            )
            return sentence % {
                "code": code,
                "metric": top.name,
                "last": _number(last, top),
                "last_quarter": last_quarter,
                "baseline": _number(baseline, top),
                "baseline_quarter": baseline_quarter,
            }
    figures = ", ".join(f"{key} = {text}" for key, text in sorted(inputs.items()) if not key.startswith("reason"))
    return f"{code}: {figures}" if figures else code


_MISSING_REASONS = {
    MissingReason.NO_VALUES: _("no %(metric)s recorded"),
    MissingReason.ZERO_TOTAL: _("%(metric)s total is 0"),
    MissingReason.NO_POINT: _("no %(metric)s at %(quarter)s"),
    MissingReason.NO_TEAM_SCORECARDS: _("no team member has a scorecard"),
    MissingReason.NO_SUBTEAM_TARGETS: _("no team with its own team had a target"),
    MissingReason.TARGET_NOT_POSITIVE: _("the KPI target is not positive"),
}


def missing_reason_text(inputs: dict, metric_names: dict[str, str]) -> str:
    """Why a KPI is missing, in the reader's language, from the reason code the engine kept."""
    try:
        message = _MISSING_REASONS[MissingReason(inputs.get("reason", ""))]
    except ValueError:
        return ""
    metric = inputs.get("reason_metric", "")
    return str(message) % {"metric": metric_names.get(metric, metric), "quarter": inputs.get("reason_quarter", "")}


def kpi_missing_reason(inputs: dict, definition: KpiDefinition | None) -> str:
    """Why a missing KPI of ``definition`` is missing, its metrics named as the catalogue names them."""
    names = {}
    if definition is not None:
        for metric in (definition.numerator_metric, definition.denominator_metric):
            if metric is not None:
                names[metric.code] = metric.name
    return missing_reason_text(inputs, names)
