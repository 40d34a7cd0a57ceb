"""What the grader knows about an assignment, read from its source notebook.

The source notebook is the one source of truth: its answer cells (nbgrader solution cells whose
grade_id names the function they define) give the graded functions and their reference
solutions; its test cells (grade_id ``test_<function>...``) give the tests, hidden parts
included; cells tagged ``skip-at-grading`` (figures, training, the data) are not run at grading. The
assignment's grader-only module (``notebooks/<a>/grading.py``: references, tolerances, shared
checks of the hidden tests) joins the reference namespace as ``grading``; it is never copied to
``source/``, so it is never released nor visible in the sandbox.
"""
from __future__ import annotations

import ast
import contextlib
import importlib.util
import io
import os
import sys
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import nbformat

from coursekit.course import Paths, course_root
from coursekit.memo import Remembered

SKIP_AT_GRADING_TAG = "skip-at-grading"   # a cell not run at grading (figures, training, the data)
HIDDEN_BEGIN, HIDDEN_END = "BEGIN HIDDEN TESTS", "END HIDDEN TESTS"   # nbgrader's delimiters (in a line)
DATA_FOLDER = "datasets"          # data next to a notebook: mounted read-only, never copied
GRADING_MODULE = "grading"        # the name the test cells know the grader-only module by


def nbgrader_meta(cell: Any) -> dict:
    meta = cell.get("metadata", {}).get("nbgrader", {})
    return meta if isinstance(meta, dict) else {}


def is_test_cell(cell: Any) -> bool:
    meta = nbgrader_meta(cell)
    return cell.get("cell_type") == "code" and bool(meta.get("grade")) and not meta.get("solution")


def is_answer_cell(cell: Any) -> bool:
    meta = nbgrader_meta(cell)
    return (cell.get("cell_type") == "code" and bool(meta.get("solution"))
            and f"def {meta.get('grade_id')}(" in cell.get("source", ""))


@dataclass
class TestCell:
    grade_id: str
    function: str
    source: str
    points: float
    hidden: bool                     # has a hidden part: nothing of the student's is echoed

    @cached_property
    def code(self) -> Any:
        return compile(self.source, f"<test {self.grade_id}>", "exec")

    @cached_property
    def regions(self) -> list[tuple[bool, Any]]:
        """The cell's code in runs of public and hidden lines, each compiled on its own (line
        numbers kept), in order: (hidden, code). A cell whose hidden region cannot stand alone
        (it sits inside a block) is one hidden region."""
        lines = self.source.splitlines(keepends=True)
        runs: list[tuple[bool, int, list[str]]] = [(False, 0, [])]
        for number, line in enumerate(lines):
            if HIDDEN_BEGIN in line or HIDDEN_END in line:      # nbgrader's rule: a line holding it
                runs.append((HIDDEN_BEGIN in line, number + 1, []))
            else:
                runs[-1][2].append(line)
        try:
            return [(hidden, compile("\n" * start + "".join(body), f"<test {self.grade_id}>", "exec"))
                    for hidden, start, body in runs if "".join(body).strip()]
        except SyntaxError:
            return [(True, self.code)]


