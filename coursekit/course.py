"""Where things are in the course repository (nbgrader's folders as its CourseDirectory says),
and its nbgrader configuration."""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config, PyFileConfigLoader


def course_root(start: Path | None = None) -> Path:
    """The course directory: the nearest folder at or above ``start`` (default: the working
    directory) holding ``nbgrader_config.py``, as for nbgrader's commands; else ``start`` itself.
    The kit is an installed package, so it never looks for the course where its own code is."""
    here = (start or Path.cwd()).resolve()
    return next((p for p in (here, *here.parents) if (p / "nbgrader_config.py").exists()), here)


ROOT = course_root()


def load_config(root: Path = ROOT) -> Config:
    """The course's nbgrader configuration (nbgrader_config.py at the root)."""
    return PyFileConfigLoader("nbgrader_config.py", path=str(root)).load_config()


GRADING_FILE = "grading.py"         # notebooks/<a>/: references, tolerances, checks of the hidden tests
SPEC_FILE = "audit_spec.py"         # notebooks/<a>/: the audit's contract (coursekit/audit/spec.py)
GRADER_ONLY = (SPEC_FILE, GRADING_FILE)   # in notebooks/<a>/: for the grader, never copied to source/


@dataclass(frozen=True)
class Paths:
    """The files of one assignment, by role."""
    assignment: str
    root: Path = ROOT

    @property
    def notebook_dir(self) -> Path:
        """What the instructor writes: the notebook's text, its modules, the grader-only files."""
        return self.root / "notebooks" / self.assignment

    @property
    def text(self) -> Path:
        """The plain-text twin of the source notebook (jupytext percent format, short headers)."""
        return self.notebook_dir / f"{self.assignment}.py"

    @property
    def grading(self) -> Path:
        """The grader-only module of the hidden tests (loaded as ``grading`` at grading only)."""
        return self.notebook_dir / GRADING_FILE

    @property
    def modules(self) -> list[Path]:
        """The modules the notebook imports, copied next to it: ``notebooks/shared/*.py`` and the
        assignment's own ``notebooks/<a>/*.py`` but its text and the grader-only files."""
        own = [p for p in self.notebook_dir.glob("*.py") if p != self.text and p.name not in GRADER_ONLY]
        return sorted([*(self.root / "notebooks" / "shared").glob("*.py"), *own], key=lambda p: p.name)

    @cached_property
    def _coursedir(self) -> CourseDirectory:
        config = load_config(self.root) if (self.root / "nbgrader_config.py").exists() else Config()
        return CourseDirectory(config=config, root=str(self.root))   # nbgrader's defaults without one

    def folder(self, step: str, student: str = ".") -> Path:
        """nbgrader's folder of ``step`` ("source", "release", "submitted", "autograded",
        "feedback") for this assignment and ``student``, as the course's CourseDirectory says
        (``"*"`` for every student: a glob pattern)."""
        coursedir = self._coursedir
        return Path(coursedir.format_path(getattr(coursedir, f"{step}_directory"), student, self.assignment))

    def class_folder(self, step: str) -> Path:
        """The folder holding every student's folder of ``step`` (``submitted/``, ``autograded/``)."""
        coursedir = self._coursedir
        return Path(coursedir.format_path(getattr(coursedir, f"{step}_directory"), ".", ".")).resolve()

    @property
    def source_dir(self) -> Path:
        return self.folder("source")

    @property
    def source(self) -> Path:
        return self.source_dir / f"{self.assignment}.ipynb"

    @property
    def release_dir(self) -> Path:
        return self.folder("release")

    @property
    def release(self) -> Path:
        return self.release_dir / f"{self.assignment}.ipynb"

    @property
    def solutions_dir(self) -> Path:
        return self.root / "solutions" / self.assignment

    @property
    def samples(self) -> Path:
        """The sample students' answers, as edits of the reference answers."""
        return self.root / "samples" / f"{self.assignment}.py"

    def submitted(self, student: str) -> Path:
        return self.folder("submitted", student) / f"{self.assignment}.ipynb"


def assignments(root: Path = ROOT) -> list[str]:
    """Assignments that have a plain-text source notebook."""
    folder = root / "notebooks"
    return sorted(p.name for p in folder.iterdir() if (p / f"{p.name}.py").exists()) if folder.exists() else []
