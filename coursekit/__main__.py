"""Command line of the course kit: ``python -m coursekit <command> ...`` from the repository root."""
from __future__ import annotations

import argparse
import os
import sys

os.environ.setdefault("MPLBACKEND", "Agg")
# nbgrader runs the `alembic` command of its own environment when it creates a gradebook
os.environ["PATH"] = os.path.dirname(sys.executable) + os.pathsep + os.environ.get("PATH", "")


def _build(args: argparse.Namespace) -> None:
    from coursekit.build import build
    from coursekit.course import assignments
    for name in args.assignments or assignments():
        print(f"building {name}: source, release" + (", solutions" if not args.no_solutions else "")
              + (", samples" if not args.no_samples else ""))
        build(name, solutions=not args.no_solutions, samples=not args.no_samples, force=args.force)
    if args.audit:
        failed = [name for name in args.assignments or assignments() if not _run_audit(name, None, 2)]
        if failed:
            sys.exit(f"audit found gaps in the hidden tests of: {', '.join(failed)}")


def _run_audit(assignment: str, functions: list[str] | None, workers: int) -> bool:
    from rich.progress import Progress

    from coursekit.audit import audit
    from coursekit.audit.report import print_summary, write_html
    from coursekit.grade import make_console
    console = make_console()
    with Progress(console=console, transient=True) as bar:
        def progress(what: str, total: int):
            task = bar.add_task(what, total=total)
            return lambda: bar.advance(task)
        result = audit(assignment, functions=functions, workers=workers, progress=progress)
    print_summary(result, console, write_html(result))
    return result.passed


def _audit(args: argparse.Namespace) -> None:
    if not _run_audit(args.assignment, args.function, args.workers):
        sys.exit(1)


def _grade(args: argparse.Namespace) -> None:
    from coursekit.grade import grade_class, print_summary
    runner = None
    if args.scheduler or args.dask or args.slurm:
        from coursekit.cluster import dask_runner
        runner = dask_runner(args.scheduler, args.workers, slurm_jobs=args.slurm)
    run = grade_class(args.assignment, workers=args.workers, force=args.force, runner=runner)
    print_summary(run)
    if run.failed:
        sys.exit(1)


def _report(args: argparse.Namespace) -> None:
    from coursekit.report import write_report
    path = write_report(args.assignment)
    print(f"report: {path}")


def _main_job(args: argparse.Namespace) -> None:
    from coursekit.main_job import run
    run(args.assignments or None, workers=args.workers)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m coursekit", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    p = commands.add_parser("build", help="rebuild source/, release/, solutions/ and samples from notebooks/")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--no-solutions", action="store_true", help="skip executing the worked solutions")
    p.add_argument("--no-samples", action="store_true", help="skip writing the sample class")
    p.add_argument("--force", action="store_true", help="execute the worked solutions even if up to date")
    p.add_argument("--audit", action="store_true", help="then audit the hidden tests (exit status 1 on gaps)")
    p.set_defaults(func=_build)

    p = commands.add_parser("grade", help="grade every submission under submitted/ into the gradebook")
    p.add_argument("assignment")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.add_argument("--force", action="store_true", help="regrade submissions already graded")
    p.add_argument("--scheduler", help="address of a Dask scheduler to grade on")
    p.add_argument("--dask", action="store_true", help="grade on a local Dask cluster")
    p.add_argument("--slurm", type=int, default=0, metavar="JOBS",
                   help="grade on JOBS SLURM jobs of one worker each (dask-jobqueue; site settings in "
                        "~/.config/dask/jobqueue.yaml)")
    p.set_defaults(func=_grade)

    p = commands.add_parser("report", help="write the instructor's HTML report and per-function CSV")
    p.add_argument("assignment")
    p.set_defaults(func=_report)

    p = commands.add_parser("audit", help="mutants and edge cases: how well the hidden tests catch mistakes")
    p.add_argument("assignment")
    p.add_argument("--function", action="append", help="audit only this graded function (repeatable)")
    p.add_argument("--workers", type=int, default=2, help="mutants graded at once")
    p.set_defaults(func=_audit)

    p = commands.add_parser("main", help="the main job: build, grade the samples, feedback, CSV, report")
    p.add_argument("assignments", nargs="*")
    p.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    p.set_defaults(func=_main_job)

    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
