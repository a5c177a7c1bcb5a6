"""The ratings grid's form: one rating and one comment field per person and rated item of the quarter.

Every field's label names the person and the item, so an error listed above the grid says whose
cell is wrong; the service checks everything again and saves all or nothing."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from appraisals.ratings import GridEntry, GridError, RatingsGrid, comment_required

COMMENT_MAX = 1000


def value_field(employee_no: str, metric_code: str) -> str:
    return f"v-{employee_no}-{metric_code}"


def comment_field(employee_no: str, metric_code: str) -> str:
    return f"c-{employee_no}-{metric_code}"


class RatingsGridForm(forms.Form):
    """The grid of ``grid`` (a lead's team for a quarter), prefilled with what is stored."""

    def __init__(self, data=None, *, grid: RatingsGrid, **kwargs):
        super().__init__(data, **kwargs)
        self.grid = grid
        self.person_of: dict[str, str] = {}  # field name → "Name (employee_no)"
        for row in grid.rows:
            who = f"{row.employee.name} ({row.employee.employee_no})"
            for cell in row.cells:
                metric = cell.metric
                label = _("%(who)s, %(metric)s") % {"who": who, "metric": metric.name}
                self.person_of[value_field(row.employee.employee_no, metric.code)] = who
                self.person_of[comment_field(row.employee.employee_no, metric.code)] = who
                self.fields[value_field(row.employee.employee_no, metric.code)] = forms.DecimalField(
                    label=label,
                    required=False,
                    min_value=metric.min_value,
                    max_value=metric.max_value,
                    decimal_places=4,
                    max_digits=8,
                    initial=None if cell.value is None else cell.value.normalize(),
                    disabled=not grid.is_open,
                    widget=forms.NumberInput(
                        attrs={
                            "step": "0.5",
                            "inputmode": "decimal",
                            "class": "form-control form-control-sm rating-input",
                            "data-comment": comment_field(row.employee.employee_no, metric.code),
                        }
                    ),
                )
                self.fields[comment_field(row.employee.employee_no, metric.code)] = forms.CharField(
                    label=_("%(who)s, comment on %(metric)s") % {"who": who, "metric": metric.name},
                    required=False,
                    max_length=COMMENT_MAX,
                    initial=cell.comment,
                    disabled=not grid.is_open,
                    widget=forms.TextInput(
                        attrs={
                            "class": "form-control form-control-sm rating-comment",
                            "placeholder": _("comment"),
                        }
                    ),
                )

    def rows(self):
        """(row, [(metric, cell or None, rating field, comment field), ...]) for the template: one entry
        per column of the grid, ``None`` where the person is not rated on that item."""
        columns = self.grid.metrics
        for row in self.grid.rows:
            no = row.employee.employee_no
            by_code = {cell.metric.code: cell for cell in row.cells}
            entries = []
            for metric in columns:
                cell = by_code.get(metric.code)
                if cell is None:
                    entries.append((metric, None, None, None))
                else:
                    entries.append(
                        (metric, cell, self[value_field(no, metric.code)], self[comment_field(no, metric.code)])
                    )
            yield row, entries

    def clean(self):
        data = super().clean()
        for row in self.grid.rows:
            no = row.employee.employee_no
            for cell in row.cells:
                value = data.get(value_field(no, cell.metric.code))
                comment = (data.get(comment_field(no, cell.metric.code)) or "").strip()
                if comment_required(value) and not comment:
                    self.add_error(
                        comment_field(no, cell.metric.code),
                        _("%(who)s, %(metric)s: a rating of 2 or below, or of 5, needs a comment.")
                        % {"who": f"{row.employee.name} ({no})", "metric": cell.metric.name},
                    )
        return data

    def entries(self) -> dict[str, dict[str, GridEntry]]:
        """The filled cells, for ``ratings_grid_save``: employee_no → metric code → entry."""
        entries: dict[str, dict[str, GridEntry]] = {}
        for row in self.grid.rows:
            no = row.employee.employee_no
            for cell in row.cells:
                value: Decimal | None = self.cleaned_data.get(value_field(no, cell.metric.code))
                if value is None:
                    continue
                comment = self.cleaned_data.get(comment_field(no, cell.metric.code)) or ""
                entries.setdefault(no, {})[cell.metric.code] = GridEntry(value=value, comment=comment)
        return entries

    def add_grid_errors(self, errors: list[GridError]) -> None:
        """The service's refusals, on the cells they name (the whole grid's otherwise)."""
        for error in errors:
            name = value_field(error.employee_no, error.metric) if error.employee_no else None
            self.add_error(name if name in self.fields else None, error.message)

    def error_list(self) -> list[str]:
        """Every error, each naming its person and item (the field's label)."""
        messages = [str(message) for message in self.non_field_errors()]
        for name, errors in self.errors.items():
            if name == forms.forms.NON_FIELD_ERRORS:
                continue
            label = self.fields[name].label
            for message in errors:
                text = str(message)
                # A message that names its person already is shown as it is; Django's own get the label.
                messages.append(text if self.person_of.get(name, "\0") in text else f"{label}: {text}")
        return messages
