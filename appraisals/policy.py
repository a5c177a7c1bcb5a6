"""Policy versions (POLICY.md: HR changes every figure as data, never a closed period).

- ``policy_version_copy`` makes a new version from an existing one with edited figures;
  ``policy_version_update`` and ``policy_version_delete`` work on a version nothing used yet.
- A version that scored anything is locked: its figures are what those results were made with.
- A new version starts on the first day of a month and never on or before a closed period's
  start, so it cannot change what a closed period would have been scored with.
- ``policy_preview`` scores a closed period with candidate figures in memory, with the same
  engine and inputs as the close, and compares the result with the stored scorecards.
  Nothing is written.
"""

from __future__ import annotations

import itertools
import operator
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import reduce

from django.db import IntegrityError, transaction
from django.db.models import PROTECT, Exists, Model, OuterRef
from django.utils import timezone
from django.utils.translation import gettext

from appraisals.engine.policy import BandDef, PolicyRules, TierSpec
from appraisals.models import (
    BandDefinition,
    BandMultiplier,
    CommissionTier,
    KpiDefinition,
    Period,
    PolicyVersion,
    RewardRule,
    Scorecard,
)
from appraisals.periods import MONTH
from appraisals.selectors import engine_policy, period_result_in_memory, scored_employees
from roles.models import Role

# Periods whose results exist or are being written: a new version must not reach back to them.
FROZEN_STATUSES = (Period.Status.CLOSED, Period.Status.CLOSING)


class PolicyRefused(Exception):
    """A policy change that must not happen; the message says why in one line."""


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class KpiFigures:
    weight: Decimal
    target: Decimal


@dataclass(frozen=True)
class RuleFigures:
    """The editable figures of one reward rule; ``None`` keeps the source's value."""

    default_base: Decimal | None = None
    multipliers: Mapping[str, Decimal] | None = None
    tiers: tuple[tuple[Decimal | None, Decimal], ...] | None = None  # (up_to_multiple, rate)
    flat_rate: Decimal | None = None
    threshold: Decimal | None = None
    window_months: int | None = None
    bands: str | None = None  # eligible band letters, e.g. "AB"


@dataclass(frozen=True)
class PolicyFigures:
    """Edited figures keyed by KPI code, band letter and reward code; what is absent is copied as it is."""

    kpis: Mapping[str, KpiFigures] = field(default_factory=dict)
    bands: Mapping[str, Decimal] = field(default_factory=dict)
    rules: Mapping[str, RuleFigures] = field(default_factory=dict)
    dispute_window_days: int | None = None


def band_order_problems(minimums: Mapping[str, Decimal]) -> list[str]:
    """Band minimums must fall strictly from A to E (in letter order)."""
    letters = sorted(minimums)
    return [
        gettext("the minimum of band %(lower)s (%(lower_min)s) must be below that of band %(higher)s (%(higher_min)s)")
        % {"lower": lower, "lower_min": minimums[lower], "higher": higher, "higher_min": minimums[higher]}
        for higher, lower in itertools.pairwise(letters)
        if minimums[lower] >= minimums[higher]
    ]


# --------------------------------------------------------------------------- reads


@dataclass(frozen=True)
class VersionRow:
    version: PolicyVersion
    in_use: bool
    until: date | None  # the day before the next version starts; None while it is the latest


def _made_with(version) -> list[Exists]:
    """One EXISTS per table that keeps the policy version its rows were computed with (scorecards,
    reward suggestions, …): those point to the version with a protected foreign key."""
    return [
        Exists(relation.related_model._base_manager.filter(**{relation.field.name: version}))
        for relation in PolicyVersion._meta.related_objects
        if relation.on_delete is PROTECT
    ]


def policy_versions() -> list[VersionRow]:
    """Every version, newest first, with whether it is locked and the last day it applies to (1 query)."""
    in_use = reduce(operator.or_, _made_with(OuterRef("pk")))
    versions = list(
        PolicyVersion.objects.select_related("created_by").annotate(in_use=in_use).order_by("-effective_from")
    )
    rows = []
    next_start = None
    for version in versions:
        until = None if next_start is None else _day_before(next_start)
        rows.append(VersionRow(version, version.in_use, until))
        next_start = version.effective_from
    return rows


