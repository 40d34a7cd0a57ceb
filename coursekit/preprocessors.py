"""nbgrader plugins of the kit, one per concern, configured in ``nbgrader_config.py``.

- ``SandboxedExecute`` replaces nbgrader's ``Execute`` in ``Autograde.autograde_preprocessors``:
  student code runs in the sandbox, tests run in the grading process.
- ``DetectTampering`` (sanitize step, before ``RebuildStructure``) notes edited or deleted locked
  cells and a changed kernel in the notebook's metadata.
- ``RestoreKernelspec`` is nbgrader's ``OverwriteKernelspec`` reading the gradebook once per class.
- ``RecordFlags`` (last) marks flagged submissions in the gradebook, where the formgrader shows them.
- ``TolerantNotebookExporter`` reads a submission that is not a valid notebook as the untouched
  release, flagged ``unreadable``, so it is graded (zero) instead of aborting the batch; cells
  with corrupt nbgrader metadata lose it instead of failing the submission.
- ``ValidateCellMetadata`` is nbgrader's ``CheckCellMetadata`` with its schema compiled once.
"""
from __future__ import annotations

import atexit
import copy
import functools
import json
import os
import re
from pathlib import Path
from typing import Any

import jsonschema
import nbformat
from nbconvert.exporters import NotebookExporter
from nbgrader.api import Gradebook
from nbgrader.coursedir import CourseDirectory
from nbgrader.nbgraderformat import MetadataValidator, ValidationError
from nbgrader.preprocessors import CheckCellMetadata, ClearHiddenTests, NbGraderPreprocessor, OverwriteKernelspec
from traitlets import Bool, Dict, Enum, Float, Integer, List, Unicode

from coursekit.assignment import Assignment
from coursekit.flags import Flag
from coursekit.known import KnownNotebook, known_notebook
from coursekit.runner import GradingConfig, NotebookGrader
from coursekit.sandbox.jail import (
    DEFAULT_PRELOAD,
    FULL_ISOLATION,
    MODES,
    IsolationUnavailable,
    Limits,
    Zygote,
    choose_isolation,
)

_zygotes: dict[tuple, Zygote] = {}
_assignments: dict[tuple, Assignment] = {}


def shared_zygote(preload: tuple[str, ...], isolation: str = "auto") -> Zygote:
    """One zygote per grading process and preload list, started on first use (for the paths of
    ``isolation``; ``Zygote.open`` restarts it if a session needs the other kind)."""
    if preload not in _zygotes:
        zygote = Zygote(preload)
        zygote.start(isolation)
        atexit.register(zygote.stop)
        _zygotes[preload] = zygote
    return _zygotes[preload]


def load_assignment(path: Path) -> Assignment:
    """The assignment read from its source notebook, cached until the file changes."""
    key = (str(path), path.stat().st_mtime_ns)
    if key not in _assignments:
        _assignments[key] = Assignment.from_source(path)
    return _assignments[key]


KIT_METADATA = "coursekit"     # the notebook metadata the kit records grading in (flags, mode, times)


def add_flags(nb: Any, *flags: str, **details: Any) -> None:
    """Record flags (and details) in the notebook's ``coursekit`` metadata."""
    meta = nb.metadata.setdefault(KIT_METADATA, {})
    meta["flags"] = sorted(set(meta.get("flags", [])) | {str(f) for f in flags})
    meta.update(details)


def source_notebook(config: Any, assignment_id: str, notebook_id: str) -> Path:
    coursedir = CourseDirectory(config=config)
    folder = coursedir.format_path(coursedir.source_directory, ".", assignment_id)
    return Path(folder, f"{notebook_id}.ipynb").resolve()


