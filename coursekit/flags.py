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
    Flag.METADATA_REPAIRED: "invalid nbgrader metadata was dropped",
}
