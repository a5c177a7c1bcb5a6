"""The pages' views query nothing themselves: what a screen reads comes from a selector
(pages/selectors/ or an app's), as the README's architecture section says."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

VIEWS = Path(__file__).resolve().parents[2] / "pages" / "views"
# A manager, a queryset method, or a shortcut that queries: what a query looks like in a module.
QUERYING_ATTRIBUTES = frozenset(
    {"objects", "filter", "exclude", "select_related", "prefetch_related", "annotate", "aggregate", "values_list"}
)
QUERYING_SHORTCUTS = frozenset({"get_object_or_404", "get_list_or_404"})


def queries_in(source: str) -> list[str]:
    """Where ``source`` queries the database itself: "line: name" for each place."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Attribute) and node.attr in QUERYING_ATTRIBUTES:
            found.append(f"{node.lineno}: .{node.attr}")
        elif isinstance(node, ast.Name) and node.id in QUERYING_SHORTCUTS:
            found.append(f"{node.lineno}: {node.id}")
        elif isinstance(node, ast.ImportFrom) and any(alias.name in QUERYING_SHORTCUTS for alias in node.names):
            found.append(f"{node.lineno}: import of a querying shortcut")
    return found


VIEW_MODULES = sorted(VIEWS.glob("*.py"))


def test_the_view_modules_are_found():
    assert {"hr_home.py", "hr_rewards.py", "hr_bonus_list.py", "hr_policies.py"} <= {p.name for p in VIEW_MODULES}


@pytest.mark.parametrize("path", VIEW_MODULES, ids=lambda path: path.name)
def test_a_view_module_queries_nothing_itself(path):
    assert queries_in(path.read_text()) == []


@pytest.mark.parametrize(
    "planted",
    [
        "def view(request):\n    return Period.objects.all()\n",
        "def view(request, period):\n    return period.events.select_related('actor')\n",
        "from django.shortcuts import get_object_or_404\n",
    ],
)
def test_a_query_in_a_view_is_found(planted):
    assert queries_in(planted)
