"""Forms of the HR console's policy pages (a version's copy or edit, and the period a preview
scores): they validate and convert, nothing more."""

from __future__ import annotations

import itertools
from datetime import date
from decimal import Decimal

from crispy_forms.helper import FormHelper
from django import forms
from django.conf import settings
from django.forms import BaseFormSet, formset_factory
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from appraisals.models import BandDefinition, KpiDefinition, Period, PolicyVersion, RewardRule
from appraisals.periods import MONTH, PeriodRef
from appraisals.policy import (
    KpiFigures,
    PolicyFigures,
    RuleFigures,
    band_order_problems,
    default_preview_period,
    effective_from_problems,
    preview_periods,
)

SMALL_INPUT = {"class": "form-control form-control-sm text-end", "inputmode": "decimal"}


class _MarkInvalid:
    """Adds Bootstrap's ``is-invalid`` to the widgets of fields with errors, for hand-rendered tables."""

    def full_clean(self):
        super().full_clean()
        for name in self.errors:
            if name in self.fields:
                widget = self.fields[name].widget
                widget.attrs["class"] = f"{widget.attrs.get('class', '')} is-invalid".strip()
                widget.attrs["aria-invalid"] = "true"


class MonthField(forms.CharField):
    """A month as ``YYYY-MM``, converted to its first day."""

    widget = forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM", "pattern": r"\d{4}-\d{2}"})

    def to_python(self, value) -> date | None:
        text = (super().to_python(value) or "").strip()
        if not text:
            return None
        ref = PeriodRef.parse_or_none(text)
        if ref is None or ref.kind != MONTH:
            raise forms.ValidationError(_("Enter a month as YYYY-MM."), code="invalid")
        return ref.start

    def prepare_value(self, value):
        return f"{value:%Y-%m}" if isinstance(value, date) else value


def _positive(value: Decimal | None) -> Decimal | None:
    if value is not None and value <= 0:
        raise forms.ValidationError(_("Must be greater than 0."), code="not_positive")
    return value


class PolicyVersionForm(forms.Form):
    name = forms.CharField(label=pgettext_lazy("policy version", "Name"), max_length=200)
    effective_from = MonthField(
        label=_("Effective from (month)"),
        help_text=_(
            "It applies to periods starting in this month or later; it must start after the last closed period."
        ),
    )

    dispute_window_days = forms.IntegerField(
        label=_("Days to question a closed period"),
        min_value=1,
        max_value=365,
        required=False,
        help_text=_(
            "An employee may dispute a figure this many days after its period closed (POLICY.md §8); empty keeps it."
        ),
    )

    def __init__(self, *args, version: PolicyVersion | None = None, **kwargs):
        self.version = version  # the version being edited in place (its own start is no clash)
        super().__init__(*args, **kwargs)
        self.helper = FormHelper()
        self.helper.form_tag = False
        self.helper.disable_csrf = True

    def clean_effective_from(self) -> date:
        start = self.cleaned_data["effective_from"]
        problems = effective_from_problems(start, exclude=self.version)
        if problems:
            raise forms.ValidationError([forms.ValidationError(p[:1].upper() + p[1:] + ".") for p in problems])
        return start


class KpiFiguresForm(_MarkInvalid, forms.Form):
    weight = forms.DecimalField(label=_("Weight"), max_digits=7, decimal_places=2, widget=forms.TextInput(SMALL_INPUT))
    target = forms.DecimalField(label=_("Target"), max_digits=12, decimal_places=4, widget=forms.TextInput(SMALL_INPUT))

    def __init__(self, *args, item: KpiDefinition, **kwargs):
        self.item = item
        kwargs.setdefault("initial", {"weight": item.weight, "target": item.target})
        super().__init__(*args, **kwargs)

    def clean_weight(self):
        return _positive(self.cleaned_data["weight"])

    def clean_target(self):
        return _positive(self.cleaned_data["target"])


class BandFiguresForm(_MarkInvalid, forms.Form):
    min_composite = forms.DecimalField(
        label=_("Minimum composite"),
        max_digits=7,
        decimal_places=2,
        min_value=Decimal("0"),
        widget=forms.TextInput(SMALL_INPUT),
    )

    def __init__(self, *args, item: BandDefinition, **kwargs):
        self.item = item
        kwargs.setdefault("initial", {"min_composite": item.min_composite})
        super().__init__(*args, **kwargs)


