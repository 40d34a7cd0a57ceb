"""Measure the single writer's cost per submission, SQLite and PostgreSQL, on real results.

    python benchmarks/writer_cost.py [--postgres URL] [--count 200]

Grades the sample class once, then records copies of the results under new student ids
into a fresh gradebook of each kind; prints milliseconds per submission. The writer is the
part of `coursekit grade` that does not scale with workers (see the README, Scaling out).
"""
from __future__ import annotations

import argparse
import dataclasses
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from coursekit.pipeline import Pipeline, load_config  # noqa: E402
from coursekit.writer import GradebookWriter  # noqa: E402


def course_copy(base: Path, db_url: str | None) -> Path:
    course = base / "course"
    course.mkdir(parents=True)
    for name in ("coursekit", "source", "submitted", "nbgrader_config.py"):
        src = REPO / name
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, course / name)
    if db_url:
        with open(course / "nbgrader_config.py", "a") as config:
            config.write(f"\nc.CourseDirectory.db_url = {db_url!r}\n")
    env = dict(os.environ, PATH=os.path.dirname(sys.executable) + os.pathsep + os.environ["PATH"])
    subprocess.run([sys.executable, "-m", "nbgrader", "generate_assignment", "cnn_layers", "--log-level=ERROR"],
                   cwd=course, check=True, env=env)
    return course


def measure(db_url: str | None, count: int) -> float:
    base = Path(tempfile.mkdtemp(prefix="writer-cost-"))
    try:
        course = course_copy(base, db_url)
        os.chdir(course)
        config = load_config(course)
        pipeline = Pipeline(config)
        students = sorted(p.name for p in (course / "submitted").iterdir())
        results = [pipeline.grade("cnn_layers", s, ["cnn_layers"]) for s in students]
        copies = [dataclasses.replace(results[i % len(results)], student=f"copy{i:05d}") for i in range(count)]
        started = time.perf_counter()
        with GradebookWriter(config, pipeline.coursedir.db_url) as writer:
            for result in copies:
                writer.record(result)
        return (time.perf_counter() - started) / count     # the last batch's commit included
    finally:
        os.chdir(REPO)
        shutil.rmtree(base, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", help="a database URL, e.g. postgresql+psycopg://u:p@127.0.0.1/db")
    parser.add_argument("--count", type=int, default=200)
    args = parser.parse_args()
    for name, url in (("SQLite", None), ("PostgreSQL", args.postgres)):
        if name == "SQLite" or url:
            cost = measure(url, args.count)
            print(f"writer, {name + ':':11} {cost * 1000:6.2f} ms per submission, {1 / cost:7.0f} submissions/s")


if __name__ == "__main__":
    main()
