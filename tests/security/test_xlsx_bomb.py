"""Threat: an XLSX "zip bomb". A workbook is a zip of XML parts; a small file can declare a part that
unpacks to gigabytes (measured on main: a 1 MB file holding a 1 GB shared string took 5.7 GB of memory
and 44 s). The reader checks the archive's directory first and refuses a part set that would unpack to
more than SALES_PERF_XLSX_MAX_UNPACKED_MB or more than SALES_PERF_XLSX_MAX_RATIO times the file.

The bombs here are real: a sharedStrings part (or a sheet) that really unpacks to hundreds of MB.
Each is read in a fresh Python process that measures its own time and peak memory."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import openpyxl
import pytest

from appraisals.metric_import import METRIC_COLUMNS, metrics_import
from appraisals.models import MetricValue
from sales_perf.tabular import ImportFailed

PROJECT_ROOT = Path(__file__).resolve().parents[2]
CHUNK = b"A" * (1 << 20)
MAX_SECONDS = 2.0
MAX_PEAK_MB = 200

# Peak memory is the process's own high-water mark (VmHWM): ru_maxrss would carry over the RSS of the
# forked test process across exec on Linux.
MEASURE = """
import json, sys, time
import django
django.setup()
from sales_perf.tabular import ImportFailed, read_table
path = sys.argv[1]
started = time.perf_counter()
try:
    _header, rows = read_table(path, filename="metrics.xlsx", columns=("employee_no", "period", "metric", "value"))
    count = sum(1 for _ in rows)
    outcome = {"refused": False, "rows": count}
except ImportFailed as failed:
    outcome = {"refused": True, "reason": str(failed.errors[0])}
outcome["seconds"] = time.perf_counter() - started
status = dict(line.split(":", 1) for line in open("/proc/self/status").read().splitlines() if ":" in line)
outcome["peak_mb"] = int(status["VmHWM"].split()[0]) / 1024
print(json.dumps(outcome))
"""


def bomb(path: Path, *, part: str, unpacked_mb: int) -> Path:
    """A workbook whose ``part`` (the shared strings or the first sheet) unpacks to ``unpacked_mb`` MB."""
    buffer = io.BytesIO()
    workbook = openpyxl.Workbook()
    workbook.active.append(["employee_no", "period", "metric", "value"])
    workbook.active.append(["R01", "2026-01", "sales_actual", "shared"])
    workbook.save(buffer)
    with (
        zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source,
        zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as target,
    ):
        for item in source.infolist():
            if item.filename != part:
                target.writestr(item, source.read(item.filename))
        with target.open(part, "w", force_zip64=True) as out:
            if part.endswith("sharedStrings.xml"):
                out.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>')
                for _ in range(unpacked_mb):
                    out.write(CHUNK)
                out.write(b"</t></si></sst>")
            else:
                out.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>')
                out.write(b'<row r="1"><c r="A1" t="inlineStr"><is><t>')
                for _ in range(unpacked_mb):
                    out.write(CHUNK)
                out.write(b"</t></is></c></row></sheetData></worksheet>")
    return path


def measure(path: Path) -> dict:
    environ = {name: os.environ[name] for name in ("PATH", "HOME") if name in os.environ}
    environ["DJANGO_SETTINGS_MODULE"] = "sales_perf.settings"
    result = subprocess.run(  # noqa: S603 - our own interpreter, fixed arguments
        [sys.executable, "-c", MEASURE, str(path)],
        cwd=PROJECT_ROOT,
        env=environ,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize(
    ("part", "unpacked_mb"),
    [("xl/sharedStrings.xml", 1024), ("xl/worksheets/sheet1.xml", 600)],
    ids=["1 GB shared string", "600 MB sheet"],
)
def test_a_real_xlsx_bomb_is_refused_fast_and_small(tmp_path, part, unpacked_mb):
    path = bomb(tmp_path / "metrics.xlsx", part=part, unpacked_mb=unpacked_mb)
    with zipfile.ZipFile(path) as archive:
        declared = sum(item.file_size for item in archive.infolist())
    assert declared > unpacked_mb * (1 << 20)  # the bomb is real: the directory says what the part holds
    assert path.stat().st_size < 5 * (1 << 20)

    outcome = measure(path)

    assert outcome["refused"] is True, outcome
    assert "unpack" in outcome["reason"]
    assert outcome["seconds"] < MAX_SECONDS, outcome
    assert outcome["peak_mb"] < MAX_PEAK_MB, outcome


def test_a_bomb_under_the_size_cap_is_refused_by_its_ratio(tmp_path):
    path = bomb(tmp_path / "metrics.xlsx", part="xl/sharedStrings.xml", unpacked_mb=150)

    outcome = measure(path)

    assert outcome["refused"] is True and "times its size" in outcome["reason"], outcome
    assert outcome["seconds"] < MAX_SECONDS and outcome["peak_mb"] < MAX_PEAK_MB, outcome


def test_the_measurement_can_fail(tmp_path):
    """The same process reading a big but honest workbook does take memory: the probe sees it."""
    path = tmp_path / "metrics.xlsx"
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(list(METRIC_COLUMNS))
    big = "x" * 2_000_000
    sheet.append(["R01", "2026-01", "sales_actual", big])  # one 2 MB shared string, read whole
    workbook.save(path)

    outcome = measure(path)

    assert outcome["refused"] is False and outcome["rows"] == 1
    assert outcome["peak_mb"] > 20


@pytest.mark.django_db
def test_the_metric_import_refuses_the_bomb_and_writes_nothing(tmp_path):
    path = bomb(tmp_path / "metrics.xlsx", part="xl/sharedStrings.xml", unpacked_mb=300)

    with pytest.raises(ImportFailed) as refused:
        metrics_import(source=path, filename="metrics.xlsx")

    assert refused.value.errors[0].line == 0 and refused.value.errors[0].field == "file"
    assert MetricValue.objects.count() == 0
