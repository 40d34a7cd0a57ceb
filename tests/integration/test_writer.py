"""The batched gradebook writer records what nbgrader would, once, and all of a batch or none."""
from __future__ import annotations

import pytest
from nbgrader.api import Gradebook

from coursekit.pipeline import NotebookResult, SubmissionResult, load_config
from coursekit.writer import GradebookWriter


def cell_names(db_url: str) -> tuple[list[str], list[str]]:
    with Gradebook(db_url) as gb:
        notebook = gb.find_assignment("cnn_layers").notebooks[0]
        return [c.name for c in notebook.grade_cells], [c.name for c in notebook.solution_cells]


def result(student: str, grades: list[str], answers: list[str], score: float, flags=()) -> SubmissionResult:
    outcome = NotebookResult("cnn_layers", scores={g: score for g in grades},
                             comments={a: None for a in answers}, flags=list(flags))
    return SubmissionResult("cnn_layers", student, "2026-01-01T10:00:00", [outcome])


def recorded(db_url: str) -> dict[str, list]:
    with Gradebook(db_url) as gb:
        return {s.student.id: sorted((g.name, g.auto_score) for nb in s.notebooks for g in nb.grades)
                for s in gb.find_assignment("cnn_layers").submissions}


@pytest.mark.slow
def test_a_batch_records_every_submission_once_and_updates_in_place(course):
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    grades, answers = cell_names(db_url)
    config = load_config(course)
    with GradebookWriter(config, db_url, batch_size=7) as writer:
        for i in range(20):
            writer.record(result(f"s{i:02d}", grades, answers, 1.0, flags=["timeout"] if i == 3 else []))
        writer.record(result("s05", grades, answers, 0.0))     # a regrade in the same run
    rows = recorded(db_url)
    assert len(rows) == 20
    assert all(score == 1.0 for name, score in rows["s00"]) and len(rows["s00"]) == len(grades)
    assert all(score == 0.0 for name, score in rows["s05"])
    with GradebookWriter(config, db_url) as writer:               # a later run: updated, not added
        writer.record(result("s00", grades, answers, 0.5))
    rows = recorded(db_url)
    assert len(rows) == 20 and all(score == 0.5 for name, score in rows["s00"])
    with Gradebook(db_url) as gb:
        assert gb.find_submission_notebook("cnn_layers", "cnn_layers", "s03").flagged
        assert not gb.find_submission_notebook("cnn_layers", "cnn_layers", "s04").flagged
        assert len(gb.students) == 20


@pytest.mark.slow
def test_a_batch_that_fails_leaves_nothing_half_written(course):
    db_url = f"sqlite:///{course / 'gradebook.db'}"
    grades, answers = cell_names(db_url)
    writer = GradebookWriter(load_config(course), db_url, batch_size=100)
    writer.record(result("good", grades, answers, 1.0))
    broken = result("broken", grades, answers, 1.0)
    broken.notebooks[0].notebook = "no_such_notebook"            # fails while the batch is written
    writer.record(broken)
    with pytest.raises(KeyError):
        writer.flush()
    writer.gb.close()
    assert recorded(db_url) == {}
