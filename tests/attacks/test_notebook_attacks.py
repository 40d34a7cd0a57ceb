"""The notebook attacks (structure, files, HTML) through stock `nbgrader autograde` and
`nbgrader generate_feedback` with the kit's config: every submission graded, no unearned point,
its flags recorded, no student file in autograded/ or feedback/, no active HTML in either."""
from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.assignment import Assignment
from coursekit.samples import make_submission
from coursekit.scores import table
from tests.attacks.notebook_attacks import NOTEBOOK_ATTACKS, STUDENT_FILES, NotebookAttack
from tests.conftest import run

FULL = [3, 3, 8, 6, 8, 2, 2, 8]
ACTIVE_HTML = re.compile(r"<script(?![^>]*MathJax|[^>]*require)|\sonerror\s*=|\sonload\s*=|\sonclick\s*=|"
                         r"javascript:|<iframe|<object|<form", re.I)


def write_submission(course: Path, student: str, attack: NotebookAttack | dict, assignment: Assignment,
                     release) -> Path:
    """One student's submission folder from an attack (or plain answers)."""
    path = course / "submitted" / student / "cnn_layers" / "cnn_layers.ipynb"
    path.parent.mkdir(parents=True)
    if isinstance(attack, dict):
        nbformat.write(make_submission(release, assignment, attack), path)
        return path
    nb = make_submission(release, assignment, attack.answers)
    nb.cells += [nbformat.v4.new_code_cell(cell) for cell in attack.cells]
    nb.cells += [nbformat.v4.new_markdown_cell(text) for text in getattr(attack, "markdown", [])]
    nb.cells += [nbformat.v4.new_raw_cell(text) for text in getattr(attack, "raw_cells", [])]
    if attack.edit:
        attack.edit(nb)
    nbformat.write(nb, path)
    for name, content in getattr(attack, "files", {}).items():
        (path.parent / name).parent.mkdir(parents=True, exist_ok=True)
        (path.parent / name).write_bytes(content)
    return path


