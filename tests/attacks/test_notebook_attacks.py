"""The notebook attacks (structure, files, HTML) through stock `nbgrader autograde` and
`nbgrader generate_feedback` with the kit's config: every submission graded, no unearned point,
its flags recorded, no student file in autograded/ or feedback/, no active HTML in either."""
from __future__ import annotations

import json
import os
import re
import shutil
from html.parser import HTMLParser
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.assignment import Assignment
from coursekit.samples import make_submission
from coursekit.scores import table
from tests.attacks.test_attacks import FULL
from tests.attacks.notebook_attacks import (
    NOTEBOOK_ATTACKS,
    PLANTED_FLAG,
    STUDENT_FILES,
    NotebookAttack,
    plant_kit_metadata,
)
from tests.conftest import run

ASSIGNMENT_TESTS = Assignment.from_source(
    Path(__file__).resolve().parents[2] / "source" / "cnn_layers" / "cnn_layers.ipynb").tests
ACTIVE_HTML = re.compile(r"<\s*(script|iframe|object|embed|form|svg)|\son\w+\s*=|javascript:", re.IGNORECASE)
ACTIVE_TAGS = {"script", "iframe", "object", "embed", "form", "svg", "frame", "base", "meta", "link"}


class ActiveElements(HTMLParser):
    """Elements and attributes of a page that can run code (text that only looks like them, such
    as escaped source code, is not counted)."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []
        self.script = ""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.script = tag
        if tag in ACTIVE_TAGS - {"script", "meta", "link"}:
            self.found.append(tag)
        for name, value in attrs:
            if name.startswith("on") or re.match(r"\s*(javascript|vbscript|data):", value or "", re.IGNORECASE) \
                    and name in ("href", "src", "action", "formaction", "xlink:href"):
                self.found.append(f"{tag} {name}={value!r}")

    def handle_data(self, data: str) -> None:
        if self.script == "script" and data.strip() and "MathJax" not in data:
            self.found.append(f"script: {data.strip()[:80]!r}")

    def handle_endtag(self, tag: str) -> None:
        self.script = ""


def active_elements(page: str) -> list[str]:
    parser = ActiveElements()
    parser.feed(page)
    return parser.found


def regular_files(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file() and not p.is_symlink()}


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
    for name in getattr(attack, "fifos", []):
        os.mkfifo(path.parent / name)
    for name, target in attack.links.items():
        os.symlink(target, path.parent / name)
    return path


def attacked_course(released_course: Path, target: Path) -> tuple[Path, Assignment]:
    course = target / "course"
    shutil.copytree(released_course, course)
    assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
    release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    write_submission(course, "aaa_control", {}, assignment, release)
    for attack in NOTEBOOK_ATTACKS:
        write_submission(course, attack.name, attack, assignment, release)
    return course, assignment


def outcome(course: Path, assignment: Assignment) -> dict[str, tuple]:
    """Per student: scores, flags and the files of the autograded folder."""
    rows = {row.student: [row.scores[f] for f in assignment.functions]
            for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    result = {}
    for student, scores in rows.items():
        folder = course / "autograded" / student / "cnn_layers"
        flags = nbformat.read(folder / "cnn_layers.ipynb", as_version=4).metadata["coursekit"]["flags"]
        result[student] = (scores, sorted(flags), sorted(str(p.relative_to(folder)) for p in folder.rglob("*")))
    return result


@pytest.fixture(scope="module")
def graded(released_course, tmp_path_factory):
    course, assignment = attacked_course(released_course, tmp_path_factory.mktemp("notebook_attacks"))
    before = regular_files(course / "submitted")
    result = run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=WARN", check=False, timeout=1800)
    feedback = run(course, "nbgrader", "generate_feedback", "cnn_layers", "--log-level=WARN", check=False,
                   timeout=1200)
    rows = {row.student: [row.scores[f] for f in assignment.functions]
            for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    return {"course": course, "result": result, "feedback": feedback, "rows": rows, "before": before,
            "outcome": outcome(course, assignment)}


@pytest.mark.slow
def test_coursekit_grade_gives_the_same_scores_flags_and_files(graded, released_course, tmp_path):
    course, assignment = attacked_course(released_course, tmp_path)
    run(course, "coursekit", "grade", "cnn_layers", timeout=1800)
    assert outcome(course, assignment) == graded["outcome"]
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        forged = gb.find_submission("cnn_layers", "forged_early_timestamp").timestamp
    assert forged is None


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
                assert len(notebook.grades) == len(ASSIGNMENT_TESTS)     # the test cells of cnn_layers
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
    assert flags >= attack.flags and PLANTED_FLAG not in flags
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
        stamp = ["timestamp.txt"] if (course / "submitted" / student / "cnn_layers" / "timestamp.txt").exists() else []
        assert landed == sorted(wanted + stamp), student
    checks = course / folder / "student_modules_beside_the_notebook" / "cnn_layers" / "checks.py"
    assert checks.read_bytes() == (course / "source" / "cnn_layers" / "checks.py").read_bytes()


@pytest.mark.slow
def test_the_submitted_files_are_left_as_they_were(graded):
    course = graded["course"]
    after = regular_files(course / "submitted")
    assert after == graded["before"]
    assert set(STUDENT_FILES) <= {k.split("/cnn_layers/", 1)[1] for k in after
                                  if k.startswith("student_modules_beside_the_notebook/")}


@pytest.mark.slow
def test_links_are_set_aside_not_followed_nor_deleted(graded):
    course = graded["course"]
    attack = next(a for a in NOTEBOOK_ATTACKS if a.name == "links_and_a_fifo_beside_the_notebook")
    aside = course / "submitted" / attack.name / ".set-aside" / "cnn_layers"
    assert {p.name: os.readlink(p) for p in aside.iterdir() if p.is_symlink()} == attack.links
    assert (aside / "pipe").is_fifo()
    assert not [p for p in (course / "submitted" / attack.name / "cnn_layers").iterdir() if p.name != "cnn_layers.ipynb"]


@pytest.mark.slow
def test_the_submission_time_is_not_the_students_timestamp(graded):
    with Gradebook(f"sqlite:///{graded['course'] / 'gradebook.db'}") as gb:
        forged = gb.find_submission("cnn_layers", "forged_early_timestamp").timestamp
        control = gb.find_submission("cnn_layers", "aaa_control").timestamp
    assert forged is None and control is None         # no collection record: no time (the default)


@pytest.mark.slow
def test_no_active_html_reaches_feedback_or_the_formgrader(graded):
    course = graded["course"]
    student = "scripts_in_markdown_raw_and_outputs"
    page = (course / "feedback" / student / "cnn_layers" / "cnn_layers.html").read_text()
    control = (course / "feedback" / "aaa_control" / "cnn_layers" / "cnn_layers.html").read_text()
    assert "harmless text" in page and "styled" in page            # the text itself is kept
    assert "alert" in page                                         # shown as text (the code cell)
    assert sorted(set(active_elements(page))) == sorted(set(active_elements(control)))
    assert not [a for a in active_elements(page) if "alert" in a or "evil" in a]
    nb = nbformat.read(course / "autograded" / student / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    shown = json.dumps([c.source for c in nb.cells if c.cell_type in ("markdown", "raw")]
                       + [o for c in nb.cells if c.cell_type == "code" for o in c.outputs])
    assert not ACTIVE_HTML.search(shown), ACTIVE_HTML.search(shown)
    release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    released = [c.source for c in release.cells if c.cell_type == "markdown"]
    assert released == [c.source for c in nb.cells if c.cell_type == "markdown"][:len(released)]


def test_the_suite_covers_the_five_breakages_of_issue_16():
    names = {a.name for a in NOTEBOOK_ATTACKS}
    assert {"tests_deleted_after_a_figure", "test_duplicated_before_itself", "answers_as_thousand_point_grade_cells",
            "tests_as_solution_cells", "extra_grade_cell"} <= names
    assert all(isinstance(a, NotebookAttack) for a in NOTEBOOK_ATTACKS)
    assert os.sep not in "".join(a.name for a in NOTEBOOK_ATTACKS)


def test_the_kits_own_metadata_in_a_submission_is_dropped_when_it_is_read(tmp_path):
    """Fast check of kit_metadata_planted: what the student wrote under ``coursekit`` never
    becomes a flag, a mode or a hash of the kit's."""
    from coursekit.course import load_config
    from coursekit.preprocessors import TolerantNotebookExporter
    nb = nbformat.read(Path(__file__).resolve().parents[2] / "release" / "cnn_layers" / "cnn_layers.ipynb",
                       as_version=4)
    plant_kit_metadata(nb)
    nbformat.write(nb, tmp_path / "cnn_layers.ipynb")
    read = TolerantNotebookExporter(config=load_config()).read_submission(
        str(tmp_path / "cnn_layers.ipynb"), {"nbgrader": {"assignment": "cnn_layers"}})
    assert read.metadata["coursekit"] == {"flags": ["metadata-repaired"]}
    assert PLANTED_FLAG not in json.dumps(read.metadata)
