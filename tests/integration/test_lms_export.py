"""The LMS exports on a real gradebook: the sample class graded by ``python -m coursekit grade``,
exported by stock ``nbgrader export --exporter=coursekit.lms...``, each file checked against the
columns its LMS documents (see coursekit/lms.py)."""
from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from coursekit.lms import CANVAS_HEADER, CANVAS_POINTS, MOODLE_HEADER
from tests.conftest import REPO, run

pytestmark = pytest.mark.slow
DUE = "2026-01-10 12:00:00"
LATE = "2026-01-10 14:30:00.000000 UTC"      # 2.5 hours late: three started hours
PENALTY_PLUGIN = '''
import math
from nbgrader.plugins import LateSubmissionPlugin

class TwoPointsPerHour(LateSubmissionPlugin):
    """Two points per started hour late (a test course's policy)."""
    def late_submission_penalty(self, student_id, score, total_seconds_late):
        return 2.0 * math.ceil(total_seconds_late / 3600)

c.AssignLatePenalties.plugin_class = TwoPointsPerHour
# this course's submissions are put in submitted/ by hand, with nbgrader's timestamp.txt: trust it
c.SubmissionTime.without_record = "timestamp.txt"
'''
ROSTER = ("nbgrader_id,lms_id,name,email,sis_user_id,sis_login_id,section\n"
          "ada,1001,Ada Lovelace,ada@example.edu,S-1,ada.l,CNN 101 A\n"
          "reference,1002,Rita Reference,rita@example.edu,S-2,rita.r,CNN 101 B\n"
          "zoe,1003,Zoe Absent,zoe@example.edu,S-3,zoe.a,CNN 101 A\n")
EXPECTED = {"ada": 32 - 6, "reference": 42, "zoe": 0}     # ada: 32 of 42, late by 3 started hours


@pytest.fixture(scope="module")
def graded(released_course: Path, tmp_path_factory) -> Path:
    """The course with ada (a mistake, submitted late), reference (right) and zoe (nothing) graded."""
    course = tmp_path_factory.mktemp("lms") / "course"
    shutil.copytree(released_course, course)
    for student in ("ada", "reference"):
        shutil.copytree(REPO / "submitted" / student / "cnn_layers", course / "submitted" / student / "cnn_layers")
    (course / "submitted" / "ada" / "cnn_layers" / "timestamp.txt").write_text(LATE)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(PENALTY_PLUGIN)
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        gb.update_or_create_assignment("cnn_layers", duedate=DUE)
        gb.add_student("zoe", first_name="Zoe", last_name="Absent")
    run(course, "coursekit", "grade", "cnn_layers", "--workers", "2")
    (course / "roster.csv").write_text(ROSTER)
    return course


def export(course: Path, exporter: str, *args: str) -> list[list[str]]:
    out = course / f"{exporter}.csv"
    run(course, "nbgrader", "export", f"--exporter=coursekit.lms.{exporter}", f"--to={out}",
        "--assignment=['cnn_layers']", *args)
    with open(out, newline="") as handle:
        return list(csv.reader(handle))


def test_the_gradebook_holds_the_late_penalty(graded):
    with Gradebook(f"sqlite:///{graded / 'gradebook.db'}") as gb:
        ada = gb.find_submission("cnn_layers", "ada")
        assert (ada.score, ada.late_submission_penalty) == (32, 6)
        assert gb.find_submission("cnn_layers", "reference").late_submission_penalty in (0, None)


def test_canvas_file_has_the_documented_header_points_possible_and_one_row_per_student(graded):
    rows = export(graded, "CanvasExport")
    assert rows[0] == [*CANVAS_HEADER, "cnn_layers"]
    assert rows[0][:5] == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section"]
    assert rows[1] == [CANVAS_POINTS, "", "", "", "", "42"]
    body = {row[1]: row for row in rows[2:]}
    assert body == {
        "1001": ["Ada Lovelace", "1001", "S-1", "ada.l", "CNN 101 A", str(EXPECTED["ada"])],
        "1002": ["Rita Reference", "1002", "S-2", "rita.r", "CNN 101 B", str(EXPECTED["reference"])],
        "1003": ["Zoe Absent", "1003", "S-3", "zoe.a", "CNN 101 A", "0"],
    }


def test_canvas_column_names_an_existing_assignment_by_its_canvas_id(graded):
    rows = export(graded, "CanvasExport", "--CanvasExport.assignment_ids={'cnn_layers': 4321}")
    assert rows[0][-1] == "cnn_layers (4321)"


def test_moodle_file_has_the_documented_user_columns_a_grade_and_its_feedback(graded):
    rows = export(graded, "MoodleExport")
    assert rows[0] == [*MOODLE_HEADER, "cnn_layers", "cnn_layers feedback"]
    assert rows[0][:4] == ["First name", "Last name", "ID number", "Email address"]
    body = {row[2]: row for row in rows[1:]}
    assert len(rows) == 4 and set(body) == {"1001", "1002", "1003"}
    assert body["1001"][:5] == ["Ada", "Lovelace", "1001", "ada@example.edu", "26"]
    assert body["1001"][5] == "26 / 42 points (32 before a late penalty of 6)"
    assert body["1002"][4:] == ["42", "42 / 42 points"]
    assert body["1003"][4:] == ["0", "not submitted"]


def test_missing_submissions_can_be_left_empty_and_students_selected(graded):
    rows = export(graded, "MoodleExport", "--LmsExport.missing_as_zero=False", "--MoodleExport.feedback=False",
                  "--student=['zoe', 'reference']")
    assert rows[0] == [*MOODLE_HEADER, "cnn_layers"]
    assert {row[2]: row[4] for row in rows[1:]} == {"1002": "42", "1003": ""}


def test_a_student_missing_from_the_roster_stops_the_export_and_is_named(graded):
    roster = graded / "short_roster.csv"
    roster.write_text("nbgrader_id,lms_id\nada,1001\n")
    result = run(graded, "nbgrader", "export", "--exporter=coursekit.lms.CanvasExport",
                 f"--LmsExport.roster={roster}", f"--to={graded / 'never.csv'}", check=False)
    assert result.returncode != 0
    assert "has no row for reference, zoe" in result.stdout + result.stderr
