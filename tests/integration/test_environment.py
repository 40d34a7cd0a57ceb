"""The pins install where the README says: a venv made with Debian 12's own python3 (3.11.2,
older than the 3.11.7 of pyenv) installs requirements.txt and the kit, and imports it from any
folder, as a Dask worker would. Slow: it installs every pin (from pip's cache when warm)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO, missing

DEBIAN_PYTHON = Path("/usr/bin/python3")


@pytest.mark.slow
def test_debians_own_python3_installs_the_pins_and_imports_the_kit(tmp_path):
    probe = subprocess.run([str(DEBIAN_PYTHON), "-c", "import ensurepip, venv, sys; print(sys.version.split()[0])"],
                           capture_output=True, text=True) if DEBIAN_PYTHON.exists() else None
    if probe is None or probe.returncode != 0:
        missing("Debian's python3 with venv (/usr/bin/python3, python3-venv)",
                "`python3 tasks.py test` installs it when run as root; or: apt-get install python3-venv")
    assert probe is not None
    venv = tmp_path / "debian-venv"
    subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    pip = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
    for args in (["-r", str(REPO / "requirements.txt")], ["--no-deps", "--no-build-isolation", "-e", str(REPO)]):
        result = subprocess.run(pip + args, capture_output=True, text=True, timeout=1500)
        assert result.returncode == 0, f"Python {probe.stdout.strip()}: pip install {' '.join(args)}:\n" \
                                       f"{result.stderr[-3000:]}"
    check = ("import sys, coursekit, coursekit.cluster, coursekit.pipeline, coursekit.preprocessors, nbgrader, "
             "dask_jobqueue, nh3; print(sys.version.split()[0], coursekit.__file__)")
    result = subprocess.run([python, "-c", check], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    version, where = result.stdout.split()
    assert version == probe.stdout.strip() and Path(where) == REPO / "coursekit" / "__init__.py"
    assert sys.executable != python
