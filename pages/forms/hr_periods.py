"""Forms of the HR console's periods pages: they validate and convert, nothing more."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisals.models import Period
from appraisals.periods import PeriodCodeError, PeriodRef


class PeriodFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"),
        choices=[("", _("all kinds")), *Period.KIND_CHOICES],
        required=False,
    )
    everything = forms.BooleanField(
        label=_("Also periods nothing can be done with"),
        required=False,
        help_text=_("Future periods, and periods wholly before the first month with data."),
    )


class PeriodCodeField(forms.CharField):
    """A period code (``YYYY-MM``, ``YYYY-Qn`` or ``YYYY``), converted to its canonical text."""

    def to_python(self, value):
        text = super().to_python(value)
        if not text:
            return text
        try:
            return PeriodRef.parse(text.upper()).code
        except PeriodCodeError:
            raise forms.ValidationError(
                _("%(code)s is not a period; use YYYY-MM, YYYY-Qn or YYYY."), code="invalid", params={"code": text}
            ) from None


class ClosePeriodForm(forms.Form):
    """Close a period by its code, also one that has no row yet (a month nobody imported into)."""

    code = PeriodCodeField(
        label=_("Period"),
        max_length=7,
        widget=forms.TextInput(attrs={"placeholder": "2026-01", "autocomplete": "off", "spellcheck": "false"}),
        help_text=_("YYYY-MM, YYYY-Qn or YYYY"),
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Kept in the period's history."),
    )
