"""The mutation suite: realistic wrong answers lose points on their own function and nowhere else;
right answers written differently get full marks everywhere. All autograded through nbgrader's
autograde pipeline with the kit's configuration (`coursekit grade`)."""
from __future__ import annotations

import shutil

import nbformat
import pytest

from coursekit.assignment import Assignment
from coursekit.samples import make_submission
from coursekit.scores import maxima, table
from tests.conftest import run
from tests.mutation.cnn_layers_mutants import ALTERNATIVES, MUTANTS


@pytest.fixture(scope="module")
def graded(released_course, tmp_path_factory):
    """Every mutant and alternative as a student, autograded in one `coursekit grade` run."""
    course = tmp_path_factory.mktemp("mutants") / "course"
    shutil.copytree(released_course, course)
    assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
    release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    students = {f"m_{name}": {function: answer} for name, (function, answer) in MUTANTS.items()}
    students.update({f"alt_{name}": answers for name, answers in ALTERNATIVES.items()})
    for student, answers in students.items():
        path = course / "submitted" / student / "cnn_layers" / "cnn_layers.ipynb"
        path.parent.mkdir(parents=True)
        nbformat.write(make_submission(release, assignment, answers), path)
    # nbgrader's autograde pipeline with the kit's preprocessors, two submissions at a time
    # (tests/integration/test_samples.py checks it scores exactly as `nbgrader autograde`)
    run(course, "coursekit", "grade", "cnn_layers", "--workers", "2", timeout=3600)
    rows = {row.student: row.scores for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    return rows, maxima(assignment)


def test_the_suite_is_big_enough():
    assert len(MUTANTS) >= 40 and len(ALTERNATIVES) >= 10
    assert {function for function, _ in MUTANTS.values()} == {
        "zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward",
        "create_mask_from_window", "distribute_value", "pool_backward"}


@pytest.mark.slow
def test_every_mutant_loses_points_on_its_function_only_and_every_alternative_gets_full_marks(graded, capsys):
    rows, top = graded
    survivors, leaks, false_fails = [], [], []
    for name, (function, _) in MUTANTS.items():
        scores = rows[f"m_{name}"]
        if scores[function] >= top[function]:
            survivors.append(name)
        leaks += [f"{name} -> {other}" for other in top if other != function and scores[other] < top[other]]
    for name in ALTERNATIVES:
        false_fails += [f"{name}: {f} {s:g}/{top[f]:g}" for f, s in rows[f"alt_{name}"].items() if s < top[f]]
    killed = len(MUTANTS) - len(survivors)
    with capsys.disabled():
        print(f"\nmutation suite: kill rate {killed}/{len(MUTANTS)} = {killed / len(MUTANTS):.0%}; "
              f"points lost outside the mutated function: {len(leaks)}; false-fail rate "
              f"{len({f.split(':')[0] for f in false_fails})}/{len(ALTERNATIVES)}")
    assert not survivors, f"mutants that kept full marks: {survivors}"
    assert not leaks, f"mutants that cost points in another function: {leaks}"
    assert not false_fails, f"right answers that lost points: {false_fails}"


# What a mistake must cost, cell by cell (issue 24): a wrong db costs the points of db (public 1 +
# hidden 1), not those of dA_prev and dW; [pad:-pad] costs dA_prev's pad = 0 points (public 1 +
# hidden 2); a mask that takes entries near the maximum gets nothing.
LOSSES = {"cb_db_averaged": ("conv_backward", 2), "cb_db_divided_by_m": ("conv_backward", 2),
          "cb_unpad_minus_pad": ("conv_backward", 3), "mask_shifted_max": ("create_mask_from_window", 2)}


@pytest.mark.slow
def test_a_mistake_costs_the_points_of_what_it_breaks_and_no_more(graded):
    rows, top = graded
    lost = {name: top[function] - rows[f"m_{name}"][function] for name, (function, _) in LOSSES.items()}
    assert lost == {name: points for name, (_, points) in LOSSES.items()}
