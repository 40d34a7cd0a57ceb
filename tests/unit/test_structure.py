"""RebuildStructure in process (no nbgrader run): whatever edits a submission went through, the
rebuilt notebook has the source's graded structure, and intact answers are kept."""
from __future__ import annotations

import copy
from types import SimpleNamespace

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbgrader.utils import compute_checksum

from coursekit.assignment import Assignment, nbgrader_meta
from coursekit.preprocessors import metadata_problem
from coursekit.samples import make_submission
from coursekit.structure import CELL_ID, GradedCell, rebuild, template
from tests.attacks import notebook_attacks as attacks
from tests.conftest import REPO
from tests.notebook_edits import apply, as_read, edits, intact_answers

SOURCE = REPO / "source" / "cnn_layers" / "cnn_layers.ipynb"
RELEASE = REPO / "release" / "cnn_layers" / "cnn_layers.ipynb"


def known_from_files(source, release) -> SimpleNamespace:
    """What the gradebook holds after generate_assignment, read from the two notebooks: locked
    cells as in the source (hidden tests in), answer cells as released (stubs)."""
    released = {nbgrader_meta(c).get("grade_id"): c for c in release.cells}
    cells, grades, solutions = [], [], []
    for cell in source.cells:
        meta = nbgrader_meta(cell)
        if not meta.get("grade_id"):
            continue
        text = released[meta["grade_id"]].source if meta.get("solution") else cell.source
        stored = nbformat.v4.new_code_cell(text, metadata={"nbgrader": dict(meta)})
        cells.append(SimpleNamespace(name=meta["grade_id"], cell_type=cell.cell_type, locked=meta.get("locked", False),
                                     source=text, checksum=compute_checksum(stored)))
        if meta.get("grade"):
            grades.append(SimpleNamespace(name=meta["grade_id"], max_score=meta["points"]))
        if meta.get("solution"):
            solutions.append(SimpleNamespace(name=meta["grade_id"]))
    return SimpleNamespace(source_cells=cells, grade_cells=grades, solution_cells=solutions)


SOURCE_NB = nbformat.read(SOURCE, as_version=4)
RELEASE_NB = nbformat.read(RELEASE, as_version=4)
GRADED = template(SOURCE_NB, known_from_files(SOURCE_NB, RELEASE_NB))
ASSIGNMENT = Assignment.from_source(SOURCE)
RIGHT = make_submission(RELEASE_NB, ASSIGNMENT, {})
WRONG = make_submission(RELEASE_NB, ASSIGNMENT, {f: None for f in ASSIGNMENT.functions[::2]})


def check_structure(nb, graded: list[GradedCell]) -> None:
    by_id = {g.grade_id: g for g in graded}
    positions: dict[str, int] = {}
    for i, cell in enumerate(nb.cells):
        assert metadata_problem(cell) is None
        if "nbgrader" not in cell.metadata:
            continue
        grade_id = cell.metadata.nbgrader["grade_id"]
        assert grade_id in by_id and grade_id not in positions, f"{grade_id} twice or unknown"
        positions[grade_id] = i
        g = by_id[grade_id]
        assert cell.metadata.nbgrader == g.metadata["nbgrader"] and cell.cell_type == g.cell_type
        if not g.answer:
            assert cell.source == g.source
    assert set(positions) >= {g.grade_id for g in graded if not g.answer}
    ids = [c.id for c in nb.cells]
    assert len(set(ids)) == len(ids) and all(CELL_ID.match(i) for i in ids)
    nbformat.validate(nb)
    answers = [g for g in graded if g.answer]
    last_index: dict[tuple, int] = {}
    for g in graded:                                  # locked cells in their place, in order
        if g.answer:
            continue
        before = next((a.grade_id for a in reversed(answers) if a.index < g.index), None)
        after = next((a.grade_id for a in answers if a.index > g.index), None)
        low, high = positions.get(before, -1), positions.get(after, len(nb.cells))
        if (before is None or before in positions) and (after is None or after in positions) and low < high:
            assert low < positions[g.grade_id] < high, g.grade_id
            assert last_index.get((before, after), -1) < positions[g.grade_id]
            last_index[(before, after)] = positions[g.grade_id]


