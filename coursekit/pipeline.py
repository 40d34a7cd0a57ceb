"""One submission through nbgrader's autograde pipeline, without writing the gradebook.

``Pipeline.grade`` does what ``nbgrader autograde`` does for one student, in the same order and
with the same configured preprocessors (sanitize, then autograde), except the ones that write
the gradebook; it returns what they would have written. ``coursekit.writer`` then writes it, as
nbgrader's ``SaveAutoGrades``, ``AssignLatePenalties`` and ``RecordFlags`` do, in one place.
This split lets many workers grade while one writer owns the gradebook.
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
import time
from dataclasses import dataclass, field
from fnmatch import fnmatch
from pathlib import Path
from typing import Any

import nbformat
from nbgrader import utils
from nbgrader.api import Gradebook, MissingEntry
from nbgrader.converters import Autograde
from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import AssignLatePenalties, SaveAutoGrades
from traitlets.config import Config

from coursekit.assignment import DATA_FOLDER
from coursekit.course import load_config  # noqa: F401  (where the workers' callers found it)
from coursekit.files import kept_files
from coursekit.preprocessors import RecordFlags, SandboxedExecute
from coursekit.timestamps import submission_time

WRITERS = (SaveAutoGrades, AssignLatePenalties, RecordFlags)   # these touch the gradebook


@dataclass
class NotebookResult:
    notebook: str
    missing: bool = False
    scores: dict[str, float | None] = field(default_factory=dict)     # grade cell -> auto score
    comments: dict[str, str | None] = field(default_factory=dict)     # solution/task cell -> auto comment
    flags: list[str] = field(default_factory=list)
    seconds: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)           # seconds per stage (see STAGES)


@dataclass
class SubmissionResult:
    assignment: str
    student: str
    timestamp: str | None
    notebooks: list[NotebookResult]
    seconds: float = 0.0
    error: str | None = None
    startup: float = 0.0          # seconds the worker spent starting (Pipeline.start), told once


def submitted_hash(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else ""


class Pipeline:
    """nbgrader's autograde steps for one student at a time (built once per worker)."""

    def __init__(self, config: Config, db_url: str | None = None) -> None:
        self.config = config
        self.coursedir = CourseDirectory(config=config)
        if db_url:
            self.coursedir.db_url = db_url
        converter = Autograde(coursedir=self.coursedir, config=config)
        self.exporter = converter.exporter_class(parent=converter, config=config)
        self.sanitize = [cls(config=config) for cls in converter.sanitize_preprocessors]
        self.autograde = [cls(config=config) for cls in converter.autograde_preprocessors
                          if not issubclass(cls, WRITERS)]
        self.ignore = self.coursedir.ignore
        self.exclude = converter.exclude_overwriting
        self.pre_convert_hook = converter.pre_convert_hook
        self.startup = 0.0                  # seconds of start not yet told in a result

    def start(self) -> None:
        """Start what every submission needs (the sandbox's zygote) before the first one, so
        that a result's seconds are that submission's; the time is told with the next result."""
        started = time.monotonic()
        for step in self.autograde:
            if isinstance(step, SandboxedExecute):
                step.start()
        self.startup += time.monotonic() - started

    def _resources(self, assignment: str, student: str, notebook: str) -> dict:
        return {"unique_key": notebook, "output_files_dir": f"{notebook}_files",
                "nbgrader": {"student": student, "assignment": assignment, "notebook": notebook,
                             "db_url": self.coursedir.db_url}}

    def _folders(self, assignment: str, student: str) -> tuple[Path, Path, Path]:
        cd = self.coursedir
        return (Path(cd.format_path(cd.submitted_directory, student, assignment)),
                Path(cd.format_path(cd.autograded_directory, student, assignment)),
                Path(cd.format_path(cd.source_directory, ".", assignment)))

    def _copy_files(self, submitted: Path, autograded: Path, source: Path, assignment: str) -> None:
        """As nbgrader, by the kit's policy (coursekit.files): the submission's kept files (never
        code, never links), then the instructor's over them."""
        keep = set(self.exclude.get(assignment, []))
        student = [(submitted / rel, Path(rel)) for rel in kept_files(submitted, assignment, self.ignore, self.config)]
        instructor = [(path, path.relative_to(source)) for path in sorted(source.rglob("*"))]
        for path, rel in student + instructor:
            if (path.is_symlink() or not path.is_file() or path.suffix == ".ipynb"
                    or rel.parts[0] == DATA_FOLDER      # data: read-only in the sandbox, not copied
                    or any(fnmatch(part, pattern) for part in rel.parts for pattern in self.ignore)
                    or (path.is_relative_to(source) and str(rel) in keep)):
                continue
            target = autograded / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            if target.exists():
                target.unlink()
            shutil.copyfile(path, target)

    def _read(self, path: Path, resources: dict) -> Any:
        """The submission as nbgrader's exporter reads it (the kit's exporter: validated once,
        without nbconvert's JSON round trip)."""
        read = getattr(self.exporter, "read_submission", None)
        if read is not None:
            return read(str(path), dict(resources))
        text, _ = self.exporter.from_filename(str(path), resources=dict(resources))
        return nbformat.reads(text, as_version=4)

    def grade(self, assignment: str, student: str, notebooks: list[str]) -> SubmissionResult:
        started = time.monotonic()
        submitted, autograded, source = self._folders(assignment, student)
        if self.pre_convert_hook:             # as nbgrader: links set aside before files are copied
            self.pre_convert_hook(assignment=assignment, student=student,
                                  notebooks=[str(submitted / f"{n}.ipynb") for n in notebooks])
        timestamp = submission_time(self.coursedir, submitted)
        shutil.rmtree(autograded, ignore_errors=True)
        autograded.mkdir(parents=True)
        self._copy_files(submitted, autograded, source, assignment)
        results = []
        for notebook in notebooks:
            path = submitted / f"{notebook}.ipynb"
            if not path.exists():
                results.append(NotebookResult(notebook, missing=True))
                continue
            results.append(self._grade_notebook(path, autograded, assignment, student, notebook))
        for path in autograded.rglob("*"):
            if path.is_file():
                os.chmod(path, 0o644)
        startup, self.startup = self.startup, 0.0
        return SubmissionResult(assignment, student, timestamp.isoformat() if timestamp else None,
                                results, seconds=round(time.monotonic() - started, 3), startup=round(startup, 3))

    def _grade_notebook(self, path: Path, autograded: Path, assignment: str, student: str,
                        notebook: str) -> NotebookResult:
        started = time.monotonic()
        clock = _Stages()
        resources = self._resources(assignment, student, notebook)
        nb = self._read(path, resources)
        clock.lap("read")
        for step in self.sanitize:
            nb, resources = step(nb, resources)
        nb = nbformat.from_dict(json.loads(json.dumps(nb)))      # as nbgrader: written, read again
        clock.lap("sanitize")
        for step in self.autograde:
            nb, resources = step(nb, resources)
            clock.lap("execute" if isinstance(step, SandboxedExecute) else "after")
        nb.metadata.setdefault("coursekit", {})["submitted_sha256"] = submitted_hash(path)
        scores, comments = grades_of(nb)
        target = autograded / f"{notebook}.ipynb"
        partial = target.with_suffix(".ipynb.partial")
        nbformat.write(nb, partial)
        partial.replace(target)
        clock.lap("write")
        phases = nb.metadata["coursekit"].get("phases", {})
        if "execute" in clock.seconds and phases:     # the sandbox's share, as the runner measured it
            clock.seconds["execute"] -= sum(phases.values())
            clock.seconds.update({f"execute: {phase}": value for phase, value in phases.items()})
        return NotebookResult(notebook, scores=scores, comments=comments,
                              flags=list(nb.metadata["coursekit"].get("flags", [])),
                              seconds=round(time.monotonic() - started, 3), stages=clock.rounded())


