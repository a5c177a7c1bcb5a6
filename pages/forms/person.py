from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row, Submit
from django import forms
from django.utils.formats import number_format
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from appraisals.models import Metric
from appraisals.ratings import QuarterOption, quarter_frozen_message

RATING_PREFIX = "rating_"
COMMENT_PREFIX = "comment_"


def _rating_text(value: Decimal | None) -> str:
    return gettext("not rated") if value is None else number_format(value, decimal_pos=1)


class RatingsForm(forms.Form):
    """One quarter's ratings for one person: a value per rating metric, blank keeps what is stored."""

    quarter = forms.CharField(label=_("Quarter"), widget=forms.Select)

    def __init__(self, *args, options: Sequence[QuarterOption], action: str, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.options = {option.code: option for option in options}
        open_options = [option for option in options if option.is_open]
        self.fields["quarter"].widget.choices = [(option.code, option.code) for option in open_options]
        if open_options:
            self.fields["quarter"].initial = open_options[0].code

        metrics: dict[str, Metric] = {}
        for option in open_options:
            for metric in option.metrics:
                metrics.setdefault(metric.code, metric)
        for code, metric in metrics.items():
            now = " · ".join(f"{option.code}: {_rating_text(option.current.get(code))}" for option in open_options)
            self.fields[RATING_PREFIX + code] = forms.DecimalField(
                label=metric.name,
                required=False,
                min_value=metric.min_value.normalize(),
                max_value=metric.max_value.normalize() if metric.max_value is not None else None,
                decimal_places=1,
                widget=forms.NumberInput(attrs={"step": "0.1", "inputmode": "decimal"}),
                help_text=gettext("Now %(values)s. Leave blank to keep.") % {"values": now},
            )
            self.fields[COMMENT_PREFIX + code] = forms.CharField(
                label=gettext("Why (%(metric)s)") % {"metric": metric.name},
                required=False,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 2}),
                help_text=gettext("Needed for a rating of 2 or below, or of 5."),
            )
        self.metric_codes = list(metrics)

        self.helper = FormHelper()
        self.helper.form_method = "post"
        self.helper.form_action = action
        self.helper.form_id = "ratings-form"
        self.helper.layout = Layout(
            Row(
                Column("quarter", css_class="col-sm-4 col-lg-3"),
                *(
                    Column(RATING_PREFIX + code, COMMENT_PREFIX + code, css_class="col-sm")
                    for code in self.metric_codes
                ),
            ),
            Submit("save", gettext("Save ratings"), css_class="btn-primary"),
        )

    @property
    def has_open_quarter(self) -> bool:
        return any(option.is_open for option in self.options.values())

    def clean_quarter(self) -> str:
        code = self.cleaned_data["quarter"]
        option = self.options.get(code)
        if option is None:
            raise forms.ValidationError(gettext("Choose one of the quarters offered."), code="invalid_choice")
        if not option.is_open:
            raise forms.ValidationError(quarter_frozen_message(code, option.status), code="closed")
        return code

    def clean(self) -> dict:
        cleaned = super().clean()
        entered = {code: cleaned.get(RATING_PREFIX + code) for code in self.metric_codes}
        entered = {code: value for code, value in entered.items() if value is not None}
        option = self.options.get(cleaned.get("quarter", ""))
        if option is not None:
            rated = {metric.code for metric in option.metrics}
            for code in entered:
                if code not in rated:
                    message = gettext("Not rated in %(quarter)s.") % {"quarter": option.code}
                    self.add_error(RATING_PREFIX + code, message)
        if not entered and not any(RATING_PREFIX + code in self.errors for code in self.metric_codes):
            raise forms.ValidationError(gettext("Enter at least one rating."), code="empty")
        return cleaned

    def ratings(self) -> dict[str, Decimal]:
        """The entered values by metric code (blank fields left out)."""
        return {
            code: self.cleaned_data[RATING_PREFIX + code]
            for code in self.metric_codes
            if self.cleaned_data.get(RATING_PREFIX + code) is not None
        }

    def comments(self) -> dict[str, str]:
        """The comments given, by metric code (blank ones left out)."""
        return {
            code: self.cleaned_data[COMMENT_PREFIX + code].strip()
            for code in self.metric_codes
            if (self.cleaned_data.get(COMMENT_PREFIX + code) or "").strip()
        }

    def add_refusal(self, field: str | None, message: str) -> None:
        """Show a service refusal beside the field it is about."""
        name = field if field == "quarter" else (RATING_PREFIX + field if field in self.metric_codes else None)
        self.add_error(name, message)
