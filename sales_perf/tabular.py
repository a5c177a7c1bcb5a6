"""Reading the bulk files of POLICY.md §7 (CSV or XLSX) and the result types every import shares.

``read_table`` streams rows as ``(line_number, {column: text})`` so an import of a million
rows never holds the file in memory. XLSX cells are turned into the text a CSV export of
the same sheet would hold, so an import validates one kind of input whatever the format.
"""

from __future__ import annotations

import codecs
import csv
import io
import itertools
import os
import re
import shutil
import tempfile
import zipfile
from collections.abc import Generator, Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

from django.conf import settings
from django.utils.translation import gettext, ngettext

# Keep the first this-many errors of a failed import; the rest are only counted, so a
# garbage file of a million rows reports its size without eating memory.
MAX_REPORTED_ERRORS = 1000

# How a file was read, for the import report.
UTF8 = "UTF-8"
GB18030 = "GB18030"
XLSX = "XLSX"
_CODECS = {UTF8: "utf-8", GB18030: "gb18030"}
DETECT_CHUNK = 1 << 20
ENCODING_SPOOL_IN_MEMORY = 32 * 1024 * 1024

XLSX_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0"  # the old binary .xls
FILE_LEVEL = 0  # RowError.line for a problem with the whole file rather than one row

# An XLSX is a zip of XML parts. Before openpyxl reads one, its directory is checked: more parts, more
# unpacked bytes or a higher packing ratio than any real workbook has is a "zip bomb" and refused
# (SALES_PERF_XLSX_MAX_UNPACKED_MB, SALES_PERF_XLSX_MAX_RATIO). Python's zipfile never unpacks a
# part past the size its directory declares, so the declared sizes bound what reading can cost.
XLSX_MAX_PARTS = 10_000
XLSX_RATIO_FLOOR = 16 * 1024 * 1024  # below this many unpacked bytes the ratio does not matter

# Control characters (Unicode category Cc: C0, DEL, C1) are refused in every cell, NUL always: it
# breaks PostgreSQL text, and BEL and friends have no business in any field. Tab and line breaks
# can be part of a quoted CSV value; an import whose field is one line refuses them itself
# (``LINE_BREAKS``). The fast check is isprintable(), which is also false for a few harmless
# characters (no-break space, a line break…); the regex then decides.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
LINE_BREAKS = re.compile(r"[\t\n\r]")

TableSource = str | os.PathLike | bytes | IO[bytes]


