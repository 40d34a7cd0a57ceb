"""The audit's results: a console summary (rich) and ``reports/<assignment>_audit.html``."""
from __future__ import annotations

import html
from pathlib import Path

from rich.console import Console
from rich.syntax import Syntax
from rich.table import Table

from coursekit.audit.run import Audit, FunctionAudit
from coursekit.course import ROOT


def summary_table(result: Audit) -> Table:
    table = Table(title=f"{result.assignment}: mutation audit of the hidden tests")
    for column in ("function", "generated", "equivalent", "graded", "killed", "survived", "score",
                   "leaks", "edge cases reached"):
        table.add_column(column, justify="left" if column == "function" else "right")
    for f in result.functions:
        reached = len(f.cases) - len(f.uncovered)
        table.add_row(f.function, str(len(f.generated)), str(len(f.equivalent)), str(len(f.graded)),
                      str(len(f.graded) - len(f.survivors)),
                      f"[red]{len(f.survivors)}[/red]" if f.survivors else "0", f"{f.score:.0%}",
                      f"[red]{len(f.leaks)}[/red]" if f.leaks else "0",
                      f"{reached}/{len(f.cases)}" if not f.uncovered else f"[red]{reached}/{len(f.cases)}[/red]")
    return table


def print_summary(result: Audit, console: Console, html_path: Path | None = None) -> None:
    console.print(summary_table(result))
    for f in result.functions:
        for mutant in f.survivors:
            console.print(f"[red]survived[/red] {mutant.id} ({mutant.operator}, answer cell line {mutant.line})")
            console.print(Syntax(mutant.diff, "diff", theme="ansi_dark"))
        for case in f.uncovered:
            console.print(f"[red]uncovered[/red] {f.function}: no hidden test calls it with {case}")
        for mutant_id, cells in f.leaks.items():
            console.print(f"[yellow]leak[/yellow] {mutant_id} lost points outside {f.function}: {', '.join(cells)}")
        idle = [t for t in f.tests if t in f.hidden and f.graded and not f.kills(t)]
        if idle:
            console.print(f"[yellow]kills nothing[/yellow] {f.function}: {', '.join(idle)}")
    seconds = result.seconds
    console.print(f"{result.total('generated')} mutants generated in {seconds.get('generate', 0):.1f} s, "
                  f"{result.total('equivalent')} equivalent dropped in {seconds.get('equivalence', 0):.1f} s, "
                  f"{result.total('graded') - result.total('survivors')} of {result.total('graded')} killed "
                  f"(graded in {seconds.get('grading', 0):.1f} s); "
                  f"{result.total('survivors')} survived, {sum(len(f.uncovered) for f in result.functions)} "
                  "edge cases uncovered")
    if html_path is not None:
        console.print(f"audit report: {html_path}")


def _function_section(f: FunctionAudit) -> str:
    e = html.escape
    parts = [f"<h2 id='{e(f.function)}'>{e(f.function)}: {f.score:.0%} of {len(f.graded)} mutants killed</h2>",
             f"<p>{len(f.generated)} generated, {len(f.equivalent)} equivalent (dropped), "
             f"{len(f.survivors)} survived, {len(f.leaks)} lost points outside {e(f.function)}.</p>",
             "<table><tr><th>test cell</th><th>hidden</th><th>mutants it kills</th><th>only it kills</th></tr>"]
    for test in f.tests:
        kills = f.kills(test)
        alone = sum(cells == [test] for cells in f.killed_by.values())
        idle = " class='bad'" if kills == 0 and test in f.hidden and f.graded else ""
        parts.append(f"<tr{idle}><td>{e(test)}</td><td>{'yes' if test in f.hidden else 'no'}</td><td>{kills}</td>"
                     f"<td>{alone}</td></tr>")
    parts.append("</table>")
    if f.cases:
        parts.append("<h3>Edge cases of the contract</h3>"
                     "<table><tr><th>case</th><th>hidden tests reaching it</th></tr>")
        for case, tests in f.cases.items():
            cls = " class='bad'" if not tests else ""
            parts.append(f"<tr{cls}><td>{e(case)}</td><td>{e(', '.join(tests)) or 'none'}</td></tr>")
        parts.append("</table>")
    for title, items in (("Surviving mutants", f.survivors), ("Equivalent mutants (dropped)", f.equivalent)):
        if items:
            parts.append(f"<h3>{title}</h3>")
            for m in items:
                parts.append(f"<p><b>{e(m.id)}</b> {e(m.operator)}, answer cell line {m.line}</p>"
                             f"<pre>{e(m.diff)}</pre>")
    if f.leaks:
        parts.append("<h3>Points lost outside the function</h3><ul>")
        parts += [f"<li>{e(mid)}: {e(', '.join(cells))}</li>" for mid, cells in f.leaks.items()]
        parts.append("</ul>")
    killed = [m for m in f.graded if f.killed_by.get(m.id)]
    if killed:
        parts.append("<details><summary>Killed mutants and the test cells that killed them</summary>")
        for m in killed:
            parts.append(f"<p><b>{e(m.id)}</b> {e(m.operator)}: {e(', '.join(f.killed_by[m.id]))}</p>"
                         f"<pre>{e(m.diff)}</pre>")
        parts.append("</details>")
    return "\n".join(parts)


def write_html(result: Audit, root: Path = ROOT) -> Path:
    path = root / "reports" / f"{result.assignment}_audit.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    status = "every graded mutant killed, every edge case reached" if result.passed else "gaps found"
    rows = "".join(f"<tr><td><a href='#{html.escape(f.function)}'>{html.escape(f.function)}</a></td>"
                   f"<td>{len(f.generated)}</td><td>{len(f.equivalent)}</td><td>{len(f.graded)}</td>"
                   f"<td>{len(f.survivors)}</td><td>{f.score:.0%}</td><td>{len(f.cases) - len(f.uncovered)}"
                   f"/{len(f.cases)}</td></tr>" for f in result.functions)
    seconds = ", ".join(f"{step} {value:.1f} s" for step, value in result.seconds.items())
    page = f"""<!DOCTYPE html><html><head><meta charset="utf-8"><title>{result.assignment}: test audit</title>
<style>body{{font-family:sans-serif;max-width:70em;margin:2em auto}}
td,th{{padding:2px 8px;border-bottom:1px solid #ddd}}
pre{{background:#f6f6f6;padding:6px}} tr.bad td{{background:#fdd}}</style></head><body>
<h1>{html.escape(result.assignment)}: how well the hidden tests catch plausible mistakes</h1>
<p><b>{status}</b>. Mutants of each graded function's solution, equivalent ones dropped by comparing with
the reference on random inputs of its contract (<code>notebooks/{html.escape(result.assignment)}/audit_spec.py</code>),
the others graded by the kit's pipeline. Time: {seconds}.</p>
<table><tr><th>function</th><th>generated</th><th>equivalent</th><th>graded</th><th>survived</th><th>score</th>
<th>edge cases reached</th></tr>{rows}</table>
{''.join(_function_section(f) for f in result.functions)}
</body></html>
"""
    path.write_text(page)
    return path
