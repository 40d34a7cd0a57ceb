"""The main job: build, grade the sample class, print the scores, write feedback, CSV and report."""
from __future__ import annotations

from coursekit.build import build, nbgrader
from coursekit.course import ROOT, assignments
from coursekit.grade import grade_class, make_console, print_summary
from coursekit.report import write_report


def run(names: list[str] | None = None, workers: int = 2) -> None:
    console = make_console()
    for name in names or assignments():
        console.rule(f"[bold]{name}")
        console.print("1/5 build: source, release, worked solutions and the sample class")
        build(name)
        console.print("2/5 autograde every submission under submitted/ (sandboxed, in parallel)")
        outcome = grade_class(name, workers=workers, console=console)
        print_summary(outcome, console)
        console.print("3/5 feedback for every student (nbgrader generate_feedback)")
        nbgrader("generate_feedback", name, "--force")
        console.print("4/5 grades CSV (nbgrader export) and per-function scores")
        nbgrader("export", "--to", str(ROOT / "reports" / "grades.csv"))
        console.print("5/5 instructor report")
        report = write_report(name)
        console.print(f"\nfeedback:  {ROOT / 'feedback'}/<student>/{name}/{name}.html")
        console.print(f"grades:    {ROOT / 'reports' / 'grades.csv'} (totals), "
                      f"{ROOT / 'reports' / (name + '_scores.csv')} (per function)")
        console.print(f"report:    {report}")
