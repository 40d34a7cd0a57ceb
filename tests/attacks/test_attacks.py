"""The attack suite: hostile submissions, autograded by stock `nbgrader autograde` with the kit's
config, earn no point their code did not earn and harm nothing — not the course's files, not
the gradebook, not the other students, and nothing of theirs outlives the run."""
from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.assignment import Assignment
from coursekit.preprocessors import SandboxedExecute
from coursekit.samples import make_submission
from coursekit.scores import table
from tests.attacks.attacks import ATTACKS
from tests.conftest import REPO, grader_only_lines, run

FULL = [2, 3, 8, 5, 12, 2, 2, 8]
CANARIES = {"aaa_canary": {}, "zzz_canary": {           # graded before and after every attacker
    "conv_forward": [("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")],
    "pool_backward": [("horiz_end, c] += mask", "horiz_end, c] = mask"),
                      ("horiz_end, c] += distribute_value", "horiz_end, c] = distribute_value")]}}
CANARY_SCORES = {"aaa_canary": FULL, "zzz_canary": [2, 3, 4, 5, 12, 2, 2, 2]}
UID_BASE = SandboxedExecute.uid_base.default_value    # the trait: the one default
SIZE_LIMIT = 3 * 2**20                 # bytes of any graded notebook or feedback page
MEMORY_MARGIN_MB = 250                 # grading process peak over a small control class's
CLOCK = {"submission_timeout": 20, "cell_timeout": 5, "test_timeout": 10}
CLOCK_SLACK = 10                       # seconds a notebook may take past submission_timeout
FUNCTIONS = ["zero_pad", "conv_single_step", "conv_forward", "pool_forward", "conv_backward",
             "create_mask_from_window", "distribute_value", "pool_backward"]
SLOW_EVERYTHING = "import time\nfor _name in %r:\n    _f = globals()[_name]\n" \
    "    def _slow(*a, _f=_f, **k):\n        time.sleep(3)\n        return _f(*a, **k)\n" \
    "    globals()[_name] = _slow" % (FUNCTIONS,)
CLOCK_CLASS = {"aaa_canary": [], "sleepy_cells": ["import time\ntime.sleep(4)"] * 10,
               "slow_calls": [SLOW_EVERYTHING]}
PEAK = """
import atexit, resource, runpy, sys
atexit.register(lambda: open("peak_rss_kb", "w").write(str(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)))
sys.argv = ["nbgrader"] + sys.argv[1:]
runpy.run_module("nbgrader", run_name="__main__", alter_sys=True)
"""


