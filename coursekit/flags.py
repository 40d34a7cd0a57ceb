"""Every flag grading can put on a notebook: one name each, used by the grader, the report,
the README and the tests. A flag marks the notebook in the gradebook (the formgrader shows it)."""
from __future__ import annotations

from enum import StrEnum


class Flag(StrEnum):
    """Why a submission deserves a look (the value is what is stored and shown)."""
    # the sandbox
    TIMEOUT = "timeout"                          # a statement or call ran past its deadline
    CRASHED = "crashed"                          # the student's process died
    PROTOCOL = "protocol"                        # the sandbox sent something malformed or over budget
    TOO_MANY_RESTARTS = "too-many-restarts"      # the restart budget ran out
    SUBMISSION_TIMEOUT = "submission-timeout"    # the notebook's time ran out
    GRADER_ERROR = "grader-error"                # the grader itself failed on a test: look at it
    PARTIAL_ISOLATION = "partial-isolation"      # graded below full isolation (landlock or none)
    # the notebook file
    UNREADABLE = "unreadable"                    # not a notebook: graded as the untouched release
    EDITED_LOCKED_CELLS = "edited-locked-cells"
    DELETED_LOCKED_CELLS = "deleted-locked-cells"
    KERNEL_CHANGED = "kernel-changed"
    METADATA_REPAIRED = "metadata-repaired"      # invalid nbgrader metadata dropped
    # the notebook's graded structure, rebuilt from the source (coursekit.structure)
    MOVED_LOCKED_CELLS = "moved-locked-cells"
    DUPLICATED_CELLS = "duplicated-cells"
    ROLES_REMOVED = "roles-removed"
    METADATA_RESTORED = "metadata-restored"
    ANSWER_FOUND_BY_FUNCTION = "answer-found-by-function"
    ANSWER_MISSING = "answer-missing"
    # the files of the submission (coursekit.files)
    FILES_NOT_KEPT = "files-not-kept"
    LINKS_SET_ASIDE = "links-set-aside"
    # what the student wrote as HTML (coursekit.html)
    HTML_SANITIZED = "html-sanitized"


DESCRIPTIONS: dict[Flag, str] = {
    Flag.TIMEOUT: "a statement or call of the student's code ran past its deadline and was stopped",
    Flag.CRASHED: "the student's code stopped the process running it",
    Flag.PROTOCOL: "the sandbox sent a message that was malformed or over its budget",
    Flag.TOO_MANY_RESTARTS: "the sandbox had to be restarted too often; the rest was not run",
    Flag.SUBMISSION_TIMEOUT: "the notebook used up its time; what was left was not run",
    Flag.GRADER_ERROR: "the grader failed while running a test (a fault of the kit): look at it",
    Flag.PARTIAL_ISOLATION: "the student's code ran below full isolation (Landlock only, or no "
                            "sandbox): see the README's table of isolation modes",
    Flag.UNREADABLE: "the file was not a valid notebook and was graded as the untouched release",
    Flag.EDITED_LOCKED_CELLS: "read-only cells were edited (they were restored)",
    Flag.DELETED_LOCKED_CELLS: "read-only cells were deleted (they were restored)",
    Flag.KERNEL_CHANGED: "the notebook's kernel was changed",
    Flag.METADATA_REPAIRED: "invalid nbgrader metadata, invalid cell ids or the kit's own notebook "
                            "metadata written by the student was dropped",
    Flag.MOVED_LOCKED_CELLS: "read-only cells were out of their place relative to the answer cells "
                             "(they were put back in place)",
    Flag.DUPLICATED_CELLS: "graded cells were duplicated (copies of read-only cells were dropped, "
                           "copies of answer cells became plain cells)",
    Flag.ROLES_REMOVED: "cells the assignment does not grade claimed an nbgrader role "
                        "(grade, solution, locked or an id); they became plain cells",
    Flag.METADATA_RESTORED: "a graded cell's type or nbgrader metadata (points, roles) differed "
                            "from the assignment's and was restored",
    Flag.ANSWER_FOUND_BY_FUNCTION: "an answer cell had lost its id and was found by the function it defines",
    Flag.ANSWER_MISSING: "no cell defines a graded function: the released stub was put back "
                         "(graded as the untouched assignment for that function)",
    Flag.FILES_NOT_KEPT: "the submission held files other than its notebooks (code, links, "
                         "undeclared data); they were not copied into autograded/ or feedback/",
    Flag.LINKS_SET_ASIDE: "the submission held symbolic links or special files; they were moved "
                          "aside (never followed)",
    Flag.HTML_SANITIZED: "markdown, raw cells or outputs held active HTML (scripts, event handlers, "
                         "javascript: links); it was removed",
}
