"""Attacks on the notebook's structure, on the files beside it and on what is shown as HTML.

Each is a right submission (the reference answers) with its structure, metadata, files or
markdown changed. Issue 16's five breakages made stock nbgrader's sanitize steps raise (the
submission ended ungraded); now each must be graded with full marks and flagged. ``files`` are
written into the submission folder by ``test_notebook_attacks.py``; the attacks that need no
more than the main suite's fields (answers, cells, edit, links) join its ``ATTACKS`` too.
"""
from __future__ import annotations

import copy
from dataclasses import dataclass, field

import nbformat

from coursekit.assignment import nbgrader_meta
from tests.attacks.attacks import ATTACKS, Attack


@dataclass
class NotebookAttack(Attack):
    files: dict[str, bytes] = field(default_factory=dict)   # path in the submission -> content
    markdown: list[str] = field(default_factory=list)        # markdown cells added at the end
    raw_cells: list[str] = field(default_factory=list)       # raw cells added at the end
    fifos: list[str] = field(default_factory=list)           # named pipes in the submission folder


def grade_id(cell) -> str:
    return str(nbgrader_meta(cell).get("grade_id", ""))


def is_test(cell) -> bool:
    return grade_id(cell).startswith("test_")


def delete_all_tests(nb) -> None:
    """Breakage 1: every test cell deleted (the one after the padding figure raised KeyError)."""
    nb.cells = [c for c in nb.cells if not is_test(c)]


def duplicate_a_test_before_itself(nb) -> None:
    """Breakage 2: a test cell copied and pasted above the original (KeyError: 'grade_id')."""
    index = next(i for i, c in enumerate(nb.cells) if grade_id(c) == "test_conv_forward_published")
    nb.cells.insert(index - 1, copy.deepcopy(nb.cells[index]))


def answers_as_grade_cells(nb) -> None:
    """Breakage 3: answer cells re-marked as grade cells worth 1,000 points (NoResultFound)."""
    for cell in nb.cells:
        meta = nbgrader_meta(cell)
        if meta.get("solution"):
            meta.update(grade=True, points=1000)


def tests_as_solution_cells(nb) -> None:
    """Breakage 4: test cells re-marked as solution cells ("Inconsistent checksums")."""
    for cell in nb.cells:
        if is_test(cell):
            nbgrader_meta(cell).update(solution=True)


def extra_grade_cell(nb) -> None:
    """Breakage 5: a grade cell the gradebook does not know (KeyError)."""
    nb.cells.append(nbformat.v4.new_code_cell("print('free points')", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_bonus", "locked": False, "points": 100, "schema_version": 3,
        "solution": False, "task": False}}))


def copy_of_a_test_claims_to_be_the_answer(nb) -> None:
    """A test cell, copied, claims the answer's grade_id and solution role."""
    test = next(c for c in nb.cells if grade_id(c) == "test_zero_pad_published")
    fake = copy.deepcopy(test)
    nbgrader_meta(fake).update(grade_id="zero_pad", solution=True, grade=False, locked=False)
    nb.cells.append(fake)


def answer_ids_swapped_and_tests_reversed(nb) -> None:
    """Answer cells' grade_ids swapped pairwise, every test cell in reverse order at the end."""
    answers = [c for c in nb.cells if nbgrader_meta(c).get("solution")]
    for a, b in zip(answers[0::2], answers[1::2]):
        nbgrader_meta(a)["grade_id"], nbgrader_meta(b)["grade_id"] = grade_id(b), grade_id(a)
    tests = [c for c in nb.cells if is_test(c)]
    nb.cells = [c for c in nb.cells if not is_test(c)] + tests[::-1]


def answer_metadata_dropped_and_tests_retyped(nb) -> None:
    """Answer cells lose all nbgrader metadata; test cells become markdown and lose points."""
    for cell in nb.cells:
        if nbgrader_meta(cell).get("solution"):
            del cell.metadata["nbgrader"]
        elif is_test(cell):
            cell.cell_type = "markdown"
            cell.pop("outputs", None)
            cell.pop("execution_count", None)
            nbgrader_meta(cell).pop("points", None)


def the_tests_claimed_by_a_student_cell(nb) -> None:
    """A student cell claims a test's grade_id (locked, 0 points) and the real test is deleted."""
    nb.cells = [c for c in nb.cells if grade_id(c) != "test_pool_forward_published"]
    nb.cells.append(nbformat.v4.new_code_cell("pass", metadata={"nbgrader": {
        "grade": True, "grade_id": "test_pool_forward_published", "locked": True, "points": 0,
        "schema_version": 3, "solution": False, "task": False}}))


def invalid_cell_ids(nb) -> None:
    """Cell ids nbformat's schema rejects (the notebook would not validate)."""
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"not a valid id #{i}" if i % 2 else "x" * 100


def html_in_tags_and_metadata(nb) -> None:
    """Active HTML where templates write metadata: cell tags (CSS classes), a raw HTML cell,
    the notebook's language."""
    nb.cells[0].metadata["tags"] = ['x"><script>alert("tag")</script>', "fine-tag"]
    nb.cells.append(nbformat.v4.new_raw_cell('<script>alert("raw html")</script><b>bold</b>',
                                             metadata={"raw_mimetype": "text/html", "format": "text/html"}))
    nb.metadata["language_info"] = {"name": '<script>alert("language")</script>'}


def duplicate_cell_ids(nb) -> None:
    """Every cell given the same id (nbformat repairs it with a warning)."""
    for cell in nb.cells:
        cell["id"] = "same"


