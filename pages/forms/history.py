"""The HR History page's filter: what kind of change, whose, which period."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisals.models import Period
from pages.forms.hr_periods import PeriodCodeField
from pages.selectors.history import KINDS
from roles.models import Employee


class HistoryFilterForm(forms.Form):
    kind = forms.ChoiceField(label=_("What"), choices=[("", _("everything")), *KINDS.items()], required=False)
    employee = forms.CharField(
        label=_("Employee no."),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "R001"}),
    )
    period = PeriodCodeField(
        label=_("Period"),
        max_length=7,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "placeholder": "2026-01"}),
    )

    def clean_employee(self):
        number = self.cleaned_data["employee"].strip()
        if not number:
            return None
        return _stored(Employee.objects.filter(employee_no=number), _("No employee %(no)s."), {"no": number})

    def clean_period(self):
        code = self.cleaned_data["period"]
        if not code:
            return None
        return _stored(Period.objects.filter(code=code), _("No period %(code)s has been stored."), {"code": code})


def _stored(found, message, params: dict):
    """The one row ``found`` holds, or the form error ``message`` when it holds none."""
    row = found.first()
    if row is None:
        raise forms.ValidationError(message, params=params, code="unknown")
    return row
