"""Scores per student and per graded function, read from the nbgrader gradebook."""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry

from coursekit.assignment import Assignment


@dataclass
class Row:
    student: str
    scores: dict[str, float]          # function -> points earned
    total: float
    flags: bool


def function_of_cell(assignment: Assignment, grade_id: str) -> str | None:
    for test in assignment.tests:
        if test.grade_id == grade_id:
            return test.function
    return None


def maxima(assignment: Assignment) -> dict[str, float]:
    """Points available per function."""
    points: dict[str, float] = {f: 0.0 for f in assignment.functions}
    for test in assignment.tests:
        points[test.function] += test.points
    return points


def table(db_url: str, assignment: Assignment) -> list[Row]:
    """One row per student with a submission of ``assignment``."""
    rows = []
    with Gradebook(db_url) as gb:
        try:
            submissions = gb.find_assignment(assignment.name).submissions
        except MissingEntry:
            return []
        for submission in sorted(submissions, key=lambda s: s.student.id):
            scores = {f: 0.0 for f in assignment.functions}
            flagged = False
            for notebook in submission.notebooks:
                flagged = flagged or bool(notebook.flagged)
                for grade in notebook.grades:
                    function = function_of_cell(assignment, grade.name)
                    if function is not None:
                        scores[function] += float(grade.score or 0.0)
            rows.append(Row(submission.student.id, scores, sum(scores.values()), flagged))
    return rows


def write_csv(rows: list[Row], assignment: Assignment, path: Path) -> None:
    """Per-student, per-function scores as CSV."""
    path.parent.mkdir(parents=True, exist_ok=True)
    top = maxima(assignment)
    with open(path, "w", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["student", *assignment.functions, "total", "max", "flagged"])
        for row in rows:
            out.writerow([row.student, *(f"{row.scores[f]:g}" for f in assignment.functions),
                          f"{row.total:g}", f"{sum(top.values()):g}", "yes" if row.flags else ""])
