"""Writing tables to CSV and XLSX as POLICY.md §7 asks: 2-decimal numbers, injection-safe text.

In CSV a number is plain text with 2 places; in XLSX it is a numeric cell shown with 2 places."""

from __future__ import annotations

import csv
import io
import itertools
import sys
from collections.abc import Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import IO

FORMATS = ("csv", "xlsx")
# The Content-Type a download of each format is served with.
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
_DANGEROUS_FIRST = ("=", "+", "-", "@", "\t", "\r")
CENT = Decimal("0.01")


def safe_text(value: str) -> str:
    """A text cell that a spreadsheet would run as a formula gets a leading apostrophe."""
    return "'" + value if value.startswith(_DANGEROUS_FIRST) else value


def money(value: Decimal | None) -> str:
    """Plain decimal with exactly 2 places (``1234.50``); empty for no value."""
    if value is None:
        return ""
    return format(value.quantize(CENT, rounding=ROUND_HALF_UP), "f")


def cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, Decimal):
        return money(value)
    return safe_text(str(value))


def write_table(header: Sequence[str], rows: Iterable[Sequence], *, fmt: str, stream: IO) -> None:
    """Write ``rows`` (already plain values: str, Decimal or None) to a text (CSV) or binary (XLSX) stream."""
    if fmt == "csv":
        writer = csv.writer(stream, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow([cell(value) for value in row])
        return
    if fmt == "xlsx":
        _write_xlsx(header, rows, stream)
        return
    raise ValueError(f"unknown format {fmt!r} (use csv or xlsx)")


# Rows a sheet's column widths are measured on (the rest of the file streams).
WIDTH_SAMPLE = 500
MAX_WIDTH = 60


def _write_xlsx(header: Sequence[str], rows: Iterable[Sequence], stream: IO) -> None:
    """Money as numbers with a 2-decimal format (a spreadsheet sums and sorts them), whole numbers as
    numbers, text injection-safe; the header row frozen, columns as wide as their content."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet()
    iterator = iter(rows)
    sample = list(itertools.islice(iterator, WIDTH_SAMPLE))
    for index, name in enumerate(header, start=1):
        widest = max([len(str(name)), *(len(cell(row[index - 1])) for row in sample if index <= len(row))])
        sheet.column_dimensions[get_column_letter(index)].width = min(MAX_WIDTH, widest + 2)
    sheet.freeze_panes = "A2"
    sheet.append(list(header))

    def xlsx_cell(value):
        if isinstance(value, Decimal):
            number = WriteOnlyCell(sheet, value=value.quantize(CENT, rounding=ROUND_HALF_UP))
            number.number_format = "0.00"
            return number
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        return cell(value)

    for row in itertools.chain(sample, iterator):
        sheet.append([xlsx_cell(value) for value in row])
    workbook.save(stream)


def add_export_arguments(parser) -> None:
    """The export commands' ``--format`` and ``-o/--output``, as ``write_export`` takes them."""
    parser.add_argument("--format", choices=FORMATS, default="csv")
    parser.add_argument("-o", "--output", help="file to write (default: standard output)")


def write_export(header: Sequence[str], rows: Iterable[Sequence], *, fmt: str, output: str | None, stdout) -> None:
    """What the export commands do with a table: write it to ``output``, or to standard output
    (a command's text stream for CSV, the raw binary stream for XLSX)."""
    if output:
        if fmt == "csv":
            with open(output, "w", encoding="utf-8", newline="") as stream:
                write_table(header, rows, fmt=fmt, stream=stream)
        else:
            with open(output, "wb") as stream:
                write_table(header, rows, fmt=fmt, stream=stream)
    elif fmt == "csv":
        write_table(header, rows, fmt=fmt, stream=stdout)
    else:
        stdout.flush()
        write_table(header, rows, fmt=fmt, stream=sys.stdout.buffer)


def render(header: Sequence[str], rows: Iterable[Sequence], *, fmt: str) -> bytes:
    if fmt == "csv":
        text = io.StringIO()
        write_table(header, rows, fmt=fmt, stream=text)
        return text.getvalue().encode("utf-8")
    binary = io.BytesIO()
    write_table(header, rows, fmt=fmt, stream=binary)
    return binary.getvalue()
