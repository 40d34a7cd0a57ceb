"""Hypothesis-drawn edits of right and wrong submissions, graded together by stock `nbgrader
autograde` with the kit's config (one batch of drawn submissions is one example, so the run
stays within a few minutes): every grade is scored, no function earns more than its answer,
and a right answer whose cell is intact keeps its full marks."""
from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import nbformat
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from nbgrader.api import Gradebook

from coursekit.assignment import Assignment
from coursekit.samples import make_submission
from coursekit.scores import maxima, table
from tests.conftest import run
from tests.notebook_edits import apply, as_read, edits, intact_answers

MISTAKES = {   # scores [3, 3, 3, 6, 8, 2, 0, 2] when graded as it is
    "conv_forward": [("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")],
    "pool_backward": [("horiz_end, c] += mask", "horiz_end, c] = mask"),
                      ("horiz_end, c] += distribute_value", "horiz_end, c] = distribute_value")],
    "distribute_value": None}
BATCH = 20


@pytest.mark.slow
@settings(max_examples=1, deadline=None, database=None, phases=[Phase.generate],
          suppress_health_check=list(HealthCheck))
@given(batch=st.lists(st.tuples(edits, st.booleans()), min_size=BATCH, max_size=BATCH))
def test_edited_submissions_are_scored_and_earn_no_more_than_their_answers(released_course, batch):
    with tempfile.TemporaryDirectory() as tmp:
        course = Path(tmp) / "course"
        shutil.copytree(released_course, course)
        assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
        release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
        reference = {True: make_submission(release, assignment, {}),
                     False: make_submission(release, assignment, MISTAKES)}
        submissions = {"control_right": (reference[True], True), "control_wrong": (reference[False], False)}
        for n, (drawn, right) in enumerate(batch):
            submissions[f"fuzz_{n:02d}_{'right' if right else 'wrong'}"] = (apply(reference[right], drawn), right)
        for student, (nb, _) in submissions.items():
            path = course / "submitted" / student / "cnn_layers" / "cnn_layers.ipynb"
            path.parent.mkdir(parents=True)
            nbformat.write(nb, path)
        result = run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=ERROR", check=False, timeout=1800)
        assert result.returncode == 0, result.stderr[-3000:]
        with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
            grades = [g for s in gb.find_assignment("cnn_layers").submissions for nb in s.notebooks for g in nb.grades]
            assert len(grades) == len(submissions) * len(assignment.tests)
            assert all(g.auto_score is not None and not g.needs_manual_grade for g in grades)
        rows = {row.student: row.scores for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    full = maxima(assignment)
    assert rows["control_right"] == full
    for student, (nb, right) in submissions.items():
        control = rows["control_right" if right else "control_wrong"]
        for function in assignment.functions:
            assert rows[student][function] <= control[function], (student, function)
        if right:
            for function in intact_answers(as_read(nb), reference[True]):
                assert rows[student][function] == full[function], (student, function)
