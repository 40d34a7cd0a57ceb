"""Scale out: grading on a Dask cluster gives the local scores, survives a killed worker, and the
gradebook can live in PostgreSQL (a real server on loopback, started by .ci/run)."""
from __future__ import annotations

import os
import shutil
import signal
import uuid

import pytest
from nbgrader.api import Gradebook

from coursekit.grade import grade_class
from tests.conftest import REPO, run
from tests.integration.test_samples import EXPECTED, gradebook_cells

POSTGRES = os.environ.get("COURSEKIT_TEST_POSTGRES", "postgresql+psycopg://coursekit:coursekit@127.0.0.1:5432/postgres")


def with_samples(released_course, target, copies: int = 1):
    shutil.copytree(released_course, target)
    for student in EXPECTED:
        for i in range(copies):
            name = student if i == 0 else f"{student}_{i}"
            shutil.copytree(REPO / "submitted" / student, target / "submitted" / name)
    return target


def scores_by_student(course, db_url=None) -> dict:
    cells = gradebook_cells(course) if db_url is None else cells_at(db_url)
    out: dict = {}
    for (student, cell), value in cells.items():
        if cell != "flagged":
            out.setdefault(student, {})[cell] = value
    return out


def cells_at(db_url: str) -> dict:
    with Gradebook(db_url) as gb:
        return {(s.student.id, g.name): (g.auto_score, g.needs_manual_grade)
                for s in gb.find_assignment("cnn_layers").submissions for n in s.notebooks for g in n.grades}


@pytest.mark.slow
def test_a_local_dask_cluster_gives_exactly_the_local_scores(released_course, tmp_path):
    local = with_samples(released_course, tmp_path / "local")
    dask = with_samples(released_course, tmp_path / "dask")
    run(local, "coursekit", "grade", "cnn_layers", "--workers", "2")
    result = run(dask, "coursekit", "grade", "cnn_layers", "--dask", "--workers", "2")
    assert "graded 7, skipped 0, failed 0" in result.stdout
    assert gradebook_cells(dask) == gradebook_cells(local)


@pytest.mark.slow
def test_a_worker_killed_during_a_batch_costs_a_retry_not_a_grade(released_course, tmp_path):
    from dask.distributed import Client, LocalCluster
    from coursekit.cluster import dask_runner
    course = with_samples(released_course, tmp_path / "course", copies=3)
    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
    client = Client(cluster)
    try:
        pids = client.run(os.getpid)
        inner = dask_runner(cluster.scheduler_address, 2)
        delivered, killed = [], []

        def runner(assignment, students, notebooks, workers, on_result, root):
            def each(result):
                delivered.append(result.student)
                if not killed:                       # first result in: kill a worker mid-task
                    busy = {w: tasks for w, tasks in client.processing().items() if tasks}
                    worker = next(iter(busy))
                    os.kill(pids[worker], signal.SIGKILL)
                    killed.append(busy[worker])
                on_result(result)
            inner(assignment, students, notebooks, workers, each, root)

        outcome = grade_class("cnn_layers", workers=2, runner=runner, root=course)
    finally:
        client.close()
        cluster.close()
    assert killed and not outcome.failed
    assert sorted(delivered) == sorted(set(delivered)) and len(delivered) == 3 * len(EXPECTED)
    scores = scores_by_student(course)
    for student, per_cell in scores.items():
        twin = student.rsplit("_", 1)[0] if student.rsplit("_", 1)[-1].isdigit() else student
        assert per_cell == scores[twin], f"{student} was graded differently from {twin}"
    assert all(score is not None for per_cell in scores.values() for score, _ in per_cell.values())


@pytest.fixture
def postgres_url():
    """A fresh database on the PostgreSQL server that .ci/run starts (dropped afterwards)."""
    import psycopg
    admin = POSTGRES.replace("postgresql+psycopg://", "postgresql://")
    name = f"coursekit_{uuid.uuid4().hex[:10]}"
    try:
        with psycopg.connect(admin, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.OperationalError as exc:
        pytest.fail(f"no PostgreSQL server at {POSTGRES} (.ci/run installs and starts one): {exc}")
    yield POSTGRES.rsplit("/", 1)[0] + f"/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.slow
def test_the_gradebook_can_be_postgresql(released_course, tmp_path, postgres_url):
    course = with_samples(released_course, tmp_path / "pg")
    (course / "gradebook.db").unlink()
    with open(course / "nbgrader_config.py", "a") as config:
        config.write(f"\nc.CourseDirectory.db_url = {postgres_url!r}\n")
    run(course, "nbgrader", "generate_assignment", "cnn_layers", "--force", "--log-level=WARN")
    run(course, "coursekit", "grade", "cnn_layers", "--dask", "--workers", "2")
    assert not (course / "gradebook.db").exists()
    got = scores_by_student(course, postgres_url)
    expected = scores_by_student_from_sqlite(released_course, tmp_path)
    assert got == expected
    run(course, "nbgrader", "export", "--to", "grades.csv", "--log-level=WARN")
    assert (course / "grades.csv").read_text().count("\ncnn_layers,") == len(EXPECTED)


def scores_by_student_from_sqlite(released_course, tmp_path) -> dict:
    course = with_samples(released_course, tmp_path / "sqlite")
    run(course, "coursekit", "grade", "cnn_layers", "--workers", "2")
    return scores_by_student(course)