def policy_version_in_use(version: PolicyVersion) -> bool:
    """A version that scored anything (or made a reward) is locked."""
    return PolicyVersion.objects.filter(pk=version.pk).filter(reduce(operator.or_, _made_with(OuterRef("pk")))).exists()


def effective_from_problems(effective_from: date, *, exclude: PolicyVersion | None = None) -> list[str]:
    """Why a version may not start on ``effective_from`` (empty when it may)."""
    problems = []
    if effective_from.day != 1:
        problems.append(gettext("a version starts on the first day of a month"))
    frozen = frozen_period_from(effective_from)
    if frozen:
        problems.append(
            gettext(
                "%(code)s is already closed and starts on or after %(month)s: "
                "a new version must start after the last closed period"
            )
            % {"code": frozen, "month": f"{effective_from:%Y-%m}"}
        )
    clash = PolicyVersion.objects.filter(effective_from=effective_from)
    if exclude is not None:
        clash = clash.exclude(pk=exclude.pk)
    if clash.exists():
        problems.append(_starts_clash(effective_from))
    return problems


def _starts_clash(effective_from: date) -> str:
    return gettext("another version already starts in %(month)s") % {"month": f"{effective_from:%Y-%m}"}


def frozen_period_from(start: date) -> str | None:
    """The code of the latest closed (or closing) period starting on or after ``start``, if any."""
    return (
        Period.objects.filter(status__in=FROZEN_STATUSES, start__gte=start)
        .order_by("-start", "end")
        .values_list("code", flat=True)
        .first()
    )


def first_free_month() -> date:
    """The suggested start of a new version: the month after the latest closed (or closing) period."""
    last = Period.objects.filter(status__in=FROZEN_STATUSES).order_by("-end").values_list("end", flat=True).first()
    if last is None:
        return timezone.localdate().replace(day=1)
    return _next_month(last.replace(day=1))


def preview_periods() -> list[Period]:
    """Closed periods a preview can score, latest first."""
    return list(Period.objects.filter(status=Period.Status.CLOSED).order_by("-end", "start"))


def default_preview_period(periods: list[Period]) -> Period | None:
    """The latest closed month, else the latest closed period of any kind."""
    return next((p for p in periods if p.kind == MONTH), periods[0] if periods else None)


# --------------------------------------------------------------------------- writes


def policy_version_copy(
    *,
    source: PolicyVersion,
    name: str,
    effective_from: date,
    figures: PolicyFigures | None = None,
    notes: str = "",
    user=None,
) -> PolicyVersion:
    """A new version with every KPI, band and reward rule of ``source`` and the edited figures."""
    figures = figures or PolicyFigures()
    with transaction.atomic():
        snapshot = _Snapshot.load(source)
        _check(snapshot, figures, effective_from, exclude=None)
        version = PolicyVersion(
            name=name,
            effective_from=effective_from,
            score_min=source.score_min,
            score_max=source.score_max,
            dispute_window_days=_keep(figures.dispute_window_days, source.dispute_window_days),
            notes=notes
            or gettext("Copy of %(name)s (%(month)s)")
            % {"name": source.name, "month": f"{source.effective_from:%Y-%m}"},
            created_by=user,
        )
        # The audit trail: where the copy came from and which figures differ.
        changes = figures_changes(snapshot, figures)
        if version.dispute_window_days != source.dispute_window_days:
            window = f"dispute window days: {source.dispute_window_days} → {version.dispute_window_days}"
            changes = "; ".join(filter(None, [changes, window]))
        version._change_reason = f"copy of {source}" + (f"; {changes}" if changes else "")
        if user is not None:
            version._history_user = user
        try:
            with transaction.atomic():
                version.save()
        except IntegrityError:
            raise PolicyRefused(_starts_clash(effective_from)) from None
        _write_figures(version, snapshot, figures)
    return version


