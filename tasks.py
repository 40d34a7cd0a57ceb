#!/usr/bin/env python3
"""The kit's entry points; they need nothing but python3.

    python3 tasks.py grade-samples     build, grade the sample class, feedback, CSV, report
    python3 tasks.py test [args]       the test suite (extra arguments go to pytest)
    python3 tasks.py shell             a shell command line for the kit's environment
    python3 tasks.py pin [name=why..]  rewrite requirements.txt from .venv (add direct dependencies)

Each first makes sure `.venv/` holds exactly the pinned `requirements.txt`.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".requirements.sha256"


def ensure_environment() -> None:
    """Create .venv and install the pinned requirements when they changed."""
    wanted = hashlib.sha256((ROOT / "requirements.txt").read_bytes()).hexdigest()
    if PYTHON.exists() and STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    if not PYTHON.exists():
        print("creating .venv/ ...", flush=True)
        try:
            venv.create(VENV, with_pip=True)
        except Exception as exc:   # Debian without python3-venv, for example
            sys.exit(f"could not create a virtual environment ({exc}); install python3-venv")
    print("installing the pinned requirements into .venv/ (first run only) ...", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / "requirements.txt")], check=True)
    STAMP.write_text(wanted)


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
    STAMP.write_text(hashlib.sha256(path.read_bytes()).hexdigest())
    return 0


def main(argv: list[str]) -> int:
    command, rest = (argv[0], argv[1:]) if argv else ("help", [])
    if command == "pin":
        return pin(rest)
    if command not in ("grade-samples", "test", "shell"):
        print(__doc__)
        return 0 if command == "help" else 2
    ensure_environment()
    if command == "grade-samples":
        return run("-m", "coursekit", "main", *rest)
    if command == "test":
        return run("-m", "pytest", *rest)
    print(f"source {VENV}/bin/activate")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
