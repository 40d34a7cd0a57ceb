"""`coursekit audit` on a copy of the course: with one hidden test cell deleted from the source,
the audit names exactly the mutants that only that cell killed, and exits with status 1."""
from __future__ import annotations

import nbformat
import pytest

from coursekit.assignment import nbgrader_meta
from coursekit.audit import audit
from tests.conftest import copy_course, run

FUNCTION, CELL = "distribute_value", "test_distribute_value_fresh_inputs"


@pytest.mark.slow
def test_deleting_a_hidden_test_cell_makes_audit_name_the_mutants_it_alone_killed(tmp_path):
    course = copy_course(tmp_path / "course", students=[])
    intact = audit("cnn_layers", root=course, functions=[FUNCTION]).functions[0]
    assert intact.graded and not intact.survivors and not intact.uncovered
    only_that_cell = sorted(m.id for m in intact.graded if intact.killed_by[m.id] == [CELL])
    assert only_that_cell, f"no mutant of {FUNCTION} is killed by {CELL} alone: pick another cell"

    source = course / "source" / "cnn_layers" / "cnn_layers.ipynb"
    nb = nbformat.read(source, as_version=4)
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != CELL]
    nbformat.write(nb, source)
    result = run(course, "coursekit", "audit", "cnn_layers", "--function", FUNCTION, check=False, timeout=600)

    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    named = sorted(line.split()[1] for line in result.stdout.splitlines() if line.startswith("survived "))
    assert named == only_that_cell
    assert "uncovered distribute_value" in result.stdout        # its edge cases were reached by that cell only
    assert (course / "reports" / "cnn_layers_audit.html").exists()