class SandboxedExecute(NbGraderPreprocessor):
    """Execute a submission safely: student code sandboxed, scoring in this process."""

    cell_timeout = Float(30.0, help="Seconds each cell (and each statement) may run.").tag(config=True)
    test_timeout = Float(60.0, help="Seconds each test cell may spend in student code.").tag(config=True)
    submission_timeout = Float(600.0, help="Seconds for a whole notebook.").tag(config=True)
    max_restarts = Integer(20, help="Sandbox restarts allowed per notebook.").tag(config=True)
    isolation = Enum(["auto", "strict", *MODES], "auto",
                     help="'auto': the strongest mode this machine allows; 'strict': full isolation "
                          "(root or userns) or refuse to grade; or one of 'root' (namespaces, needs root), "
                          "'userns' (unprivileged namespaces), 'landlock', 'none' (rlimits only).").tag(config=True)
    memory_mb = Integer(2048, help="Address space of each sandboxed process, in MiB.").tag(config=True)
    session_memory_mb = Integer(2048, help="Memory of a whole sandbox session, all its processes "
                                           "together, in MiB (its cgroup, where cgroups can be had).").tag(config=True)
    cpu_seconds = Integer(300, help="CPU seconds of each sandboxed process.").tag(config=True)
    max_processes = Integer(64, help="Processes a sandbox may run at once.").tag(config=True)
    max_file_mb = Integer(64, help="Largest file a sandboxed process may write, in MiB.").tag(config=True)
    open_files = Integer(256, help="Open files of each sandboxed process.").tag(config=True)
    tmpfs_mb = Integer(128, help="Size of the sandbox's /tmp and working directory, in MiB.").tag(config=True)
    notebook_output_chars = Integer(400_000, help="Characters of the student's own output kept in one "
                                                  "graded notebook (all cells together).").tag(config=True)
    uid_base = Integer(200_000, help="Sandboxes run as uid_base + a process id.").tag(config=True)
    preload = List(Unicode(), list(DEFAULT_PRELOAD), help="Modules imported once, before forking.").tag(config=True)
    data_dirs = Dict({}, help="Per assignment, {name: host directory} mounted read-only "
                              "in the sandbox's working directory.").tag(config=True)

    def limits(self) -> Limits:
        return Limits(memory_mb=self.memory_mb, session_memory_mb=self.session_memory_mb,
                      cpu_seconds=self.cpu_seconds, max_processes=self.max_processes,
                      max_file_mb=self.max_file_mb, tmpfs_mb=self.tmpfs_mb, open_files=self.open_files)

    def grading_config(self, assignment_id: str) -> GradingConfig:
        data = [(str(Path(host).resolve()), name)
                for name, host in self.data_dirs.get(assignment_id, {}).items()]
        return GradingConfig(cell_timeout=self.cell_timeout, test_timeout=self.test_timeout,
                             submission_timeout=self.submission_timeout, max_restarts=self.max_restarts,
                             isolation=self.isolation, uid_base=self.uid_base, limits=self.limits(),
                             notebook_text_cap=self.notebook_output_chars, data_dirs=data)

    def start(self) -> None:
        """Start the zygote now rather than in the first submission (a worker does this once, so
        its time per submission is what grading one costs); a sandbox that cannot be had here is
        left for ``preprocess`` to report, notebook by notebook."""
        try:
            shared_zygote(tuple(self.preload), choose_isolation(self.isolation))
        except (IsolationUnavailable, RuntimeError, OSError) as problem:   # each notebook will say why
            self.log.warning("the sandbox could not be started ahead: %s", problem)

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        ids = resources["nbgrader"]
        assignment = load_assignment(source_notebook(self.config, ids["assignment"], ids["notebook"]))
        grader = NotebookGrader(assignment, shared_zygote(tuple(self.preload)),
                                self.grading_config(ids["assignment"]))
        report = grader.grade(nb)
        add_flags(nb, *report.pop("flags"), **report)
        if nb.metadata["coursekit"]["flags"]:
            self.log.warning("%s/%s flagged: %s", ids.get("student"), ids["notebook"],
                             ", ".join(nb.metadata["coursekit"]["flags"]))
        self.log.info("%s/%s graded in isolation mode %r", ids.get("student"), ids["notebook"], report["isolation"])
        if report["isolation"] not in FULL_ISOLATION:
            add_flags(nb, Flag.PARTIAL_ISOLATION)
            self.log.warning("Student code ran in isolation mode %r, below full isolation (see the "
                             "README's isolation modes)", report["isolation"])
        return nb, resources


def _known(config: Any, resources: dict) -> KnownNotebook | None:
    ids = resources["nbgrader"]
    return known_notebook(ids["db_url"], ids["assignment"], ids["notebook"],
                          source_notebook(config, ids["assignment"], ids["notebook"]))


