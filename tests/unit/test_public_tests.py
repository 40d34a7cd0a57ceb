"""The public tests students run: published numbers, helpful failures, honest success messages."""
from __future__ import annotations

import ast
import contextlib
import io
import sys
import warnings

import nbformat
import numpy as np
import pytest

from coursekit.assignment import Assignment, is_test_cell, nbgrader_meta
from tests.conftest import REPO

RELEASE = REPO / "release" / "cnn_layers"
FUNCTIONS = ["zero_pad", "conv_single_step", "conv_forward", "pool_forward",
             "conv_backward", "create_mask_from_window", "distribute_value", "pool_backward"]


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
    assert {f"test_{f}_published" for f in FUNCTIONS} <= set(tests)
    # one public test per output of the functions that return several
    assert set(tests) - {f"test_{f}_published" for f in FUNCTIONS} == {
        "test_conv_forward_published_cache", "test_conv_backward_published_dW", "test_conv_backward_published_db"}
    assert "-6.999089450680221" in tests["test_conv_single_step_published"]
    assert "0.6923608807576933" in tests["test_conv_forward_published"]
    assert "1.4524377775388075" in tests["test_conv_backward_published"]
    assert "7.839232564616838" in tests["test_conv_backward_published_db"]
    assert "5.05844394" in tests["test_pool_backward_published"]


def test_right_answers_pass_and_are_told_hidden_tests_come_at_grading(notebook, reference):
    ns = dict(reference)
    for grade_id, source in public_tests(notebook).items():
        out = run_cell(source, ns)
        if grade_id in ("test_conv_forward_published", "test_conv_backward_published",
                        "test_conv_backward_published_dW"):        # a first part: the function's last says it all
            assert "the public test of" in out and "passed" in out, grade_id
            continue
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


def run_public(notebook, ns, *grade_ids) -> str:
    """Run public test cells in order in one namespace; the message of the last one's failure."""
    tests = public_tests(notebook)
    for grade_id in grade_ids[:-1]:
        with contextlib.suppress(AssertionError):
            run_cell(tests[grade_id], ns)
    with pytest.raises(AssertionError) as failure:
        run_cell(tests[grade_id := grade_ids[-1]], ns)
    return str(failure.value)


@pytest.fixture(scope="module")
def answers():
    return Assignment.from_source(REPO / "source" / "cnn_layers" / "cnn_layers.ipynb").answers


def with_edit(reference, answers, function, *edits):
    """A namespace where every answer is defined afresh (so they call each other there), one edited."""
    ns = dict(reference)
    for other, text in answers.items():
        exec(text, ns)
    source = answers[function]
    for old, new in edits:
        assert old in source, old
        source = source.replace(old, new)
    exec(source, ns)
    return ns


def test_an_error_raised_by_the_students_code_becomes_a_message_not_a_traceback(notebook, reference, answers):
    # float(b) on a (1, 1, 1) array: a TypeError from NumPy 2.4 on (a DeprecationWarning before)
    ns = with_edit(reference, answers, "conv_single_step", ("Z = Z + b.item()", "Z = Z + float(b)"))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        message = run_public(notebook, ns, "test_conv_single_step_published")
    assert message.startswith("conv_single_step: your code raised")
    assert "in conv_single_step, line" in message and "b.item()" in message
    assert "Traceback" not in message


