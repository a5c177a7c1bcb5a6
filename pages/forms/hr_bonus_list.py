"""The form of the HR console's bonus list download: it validates and converts, nothing more."""

from __future__ import annotations

from django import forms

from sales_perf.exports import FORMATS


class DownloadForm(forms.Form):
    format = forms.ChoiceField(choices=[(fmt, fmt.upper()) for fmt in FORMATS])
    approved = forms.BooleanField(required=False)
