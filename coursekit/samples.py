"""Make submissions from answers: the sample students, the mutants and the alternatives.

A student's answer to a function is one of
- a list of ``(old, new)`` edits applied to the reference answer (each ``old`` must occur),
- a string with the student's whole answer cell,
- ``None``: the cell is left as released (the student did not get to it).
The reference answer is the source notebook's answer cell with its solution markers turned
into the START/END CODE HERE lines students see, so a sample reads like a real student's cell.
"""
from __future__ import annotations

import copy
import importlib.util
from collections.abc import Callable
from pathlib import Path
from typing import Any

import nbformat

from coursekit.assignment import Assignment, nbgrader_meta

Answer = None | str | list[tuple[str, str]]


def student_view(answer: str) -> str:
    """A reference answer as a student would have written it, between the stub markers."""
    lines = []
    for line in answer.splitlines():
        stripped = line.strip()
        indent = line[: len(line) - len(line.lstrip())]
        if stripped == "### BEGIN SOLUTION":
            lines.append(indent + "### START CODE HERE ###")
        elif stripped == "### END SOLUTION":
            lines.append(indent + "### END CODE HERE ###")
        else:
            lines.append(line)
    return "\n".join(lines)


def answer_text(assignment: Assignment, function: str, answer: Answer) -> str | None:
    """The text of one answer cell, or None to keep the released stub."""
    if answer is None:
        return None
    if isinstance(answer, str):
        return answer.strip("\n")
    text = student_view(assignment.answers[function])
    for old, new in answer:
        if old not in text:
            raise ValueError(f"edit of {function}: {old!r} is not in the reference answer")
        text = text.replace(old, new)
    return text


def make_submission(release: Any, assignment: Assignment, answers: dict[str, Answer]) -> Any:
    """A copy of the release notebook with the given answer cells filled in.

    Functions not named in ``answers`` get the reference answer.
    """
    nb = copy.deepcopy(release)
    for cell in nb.cells:
        function = nbgrader_meta(cell).get("grade_id")
        if function in assignment.functions:
            text = answer_text(assignment, function, answers.get(function, []))
            if text is not None:
                cell.source = text
    return nb


def load_students(path: Path) -> dict[str, dict[str, Answer]]:
    """The ``STUDENTS`` table of a samples module."""
    spec = importlib.util.spec_from_file_location(f"samples_{path.stem}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.STUDENTS


def write_samples(release_path: Path, assignment: Assignment, students: dict[str, dict[str, Answer]],
                  target: Callable[[str], Path]) -> list[Path]:
    """Write one submission per student to ``target(student)``; returns the paths."""
    release = nbformat.read(release_path, as_version=4)
    written = []
    for student, answers in students.items():
        path = Path(target(student))
        path.parent.mkdir(parents=True, exist_ok=True)
        nb = release if answers == "untouched" else make_submission(release, assignment, answers)
        nbformat.write(nb, path)
        written.append(path)
    return written
