"""Grades for a learning-management system: nbgrader export plugins for Canvas and Moodle.

    nbgrader export --exporter=coursekit.lms.CanvasExport --to=canvas.csv
    nbgrader export --exporter=coursekit.lms.MoodleExport --to=moodle.csv

Both read the gradebook and the course roster (``c.LmsExport.roster``, a CSV file mapping
nbgrader student ids to the LMS's ids) and write one row per student and one column per
assignment. A score is the submission's total after its late penalty (``nbgrader autograde``'s
``AssignLatePenalties``), never below zero; an assignment a student did not submit scores 0
(``c.LmsExport.missing_as_zero``; False leaves the cell empty, which both LMSs read as "no grade,
leave as is").

The columns followed (the LMSs' documentation, not a live LMS, was checked):

- **Canvas**, Instructor Guide "How do I import grades in the Gradebook?" and the Gradebook CSV
  export it reads back: the header ``Student, ID, SIS User ID, SIS Login ID, Section``, then one
  column per assignment; the second row starts with ``Points Possible`` and gives each
  assignment's maximum. Canvas matches rows by ``ID`` (its numeric user id: the roster's
  ``lms_id``). An assignment column is headed ``<name> (<Canvas assignment id>)`` to update an
  existing Canvas assignment (``c.CanvasExport.assignment_ids``), or by the name alone, which
  makes Canvas create it with the points possible of the second row.
- **Moodle**, "Import grades" (docs.moodle.org, "CSV file" import): a header row, one column that
  identifies the user and one per grade item; on import "Map from" picks the identifying column
  and "Map to" the user field (``useridnumber`` for ``ID number``, ``useremail`` for
  ``Email address``), and each grade column is mapped to a grade item or to "new grade item",
  which takes the column's header as its name. The columns are those of Moodle's own CSV grade
  export that identify a user: ``First name, Last name, ID number, Email address``; ``ID number``
  is the roster's ``lms_id``. Moodle's grade items hold their own maximum, so there is no
  points-possible row; with ``c.MoodleExport.feedback`` a ``<name> feedback`` column per
  assignment says the points before the late penalty (Moodle maps it to the item's feedback).

The roster is a CSV file with a header: ``nbgrader_id`` and ``lms_id`` are required; ``name``,
``first_name``, ``last_name``, ``email``, ``sis_user_id``, ``sis_login_id`` and ``section`` are
optional (a missing name or email is taken from the gradebook; a ``name`` alone is split at its
first space into Moodle's first and last name). A gradebook student with no
roster row stops the export with the list of such ids: a grade that cannot reach the LMS must
not vanish silently.
"""
from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Bool, Dict, Unicode

ROSTER_REQUIRED = ("nbgrader_id", "lms_id")
ROSTER_OPTIONAL = ("name", "first_name", "last_name", "email", "sis_user_id", "sis_login_id", "section")
CANVAS_HEADER = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")
CANVAS_POINTS = "Points Possible"
MOODLE_HEADER = ("First name", "Last name", "ID number", "Email address")


class RosterError(ValueError):
    """The roster is missing, malformed, or does not cover the gradebook's students."""


def read_roster(path: Path) -> dict[str, dict[str, str]]:
    """nbgrader id -> the roster's row (every optional column present, maybe empty)."""
    if not path.is_file():
        raise RosterError(f"no roster at {path}: write a CSV file with the columns "
                          f"{', '.join(ROSTER_REQUIRED)} (set c.LmsExport.roster to its path)")
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ROSTER_REQUIRED if c not in (reader.fieldnames or [])]
        if missing:
            raise RosterError(f"{path}: the header lacks {', '.join(missing)} "
                              f"(found: {', '.join(reader.fieldnames or [])})")
        roster: dict[str, dict[str, str]] = {}
        for line, row in enumerate(reader, start=2):
            student, lms_id = (row.get("nbgrader_id") or "").strip(), (row.get("lms_id") or "").strip()
            if not student or not lms_id:
                raise RosterError(f"{path}, line {line}: nbgrader_id and lms_id must both be given")
            if student in roster:
                raise RosterError(f"{path}, line {line}: {student!r} is listed twice")
            roster[student] = {k: (row.get(k) or "").strip() for k in ROSTER_REQUIRED + ROSTER_OPTIONAL}
    return roster


@dataclass
class Score:
    raw: float
    penalty: float

    @property
    def final(self) -> float:
        return max(0.0, self.raw - self.penalty)


def number(value: float) -> str:
    """A score as an LMS reads it: at most two decimals, no trailing zeros."""
    return f"{value:.2f}".rstrip("0").rstrip(".")


