"""Rebuild the graded structure of a submitted notebook from its source (a sanitize step).

nbgrader's own sanitize steps (``DeduplicateIds``, ``OverwriteCells``) trust the submitted
structure and raise on notebooks a careless or hostile student can make (a deleted test cell
after a figure cell, a duplicated test cell, an answer cell re-marked as a grade cell, ...), which
leaves the submission ungraded. ``RebuildStructure`` replaces both: whatever the submitted
cells and their metadata say, the notebook it returns has

- every read-only (locked) cell of the source exactly once, with the source's text (hidden tests
  included), type and metadata, kept where the student left it when the answer cell before it
  is the one before it in the source, otherwise put back after the graded cell before it in the
  source (a cell
  claiming a locked cell's id but defining a graded function stays, as a student cell);
- every answer (solution) cell once: the last cell with its grade_id that defines its function,
  else the last cell defining the function (``def <name>(``), else the last cell with its
  grade_id; when none exists and no cell defines the function, the released stub;
- no nbgrader role on any other cell (student cells, copies, cells claiming unknown ids);
- unique, valid cell ids.

What it repaired is recorded as flags (``coursekit.flags``). The graded cells come from the
gradebook (what ``SaveAutoGrades`` will look up); their order and metadata from the source
notebook.
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
from nbgrader.preprocessors import NbGraderPreprocessor

from coursekit.assignment import nbgrader_meta
from coursekit.flags import Flag
from coursekit.known import known_notebook
from coursekit.preprocessors import add_flags, source_notebook

ROLE_KEYS = ("grade", "solution", "locked", "task")
CELL_ID = re.compile(r"^[a-zA-Z0-9-_]{1,64}$")


@dataclass
class GradedCell:
    """One cell of the source that nbgrader grades or locks."""
    grade_id: str
    index: int                  # position among the source's graded cells
    answer: bool                # a solution cell (the student writes it); else locked
    cell_type: str
    source: str                 # as the gradebook holds it: hidden tests in, solutions out
    metadata: dict
    cell_id: str | None
    function: str | None        # the function an answer cell defines

    def new_cell(self) -> Any:
        """A fresh copy of the source's cell (nbformat's fields for its type; the id comes later).
        Built from trusted parts, so not validated cell by cell: the notebook is, once, when written."""
        cell: dict[str, Any] = {"cell_type": self.cell_type, "metadata": copy.deepcopy(self.metadata),
                                "source": self.source}
        if self.cell_type == "code":
            cell.update(outputs=[], execution_count=None)
        return nbformat.from_dict(cell)

    def role(self) -> dict:
        return {k: self.metadata["nbgrader"].get(k) for k in (*ROLE_KEYS, "points", "grade_id")}


_DEF = re.compile(r"\bdef\s+([A-Za-z_][A-Za-z0-9_]*)\s*\(")


def defined_functions(cell: Any) -> frozenset[str]:
    """The names after ``def`` in a code cell (one pass over its source)."""
    if cell.get("cell_type") != "code":
        return frozenset()
    return frozenset(_DEF.findall(str(cell.get("source", ""))))


def defines(cell: Any, function: str | None) -> bool:
    return function is not None and function in defined_functions(cell)


def template(source_nb: Any, known: Any) -> list[GradedCell]:
    """The graded cells of a source notebook, in order, as the gradebook's notebook ``known``
    (``Gradebook.find_notebook``) holds them."""
    points = {c.name: float(c.max_score) for c in known.grade_cells}
    solutions = {c.name for c in known.solution_cells}
    stored = {c.name: c for c in known.source_cells}
    cells: list[GradedCell] = []
    for cell in source_nb.cells:
        meta = nbgrader_meta(cell)
        grade_id = meta.get("grade_id")
        if not isinstance(grade_id, str) or grade_id not in stored or any(c.grade_id == grade_id for c in cells):
            continue
        record = stored[grade_id]
        answer = grade_id in solutions
        if not (answer or record.locked or grade_id in points):
            continue
        metadata = copy.deepcopy(dict(cell.metadata))
        metadata["nbgrader"] = dict(meta, checksum=record.checksum)
        if grade_id in points:
            metadata["nbgrader"]["points"] = points[grade_id]
        function = grade_id if answer and defines(cell, grade_id) else None
        cells.append(GradedCell(grade_id, len(cells), answer, record.cell_type, record.source, metadata,
                                cell.get("id"), function))
    return cells


class _Rebuild:
    """One rebuild: the submitted cells in, the rebuilt list and flags out."""

    def __init__(self, cells: list[Any], graded: list[GradedCell]) -> None:
        self.cells, self.graded = cells, graded
        self.by_id = {g.grade_id: g for g in graded}
        self.flags: set[Flag] = set()
        self._defined: dict[int, frozenset[str]] = {}    # id(cell) -> its functions, found once

    def _defines(self, cell: Any, function: str | None) -> bool:
        if id(cell) not in self._defined:
            self._defined[id(cell)] = defined_functions(cell)
        return function is not None and function in self._defined[id(cell)]

    def run(self) -> list[Any]:
        claims: dict[str, list[int]] = {}          # grade_id -> submitted positions claiming it
        for i, cell in enumerate(self.cells):
            grade_id = nbgrader_meta(cell).get("grade_id")
            if isinstance(grade_id, str) and grade_id in self.by_id:
                claims.setdefault(grade_id, []).append(i)
        answers = self._choose_answers(claims)
        # the sequence: chosen answers and plain cells in submitted order, locked copies as candidates
        seq: list[tuple[str, Any]] = []
        chosen = {i: g for g, i in answers.items() if i is not None}
        for i, cell in enumerate(self.cells):
            grade_id = nbgrader_meta(cell).get("grade_id")
            graded = self.by_id.get(grade_id) if isinstance(grade_id, str) else None
            if i in chosen:
                seq.append(("answer", (self.by_id[chosen[i]], cell)))
            elif graded is not None and not graded.answer and not self._defines_answer(cell):
                seq.append(("candidate", (graded, i)))     # a copy of a locked cell: restored from the source
            else:                                          # a student's cell, whatever it claims
                if graded is not None:
                    self.flags.add(Flag.DUPLICATED_CELLS if graded.answer else Flag.ROLES_REMOVED)
                seq.append(("plain", self._plain(cell)))
        for grade_id, where in answers.items():
            if where is None and not any(self._defines(c, self.by_id[grade_id].function) for c in self.cells):
                self.flags.add(Flag.ANSWER_MISSING)
                self._insert(seq, self.by_id[grade_id], ("answer", (self.by_id[grade_id], None)))
        self._place_locked(seq, claims)
        return self._cells(seq)

    def _choose_answers(self, claims: dict[str, list[int]]) -> dict[str, int | None]:
        taken: set[int] = set()
        result: dict[str, int | None] = {}
        answers = [g for g in self.graded if g.answer]
        for g in answers:                           # its grade_id and its function
            both = [i for i in claims.get(g.grade_id, []) if self._defines(self.cells[i], g.function)]
            result[g.grade_id] = both[-1] if both else None
            taken |= set(both[-1:])
        for g in answers:                           # the grade_id is gone: the function it defines
            if result[g.grade_id] is None:
                found = [i for i, c in enumerate(self.cells) if i not in taken and self._defines(c, g.function)]
                if found:
                    result[g.grade_id] = found[-1]
                    taken.add(found[-1])
                    self.flags.add(Flag.ANSWER_FOUND_BY_FUNCTION)
        for g in answers:                           # the function is gone: its grade_id
            if result[g.grade_id] is None:
                found = [i for i in claims.get(g.grade_id, []) if i not in taken]
                if found:
                    result[g.grade_id] = found[-1]
                    taken.add(found[-1])
        return result

    def _defines_answer(self, cell: Any) -> bool:
        """A cell with a graded function in it is the student's, whatever id it claims."""
        return any(self._defines(cell, g.function) for g in self.graded if g.answer)

    def _plain(self, cell: Any) -> Any:
        """A student cell: never an nbgrader role."""
        if "nbgrader" in cell.get("metadata", {}):
            meta = nbgrader_meta(cell)
            if meta.get("grade_id") or any(meta.get(k) for k in ROLE_KEYS):
                self.flags.add(Flag.ROLES_REMOVED)
            del cell.metadata["nbgrader"]
        return cell

    def _answer_before(self, seq: list[tuple[str, Any]], pos: int) -> str | None:
        """The answer nearest before position ``pos`` of the sequence (a locked cell is in its
        place when that is the answer before it in the source)."""
        return next((e[1][0].grade_id for e in reversed(seq[:pos]) if e[0] == "answer"), None)

    def _source_segment(self, g: GradedCell) -> tuple[str | None, str | None]:
        before = next((h.grade_id for h in reversed(self.graded[:g.index]) if h.answer), None)
        after = next((h.grade_id for h in self.graded[g.index + 1:] if h.answer), None)
        return before, after

    def _place_locked(self, seq: list[tuple[str, Any]], claims: dict[str, list[int]]) -> None:
        kept: dict[str, int] = {}                  # grade_id -> position in seq
        last_in_segment: dict[tuple, int] = {}
        for pos, (kind, item) in enumerate(seq):
            if kind != "candidate":
                continue
            g = item[0]
            segment = self._source_segment(g)
            if (g.grade_id not in kept and self._answer_before(seq, pos) == segment[0]
                    and last_in_segment.get(segment, -1) < g.index):
                kept[g.grade_id] = pos
                last_in_segment[segment] = g.index
        for grade_id, positions in claims.items():
            g = self.by_id[grade_id]
            if not g.answer and len(positions) > 1:
                self.flags.add(Flag.DUPLICATED_CELLS)
            if not g.answer and grade_id not in kept:
                self.flags.add(Flag.MOVED_LOCKED_CELLS)    # present, but not in its place
        keep_positions = set(kept.values())
        seq[:] = [("locked", (e[1][0], e[1][1])) if e[0] == "candidate" and p in keep_positions else e
                  for p, e in enumerate(seq) if e[0] != "candidate" or p in keep_positions]
        for g in self.graded:
            if not g.answer and g.grade_id not in kept:
                self._insert(seq, g, ("locked", (g, None)))

    def _insert(self, seq: list[tuple[str, Any]], g: GradedCell, entry: tuple[str, Any]) -> None:
        """Put ``entry`` after the nearest graded cell before ``g`` in the source; with none, before
        every graded cell (the student may have moved an answer to the top); or at the end."""
        where = {e[1][0].grade_id: p for p, e in enumerate(seq) if e[0] in ("answer", "locked")}
        for h in reversed(self.graded[:g.index]):
            if h.grade_id in where:
                seq.insert(where[h.grade_id] + 1, entry)
                return
        if where:
            seq.insert(min(where.values()), entry)
            return
        seq.append(entry)

    def _cells(self, seq: list[tuple[str, Any]]) -> list[Any]:
        out = []
        for kind, item in seq:
            if kind == "plain":
                out.append(item)
                continue
            g, cell = item
            if kind == "locked":
                if cell is not None and (self.cells[cell].cell_type != g.cell_type
                                         or _role(self.cells[cell]) != g.role()):
                    self.flags.add(Flag.METADATA_RESTORED)
                out.append(g.new_cell())
                continue
            if cell is None:
                out.append(g.new_cell())
                continue
            if cell.cell_type != g.cell_type or _role(cell) != g.role():
                self.flags.add(Flag.METADATA_RESTORED)
            new = g.new_cell()
            new.source = cell.source
            new.metadata = dict(copy.deepcopy(dict(cell.metadata)), nbgrader=copy.deepcopy(g.metadata["nbgrader"]))
            out.append(new)
        _unique_ids(out, {g.grade_id: g.cell_id for g in self.graded}, self.cells)
        return out


