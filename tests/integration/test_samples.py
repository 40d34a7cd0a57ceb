"""The sample class gets the scores its mistakes deserve, function by function, through both
`python -m coursekit grade` and stock `nbgrader autograde`, and the two agree to the cell."""
from __future__ import annotations

import re
import shutil

import pytest
from nbgrader.api import Gradebook

from coursekit.assignment import Assignment
from coursekit.scores import table
from tests.conftest import REPO, grader_only_lines, run

FUNCTIONS = ["zero_pad", "conv_single_step", "conv_forward", "pool_forward",
             "conv_backward", "create_mask_from_window", "distribute_value", "pool_backward"]

# What each sample student deserves, per function, and why.
EXPECTED = {
    "reference": [2, 3, 8, 5, 12, 2, 2, 8],
    "untouched": [0, 0, 0, 0, 0, 0, 0, 0],
    # stride forgotten: only the output shape and the cache are right (2 + 1 + 1 of 8);
    # `=` for `+=`: only windows that do not overlap come out right (2 of 8)
    "ada": [2, 3, 4, 5, 12, 2, 2, 2],
    # float(b) raises on NumPy 2: nothing of conv_single_step, yet conv_forward keeps its 8;
    # ceil: the published sizes divide evenly, so only the public test and the cache pass (2 of 5)
    "ben": [2, 0, 8, 2, 12, 2, 2, 8],
    # no bias: only "returns a scalar" (1 of 3); [pad:-pad]: only dA_prev with pad = 0 fails, in
    # the public test and the hidden one (9 of 12; dW and db keep their points);
    # dz not divided: nothing of distribute_value
    "chloe": [2, 1, 8, 5, 9, 2, 0, 8],
    # height and width swapped: only the cache is right, public and hidden (2 of 8); column-wise
    # max: 0 of 2; the backward passes left as released: 0
    "dev": [2, 3, 2, 5, 0, 0, 2, 0],
    # vectorised forward passes: full marks
    "eli": [2, 3, 8, 5, 12, 2, 2, 8],
}


def gradebook_cells(course) -> dict:
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        out = {}
        for submission in gb.find_assignment("cnn_layers").submissions:
            for notebook in submission.notebooks:
                for grade in notebook.grades:
                    out[(submission.student.id, grade.name)] = (grade.auto_score, grade.needs_manual_grade)
                out[(submission.student.id, "flagged")] = notebook.flagged
        return out


@pytest.fixture(scope="module")
def graded_both_ways(released_course, sample_class_graded, tmp_path_factory):
    """The sample class graded by `coursekit grade --workers 2` (the session's, see conftest.py)
    and by stock `nbgrader autograde`."""
    course = tmp_path_factory.mktemp("nbgrader") / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(REPO / "submitted", course / "submitted", dirs_exist_ok=True)
    run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=WARN")
    return {"coursekit": sample_class_graded, "nbgrader": course}


@pytest.mark.slow
def test_each_sample_student_gets_what_their_mistakes_deserve(graded_both_ways):
    course = graded_both_ways["coursekit"]
    assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
    assert assignment.functions == FUNCTIONS
    got = {row.student: [row.scores[f] for f in FUNCTIONS] for row in table(
        f"sqlite:///{course / 'gradebook.db'}", assignment)}
    assert got == EXPECTED


@pytest.mark.slow
def test_coursekit_grade_and_nbgrader_autograde_agree_on_every_cell(graded_both_ways):
    ours = gradebook_cells(graded_both_ways["coursekit"])
    stock = gradebook_cells(graded_both_ways["nbgrader"])
    assert ours == stock
    cells = len(Assignment.from_source(graded_both_ways["coursekit"] / "source" / "cnn_layers" / "cnn_layers.ipynb").tests)
    assert cells == 33 and len(ours) == len(EXPECTED) * (cells + 1)     # every graded cell and the flag


