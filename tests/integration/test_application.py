"""cnn_application is graded like cnn_layers: the sample class gets the scores its mistakes deserve,
function by function, every test cell is scored, and grading never trains the full network."""
from __future__ import annotations

import shutil

import nbformat
import pytest

from coursekit.assignment import Assignment
from coursekit.scores import table
from tests.conftest import REPO, run

ASSIGNMENT = "cnn_application"
FUNCTIONS = ["normalize_images", "one_hot", "initialize_parameters", "model_forward", "compute_cost",
             "model_backward", "random_mini_batches", "train_model", "predict", "confusion_matrix"]
POINTS = [2, 3, 4, 8, 4, 10, 5, 8, 3, 3]

# What each sample student (samples/cnn_application.py) deserves, per function, and why.
EXPECTED = {
    "reference": POINTS,
    "untouched": [0] * len(FUNCTIONS),
    # pixels not scaled: 0 of 2; one-hot as (n_classes, m): 0 of 3; no ReLU in the backward pass:
    # only the dense layer's gradients are right (1 + 2 of 10)
    "ada": [0, 0, 4, 8, 4, 3, 5, 8, 3, 3],
    # sum instead of mean: only the gradient's tests, public and hidden (2 of 4); labels shuffled
    # apart from the images: sizes, "every image once" and the images' order pass, the pairs and the published test fail
    # (3 of 5); learning rate ignored: the exact tests fail, the network still learns (2 of 8);
    # dropout when predicting too: only the test without a dropout_seed fails (7 of 8)
    "ben": [2, 3, 4, 7, 2, 10, 3, 2, 3, 3],
    # Glorot from fan_in: only the shapes (1 of 4); channels-first flatten: only the output shape and
    # the public test of the caches (2 of 8), and in the backward pass only the dense gradients (3 of 10);
    # train_model is right and is graded with the grader's helpers in place of hers: 8 of 8
    "chloe": [2, 3, 1, 2, 4, 3, 5, 8, 3, 3],
    # the same shuffle every epoch and the last batch's cost: only "it learns" (2 of 8); argmax
    # over the examples: 0 of 3; confusion matrix left as released: 0 of 3
    "dev": [2, 3, 4, 8, 4, 10, 5, 2, 0, 0],
    # right answers written differently: full marks
    "eli": POINTS,
}


@pytest.fixture(scope="module")
def graded(released_course, tmp_path_factory):
    course = tmp_path_factory.mktemp("application") / "course"
    shutil.copytree(released_course, course)
    for student in EXPECTED:
        shutil.copytree(REPO / "submitted" / student / ASSIGNMENT, course / "submitted" / student / ASSIGNMENT)
    result = run(course, "coursekit", "grade", ASSIGNMENT, "--workers", "2")
    return course, result


def test_the_points_table_of_the_notebook():
    assignment = Assignment.from_source(REPO / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    assert assignment.functions == FUNCTIONS
    points = {f: sum(t.points for t in assignment.tests if t.function == f) for f in FUNCTIONS}
    assert [points[f] for f in FUNCTIONS] == POINTS and sum(POINTS) == 50
    assert sum(1 for t in assignment.tests if t.hidden) >= 20
    assert {"load_data", "train_course_model", "train_bigger_model"} <= assignment.skip_at_grading
    assert assignment.dependencies["train_model"] == ["initialize_parameters", "model_forward", "compute_cost",
                                                      "model_backward", "random_mini_batches"]


@pytest.mark.slow
def test_each_sample_student_gets_what_their_mistakes_deserve(graded):
    course, result = graded
    assignment = Assignment.from_source(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    got = {row.student: [row.scores[f] for f in FUNCTIONS]
           for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    assert got == EXPECTED, result.stdout[-3000:]


@pytest.mark.slow
def test_every_test_cell_is_scored_nothing_is_flagged_and_the_network_is_not_trained(graded):
    course, _ = graded
    assignment = Assignment.from_source(course / "source" / ASSIGNMENT / f"{ASSIGNMENT}.ipynb")
    for student in EXPECTED:
        nb = nbformat.read(course / "autograded" / student / ASSIGNMENT / f"{ASSIGNMENT}.ipynb", as_version=4)
        assert nb.metadata["coursekit"]["flags"] == [], (student, nb.metadata["coursekit"]["flags"])
        scored = [c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade")]
        assert len(scored) == len(assignment.tests)
        # the training cells print their cost every 10 epochs: at grading they must not have run
        printed = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.outputs)
        assert "Cost after epoch" not in printed, student


@pytest.mark.slow
def test_feedback_explains_failures_without_showing_hidden_tests(graded):
    course, _ = graded
    run(course, "nbgrader", "generate_feedback", ASSIGNMENT, "--log-level=WARN")
    page = (course / "feedback" / "ben" / ASSIGNMENT / f"{ASSIGNMENT}.html").read_text()
    assert "some images are paired with another image" in page          # the failure is explained
    assert "BEGIN HIDDEN TESTS" not in page and "_train_reference" not in page and "_forward_reference" not in page
    assert "default_rng(49201)" not in page                            # no hidden inputs