@pytest.mark.parametrize("edit", [attacks.delete_all_tests, attacks.duplicate_a_test_before_itself,
                                  attacks.answers_as_grade_cells, attacks.tests_as_solution_cells,
                                  attacks.extra_grade_cell, attacks.copy_of_a_test_claims_to_be_the_answer,
                                  attacks.answer_ids_swapped_and_tests_reversed,
                                  attacks.answer_metadata_dropped_and_tests_retyped,
                                  attacks.the_tests_claimed_by_a_student_cell, attacks.duplicate_cell_ids,
                                  attacks.invalid_cell_ids], ids=lambda f: f.__name__)
def test_the_issue_16_notebooks_are_rebuilt(edit):
    nb = copy.deepcopy(RIGHT)
    edit(nb)
    nb = as_read(nb)
    rebuild(nb, GRADED)
    check_structure(nb, GRADED)


def test_an_untouched_or_right_notebook_is_left_as_it_was():
    by_id = {g.grade_id: g for g in GRADED}
    for submitted in (RELEASE_NB, RIGHT):
        nb = as_read(submitted)
        assert rebuild(nb, GRADED) == set()
        assert len(nb.cells) == len(submitted.cells)
        for got, sent in zip(nb.cells, submitted.cells):
            g = by_id.get(nbgrader_meta(sent).get("grade_id"))
            assert got.cell_type == sent.cell_type and got.id == sent.id
            assert got.source == (sent.source if g is None or g.answer else g.source)
            assert got.metadata.get("nbgrader") == (g.metadata["nbgrader"] if g else None)


def test_an_answer_cell_claiming_a_figure_id_is_kept_as_the_answer():
    nb = copy.deepcopy(RIGHT)
    cell = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "conv_forward")
    nbgrader_meta(cell).update(grade_id="figure_pooling", locked=True, solution=False)
    nb = as_read(nb)
    rebuild(nb, GRADED)
    check_structure(nb, GRADED)
    assert intact_answers(nb, RIGHT) == set(ASSIGNMENT.functions)


def test_a_missing_answer_is_put_back_as_the_released_stub():
    nb = as_read(RIGHT)
    nb.cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") != "pool_forward"]
    flags = rebuild(nb, GRADED)
    assert "answer-missing" in flags
    stub = next(c for c in nb.cells if nbgrader_meta(c).get("grade_id") == "pool_forward")
    assert stub.source == next(c.source for c in RELEASE_NB.cells if nbgrader_meta(c).get("grade_id") == "pool_forward")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(drawn=edits, right=st.booleans())
def test_any_edits_end_in_the_source_structure(drawn, right):
    reference = RIGHT if right else WRONG
    submitted = as_read(apply(reference, drawn))
    intact = intact_answers(submitted, reference)
    nb = copy.deepcopy(submitted)
    rebuild(nb, GRADED)
    check_structure(nb, GRADED)
    running = {c.source for c in nb.cells if c.cell_type == "code"
               and not nbgrader_meta(c).get("locked")}     # what runs as the student's code
    for function in intact:
        answer = next(c.source for c in reference.cells if nbgrader_meta(c).get("grade_id") == function)
        assert answer in running, function
    again = copy.deepcopy(nb)
    assert rebuild(again, GRADED) == set()                  # the rebuilt notebook needs no repair
    assert [(c.source, c.metadata) for c in again.cells] == [(c.source, c.metadata) for c in nb.cells]


def test_an_answer_moved_to_the_top_is_rebuilt_once_and_for_all():
    """The fuzz's find: with conv_forward's answer first, the packages cell (no graded cell before
    it in the source) must go before every graded cell, or a second rebuild moves it again."""
    nb = as_read(RIGHT)
    index = next(i for i, c in enumerate(nb.cells) if nbgrader_meta(c).get("grade_id") == "conv_forward")
    nb.cells.insert(0, nb.cells.pop(index))
    rebuild(nb, GRADED)
    check_structure(nb, GRADED)
    assert nbgrader_meta(nb.cells[0]).get("grade_id") == "packages"
    again = copy.deepcopy(nb)
    assert rebuild(again, GRADED) == set()