@dataclass(frozen=True, slots=True)
class RowError:
    line: int
    field: str
    reason: str

    def __str__(self) -> str:
        if self.line == FILE_LEVEL:
            return f"{self.field}: {self.reason}"
        return gettext("line %(line)s, field %(field)s: %(reason)s") % {
            "line": self.line,
            "field": self.field,
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class ImportResult:
    rows: int
    created: int
    updated: int
    encoding: str = UTF8  # how the file was read: UTF-8, GB18030 or XLSX

    @property
    def unchanged(self) -> int:
        return self.rows - self.created - self.updated


class ImportFailed(Exception):
    """A file had bad rows; nothing was written. ``errors`` lists them (sorted by line, capped)."""

    def __init__(self, errors: Iterable[RowError], *, bad_rows: int | None = None, error_count: int | None = None):
        self.errors: list[RowError] = sorted(errors, key=lambda error: error.line)
        self.error_count = len(self.errors) if error_count is None else error_count
        self.bad_rows = len({error.line for error in self.errors}) if bad_rows is None else bad_rows
        super().__init__(self.message)

    @property
    def message(self) -> str:
        return ngettext("%(count)s bad row", "%(count)s bad rows", self.bad_rows) % {"count": f"{self.bad_rows:,}"}

    @property
    def unlisted(self) -> int:
        """How many errors were counted but not kept in ``errors``."""
        return self.error_count - len(self.errors)


class Rows(Iterator):
    """A file's rows as they stream, and how the file was read (``encoding``: UTF-8, GB18030 or XLSX)."""

    encoding: str = UTF8

    def __init__(self, rows: Iterator) -> None:
        self._rows = rows

    def __next__(self):
        return next(self._rows)


class ErrorList:
    """Collects row errors during a validation pass: keeps the first ``limit``, counts all."""

    def __init__(self, limit: int = MAX_REPORTED_ERRORS):
        self.limit = limit
        self.kept: list[RowError] = []
        self.count = 0
        self.bad_rows = 0
        self._bad_lines = bytearray()  # one byte per line number: cheap even for a million lines

    def add(self, line: int, field: str, reason: str) -> None:
        self.count += 1
        if len(self.kept) < self.limit:
            self.kept.append(RowError(line, field, reason))
        if line >= len(self._bad_lines):
            self._bad_lines.extend(bytes(max(line + 1 - len(self._bad_lines), len(self._bad_lines))))
        if not self._bad_lines[line]:
            self._bad_lines[line] = 1
            self.bad_rows += 1

    def __bool__(self) -> bool:
        return self.count > 0

    def __len__(self) -> int:
        return self.count

    def failure(self) -> ImportFailed:
        return ImportFailed(self.kept, bad_rows=self.bad_rows, error_count=self.count)

    def raise_if_any(self) -> None:
        if self.count:
            raise self.failure()


def read_table(
    source: TableSource,
    *,
    filename: str,
    columns: Sequence[str],
    required: Sequence[str] | None = None,
    errors: ErrorList | None = None,
) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Open a CSV or XLSX file and check its header; return the header and an iterator of rows.

    ``source`` is a path, the file's bytes, or a binary file object (an upload). ``columns``
    are every column the file may have, ``required`` those it must have (default: all).
    Header names are matched ignoring case and surrounding spaces; cell text is stripped.
    Each row is ``(line, {column: text})`` with every one of ``columns`` ("" where the file
    has no such column), ``line`` being the file's line (XLSX: the sheet's row) and the
    header line 1. Blank rows are skipped.

    A bad header raises ``ImportFailed`` at once. Problems met while streaming (a row with
    a value in a column without a header, text that is not UTF-8) are added to ``errors``
    and the row is skipped; without ``errors`` they raise ``ImportFailed``.
    """
    header, rows = read_table_values(source, filename=filename, columns=columns, required=required, errors=errors)
    keys = tuple(columns)
    as_dicts = Rows((line, dict(zip(keys, values, strict=True))) for line, values in rows)
    as_dicts.encoding = rows.encoding
    return header, as_dicts


def read_table_values(
    source: TableSource,
    *,
    filename: str,
    columns: Sequence[str],
    required: Sequence[str] | None = None,
    errors: ErrorList | None = None,
) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """``read_table`` yielding each row's values as a list in the order of ``columns``.

    For imports of millions of rows, where building a dict per row is a noticeable cost.
    """
    stream, owned = _open_binary(source)
    raw_rows: Generator[tuple[int, list[str]], None, None] | None = None
    encoding = XLSX
    try:
        head = stream.read(len(XLSX_MAGIC))
        if not isinstance(head, bytes):
            raise TypeError("read_table needs a binary file (open it with 'rb')")
        if head == XLSX_MAGIC:
            raw_rows = _xlsx_rows(_rewound(stream, head))
        elif head and OLE2_MAGIC.startswith(head):
            raise ImportFailed(
                [RowError(FILE_LEVEL, "file", gettext("an old binary .xls workbook; save it as .xlsx or CSV (UTF-8)"))]
            )
        elif Path(filename).suffix.lower() in {".xlsx", ".xlsm"}:
            raise ImportFailed([RowError(FILE_LEVEL, "file", gettext("not an XLSX workbook"))])
        else:
            stream, encoding, owned = _csv_encoding(stream, head, owned)
            raw_rows = _csv_rows(stream, head, encoding)

        try:
            header_line, header_cells = next(raw_rows)
        except StopIteration:
            raise ImportFailed([RowError(FILE_LEVEL, "file", gettext("the file is empty (no header row)"))]) from None
        except _StreamError as exc:
            raise ImportFailed([exc.error]) from None
        header, positions = _check_header(header_cells, header_line, columns, required)
    except BaseException:
        if raw_rows is not None:
            raw_rows.close()
        if owned:
            stream.close()
        raise
    rows = Rows(_rows(raw_rows, columns, positions, stream if owned else None, errors))
    rows.encoding = encoding
    return header, rows


def _open_binary(source: TableSource) -> tuple[IO[bytes], bool]:
    if isinstance(source, str | os.PathLike):
        try:
            # Closed when the rows are exhausted (or the header is refused).
            return open(source, "rb"), True
        except OSError as exc:
            raise ImportFailed(
                [RowError(FILE_LEVEL, "file", gettext("cannot be read (%(error)s)") % {"error": exc.strerror})]
            ) from None
    if isinstance(source, bytes | bytearray | memoryview):
        return io.BytesIO(bytes(source)), True
    return source, False


def _rewound(stream: IO[bytes], head: bytes) -> IO[bytes]:
    """A seekable stream positioned where ``head`` was read from (openpyxl needs to seek)."""
    seekable = getattr(stream, "seekable", None)
    if seekable is not None and seekable():
        stream.seek(-len(head), io.SEEK_CUR)
        return stream
    return io.BytesIO(head + stream.read())


class _StreamError(Exception):
    def __init__(self, error: RowError):
        super().__init__(str(error))
        self.error = error


def _csv_encoding(stream: IO[bytes], head: bytes, owned: bool) -> tuple[IO[bytes], str, bool]:
    """UTF-8, or GB18030 (what Excel on Chinese Windows saves as "CSV") when the file is not valid
    UTF-8 (POLICY.md §7). One quick pass over the bytes; the stream is put back after ``head``
    (a stream that cannot seek is spooled first; the spool is then the caller's to close)."""
    seekable = getattr(stream, "seekable", None)
    if seekable is None or not seekable():
        spool = tempfile.SpooledTemporaryFile(max_size=ENCODING_SPOOL_IN_MEMORY)  # noqa: SIM115 - closed with the rows
        spool.write(head)
        shutil.copyfileobj(stream, spool, DETECT_CHUNK)
        if owned:
            stream.close()
        spool.seek(len(head))
        stream, owned = spool, True
    start = stream.tell()
    decoder = codecs.getincrementaldecoder("utf-8")()
    encoding = UTF8
    try:
        decoder.decode(head)
        while chunk := stream.read(DETECT_CHUNK):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        encoding = GB18030
    stream.seek(start)
    return stream, encoding, owned


def _csv_rows(stream: IO[bytes], head: bytes, encoding: str = UTF8) -> Generator[tuple[int, list[str]], None, None]:
    """``(first line of the record, cells)`` for every CSV record.

    Physical lines are decoded one by one (neither UTF-8 nor GB18030 puts a newline byte inside a
    character), so a decoding error names its exact line: the one the reader was fetching.
    """
    # The sniffed bytes start the first line (or, in a tiny file, hold whole lines).
    *complete, partial = head.split(b"\n")
    first_lines = [line + b"\n" for line in complete]
    if partial:
        first_lines.append(partial + stream.readline())
    if first_lines and first_lines[0].startswith(codecs.BOM_UTF8):
        first_lines[0] = first_lines[0][len(codecs.BOM_UTF8) :]
    rest = stream if isinstance(stream, io.IOBase) else iter(stream.readline, b"")
    lines = itertools.chain(first_lines, rest)
    codec = _CODECS[encoding]
    reader = csv.reader((line.decode(codec) for line in lines), strict=True)
    previous_end = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except UnicodeDecodeError:
            raise _StreamError(
                RowError(reader.line_num + 1, "file", gettext("not UTF-8 or GB18030 text (save the file as CSV UTF-8)"))
            ) from None
        except csv.Error as exc:
            raise _StreamError(
                RowError(reader.line_num, "file", gettext("not readable as CSV (%(error)s)") % {"error": exc})
            ) from None
        yield previous_end + 1, cells
        previous_end = reader.line_num


def _xlsx_archive_problem(stream: IO[bytes]) -> str | None:
    """Why an XLSX archive must not be unpacked (a zip bomb), or None; the stream is put back."""
    start = stream.tell()
    try:
        size = stream.seek(0, io.SEEK_END) - start
        stream.seek(start)
        try:
            with zipfile.ZipFile(stream) as archive:
                parts = archive.infolist()
        except (zipfile.BadZipFile, OSError, ValueError) as exc:
            return gettext("not a readable XLSX workbook (%(error)s)") % {"error": exc}
        if len(parts) > XLSX_MAX_PARTS:
            return gettext("an XLSX workbook of %(count)s parts is refused (at most %(limit)s)") % {
                "count": f"{len(parts):,}",
                "limit": f"{XLSX_MAX_PARTS:,}",
            }
        unpacked = sum(part.file_size for part in parts)
        limit = settings.SALES_PERF_XLSX_MAX_UNPACKED_BYTES
        if unpacked > limit:
            return gettext(
                "the workbook would unpack to %(size)s MB, more than the %(limit)s MB allowed; "
                "split it, or save it as CSV"
            ) % {"size": f"{unpacked / 1048576:,.0f}", "limit": f"{limit / 1048576:,.0f}"}
        ratio = settings.SALES_PERF_XLSX_MAX_RATIO
        if unpacked > XLSX_RATIO_FLOOR and unpacked > ratio * max(size, 1):
            return gettext(
                "the workbook would unpack to %(times)s times its size (at most %(ratio)s): "
                "refused as a likely zip bomb"
            ) % {"times": f"{unpacked // max(size, 1):,}", "ratio": ratio}
        return None
    finally:
        stream.seek(start)


def _xlsx_rows(stream: IO[bytes]) -> Generator[tuple[int, list[str]], None, None]:
    problem = _xlsx_archive_problem(stream)
    if problem is not None:
        raise ImportFailed([RowError(FILE_LEVEL, "file", problem)])
    import openpyxl  # imported here: only XLSX uploads pay for it

    try:
        # data_only: a formula cell reads as the value Excel last computed for it.
        workbook = openpyxl.load_workbook(stream, read_only=True, data_only=True)
    except Exception as exc:  # a bad zip, missing parts, openpyxl's own InvalidFileException, …
        raise ImportFailed(
            [RowError(FILE_LEVEL, "file", gettext("not a readable XLSX workbook (%(error)s)") % {"error": exc})]
        ) from None
    return _xlsx_sheet_rows(workbook)


def _xlsx_sheet_rows(workbook: Any) -> Generator[tuple[int, list[str]], None, None]:
    line = 0
    try:
        sheet = workbook.worksheets[0]
        # Some writers record a wrong used range; read whatever rows are really there.
        sheet.reset_dimensions()
        for line, values in enumerate(sheet.iter_rows(values_only=True), start=1):
            yield line, [value if type(value) is str else cell_text(value) for value in values]
    except Exception as exc:  # a damaged sheet part, found while streaming
        raise _StreamError(
            RowError(line + 1, "file", gettext("not a readable XLSX sheet (%(error)s)") % {"error": exc})
        ) from None
    finally:
        workbook.close()


def cell_text(value: object) -> str:
    """The text a CSV export would hold for a spreadsheet cell value."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if value.is_integer():
            return str(int(value))
        # repr is the shortest text that reads back as the same float (0.1, not 0.1000000000000000055…).
        return format(Decimal(repr(value)), "f")
    if isinstance(value, Decimal):
        return format(value, "f")
    if isinstance(value, datetime):
        if value.time() == time(0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    if isinstance(value, timedelta):
        return str(value)
    return str(value)


def _check_header(
    cells: list[str], line: int, columns: Sequence[str], required: Sequence[str] | None
) -> tuple[list[str], list[int | None]]:
    """The file's known columns in file order, and for each of ``columns`` its cell index (None: absent)."""
    allowed = {column.lower(): column for column in columns}
    problems = ErrorList()  # capped like row errors: a 10,000-column header lists 1,000 and counts the rest
    header: list[str] = []
    index_of: dict[str, int] = {}
    for index, cell in enumerate(cells):
        name = cell.strip().lstrip("\ufeff").strip().lower()
        if not name:
            continue  # an unnamed column (often trailing); a value under it is reported per row
        column = allowed.get(name)
        if column is None:
            problems.add(line, _printable(cell.strip())[:100], gettext("unknown column"))
        elif column in index_of:
            problems.add(line, column, gettext("duplicate column"))
        else:
            index_of[column] = index
            header.append(column)
    for column in columns if required is None else required:
        if column not in index_of:
            problems.add(line, column, gettext("missing column"))
    problems.raise_if_any()
    return header, [index_of.get(column) for column in columns]


def _rows(
    raw_rows: Generator[tuple[int, list[str]], None, None],
    columns: Sequence[str],
    positions: list[int | None],
    owned_stream: IO[bytes] | None,
    errors: ErrorList | None,
) -> Iterator[tuple[int, list[str]]]:
    width = len(columns)
    # The usual file has exactly the columns, in order: its stripped cells are the values.
    in_order = positions == list(range(width))
    named = {index for index in positions if index is not None}
    strip = str.strip
    try:
        while True:
            try:
                line, cells = next(raw_rows)
            except StopIteration:
                return
            except _StreamError as exc:
                if errors is None:
                    raise ImportFailed([exc.error]) from None
                errors.add(exc.error.line, exc.error.field, exc.error.reason)
                return
            if in_order and len(cells) == width:
                values = list(map(strip, cells))
            else:
                stray = next(
                    (index for index, cell in enumerate(cells) if index not in named and cell.strip()),
                    None,
                )
                if stray is not None:
                    reason = gettext("a value in column %(column)s, which has no header (%(value)r)") % {
                        "column": stray + 1,
                        "value": cells[stray].strip(),
                    }
                    if errors is None:
                        raise ImportFailed([RowError(line, "row", reason)])
                    errors.add(line, "row", reason)
                    continue
                values = [
                    cells[index].strip() if index is not None and index < len(cells) else "" for index in positions
                ]
            if not "".join(values).isprintable():
                problem = _control_problem(values, columns)
                if problem is not None:
                    column, reason = problem
                    if errors is None:
                        raise ImportFailed([RowError(line, column, reason)])
                    errors.add(line, column, reason)
                    continue
            if any(values):  # Excel often leaves blank rows (",,,") behind
                yield line, values
    finally:
        raw_rows.close()
        if owned_stream is not None:
            owned_stream.close()


def _control_problem(values: list[str], columns: Sequence[str]) -> tuple[str, str] | None:
    """The first cell holding a control character: its column and the reason, or None."""
    for column, value in zip(columns, values, strict=True):
        found = _CONTROL.search(value)
        if found is not None:
            return column, gettext("control character U+%(code)04X is not allowed (%(value)s)") % {
                "code": ord(found.group()),
                "value": _printable(value)[:60],
            }
    return None


def _printable(text: str) -> str:
    """``text`` with each control character shown as its code (safe to put in a report)."""
    return _CONTROL.sub(lambda found: f"\\x{ord(found.group()):02x}", text)


def failure_lines(failed: ImportFailed) -> list[str]:
    """The lines a command prints for a refused file: one per kept error, then how many more."""
    lines = [str(error) for error in failed.errors]
    if failed.unlisted:
        lines.append(gettext("… and %(count)s more errors") % {"count": f"{failed.unlisted:,}"})
    return lines
