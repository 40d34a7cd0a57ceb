"""``python -m coursekit report``: where the class struggles, on one HTML page.

Reads the gradebook (scores) and the autograded notebooks (failure messages, flags, grading
times) and writes ``reports/<assignment>_report.html`` with per-function score histograms,
the most common failure messages of every test, the slowest and the flagged submissions, the
pairs of students whose answers are unusually alike (side by side), and
``reports/<assignment>_scores.csv`` with the per-function scores.
"""
from __future__ import annotations

import base64
import collections
import html
import io
from dataclasses import dataclass, field
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import nbformat  # noqa: E402

from coursekit import scores, similarity  # noqa: E402
from coursekit.assignment import Assignment, nbgrader_meta  # noqa: E402
from coursekit.course import ROOT, Paths, load_config  # noqa: E402


@dataclass
class Graded:
    """What one autograded notebook tells about a student."""
    student: str
    seconds: float = 0.0
    flags: list[str] = field(default_factory=list)
    failures: dict[str, str] = field(default_factory=dict)     # test cell -> first line of its message


def read_autograded(assignment: Assignment, root: Path = ROOT) -> list[Graded]:
    folder = Paths(assignment.name, root).class_folder("autograded")
    out = []
    for path in sorted(folder.glob(f"*/{assignment.name}/{assignment.notebook}.ipynb")):
        nb = nbformat.read(path, as_version=4)
        meta = nb.metadata.get("coursekit", {})
        graded = Graded(path.parts[-3], float(meta.get("seconds", 0.0)), list(meta.get("flags", [])))
        for cell in nb.cells:
            grade_id = nbgrader_meta(cell).get("grade_id")
            errors = [o for o in cell.get("outputs", []) if o.get("output_type") == "error"]
            if grade_id and nbgrader_meta(cell).get("grade") and errors:
                graded.failures[grade_id] = str(errors[0].get("evalue", "")).strip()[:200] or errors[0].get("ename", "")
        out.append(graded)
    return out


def histogram(values: list[float], top: float, title: str) -> str:
    """A small histogram as an inline PNG."""
    fig, ax = plt.subplots(figsize=(3.2, 2.2), dpi=90)
    bins = [x - 0.5 for x in range(int(top) + 2)] if top <= 20 else 10
    ax.hist(values, bins=bins, color="#4878a8", edgecolor="white")
    ax.set_title(title, fontsize=9)
    ax.set_xlabel("points", fontsize=8)
    ax.set_ylabel("students", fontsize=8)
    ax.tick_params(labelsize=7)
    fig.tight_layout()
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png")
    plt.close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def _table(header: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _marked(code: str, slices: list[tuple[int, int]]) -> str:
    """Code as HTML with the given character ranges highlighted."""
    out, at = [], 0
    for start, end in sorted(slices):
        if start < at:
            start = at
        out += [html.escape(code[at:start]), f"<mark>{html.escape(code[start:end])}</mark>"]
        at = max(at, end)
    out.append(html.escape(code[at:]))
    return "".join(out)


def similarity_section(assignment: Assignment, root: Path = ROOT, shown: int = 3) -> str:
    """The most similar pairs of answers, with the matching passages side by side."""
    codes = similarity.read_class(Paths(assignment.name, root).class_folder("submitted"), assignment)
    if len(codes) < 3:
        return "<h2>Similar answers</h2><p>Too few submissions to compare.</p>"
    pairs = similarity.similar_pairs(codes, similarity.scaffolding_of(Paths(assignment.name, root).release,
                                                                      assignment.functions))
    flagged = [p for p in pairs if p.flagged]
    rows = [[f"{p.a} / {p.b}", f"{p.z:g}", str(p.rare), f"{p.share:.0%}", "FLAGGED" if p.flagged else ""]
            for p in pairs]
    parts = ["<h2>Similar answers</h2>",
             f"<p>Answer cells compared pairwise ({len(codes)} students, scaffolding removed, names "
             "normalised). Only passages that few students share count; a pair is flagged when its "
             f"share of such passages is an outlier in this class (robust z &ge; {similarity.FLAG_Z:g}). "
             f"{len(flagged)} pair(s) flagged.</p>",
             _table(["pair", "z", "rare passages", "share", ""], rows)]
    for pair in [p for p in pairs if p.rare][:max(shown, len(flagged))]:
        left, right = (_marked(code, sl) for code, sl in zip(pair.code, pair.slices, strict=True))
        parts.append(f"<h3>{html.escape(pair.a)} and {html.escape(pair.b)} (z = {pair.z:g})</h3>"
                     f"<div class='pair'><pre>{left}</pre><pre>{right}</pre></div>")
    return "".join(parts)


def write_report(name: str, root: Path = ROOT, extra_sections: list[tuple[str, str]] | None = None) -> Path:
    """Write the HTML report and the per-function CSV; returns the HTML path."""
    assignment = Assignment.from_source(Paths(name, root).source)
    db_url = load_config(root).CourseDirectory.db_url
    rows = scores.table(db_url, assignment)
    graded = read_autograded(assignment, root)
    top = scores.maxima(assignment)
    reports = root / "reports"
    reports.mkdir(exist_ok=True)
    scores.write_csv(rows, assignment, reports / f"{name}_scores.csv")

    parts = [f"<h1>{html.escape(name)}: class report</h1>",
             f"<p>{len(rows)} submissions graded; mean {sum(r.total for r in rows) / max(len(rows), 1):.1f} "
             f"of {sum(top.values()):g} points.</p>", "<h2>Points per function</h2><div class='grid'>"]
    for function in assignment.functions:
        values = [r.scores[function] for r in rows]
        mean = sum(values) / max(len(values), 1)
        parts.append(f"<figure><img src='data:image/png;base64,{histogram(values, top[function], function)}'>"
                     f"<figcaption>mean {mean:.1f} / {top[function]:g}</figcaption></figure>")
    parts.append("</div><h2>Most common failures per test</h2>")
    for test in assignment.tests:
        messages = collections.Counter(g.failures[test.grade_id] for g in graded if test.grade_id in g.failures)
        if messages:
            failed = sum(messages.values())
            parts.append(f"<h3>{html.escape(test.grade_id)} ({test.points:g} points): "
                         f"failed by {failed} of {len(graded)}</h3>")
            parts.append(_table(["students", "message"], [[str(n), m] for m, n in messages.most_common(5)]))
    slow = sorted(graded, key=lambda g: -g.seconds)[:10]
    parts.append("<h2>Slowest submissions</h2>")
    parts.append(_table(["student", "seconds"], [[g.student, f"{g.seconds:.2f}"] for g in slow]))
    flagged = [g for g in graded if g.flags]
    parts.append("<h2>Flagged submissions</h2>")
    parts.append(_table(["student", "flags"], [[g.student, ", ".join(g.flags)] for g in flagged])
                 if flagged else "<p>None: no submission crashed, timed out or was tampered with.</p>")
    parts.append(similarity_section(assignment, root))
    for title, body in extra_sections or []:
        parts.append(f"<h2>{html.escape(title)}</h2>{body}")
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;color:#222}"
             "table{border-collapse:collapse;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 8px;"
             "text-align:left;vertical-align:top}.grid{display:flex;flex-wrap:wrap;gap:8px}"
             "figure{margin:0}figcaption{text-align:center;font-size:90%}"
             ".pair{display:flex;gap:8px}.pair pre{flex:1;overflow:auto;max-height:30em;font-size:80%;"
             "background:#f7f7f7;padding:6px}mark{background:#ffd54f}")
    page = (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(name)} report</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>")
    path = reports / f"{name}_report.html"
    path.write_text(page)
    return path
