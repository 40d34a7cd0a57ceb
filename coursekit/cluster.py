"""Grading on a Dask distributed cluster: `coursekit grade <a> --scheduler ADDRESS` (or `--dask`).

Each submission is one Dask task running ``Pipeline.grade`` on a worker, in the same sandbox as
a local run; the worker writes that student's autograded folder (the course directory must be
on storage every worker sees, at the same path) and returns the scores as plain data. Only the
client — the single writer — touches the gradebook. A worker that dies mid-task makes Dask run
the task again elsewhere; each result is recorded once, whichever attempt delivers it.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Callable

from coursekit.pipeline import Pipeline, SubmissionResult, load_config

_pipelines: dict[str, Pipeline] = {}


def grade_on_worker(root: str, assignment: str, student: str, notebooks: list[str]) -> SubmissionResult:
    """A Dask task: grade one submission with this worker process's pipeline."""
    import traceback
    if root not in _pipelines:
        os.chdir(root)
        _pipelines[root] = Pipeline(load_config(Path(root)))
    try:
        return _pipelines[root].grade(assignment, student, notebooks)
    except Exception:
        return SubmissionResult(assignment, student, None, [], error=traceback.format_exc())


def dask_runner(scheduler: str | None, workers: int, retries: int = 3) -> Callable:
    """A runner for ``grade_class``: connects to ``scheduler``, or starts a LocalCluster."""

    def run(assignment: str, students: list[str], notebooks: list[str], _workers: int,
            on_result: Callable[[SubmissionResult], None], root: Path) -> None:
        from dask.distributed import Client, LocalCluster, as_completed
        cluster = None
        if scheduler is None:
            cluster = LocalCluster(n_workers=workers, threads_per_worker=1, processes=True,
                                   dashboard_address=None, worker_dashboard_address=None)
        client = Client(scheduler or cluster)
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
                    on_result(result)
        finally:
            client.close()
            if cluster is not None:
                cluster.close()

    return run
