"""The attack suite: hostile submissions, autograded by stock `nbgrader autograde` with the kit's
config, earn no point their code did not earn and harm nothing — not the course's files, not
the gradebook, not the other students, and nothing of theirs outlives the run."""
from __future__ import annotations

import hashlib
import os
import shutil
import time
from pathlib import Path

import nbformat
import pytest
from nbgrader.api import Gradebook

from coursekit.assignment import Assignment
from coursekit.samples import make_submission
from coursekit.scores import table
from tests.attacks.attacks import ATTACKS
from tests.conftest import REPO, run

FULL = [2, 3, 8, 5, 12, 2, 2, 8]
CANARIES = {"aaa_canary": {}, "zzz_canary": {           # graded before and after every attacker
    "conv_forward": [("vert_start = h * stride", "vert_start = h"), ("horiz_start = w * stride", "horiz_start = w")],
    "pool_backward": [("horiz_end, c] += mask", "horiz_end, c] = mask"),
                      ("horiz_end, c] += distribute_value", "horiz_end, c] = distribute_value")]}}
CANARY_SCORES = {"aaa_canary": FULL, "zzz_canary": [2, 3, 4, 5, 12, 2, 2, 2]}
UID_BASE = 200_000


def course_files(course: Path) -> dict[str, str]:
    """Every file of the course that grading must not touch, with its hash."""
    out = {}
    for path in sorted(course.rglob("*")):
        rel = path.relative_to(course)
        if rel.parts[0] in ("autograded", "feedback") or rel.name.startswith("gradebook.db") \
                or "__pycache__" in rel.parts or path.is_symlink() or not path.is_file():
            continue
        out[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def sandbox_processes() -> list[str]:
    """Processes still running as a sandbox uid."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        uid = int(next(line for line in status.splitlines() if line.startswith("Uid:")).split()[1])
        if uid >= UID_BASE:
            found.append(f"{pid} (uid {uid})")
    return found


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


@pytest.fixture(scope="module")
def attacked(released_course, tmp_path_factory):
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
    result = run(course, "nbgrader", "autograde", "cnn_layers", "--log-level=WARN", timeout=3600)
    seconds = time.monotonic() - started
    rows = {row.student: [row.scores[f] for f in assignment.functions]
            for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
    meta = {}
    for student in submissions:
        graded = course / "autograded" / student / "cnn_layers" / "cnn_layers.ipynb"
        meta[student] = nbformat.read(graded, as_version=4).metadata.get("coursekit", {}) if graded.exists() else None
    deadline = time.monotonic() + 10
    while sandbox_processes() and time.monotonic() < deadline:
        time.sleep(0.2)
    return {"course": course, "rows": rows, "meta": meta, "before": before, "log": result.stderr,
            "tmp_before": tmp_before, "seconds": seconds}


def test_the_suite_has_at_least_twenty_attacks():
    assert len([a for a in ATTACKS if a.kind in ("cheat", "harm", "junk")]) >= 20


@pytest.mark.slow
@pytest.mark.parametrize("attack", [a for a in ATTACKS if a.kind != "control"], ids=lambda a: a.name)
def test_the_attack_earns_no_point_its_code_did_not(attacked, attack):
    rows = attacked["rows"]
    if attack.expect == "control":      # a cheat: never more than the wrong code alone, function by function
        assert all(got <= wrong for got, wrong in zip(rows[attack.name], rows["control_wrong_conv_forward"]))
    else:
        assert rows[attack.name] == (FULL if attack.expect == "full" else attack.expect)
    meta = attacked["meta"][attack.name]
    assert meta is not None, "the submission was not graded"
    assert set(meta["flags"]) >= attack.flags
    if attack.raw is None:
        assert meta["isolation"] == "namespaces" and meta["limits"] == "cgroup"
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


@pytest.mark.slow
def test_feedback_of_attackers_shows_messages_not_hidden_tests(attacked):
    course = attacked["course"]
    run(course, "nbgrader", "generate_feedback", "cnn_layers", "--log-level=ERROR", timeout=1200)
    page = (course / "feedback" / "control_wrong_conv_forward" / "cnn_layers" / "cnn_layers.html").read_text()
    leaked = course / "feedback" / "links_to_instructor_files" / "cnn_layers"
    assert sorted(p.name for p in leaked.iterdir()) == ["checks.py", "cnn_figures.py", "cnn_layers.html"]
    assert "values wrong at some positions" in page
    assert "BEGIN HIDDEN TESTS" not in page and "_conv_reference" not in page
    assert not (REPO / "feedback" / "control_wrong_conv_forward").exists()
