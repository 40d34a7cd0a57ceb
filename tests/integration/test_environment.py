"""The kit's environment where the README says it runs. The pins install on Debian 12's own
python3 (3.11.2, older than the 3.11.7 of pyenv) with the kit, which imports from any folder, as
a Dask worker would. And every account of a shared server (students' and instructors' Jupyter
servers) runs the environment as the grader (root) does: the same Python, packages and kit.
Slow: it installs every pin (from pip's cache when warm), once for both tests."""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import REPO, missing

DEBIAN_PYTHON = Path("/usr/bin/python3")
NOBODY = 65534           # Debian's nobody/nogroup: another account, with no access of its own
PROBE = ("import sys, importlib.metadata as md, soupsieve; soupsieve.compile('img:not([alt])'); "  # nbconvert's HTML
         "import numpy, matplotlib, nbgrader, jupyterlab, ipykernel, nbconvert, coursekit; "
         "print(sys.version, sys.prefix, coursekit.__file__, *(md.version(n) for n in "
         "('numpy', 'matplotlib', 'nbgrader', 'jupyterlab', 'ipykernel', 'nbconvert', 'soupsieve')))")


@pytest.fixture(scope="module")
def debian_environment() -> Iterator[Path]:
    """A venv made with Debian's own python3, holding the pinned requirements and the kit
    (editable, this checkout), in a folder every account may enter; yields its ``python``."""
    probe = subprocess.run([str(DEBIAN_PYTHON), "-c", "import ensurepip, venv"],
                           capture_output=True) if DEBIAN_PYTHON.exists() else None
    if probe is None or probe.returncode != 0:
        missing("Debian's python3 with venv (/usr/bin/python3, python3-venv)",
                "`python3 tasks.py test` installs it when run as root; or: apt-get install python3-venv")
    base = Path(tempfile.mkdtemp(prefix="coursekit-debian-env-"))
    try:
        base.chmod(0o755)
        subprocess.run([str(DEBIAN_PYTHON), "-m", "venv", str(base / "env")], check=True)
        python = base / "env" / "bin" / "python"
        pip = [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "--no-compile"]
        for args in (["-r", str(REPO / "requirements.txt")], ["--no-deps", "--no-build-isolation", "-e", str(REPO)]):
            result = subprocess.run(pip + args, capture_output=True, text=True, timeout=1500)
            if result.returncode != 0:
                pytest.fail(f"{DEBIAN_PYTHON}: pip install {' '.join(args)}:\n{result.stderr[-3000:]}")
        yield python
    finally:
        shutil.rmtree(base, ignore_errors=True)


@pytest.mark.slow
def test_debians_own_python3_installs_the_pins_and_imports_the_kit(debian_environment, tmp_path):
    wanted = subprocess.run([str(DEBIAN_PYTHON), "-c", "import sys; print(sys.version.split()[0])"],
                            capture_output=True, text=True, check=True).stdout.strip()
    check = ("import sys, coursekit, coursekit.cluster, coursekit.pipeline, coursekit.preprocessors, nbgrader, "
             "dask_jobqueue, nh3; print(sys.version.split()[0], coursekit.__file__)")
    result = subprocess.run([str(debian_environment), "-c", check], cwd=tmp_path, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    version, where = result.stdout.split()
    assert version == wanted and Path(where) == REPO / "coursekit" / "__init__.py"
    assert sys.executable != str(debian_environment)


def unreadable_ancestor(path: Path) -> Path | None:
    """The first folder above ``path`` that other users may not enter, if any."""
    for folder in reversed(path.parents):
        if folder != Path("/") and not folder.stat().st_mode & 0o001:
            return folder
    return None


def environment_seen(python: Path, as_nobody: bool) -> subprocess.CompletedProcess:
    """What ``python`` is (version, prefix, the kit it imports, the servers' packages) to root or
    to another account."""
    home = Path(tempfile.mkdtemp(prefix="coursekit-env-"))
    try:
        home.chmod(0o755)
        env = {"HOME": str(home), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "MPLCONFIGDIR": str(home),
               **{k: os.environ[k] for k in ("PYTHONPATH",) if k in os.environ}}
        drop = ["setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", "--"] if as_nobody else []
        return subprocess.run([*drop, str(python), "-c", PROBE], capture_output=True, text=True, timeout=120,
                              cwd=home, env=env)
    finally:
        shutil.rmtree(home)


@pytest.mark.slow
@pytest.mark.root
def test_every_account_runs_the_kits_environment_as_the_grader_does(request):
    """Where the environment was built from an interpreter other accounts may not reach (this
    machine's: root's pyenv, under /root), they would run the system's libpython and standard
    library with its packages, so the README says to build it from a Python every account can
    read; that is what is tested then: the environment made with Debian's python3. (The exchange
    test's cycle hides the unreadable folder in a mount namespace, to test the course anywhere.)"""
    python = Path(sys.executable)
    blocked = unreadable_ancestor(Path(sys.base_prefix))
    if blocked:
        print(f"{sys.prefix} is built from {sys.base_prefix}, under {blocked}, which other accounts may not "
              f"enter: testing an environment built from {DEBIAN_PYTHON} instead")
        python = request.getfixturevalue("debian_environment")
    grader, theirs = environment_seen(python, as_nobody=False), environment_seen(python, as_nobody=True)
    assert grader.returncode == 0, grader.stderr[-1500:]
    assert theirs.returncode == 0, f"another account cannot run {python}:\n{theirs.stderr[-1500:]}"
    assert theirs.stdout == grader.stdout, f"another account runs another environment from {python}"