def policy_version_update(
    *, version: PolicyVersion, name: str, effective_from: date, figures: PolicyFigures | None = None, user=None
) -> PolicyVersion:
    """Change the figures of a version nothing used yet (a locked one is refused)."""
    figures = figures or PolicyFigures()
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if policy_version_in_use(version):
            raise PolicyRefused(
                gettext("%(version)s is in use: its figures are locked; edit a copy instead") % {"version": version}
            )
        # A closed (or closing) period after its current start may be scored with it: leave it be.
        if frozen_period_from(version.effective_from):
            raise PolicyRefused(
                gettext("%(version)s applies to a closed period; edit a copy instead") % {"version": version}
            )
        snapshot = _Snapshot.load(version)
        _check(snapshot, figures, effective_from, exclude=version)
        moves = [
            f"{label}: {old} → {new}"
            for label, old, new in (
                ("name", version.name, name),
                ("effective from", f"{version.effective_from:%Y-%m}", f"{effective_from:%Y-%m}"),
                (
                    "dispute window days",
                    version.dispute_window_days,
                    _keep(figures.dispute_window_days, version.dispute_window_days),
                ),
            )
            if old != new
        ]
        version.name = name
        version.effective_from = effective_from
        version.dispute_window_days = _keep(figures.dispute_window_days, version.dispute_window_days)
        # The audit trail: what changed, figure by figure.
        version._change_reason = "; ".join([*moves, figures_changes(snapshot, figures)]).strip("; ") or "saved"
        if user is not None:
            version._history_user = user
        try:
            with transaction.atomic():
                version.save(update_fields=["name", "effective_from", "dispute_window_days"])
        except IntegrityError:
            raise PolicyRefused(_starts_clash(effective_from)) from None
        # Rewritten rather than updated row by row: swapping two band minimums would trip
        # the unique constraint half-way through.
        KpiDefinition.objects.filter(policy_version=version).delete()
        BandDefinition.objects.filter(policy_version=version).delete()
        RewardRule.objects.filter(policy_version=version).delete()
        _write_figures(version, snapshot, figures)
    return version


def policy_version_delete(*, version: PolicyVersion, user=None) -> None:
    """Delete a version nothing used; the earliest version is the fallback of every period and stays."""
    with transaction.atomic():
        version = PolicyVersion.objects.select_for_update().get(pk=version.pk)
        if policy_version_in_use(version):
            raise PolicyRefused(gettext("%(version)s is in use and cannot be deleted") % {"version": version})
        if not PolicyVersion.objects.filter(effective_from__lt=version.effective_from).exists():
            raise PolicyRefused(
                gettext("%(version)s is the earliest version and cannot be deleted") % {"version": version}
            )
        version._change_reason = "deleted"
        if user is not None:
            version._history_user = user
        version.delete()


def _check(snapshot: _Snapshot, figures: PolicyFigures, effective_from: date, *, exclude) -> None:
    problems = effective_from_problems(effective_from, exclude=exclude)
    minimums = {band.letter: figures.bands.get(band.letter, band.min_composite) for band in snapshot.bands}
    problems += band_order_problems(minimums)
    unknown = (
        set(figures.kpis) - {kpi.code for kpi in snapshot.kpis},
        set(figures.bands) - set(minimums),
        set(figures.rules) - {rule.code for rule, _m, _t in snapshot.rules},
    )
    problems += [gettext("unknown code %(code)s") % {"code": code} for codes in unknown for code in sorted(codes)]
    if problems:
        raise PolicyRefused("; ".join(problems))


@dataclass
class _Snapshot:
    """A version's figures held in memory (3 queries), to copy from."""

    kpis: list[KpiDefinition]
    bands: list[BandDefinition]
    rules: list[tuple[RewardRule, list[BandMultiplier], list[CommissionTier]]]

    @classmethod
    def load(cls, version: PolicyVersion) -> _Snapshot:
        rules = RewardRule.objects.filter(policy_version=version).prefetch_related("multipliers", "tiers")
        return cls(
            kpis=list(KpiDefinition.objects.filter(policy_version=version).order_by("id")),
            bands=list(BandDefinition.objects.filter(policy_version=version).order_by("-min_composite")),
            rules=[(rule, list(rule.multipliers.all()), list(rule.tiers.all())) for rule in rules.order_by("order")],
        )


