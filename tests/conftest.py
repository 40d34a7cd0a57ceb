"""Shared fixtures: a throwaway copy of the course, and commands run in it."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
# course copies live elsewhere: point them at the shared data sets (nbgrader_config.py reads this)
os.environ.setdefault("COURSEKIT_DATASETS", str(REPO.parent / "shared" / "datasets"))
COPIED = ["coursekit", "notebooks", "samples", "source", "release", "solutions", "submitted",
          "nbgrader_config.py", "requirements.txt"]


def fill_data_or_skip(assignment: str) -> None:
    """Fill ``source/<assignment>/datasets`` from the configured location, as the build does.

    Without the data (a clone with no ``../shared`` beside it) the test is skipped and says where
    the data should be; with ``COURSEKIT_REQUIRE_DATA`` set (CI sets it) that is a failure instead.
    """
    from coursekit import datasets
    from coursekit.pipeline import load_config
    config = load_config(REPO)
    why = datasets.missing(config, assignment)
    if why:
        (pytest.fail if os.environ.get("COURSEKIT_REQUIRE_DATA") else pytest.skip)(why)
    datasets.fill(config, assignment, REPO / "source" / assignment)


def copy_course(target: Path, students: list[str] | None = None) -> Path:
    """The tracked course files in ``target`` (no gradebook, nothing graded)."""
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "datasets")
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            if name == "submitted" and students is not None:
                for student in students:
                    shutil.copytree(src / student, target / name / student, ignore=ignore)
            else:
                shutil.copytree(src, target / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, target / name)
    return target


def run(course: Path, *args: str, check: bool = True, timeout: float = 900) -> subprocess.CompletedProcess:
    """Run ``python -m <args>`` in the course copy with this interpreter."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="session")
def released_course(tmp_path_factory) -> Path:
    """A course copy whose gradebook knows the assignments (generate_assignment has run)."""
    course = copy_course(tmp_path_factory.mktemp("released") / "course", students=[])
    (course / "submitted").mkdir(exist_ok=True)
    for name in sorted(p.name for p in (course / "source").iterdir() if (p / f"{p.name}.ipynb").exists()):
        run(course, "nbgrader", "generate_assignment", name, "--force", "--log-level=WARN")
    return course


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Path:
    """A fresh copy of the released course (with its gradebook) for one test."""
    target = tmp_path / "course"
    shutil.copytree(released_course, target)
    return target
