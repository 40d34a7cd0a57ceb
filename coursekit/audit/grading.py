"""Grade mutants with the kit's own pipeline, in a throwaway copy of the course.

The copy holds the kit, the assignment's source and the course configuration (with shorter
deadlines: a mutant that loops is killed by its timeout, and the reference is graded first
to show those deadlines are generous). ``nbgrader generate_assignment`` makes its release and
gradebook; every mutant is a student whose notebook is the reference answers with one answer
cell replaced; ``coursekit.grade.run_local`` grades them in parallel in the sandbox, exactly as
``python -m coursekit grade`` does. While the reference is graded, the runner's observer hook
records every call the tests make to the student's functions (the input space they reach).
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from coursekit.assignment import Assignment
from coursekit.audit.mutate import Mutant
from coursekit.course import Paths, load_config
from coursekit.grade import run_local
from coursekit.pipeline import Pipeline, SubmissionResult
from coursekit.runner import NotebookGrader
from coursekit.samples import make_submission

REFERENCE = "audit-reference"
DEADLINES = """
# --- coursekit audit: shorter deadlines for mutants (the reference must still pass) ---
c.SandboxedExecute.cell_timeout = 10
c.SandboxedExecute.test_timeout = 15
c.SandboxedExecute.submission_timeout = 300
"""
Scores = dict[str, float]
Observer = Callable[[str, str, tuple, dict], None]


def course_copy(root: Path, assignment: str, target: Path) -> Path:
    """The assignment's source, its grader-only module and the configuration in ``target``,
    released (the kit itself is the installed one)."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "datasets")
    shutil.copytree(root / "source" / assignment, target / "source" / assignment, ignore=ignore)
    grading = Paths(assignment, root).grading                 # what the hidden tests call `grading`
    if grading.exists():
        target_grading = Paths(assignment, target).grading
        target_grading.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(grading, target_grading)
    config = (root / "nbgrader_config.py").read_text()
    (target / "nbgrader_config.py").write_text(config + DEADLINES)
    (target / "submitted").mkdir()
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", assignment, "--force",
                             "--log-level=WARN"], cwd=target, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader generate_assignment failed in the audit's course copy:\n{result.stderr[-3000:]}")
    return target


def write_submissions(course: Path, assignment: Assignment, mutants: list[Mutant]) -> list[str]:
    """One student per mutant (and the reference); returns their ids."""
    release = nbformat.read(course / "release" / assignment.name / f"{assignment.notebook}.ipynb", as_version=4)
    students: dict[str, dict] = {REFERENCE: {}} | {student_id(m): {m.function: m.cell} for m in mutants}
    for student, answers in students.items():
        path = course / "submitted" / student / assignment.name / f"{assignment.notebook}.ipynb"
        path.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(make_submission(release, assignment, answers), path)
    return list(students)


def student_id(mutant: Mutant) -> str:
    return f"mutant-{mutant.id}"


def scores_of(result: SubmissionResult) -> Scores:
    if result.error is not None:
        raise RuntimeError(f"grading {result.student} failed:\n{result.error}")
    return {cell: float(score or 0) for nb in result.notebooks for cell, score in nb.scores.items()}


def grade_reference(course: Path, assignment: Assignment, observer: Observer) -> Scores:
    """Grade the reference answers here, with the runner's observer recording the tests' calls."""
    saved = list(sys.path)
    NotebookGrader.observer = staticmethod(observer)     # a class attribute, not a method
    try:
        pipeline = Pipeline(load_config(course))
        return scores_of(pipeline.grade(assignment.name, REFERENCE, [assignment.notebook]))
    finally:
        NotebookGrader.observer = None
        sys.path[:] = saved


def grade_mutants(course: Path, assignment: Assignment, students: list[str], workers: int,
                  progress: Callable[[], Any] = lambda: None) -> dict[str, Scores]:
    """Grade the mutants' submissions in parallel worker processes, as ``coursekit grade`` does."""
    graded: dict[str, Scores] = {}

    def on_result(result: SubmissionResult) -> None:
        graded[result.student] = scores_of(result)
        progress()

    run_local(assignment.name, students, [assignment.notebook], workers, on_result, root=course)
    return graded


def lost_points(scores: Scores, maxima: Scores) -> list[str]:
    """The test cells that did not get all their points."""
    return [cell for cell, top in maxima.items() if scores.get(cell, 0.0) < top]


def test_maxima(assignment: Assignment) -> Scores:
    return {t.grade_id: t.points for t in assignment.tests}


def function_tests(assignment: Assignment) -> dict[str, list[str]]:
    tests = defaultdict(list)
    for t in assignment.tests:
        tests[t.function].append(t.grade_id)
    return dict(tests)
