"""The public tests students run: published numbers, helpful failures, honest success messages."""
from __future__ import annotations

import contextlib
import io
import sys

import nbformat
import numpy as np
import pytest

from coursekit.assignment import Assignment, is_test_cell, nbgrader_meta
from tests.conftest import REPO

RELEASE = REPO / "release" / "cnn_layers"


@pytest.fixture(scope="module")
def notebook():
    sys.path.insert(0, str(RELEASE))
    yield nbformat.read(RELEASE / "cnn_layers.ipynb", as_version=4)
    sys.path.remove(str(RELEASE))


@pytest.fixture(scope="module")
def reference():
    return Assignment.from_source(REPO / "source" / "cnn_layers" / "cnn_layers.ipynb").reference


def public_tests(nb) -> dict[str, str]:
    return {nbgrader_meta(c)["grade_id"]: c.source for c in nb.cells
            if is_test_cell(c) and "Public test" in c.source}


def run_cell(source: str, ns: dict) -> str:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        exec(source, ns)
    return printed.getvalue()


def test_every_function_has_a_public_test_with_published_numbers(notebook, reference):
    tests = public_tests(notebook)
    assert len(tests) == 8
    assert "-6.999089450680221" in tests["test_conv_single_step_published"]
    assert "0.6923608807576933" in tests["test_conv_forward_published"]
    assert "7.839232564616838" in tests["test_conv_backward_published"]
    assert "5.05844394" in tests["test_pool_backward_published"]


def test_right_answers_pass_and_are_told_hidden_tests_come_at_grading(notebook, reference):
    ns = dict(reference)
    for grade_id, source in public_tests(notebook).items():
        out = run_cell(source, ns)
        assert "all public tests passed" in out, grade_id
        assert "Hidden tests" in out and "graded" in out


@pytest.mark.parametrize("function, broken, words", [
    ("conv_forward", lambda ref: lambda A, W, b, hp: (ref["conv_forward"](A, W, b * 0, hp)[0],
                                                      ref["conv_forward"](A, W, b, hp)[1]),
     ["the mean of Z", "expected: 0.6923608807576933", "you gave:", "Where to look"]),
    ("zero_pad", lambda ref: lambda X, pad: np.pad(X, ((pad, pad), (pad, pad), (pad, pad), (0, 0))),
     ["the shape of x_pad", "expected: (4, 7, 7, 2)", "you gave: (8, 7, 7, 2)", "Where to look"]),
    ("conv_single_step", lambda ref: lambda a, W, b: np.sum(a * W) + b,
     ["should be a single real number", "shape (1, 1, 1)", "b.item()"]),
    ("distribute_value", lambda ref: lambda dz, shape: np.ones(shape) * dz,
     ["a is not right", "expected: [[0.5 0.5]", "you gave: [[2. 2.]"]),
])
def test_a_failing_public_test_says_what_it_expected_what_came_back_and_where_to_look(
        notebook, reference, function, broken, words):
    ns = dict(reference)
    ns[function] = broken(reference)
    with pytest.raises(AssertionError) as failure:
        run_cell(public_tests(notebook)[f"test_{function}_published"], ns)
    message = str(failure.value)
    for word in words:
        assert word in message


def test_released_hidden_test_cells_are_empty_placeholders(notebook):
    hidden = [c for c in notebook.cells if is_test_cell(c) and "Public test" not in c.source]
    assert len(hidden) >= 14
    for cell in hidden:
        code = [line for line in cell.source.splitlines() if line.strip() and not line.startswith("#")]
        assert code == [], nbgrader_meta(cell)["grade_id"]
