"""Grading on a Dask distributed cluster: `coursekit grade <a> --scheduler ADDRESS`, `--dask`
(a LocalCluster) or `--slurm JOBS` (workers as SLURM jobs, through dask-jobqueue).

Each submission is one Dask task running ``Pipeline.grade`` on a worker, in the same sandbox as
a local run; the worker writes that student's autograded folder (the course directory must be
on storage every worker sees, at the same path) and returns the scores as plain data. Only the
client — the single writer — touches the gradebook. A worker that dies mid-task makes Dask run
the task again elsewhere; each result is recorded once, whichever attempt delivers it. A worker
that cannot see the course directory fails each of its submissions, saying so, and the client
says how many.
"""
from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from coursekit.course import load_config
from coursekit.pipeline import Pipeline, SubmissionResult

_pipelines: dict[str, Pipeline] = {}
NO_COURSE = "cannot see the course directory"
SLURM_MEMORY = "4GiB"   # per job (one worker, one thread): the sandbox's 2 GiB and the grader


def grade_on_worker(root: str, assignment: str, student: str, notebooks: list[str]) -> SubmissionResult:
    """A Dask task: grade one submission with this worker process's pipeline."""
    import traceback
    if not (Path(root) / "nbgrader_config.py").is_file():
        return SubmissionResult(assignment, student, None, [], error=(
            f"the worker on {socket.gethostname()} (pid {os.getpid()}) {NO_COURSE} {root}: put the "
            "course on storage every worker mounts at the same path (NFS, a shared volume)"))
    if root not in _pipelines:
        os.chdir(root)
        _pipelines[root] = Pipeline(load_config(Path(root)))
        _pipelines[root].start()
    try:
        return _pipelines[root].grade(assignment, student, notebooks)
    except Exception:
        return SubmissionResult(assignment, student, None, [], error=traceback.format_exc())


def slurm_cluster(jobs: int, **options: Any) -> Any:
    """A dask-jobqueue ``SLURMCluster`` of ``jobs`` jobs, each one worker process with one thread
    (the sandbox is single-threaded) running this environment's Python.

    Site settings (queue, account, walltime, interface, job directives) come from Dask's
    configuration, ``~/.config/dask/jobqueue.yaml`` or ``DASK_JOBQUEUE__SLURM__*`` variables, as
    for any dask-jobqueue cluster; ``options`` override them."""
    import dask
    from dask_jobqueue import SLURMCluster
    settings: dict[str, Any] = {"cores": 1, "processes": 1, "python": sys.executable}
    if not dask.config.get("jobqueue.slurm.memory", None):
        settings["memory"] = SLURM_MEMORY
    cluster = SLURMCluster(**{**settings, **options})
    if jobs:
        cluster.scale(jobs=jobs)
    return cluster


def dask_runner(scheduler: str | None, workers: int, retries: int = 3, slurm_jobs: int = 0) -> Callable:
    """A runner for ``grade_class``: connects to ``scheduler``, or starts a SLURMCluster
    (``slurm_jobs``) or a LocalCluster."""

    def run(assignment: str, students: list[str], notebooks: list[str], _workers: int,
            on_result: Callable[[SubmissionResult], None], root: Path) -> None:
        from dask.distributed import Client, LocalCluster, as_completed
        cluster: Any = None
        if slurm_jobs:
            cluster = slurm_cluster(slurm_jobs)
        elif scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, worker_dashboard_address=None)
        client = Client(scheduler or cluster)
        unseen = 0
        try:
            futures = {client.submit(grade_on_worker, str(root), assignment, student, notebooks,
                                     retries=retries, pure=False): student for student in students}
            recorded = set()
            for future in as_completed(futures):
                try:
                    result = future.result()
                except Exception as exc:          # the task failed on every attempt
                    result = SubmissionResult(assignment, futures[future], None, [],
                                              error=f"{type(exc).__name__}: {exc}")
                if result.student not in recorded:
                    recorded.add(result.student)
                    unseen += bool(result.error and NO_COURSE in result.error)
                    on_result(result)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()
        if unseen:
            print(f"{unseen} of {len(students)} submission(s) failed because a worker {NO_COURSE} {root}; "
                  "grade from storage every worker mounts at the same path", flush=True)

    return run