# files a kernel opened in autograded/ or feedback/ would import as the instructor
EVIL_MODULE = b"import os\nopen(os.path.expanduser('~/owned'), 'w').write('owned')\n"
STUDENT_FILES = {name: EVIL_MODULE for name in (
    "numpy.py", "msgpack.py", "sitecustomize.py", "usercustomize.py", "nbformat.py", "checks.py")}
STUDENT_FILES |= {"evil.pth": b"import os; os.system('touch ~/owned')\n",
                  "coursekit/__init__.py": EVIL_MODULE, "coursekit/preprocessors.py": EVIL_MODULE,
                  "helpers/numpy/__init__.py": EVIL_MODULE, "notes.txt": b"not declared data\n"}

XSS_MARKDOWN = [
    "<script>fetch('/hub/api/users', {method: 'POST'})</script> harmless text",
    '<img src="x" onerror="alert(document.cookie)">',
    "[click me](javascript:alert(1)) and <a href='javascript:alert(2)'>me</a>",
    '<iframe src="https://evil.example/"></iframe><svg onload="alert(3)"></svg>',
    '<div style="background:url(javascript:alert(4))" onclick="alert(5)">styled</div>',
    '<form action="https://evil.example/"><input name="token"></form><object data="x.swf"></object>',
]
XSS_RAW = ['<script>alert("raw")</script>', '<img src=x onerror=alert("raw2")>']
XSS_OUTPUT = '''
from IPython.display import HTML, Javascript, display
display(HTML("<script>alert('output')</script><img src=x onerror=alert('out2')>"))
display(Javascript("alert('js output')"))
'''

PLANTED_FLAG = "<b>forged by the student</b>"


def plant_kit_metadata(nb) -> None:
    """The kit's own notebook metadata written by the student: flags for the report and the
    gradebook (thousands of them), a forged isolation mode, hash and stage times."""
    nb.metadata["coursekit"] = {"flags": [PLANTED_FLAG] * 5000, "isolation": "root",
                                "submitted_sha256": "0" * 64, "phases": {"tests": "not a number"}}


NOTEBOOK_ATTACKS: list[Attack] = [
    NotebookAttack("tests_deleted_after_a_figure", "junk", edit=delete_all_tests,
                   flags={"deleted-locked-cells"}),
    NotebookAttack("test_duplicated_before_itself", "junk", edit=duplicate_a_test_before_itself,
                   flags={"duplicated-cells"}),
    NotebookAttack("answers_as_thousand_point_grade_cells", "junk", edit=answers_as_grade_cells,
                   flags={"metadata-restored"}),
    NotebookAttack("tests_as_solution_cells", "junk", edit=tests_as_solution_cells,
                   flags={"metadata-restored"}),
    NotebookAttack("extra_grade_cell", "junk", edit=extra_grade_cell, flags={"roles-removed"}),
    NotebookAttack("test_copy_claims_the_answer", "junk", edit=copy_of_a_test_claims_to_be_the_answer,
                   flags={"duplicated-cells"}),
    NotebookAttack("answer_ids_swapped_tests_reversed", "junk", edit=answer_ids_swapped_and_tests_reversed,
                   flags={"moved-locked-cells", "metadata-restored"}),
    NotebookAttack("answer_metadata_dropped_tests_retyped", "junk",
                   edit=answer_metadata_dropped_and_tests_retyped,
                   flags={"answer-found-by-function", "metadata-restored"}),
    NotebookAttack("test_claimed_by_a_student_cell", "cheat", edit=the_tests_claimed_by_a_student_cell,
                   answers={"pool_forward": "def pool_forward(A_prev, hparameters, mode='max'):\n    return None"},
                   expect=[2, 3, 8, 0, 12, 2, 2, 8], flags={"moved-locked-cells"}),
    NotebookAttack("duplicate_cell_ids", "junk", edit=duplicate_cell_ids),
    NotebookAttack("invalid_cell_ids", "junk", edit=invalid_cell_ids, flags={"metadata-repaired"}),
    NotebookAttack("kit_metadata_planted", "junk", edit=plant_kit_metadata, flags={"metadata-repaired"}),
    NotebookAttack("garbled_timestamp", "junk", files={"timestamp.txt": b"the day before the deadline"}),
    NotebookAttack("forged_early_timestamp", "junk", files={"timestamp.txt": b"2001-01-01 00:00:00.000000 UTC"}),
    NotebookAttack("links_and_a_fifo_beside_the_notebook", "junk", fifos=["pipe"], links={
        "zeros": "/dev/zero", "source_copy": "../../../source", "shadow": "/etc/shadow",
        "gradebook.db": "../../../gradebook.db"}, flags={"links-set-aside"}),
    NotebookAttack("student_modules_beside_the_notebook", "junk", files=STUDENT_FILES,
                   flags={"files-not-kept"}),
    NotebookAttack("scripts_in_markdown_raw_and_outputs", "junk", markdown=XSS_MARKDOWN, raw_cells=XSS_RAW,
                   cells=[XSS_OUTPUT], flags={"html-sanitized"}),
    NotebookAttack("html_in_tags_raw_html_and_language", "junk", edit=html_in_tags_and_metadata,
                   flags={"html-sanitized"}),
]

# the main suite (test_attacks.py) grades the attacks it can write as they are
ATTACKS.extend(a for a in NOTEBOOK_ATTACKS if not (a.files or a.markdown or a.raw_cells or a.fifos))
