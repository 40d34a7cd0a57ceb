"""When a submission was made, from records the student cannot write.

What nbgrader's exchange lets a student forge: ``nbgrader submit`` runs as the student. It names
the inbound folder ``<student>+<assignment>+<time>`` and writes ``timestamp.txt`` into it, both
from the student's process and clock, in a folder the student owns (mode 0777). ``nbgrader
collect`` picks the newest folder *by the time in its name*, copies it into ``submitted/``
(``shutil.copytree``: contents, and mtimes as the student set them) and ``nbgrader autograde``
stores ``timestamp.txt`` as the submission time, which late penalties read. A garbled
``timestamp.txt`` even stops the submission from being graded. What a student cannot set is
the ctime (inode change time) of what they wrote: the kernel sets it to the time of the last
change, and only root can set the clock back.

With ``SubmissionTime.from_collection`` (default True):

- ``RecordingCollect`` (``c.ExchangeFactory.collect``) records, at collect, the newest ctime in
  the student's inbound folder (the last time anything in it changed) and the collection time,
  in ``submitted/<student>/.<assignment>.collected.json``: beside the submission, outside what
  the student sends;
- the submission time is that record; without one (a submission put in ``submitted/`` by hand
  or by ``zip_collect``) ``SubmissionTime.without_record`` decides: no time (the default: never
  late), the newest ctime of its files, or its ``timestamp.txt`` as stock nbgrader;
- the student's ``timestamp.txt`` is never read, and ``timestamp.txt`` in ``autograded/`` (hence
  in ``feedback/``), when the submission had one, is rewritten with the time used
  (``GradedTimestamp``).

nbgrader reads timestamps through ``CourseDirectory.get_existing_timestamp``, which no setting
replaces; ``install()`` (called from ``nbgrader_config.py``) wraps it so that stock ``nbgrader
autograde`` and ``collect`` follow the setting, and a malformed file never raises. The formgrader
(``NbGraderAPI.get_submitted_timestamp``) reads ``timestamp.txt`` itself, and calls a submission
graded only when that time equals the gradebook's: ``install()`` points it at the same reading,
or every collected submission would show as "needs autograding", with no score.
"""
from __future__ import annotations

import datetime
import json
import os
from pathlib import Path
from typing import Any

from nbgrader.apps.api import NbGraderAPI
from nbgrader.coursedir import CourseDirectory
from nbgrader.exchange.default.collect import ExchangeCollect
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import parse_utc
from traitlets import Bool, Enum
from traitlets.config import Application, LoggingConfigurable

_STOCK = CourseDirectory.get_existing_timestamp


class SubmissionTime(LoggingConfigurable):
    from_collection = Bool(True, help="Take submission times from what the instructor's side records "
                                      "at collect, never from the timestamp.txt students write.").tag(config=True)
    without_record = Enum(["none", "file-times", "timestamp.txt"], "none",
                          help="A submission with no collection record (put in submitted/ by hand or "
                               "by zip_collect) has no time ('none': never late), the newest ctime of "
                               "its files ('file-times': when they were written on the instructor's "
                               "side; copying the course resets it), or its timestamp.txt (as stock "
                               "nbgrader: only if you trust where it came from).").tag(config=True)


def setting(coursedir: CourseDirectory) -> SubmissionTime:
    """The setting as the running command sees it. nbgrader's apps make their CourseDirectory
    before reading nbgrader_config.py, so its ``config`` may lack the section: the application's
    has it."""
    configs = [coursedir.config] + ([Application.instance().config] if Application.initialized() else [])
    for config in configs:
        if "SubmissionTime" in config:
            return SubmissionTime(config=config)
    return SubmissionTime()


def record_path(folder: str | os.PathLike) -> Path:
    folder = Path(folder)
    return folder.parent / f".{folder.name}.collected.json"


def newest_ctime(folder: str | os.PathLike) -> datetime.datetime | None:
    """The latest inode change under ``folder`` (links not followed), as naive UTC."""
    newest = None
    for root, dirs, names in os.walk(str(folder)):
        for name in ["", *dirs, *names]:
            try:
                ctime = os.lstat(os.path.join(root, name)).st_ctime
            except OSError:
                continue
            newest = ctime if newest is None else max(newest, ctime)
    if newest is None:
        return None
    return datetime.datetime.fromtimestamp(newest, datetime.UTC).replace(tzinfo=None)