def _write_figures(version: PolicyVersion, snapshot: _Snapshot, figures: PolicyFigures) -> None:
    kpis = []
    for kpi in snapshot.kpis:
        edited = figures.kpis.get(kpi.code)
        kpis.append(
            KpiDefinition(
                **_copied(
                    kpi,
                    policy_version=version,
                    target=edited.target if edited else kpi.target,
                    weight=edited.weight if edited else kpi.weight,
                )
            )
        )
    KpiDefinition.objects.bulk_create(kpis)
    BandDefinition.objects.bulk_create(
        [
            BandDefinition(
                **_copied(
                    band, policy_version=version, min_composite=figures.bands.get(band.letter, band.min_composite)
                )
            )
            for band in snapshot.bands
        ]
    )
    multipliers: list[BandMultiplier] = []
    tiers: list[CommissionTier] = []
    for rule, rule_multipliers, rule_tiers in snapshot.rules:
        edited = figures.rules.get(rule.code) or RuleFigures()
        copy = RewardRule.objects.create(
            **_copied(
                rule,
                policy_version=version,
                bands=_keep(edited.bands, rule.bands),
                default_base=_keep(edited.default_base, rule.default_base),
                window_months=_keep(edited.window_months, rule.window_months),
                threshold=_keep(edited.threshold, rule.threshold),
                flat_rate=_keep(edited.flat_rate, rule.flat_rate),
            )
        )
        band_multipliers = (
            edited.multipliers if edited.multipliers is not None else {m.band: m.multiplier for m in rule_multipliers}
        )
        multipliers += [
            BandMultiplier(rule=copy, band=band, multiplier=value) for band, value in band_multipliers.items()
        ]
        rule_tier_figures = (
            edited.tiers if edited.tiers is not None else [(t.up_to_multiple, t.rate) for t in rule_tiers]
        )
        tiers += [CommissionTier(rule=copy, up_to_multiple=up_to, rate=rate) for up_to, rate in rule_tier_figures]
    BandMultiplier.objects.bulk_create(multipliers)
    CommissionTier.objects.bulk_create(tiers)


def _copied(row: Model, **changes) -> dict:
    """The field values of ``row`` (all but its id) to make a copy of it from, ``changes`` replacing some."""
    meta = type(row)._meta
    replaced = {meta.get_field(name).attname for name in changes}
    values = {f.attname: getattr(row, f.attname) for f in meta.concrete_fields if not f.primary_key}
    return {**{name: value for name, value in values.items() if name not in replaced}, **changes}


def _keep(edited, original):
    return original if edited is None else edited


def _figure(value) -> str:
    if value is None:
        return "—"
    if isinstance(value, Decimal):
        return format(value.normalize(), "f")
    return str(value)


def figures_changes(snapshot: _Snapshot, figures: PolicyFigures) -> str:
    """The figures ``figures`` changes in ``snapshot``, one "what: old → new" each, for the audit trail."""
    changes: list[str] = []

    def compare(label: str, old, new) -> None:
        if new is not None and new != old:
            changes.append(f"{label}: {_figure(old)} → {_figure(new)}")

    for kpi in snapshot.kpis:
        edited = figures.kpis.get(kpi.code)
        if edited is not None:
            compare(f"{kpi.code} weight", kpi.weight, edited.weight)
            compare(f"{kpi.code} target", kpi.target, edited.target)
    for band in snapshot.bands:
        compare(f"band {band.letter} minimum", band.min_composite, figures.bands.get(band.letter))
    for rule, multipliers, tiers in snapshot.rules:
        edited = figures.rules.get(rule.code)
        if edited is None:
            continue
        for name in ("default_base", "flat_rate", "threshold", "window_months", "bands"):
            compare(f"{rule.code} {name.replace('_', ' ')}", getattr(rule, name), getattr(edited, name))
        if edited.multipliers is not None:
            old = {m.band: m.multiplier for m in multipliers}
            for band in sorted(set(old) | set(edited.multipliers)):
                compare(f"{rule.code} multiplier {band}", old.get(band), edited.multipliers.get(band))
        if edited.tiers is not None:
            old_tiers = [(t.up_to_multiple, t.rate) for t in tiers]
            if list(edited.tiers) != old_tiers:
                text = ", ".join(f"{_figure(up)}:{_figure(rate)}" for up, rate in edited.tiers)
                changes.append(f"{rule.code} tiers → {text}")
    return "; ".join(changes)


# --------------------------------------------------------------------------- engine policy


