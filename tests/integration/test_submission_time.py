"""Submission times through nbgrader's own exchange: a student who forges the time in the inbound
folder's name and in timestamp.txt gets the time of their last change instead (the kit's
setting, on by default), and stock nbgrader's behaviour (the forged time) with it off."""
from __future__ import annotations

import datetime
import json
import os
import shutil
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from tests.conftest import run

COURSE_ID = "cnn-layers-course"
FORGED = "2001-01-01 00:00:00.000000 UTC"


def now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


@pytest.mark.slow
def test_a_forged_submission_time_is_not_believed(course, tmp_path, monkeypatch):
    exchange, student = tmp_path / "exchange", tmp_path / "student"
    exchange.mkdir()
    student.mkdir()
    monkeypatch.setenv("NBGRADER_EXCHANGE", str(exchange))
    flags = [f"--Exchange.root={exchange}", f"--Exchange.cache={tmp_path / 'cache'}", f"--course={COURSE_ID}"]
    run(course, "nbgrader", "release_assignment", "cnn_layers", "--log-level=WARN")
    run(student, "nbgrader", "fetch_assignment", "cnn_layers", *flags, "--log-level=WARN")
    started = now()
    run(student, "nbgrader", "submit", "cnn_layers", *flags, "--log-level=WARN")
    inbound = exchange / COURSE_ID / "inbound"
    (submitted,) = inbound.iterdir()
    (submitted / "timestamp.txt").write_text(FORGED)                 # the student's own files
    name, assignment, _, *rest = submitted.name.split("+")
    submitted.rename(inbound / "+".join([name, assignment, FORGED, *rest]))

    run(course, "nbgrader", "collect", "cnn_layers", "--log-level=WARN")
    folder = course / "submitted" / name / "cnn_layers"
    record = json.loads((folder.parent / ".cnn_layers.collected.json").read_text())
    assert record["student_timestamp"] == FORGED and (folder / "timestamp.txt").read_text() == FORGED
    run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=WARN")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        timestamp = gb.find_submission("cnn_layers", name).timestamp
    assert started - datetime.timedelta(seconds=2) <= timestamp <= now()
    assert (course / "autograded" / name / "cnn_layers" / "timestamp.txt").read_text().startswith(str(timestamp)[:19])

    run(course, "coursekit", "grade", "cnn_layers", "--force")         # the kit's own grading agrees
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_submission("cnn_layers", name).timestamp == timestamp

    with open(course / "nbgrader_config.py", "a") as config:          # stock nbgrader believes the student
        config.write("\nc.SubmissionTime.from_collection = False\n")
    shutil.rmtree(course / "autograded")
    run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=WARN")
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        assert gb.find_submission("cnn_layers", name).timestamp.year == 2001


@pytest.mark.slow
def test_a_garbled_timestamp_does_not_stop_grading(course):
    folder = course / "submitted" / "garbled" / "cnn_layers"
    folder.mkdir(parents=True)
    shutil.copy(course / "release" / "cnn_layers" / "cnn_layers.ipynb", folder)
    (folder / "timestamp.txt").write_text("when the moon is full")
    os.utime(folder / "timestamp.txt", (0, 0))                        # mtimes are the student's too
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("\nc.SubmissionTime.from_collection = False\n")   # even stock reading never raises
    run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=WARN")
    assert Path(course / "autograded" / "garbled" / "cnn_layers" / "cnn_layers.ipynb").exists()