def recorded_time(folder: str | os.PathLike) -> datetime.datetime | None:
    try:
        return parse_utc(json.loads(record_path(folder).read_text())["changed"])
    except (OSError, ValueError, KeyError, TypeError, OverflowError):
        return None


def submission_time(coursedir: CourseDirectory, folder: str | os.PathLike) -> datetime.datetime | None:
    """The submission time of ``submitted/<student>/<assignment>`` under the course's setting."""
    policy = setting(coursedir)
    if not policy.from_collection:
        return _stock_or_none(coursedir, folder)
    when = recorded_time(folder)
    if when is not None or not Path(folder).is_dir():
        return when
    if policy.without_record == "timestamp.txt":
        return _stock_or_none(coursedir, folder)
    if policy.without_record == "file-times":
        when = newest_ctime(folder)
    coursedir.log.info("%s: no collection record; submission time %s (SubmissionTime.without_record = %r)",
                       folder, when, policy.without_record)
    return when


def _stock_or_none(coursedir: CourseDirectory, folder: str | os.PathLike) -> datetime.datetime | None:
    try:
        return _STOCK(coursedir, str(folder))
    except Exception as exc:  # noqa: BLE001 (nbgrader fails with its own types): no time rather than no grade
        coursedir.log.warning("%s: unreadable timestamp.txt (%s)", folder, type(exc).__name__)
        return None


def _is_submission(coursedir: CourseDirectory, folder: str) -> bool:
    submitted = Path(coursedir.format_path(coursedir.submitted_directory, ".", ".")).resolve()
    return Path(folder).resolve().parent.parent == submitted


def get_existing_timestamp(self: CourseDirectory, dest_path: str) -> datetime.datetime | None:
    """``CourseDirectory.get_existing_timestamp`` under the setting, never raising."""
    if _is_submission(self, dest_path):
        return submission_time(self, dest_path)
    return _stock_or_none(self, dest_path)


def get_submitted_timestamp(self: NbGraderAPI, assignment_id: str, student_id: str) -> datetime.datetime | None:
    """``NbGraderAPI.get_submitted_timestamp`` (the formgrader's) as autograde reads it."""
    folder = self.coursedir.format_path(self.coursedir.submitted_directory, student_id, assignment_id)
    return self.coursedir.get_existing_timestamp(os.path.abspath(folder))


def install() -> None:
    """Make nbgrader's own commands and the formgrader read submission times as the setting says."""
    CourseDirectory.get_existing_timestamp = get_existing_timestamp
    NbGraderAPI.get_submitted_timestamp = get_submitted_timestamp


def write_graded_time(graded: str | os.PathLike, when: datetime.datetime | None) -> None:
    """``timestamp.txt`` of an autograded folder (copied from the submission): rewritten with the
    time grading used (nbgrader compares it with the submission's to decide whether to grade
    again, and release_feedback reads it)."""
    path = Path(graded, "timestamp.txt")
    if not (path.is_symlink() or path.exists()):
        return                  # the submission had none: nbgrader's own behaviour, nothing to rewrite
    if when is not None:            # without a time, nbgrader's copy stays (release_feedback opens it)
        path.unlink()
        path.write_text(when.strftime("%Y-%m-%d %H:%M:%S.%f UTC"))


class GradedTimestamp(NbGraderPreprocessor):
    """Sanitize step: ``autograded/<student>/<assignment>/timestamp.txt`` is the kit's."""

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        ids = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        if setting(coursedir).from_collection:
            submitted = coursedir.format_path(coursedir.submitted_directory, ids["student"], ids["assignment"])
            graded = coursedir.format_path(coursedir.autograded_directory, ids["student"], ids["assignment"])
            if Path(graded).is_dir():
                write_graded_time(graded, submission_time(coursedir, submitted))
        return nb, resources


class RecordingCollect(ExchangeCollect):
    """nbgrader's collect, recording when the student last changed the collected folder."""

    def do_copy(self, src: str, dest: str, log: Any = None) -> None:
        changed = newest_ctime(src)
        try:
            claimed = Path(src, "timestamp.txt").read_text()[:64]
        except (OSError, UnicodeDecodeError):
            claimed = None
        super().do_copy(src, dest)
        now = datetime.datetime.now(datetime.UTC).replace(tzinfo=None)
        record = {"changed": (changed or now).isoformat(), "collected": now.isoformat(),
                  "student_timestamp": claimed, "inbound": os.path.basename(src)}
        record_path(dest).write_text(json.dumps(record, indent=1))