class RuleFiguresForm(forms.Form):
    """The figures of one reward rule; which ones depends on the rule's kind."""

    def __init__(self, *args, item: RewardRule, letters: list[str], **kwargs):
        self.item = item
        self.letters = letters
        self.tier_count = 0
        super().__init__(*args, **kwargs)
        kind = item.kind
        if kind == RewardRule.Kind.COMMISSION:
            self.tier_count = len(item.tiers.all())
            for index, tier in enumerate(item.tiers.all()):
                last = index == self.tier_count - 1
                self.fields[f"tier_{index}_up_to"] = _decimal(
                    _("Tier %(n)s: up to × target") % {"n": index + 1},
                    tier.up_to_multiple,
                    required=not last,
                    help_text=_("empty: all sales above the previous tier") if last else "",
                )
                self.fields[f"tier_{index}_rate"] = _decimal(_("Tier %(n)s: rate") % {"n": index + 1}, tier.rate)
            self.fields["flat_rate"] = _decimal(
                _("Rate without a target"), item.flat_rate, help_text=_("on all sales when the month has no target")
            )
        elif kind == RewardRule.Kind.BAND_BONUS:
            self.fields["default_base"] = _decimal(
                _("Default base"),
                item.default_base,
                max_digits=14,
                decimal_places=2,
                help_text=_("in %(currency)s, for employees without their own base")
                % {"currency": settings.SALES_PERF_CURRENCY},
            )
            current = {m.band: m.multiplier for m in item.multipliers.all()}
            for letter in letters:
                self.fields[f"multiplier_{letter}"] = _decimal(
                    _("Multiplier for band %(band)s") % {"band": letter}, current.get(letter, Decimal("0"))
                )
        elif kind == RewardRule.Kind.DEVELOPMENT_FLAG:
            self.fields["threshold"] = _decimal(
                _("KPI score threshold"), item.threshold, decimal_places=2, help_text=_("flag KPIs scoring below it")
            )
        if kind == RewardRule.Kind.CONSECUTIVE_BANDS:
            self.fields["window_months"] = forms.IntegerField(
                label=_("Months in a row"), min_value=1, max_value=24, initial=item.window_months
            )
        if kind in (RewardRule.Kind.CONSECUTIVE_BANDS, RewardRule.Kind.BAND_FLAG):
            self.fields["bands"] = forms.MultipleChoiceField(
                label=_("Eligible bands"),
                choices=[(letter, letter) for letter in letters],
                initial=list(item.bands),
                widget=forms.CheckboxSelectMultiple,
            )

    def clean(self):
        data = super().clean()
        # Only the last tier may be open-ended: its field alone is optional.
        tiers = [data.get(f"tier_{index}_up_to") for index in range(self.tier_count)]
        bounded = [value for value in tiers if value is not None]
        if any(value <= 0 for value in bounded):
            raise forms.ValidationError(_("Tier limits must be greater than 0."), code="tier_limit")
        if any(b <= a for a, b in itertools.pairwise(bounded)):
            raise forms.ValidationError(_("Tier limits must rise from one tier to the next."), code="tier_order")
        return data

    def figures(self) -> RuleFigures:
        data = self.cleaned_data
        kind = self.item.kind
        tiers = multipliers = None
        if kind == RewardRule.Kind.COMMISSION:
            tiers = tuple((data[f"tier_{i}_up_to"], data[f"tier_{i}_rate"]) for i in range(self.tier_count))
        if kind == RewardRule.Kind.BAND_BONUS:
            multipliers = {letter: data[f"multiplier_{letter}"] for letter in self.letters}
        return RuleFigures(
            default_base=data.get("default_base"),
            multipliers=multipliers,
            tiers=tiers,
            flat_rate=data.get("flat_rate"),
            threshold=data.get("threshold"),
            window_months=data.get("window_months"),
            bands="".join(sorted(data["bands"])) if "bands" in data else None,
        )


