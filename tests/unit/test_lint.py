"""The kit's code passes its linters (configured in pyproject.toml): a lint failure fails the tests."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import REPO


def tool(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", *args], cwd=REPO, capture_output=True, text=True, timeout=600)


def test_ruff_finds_nothing_in_the_kit():
    result = tool("ruff", "check", "--no-cache", "--output-format", "concise")
    assert result.returncode == 0, result.stdout + result.stderr


def test_mypy_finds_nothing_in_the_kit():
    result = tool("mypy")
    assert result.returncode == 0, result.stdout + result.stderr