@dataclass
class Assignment:
    name: str
    notebook: str
    directory: Path                  # source/<assignment>
    functions: list[str]
    answers: dict[str, str]          # function -> source of its answer cell (with solution)
    tests: list[TestCell]
    skip_at_grading: set[str]        # grade_ids of the cells tagged skip-at-grading
    grader_cells: list[str]          # sources run to build the reference namespace
    dependencies: dict[str, list[str]] = field(default_factory=dict)

    @classmethod
    def from_source(cls, path: str | os.PathLike) -> Assignment:
        path = Path(path).resolve()
        nb = nbformat.read(path, as_version=4)
        functions, answers, tests, skip_at_grading, grader_cells = [], {}, [], set(), []
        for cell in nb.cells:
            meta = nbgrader_meta(cell)
            if cell.cell_type != "code":
                continue
            if SKIP_AT_GRADING_TAG in cell.metadata.get("tags", []):
                skip_at_grading.add(meta.get("grade_id", ""))
                continue
            if is_answer_cell(cell):
                functions.append(meta["grade_id"])
                answers[meta["grade_id"]] = cell.source
            if is_test_cell(cell):
                tests.append(cell)
            else:
                grader_cells.append(cell.source)
        test_cells = [TestCell(c.metadata.nbgrader["grade_id"],
                               _function_of(c.metadata.nbgrader["grade_id"], functions),
                               c.source, float(c.metadata.nbgrader.get("points", 0)), HIDDEN_BEGIN in c.source)
                      for c in tests]
        skip_at_grading.discard("")
        return cls(name=path.parent.name, notebook=path.stem, directory=path.parent, functions=functions,
                   answers=answers, tests=test_cells, skip_at_grading=skip_at_grading,
                   grader_cells=grader_cells,
                   dependencies={f: _helpers_called(answers[f], f, functions) for f in functions})

    @property
    def support_files(self) -> list[tuple[str, str]]:
        """The assignment's other files (its modules), as nbgrader copies them next to submissions."""
        files = []
        for root, dirs, names in os.walk(self.directory):
            dirs[:] = [d for d in dirs if not d.startswith(".") and d not in ("__pycache__", DATA_FOLDER)]
            for name in names:
                if not name.endswith(".ipynb") and not name.startswith("."):
                    full = Path(root, name)
                    files.append((str(full.relative_to(self.directory)), str(full)))
        return sorted(files)

    @property
    def data_folders(self) -> list[tuple[str, str]]:
        """(host directory, name) of the data the sandbox sees read-only next to the notebook."""
        folder = self.directory / DATA_FOLDER
        return [(str(folder), DATA_FOLDER)] if folder.is_dir() else []

    @property
    def grading_path(self) -> Path:
        """The grader-only module, ``notebooks/<a>/grading.py`` of the course this source is in."""
        return Paths(self.name, course_root(self.directory)).grading

    @cached_property
    def reference(self) -> dict[str, Any]:
        """The namespace of the source notebook as the grader runs it: imports and solutions,
        and the grader-only module as ``grading`` when the assignment has one (its
        ``reference`` attribute: the reference solutions, for its own checks)."""
        ns: dict[str, Any] = {"__name__": "__reference__"}
        with _importable(self.directory), _working_directory(self.directory), \
                contextlib.redirect_stdout(io.StringIO()):
            for source in self.grader_cells:
                exec(compile(source, f"<reference {self.name}>", "exec"), ns)
            if self.grading_path.exists():
                solutions = SimpleNamespace(**{f: ns[f] for f in self.functions})
                ns[GRADING_MODULE] = load_grading(self.grading_path, self.name, solutions)
        return ns


    @cached_property
    def remembered(self) -> dict[str, Remembered]:
        """The graded functions' reference solutions, remembering their results across a class
        (``coursekit.memo``): what the tests' fixed inputs give is computed once per process."""
        return {function: Remembered(self.reference[function]) for function in self.functions}


def _function_of(grade_id: str, functions: list[str]) -> str:
    """The function a test cell grades: the longest ``test_<function>`` prefix of its id."""
    matches = [f for f in functions if grade_id == f"test_{f}" or grade_id.startswith(f"test_{f}_")]
    if not matches:
        raise ValueError(f"test cell {grade_id!r} does not name a graded function (test_<function>...)")
    return max(matches, key=len)


def _helpers_called(source: str, function: str, functions: list[str]) -> list[str]:
    """Other graded functions that the reference solution of ``function`` calls."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.FunctionDef) and node.name == function:
            names |= {n.id for n in ast.walk(node) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    return [f for f in functions if f in names and f != function]


def load_grading(path: str | os.PathLike, assignment: str, solutions: Any) -> Any:
    """The grader-only module from its file (not registered in sys.modules; it imports the
    notebook's modules, so run it next to them), its ``reference`` set to ``solutions`` (any
    object with the reference solutions as attributes)."""
    spec = importlib.util.spec_from_file_location(f"{GRADING_MODULE}_{assignment}", path)
    assert spec is not None and spec.loader is not None, path
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    setattr(module, "reference", solutions)  # noqa: B010 (a module attribute mypy cannot know)
    return module


@contextlib.contextmanager
def _working_directory(directory: Path):
    """Reference cells that read files (data sets) find them next to the notebook."""
    before = os.getcwd()
    os.chdir(directory)
    try:
        yield
    finally:
        os.chdir(before)


@contextlib.contextmanager
def _importable(directory: Path):
    """Let the reference cells import the assignment's own modules (trusted copies)."""
    sys.path.insert(0, str(directory))
    try:
        yield
    finally:
        sys.path.remove(str(directory))
