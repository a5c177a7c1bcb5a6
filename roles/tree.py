"""The org tree (POLICY.md §2) as pure functions: no Django, used by the import, the admin and the engine.

- ``org_find_cycle`` finds a reporting cycle in employee → manager edges (the one cycle finder);
- ``team_index`` lists team(e) for everyone with reports;
- ``tree_levels`` groups employees bottom-up, the order in which a close scores them.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterator, Mapping, Sequence
from typing import Protocol, TypeVar

Key = TypeVar("Key", bound=Hashable)


class CycleError(ValueError):
    """The reporting lines are not a tree; ``keys`` are the employees on a cycle."""

    def __init__(self, keys: Sequence[Hashable]):
        self.keys = tuple(keys)
        super().__init__(f"reports_to forms a cycle through {len(self.keys)} employee(s): {list(self.keys)[:20]}")


def org_find_cycle(edges: Mapping[Key, Key | None]) -> list[Key] | None:
    """One reporting cycle in ``edges`` (employee → manager), as a path that ends where it starts.

    ``{"A": "B", "B": "A"}`` gives ``["A", "B", "A"]``; a tree gives ``None``. A manager that
    is not a key of ``edges`` ends the walk. Iterative and linear in the number of employees.
    """
    return next(org_cycles(edges), None)


def org_cycles(edges: Mapping[Key, Key | None]) -> Iterator[list[Key]]:
    """Every reporting cycle in ``edges``; each employee is on at most one (one manager each)."""
    done: set[Key] = set()
    for start in edges:
        if start in done:
            continue
        path: list[Key] = []
        on_path: dict[Key, int] = {}
        node: Key | None = start
        while node is not None and node in edges and node not in done:
            if node in on_path:
                yield [*path[on_path[node] :], node]
                break
            on_path[node] = len(path)
            path.append(node)
            node = edges[node]
        done.update(path)


class ReportingLine(Protocol):
    """Anything with an employee key and its boss's key (an engine input, an org-tree row)."""

    @property
    def key(self) -> int: ...

    @property
    def reports_to(self) -> int | None: ...


def team_index(employees: Sequence[ReportingLine]) -> dict[int, list[int]]:
    """team(e) for every employee with reports: key -> direct reports' keys, in input order.
    A ``reports_to`` naming nobody in ``employees`` makes that employee a root."""
    keys = {employee.key for employee in employees}
    teams: dict[int, list[int]] = {}
    for employee in employees:
        if employee.reports_to is not None and employee.reports_to in keys:
            teams.setdefault(employee.reports_to, []).append(employee.key)
    return teams


def tree_levels(employees: Sequence[ReportingLine], teams: Mapping[int, list[int]] | None = None) -> list[list[int]]:
    """Keys grouped bottom-up: level 0 holds everyone without reports, and every employee
    sits one level above the highest of its reports. Raises ``CycleError`` on a cycle."""
    if teams is None:
        teams = team_index(employees)
    parent_of: dict[int, int | None] = {}
    for employee in employees:
        if employee.key in parent_of:
            raise ValueError(f"employee key {employee.key} appears twice")
        parent_of[employee.key] = employee.reports_to if employee.reports_to in teams else None
    waiting = {key: len(team) for key, team in teams.items()}
    height: dict[int, int] = {}
    ready = [employee.key for employee in employees if employee.key not in teams]
    for key in ready:
        height[key] = 0
    levels: list[list[int]] = []
    index = 0
    while index < len(ready):  # ``ready`` grows while we walk it (Kahn's algorithm)
        key = ready[index]
        index += 1
        level = height[key]
        while len(levels) <= level:
            levels.append([])
        levels[level].append(key)
        parent = parent_of[key]
        if parent is not None:
            if height.get(parent, -1) <= level:
                height[parent] = level + 1
            waiting[parent] -= 1
            if waiting[parent] == 0:
                ready.append(parent)
    if len(ready) != len(parent_of):
        # Whoever never became ready is on a cycle or below one's members in the chain of bosses.
        stuck = {key: parent_of[key] for key in parent_of if waiting.get(key, 0) > 0}
        raise CycleError(sorted(org_find_cycle(stuck)[:-1]))
    return levels
