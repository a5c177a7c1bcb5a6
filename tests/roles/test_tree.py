"""roles.tree: the org tree as pure functions (POLICY.md §2): the one cycle finder and the bottom-up levels."""

from __future__ import annotations

from typing import NamedTuple

import pytest

from roles.tree import CycleError, org_find_cycle, tree_levels


@pytest.mark.parametrize(
    "edges",
    [
        {},
        {"M01": None},
        {"M01": None, "S01": "M01", "R01": "S01", "R02": "S01"},
        {"R01": "S01", "S01": "M01"},  # a manager who is not in the mapping ends the walk
        {"A": "B", "B": None, "C": "B", "D": "C"},
    ],
)
def test_a_tree_has_no_cycle(edges):
    assert org_find_cycle(edges) is None


def test_two_employees_reporting_to_each_other_are_a_cycle():
    assert org_find_cycle({"A": "B", "B": "A"}) == ["A", "B", "A"]


def test_an_employee_reporting_to_themself_is_a_cycle():
    assert org_find_cycle({"A": "A"}) == ["A", "A"]


def test_cycle_is_returned_without_the_chain_leading_into_it():
    edges = {"R01": "S01", "S01": "M01", "M01": "D01", "D01": "S01"}

    assert org_find_cycle(edges) == ["S01", "M01", "D01", "S01"]


def test_cycle_reached_after_a_finished_tree():
    edges = {"M01": None, "S01": "M01", "X": "Y", "Y": "Z", "Z": "X"}

    assert org_find_cycle(edges) == ["X", "Y", "Z", "X"]


def test_long_chain_needs_no_recursion():
    size = 200_000
    edges = {f"E{n}": f"E{n + 1}" for n in range(size)}
    edges[f"E{size}"] = None

    assert org_find_cycle(edges) is None


def test_long_cycle_is_found():
    size = 200_000
    edges = {f"E{n}": f"E{(n + 1) % size}" for n in range(size)}

    cycle = org_find_cycle(edges)

    assert cycle is not None
    assert len(cycle) == size + 1
    assert cycle[0] == cycle[-1] == "E0"


class OrgRow(NamedTuple):
    key: int
    reports_to: int | None


def org_rows(reports_to: dict[int, int | None]) -> list[OrgRow]:
    return [OrgRow(key, boss) for key, boss in reports_to.items()]


def test_tree_levels_are_bottom_up():
    # M(1) ─ S(2) ─ T(3) ─ R(4), Q(5);  M ─ U(6) ─ P(7);  M ─ X(8), a rep directly under M
    levels = tree_levels(org_rows({1: None, 2: 1, 3: 2, 4: 3, 5: 3, 6: 1, 7: 6, 8: 1}))

    assert [sorted(level) for level in levels] == [[4, 5, 7, 8], [3, 6], [2], [1]]


@pytest.mark.parametrize(
    ("reports_to", "cycle"),
    [
        # 1 → 2 → 1, and 3 hangs below the cycle (not part of it)
        ({1: 2, 2: 1, 3: 1}, [1, 2]),
        # self-report
        ({1: 1, 2: None}, [1]),
        # 1 → 2 → 3 → 1 under nobody, 4 → 5 fine
        ({1: 2, 2: 3, 3: 1, 4: 5, 5: None}, [1, 2, 3]),
    ],
)
def test_cycle_is_an_error_naming_the_cycle(reports_to, cycle):
    with pytest.raises(CycleError) as error:
        tree_levels(org_rows(reports_to))

    assert list(error.value.keys) == cycle


def test_a_key_given_twice_is_an_error():
    with pytest.raises(ValueError, match="appears twice"):
        tree_levels([OrgRow(1, None), OrgRow(1, None)])


def test_a_boss_outside_the_input_makes_a_root():
    assert tree_levels(org_rows({1: 99, 2: 1})) == [[2], [1]]


def test_tree_levels_is_iterative_on_a_very_deep_chain():
    depth = 20_000  # far beyond any recursion limit
    chain = org_rows({key: key - 1 if key > 1 else None for key in range(1, depth + 1)})

    levels = tree_levels(chain)

    # the deepest employee is the only leaf, the top one comes last
    assert (len(levels), levels[0], levels[-1]) == (depth, [depth], [1])
