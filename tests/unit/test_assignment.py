"""Reading the source notebook: graded functions, their tests, helpers and references."""
from __future__ import annotations

import re

import numpy as np
import pytest

from coursekit.assignment import Assignment, _function_of
from tests.conftest import REPO


@pytest.fixture(scope="module")
def assignment() -> Assignment:
    return Assignment.from_source(REPO / "source" / "cnn_layers" / "cnn_layers.ipynb")


def test_the_eight_functions_in_notebook_order(assignment):
    assert assignment.functions == ["zero_pad", "conv_single_step", "conv_forward", "pool_forward",
                                    "conv_backward", "create_mask_from_window", "distribute_value",
                                    "pool_backward"]


def test_helpers_are_read_from_the_reference_solutions(assignment):
    deps = assignment.dependencies
    assert deps["conv_forward"] == ["zero_pad", "conv_single_step"]
    assert deps["pool_backward"] == ["create_mask_from_window", "distribute_value"]
    assert deps["conv_backward"] == ["zero_pad"]
    assert deps["zero_pad"] == [] and deps["pool_forward"] == []


def test_test_cells_name_their_function_and_points_add_up(assignment):
    points = {}
    for test in assignment.tests:
        assert test.grade_id.startswith(f"test_{test.function}")
        points[test.function] = points.get(test.function, 0) + test.points
    assert points == {"zero_pad": 2, "conv_single_step": 3, "conv_forward": 8, "pool_forward": 5,
                      "conv_backward": 12, "create_mask_from_window": 2, "distribute_value": 2,
                      "pool_backward": 8}
    assert sum(1 for t in assignment.tests if t.hidden) >= 14


def test_the_points_the_notebook_and_the_readme_state_are_the_points_of_the_test_cells(assignment):
    points = {f: sum(t.points for t in assignment.tests if t.function == f) for f in assignment.functions}
    text = (REPO / "notebooks" / "cnn_layers" / "cnn_layers.py").read_text()
    table = dict(re.findall(r"^# \| \w+ \| `(\w+)` \| (\d+) \|", text, re.M))
    assert {f: float(p) for f, p in table.items()} == points
    exercises = dict(re.findall(r"\*\*Exercise \d+ - `(\w+)`\*\* \((\d+) points?", text))
    assert {f: float(p) for f, p in exercises.items()} == points
    backward = sum(points[f] for f in ("conv_backward", "create_mask_from_window", "distribute_value", "pool_backward"))
    total = sum(points.values())
    assert f"{backward:g} of the {total:g} points" in text
    for test in assignment.tests:               # each cell's first comment states its own points
        stated = re.search(r"\((\d+) points?\)", test.source.splitlines()[0] + test.source.splitlines()[1])
        assert stated and float(stated.group(1)) == test.points, test.grade_id
    readme = (REPO / "README.md").read_text()
    assert f"({total:g} points: {total - backward:g} for the forward part,\n{backward:g} for the backward part" in readme


def test_the_longest_function_name_wins():
    assert _function_of("test_pool_backward_stride", ["pool", "pool_backward"]) == "pool_backward"
    with pytest.raises(ValueError):
        _function_of("test_unknown_thing", ["pool_backward"])


def test_cells_tagged_skip_at_grading_are_not_run_by_the_grader(assignment):
    assert {"figure_zero_padding", "figure_pooling"} <= assignment.skip_at_grading
    assert not any("show_zero_padding(" in source for source in assignment.grader_cells)


def test_the_reference_namespace_holds_working_solutions(assignment):
    ref = assignment.reference
    np.random.seed(1)
    a, W, b = np.random.randn(4, 4, 3), np.random.randn(4, 4, 3), np.random.randn(1, 1, 1)
    assert np.isclose(ref["conv_single_step"](a, W, b), -6.999089450680221)
    assert ref["zero_pad"](np.ones((1, 2, 2, 1)), 1).shape == (1, 4, 4, 1)


def test_the_application_states_the_points_of_its_test_cells():
    assignment = Assignment.from_source(REPO / "source" / "cnn_application" / "cnn_application.ipynb")
    points = {f: sum(t.points for t in assignment.tests if t.function == f) for f in assignment.functions}
    text = (REPO / "notebooks" / "cnn_application" / "cnn_application.py").read_text()
    table = dict(re.findall(r"^# \| \w+ \| `(\w+)` \| (\d+) \|", text, re.M))
    assert {f: float(p) for f, p in table.items()} == points
    exercises = dict(re.findall(r"\*\*Exercise \d+ - `(\w+)`\*\* \((\d+) points?", text))
    assert {f: float(p) for f, p in exercises.items()} == points
    for test in assignment.tests:
        stated = re.search(r"\((\d+) points?\)", "\n".join(test.source.splitlines()[:2]))
        assert stated and float(stated.group(1)) == test.points, test.grade_id