def course_files(course: Path) -> dict[str, str]:
    """Every file of the course that grading must not touch, with its hash."""
    out = {}
    for path in sorted(course.rglob("*")):
        rel = path.relative_to(course)
        if rel.parts[0] in ("autograded", "feedback") or rel.name.startswith("gradebook.db") \
                or rel.name == "peak_rss_kb" \
                or "__pycache__" in rel.parts or path.is_symlink() or not path.is_file():
            continue
        out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sandbox_processes() -> list[str]:
    """Processes still running as a sandbox uid with no live zygote above them: those that
    outlived their grading (sessions of other tests running at the same time, as under
    pytest-xdist, still hang from their zygote)."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if uid >= UID_BASE and not _under_a_zygote(pid):
            found.append(f"{pid} (uid {uid})")
    return found


def _under_a_zygote(pid: str) -> bool:
    """Whether a live ``coursekit.sandbox.jail`` zygote is an ancestor of ``pid``."""
    seen = set()
    while pid not in ("0", "1") and pid not in seen:
        seen.add(pid)
        try:
            status = Path(f"/proc/{pid}/status").read_text()
            parent = next(line for line in status.splitlines() if line.startswith("PPid:")).split()[1]
            if b"coursekit.sandbox.jail" in Path(f"/proc/{parent}/cmdline").read_bytes():
                return True
        except (OSError, StopIteration):
            return False
        pid = parent
    return False


def files_owned_by_sandboxes(*folders: Path) -> list[str]:
    found = []
    for folder in folders:
        for root, dirs, names in os.walk(folder):
            for name in dirs + names:
                path = os.path.join(root, name)
                try:
                    if os.lstat(path).st_uid >= UID_BASE:
                        found.append(path)
                except OSError:
                    pass
    return found


def start_autograde_with_peak(course: Path) -> subprocess.Popen:
    """Start stock ``nbgrader autograde`` in the course (its output goes to files in the course's
    folder, so a long run never blocks on a full pipe)."""
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    with open(course.parent / "autograde.out", "w") as out, open(course.parent / "autograde.err", "w") as err:
        return subprocess.Popen([sys.executable, "-c", PEAK, "autograde", "cnn_layers", "--log-level=WARN"],
                                cwd=course, env=env, stdout=out, stderr=err, text=True)


def finish_autograde_with_peak(course: Path, process: subprocess.Popen, timeout: float) -> tuple[str, int]:
    """Wait for ``process`` (from start_autograde_with_peak); its stderr, and the grading process's
    peak memory in MB."""
    try:
        process.wait(timeout=timeout)
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    stderr = (course.parent / "autograde.err").read_text()
    assert process.returncode == 0, stderr[-4000:]
    return stderr, int((course / "peak_rss_kb").read_text()) // 1024


def graded_meta(course: Path, student: str) -> dict | None:
    graded = course / "autograded" / student / "cnn_layers" / "cnn_layers.ipynb"
    return nbformat.read(graded, as_version=4).metadata.get("coursekit", {}) if graded.exists() else None


@pytest.fixture(scope="module")
def clock_class(released_course, tmp_path_factory):
    """A small class under a 20 s notebook deadline, notebooks that would run far longer: its
    grading is started here and runs (mostly asleep) while the attack class is graded."""
    if os.geteuid() != 0:
        pytest.fail("the attack suite needs the grader's full isolation: run it as root (CI does)")
    course = tmp_path_factory.mktemp("clock") / "course"
    shutil.copytree(released_course, course)
    with open(course / "nbgrader_config.py", "a") as config:
        config.write("".join(f"\nc.SandboxedExecute.{k} = {v}" for k, v in CLOCK.items()) + "\n")
    assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
    release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    for student, cells in CLOCK_CLASS.items():
        path = course / "submitted" / student / "cnn_layers" / "cnn_layers.ipynb"
        path.parent.mkdir(parents=True)
        nb = make_submission(release, assignment, {})
        nb.cells += [nbformat.v4.new_code_cell(cell) for cell in cells]
        nbformat.write(nb, path)
    started = time.monotonic()
    process = start_autograde_with_peak(course)
    yield course, assignment, process, started
    if process.poll() is None:        # nothing waited for it (a test selection without its tests)
        process.kill()
        process.wait()


@pytest.fixture(scope="module")
def clocked(clock_class):
    """The clock class's grading, waited for."""
    course, assignment, process, started = clock_class
    _, peak = finish_autograde_with_peak(course, process, timeout=900)
    rows = {row.student: [row.scores[f] for f in assignment.functions]
            for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    return {"rows": rows, "meta": {s: graded_meta(course, s) for s in CLOCK_CLASS}, "peak_mb": peak,
            "seconds": time.monotonic() - started}


@pytest.fixture(scope="module")
def attacked(released_course, tmp_path_factory, clock_class):
    if os.geteuid() != 0:
        pytest.fail("the attack suite needs the grader's full isolation: run it as root (CI does)")
    course = tmp_path_factory.mktemp("attacks") / "course"
    shutil.copytree(released_course, course)
    with open(course / "nbgrader_config.py", "a") as config:      # short limits keep the suite fast
        config.write("\nc.SandboxedExecute.cell_timeout = 5\nc.SandboxedExecute.test_timeout = 10\n")
    assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
    release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    submissions = dict(CANARIES)
    for attack in ATTACKS:
        submissions[attack.name] = attack
    for student, attack in submissions.items():
        path = course / "submitted" / student / "cnn_layers" / "cnn_layers.ipynb"
        path.parent.mkdir(parents=True)
        if isinstance(attack, dict):
            nbformat.write(make_submission(release, assignment, attack), path)
            continue
        for name, target in attack.links.items():
            (path.parent / name).unlink(missing_ok=True)
            os.symlink(target, path.parent / name)
        if attack.raw is not None:
            if not path.is_symlink():
                path.write_bytes(attack.raw)
            continue
        nb = make_submission(release, assignment, attack.answers)
        nb.cells += [nbformat.v4.new_code_cell(cell) for cell in attack.cells]
        if attack.edit:
            attack.edit(nb)
        nbformat.write(nb, path)
    before = course_files(course)
    tmp_before = set(os.listdir("/tmp"))
    started = time.monotonic()
    log, peak = finish_autograde_with_peak(course, start_autograde_with_peak(course), timeout=3600)
    seconds = time.monotonic() - started
    rows = {row.student: [row.scores[f] for f in assignment.functions]
            for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    meta = {student: graded_meta(course, student) for student in submissions}
    clock_class[2].wait(timeout=900)         # both classes at rest before anything is looked for
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    return {"course": course, "rows": rows, "meta": meta, "before": before, "log": log,
            "tmp_before": tmp_before, "seconds": seconds, "peak_mb": peak, "functions": assignment.functions}


def test_the_suite_has_at_least_twenty_attacks():
    assert len([a for a in ATTACKS if a.kind in ("cheat", "harm", "junk")]) >= 20


@pytest.mark.slow
@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.kind != "control"], ids=lambda a: a.name)
def test_the_attack_earns_no_point_its_code_did_not(attacked, attack):
    rows = attacked["rows"]
    if attack.expect == "control":      # a cheat: never more than the wrong code alone, function by function
        assert all(got <= wrong for got, wrong in zip(rows[attack.name], rows["control_wrong_conv_forward"]))
    elif attack.expect == "any":        # never more than right answers earn
        assert all(got <= full for got, full in zip(rows[attack.name], FULL))
    elif isinstance(attack.expect, dict):
        assert rows[attack.name] == [attack.expect.get(f, full) for f, full in zip(attacked["functions"], FULL)]
    else:
        assert rows[attack.name] == (FULL if attack.expect == "full" else attack.expect)
    meta = attacked["meta"][attack.name]
    assert meta is not None, "the submission was not graded"
    assert set(meta["flags"]) >= attack.flags
    if attack.raw is None:
        assert meta["isolation"] == "root" and meta["limits"] == "cgroup"
    graded = attacked["course"] / "autograded" / attack.name
    assert not [p for p in graded.rglob("*") if p.is_symlink() or p.name in attack.links and p.name != "cnn_layers.ipynb"]


