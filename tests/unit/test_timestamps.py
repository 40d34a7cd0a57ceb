"""Where submission times come from (coursekit.timestamps), without running nbgrader."""
from __future__ import annotations

import datetime
import json

import pytest
from nbgrader.coursedir import CourseDirectory
from traitlets.config import Config

from coursekit.timestamps import get_existing_timestamp, record_path, submission_time

FORGED = "2001-01-01 00:00:00.000000 UTC"


def coursedir(root, **setting) -> CourseDirectory:
    config = Config()
    config.CourseDirectory.root = str(root)
    for key, value in setting.items():
        setattr(config.SubmissionTime, key, value)
    return CourseDirectory(config=config)


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "submitted" / "student" / "a1"
    path.mkdir(parents=True)
    (path / "a1.ipynb").write_text("{}")
    (path / "timestamp.txt").write_text(FORGED)
    return path


def test_the_collection_record_wins_over_the_students_file(tmp_path, folder):
    record_path(folder).write_text(json.dumps({"changed": "2026-03-01T10:00:00"}))
    assert submission_time(coursedir(tmp_path), folder) == datetime.datetime(2026, 3, 1, 10)
    assert get_existing_timestamp(coursedir(tmp_path), str(folder)) == datetime.datetime(2026, 3, 1, 10)


@pytest.mark.parametrize("mode", ["none", "file-times", "timestamp.txt"])
def test_without_a_record_the_setting_decides(tmp_path, folder, mode):
    when = submission_time(coursedir(tmp_path, without_record=mode), folder)
    if mode == "none":
        assert when is None
    elif mode == "file-times":
        assert abs(when - datetime.datetime.now(datetime.UTC).replace(tzinfo=None)) < datetime.timedelta(minutes=5)
    else:
        assert when == datetime.datetime(2001, 1, 1)


@pytest.mark.parametrize("text", ["when the moon is full", "", "2001-13-45 99:99"])
def test_a_garbled_or_forged_file_never_raises(tmp_path, folder, text):
    (folder / "timestamp.txt").write_text(text)
    record_path(folder).write_text("{not json")
    for setting in ({}, {"from_collection": False}, {"without_record": "timestamp.txt"}):
        assert submission_time(coursedir(tmp_path, **setting), folder) is None


def test_the_formgrader_sees_a_recorded_submission_as_graded(tmp_path, folder, monkeypatch):
    """The formgrader (NbGraderAPI) reads submitted/.../timestamp.txt itself, not through
    get_existing_timestamp, and calls a submission graded only when that time equals the
    gradebook's: with the student's time it showed every collected submission ungraded, with an
    empty score (the exchange browser test's failure)."""
    from nbgrader.api import Gradebook
    from nbgrader.apps import NbGraderAPI

    from coursekit import timestamps

    for cls, name in ((CourseDirectory, "get_existing_timestamp"), (NbGraderAPI, "get_submitted_timestamp")):
        monkeypatch.setattr(cls, name, getattr(cls, name))        # restored after the test
    timestamps.install()
    monkeypatch.setattr("nbgrader.api.get_alembic_version", lambda: "none")   # a new gradebook runs `alembic heads`
    recorded = datetime.datetime(2026, 3, 1, 10)
    record_path(folder).write_text(json.dumps({"changed": recorded.isoformat()}))
    (tmp_path / "autograded" / "student" / "a1").mkdir(parents=True)
    course = coursedir(tmp_path)
    course.db_url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(course.db_url) as gb:                # what autograde stores: the recorded time
        gb.add_assignment("a1")
        gb.add_notebook("a1", "a1")
        gb.add_grade_cell("test", "a1", "a1", max_score=2, cell_type="code")
        gb.add_student("student")
        gb.add_submission("a1", "student", timestamp=course.get_existing_timestamp(str(folder)))
    course.config.Exchange.root = str(tmp_path)
    api = NbGraderAPI(course, config=course.config)
    assert api.get_submitted_timestamp("a1", "student") == recorded
    assert api.get_autograded_students("a1") == {"student"}
    [row] = api.get_submissions("a1")
    assert row["autograded"] and row["max_score"] == 2 and row["timestamp"] == recorded.isoformat()