class LmsExport(ExportPlugin):
    """What the Canvas and Moodle exports share: the roster, the selection, the scores."""

    roster = Unicode("roster.csv", help=(
        "CSV file mapping nbgrader student ids to the LMS's: columns nbgrader_id and lms_id "
        "(required), name, first_name, last_name, email, sis_user_id, sis_login_id, section "
        "(optional). A relative path is read from the directory nbgrader runs in.")).tag(config=True)
    missing_as_zero = Bool(True, help=(
        "Score an assignment a student did not submit as 0; False leaves the cell empty "
        "(the LMS keeps whatever grade it had).")).tag(config=True)
    default_to = ""   # file written when --to is not given (set by each LMS)

    def selected(self, gradebook: Gradebook) -> tuple[list, list]:
        """(assignments, students) to export, as --assignment and --student select them."""
        wanted_a = {str(a) for a in self.assignment}
        wanted_s = {str(s) for s in self.student}
        assignments = [a for a in gradebook.assignments if not wanted_a or a.name in wanted_a]
        students = [s for s in gradebook.students if not wanted_s or s.id in wanted_s]
        return sorted(assignments, key=lambda a: (a.duedate is None, a.duedate, a.name)), \
            sorted(students, key=lambda s: s.id)

    def roster_for(self, students: list) -> dict[str, dict[str, str]]:
        roster = read_roster(Path(self.roster))
        unknown = [s.id for s in students if s.id not in roster]
        if unknown:
            raise RosterError(f"{self.roster} has no row for {', '.join(unknown)}: add them "
                              f"(nbgrader_id,lms_id) or leave them out with --student")
        for student in students:
            row = roster[student.id]
            if row["name"] and not (row["first_name"] or row["last_name"]):
                row["first_name"], _, row["last_name"] = row["name"].partition(" ")
            row["first_name"] = row["first_name"] or (student.first_name or "")
            row["last_name"] = row["last_name"] or (student.last_name or "")
            row["email"] = row["email"] or (student.email or "")
            row["name"] = row["name"] or " ".join(
                p for p in (row["first_name"], row["last_name"]) if p) or student.id
        return roster

    @staticmethod
    def score(gradebook: Gradebook, assignment: str, student: str) -> Score | None:
        """The submission's points and late penalty, None if nothing was submitted."""
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return None
        return Score(float(submission.score or 0.0), float(submission.late_submission_penalty or 0.0))

    def cell(self, score: Score | None) -> str:
        if score is None:
            return "0" if self.missing_as_zero else ""
        return number(score.final)

    def columns(self, assignments: list) -> list[str]:
        raise NotImplementedError

    def rows(self, gradebook: Gradebook, assignments: list, students: list,
             roster: dict[str, dict[str, str]]) -> list[list[str]]:
        raise NotImplementedError

    def export(self, gradebook: Gradebook) -> None:
        assignments, students = self.selected(gradebook)
        roster = self.roster_for(students)
        dest = self.to or self.default_to
        self.log.info("Exporting %d students x %d assignments to %s", len(students), len(assignments), dest)
        with open(dest, "w", newline="", encoding="utf-8") as handle:
            out = csv.writer(handle)
            out.writerow(self.columns(assignments))
            out.writerows(self.rows(gradebook, assignments, students, roster))


class CanvasExport(LmsExport):
    """Canvas's Gradebook import CSV (Grades > Import)."""

    default_to = "canvas_grades.csv"
    assignment_ids = Dict({}, help=(
        "Canvas assignment id per nbgrader assignment name, e.g. {'cnn_layers': 1234}: the column "
        "is then headed 'cnn_layers (1234)' and updates that Canvas assignment; without an id "
        "Canvas creates a new assignment of that name on import.")).tag(config=True)

    def columns(self, assignments: list) -> list[str]:
        heads = []
        for a in assignments:
            canvas_id = self.assignment_ids.get(a.name)
            heads.append(f"{a.name} ({canvas_id})" if canvas_id else a.name)
        return [*CANVAS_HEADER, *heads]

    def rows(self, gradebook: Gradebook, assignments: list, students: list,
             roster: dict[str, dict[str, str]]) -> list[list[str]]:
        rows = [[CANVAS_POINTS, "", "", "", "", *(number(a.max_score) for a in assignments)]]
        for s in students:
            r = roster[s.id]
            rows.append([r["name"], r["lms_id"], r["sis_user_id"], r["sis_login_id"], r["section"],
                         *(self.cell(self.score(gradebook, a.name, s.id)) for a in assignments)])
        return rows


class MoodleExport(LmsExport):
    """Moodle's grade import CSV (Grades > Import > CSV file)."""

    default_to = "moodle_grades.csv"
    feedback = Bool(True, help=(
        "Add a '<assignment> feedback' column per assignment: the points out of the maximum and, "
        "for a late submission, the points before the penalty.")).tag(config=True)

    def columns(self, assignments: list) -> list[str]:
        heads = []
        for a in assignments:
            heads.append(a.name)
            if self.feedback:
                heads.append(f"{a.name} feedback")
        return [*MOODLE_HEADER, *heads]

    def rows(self, gradebook: Gradebook, assignments: list, students: list,
             roster: dict[str, dict[str, str]]) -> list[list[str]]:
        rows = []
        for s in students:
            r = roster[s.id]
            cells = []
            for a in assignments:
                score = self.score(gradebook, a.name, s.id)
                cells.append(self.cell(score))
                if self.feedback:
                    cells.append(self.feedback_text(score, a.max_score))
            rows.append([r["first_name"], r["last_name"], r["lms_id"], r["email"], *cells])
        return rows

    @staticmethod
    def feedback_text(score: Score | None, top: float) -> str:
        if score is None:
            return "not submitted"
        text = f"{number(score.final)} / {number(top)} points"
        if score.penalty:
            text += f" ({number(score.raw)} before a late penalty of {number(score.penalty)})"
        return text
