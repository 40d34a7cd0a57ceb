"""A worker's start (its sandbox zygote) is timed apart from the submissions it grades."""
from __future__ import annotations

import time

from coursekit.course import load_config
from coursekit.pipeline import Pipeline
from coursekit.preprocessors import SandboxedExecute
from tests.conftest import REPO


def test_the_start_is_told_once_with_the_next_result_and_not_in_its_seconds(tmp_path, monkeypatch):
    pipeline = Pipeline(load_config(REPO))
    monkeypatch.setattr(SandboxedExecute, "start", lambda self: time.sleep(0.2))
    folders = (tmp_path / "submitted", tmp_path / "autograded", tmp_path / "source")
    for folder in folders[::2]:
        folder.mkdir()
    monkeypatch.setattr(Pipeline, "_folders", lambda self, assignment, student: folders)
    pipeline.start()
    first = pipeline.grade("cnn_layers", "student", [])
    second = pipeline.grade("cnn_layers", "student", [])
    assert first.startup >= 0.2 and first.seconds < 0.2
    assert second.startup == 0.0
