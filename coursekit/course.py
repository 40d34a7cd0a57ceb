"""Where things are in the course repository, and its nbgrader configuration."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

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

    @property
    def source_dir(self) -> Path:
        return self.root / "source" / self.assignment

    @property
    def source(self) -> Path:
        return self.source_dir / f"{self.assignment}.ipynb"

    @property
    def release_dir(self) -> Path:
        return self.root / "release" / self.assignment

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
        return self.root / "submitted" / student / self.assignment / f"{self.assignment}.ipynb"


def assignments(root: Path = ROOT) -> list[str]:
    """Assignments that have a plain-text source notebook."""
    folder = root / "notebooks"
    return sorted(p.name for p in folder.iterdir() if (p / f"{p.name}.py").exists()) if folder.exists() else []
