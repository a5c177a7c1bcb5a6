"""Forms of the appraisals pages: they validate and convert; crispy-forms does the layout."""

from __future__ import annotations

from crispy_forms.bootstrap import StrictButton
from crispy_forms.helper import FormHelper
from crispy_forms.layout import Column, Layout, Row
from django import forms
from django.utils.translation import gettext_lazy as _

from appraisals.models import Period
from appraisals.periods import MONTH, QUARTER, YEAR, PeriodCodeError, PeriodRef
from pages.selectors.team import BANDS, VIEW_QUARTERS, TeamFilters
from roles.access import visible_employees
from roles.models import Role
from sales_perf.exports import FORMATS

_KIND_GROUPS = ((MONTH, _("Months")), (QUARTER, _("Quarters")), (YEAR, _("Years")))


class TeamFilterForm(forms.Form):
    """The team page's filters (GET). Only closed periods are offered; the latest closed month is the default.

    ``sort`` and ``dir`` ride along as hidden fields so that applying a filter keeps the table's order;
    the team selector checks them against the period's columns."""

    # Not ``required``: clean_period explains an empty value itself (nothing is closed yet).
    period = forms.CharField(label=_("Period"), max_length=40, required=False, widget=forms.Select)
    band = forms.ChoiceField(label=_("Band"), required=False)
    supervisor = forms.ChoiceField(label=_("Supervisor"), required=False)
    role = forms.ChoiceField(label=_("Role"), required=False)
    search = forms.CharField(
        label=_("Search"),
        required=False,
        max_length=100,
        widget=forms.TextInput(attrs={"type": "search", "placeholder": _("employee no. or name")}),
    )
    development = forms.BooleanField(label=_("Development plan only"), required=False)
    sort = forms.CharField(required=False, widget=forms.HiddenInput)
    dir = forms.CharField(required=False, widget=forms.HiddenInput)
    # "quarters": this quarter against the last (the page's toggle sets it).
    view = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, data, *, user, **kwargs):
        self.closed_periods = list(Period.objects.filter(status=Period.Status.CLOSED).order_by("-start", "-end"))
        data = data.copy()
        if data.get("view") == VIEW_QUARTERS and not data.get("period"):
            quarter = self.latest_closed_quarter()
            if quarter is not None:
                data["period"] = quarter.code
        if not data.get("period"):
            default = self.default_period()
            if default is not None:
                data["period"] = default.code
        super().__init__(data, **kwargs)

        groups = []
        for kind, label in _KIND_GROUPS:
            codes = [(p.code, p.code) for p in self.closed_periods if p.kind == kind]
            if codes:
                groups.append((label, codes))
        self.fields["period"].widget.choices = groups
        self.fields["band"].choices = [("", _("all"))] + [(letter, letter) for letter in BANDS]
        self.fields["role"].choices = [("", _("all"))] + [(r.code, r.name) for r in Role.objects.all()]
        supervisors = visible_employees(user).filter(reports__isnull=False).distinct().order_by("name", "employee_no")
        self.fields["supervisor"].choices = [("", _("all"))] + [
            (no, f"{name} ({no})") for no, name in supervisors.values_list("employee_no", "name")
        ]

        self.helper = FormHelper()
        self.helper.form_method = "get"
        self.helper.form_id = "team-filters"
        self.helper.form_show_errors = False  # the page lists them in one alert above the table
        self.helper.layout = Layout(
            Row(
                Column("period", css_class="col-6 col-md-auto"),
                Column("band", css_class="col-6 col-md-auto"),
                Column("supervisor", css_class="col-12 col-md-auto"),
                Column("role", css_class="col-6 col-md-auto"),
                Column("search", css_class="col-6 col-md"),
                Column("development", css_class="col-12 col-md-auto pb-md-2"),
                Column(
                    StrictButton(_("Apply"), type="submit", css_class="btn-primary mb-3"),
                    css_class="col-12 col-md-auto d-flex align-items-end",
                ),
                "sort",
                "dir",
                "view",
                css_class="g-2 align-items-end",
            )
        )

    def latest_closed_quarter(self) -> Period | None:
        return next((p for p in self.closed_periods if p.kind == QUARTER), None)

    def clean_view(self) -> str:
        return VIEW_QUARTERS if self.cleaned_data["view"] == VIEW_QUARTERS else ""

    def default_period(self) -> Period | None:
        """The latest closed month; a closed quarter or year only when no month is closed yet."""
        months = [p for p in self.closed_periods if p.kind == MONTH]
        candidates = months or self.closed_periods
        return candidates[0] if candidates else None

    def clean_period(self) -> Period:
        code = self.cleaned_data["period"].strip()
        if not code:
            raise forms.ValidationError(
                _("No period has been closed yet: scorecards appear here once HR closes a month."), code="none_closed"
            )
        for period in self.closed_periods:
            if period.code == code:
                return period
        try:
            ref = PeriodRef.parse(code)
        except PeriodCodeError:
            raise forms.ValidationError(
                _("“%(code)s” is not a period: use YYYY-MM, YYYY-Qn or YYYY."), params={"code": code}, code="bad_code"
            ) from None
        status = Period.objects.filter(code=ref.code).values_list("status", flat=True).first()
        if status is None:
            raise forms.ValidationError(
                _("There is no period %(code)s. Pick a closed period from the list."),
                params={"code": ref.code},
                code="unknown",
            )
        raise forms.ValidationError(
            _("%(code)s is not closed yet (%(status)s): scorecards appear once HR has closed it."),
            params={"code": ref.code, "status": Period.Status(status).label},
            code="not_closed",
        )

    def filters(self) -> TeamFilters:
        data = self.cleaned_data
        return TeamFilters(
            period=data["period"],
            band=data["band"],
            role=data["role"],
            supervisor=data["supervisor"],
            search=data["search"].strip(),
            development=data["development"],
            view=data["view"],
        )


class TeamExportForm(TeamFilterForm):
    """The same filters as the page, plus the file format: a download holds exactly the table's rows."""

    format = forms.ChoiceField(label=_("Format"), choices=[(f, f.upper()) for f in FORMATS], required=False)

    def clean_format(self) -> str:
        return self.cleaned_data["format"] or "csv"
