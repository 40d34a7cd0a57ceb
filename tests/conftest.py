"""Shared fixtures: a throwaway copy of the course, commands run in it, and the optional pieces
some tests need (Chromium, a PostgreSQL server, root, the SIGNS data), each skipped with one line
saying what is missing and what brings it, or failed when ``COURSEKIT_REQUIRE_ALL`` is set (CI)."""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path

import nbformat
import pytest

REPO = Path(__file__).resolve().parent.parent
# course copies live elsewhere: point them at the shared data sets (nbgrader_config.py reads this)
os.environ.setdefault("COURSEKIT_DATASETS", str(REPO.parent / "shared" / "datasets"))
# the course, not the kit: the kit is installed in the environment (pyproject.toml), as for users
COPIED = ["notebooks", "samples", "source", "release", "solutions", "submitted",
          "nbgrader_config.py", "requirements.txt"]
# CI sets COURSEKIT_REQUIRE_ALL=1 (COURSEKIT_REQUIRE_DATA is its older name, for the data alone)
REQUIRE_ALL = bool(os.environ.get("COURSEKIT_REQUIRE_ALL") or os.environ.get("COURSEKIT_REQUIRE_DATA"))
CHROMIUM = "/usr/bin/chromium"
BRING = "`python3 tasks.py test` installs it when run as root"


def missing(what: str, bring: str) -> None:
    """Skip the test for a piece this machine lacks (one line: what, and the command that brings
    it); with ``COURSEKIT_REQUIRE_ALL`` set, fail instead."""
    (pytest.fail if REQUIRE_ALL else pytest.skip)(f"{what} is missing: {bring}")


def pytest_configure(config: pytest.Config) -> None:
    """Refuse to test another checkout's kit: subprocesses (nbgrader, dask) import the installed one."""
    config.pluginmanager.register(HeaviestFirst(), "coursekit-heaviest-first")
    found = subprocess.run([sys.executable, "-c", "import coursekit; print(coursekit.__file__)"],
                           cwd="/", capture_output=True, text=True).stdout.strip()
    if not found or Path(found).resolve().parent != REPO / "coursekit":
        pytest.exit(f"{sys.executable} imports coursekit from {found or 'nowhere'}, not from {REPO}: "
                    f"run `python3 tasks.py test`, or `pip install -e {REPO}` into this environment", 4)


# Files by the seconds their tests took (`--durations=0`, summed per file, 2026-12-01, a loaded
# machine), heaviest first; the others follow in their usual order. Under `--dist loadfile`
# (tasks.py) xdist hands files to its workers in this order, so the long ones start first and
# the short ones fill the tail. Only the order depends on it: a wrong guess costs time, no result.
HEAVIEST_FIRST = [
    "tests/attacks/test_attacks.py",            # 725 s: the attack class, then its feedback
    "tests/integration/test_scale_out.py",      # 470 s (with test_samples: one group, below)
    "tests/integration/test_samples.py",        # 310 s
    "tests/mutation/test_mutants.py",           # 260 s
    "tests/integration/test_structure_fuzz.py",  # 215 s
    "tests/integration/test_audit.py",          # 210 s
    "tests/integration/test_submission_time.py",  # 190 s
    "tests/attacks/test_isolation.py",          # 185 s
    "tests/integration/test_readme.py",         # 165 s
    "tests/browser/test_exchange.py",           # 150 s
    "tests/integration/test_build.py",          # 145 s
    "tests/browser/test_browser.py",            # 145 s
    "tests/attacks/test_notebook_attacks.py",   # 130 s
    "tests/integration/test_application.py",    # 110 s
    "tests/integration/test_lms_export.py",     # 100 s
    "tests/integration/test_environment.py",    # 85 s
    "tests/unit/test_lint.py",                  # 65 s with a cold mypy cache (a fresh clone)
]
# Files that share session fixtures run in one xdist worker (one unit of work, see
# pytest_xdist_make_scheduler); every other file is a unit of its own.
SHARED_GROUPS = {"tests/integration/test_samples.py": "sample-class",
                 "tests/integration/test_scale_out.py": "sample-class"}


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.browser)
        if "postgres_server" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.postgres)


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config: pytest.Config, log):
    """``--dist loadfile`` (tasks.py), with the files of SHARED_GROUPS as one unit. (Not
    ``--dist loadgroup``: with pytest 9.2 it silently stops grouping, pytest-xdist issue #1386.)"""
    if config.getvalue("dist") != "loadfile":
        return None
    from xdist.scheduler import LoadFileScheduling

    class SharedFiles(LoadFileScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = super()._split_scope(nodeid)
            return SHARED_GROUPS.get(path, path)

    return SharedFiles(config, log)


class HeaviestFirst:
    """Puts the heavy files first, after the other plugins have selected and ordered the tests
    (pytest's fixture ordering could move them otherwise); the workers' order is the schedule's."""

    @pytest.hookimpl(trylast=True)
    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        rank = {path: i for i, path in enumerate(HEAVIEST_FIRST)}
        items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))   # stable


