"""Edits a careless or hostile student can make to a notebook, drawn by Hypothesis.

Each edit keeps the notebook valid nbformat (as Jupyter or a JSON editor would leave it); what it
does to nbgrader's metadata is anything at all. ``apply`` applies a drawn list of edits.
"""
from __future__ import annotations

import copy
from typing import Any

import nbformat
from hypothesis import strategies as st

from coursekit.assignment import nbgrader_meta
from coursekit.preprocessors import TolerantNotebookExporter

GRADE_IDS = ["zero_pad", "conv_forward", "pool_backward", "packages", "figure_zero_padding",
             "test_zero_pad_published", "test_conv_forward_fresh_inputs", "test_pool_backward_stride",
             "test_bonus", "not_in_the_gradebook", ""]
KEYS = ["grade", "solution", "locked", "task", "points", "grade_id", "schema_version", "checksum"]
where = st.integers(0, 10_000)                      # taken modulo the number of cells
value = st.one_of(st.booleans(), st.integers(-5, 2000), st.none(), st.sampled_from(GRADE_IDS),
                  st.floats(0, 1e6, allow_nan=False), st.text(max_size=4))
role = st.fixed_dictionaries({"grade": st.booleans(), "solution": st.booleans(), "locked": st.booleans(),
                              "grade_id": st.sampled_from(GRADE_IDS), "points": st.integers(0, 1000),
                              "schema_version": st.just(3), "task": st.just(False)})
edit = st.one_of(
    st.tuples(st.just("delete"), where),
    st.tuples(st.just("duplicate"), where, where),
    st.tuples(st.just("move"), where, where),
    st.tuples(st.just("retype"), where, st.sampled_from(["code", "markdown", "raw"])),
    st.tuples(st.just("set"), where, st.sampled_from(KEYS), value),
    st.tuples(st.just("drop"), where, st.sampled_from(KEYS)),
    st.tuples(st.just("drop_nbgrader"), where),
    st.tuples(st.just("swap_nbgrader"), where, where),
    st.tuples(st.just("swap_grade_id"), where, where),
    st.tuples(st.just("tag"), where, st.sampled_from(["skip-at-grading", "raises-exception", "<b>x</b>"])),
    st.tuples(st.just("cell_id"), where, st.sampled_from(["same", "cell-000", "not valid!", "x" * 70])),
    st.tuples(st.just("add"), where, st.sampled_from(["code", "markdown", "raw"]), role,
              st.sampled_from(["pass", "x = 1", "print('hello')", "## notes", "def helper(x):\n    return x"])),
)
edits = st.lists(edit, min_size=1, max_size=12)


def _retype(cell: Any, cell_type: str) -> None:
    cell.cell_type = cell_type
    if cell_type == "code":
        cell.setdefault("outputs", [])
        cell.setdefault("execution_count", None)
        cell.pop("attachments", None)       # only markdown and raw cells have attachments
    else:
        cell.pop("outputs", None)
        cell.pop("execution_count", None)


def _meta(cell: Any) -> dict:
    meta = cell.metadata.get("nbgrader")
    if not isinstance(meta, dict):
        meta = cell.metadata["nbgrader"] = {}
    return meta


def apply(nb: Any, drawn: list[tuple]) -> Any:
    """A copy of ``nb`` with the edits applied."""
    nb = copy.deepcopy(nb)
    cells = nb.cells
    for op, *args in drawn:
        if op == "add":
            i, cell_type, meta, source = args
            make = {"code": nbformat.v4.new_code_cell, "markdown": nbformat.v4.new_markdown_cell,
                    "raw": nbformat.v4.new_raw_cell}[cell_type]
            cells.insert(i % (len(cells) + 1), make(source, metadata={"nbgrader": dict(meta)}))
            continue
        if not cells:
            continue
        i = args[0] % len(cells)
        cell = cells[i]
        if op == "delete":
            del cells[i]
        elif op == "duplicate":
            cells.insert(args[1] % (len(cells) + 1), copy.deepcopy(cell))
        elif op == "move":
            cells.insert(args[1] % len(cells), cells.pop(i))
        elif op == "retype":
            _retype(cell, args[1])
        elif op == "set":
            _meta(cell)[args[1]] = args[2]
        elif op == "drop":
            _meta(cell).pop(args[1], None)
        elif op == "drop_nbgrader":
            cell.metadata.pop("nbgrader", None)
        elif op in ("swap_nbgrader", "swap_grade_id"):
            other = cells[args[1] % len(cells)]
            if op == "swap_nbgrader":
                cell.metadata["nbgrader"], other.metadata["nbgrader"] = (
                    other.metadata.get("nbgrader", {}), cell.metadata.get("nbgrader", {}))
            else:
                a, b = _meta(cell), _meta(other)
                a["grade_id"], b["grade_id"] = b.get("grade_id"), a.get("grade_id")
        elif op == "tag":
            cell.metadata.setdefault("tags", []).append(args[1])
        elif op == "cell_id":
            cell["id"] = args[1]
    return nb


def as_read(nb: Any) -> Any:
    """The notebook as the kit's exporter reads it from disk: JSON, ids and metadata repaired."""
    nb = nbformat.reads(nbformat.writes(nb), as_version=4)
    exporter = TolerantNotebookExporter()
    exporter._repair_ids(nb, "submission")
    exporter._repair_metadata(nb, "submission")
    nbformat.validate(nb)
    return nb


def intact_answers(submitted: Any, reference: Any) -> set[str]:
    """Functions whose answer text is still in a code cell of the edited submission."""
    texts = {c.source for c in submitted.cells if c.cell_type == "code"}
    return {nbgrader_meta(c)["grade_id"] for c in reference.cells
            if nbgrader_meta(c).get("solution") and c.source in texts}
