"""The one writer of the gradebook: records grading results in batched transactions.

Workers grade and never write the gradebook; the process that collects their results records
them here, as nbgrader's ``SaveAutoGrades``, ``AssignLatePenalties`` and ``RecordFlags`` would,
but many submissions per transaction: a batch is written when it holds ``batch_size`` results
or its oldest result is ``batch_seconds`` old, and on ``flush``/exit. A crash loses at most the
batch in memory, never a half-written one (one transaction), and nothing is recorded twice:
each submission is updated in place or created once. A lost batch is simply graded again by the
next run (``grade.plan`` sees those submissions are not in the gradebook).
"""
from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from nbgrader import utils
from nbgrader.api import (Assignment, Comment, Grade, Gradebook, Student, SubmittedAssignment,
                          SubmittedNotebook)
from nbgrader.preprocessors import AssignLatePenalties
from sqlalchemy.orm import selectinload
from traitlets.config import Config

from coursekit.pipeline import NotebookResult, SubmissionResult


class GradebookWriter:
    """Records ``SubmissionResult``s; use as a context manager so the last batch is written."""

    def __init__(self, config: Config, db_url: str, batch_size: int = 100, batch_seconds: float = 1.0) -> None:
        self.gb = Gradebook(db_url)
        self.late = AssignLatePenalties(config=config)
        self.late.init_plugin()
        self.batch_size, self.batch_seconds = batch_size, batch_seconds
        self.pending: dict[tuple[str, str], SubmissionResult] = {}   # the last result per submission
        self.oldest = 0.0
        self.assignments: dict[str, Assignment] = {}
        self.cell_names: dict[str, str] = {}       # cell id -> name, read once per assignment

    def __enter__(self) -> GradebookWriter:
        return self

    def __exit__(self, *exc: Any) -> None:
        try:
            self.flush()
        finally:
            self.gb.close()

    def record(self, result: SubmissionResult) -> None:
        """Queue one result; writes the batch when it is full or old enough."""
        if not self.pending:
            self.oldest = time.monotonic()
        self.pending[(result.assignment, result.student)] = result
        if len(self.pending) >= self.batch_size or time.monotonic() - self.oldest >= self.batch_seconds:
            self.flush()

    def flush(self) -> None:
        """Write every queued result in one transaction."""
        if not self.pending:
            return
        batch, self.pending = list(self.pending.values()), {}
        db = self.gb.db
        try:
            with db.no_autoflush:
                written = [pair for assignment in {r.assignment for r in batch}
                           for pair in self._write(assignment, [r for r in batch if r.assignment == assignment])]
            db.flush()
            for result, submission, notebooks in written:
                self._late_penalties(result, submission, notebooks)
            db.commit()
        except BaseException:
            db.rollback()
            raise

    # -- one assignment's share of a batch

    def _assignment(self, name: str) -> Assignment:
        if name not in self.assignments:
            assignment = self.gb.find_assignment(name)
            for notebook in assignment.notebooks:
                for cell in notebook.grade_cells + notebook.solution_cells + notebook.task_cells:
                    self.cell_names[cell.id] = cell.name
            self.assignments[name] = assignment
        return self.assignments[name]

    def _submissions(self, assignment: Assignment, students: Iterable[str]) -> dict[str, SubmittedAssignment]:
        """The existing submissions of these students, with their notebooks, grades and comments."""
        query = (self.gb.db.query(SubmittedAssignment)
                 .filter(SubmittedAssignment.assignment_id == assignment.id,
                         SubmittedAssignment.student_id.in_(list(students)))
                 .options(selectinload(SubmittedAssignment.notebooks).selectinload(SubmittedNotebook.grades),
                          selectinload(SubmittedAssignment.notebooks).selectinload(SubmittedNotebook.comments),
                          selectinload(SubmittedAssignment.notebooks).selectinload(SubmittedNotebook.notebook)))
        return {submission.student_id: submission for submission in query}

    def _new_submission(self, assignment: Assignment, student: Student) -> SubmittedAssignment:
        """A submission mirroring the assignment's structure, as nbgrader's add_submission makes it."""
        submission = SubmittedAssignment(assignment=assignment, student=student)
        for notebook in assignment.notebooks:
            nb = SubmittedNotebook(notebook=notebook, assignment=submission)
            for cell in notebook.grade_cells:
                Grade(cell_id=cell.id, notebook=nb)
            for cell in notebook.solution_cells:
                Comment(cell_id=cell.id, notebook=nb)
            for cell in notebook.task_cells:
                Comment(cell_id=cell.id, notebook=nb)
                Grade(cell_id=cell.id, notebook=nb)
        self.gb.db.add(submission)
        return submission

    def _write(self, name: str, results: list[SubmissionResult]) -> list[tuple]:
        db, assignment = self.gb.db, self._assignment(name)
        ids = [r.student for r in results]
        students = {s.id: s for s in db.query(Student).filter(Student.id.in_(ids))}
        submissions = self._submissions(assignment, ids)
        written = []
        for result in results:
            student = students.get(result.student)
            if student is None:
                student = students[result.student] = Student(id=result.student)
                db.add(student)
            submission = submissions.get(result.student) or self._new_submission(assignment, student)
            if result.timestamp:
                submission.timestamp = utils.parse_utc(result.timestamp)
            notebooks = {nb.notebook.name: nb for nb in submission.notebooks}
            outcomes = [(outcome, notebooks[outcome.notebook]) for outcome in result.notebooks]
            for outcome, notebook in outcomes:
                self._scores(outcome, notebook)
            written.append((result, submission, outcomes))
        return written

    def _scores(self, outcome: NotebookResult, notebook: SubmittedNotebook) -> None:
        names = self.cell_names
        for grade in notebook.grades:
            name = names[grade.cell_id]
            if outcome.missing:
                grade.auto_score, grade.needs_manual_grade = 0, False
            elif name in outcome.scores:
                grade.auto_score = outcome.scores[name]
                grade.needs_manual_grade = grade.manual_score is not None or grade.auto_score is None
        comments = {names[c.cell_id]: c for c in notebook.comments}
        for name, text in outcome.comments.items():
            if name in comments:
                comments[name].auto_comment = text
        if outcome.flags:
            notebook.flagged = True
        notebook.late_submission_penalty = None

    def _late_penalties(self, result: SubmissionResult, submission: SubmittedAssignment,
                        outcomes: list[tuple[NotebookResult, SubmittedNotebook]]) -> None:
        if submission.total_seconds_late <= 0:
            return
        for outcome, notebook in outcomes:
            if outcome.missing:
                continue
            self.gb.db.expire(notebook, ["score"])      # the score as just written, not as loaded
            penalty = self.late.plugin_inst.late_submission_penalty(
                result.student, notebook.score, submission.total_seconds_late)
            if penalty is not None:
                notebook.late_submission_penalty = self.late._check_late_penalty(notebook, penalty)