def engine_policy_with(policy: PolicyRules, figures: PolicyFigures) -> PolicyRules:
    """The engine's policy with the edited figures applied, in memory."""
    kpis = tuple(
        replace(kpi, weight=figures.kpis[kpi.code].weight, target=figures.kpis[kpi.code].target)
        if kpi.code in figures.kpis
        else kpi
        for kpi in policy.kpis
    )
    bands = tuple(BandDef(band.letter, figures.bands.get(band.letter, band.min_composite)) for band in policy.bands)
    rules = []
    for rule in policy.reward_rules:
        edited = figures.rules.get(rule.code)
        if edited is None:
            rules.append(rule)
            continue
        rules.append(
            replace(
                rule,
                bands=frozenset(_keep(edited.bands, rule.bands)),
                multipliers=dict(_keep(edited.multipliers, rule.multipliers)),
                default_base=_keep(edited.default_base, rule.default_base),
                window_months=_keep(edited.window_months, rule.window_months),
                threshold=_keep(edited.threshold, rule.threshold),
                flat_rate=_keep(edited.flat_rate, rule.flat_rate),
                tiers=rule.tiers
                if edited.tiers is None
                else tuple(TierSpec(up_to, rate) for up_to, rate in edited.tiers),
            )
        )
    return PolicyRules(
        kpis=kpis, bands=bands, reward_rules=tuple(rules), score_min=policy.score_min, score_max=policy.score_max
    )


# --------------------------------------------------------------------------- preview


@dataclass(frozen=True)
class BandChange:
    employee_no: str
    name: str
    role: Role | None
    old_composite: Decimal | None
    old_band: str
    new_composite: Decimal | None
    new_band: str


@dataclass(frozen=True)
class PreviewResult:
    period: Period
    scored: int
    stored: int
    changes: list[BandChange]  # people whose band changes (or who gain or lose a scorecard), by employee_no
    composite_changes: int
    old_bands: dict[str, int]
    new_bands: dict[str, int]

    @property
    def band_changes(self) -> int:
        return len(self.changes)

    @property
    def band_rows(self) -> list[tuple[str, int, int]]:
        """(letter, stored count, previewed count) for every letter seen, A first."""
        letters = sorted(set(self.old_bands) | set(self.new_bands))
        return [(letter, self.old_bands.get(letter, 0), self.new_bands.get(letter, 0)) for letter in letters]


def policy_preview(*, version: PolicyVersion, period: Period, figures: PolicyFigures | None = None) -> PreviewResult:
    """Score closed ``period`` with ``version`` (and the edited ``figures``) in memory and compare
    with its stored scorecards. A fixed number of queries per chunk of the org; nothing is written."""
    if period.status != Period.Status.CLOSED:
        raise PolicyRefused(gettext("%(code)s is not closed") % {"code": period.code})
    policy = engine_policy(version)
    if figures is not None:
        policy = engine_policy_with(policy, figures)
    return _preview(policy, period)


def _preview(policy: PolicyRules, period: Period) -> PreviewResult:
    roles = {role.pk: role for role in Role.objects.all()}
    people = {
        pk: (no, name, roles.get(role_id))
        for pk, no, name, role_id in scored_employees(period.start).values_list("id", "employee_no", "name", "role_id")
    }
    new = period_result_in_memory(policy=policy, period=period, employee_ids=list(people)).scorecards
    old = {
        pk: (composite, band)
        for pk, composite, band in Scorecard.objects.filter(period=period).values_list(
            "employee_id", "composite", "band"
        )
    }

    changes = []
    composite_changes = 0
    for pk in sorted(set(new) | set(old), key=lambda key: people.get(key, ("", "", None))[0]):
        old_composite, old_band = old.get(pk, (None, ""))
        card = new.get(pk)
        new_composite, new_band = (card.composite, card.band) if card else (None, "")
        if old_composite != new_composite:
            composite_changes += 1
        if old_band != new_band:
            no, name, role = people.get(pk, ("", "", None))
            changes.append(BandChange(no, name, role, old_composite, old_band, new_composite, new_band))
    return PreviewResult(
        period=period,
        scored=len(new),
        stored=len(old),
        changes=changes,
        composite_changes=composite_changes,
        old_bands=dict(Counter(band for _c, band in old.values())),
        new_bands=dict(Counter(card.band for card in new.values())),
    )


def _day_before(start: date) -> date:
    return start - timedelta(days=1)


def _next_month(first: date) -> date:
    return date(first.year + 1, 1, 1) if first.month == 12 else date(first.year, first.month + 1, 1)
