from __future__ import annotations

from decimal import Decimal

from django import forms
from django.forms import formset_factory
from django.utils.translation import gettext_lazy as _

from appraisals.models import Metric
from disputes.models import REASON_MIN_LENGTH, Dispute


class DisputeForm(forms.Form):
    """An employee questions a figure of one closed period: the whole scorecard, one KPI, or a reward."""

    subject = forms.ChoiceField(
        label=_("What do you question?"), choices=Dispute.Subject.choices, widget=forms.RadioSelect
    )
    kpi_code = forms.ChoiceField(label=_("Which KPI"), required=False)
    reward = forms.TypedChoiceField(label=_("Which reward"), coerce=int, required=False, empty_value=None)
    reason = forms.CharField(
        label=_("Why"),
        min_length=REASON_MIN_LENGTH,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("At least 10 characters. Your supervisor line and HR will read it."),
    )
    attachment = forms.FileField(
        label=_("Attachment (optional)"),
        required=False,
        help_text=_("A PDF, PNG or JPEG file of at most 5 MB."),
        widget=forms.ClearableFileInput(attrs={"accept": ".pdf,.png,.jpg,.jpeg,application/pdf,image/png,image/jpeg"}),
    )

    def __init__(self, *args, kpis: list[tuple[str, str]], rewards: list[tuple[int, str]], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["kpi_code"].choices = [("", "—"), *kpis]
        self.fields["reward"].choices = [("", "—"), *rewards]

    def clean(self):
        data = super().clean()
        if data.get("subject") == Dispute.Subject.KPI and not data.get("kpi_code"):
            self.add_error("kpi_code", _("Choose the KPI."))
        if data.get("subject") == Dispute.Subject.REWARD and not data.get("reward"):
            self.add_error("reward", _("Choose the reward."))
        return data


class RejectDisputeForm(forms.Form):
    resolution = forms.CharField(
        label=_("Why it is rejected (the employee reads it)"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class AcceptDisputeForm(forms.Form):
    resolution = forms.CharField(
        label=_("What was wrong (the employee reads it)"), max_length=4000, widget=forms.Textarea(attrs={"rows": 3})
    )


class CorrectionForm(forms.Form):
    """One corrected metric value of the disputed period."""

    metric = forms.ModelChoiceField(
        label=_("Metric"), queryset=Metric.objects.order_by("order", "code"), required=False
    )
    period = forms.ChoiceField(label=_("Period"), required=False)
    value = forms.DecimalField(
        label=_("Corrected value"), max_digits=18, decimal_places=4, required=False, min_value=Decimal(0)
    )

    def __init__(self, *args, periods: list[str], **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["period"].choices = [(code, code) for code in periods]

    def clean(self):
        data = super().clean()
        filled = [data.get("metric"), data.get("value")]
        if any(value is not None for value in filled) and not all(value is not None for value in filled):
            raise forms.ValidationError(_("Give the metric and its corrected value, or leave the row empty."))
        return data


CorrectionFormSet = formset_factory(CorrectionForm, extra=3, max_num=12)
