"""Scale out as the README says: `dask scheduler` and `dask worker` started from their own command
lines in another directory (no PYTHONPATH: the kit is installed in the environment), the class
graded with `python -m coursekit grade <a> --scheduler ...`, a worker killed with SIGKILL
mid-run; scores equal to the local path's, each submission recorded once, with a SQLite or a
PostgreSQL gradebook (a real server on loopback, started by the test session). Also: a
LocalCluster (`--dask`), a worker that cannot see the course, and SLURM through dask-jobqueue
(its job script run by a stand-in for sbatch)."""
from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from nbgrader.api import Gradebook

from tests.conftest import REPO, free_port, run
from tests.integration.test_samples import EXPECTED, gradebook_cells

pytestmark = pytest.mark.slow
BIN = Path(sys.executable).parent          # the environment's `dask` command


def with_samples(released_course: Path, target: Path, copies: int = 1) -> Path:
    shutil.copytree(released_course, target)
    for student in EXPECTED:
        for i in range(copies):
            shutil.copytree(REPO / "submitted" / student, target / "submitted" / twin_name(student, i))
    return target


def twin_name(student: str, i: int) -> str:
    return student if i == 0 else f"{student}_{i}"


def scores_at(db_url: str) -> dict[str, dict]:
    """Per student, per grade cell: (auto score, needs manual grade); one entry per submission."""
    out: dict[str, dict] = {}
    with Gradebook(db_url) as gb:
        for submission in gb.find_assignment("cnn_layers").submissions:
            assert submission.student.id not in out, f"{submission.student.id} recorded twice"
            out[submission.student.id] = {g.name: (g.auto_score, g.needs_manual_grade)
                                          for nb in submission.notebooks for g in nb.grades}
    return out


@pytest.fixture(scope="module")
def local_scores(sample_class_graded: Path) -> dict[str, dict]:
    """The sample class graded the local way (`coursekit grade --workers 2`; the session's grading,
    which test_samples.py checks); this file runs first in their group, and test_samples.py's
    regrading ends with the same gradebook anyway."""
    return scores_at(f"sqlite:///{sample_class_graded / 'gradebook.db'}")


