"""The README starts with the two commands, and the main one works from a fresh clone."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO


def readme_commands() -> list[str]:
    text = (REPO / "README.md").read_text()
    block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert block and text.index(block.group(0)) < 200, "the README must start with its commands"
    return [line.split("#")[0].strip() for line in block.group(1).splitlines() if line.strip()]


def test_the_readme_starts_with_exactly_two_commands():
    assert readme_commands() == ["python3 tasks.py grade-samples", "python3 tasks.py test"]


def test_ci_runs_the_readme_test_command():
    assert "python3 tasks.py test" in (REPO / ".ci" / "run").read_text()


@pytest.mark.slow
def test_the_main_command_works_from_a_fresh_clone(tmp_path):
    if not (REPO / ".git").exists():
        pytest.skip("not a git checkout")
    clone = tmp_path / "fresh"
    subprocess.run(["git", "clone", "--quiet", str(REPO), str(clone)], check=True)
    # The environment tasks.py would create is the one running these tests (CI just created it
    # from requirements.txt with this very command line); reuse it instead of installing twice.
    os.symlink(Path(sys.prefix), clone / ".venv")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "MPLBACKEND")}
    result = subprocess.run(["python3", "tasks.py", "grade-samples"], cwd=clone, env=env,
                            capture_output=True, text=True, timeout=1200)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    for student, total in [("reference", "42"), ("untouched", "0"), ("ada", "32"), ("eli", "42")]:
        assert re.search(rf"│ {student}\s.*│\s+{total} │", out), f"no score row for {student}"
    assert (clone / "reports" / "grades.csv").read_text().count("\ncnn_layers,") == 7
    assert (clone / "reports" / "cnn_layers_report.html").exists()
    assert (clone / "feedback" / "ada" / "cnn_layers" / "cnn_layers.html").exists()
    status = subprocess.run(["git", "status", "--porcelain"], cwd=clone, capture_output=True, text=True).stdout
    assert status.strip() == "", f"the build changed committed files:\n{status}"