def test_a_failure_caused_by_a_helper_names_the_helper(notebook, reference, answers):
    # conv_single_step returns a (1, 1, 1) array: conv_forward's own code then raises
    ns = with_edit(reference, answers, "conv_single_step", ("Z = Z + b.item()", "Z = Z + b"))
    message = run_public(notebook, ns, "test_conv_single_step_published", "test_conv_forward_published")
    assert message.startswith("conv_forward: your code raised ValueError")
    assert "Likely cause: conv_single_step fails its own public test" in message
    # a broken zero_pad gives conv_forward wrong numbers: the failure names zero_pad
    ns = with_edit(reference, answers, "zero_pad", ("(pad, pad), (pad, pad), (0, 0)", "(pad, pad), (0, 0), (0, 0)"))
    message = run_public(notebook, ns, "test_zero_pad_published", "test_conv_forward_published")
    assert "Likely cause: zero_pad fails its own public test" in message
    # with right helpers, a wrong conv_forward blames nobody else
    ns = with_edit(reference, answers, "conv_forward", ("vert_start = h * stride", "vert_start = h"))
    message = run_public(notebook, ns, "test_zero_pad_published", "test_conv_single_step_published",
                         "test_conv_forward_published")
    assert "the mean of Z is not right" in message and "Likely cause" not in message


def test_the_public_test_of_conv_backward_catches_the_unpadding_pitfall(notebook, reference, answers):
    ns = with_edit(reference, answers, "conv_backward",
                   ("da_prev_pad[pad:pad + n_H_prev, pad:pad + n_W_prev, :]", "da_prev_pad[pad:-pad, pad:-pad, :]"))
    message = run_public(notebook, ns, "test_conv_backward_published")
    assert "conv_backward: your code raised ValueError" in message and "pad == 0" in message
    # dW and db are tested on their own: their public tests still pass
    for grade_id in ("test_conv_backward_published_dW", "test_conv_backward_published_db"):
        assert "passed" in run_cell(public_tests(notebook)[grade_id], ns)


def test_averaging_db_fails_only_the_public_test_of_db(notebook, reference, answers):
    ns = with_edit(reference, answers, "conv_backward",
                   ("db[:, :, :, c] += dZ[i, h, w, c]", "db[:, :, :, c] += dZ[i, h, w, c] / m"))
    tests = public_tests(notebook)
    assert "passed" in run_cell(tests["test_conv_backward_published"], ns)
    assert "passed" in run_cell(tests["test_conv_backward_published_dW"], ns)
    message = run_public(notebook, ns, "test_conv_backward_published_db")
    assert "the mean of db is not right" in message and "a sum, not a mean" in message


def test_a_forgotten_stride_in_pool_forward_is_pointed_at_the_window_corners(notebook, reference, answers):
    ns = with_edit(reference, answers, "pool_forward", ("vert_start = h * stride", "vert_start = h"),
                   ("horiz_start = w * stride", "horiz_start = w"))
    message = run_public(notebook, ns, "test_pool_forward_published")
    assert "stride 2" in message and "window corners" in message and "h * stride" in message


def test_the_shifted_maximum_mask_fails_the_public_test(notebook, reference, answers):
    ns = with_edit(reference, answers, "create_mask_from_window", ("mask = (x == np.max(x))", "mask = x >= np.max(x) - 0.5"))
    message = run_public(notebook, ns, "test_create_mask_from_window_published")
    assert "only the maximum itself is True" in message


@pytest.mark.parametrize("name", ["cnn_layers", "cnn_application"])
def test_every_public_test_names_the_functions_it_relies_on(name):
    """`uses` lists the helpers the reference calls and the graded functions the test itself calls,
    so a failure they cause is traced back to them."""
    assignment = Assignment.from_source(REPO / "source" / name / f"{name}.ipynb")
    checked = 0
    for test in assignment.tests:
        if test.hidden:
            continue
        tree = ast.parse(test.source)
        [decorator] = [d for node in tree.body if isinstance(node, ast.FunctionDef) for d in node.decorator_list]
        assert isinstance(decorator, ast.Call) and decorator.func.id == "public_test", test.grade_id
        uses = {e.value for kw in decorator.keywords if kw.arg == "uses" for e in kw.value.elts}
        called = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
        needed = ((called & set(assignment.functions)) | set(assignment.dependencies[test.function])) - {test.function}
        assert uses == needed, test.grade_id
        checked += 1
    assert checked >= len(assignment.functions)
