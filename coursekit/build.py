"""Build everything that is generated from ``source/``: one command, never edited by hand.

    notebooks/<a>/<a>.py  --cellheaders, jupytext-->  source/<a>/<a>.ipynb   (the instructor's notebook)
    notebooks/shared/*.py, notebooks/<a>/*.py  --copied-->  source/<a>/  (the modules it imports;
                          not the grader-only audit_spec.py and grading.py)
    source/<a>            --nbgrader generate_assignment-->  release/<a>    (students)
    source/<a>            --nbgrader generate_solution-->    solutions/<a>  (after the deadline)
    release + samples/<a>.py  -->  submitted/<student>/<a>/<a>.ipynb        (sample class)
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path

import jupytext
import nbformat
from traitlets.config import Config

from coursekit import datasets
from coursekit.assignment import Assignment, nbgrader_meta
from coursekit.cellheaders import expand
from coursekit.course import ROOT, Paths, load_config
from coursekit.samples import load_students, write_samples


def notebook_from_text(text: Path) -> nbformat.NotebookNode:
    """The source notebook from its plain-text twin (short cell headers: ``cellheaders``), with
    stable cell ids and no outputs."""
    nb = jupytext.reads(expand(text.read_text(), str(text)), fmt="py:percent")
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
    """The source notebook from its text twin, its modules and the data sets next to it; nothing
    else stays in source/<a>/ (it is generated entirely)."""
    config = load_config(paths.root)
    if datasets.missing(config, paths.assignment):
        # releasing and grading do not read the data; only the worked solutions do (build_solutions)
        print(f"warning: {datasets.missing(config, paths.assignment)}", file=sys.stderr)
    else:
        datasets.fill(config, paths.assignment, paths.source_dir)
    paths.source_dir.mkdir(parents=True, exist_ok=True)
    wanted = {paths.source.name, *(module.name for module in paths.modules)}
    for stale in paths.source_dir.iterdir():
        if stale.is_file() and stale.name not in wanted:
            stale.unlink()
    for module in paths.modules:
        target = paths.source_dir / module.name
        if not target.exists() or target.read_bytes() != module.read_bytes():
            shutil.copyfile(module, target)
    return write_if_changed(notebook_from_text(paths.text), paths.source)


def build_release(paths: Paths) -> None:
    shutil.rmtree(paths.release_dir, ignore_errors=True)
    nbgrader("generate_assignment", paths.assignment, "--force")
    _normalise(paths.release)


SOLUTION_CONFIG = ("GenerateSolution", "Execute", "ClearSolutions", "ClearHiddenTests", "ClearMarkScheme",
                   "IncludeHeaderFooter", "LockCells", "ClearOutput",
                   "CoalesceStreamsPreprocessor")   # what generate_solution reads


def source_fingerprint(paths: Paths) -> str:
    """A hash of everything the worked solutions are made from: the notebook as they execute it
    (without its hidden tests), its modules and data, and the configuration of ``nbgrader
    generate_solution`` (not the rest of the course's configuration: changing how autograding
    works, or a hidden test, does not retrain the networks)."""
    config = load_config(paths.root)
    digest = hashlib.sha256()
    for path in sorted(p for p in paths.source_dir.rglob("*") if p.is_file() and "__pycache__" not in p.parts):
        digest.update(str(path.relative_to(paths.source_dir)).encode())
        digest.update(_without_hidden_tests(path, config) if path == paths.source else path.read_bytes())
    for section in SOLUTION_CONFIG:
        values = config.get(section, {})
        digest.update(f"{section}={sorted((k, _stable(v)) for k, v in values.items())!r}".encode())
    return digest.hexdigest()


def _without_hidden_tests(notebook: Path, config: Config) -> bytes:
    """The source notebook as ``generate_solution`` executes it: its hidden tests cleared first."""
    from nbgrader.preprocessors import ClearHiddenTests
    nb, _ = ClearHiddenTests(config=config).preprocess(nbformat.read(notebook, as_version=4), {})
    return nbformat.writes(nb).encode()


def _stable(value: object) -> str:
    """A configuration value as text that does not change between runs (classes by name)."""
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(_stable(v) for v in value) + "]"
    if isinstance(value, type):
        return f"{value.__module__}.{value.__qualname__}"
    return repr(value)


def build_solutions(paths: Paths, force: bool = False) -> bool:
    """Execute the worked solutions, unless they were made from exactly this source."""
    target = paths.solutions_dir / paths.release.name
    absent = datasets.missing(load_config(paths.root), paths.assignment)
    if absent and target.exists():
        print(f"warning: keeping the committed worked solutions of {paths.assignment}: {absent}", file=sys.stderr)
        return False
    fingerprint = source_fingerprint(paths)
    if not force and target.exists() and nbformat.read(target, as_version=4).metadata.get(
            "coursekit", {}).get("source_sha256") == fingerprint:
        return False
    shutil.rmtree(paths.solutions_dir, ignore_errors=True)
    nbgrader("generate_solution", paths.assignment, "--force")
    nb = nbformat.read(target, as_version=4)
    nb.metadata["coursekit"] = {"source_sha256": fingerprint}
    write_if_changed(nb, target)
    return True


def build_samples(paths: Paths) -> list[Path]:
    """The sample class under submitted/, when the assignment has a samples file."""
    if not paths.samples.exists():
        return []
    assignment = Assignment.from_source(paths.source)
    return write_samples(paths.release, assignment, load_students(paths.samples), paths.submitted)


def _normalise(path: Path) -> None:
    """Stable bytes for generated notebooks (nbformat's own layout, trailing newline)."""
    write_if_changed(nbformat.read(path, as_version=4), path)


def build(assignment: str, solutions: bool = True, samples: bool = True, force: bool = False) -> None:
    paths = Paths(assignment)
    build_source(paths)
    build_release(paths)
    if solutions:
        build_solutions(paths, force=force)
    if samples:
        build_samples(paths)