def clean_environment() -> dict[str, str]:
    """The environment of a person who activated .venv: no PYTHONPATH, nothing of pytest's."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MPLBACKEND")
           and not k.startswith("PYTEST")}
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    return env


@contextmanager
def recipe_cluster(workdir: Path, workers: int = 2, wrap: list[str] | None = None) -> Iterator[tuple[str, list]]:
    """The README's recipe on loopback: `dask scheduler`, then `dask worker ADDRESS --nworkers 1
    --nthreads 1` per worker, each its own OS process started in ``workdir`` (``wrap`` prefixes the
    workers' command lines). Yields the scheduler's address and the worker processes."""
    from dask.distributed import Client
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    env = clean_environment()
    logs = workdir / "logs"
    logs.mkdir(parents=True, exist_ok=True)

    def start(name: str, command: list[str]) -> subprocess.Popen:
        return subprocess.Popen(command, cwd=workdir, env=env, stdout=open(logs / f"{name}.log", "w"),
                                stderr=subprocess.STDOUT, start_new_session=True)

    processes = [start("scheduler", ["dask", "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                     "--no-dashboard"])]
    try:
        for i in range(workers):
            processes.append(start(f"worker{i}", [*(wrap or []), "dask", "worker", address, "--nworkers", "1",
                                                  "--nthreads", "1", "--host", "127.0.0.1", "--no-dashboard"]))
        with Client(address, timeout=60) as client:
            client.wait_for_workers(workers, timeout=120)
        yield address, processes[1:]
    finally:
        for process in processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            process.wait(timeout=30)


def grade_with_the_recipe(course: Path, workdir: Path, expected: int) -> tuple[str, list[str]]:
    """Grade ``course`` with `python -m coursekit grade cnn_layers --scheduler ...` while the test,
    as a second client, kills a busy worker with SIGKILL once the first submission is graded.
    Returns the grader's output and the tasks the killed worker was running."""
    from dask.distributed import Client
    with recipe_cluster(workdir) as (address, _), Client(address, timeout=60) as client:
        pids = client.run(os.getpid)                         # worker address -> its process
        grading = subprocess.Popen([sys.executable, "-m", "coursekit", "grade", "cnn_layers",
                                    "--scheduler", address, "--workers", "2"],
                                   cwd=course, env=clean_environment(), stdout=subprocess.PIPE,
                                   stderr=subprocess.STDOUT, text=True)
        killed: list[str] = []
        deadline = time.monotonic() + 600
        while not killed and grading.poll() is None and time.monotonic() < deadline:
            graded = list((course / "autograded").glob("*/cnn_layers/cnn_layers.ipynb"))
            busy = {w: tasks for w, tasks in client.processing().items() if tasks}
            if graded and busy:
                worker, tasks = next(iter(busy.items()))
                os.kill(pids[worker], signal.SIGKILL)
                killed = list(tasks)
            time.sleep(0.05)
        out, _ = grading.communicate(timeout=600)
    assert grading.returncode == 0, out[-4000:]
    assert f"graded {expected}, skipped 0, failed 0" in out, out[-4000:]
    return out, killed


def assert_local_scores(got: dict[str, dict], local: dict[str, dict], copies: int) -> None:
    assert sorted(got) == sorted(twin_name(s, i) for s in EXPECTED for i in range(copies))
    for student, per_cell in got.items():
        original = student.rsplit("_", 1)[0] if student.rsplit("_", 1)[-1].isdigit() else student
        assert per_cell == local[original], f"{student} was graded differently from the local path"


def test_the_readme_recipe_survives_a_killed_worker_and_gives_the_local_scores(
        released_course, local_scores, tmp_path, tmp_path_factory):
    course = with_samples(released_course, tmp_path / "course", copies=2)
    _, killed = grade_with_the_recipe(course, tmp_path_factory.mktemp("elsewhere"), expected=14)
    assert killed, "no worker was busy when the first submission was graded"
    assert_local_scores(scores_at(f"sqlite:///{course / 'gradebook.db'}"), local_scores, copies=2)


def test_the_readme_recipe_with_a_postgresql_gradebook(
        released_course, local_scores, tmp_path, tmp_path_factory, postgres_url):
    course = with_samples(released_course, tmp_path / "course")
    (course / "gradebook.db").unlink()
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres_url!r}\n")
    run(course, "nbgrader", "generate_assignment", "cnn_layers", "--force", "--log-level=WARN")
    _, killed = grade_with_the_recipe(course, tmp_path_factory.mktemp("elsewhere"), expected=len(EXPECTED))
    assert killed, "no worker was busy when the first submission was graded"
    assert not (course / "gradebook.db").exists()
    assert_local_scores(scores_at(postgres_url), local_scores, copies=1)
    run(course, "nbgrader", "export", "--to", "grades.csv", "--log-level=WARN")
    assert (course / "grades.csv").read_text().count("\ncnn_layers,") == len(EXPECTED)


def test_a_local_dask_cluster_gives_exactly_the_local_scores(released_course, local_scores, tmp_path):
    course = with_samples(released_course, tmp_path / "dask")
    result = run(course, "coursekit", "grade", "cnn_layers", "--dask", "--workers", "2")
    assert f"graded {len(EXPECTED)}, skipped 0, failed 0" in result.stdout
    assert_local_scores(scores_at(f"sqlite:///{course / 'gradebook.db'}"), local_scores, copies=1)
    assert set(gradebook_cells(course)) >= {(s, "flagged") for s in EXPECTED}


@pytest.mark.root
def test_a_worker_that_cannot_see_the_course_fails_each_submission_and_says_so(
        released_course, tmp_path, tmp_path_factory):
    course = with_samples(released_course, tmp_path / "hidden" / "course")
    # the worker runs in its own mount namespace, where the course's folder is an empty tmpfs
    hide = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            f'mount -t tmpfs none "{tmp_path / "hidden"}" && exec "$@"', "hide"]
    with recipe_cluster(tmp_path_factory.mktemp("elsewhere"), workers=1, wrap=hide) as (address, _):
        result = run(course, "coursekit", "grade", "cnn_layers", "--scheduler", address, check=False)
    out = " ".join((result.stdout + result.stderr).split())     # as one line, whatever the wrapping
    assert result.returncode == 1, out[-3000:]
    assert f"graded 0, skipped 0, failed {len(EXPECTED)}" in out, out[-3000:]
    assert f"{len(EXPECTED)} of {len(EXPECTED)} submission(s) failed because a worker cannot see the course " \
           f"directory {course}" in out, out[-3000:]
    assert out.count("cannot see the course directory") == len(EXPECTED) + 1, out   # each one, and the count
    assert not (course / "autograded").exists() or not any((course / "autograded").iterdir())


def test_slurm_jobs_run_the_kits_workers_and_grade_the_class(released_course, local_scores, tmp_path):
    """`--slurm 2` through dask-jobqueue. No SLURM here: a stand-in `sbatch` runs each generated job
    script with bash on this machine, as slurmd would on a node (`scancel` kills it)."""
    course = with_samples(released_course, tmp_path / "course")
    fake = tmp_path / "slurm-bin"
    fake.mkdir()
    (fake / "sbatch").write_text(f'#!/bin/sh\ncp "$1" "{fake}/job-$$.sh"\n'
                                 f'setsid bash "{fake}/job-$$.sh" > "{fake}/job-$$.log" 2>&1 < /dev/null &\n'
                                 'echo "Submitted batch job $!"\n')
    (fake / "scancel").write_text('#!/bin/sh\nkill -9 -- "-$1" 2>/dev/null; exit 0\n')
    for tool in ("sbatch", "scancel"):
        (fake / tool).chmod(0o755)
    env = {"PATH": f"{fake}{os.pathsep}{os.environ['PATH']}",
           "DASK_JOBQUEUE__SLURM__SCHEDULER_OPTIONS": "{'host': '127.0.0.1'}",
           "DASK_JOBQUEUE__SLURM__WORKER_EXTRA_ARGS": "['--host', '127.0.0.1']",
           "DASK_JOBQUEUE__SLURM__ACCOUNT": "course42", "DASK_JOBQUEUE__SLURM__WALLTIME": "01:00:00"}
    result = run(course, "coursekit", "grade", "cnn_layers", "--slurm", "2", check=False, env_extra=env)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert f"graded {len(EXPECTED)}, skipped 0, failed 0" in result.stdout
    assert_local_scores(scores_at(f"sqlite:///{course / 'gradebook.db'}"), local_scores, copies=1)
    scripts = sorted(fake.glob("job-*.sh"))
    assert len(scripts) == 2, scripts
    script = scripts[0].read_text()
    for line in ("#SBATCH -A course42", "#SBATCH -n 1", "#SBATCH --cpus-per-task=1", "#SBATCH -t 01:00:00",
                 f"{sys.executable} -m distributed.cli.dask_worker tcp://127.0.0.1:", "--nthreads 1"):
        assert line in script, f"{line!r} not in the job script:\n{script}"
    assert "#SBATCH --mem=" in script