class DetectTampering(NbGraderPreprocessor):
    """Note locked cells that were edited or deleted, and a changed kernel, before they are restored."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        source = _known(self.config, resources)
        if source is None:
            return nb, resources
        flags = set()
        present = {}
        for cell in nb.cells:
            grade_id = cell.metadata.get("nbgrader", {}).get("grade_id") if isinstance(
                cell.metadata.get("nbgrader"), dict) else None
            if grade_id:
                present[grade_id] = cell
        for original in source.source_cells:
            if not original.locked:
                continue
            cell = present.get(original.name)
            if cell is None:
                flags.add(Flag.DELETED_LOCKED_CELLS)
            elif cell.source != _released_text(original.source):
                flags.add(Flag.EDITED_LOCKED_CELLS)
        kernel = nb.metadata.get("kernelspec", {})
        if isinstance(kernel, dict) and source.kernelspec and kernel.get("name") != source.kernelspec.get("name"):
            flags.add(Flag.KERNEL_CHANGED)
        if flags:
            add_flags(nb, *flags)
        return nb, resources


class RestoreKernelspec(OverwriteKernelspec):
    """nbgrader's OverwriteKernelspec (the source's kernel in the graded notebook), reading the
    gradebook once per class instead of once per submission."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        source = _known(self.config, resources)
        if source is not None and source.kernelspec:
            nb.metadata["kernelspec"] = copy.deepcopy(source.kernelspec)
        return nb, resources


@functools.lru_cache(maxsize=4096)
def _released_text(source: str) -> str:
    """A locked cell's text as students received it (hidden tests removed by nbgrader's own rule)."""
    cell = nbformat.from_dict({"cell_type": "code", "source": source, "metadata": {}})
    ClearHiddenTests(enforce_metadata=False)._remove_hidden_test_region(cell)
    return cell.source


@functools.lru_cache(maxsize=1)
def _metadata_schema() -> tuple[int, Any]:
    """nbgrader's cell-metadata schema, compiled once."""
    schema = MetadataValidator().schema
    return MetadataValidator.schema_version, jsonschema.validators.validator_for(schema)(schema)


def metadata_problem(cell: Any) -> str | None:
    """Why a cell's nbgrader metadata is invalid (as nbgrader's CheckCellMetadata sees it), or None."""
    meta = cell.get("metadata", {}).get("nbgrader")
    if meta is None:
        return None
    if not isinstance(meta, dict):
        return "not a dictionary"
    try:
        meta_json = json.dumps(meta, sort_keys=True)
    except (TypeError, ValueError):           # not JSON data: nbgrader's schema rejects it too
        return "not JSON data"
    if len(meta_json) > REMEMBERED_METADATA_CHARACTERS:    # not kept for the class: honest ones are ~200
        return _metadata_problem.__wrapped__(meta_json)
    return _metadata_problem(meta_json)


REMEMBERED_METADATA_CHARACTERS = 4_000    # larger metadata is checked every time, never kept for the class


@functools.lru_cache(maxsize=4096)
def _metadata_problem(meta_json: str) -> str | None:
    """``metadata_problem`` of one metadata dictionary (as JSON): a class shares most of them."""
    meta = json.loads(meta_json)
    version, validator = _metadata_schema()
    if meta.get("schema_version", 0) != version:
        return f"schema version {meta.get('schema_version')!r}, expected {version}"
    error = jsonschema.exceptions.best_match(validator.iter_errors(meta))
    return error.message if error is not None else None


class ValidateCellMetadata(CheckCellMetadata):
    """nbgrader's CheckCellMetadata with the schema compiled once: same checks, same errors."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        for cell in nb.cells:
            problem = metadata_problem(cell)
            if problem is not None:
                self.log.error("invalid nbgrader metadata: %s", problem)
                raise ValidationError("Notebook failed to validate; the nbgrader metadata may be corrupted.")
        return nb, resources


class RecordFlags(NbGraderPreprocessor):
    """Mark the submitted notebook as flagged in the gradebook when grading flagged it."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        flags = nb.metadata.get("coursekit", {}).get("flags", [])
        if flags:
            ids = resources["nbgrader"]
            with Gradebook(ids["db_url"]) as gb:
                notebook = gb.find_submission_notebook(ids["notebook"], ids["assignment"], ids["student"])
                notebook.flagged = True
                gb.db.commit()
        return nb, resources


