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