@pytest.mark.slow
def test_the_control_is_really_wrong(attacked):
    assert attacked["rows"]["control_wrong_conv_forward"][2] < 8


@pytest.mark.slow
def test_nothing_is_harmed(attacked):
    course = attacked["course"]
    assert course_files(course) == attacked["before"], "a course file changed"
    for student, scores in CANARY_SCORES.items():
        assert attacked["rows"][student] == scores, f"{student}'s grade changed"
    assert not sandbox_processes(), "a student's process outlived grading"
    assert not files_owned_by_sandboxes(course, Path("/tmp")), "a student's file outlived grading"
    with Gradebook(f"sqlite:///{course / 'gradebook.db'}") as gb:
        grades = [g for s in gb.find_assignment("cnn_layers").submissions for n in s.notebooks for g in n.grades]
        assert grades and all(g.auto_score is not None and not g.needs_manual_grade for g in grades)
    assert len(attacked["rows"]) == len(ATTACKS) + len(CANARIES), "a submission went missing"


@pytest.fixture(scope="module")
def feedback(attacked):
    """The attackers' feedback pages, generated once by stock ``nbgrader generate_feedback``."""
    run(attacked["course"], "nbgrader", "generate_feedback", "cnn_layers", "--log-level=ERROR", timeout=1200)
    return attacked


@pytest.mark.slow
def test_feedback_of_attackers_shows_messages_not_hidden_tests(feedback):
    course = feedback["course"]
    page = (course / "feedback" / "control_wrong_conv_forward" / "cnn_layers" / "cnn_layers.html").read_text()
    leaked = course / "feedback" / "links_to_instructor_files" / "cnn_layers"
    assert sorted(p.name for p in leaked.iterdir()) == ["checks.py", "cnn_figures.py", "cnn_layers.html"]
    assert "values wrong at some positions" in page
    assert "BEGIN HIDDEN TESTS" not in page and not re.search(r"\bgrading\.\w", page)
    assert not [line for line in grader_only_lines("cnn_layers") if line in page]
    assert not (REPO / "feedback" / "control_wrong_conv_forward").exists()


@pytest.mark.slow
def test_nothing_of_a_hidden_input_reaches_a_graded_notebook_or_feedback(feedback):
    """The leak attacks print, raise and forge with the marker LEAK and the hidden inputs."""
    course = feedback["course"]
    for folder in ("autograded", "feedback"):
        for path in (course / folder).rglob("*"):
            if path.suffix in (".ipynb", ".html"):
                assert "LEAK" not in path.read_text(errors="replace"), path


@pytest.mark.slow
def test_what_the_sandbox_sends_is_capped_in_every_file(feedback):
    """What grading writes is bounded by what the student sent: a few MB beyond the notebook's own
    cells, whatever the sandbox claims or prints."""
    course = feedback["course"]
    for folder in ("autograded", "feedback"):
        for path in (course / folder).rglob("*"):
            if path.is_file():
                student = path.relative_to(course / folder).parts[0]
                sent = course / "submitted" / student / "cnn_layers" / "cnn_layers.ipynb"
                own = sent.stat().st_size if sent.is_file() and not sent.is_symlink() else 0
                assert path.stat().st_size < SIZE_LIMIT + 5 * own, f"{path} is {path.stat().st_size} bytes"


@pytest.mark.slow
def test_the_grading_process_memory_stays_near_a_small_control_class(attacked, clocked):
    assert attacked["peak_mb"] <= clocked["peak_mb"] + MEMORY_MARGIN_MB, (attacked["peak_mb"], clocked["peak_mb"])


@pytest.mark.slow
def test_the_notebook_deadline_bounds_every_notebook(clocked):
    bound = CLOCK["submission_timeout"] + CLOCK_SLACK
    for student in ("sleepy_cells", "slow_calls"):
        meta = clocked["meta"][student]
        assert meta is not None and "submission-timeout" in meta["flags"], student
        assert meta["seconds"] <= bound, (student, meta["seconds"])
    assert clocked["rows"]["aaa_canary"] == FULL
    assert clocked["meta"]["aaa_canary"]["seconds"] < CLOCK["submission_timeout"]


@pytest.mark.slow
def test_a_notebook_that_runs_out_of_time_earns_nothing_more(clocked):
    for student in ("sleepy_cells", "slow_calls"):
        assert all(got <= full for got, full in zip(clocked["rows"][student], FULL))
