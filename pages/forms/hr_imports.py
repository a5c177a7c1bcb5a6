"""The form of the HR console's imports page: it validates the upload, nothing more."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import FileExtensionValidator
from django.utils.translation import gettext_lazy as _

from sales_perf.upload_limits import upload_max_bytes

IMPORT_EXTENSIONS = ("csv", "xlsx")
IMPORT_ACCEPT = ".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def too_large_message() -> str:
    return _("The file is larger than %(size)s MB, the most an upload may be; nothing was imported.") % {
        "size": f"{upload_max_bytes() // (1024 * 1024):,}"
    }


def validate_upload_size(upload) -> None:
    if upload.size is not None and upload.size > upload_max_bytes():
        raise ValidationError(too_large_message(), code="too_large")


class ImportForm(forms.Form):
    """One upload of a POLICY.md §7 file; the import job checks its content.

    ``too_large``: the upload handler stopped reading the file at the size limit (it is not in
    ``files`` then), so the form says that rather than "this field is required"."""

    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        validators=[FileExtensionValidator(IMPORT_EXTENSIONS), validate_upload_size],
        widget=forms.ClearableFileInput(attrs={"accept": IMPORT_ACCEPT}),
        help_text=_("CSV in UTF-8 with a header row, or an XLSX workbook with the same header on its first sheet."),
    )

    def __init__(self, *args, too_large: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.too_large = too_large

    def clean(self):
        cleaned = super().clean()
        if self.too_large:
            self.errors.pop("file", None)
            self.add_error("file", ValidationError(too_large_message(), code="too_large"))
        return cleaned
