#!/usr/bin/env python3
"""The kit's entry points; they need nothing but python3.

    python3 tasks.py grade-samples     build, grade the sample class, feedback, CSV, report
    python3 tasks.py test [args]       the test suite (extra arguments go to pytest); first installs
                                       what the tests use beyond Python (Debian's chromium and
                                       postgresql) when it is missing and you are root
    python3 tasks.py test --fast       the fast lane: no nbgrader runs, browser or PostgreSQL
    python3 tasks.py lint              ruff and mypy on coursekit/ (the tests run them too)
    python3 tasks.py shell             a shell command line for the kit's environment
    python3 tasks.py pin [name=why..]  rewrite requirements.txt from .venv (add direct dependencies)

Each first makes sure `.venv/` holds exactly the pinned `requirements.txt` and the kit itself
(`pip install -e .`, so nbgrader, Dask workers and every tool of .venv import it from anywhere).
"""
from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".requirements.sha256"
FAST = "not slow and not browser and not postgres"     # the markers are in pytest.ini
PIP = ["-m", "pip", "install", "--quiet", "--disable-pip-version-check"]


def wanted_stamp() -> str:
    return hashlib.sha256(b"".join((ROOT / name).read_bytes() for name in ("requirements.txt", "pyproject.toml"))
                          ).hexdigest()


def ensure_environment() -> None:
    """Create .venv, install the pinned requirements and the kit when either changed."""
    wanted = wanted_stamp()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("creating .venv/ ...", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:   # Debian without python3-venv, for example
            sys.exit(f"could not create a virtual environment ({exc}); install python3-venv")
    print("installing the pinned requirements and the kit into .venv/ (first run only) ...", flush=True)
    subprocess.run([str(PYTHON), *PIP, "-r", str(ROOT / "requirements.txt")], check=True)
    subprocess.run([str(PYTHON), *PIP, "--no-deps", "--no-build-isolation", "-e", str(ROOT)], check=True)
    STAMP.write_text(wanted)


def provision() -> None:
    """Install from Debian what the tests use beyond Python, when missing and we are root, and
    say which pieces the run has; tests whose piece is missing skip and say how to get it."""
    pieces = {   # Debian package: (what, is it here?)
        "chromium": ("Chromium, for the browser tests", lambda: os.path.exists("/usr/bin/chromium")),
        "postgresql": ("a PostgreSQL server, started by the test session on 127.0.0.1",
                       lambda: bool(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))),
        "python3-venv": ("Debian's own python3 with venv, to check the pins install there",
                         lambda: subprocess.run(["/usr/bin/python3", "-c", "import ensurepip, venv"],
                                                capture_output=True).returncode == 0),
    }
    absent = [name for name, (_, here) in pieces.items() if not here()]
    installed: list[str] = []
    if absent and os.geteuid() == 0 and shutil.which("apt-get"):
        print(f"installing from Debian: {' '.join(absent)} ...", flush=True)
        quiet = {"stdout": subprocess.DEVNULL}
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        if subprocess.run(["apt-get", "update", "-qq"], env=env, **quiet).returncode == 0:
            for name in absent:
                subprocess.run(["apt-get", "install", "-y", "-qq", name], env=env, **quiet)
        installed = [name for name in absent if pieces[name][1]()]
    for name, (what, here) in pieces.items():
        state = ("installed now" if name in installed else "here") if here() else \
            f"MISSING, its tests will skip (as root: apt-get install {name})"
        print(f"test piece: {what}: {state}")


def run(*args: str) -> int:
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PATH"] = f"{VENV / 'bin'}{os.pathsep}{env.get('PATH', '')}"   # nbgrader calls `alembic`
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, env=env).returncode


CLOSURE = """
import sys, importlib.metadata as md
from packaging.requirements import Requirement
seen, done, todo = {}, set(), [(n.lower(), "") for n in sys.argv[1:]]
while todo:
    name, extra = todo.pop()
    if (name, extra) in done:
        continue
    done.add((name, extra))
    dist = md.distribution(name)
    seen[name] = f"{dist.metadata['Name']}=={dist.version}"
    for line in dist.requires or []:
        req = Requirement(line)
        if req.marker is None or req.marker.evaluate({"extra": extra}):
            todo += [(req.name.lower().replace("_", "-"), e) for e in ["", *req.extras]]
print("\\n".join(sorted(seen.values(), key=str.lower)))
"""


def pin(additions: list[str]) -> int:
    """Pin the direct dependencies (with why) and everything they need, as .venv holds them;
    packages installed for other purposes (a benchmark's PyTorch) stay out."""
    path = ROOT / "requirements.txt"
    lines = path.read_text().splitlines()
    split = lines.index("# ... and what those depend on:")
    why = {line.split("==")[0].lower(): line.split("#", 1)[1].strip() for line in lines[:split] if "==" in line}
    why.update({name.lower(): reason for name, reason in (a.split("=", 1) for a in additions)})
    pins = subprocess.run([str(PYTHON), "-c", CLOSURE, *why], capture_output=True, text=True,
                          check=True).stdout.split()
    direct = [f"{p:<28}# {why[p.split('==')[0].lower()]}" for p in pins if p.split("==")[0].lower() in why]
    rest = [p for p in pins if p.split("==")[0].lower() not in why]
    path.write_text("\n".join(lines[:2] + direct + ["", lines[split]] + rest) + "\n")
    STAMP.write_text(wanted_stamp())
    return 0


def test(args: list[str]) -> int:
    if "--fast" in args:
        args = ["-m", FAST, *[a for a in args if a != "--fast"]]
    else:
        provision()
    if not any(a == "-n" or a.startswith("--numprocesses") or a == "no:xdist" for a in args):
        # both cores; each file's tests in one process (files sharing fixtures together), the
        # files in collection order, which tests/conftest.py makes heaviest first (xdist would
        # otherwise start with the files that have the most tests)
        args = ["-n", "2", "--dist", "loadfile", "--no-loadscope-reorder", *args]
    return run("-m", "pytest", *args)


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "pin":
        return pin(rest)
    if command not in ("grade-samples", "test", "lint", "shell"):
        print(__doc__)
        return 0 if command == "help" else 2
    ensure_environment()
    if command == "grade-samples":
        return run("-m", "coursekit", "main", *rest)
    if command == "test":
        return test(rest)
    if command == "lint":
        return run("-m", "ruff", "check", *rest) or run("-m", "mypy")
    print(f"source {VENV}/bin/activate")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
