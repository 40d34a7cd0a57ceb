"""Attack on what a grading worker remembers for a whole class (coursekit.sandbox.cells.prepare,
coursekit.preprocessors.metadata_problem): a submission of large distinct cells or metadata must
not stay in the worker's memory for the submissions after it. Before the fix every cell up to
100,000 characters was kept (2048 of them: 400 MB of ASCII text, 1.6 GB of astral characters,
~16 MB from each 8 MiB notebook), and any metadata (4096 of them, each as large as a notebook)."""
from __future__ import annotations

import nbformat

from coursekit import preprocessors
from coursekit.sandbox import cells


def test_large_cells_are_prepared_but_never_kept_for_the_class():
    honest = "x = 1\nprint(x)\n"
    assert cells.prepare(honest) is cells.prepare(honest)          # the common case is remembered
    for k in range(3):
        large = f"# {k}\n" + "y = 2\n" * (cells.REMEMBERED_CELL_CHARACTERS // 6 + 1)
        first, again = cells.prepare(large), cells.prepare(large)
        assert first == again and first.statements == large.count("\n") - 1 and not first.too_large
        assert first is not again, "a large cell was kept for the class"
    bound = cells.REMEMBERED_CELLS * cells.REMEMBERED_CELL_CHARACTERS * 2 * 4   # text and code, UCS-4
    assert bound <= 160 * 2**20


def test_large_metadata_is_checked_but_never_kept_for_the_class():
    def cell(extra: str):
        return nbformat.v4.new_code_cell("", metadata={"nbgrader": {
            "grade": False, "solution": True, "locked": False, "task": False, "grade_id": "a" + extra,
            "schema_version": 3}})
    before = preprocessors._metadata_problem.cache_info().currsize
    assert preprocessors.metadata_problem(cell("")) is None
    after_honest = preprocessors._metadata_problem.cache_info().currsize
    assert preprocessors.metadata_problem(cell("b" * preprocessors.REMEMBERED_METADATA_CHARACTERS)) is None
    assert preprocessors._metadata_problem.cache_info().currsize == after_honest <= before + 1