def fill_data_or_skip(assignment: str) -> None:
    """Fill ``source/<assignment>/datasets`` from the configured location, as the build does.

    Without the data (a clone with no ``../shared`` beside it) the test is skipped and says where
    the data should be; with ``COURSEKIT_REQUIRE_ALL`` set (CI sets it) that is a failure instead.
    """
    from coursekit import datasets
    from coursekit.pipeline import load_config
    config = load_config(REPO)
    why = datasets.missing(config, assignment)
    if why:
        (pytest.fail if REQUIRE_ALL else pytest.skip)(why)
    datasets.fill(config, assignment, REPO / "source" / assignment)


def grader_only_lines(assignment: str) -> list[str]:
    """The code lines of notebooks/<a>/grading.py (longer than 30 characters, not imports, not in
    the modules students get nor in the visible part of the notebook): none may reach the release,
    the worked solutions or feedback."""
    from coursekit.course import Paths
    path = REPO / "notebooks" / assignment / "grading.py"
    lines = {line.strip() for line in path.read_text().splitlines()} if path.exists() else set()
    public = {line.strip() for module in Paths(assignment, REPO).modules for line in module.read_text().splitlines()}
    inside = False
    for cell in nbformat.read(Paths(assignment, REPO).source, as_version=4).cells:   # what students see of it
        for line in cell.source.splitlines():
            inside = (inside or "BEGIN" in line) and "END" not in line
            if not inside:
                public.add(line.strip())
    return sorted(line for line in lines - public if len(line) > 30 and not line.startswith(("from ", "import ")))


def copy_course(target: Path, students: list[str] | None = None) -> Path:
    """The tracked course files in ``target`` (no gradebook, nothing graded)."""
    target.mkdir(parents=True, exist_ok=True)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "datasets")
    for name in COPIED:
        src = REPO / name
        if src.is_dir():
            if name == "submitted" and students is not None:
                for student in students:
                    shutil.copytree(src / student, target / name / student, ignore=ignore)
            else:
                shutil.copytree(src, target / name, ignore=ignore)
        elif src.exists():
            shutil.copy2(src, target / name)
    return target


