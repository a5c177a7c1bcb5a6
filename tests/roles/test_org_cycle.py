"""org_find_cycle: the pure reporting-cycle finder behind the employees import (POLICY.md §2)."""

from __future__ import annotations

import pytest

from roles.services import org_find_cycle


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


def test_two_employees_reporting_to_each_other():
    assert org_find_cycle({"A": "B", "B": "A"}) == ["A", "B", "A"]


def test_employee_reporting_to_themself():
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
