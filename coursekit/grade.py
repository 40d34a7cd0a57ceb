"""``python -m coursekit grade``: a whole class in parallel, into the nbgrader gradebook.

Workers (processes here, or a Dask cluster) run each submission through ``Pipeline`` — the
same preprocessors as ``nbgrader autograde``, the same sandbox — and write that student's
autograded folder. This process is the only writer of the gradebook: it records each result
in one transaction as it arrives, so an interrupted run loses nothing and a new run skips what
is already graded (``force`` regrades).
"""
from __future__ import annotations

import concurrent.futures as cf
import multiprocessing
import os
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from coursekit import scores
from coursekit.assignment import Assignment
from coursekit.course import ROOT, Paths, load_config
from coursekit.pipeline import Pipeline, SubmissionResult, is_graded
from coursekit.writer import GradebookWriter

_pipeline: Pipeline | None = None


def make_console() -> Console:
    """A console that keeps tables readable when the output is a log file, not a terminal."""
    return Console() if os.isatty(1) else Console(width=160)


def _init_worker(root: str, db_url: str | None) -> None:
    global _pipeline
    os.chdir(root)
    _pipeline = Pipeline(load_config(Path(root)), db_url)
    _pipeline.start()


def _work(assignment: str, student: str, notebooks: list[str]) -> SubmissionResult:
    """Grade one submission in a worker; errors come back as data, never as a lost result."""
    assert _pipeline is not None
    try:
        return _pipeline.grade(assignment, student, notebooks)
    except Exception:
        return SubmissionResult(assignment, student, None, [], error=traceback.format_exc())


@dataclass
class ClassRun:
    assignment: str
    graded: list[SubmissionResult] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    failed: list[SubmissionResult] = field(default_factory=list)
    seconds: float = 0.0


def plan(assignment: str, force: bool, root: Path = ROOT) -> tuple[list[str], list[str], list[str], str]:
    """(students to grade, students already graded, notebooks, db_url)."""
    config = load_config(root)
    pipeline = Pipeline(config)
    db_url = pipeline.coursedir.db_url
    submitted = Path(pipeline.coursedir.format_path(pipeline.coursedir.submitted_directory, ".", "."))
    students = sorted(p.name for p in submitted.iterdir() if (p / assignment).is_dir()) if submitted.exists() else []
    with Gradebook(db_url) as gb:
        try:
            notebooks = [nb.name for nb in gb.find_assignment(assignment).notebooks]
        except MissingEntry:
            raise SystemExit(f"assignment {assignment!r} is not in the gradebook: run "
                             f"`python -m coursekit build {assignment}` (or nbgrader generate_assignment) first")
        todo, done = [], []
        for student in students:
            if not force and is_graded(pipeline, gb, assignment, student, notebooks):
                done.append(student)
            else:
                todo.append(student)
    return todo, done, notebooks, db_url


def run_local(assignment: str, students: list[str], notebooks: list[str], workers: int,
              on_result: Callable[[SubmissionResult], None], root: Path = ROOT) -> None:
    """Grade ``students`` with a pool of worker processes; a dead worker costs a retry."""
    pending = list(students)
    attempts: dict[str, int] = {}
    context = multiprocessing.get_context("spawn")
    while pending:
        with cf.ProcessPoolExecutor(max_workers=workers, mp_context=context, initializer=_init_worker,
                                    initargs=(str(root), None)) as pool:
            futures = {pool.submit(_work, assignment, s, notebooks): s for s in pending}
            pending = []
            for future in cf.as_completed(futures):
                student = futures[future]
                try:
                    on_result(future.result())
                except cf.process.BrokenProcessPool:
                    attempts[student] = attempts.get(student, 0) + 1
                    if attempts[student] < 3:
                        pending.append(student)
                    else:
                        on_result(SubmissionResult(assignment, student, None, [],
                                                   error="the worker grading it died three times"))


