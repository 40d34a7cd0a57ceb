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
from typing import Any
from uuid import uuid4

from nbgrader import utils
from nbgrader.api import Assignment, Comment, Grade, Gradebook, Student, SubmittedAssignment, SubmittedNotebook
from nbgrader.preprocessors import AssignLatePenalties
from sqlalchemy import bindparam, insert, select, update
from traitlets.config import Config

from coursekit.pipeline import SubmissionResult


class GradebookWriter:
    """Records ``SubmissionResult``s; use as a context manager so the last batch is written."""

    def __init__(self, config: Config, db_url: str, batch_size: int = 100, batch_seconds: float = 1.0) -> None:
        self.gb = Gradebook(db_url)
        self.late = AssignLatePenalties(config=config)
        self.late.init_plugin()
        self.batch_size, self.batch_seconds = batch_size, batch_seconds
        self.pending: dict[tuple[str, str], SubmissionResult] = {}   # the last result per submission
        self.oldest = 0.0
        self.structures: dict[str, _Structure] = {}

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
        """Write every queued result in one transaction (bulk statements; the ORM only for the
        late penalties of submissions past their due date)."""
        if not self.pending:
            return
        batch, self.pending = list(self.pending.values()), {}
        db = self.gb.db
        try:
            late = []
            for name in sorted({r.assignment for r in batch}):
                late += self._write(name, [r for r in batch if r.assignment == name])
            if late:
                self._late_penalties(late)
            db.commit()
        except BaseException:
            db.rollback()
            raise

    # -- one assignment's share of a batch

    def _assignment(self, name: str) -> _Structure:
        if name not in self.structures:
            self.structures[name] = _Structure(self.gb.find_assignment(name))
        return self.structures[name]

    def _write(self, name: str, results: list[SubmissionResult]) -> list[SubmissionResult]:
        """Bulk-write one assignment's results; returns those submitted after the due date."""
        db, structure = self.gb.db, self._assignment(name)
        ids = [r.student for r in results]
        known = set(db.scalars(select(Student.id).where(Student.id.in_(ids))))
        if set(ids) - known:
            db.execute(insert(Student.__table__), [{"id": s} for s in sorted(set(ids) - known)])
        subs = {row.student_id: row.id for row in db.execute(
            select(SUBMISSION.c.id, SUBMISSION.c.student_id)
            .where(SUBMISSION.c.assignment_id == structure.id, SUBMISSION.c.student_id.in_(ids)))}
        existing = self._existing_rows(list(subs.values()))
        rows: dict[str, list[dict]] = {"submission": [], "notebook": [], "grade": [], "comment": []}
        updates: dict[str, list[dict]] = {"timestamp": [], "notebook": [], "grade": [], "comment": []}
        late = []
        for result in results:
            stamp = utils.parse_utc(result.timestamp) if result.timestamp else None
            if result.student in subs:
                if stamp is not None:
                    updates["timestamp"].append({"sid": subs[result.student], "timestamp": stamp})
                self._update(structure, existing, subs[result.student], result, updates)
            else:
                self._create(structure, result, stamp, rows)
            if stamp is None and result.student in subs:
                late.append(result)         # the recorded time decides: let nbgrader's own code read it
            elif stamp is not None and structure.duedate is not None and stamp > structure.duedate:
                late.append(result)
        for table, values in (("submission", SUBMISSION), ("notebook", NOTEBOOK), ("grade", GRADE),
                              ("comment", COMMENT)):
            if rows[table]:
                db.execute(insert(values), rows[table])
        statements = {
            "timestamp": update(SUBMISSION).where(SUBMISSION.c.id == bindparam("sid"))
            .values(timestamp=bindparam("timestamp")),
            "notebook": update(NOTEBOOK).where(NOTEBOOK.c.id == bindparam("nid"))
            .values(flagged=bindparam("flagged"), late_submission_penalty=None),
            "grade": update(GRADE).where(GRADE.c.id == bindparam("gid"))
            .values(auto_score=bindparam("auto_score"), needs_manual_grade=bindparam("needs_manual_grade")),
            "comment": update(COMMENT).where(COMMENT.c.id == bindparam("cid"))
            .values(auto_comment=bindparam("auto_comment")),
        }
        for key, statement in statements.items():
            if updates[key]:
                db.execute(statement, updates[key], execution_options={"synchronize_session": False})
        return late

    def _existing_rows(self, submission_ids: list[str]) -> dict:
        """For existing submissions: notebooks by (submission, notebook id), and their grades and
        comments by (submitted notebook, cell id)."""
        if not submission_ids:
            return {"notebooks": {}, "grades": {}, "comments": {}}
        db = self.gb.db
        notebooks = {(r.assignment_id, r.notebook_id): (r.id, r.flagged) for r in db.execute(
            select(NOTEBOOK.c.id, NOTEBOOK.c.assignment_id, NOTEBOOK.c.notebook_id, NOTEBOOK.c.flagged)
            .where(NOTEBOOK.c.assignment_id.in_(submission_ids)))}
        nids = [nid for nid, _ in notebooks.values()]
        grades = {(r.notebook_id, r.cell_id): (r.id, r.manual_score) for r in db.execute(
            select(GRADE.c.id, GRADE.c.notebook_id, GRADE.c.cell_id, GRADE.c.manual_score)
            .where(GRADE.c.notebook_id.in_(nids)))}
        comments = {(r.notebook_id, r.cell_id): r.id for r in db.execute(
            select(COMMENT.c.id, COMMENT.c.notebook_id, COMMENT.c.cell_id).where(COMMENT.c.notebook_id.in_(nids)))}
        return {"notebooks": notebooks, "grades": grades, "comments": comments}

    @staticmethod
    def _create(structure: _Structure, result: SubmissionResult, stamp: Any, rows: dict) -> None:
        """Rows for a new submission, mirroring nbgrader's add_submission, with the scores in them."""
        sid = uuid4().hex
        rows["submission"].append({"id": sid, "assignment_id": structure.id, "student_id": result.student,
                                   "timestamp": stamp, "extension": None})
        outcomes = {o.notebook: o for o in result.notebooks}
        for notebook in structure.notebooks.values():
            nid, outcome = uuid4().hex, outcomes.get(notebook.name)
            rows["notebook"].append({"id": nid, "assignment_id": sid, "notebook_id": notebook.id,
                                     "flagged": bool(outcome and outcome.flags), "late_submission_penalty": None})
            for cell_id, name in notebook.grades:
                auto: float | None = None
                manual = True
                if outcome is not None and outcome.missing:
                    auto, manual = 0.0, False
                elif outcome is not None and name in outcome.scores:
                    auto = outcome.scores[name]
                    manual = auto is None
                rows["grade"].append({"id": uuid4().hex, "notebook_id": nid, "cell_id": cell_id,
                                      "auto_score": auto, "manual_score": None, "extra_credit": None,
                                      "needs_manual_grade": manual})
            for cell_id, name in notebook.comments:
                text = outcome.comments.get(name) if outcome is not None else None
                rows["comment"].append({"id": uuid4().hex, "notebook_id": nid, "cell_id": cell_id,
                                        "auto_comment": text, "manual_comment": None})
        missing = set(outcomes) - set(structure.notebooks)
        if missing:
            raise KeyError(f"notebooks {sorted(missing)} are not part of {structure.name}")

    @staticmethod
    def _update(structure: _Structure, existing: dict, sid: str, result: SubmissionResult, updates: dict) -> None:
        """Updates of an existing submission, as nbgrader's SaveAutoGrades would make them."""
        for outcome in result.notebooks:
            notebook = structure.notebooks[outcome.notebook]
            nid, flagged = existing["notebooks"][(sid, notebook.id)]
            updates["notebook"].append({"nid": nid, "flagged": bool(flagged or outcome.flags)})
            for cell_id, name in notebook.grades:
                gid, manual_score = existing["grades"][(nid, cell_id)]
                if outcome.missing:
                    updates["grade"].append({"gid": gid, "auto_score": 0, "needs_manual_grade": False})
                elif name in outcome.scores:
                    auto = outcome.scores[name]
                    updates["grade"].append({"gid": gid, "auto_score": auto,
                                             "needs_manual_grade": manual_score is not None or auto is None})
            for cell_id, name in notebook.comments:
                if name in outcome.comments:
                    updates["comment"].append({"cid": existing["comments"][(nid, cell_id)],
                                               "auto_comment": outcome.comments[name]})

    def _late_penalties(self, results: list[SubmissionResult]) -> None:
        """nbgrader's AssignLatePenalties for these submissions (in the same transaction)."""
        self.gb.db.expire_all()
        for result in results:
            submission = self.gb.find_submission(result.assignment, result.student)
            if submission.total_seconds_late <= 0:
                continue
            for outcome in result.notebooks:
                if outcome.missing:
                    continue
                notebook = self.gb.find_submission_notebook(outcome.notebook, result.assignment, result.student)
                penalty = self.late.plugin_inst.late_submission_penalty(
                    result.student, notebook.score, submission.total_seconds_late)
                if penalty is not None:
                    notebook.late_submission_penalty = self.late._check_late_penalty(notebook, penalty)
        self.gb.db.flush()


SUBMISSION, NOTEBOOK = SubmittedAssignment.__table__, SubmittedNotebook.__table__
GRADE, COMMENT = Grade.__table__, Comment.__table__


class _NotebookCells:
    def __init__(self, notebook: Any) -> None:
        self.id, self.name = notebook.id, notebook.name
        self.grades = [(c.id, c.name) for c in notebook.grade_cells + notebook.task_cells]
        self.comments = [(c.id, c.name) for c in notebook.solution_cells + notebook.task_cells]


class _Structure:
    """An assignment's notebooks and cells, read once."""

    def __init__(self, assignment: Assignment) -> None:
        self.id, self.name, self.duedate = assignment.id, assignment.name, assignment.duedate
        self.notebooks = {nb.name: _NotebookCells(nb) for nb in assignment.notebooks}
