"""Copied work stands out; honest solutions that look alike do not."""
from __future__ import annotations

import re

import nbformat
import pytest

from coursekit.assignment import Assignment, nbgrader_meta
from coursekit.samples import make_submission
from coursekit.similarity import read_class, scaffolding_of, similar_pairs
from tests.conftest import REPO
from tests.mutation.cnn_layers_mutants import ALTERNATIVES

SOURCE = REPO / "source" / "cnn_layers" / "cnn_layers.ipynb"
RELEASE = REPO / "release" / "cnn_layers" / "cnn_layers.ipynb"


# The right answers of the mutation suite, one function each, each written on its own. (Its two
# all-in-one alternatives are assembled verbatim from these, so they are copies by construction.)
INDEPENDENT = {name: answers for name, answers in ALTERNATIVES.items() if len(answers) == 1}


@pytest.fixture(scope="module")
def assignment():
    return Assignment.from_source(SOURCE)


def disguise(nb: nbformat.NotebookNode, functions: list[str]) -> nbformat.NotebookNode:
    """What a copier does: rename local variables, rewrite comments, reorder the functions."""
    nb = nbformat.from_dict(nb)
    cells = [c for c in nb.cells if nbgrader_meta(c).get("grade_id") in functions]
    bodies = [c.source for c in cells][::-1]
    renames = {"stride": "step", "pad": "p", "vert_start": "top", "horiz_start": "left",
               "n_H": "out_h", "n_W": "out_w", "window": "patch", "mask": "where_max"}
    for cell, body in zip(cells, bodies):
        body = re.sub(r"#[^\n]*", "# my own notes", body)
        for old, new in renames.items():
            body = re.sub(rf"(?<![\"'\w]){old}(?![\"'\w])", new, body)
        cell.source = body.replace('hparameters["step"]', 'hparameters["stride"]') \
                          .replace('hparameters["p"]', 'hparameters["pad"]')
    return nb


def class_folder(tmp_path, assignment, extra: dict) -> dict[str, str]:
    release = nbformat.read(RELEASE, as_version=4)
    for student in (REPO / "submitted").iterdir():
        target = tmp_path / student.name / "cnn_layers" / "cnn_layers.ipynb"
        target.parent.mkdir(parents=True)
        target.write_bytes((student / "cnn_layers" / "cnn_layers.ipynb").read_bytes())
    for student, nb in extra.items():
        target = tmp_path / student / "cnn_layers" / "cnn_layers.ipynb"
        target.parent.mkdir(parents=True)
        nbformat.write(nb if nb is not None else release, target)
    return read_class(tmp_path, assignment)


def test_a_disguised_copy_is_the_top_pair_and_the_only_flagged_one(tmp_path, assignment):
    release = nbformat.read(RELEASE, as_version=4)
    source = ALTERNATIVES["vectorised_everything"]
    honest = {f"alt_{name}": make_submission(release, assignment, answers)
              for name, answers in INDEPENDENT.items()
              if not any(code.strip() == source[f].strip() for f, code in answers.items())}
    original = make_submission(release, assignment, source)
    honest["original"] = original
    honest["copycat"] = disguise(original, assignment.functions)
    codes = class_folder(tmp_path, assignment, honest)
    pairs = similar_pairs(codes, scaffolding_of(RELEASE, assignment.functions))
    assert {pairs[0].a, pairs[0].b} == {"copycat", "original"} and pairs[0].flagged
    assert [p for p in pairs if p.flagged] == [pairs[0]], [(p.a, p.b, p.z) for p in pairs[:5]]
    assert pairs[0].slices[0] and pairs[0].slices[1]          # the matching regions, both sides


def test_the_sample_class_and_the_independent_right_answers_are_not_flagged(tmp_path, assignment):
    release = nbformat.read(RELEASE, as_version=4)
    honest = {f"alt_{name}": make_submission(release, assignment, answers)
              for name, answers in INDEPENDENT.items()}
    codes = class_folder(tmp_path, assignment, honest)
    pairs = similar_pairs(codes, scaffolding_of(RELEASE, assignment.functions))
    assert len(codes) == 7 + len(INDEPENDENT) >= 25
    assert not [p for p in pairs if p.flagged], [(p.a, p.b, p.z, p.rare) for p in pairs[:5]]


def test_an_answer_assembled_from_others_is_flagged_with_its_sources(tmp_path, assignment):
    release = nbformat.read(RELEASE, as_version=4)
    students = {f"alt_{name}": make_submission(release, assignment, answers)
                for name, answers in ALTERNATIVES.items()}
    pairs = similar_pairs(class_folder(tmp_path, assignment, students),
                          scaffolding_of(RELEASE, assignment.functions), top=30)
    flagged = {frozenset((p.a, p.b)) for p in pairs if p.flagged}
    assert flagged and all({"alt_mixed_styles", "alt_vectorised_everything"} & pair for pair in flagged)


def test_the_report_lists_the_pair_and_shows_the_matching_passages_side_by_side(tmp_path, assignment):
    from coursekit.report import similarity_section
    release = nbformat.read(RELEASE, as_version=4)
    (tmp_path / "release" / "cnn_layers").mkdir(parents=True)
    nbformat.write(release, tmp_path / "release" / "cnn_layers" / "cnn_layers.ipynb")
    original = make_submission(release, assignment, ALTERNATIVES["mixed_styles"])
    class_folder(tmp_path / "submitted", assignment, {"original": original,
                                                      "copycat": disguise(original, assignment.functions)})
    section = similarity_section(assignment, tmp_path)
    assert "copycat / original" in section and "FLAGGED" in section
    assert "<h3>copycat and original" in section and section.count("<mark>") >= 2