class _Stages:
    """Seconds spent per stage of one notebook's grading."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.last = time.monotonic()

    def lap(self, stage: str) -> None:
        now = time.monotonic()
        self.seconds[stage] = self.seconds.get(stage, 0.0) + now - self.last
        self.last = now

    def rounded(self) -> dict[str, float]:
        return {stage: round(value, 4) for stage, value in self.seconds.items()}


def grades_of(nb: Any) -> tuple[dict, dict]:
    """The auto scores and auto comments nbgrader's SaveAutoGrades derives from a notebook."""
    scores, comments = {}, {}
    for cell in nb.cells:
        if "nbgrader" not in cell.metadata:
            continue
        grade_id = cell.metadata.nbgrader.get("grade_id")
        if utils.is_grade(cell):
            scores[grade_id] = utils.determine_grade(cell)[0]
        if utils.is_solution(cell) or utils.is_task(cell):
            unchanged = cell.metadata.nbgrader.get("checksum", None) == utils.compute_checksum(cell)
            comments[grade_id] = "No response." if unchanged and not utils.is_task(cell) else None
    return scores, comments


def is_graded(pipeline: Pipeline, gb: Gradebook, assignment: str, student: str, notebooks: list[str]) -> bool:
    """Whether this submission is already in the gradebook, fully scored, from the same files."""
    submitted, autograded, _ = pipeline._folders(assignment, student)
    try:
        submission = gb.find_submission(assignment, student)
    except MissingEntry:
        return False
    for notebook in submission.notebooks:
        if any(grade.auto_score is None and grade.manual_score is None for grade in notebook.grades):
            return False
    for notebook in notebooks:
        graded = autograded / f"{notebook}.ipynb"
        if not graded.exists():
            if (submitted / f"{notebook}.ipynb").exists():
                return False
            continue
        meta = nbformat.read(graded, as_version=4).metadata.get("coursekit", {})
        if meta.get("submitted_sha256") != submitted_hash(submitted / f"{notebook}.ipynb"):
            return False
    return True