class TolerantNotebookExporter(NotebookExporter):
    """Read submissions that are not valid notebooks (or far too large) as the untouched release,
    flagged."""

    max_notebook_mb = Float(8.0, help="Submitted notebooks larger than this (MiB) are graded as the "
                                      "untouched release and flagged unreadable: what grading writes "
                                      "stays bounded by it.").tag(config=True)

    # nbconvert validates the whole notebook after each of its (here all disabled) preprocessors
    # unless this is set; once at the end is enough.
    optimistic_validation = Bool(True, help=NotebookExporter.optimistic_validation.help).tag(config=True)

    def from_filename(self, filename: str, resources: dict | None = None,  # type: ignore[override]
                      **kw: Any) -> tuple[str, dict]:
        return self.from_notebook_node(self.read_submission(filename, resources), resources, **kw)

    def read_submission(self, filename: str, resources: dict | None = None) -> Any:
        """The submitted notebook, validated once; an unreadable one as the flagged release."""
        try:
            if os.path.realpath(filename) != os.path.abspath(filename):
                raise PermissionError("the submitted notebook is a symbolic link")
            if os.path.getsize(filename) > self.max_notebook_mb * 2**20:
                raise ValueError(f"the submitted notebook is larger than {self.max_notebook_mb:g} MiB")
            with open(filename, encoding="utf-8") as file:
                nb = nbformat.convert(nbformat.reader.read(file), 4)
            if KIT_METADATA in nb.metadata and self._reading_the_students_file():
                del nb.metadata[KIT_METADATA]     # the kit's record of grading: never the student's
                add_flags(nb, Flag.METADATA_REPAIRED)
            self._repair_ids(nb, filename)
            nbformat.validate(nb)
        except Exception as exc:          # not JSON, not a notebook, not valid, or a link
            nb = self._placeholder(filename, resources or {})
            add_flags(nb, Flag.UNREADABLE, unreadable_reason=f"{type(exc).__name__}: {exc}"[:300])
            self.log.warning("%s is not a valid notebook (%s); graded as the untouched release",
                             filename, type(exc).__name__)
        self._repair_metadata(nb, filename)
        return nb

    def _reading_the_students_file(self) -> bool:
        """Whether this read is of the submitted file, not of nbgrader's second read of what the
        sanitize steps wrote to autograded/ (``Autograde._sanitizing``; the kit's pipeline reads once)."""
        return bool(getattr(self.parent, "_sanitizing", True))

    def _repair_ids(self, nb: Any, filename: str) -> None:
        """Cell ids nbformat rejects (wrong characters, too long, not strings) are replaced, and
        repeated tags dropped, so that such a notebook is read rather than graded as unreadable."""
        seen: set[str] = set()
        for cell in nb.get("cells", []) if isinstance(nb.get("cells"), list) else []:
            if not isinstance(cell, dict):
                continue
            tags = cell.get("metadata", {}).get("tags") if isinstance(cell.get("metadata"), dict) else None
            if isinstance(tags, list) and len(set(map(str, tags))) != len(tags):
                cell["metadata"]["tags"] = list(dict.fromkeys(str(t) for t in tags))   # nbformat wants them unique
            if "id" not in cell:
                continue
            cell_id = cell["id"]
            if not isinstance(cell_id, str) or not re.fullmatch(r"[a-zA-Z0-9-_]{1,64}", cell_id) or cell_id in seen:
                cell["id"] = nbformat.v4.nbbase.random_cell_id()
                add_flags(nb, Flag.METADATA_REPAIRED)
                self.log.warning("%s: replaced an invalid cell id", filename)
            seen.add(cell["id"])

    def _repair_metadata(self, nb: Any, filename: str) -> None:
        """Cells whose nbgrader metadata nbgrader would reject become plain student cells
        (grading goes on; a missing test cell is put back by RebuildStructure)."""
        for cell in nb.cells:
            problem = metadata_problem(cell)
            if problem is not None:
                del cell.metadata["nbgrader"]
                add_flags(nb, Flag.METADATA_REPAIRED)
                self.log.warning("%s: dropped invalid nbgrader metadata (%s)", filename, problem)

    def _placeholder(self, filename: str, resources: dict) -> Any:
        ids = resources.get("nbgrader", {})
        coursedir = CourseDirectory(config=self.config)
        release = Path(coursedir.format_path(coursedir.release_directory, ".", ids.get("assignment", "")),
                       os.path.basename(filename))
        nb = nbformat.read(release, as_version=4)
        note = nbformat.v4.new_markdown_cell(
            "**The submitted file could not be read as a notebook.** It was graded as the "
            "untouched assignment. Ask your instructor if you think this is wrong.")
        nb.cells.insert(0, note)
        return nb