@pytest.fixture(scope="module")
def graded(released_course, tmp_path_factory):
    course = tmp_path_factory.mktemp("notebook_attacks") / "course"
    shutil.copytree(released_course, course)
    assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
    release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    write_submission(course, "aaa_control", {}, assignment, release)
    for attack in NOTEBOOK_ATTACKS:
        write_submission(course, attack.name, attack, assignment, release)
    before = {str(p.relative_to(course / "submitted")): p.read_bytes()
              for p in sorted((course / "submitted").rglob("*")) if p.is_file()}
    result = run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=WARN", check=False, timeout=1800)
    feedback = run(course, "nbgrader", "generate_feedback", "cnn_layers", "--log-level=WARN", check=False,
                   timeout=1200)
    rows = {row.student: [row.scores[f] for f in assignment.functions]
            for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    return {"course": course, "result": result, "feedback": feedback, "rows": rows, "before": before}


@pytest.mark.slow
def test_autograde_and_feedback_succeed(graded):
    assert graded["result"].returncode == 0, graded["result"].stderr[-3000:]
    assert graded["feedback"].returncode == 0, graded["feedback"].stderr[-3000:]


@pytest.mark.slow
def test_every_grade_is_scored(graded):
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        submissions = gb.find_assignment("cnn_layers").submissions
        assert len(submissions) == len(NOTEBOOK_ATTACKS) + 1
        for submission in submissions:
            for notebook in submission.notebooks:
                assert len(notebook.grades) == 30
                assert all(g.auto_score is not None and not g.needs_manual_grade for g in notebook.grades), \
                    submission.student.id


@pytest.mark.slow
@pytest.mark.parametrize("attack", NOTEBOOK_ATTACKS, ids=lambda a: a.name)
def test_the_attack_is_graded_fairly_and_flagged(graded, attack):
    assert graded["rows"]["aaa_control"] == FULL
    expected = FULL if attack.expect == "full" else attack.expect
    assert graded["rows"][attack.name] == expected
    notebook = graded["course"] / "autograded" / attack.name / "cnn_layers" / "cnn_layers.ipynb"
    flags = set(nbformat.read(notebook, as_version=4).metadata["coursekit"]["flags"])
    assert flags >= attack.flags
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        flagged = gb.find_submission_notebook("cnn_layers", "cnn_layers", attack.name).flagged
    assert flagged == bool(flags)


@pytest.mark.slow
def test_the_control_is_not_flagged(graded):
    notebook = graded["course"] / "autograded" / "aaa_control" / "cnn_layers" / "cnn_layers.ipynb"
    assert nbformat.read(notebook, as_version=4).metadata["coursekit"]["flags"] == []


@pytest.mark.slow
@pytest.mark.parametrize("folder", ["autograded", "feedback"])
def test_only_notebooks_and_instructor_files_come_back(graded, folder):
    course = graded["course"]
    instructor = sorted(p.name for p in (course / "source" / "cnn_layers").iterdir()
                        if p.is_file() and p.suffix != ".ipynb")
    wanted = {"autograded": ["cnn_layers.ipynb", *instructor],
              "feedback": ["cnn_layers.html", *instructor]}[folder]
    for student in ["aaa_control", *(a.name for a in NOTEBOOK_ATTACKS)]:
        landed = sorted(str(p.relative_to(course / folder / student / "cnn_layers"))
                        for p in (course / folder / student / "cnn_layers").rglob("*") if not p.is_dir())
        assert landed == sorted(wanted), student
    checks = course / folder / "student_modules_beside_the_notebook" / "cnn_layers" / "checks.py"
    assert checks.read_bytes() == (course / "source" / "cnn_layers" / "checks.py").read_bytes()


@pytest.mark.slow
def test_the_submitted_files_are_left_as_they_were(graded):
    course = graded["course"]
    after = {str(p.relative_to(course / "submitted")): p.read_bytes()
             for p in sorted((course / "submitted").rglob("*")) if p.is_file()}
    assert after == graded["before"]
    assert set(STUDENT_FILES) <= {k.split("/cnn_layers/", 1)[1] for k in after
                                  if k.startswith("student_modules_beside_the_notebook/")}


@pytest.mark.slow
def test_no_active_html_reaches_feedback_or_the_formgrader(graded):
    course = graded["course"]
    student = "scripts_in_markdown_raw_and_outputs"
    page = (course / "feedback" / student / "cnn_layers" / "cnn_layers.html").read_text()
    body = page[page.index("<body"):]
    assert "harmless text" in body and "styled" in body            # the text itself is kept
    assert not ACTIVE_HTML.search(_without_kit_scripts(body)), ACTIVE_HTML.search(_without_kit_scripts(body))
    nb = nbformat.read(course / "autograded" / student / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    shown = json.dumps([c.source for c in nb.cells if c.cell_type in ("markdown", "raw")]
                       + [o for c in nb.cells if c.cell_type == "code" for o in c.outputs])
    assert not ACTIVE_HTML.search(shown), ACTIVE_HTML.search(shown)
    release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    released = [c.source for c in release.cells if c.cell_type == "markdown"]
    assert released == [c.source for c in nb.cells if c.cell_type == "markdown"][:len(released)]


def _without_kit_scripts(body: str) -> str:
    """The feedback template's own scripts (MathJax, its configuration) are not the student's."""
    return re.sub(r"<script[^>]*>(?:(?!</script>).)*?MathJax(?:(?!</script>).)*?</script>", "", body, flags=re.S)


def test_the_suite_covers_the_five_breakages_of_issue_16():
    names = {a.name for a in NOTEBOOK_ATTACKS}
    assert {"tests_deleted_after_a_figure", "test_duplicated_before_itself", "answers_as_thousand_point_grade_cells",
            "tests_as_solution_cells", "extra_grade_cell"} <= names
    assert all(isinstance(a, NotebookAttack) for a in NOTEBOOK_ATTACKS)
    assert os.sep not in "".join(a.name for a in NOTEBOOK_ATTACKS)
