from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisals.models import Period
from rewards.models import PayrollRun


class PayrollRunForm(forms.Form):
    """The next payroll run: everything due, or one period's; its file format; a one-time token."""

    period = forms.ModelChoiceField(
        label=_("Only the period"),
        queryset=Period.objects.filter(status=Period.Status.CLOSED).order_by("-end", "start"),
        to_field_name="code",
        required=False,
        empty_label=_("every closed period"),
    )
    file_format = forms.ChoiceField(label=_("File"), choices=PayrollRun.Format.choices, initial=PayrollRun.Format.CSV)
    token = forms.UUIDField(widget=forms.HiddenInput)