def _decimal(label, initial, *, required=True, max_digits=7, decimal_places=4, help_text="") -> forms.DecimalField:
    """A figure that is never negative (rates, multipliers, bases, thresholds)."""
    return forms.DecimalField(
        label=label,
        initial=initial,
        required=required,
        max_digits=max_digits,
        decimal_places=decimal_places,
        min_value=Decimal("0"),
        help_text=help_text,
        widget=forms.TextInput({"class": "text-end", "inputmode": "decimal"}),
    )


class ItemFormSet(BaseFormSet):
    """One form per existing item (KPI, band, reward rule): the items fix the number of forms,
    whatever the management form says, so a tampered count cannot add or drop one."""

    def __init__(self, *args, items: list, item_kwargs: dict | None = None, **kwargs):
        self.items = items
        self.item_kwargs = item_kwargs or {}
        super().__init__(*args, **kwargs)

    def total_form_count(self) -> int:
        return len(self.items)

    def initial_form_count(self) -> int:
        return len(self.items)

    def get_form_kwargs(self, index):
        if index is None:
            raise ValueError("no empty form: the items fix the forms")
        return {"item": self.items[index], **self.item_kwargs}


class BandFormSet(ItemFormSet):
    def clean(self):
        if any(self.errors):
            return
        minimums = {form.item.letter: form.cleaned_data["min_composite"] for form in self.forms}
        if band_order_problems(minimums):
            raise forms.ValidationError(
                _("Band minimums must fall strictly from A to E (A highest)."), code="band_order"
            )


KpiFormSet = formset_factory(KpiFiguresForm, formset=ItemFormSet, extra=0)
BandFigureFormSet = formset_factory(BandFiguresForm, formset=BandFormSet, extra=0)
RuleFormSet = formset_factory(RuleFiguresForm, formset=ItemFormSet, extra=0)


class PreviewPeriodForm(forms.Form):
    """Which closed period a preview scores; the latest closed month when none is given."""

    period = forms.ChoiceField(label=_("Preview against"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.periods = {p.code: p for p in preview_periods()}
        self.default = default_preview_period(list(self.periods.values()))
        self.fields["period"].choices = [(code, code) for code in self.periods]
        self.fields["period"].widget.attrs["class"] = "form-select form-select-sm"
        if self.default is not None:
            self.fields["period"].initial = self.default.code

    def chosen(self) -> Period | None:
        """The chosen closed period (the default when none or an unknown one is asked for)."""
        if self.is_bound and self.is_valid() and self.cleaned_data["period"]:
            return self.periods[self.cleaned_data["period"]]
        return self.default


class PolicyEditor:
    """The copy (or edit) page's forms together: the version's name and start, then one formset
    each for the KPIs, the bands and the reward rules of the source version."""

    def __init__(self, source: PolicyVersion, data=None, *, version: PolicyVersion | None = None, initial=None):
        self.source = source
        kpis = list(source.kpis.select_related("role").order_by("role__order", "order", "id"))
        bands = list(source.bands.order_by("letter"))
        rules = list(RewardRule.objects.filter(policy_version=source).prefetch_related("multipliers", "tiers"))
        letters = [band.letter for band in bands]
        initial = {"dispute_window_days": source.dispute_window_days, **(initial or {})}
        self.form = PolicyVersionForm(data, version=version, initial=initial)
        self.kpis = KpiFormSet(data, items=kpis, prefix="kpi")
        self.bands = BandFigureFormSet(data, items=bands, prefix="band")
        self.rules = RuleFormSet(data, items=rules, prefix="rule", item_kwargs={"letters": letters})
        self.preview = PreviewPeriodForm(data)

    def is_valid(self) -> bool:
        # Every part is validated so every error shows at once.
        results = [self.form.is_valid(), self.kpis.is_valid(), self.bands.is_valid(), self.rules.is_valid()]
        return all(results)

    def figures(self) -> PolicyFigures:
        return PolicyFigures(
            kpis={
                form.item.code: KpiFigures(form.cleaned_data["weight"], form.cleaned_data["target"])
                for form in self.kpis.forms
            },
            bands={form.item.letter: form.cleaned_data["min_composite"] for form in self.bands.forms},
            rules={form.item.code: form.figures() for form in self.rules.forms},
            dispute_window_days=self.form.cleaned_data["dispute_window_days"],
        )
