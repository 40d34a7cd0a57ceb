"""Only notebooks (and declared data) come back from a submission into autograded/ and feedback/.

nbgrader's autograde copies every other file of the submission folder next to the graded
notebook (``BaseConverter.init_assignment``), and ``generate_feedback`` copies them on into
feedback/. A student's ``numpy.py``, ``sitecustomize.py``, a ``.pth`` file or a ``coursekit/``
package there would run as the instructor in any kernel opened in that folder. The policy:

- the instructor's files (``source/<assignment>/``) land as nbgrader puts them;
- from the submission: its notebooks, nbgrader's exchange files (``timestamp.txt``,
  ``submission_secret.txt``: ``release_feedback`` reads them) and the files an assignment
  declares in ``KeepSubmittedFiles.keep``; never code (``CODE_SUFFIXES``, packages), even if declared;
- symbolic links and special files (FIFOs, sockets, devices) in a submission are moved aside into
  ``submitted/<student>/.set-aside/<assignment>/`` before nbgrader copies anything (it would
  follow or block on them); nothing in the submission is deleted.

``KeepSubmittedFiles`` (first sanitize step) removes what nbgrader copied against the policy;
``coursekit grade`` copies by the same policy (``kept_files``), so there is nothing to remove.
"""
from __future__ import annotations

import fnmatch
import os
import shutil
import stat
from pathlib import Path
from typing import Any

from nbgrader.coursedir import CourseDirectory
from nbgrader.preprocessors import NbGraderPreprocessor
from nbgrader.utils import find_all_files
from traitlets import Dict, List, Unicode

from coursekit.assignment import DATA_FOLDER
from coursekit.flags import Flag

CODE_SUFFIXES = (".py", ".pyc", ".pyo", ".pyw", ".pyx", ".pyi", ".pth", ".so", ".pyd", ".dll", ".dylib",
                 ".ipy", ".egg", ".whl", ".zip", ".sh", ".ipynb_checkpoints")
SET_ASIDE = ".set-aside"


def is_code(relative: str) -> bool:
    parts = Path(relative).parts
    return relative.lower().endswith(CODE_SUFFIXES) or any(p.endswith((".egg-info", ".dist-info")) for p in parts)


class KeepSubmittedFiles(NbGraderPreprocessor):
    """Sanitize step: the graded folder holds the notebooks, the instructor's files and the
    declared data of the submission, nothing else of the student's."""

    keep = Dict({}, help="Per assignment, glob patterns (relative to the submission folder) of "
                         "files a student may submit besides notebooks: data, never code "
                         "(files ending in CODE_SUFFIXES are never kept).").tag(config=True)
    exchange_files = List(Unicode(), ["timestamp.txt", "submission_secret.txt"],
                          help="nbgrader's exchange files, kept (release_feedback reads them).").tag(config=True)

    def allowed(self, assignment: str, relative: str) -> bool:
        if is_code(relative):
            return False
        patterns = list(self.exchange_files) + list(self.keep.get(assignment, []))
        return any(fnmatch.fnmatch(relative, p) for p in patterns)

    def preprocess(self, nb: Any, resources: dict) -> tuple[Any, dict]:
        from coursekit.preprocessors import add_flags
        ids = resources["nbgrader"]
        coursedir = CourseDirectory(config=self.config)
        submitted, autograded, source = (Path(coursedir.format_path(d, s, ids["assignment"])) for d, s in (
            (coursedir.submitted_directory, ids["student"]), (coursedir.autograded_directory, ids["student"]),
            (coursedir.source_directory, ".")))
        # flagged: what the student added (a file the assignment also has is overwritten by it)
        dropped = [rel for rel in student_files(submitted, coursedir.ignore)
                   if not self.allowed(ids["assignment"], rel) and not (source / rel).is_file()]
        if (submitted.parent / SET_ASIDE / ids["assignment"]).exists():
            add_flags(nb, Flag.LINKS_SET_ASIDE)
        removed = clean(autograded, source, lambda rel: self.allowed(ids["assignment"], rel))
        if removed:
            self.log.warning("%s: not kept in autograded/: %s", ids["student"], ", ".join(removed[:10]))
        if dropped:
            add_flags(nb, Flag.FILES_NOT_KEPT, files_not_kept=sorted(dropped)[:50])
        return nb, resources


def student_files(folder: Path, ignore: list[str]) -> list[str]:
    """The submission's other files as nbgrader would copy them (relative paths)."""
    if not folder.is_dir():
        return []
    return sorted(os.path.relpath(f, folder) for f in find_all_files(str(folder), list(ignore) + ["*.ipynb"]))


def clean(graded: Path, source: Path, allowed: Any) -> list[str]:
    """Remove from ``graded`` every file that is not a notebook, not the instructor's file of the
    same path (same bytes) and not ``allowed``; returns what was removed."""
    removed = []
    for root, dirs, names in os.walk(graded, topdown=False):
        for name in names + dirs:
            path = Path(root, name)
            rel = str(path.relative_to(graded))
            if path.is_dir() and not path.is_symlink():
                if not any(path.iterdir()):
                    path.rmdir()
                continue
            if (rel.endswith(".ipynb") and "/" not in rel) or allowed(rel) or _same_file(path, source / rel):
                continue
            path.unlink()
            removed.append(rel)
    return sorted(removed)


def _same_file(path: Path, instructor: Path) -> bool:
    try:
        return (not path.is_symlink() and instructor.is_file() and path.stat().st_size == instructor.stat().st_size
                and path.read_bytes() == instructor.read_bytes())
    except OSError:
        return False


def kept_files(submitted: Path, assignment: str, ignore: list[str], config: Any) -> list[str]:
    """The submission's files ``coursekit grade`` copies: those the policy keeps."""
    policy = KeepSubmittedFiles(config=config)
    return [rel for rel in student_files(submitted, ignore)
            if policy.allowed(assignment, rel) and Path(rel).parts[0] != DATA_FOLDER
            and Path(submitted, rel).is_file() and not Path(submitted, rel).is_symlink()]


def set_aside_links(assignment: str = "", student: str = "", notebooks: list[str] | None = None) -> None:
    """``Autograde.pre_convert_hook``: move symbolic links and special files out of each
    submission folder (into ``<student>/.set-aside/<assignment>/``) before nbgrader copies its
    files: nbgrader would follow links, as the instructor, and block on FIFOs. Regular files and
    folders stay where they are."""
    for folder in {os.path.dirname(os.path.abspath(nb)) for nb in notebooks or []}:
        aside = Path(folder).parent / SET_ASIDE / Path(folder).name
        for root, dirs, names in os.walk(folder):
            for name in dirs + names:
                path = Path(root, name)
                mode = os.lstat(path).st_mode
                if stat.S_ISREG(mode) or (stat.S_ISDIR(mode) and not path.is_symlink()):
                    continue
                if path.suffix == ".ipynb" and path.is_symlink():
                    continue        # the exporter reads a linked notebook as unreadable, never follows it
                target = aside / path.relative_to(folder)
                target.parent.mkdir(parents=True, exist_ok=True)
                if target.exists() or target.is_symlink():
                    target.unlink()
                shutil.move(str(path), str(target))
            dirs[:] = [d for d in dirs if Path(root, d).is_dir() and not Path(root, d).is_symlink()]