def run(course: Path, *args: str, check: bool = True, timeout: float = 900,
        env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m <args>`` in the course copy with this interpreter (and ``env_extra`` set)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"} | (env_extra or {})
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    result = subprocess.run([sys.executable, "-m", *args], cwd=course, env=env, capture_output=True,
                            text=True, timeout=timeout)
    if check and result.returncode != 0:
        raise AssertionError(f"{' '.join(args)} failed ({result.returncode}):\n{result.stdout[-4000:]}\n"
                             f"{result.stderr[-4000:]}")
    return result


@pytest.fixture(scope="session")
def released_course(tmp_path_factory) -> Path:
    """A course copy whose gradebook knows the assignments (generate_assignment has run)."""
    course = copy_course(tmp_path_factory.mktemp("released") / "course", students=[])
    (course / "submitted").mkdir(exist_ok=True)
    for name in sorted(p.name for p in (course / "source").iterdir() if (p / f"{p.name}.ipynb").exists()):
        run(course, "nbgrader", "generate_assignment", name, "--force", "--log-level=WARN")
    return course


@pytest.fixture(scope="session")
def sample_class_graded(released_course: Path, tmp_path_factory) -> Path:
    """The released course with the sample class (``submitted/``) graded once by ``python -m
    coursekit grade cnn_layers --workers 2``: test_samples.py checks its scores, test_scale_out.py
    compares the other ways of grading with them (SHARED_GROUPS keeps both in one process)."""
    course = tmp_path_factory.mktemp("coursekit") / "course"
    shutil.copytree(released_course, course)
    shutil.copytree(REPO / "submitted", course / "submitted", dirs_exist_ok=True)
    run(course, "coursekit", "grade", "cnn_layers", "--workers", "2")
    return course


@pytest.fixture
def course(released_course: Path, tmp_path: Path) -> Path:
    """A fresh copy of the released course (with its gradebook) for one test."""
    target = tmp_path / "course"
    shutil.copytree(released_course, target)
    return target


# --- PostgreSQL: a real server for this test session, on loopback, in a throwaway directory ------

def postgres_bindir() -> Path | None:
    """The newest of Debian's PostgreSQL server installations (``/usr/lib/postgresql/N/bin``)."""
    found = [Path(p).parent for p in glob.glob("/usr/lib/postgresql/*/bin/pg_ctl")]
    return max(found, key=lambda p: int(p.parent.name), default=None) if found else None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="session")
def postgres_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A PostgreSQL server started for this session with the system's binaries (pytest-postgresql's
    executor), listening on 127.0.0.1 only, stopped and deleted afterwards; yields its admin URL.

    PostgreSQL refuses to run as root: as root, the server runs as the ``postgres`` user that
    Debian's package creates (through ``runuser``), in a directory it owns.
    ``COURSEKIT_TEST_POSTGRES`` (an admin URL) uses a server of your own instead."""
    if os.environ.get("COURSEKIT_TEST_POSTGRES"):
        yield os.environ["COURSEKIT_TEST_POSTGRES"]
        return
    from pytest_postgresql.executors import PostgreSQLExecutor
    bindir = postgres_bindir()
    if bindir is None:
        missing("a PostgreSQL server (/usr/lib/postgresql/*/bin)", f"{BRING}; or: apt-get install postgresql")
    assert bindir is not None
    pg_ctl = str(bindir / "pg_ctl")
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam("postgres")
        except KeyError:
            missing("the postgres user (PostgreSQL will not run as root)", "apt-get install postgresql")
        base = Path(tempfile.mkdtemp(prefix="coursekit-postgres-"))
        os.chown(base, user.pw_uid, user.pw_gid)
        wrapper = base / "pg_ctl"
        wrapper.write_text(f'#!/bin/sh\nexec runuser -u postgres -- {pg_ctl} "$@"\n')
        wrapper.chmod(0o755)
        pg_ctl = str(wrapper)
    else:
        base = tmp_path_factory.mktemp("postgres")
    port = free_port()
    executor = PostgreSQLExecutor(
        executable=pg_ctl, host="127.0.0.1", port=port, datadir=str(base / "data"),
        unixsocketdir=str(base), logfile=str(base / "server.log"), startparams="-w", dbname="postgres",
        postgres_options="-c listen_addresses=127.0.0.1 -c fsync=off")
    try:
        executor.start()
    except Exception as exc:
        log = (base / "server.log").read_text()[-2000:] if (base / "server.log").exists() else ""
        pytest.fail(f"PostgreSQL ({pg_ctl}) did not start: {exc}\n{log}")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}/postgres"
    finally:
        executor.stop()
        shutil.rmtree(base, ignore_errors=True)


@pytest.fixture
def postgres_url(postgres_server: str) -> Iterator[str]:
    """A fresh, empty database on the session's server (dropped afterwards)."""
    import psycopg
    admin = postgres_server.replace("postgresql+psycopg://", "postgresql://")
    name = f"coursekit_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(admin, autocommit=True, connect_timeout=10) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield postgres_server.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
