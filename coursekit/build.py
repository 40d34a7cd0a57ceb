"""Build everything that is generated from ``source/``: one command, never edited by hand.

    notebooks/<a>/<a>.py  --jupytext-->  source/<a>/<a>.ipynb   (the instructor's notebook)
    source/<a>            --nbgrader generate_assignment-->  release/<a>    (students)
    source/<a>            --nbgrader generate_solution-->    solutions/<a>  (after the deadline)
    release + samples/<a>.py  -->  submitted/<student>/<a>/<a>.ipynb        (sample class)
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat

from coursekit.assignment import Assignment, nbgrader_meta
from coursekit.course import ROOT, Paths
from coursekit.samples import load_students, write_samples


def notebook_from_text(text: Path) -> nbformat.NotebookNode:
    """The source notebook from its plain-text twin, with stable cell ids and no outputs."""
    nb = jupytext.read(text)
    nb.metadata.pop("jupytext", None)
    nb.metadata.setdefault("language_info", {"name": "python"})
    for index, cell in enumerate(nb.cells):
        cell["id"] = nbgrader_meta(cell).get("grade_id") or f"cell-{index:03d}"
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    nbformat.validate(nb)
    return nb


def write_if_changed(nb: nbformat.NotebookNode, path: Path) -> bool:
    text = nbformat.writes(nb) + "\n"
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return True


def nbgrader(*args: str) -> None:
    """Run a stock nbgrader command from the course root, with the kit's config."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}   # kernels draw inline
    result = subprocess.run([sys.executable, "-m", "nbgrader", *args, "--log-level=WARN"],
                            cwd=ROOT, capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise RuntimeError(f"nbgrader {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")


def build_source(paths: Paths) -> bool:
    return write_if_changed(notebook_from_text(paths.text), paths.source)


def build_release(paths: Paths) -> None:
    shutil.rmtree(paths.release_dir, ignore_errors=True)
    nbgrader("generate_assignment", paths.assignment, "--force")
    _normalise(paths.release)


def build_solutions(paths: Paths) -> None:
    shutil.rmtree(paths.solutions_dir, ignore_errors=True)
    nbgrader("generate_solution", paths.assignment, "--force")
    _normalise(paths.solutions_dir / paths.release.name)


def build_samples(paths: Paths) -> list[Path]:
    """The sample class under submitted/, when the assignment has a samples file."""
    if not paths.samples.exists():
        return []
    assignment = Assignment.from_source(paths.source)
    return write_samples(paths.release, assignment, load_students(paths.samples), paths.submitted)


def _normalise(path: Path) -> None:
    """Stable bytes for generated notebooks (nbformat's own layout, trailing newline)."""
    write_if_changed(nbformat.read(path, as_version=4), path)


def build(assignment: str, solutions: bool = True, samples: bool = True) -> None:
    paths = Paths(assignment)
    build_source(paths)
    build_release(paths)
    if solutions:
        build_solutions(paths)
    if samples:
        build_samples(paths)