@pytest.mark.slow
def test_every_test_cell_is_scored_and_nothing_needs_manual_grading(graded_both_ways):
    for course in graded_both_ways.values():
        cells = gradebook_cells(course)
        scores = {k: v for k, v in cells.items() if k[1] != "flagged"}
        assert all(score is not None and not manual for score, manual in scores.values())
        assert not any(v for k, v in cells.items() if k[1] == "flagged")


@pytest.mark.slow
def test_grading_again_skips_what_is_graded_and_force_regrades(graded_both_ways):
    course = graded_both_ways["coursekit"]
    before = gradebook_cells(course)
    again = run(course, "coursekit", "grade", "cnn_layers", "--workers", "1")
    assert "7 submission(s) already graded, skipped" in again.stdout
    assert "graded 0, skipped 7" in again.stdout
    (course / "autograded" / "ada" / "cnn_layers" / "cnn_layers.ipynb").unlink()
    partly = run(course, "coursekit", "grade", "cnn_layers", "--workers", "1")
    assert "graded 1, skipped 6" in partly.stdout
    forced = run(course, "coursekit", "grade", "cnn_layers", "--workers", "2", "--force")
    assert "graded 7, skipped 0" in forced.stdout
    assert gradebook_cells(course) == before


@pytest.mark.slow
def test_feedback_and_export_work_with_stock_nbgrader(graded_both_ways):
    course = graded_both_ways["nbgrader"]
    run(course, "nbgrader", "generate_feedback", "cnn_layers", "--log-level=WARN")
    run(course, "nbgrader", "export", "--to", "grades.csv", "--log-level=WARN")
    page = (course / "feedback" / "ada" / "cnn_layers" / "cnn_layers.html").read_text()
    assert "values wrong at some positions" in page             # the failure is explained
    assert "BEGIN HIDDEN TESTS" not in page and not re.search(r"\bgrading\.\w", page)
    assert "default_rng(22229)" not in page                     # no hidden test code or inputs
    assert not [line for line in grader_only_lines("cnn_layers") if line in page]
    lines = [line for line in (course / "grades.csv").read_text().splitlines() if line.startswith("cnn_layers,")]
    assert len(lines) == len(EXPECTED)         # one row per student (other assignments have rows of their own)
    assert any(line.startswith("cnn_layers,,,ada,") and ",32.0," in line for line in lines)


@pytest.mark.slow
def test_the_instructor_report_shows_where_the_class_struggles(graded_both_ways):
    course = graded_both_ways["coursekit"]
    out = run(course, "coursekit", "report", "cnn_layers")
    assert "cnn_layers_report.html" in out.stdout
    page = (course / "reports" / "cnn_layers_report.html").read_text()
    assert page.count("<img src='data:image/png;base64,") == 8          # one histogram per function
    assert "test_conv_single_step_published" in page and "failed by 3 of 7" in page
    assert "values wrong at some positions" in page                       # the common failure messages
    assert "Slowest submissions" in page and "Flagged submissions" in page
    rows = (course / "reports" / "cnn_layers_scores.csv").read_text().splitlines()
    assert rows[0].startswith("student,zero_pad,conv_single_step") and len(rows) == 1 + len(EXPECTED)
    assert "ada,2,3,4,5,12,2,2,2,32,42," in rows


@pytest.mark.slow
def test_every_graded_notebook_is_valid_nbformat(sample_class_graded):
    """The grader builds outputs without checking each against the schema: the notebooks it
    writes (every kind of output: printed text, results, errors, notes) still validate whole."""
    import nbformat
    graded = sorted((sample_class_graded / "autograded").glob("*/cnn_layers/cnn_layers.ipynb"))
    assert len(graded) == len(EXPECTED)
    kinds = set()
    for path in graded:
        nb = nbformat.read(path, as_version=4)
        nbformat.validate(nb)
        kinds |= {o.output_type for c in nb.cells if c.cell_type == "code" for o in c.outputs}
    assert kinds >= {"stream", "error"}, kinds    # results: tests/unit/test_outputs.py
