"""The one-way architecture (.importlinter) holds, and a back edge would fail the build."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = (
    "sales_perf",
    "roles",
    "notifications",
    "appraisals",
    "rewards",
    "closing",
    "uploads",
    "disputes",
    "pages",
    "demo",
)
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(source_root: Path) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own virtualenv's lint-imports, fixed arguments
        [str(LINT_IMPORTS), "--no-cache", str(ROOT / ".importlinter")],
        cwd=source_root,
        capture_output=True,
        text=True,
        env={"PYTHONPATH": str(source_root), "PATH": str(LINT_IMPORTS.parent)},
        timeout=120,
    )


@pytest.fixture
def project_copy(tmp_path) -> Path:
    """The apps' Python files, copied, so a test can plant an import without touching the tree."""
    for app in APPS:
        shutil.copytree(ROOT / app, tmp_path / app, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "*.mo"))
    return tmp_path


def test_the_import_contracts_are_kept():
    result = lint_imports(ROOT)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "planted", "broken"),
    [
        # the lowest app reaching up to the pages
        ("roles/planted.py", "import pages.views.person\n", "Apps import downward only"),
        # appraisals reaching up to rewards (the old models cycle)
        ("appraisals/planted.py", "from rewards.models import RewardSuggestion\n", "Apps import downward only"),
        # the floor importing an app
        ("sales_perf/planted.py", "import roles.access\n", "Apps import downward only"),
        # the engine touching Django
        ("roles/tree.py", "import django.db\n", "plain Python"),
        # any module of the engine package, not only its top
        ("appraisals/engine/rewards.py", "import django.db\n", "plain Python"),
        # a service enqueueing its own task
        ("closing/attempt.py", "import closing.tasks\n", "the caller enqueues"),
        ("uploads/services.py", "import uploads.tasks\n", "the caller enqueues"),
        # the uploads and the close are siblings: neither imports the other
        ("uploads/services.py", "import closing.line\n", "Apps import downward only"),
        # the import services below never reach up to the uploads
        ("appraisals/planted.py", "import uploads.models\n", "Apps import downward only"),
    ],
)
def test_a_planted_back_edge_breaks_the_build(project_copy, module, planted, broken):
    target = project_copy / module
    target.write_text((target.read_text() if target.exists() else "") + planted)

    result = lint_imports(project_copy)

    assert result.returncode == 1, result.stdout
    assert "1 broken" in result.stdout
    # The report wraps long contract names; the broken one is the name just before "BROKEN".
    words = " ".join(result.stdout.split())
    broken_name = words.split(" BROKEN")[0].rsplit(" KEPT", 1)[-1].rsplit("---", 1)[-1]
    assert broken in broken_name