def _role(cell: Any) -> dict:
    meta = nbgrader_meta(cell)
    return {k: meta.get(k) for k in (*ROLE_KEYS, "points", "grade_id")} | (
        {"points": float(meta["points"])} if isinstance(meta.get("points"), (int, float)) else {})


def _unique_ids(cells: list[Any], source_ids: dict[str, str | None], submitted: list[Any]) -> None:
    """Every cell a valid id of its own: submitted ids kept when they are, the source's for
    restored cells, fresh ones otherwise."""
    seen: set[str] = set()
    for cell in cells:
        wanted = cell.get("id") or source_ids.get(nbgrader_meta(cell).get("grade_id", ""))
        if not isinstance(wanted, str) or not CELL_ID.match(wanted) or wanted in seen:
            wanted = nbformat.v4.nbbase.random_cell_id()
            while wanted in seen:
                wanted = nbformat.v4.nbbase.random_cell_id()
        cell["id"] = wanted
        seen.add(wanted)


_templates: dict[tuple, list[GradedCell]] = {}


def graded_cells(db_url: str, source: Path, assignment: str, notebook: str) -> list[GradedCell] | None:
    """The source's graded cells as the gradebook holds them (None: not in the gradebook), built
    once per grading process and source file version (a class shares them)."""
    known = known_notebook(db_url, assignment, notebook, source)
    if known is None:
        return None
    key = (id(known), str(source))
    if key not in _templates:
        _templates[key] = template(nbformat.read(source, as_version=4), known)
    return _templates[key]


def rebuild(nb: Any, graded: list[GradedCell]) -> set[Flag]:
    """Rebuild ``nb``'s cells in place; returns the flags of what was repaired."""
    work = _Rebuild(list(nb.cells), graded)      # the cells are this read's own: changed in place
    nb.cells = work.run()
    return work.flags


class RebuildStructure(NbGraderPreprocessor):
    """Sanitize step replacing nbgrader's DeduplicateIds and OverwriteCells: the graded
    structure of the source, whatever the submission's structure and metadata say."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        ids = resources["nbgrader"]
        graded = graded_cells(ids["db_url"], source_notebook(self.config, ids["assignment"], ids["notebook"]),
                              ids["assignment"], ids["notebook"])
        if graded is None:
            self.log.warning("%s is not in the gradebook: nothing to rebuild", ids["notebook"])
            return nb, resources
        flags = rebuild(nb, graded)
        if flags:
            add_flags(nb, *flags)
            self.log.warning("%s/%s: structure repaired (%s)", ids.get("student"), ids["notebook"],
                             ", ".join(sorted(flags)))
        return nb, resources