def grade_class(assignment: str, workers: int = os.cpu_count() or 2, force: bool = False,
                runner: Callable | None = None, console: Console | None = None,
                root: Path = ROOT) -> ClassRun:
    """Grade every submission of ``assignment`` under submitted/ into the gradebook."""
    console = console or make_console()
    started = time.monotonic()
    todo, done, notebooks, db_url = plan(assignment, force, root)
    config = load_config(root)
    outcome = ClassRun(assignment, skipped=done)
    if done:
        console.print(f"{len(done)} submission(s) already graded, skipped (use --force to regrade)")
    columns = (TextColumn("grading {task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=False) as progress, \
            GradebookWriter(config, db_url) as writer:
        task = progress.add_task(assignment, total=len(todo))

        def on_result(result: SubmissionResult) -> None:
            if result.error is None:
                writer.record(result)
                outcome.graded.append(result)
            else:
                outcome.failed.append(result)
            progress.advance(task)

        (runner or run_local)(assignment, todo, notebooks, workers, on_result, root=root)
    outcome.seconds = time.monotonic() - started
    return outcome


def summary_table(assignment: Assignment, db_url: str, students: Iterable[str] | None = None) -> Table:
    """Per-student, per-function scores, with the class mean per function."""
    rows = scores.table(db_url, assignment)
    if students is not None:
        wanted = set(students)
        rows = [r for r in rows if r.student in wanted]
    top = scores.maxima(assignment)
    out = Table(title=f"{assignment.name}: points per function")
    out.add_column("student")
    for function in assignment.functions:      # narrow columns: one word of the name per line
        out.add_column(function.replace("_", "_\n") + f"\n/{top[function]:g}", justify="right")
    out.add_column(f"total\n/{sum(top.values()):g}", justify="right")
    for row in rows:
        cells = [f"{row.scores[f]:g}" for f in assignment.functions]
        out.add_row(row.student + (" (flagged)" if row.flags else ""), *cells, f"{row.total:g}")
    if rows:
        means = [f"{sum(r.scores[f] for r in rows) / len(rows):.1f}" for f in assignment.functions]
        out.add_row("class mean", *means, f"{sum(r.total for r in rows) / len(rows):.1f}", style="bold")
    return out


def print_summary(run: ClassRun, console: Console | None = None, root: Path = ROOT) -> None:
    console = console or make_console()
    assignment = Assignment.from_source(Paths(run.assignment, root).source)
    db_url = load_config(root).CourseDirectory.db_url
    console.print(summary_table(assignment, db_url))
    console.print(f"graded {len(run.graded)}, skipped {len(run.skipped)}, failed {len(run.failed)} "
                  f"in {run.seconds:.1f} s")
    if run.graded:
        mean = sum(r.seconds for r in run.graded) / len(run.graded)
        console.print(f"worker time per submission: {mean:.3f} s on average")
        starts = [r.startup for r in run.graded if r.startup]
        if starts:
            console.print(f"worker start-up (the sandbox's zygote, once per worker, before its first "
                          f"submission): {sum(starts) / len(starts):.2f} s on average, {len(starts)} worker(s)")
        stages: dict[str, float] = {}
        for result in run.graded:
            for notebook in result.notebooks:
                for stage, seconds in notebook.stages.items():
                    stages[stage] = stages.get(stage, 0.0) + seconds / len(run.graded)
        if stages:
            console.print("  per stage: " + ", ".join(f"{stage} {seconds:.3f} s" for stage, seconds in stages.items()),
                          soft_wrap=True)
    flagged = [(r.student, sorted({f for nb in r.notebooks for f in nb.flags})) for r in run.graded]
    for student, flags in flagged:
        if flags:
            console.print(f"[yellow]flagged[/yellow] {student}: {', '.join(flags)}")
    for result in run.failed:
        last = (result.error or "").strip().splitlines()[-1:] or ["(no message)"]
        console.print(f"[red]failed[/red] {result.student}: {last[0]}")
