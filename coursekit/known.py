"""What the gradebook knows about a source notebook, read once per grading process.

The sanitize steps (``DetectTampering``, ``RestoreKernelspec``, ``RebuildStructure``) each need the
source notebook's cells as ``nbgrader generate_assignment`` stored them. A class shares them, so
they are read from the gradebook once per source file version (its path, modification time and
size) and kept as plain data.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from nbgrader.api import Gradebook, MissingEntry


@dataclass(frozen=True)
class SourceCell:
    name: str
    cell_type: str
    source: str                  # hidden tests in, solutions out
    checksum: str | None
    locked: bool


@dataclass(frozen=True)
class NamedCell:
    name: str
    max_score: float = 0.0


@dataclass(frozen=True)
class KnownNotebook:
    """The gradebook's notebook record, with the attribute names of nbgrader's ``Notebook``."""
    source_cells: tuple[SourceCell, ...]
    grade_cells: tuple[NamedCell, ...]
    solution_cells: tuple[NamedCell, ...]
    kernelspec: dict | None


_known: dict[tuple, KnownNotebook | None] = {}


def known_notebook(db_url: str, assignment: str, notebook: str, source: Path) -> KnownNotebook | None:
    """The gradebook's record of ``notebook`` (None: not in the gradebook)."""
    try:
        stat = source.stat()
        version: tuple = (stat.st_mtime_ns, stat.st_size)
    except OSError:
        version = ()
    key = (db_url, assignment, notebook, str(source), version)
    if key not in _known:
        _known[key] = _read(db_url, assignment, notebook)
    return _known[key]


def _read(db_url: str, assignment: str, notebook: str) -> KnownNotebook | None:
    with Gradebook(db_url) as gb:
        try:
            record: Any = gb.find_notebook(notebook, assignment)
        except MissingEntry:
            return None
        return KnownNotebook(
            source_cells=tuple(SourceCell(c.name, c.cell_type, c.source, c.checksum, bool(c.locked))
                               for c in record.source_cells),
            grade_cells=tuple(NamedCell(c.name, float(c.max_score)) for c in record.grade_cells),
            solution_cells=tuple(NamedCell(c.name) for c in record.solution_cells),
            kernelspec=json.loads(record.kernelspec) if record.kernelspec else None)
