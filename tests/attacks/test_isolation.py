"""The sandbox without root: hostile submissions graded by stock `nbgrader autograde` as an
ordinary user, in each isolation mode the machine offers that user (forced with
``--SandboxedExecute.isolation=<mode>``).

Run as root, the module creates the user ``coursekit-grader``, copies the course where that user
owns it and grades as that user (``setpriv``); run as an ordinary user, it grades as that user.
In every mode but ``none`` the student must not read a file only the grading user can read (the
gradebook, the source notebook, a 0600 secret), nor another student's submission; must not reach
the network, create namespaces (the seccomp filter), or write a data set; no point is gained,
nothing is harmed and nothing is left running. ``root`` itself is the attack suite's mode
(test_attacks.py).
"""
from __future__ import annotations

import os
import pwd
import shutil
import stat
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat
import pytest

from coursekit.assignment import Assignment
from coursekit.flags import Flag
from coursekit.samples import make_submission
from coursekit.scores import table
from tests.attacks.attacks import ATTACKS, Attack
from tests.attacks.test_attacks import CANARIES, CANARY_SCORES, FULL, course_files

pytestmark = pytest.mark.slow

USER = "coursekit-grader"
SECRET = "only the grading user may read this"
MODES_BELOW_ROOT = ("userns", "landlock", "none")
HOSTILE = ["control_wrong_conv_forward", "read_instructor_files", "fork_a_detached_child", "fork_bomb",
           "signal_everything"]         # the probe below shows the gradebook cannot even be opened
IN_NONE = ["fork_a_detached_child"]          # what "none" must still survive (no isolation at all)

PROBE = '''
import ctypes, os, socket
libc = ctypes.CDLL(None, use_errno=True)
def tried(name, attempt):
    try:
        attempt()
        print("ESCAPED:", name)
    except BaseException as exc:
        print("DENIED:", name, type(exc).__name__)
def unshare(flag):
    if libc.unshare(flag) != 0:
        raise OSError(ctypes.get_errno(), "unshare")
for name, path in SECRETS.items():
    tried("read " + name, lambda: open(path, "rb").read(1))
tried("tcp", lambda: socket.create_connection(("1.1.1.1", 80), timeout=2))
tried("udp", lambda: socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x", ("1.1.1.1", 53)))
for flag in (0x10000000, 0x00020000, 0x40000000, 0x20000000):
    tried("unshare %#x" % flag, lambda: unshare(flag))
tried("write the data set", lambda: open("datasets/planted.txt", "w").write("x"))
tried("change the data set", lambda: open("datasets/labels.txt", "a").write("x"))
def traceme():
    if libc.ptrace(0, 0, 0, 0) != 0:      # PTRACE_TRACEME needs no privilege: only seccomp says no
        raise OSError(ctypes.get_errno(), "ptrace")
tried("ptrace", traceme)
print("PROBE-DONE")
'''
READ_PROBE = PROBE[:PROBE.index('tried("tcp"')] + 'print("PROBE-DONE")\n'   # what "none" is probed with: reads only


def _user() -> pwd.struct_passwd:
    """The ordinary user that grades (created when we are root)."""
    if os.geteuid() != 0:
        return pwd.getpwuid(os.geteuid())
    try:
        return pwd.getpwnam(USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", USER], check=True)
        return pwd.getpwnam(USER)


def _unreachable(path: str) -> str | None:
    """The first ancestor of ``path`` that others may not enter (a Python under /root)."""
    for parent in [*reversed(Path(path).parents), Path(path)]:
        if not os.stat(parent).st_mode & stat.S_IXOTH:
            return str(parent)
    return None


def as_user(user: pwd.struct_passwd, argv: list[str], env: dict[str, str]) -> list[str]:
    """``argv`` run as ``user``; when the interpreter sits under a folder others cannot enter
    (root's pyenv), in a private mount namespace where only the interpreter is reachable there."""
    environment = [f"{k}={v}" for k, v in env.items()]
    if os.geteuid() != 0:
        return ["env", "-i", *environment, *argv]
    switch = ["setpriv", f"--reuid={user.pw_uid}", f"--regid={user.pw_gid}", "--init-groups", "--reset-env",
              "env", "-i", *environment, *argv]
    steps = []
    for prefix in sorted({os.path.realpath(sys.base_prefix), os.path.realpath(sys.prefix)}):
        blocked = _unreachable(prefix)
        if blocked is not None:
            steps.append(f"stash=$(mktemp -d) && mount --bind '{prefix}' \"$stash\" && "
                         f"mount -t tmpfs -o mode=755 tmpfs '{blocked}' && mkdir -p '{prefix}' && "
                         f"mount --move \"$stash\" '{prefix}' && rmdir \"$stash\"")
    if not steps:
        return switch
    return ["unshare", "--mount", "--propagation", "private", "sh", "-c",
            " && ".join(steps) + ' && exec "$@"', "sh", *switch]


def user_processes(uid: int, before: frozenset[str] = frozenset()) -> list[str]:
    """Processes of ``uid`` but those in ``before`` (run as that user, the test's own) and this one."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        if pid in before or int(pid) == os.getpid():
            continue
        try:
            if os.stat(f"/proc/{pid}").st_uid == uid:
                found.append(f"{pid} {Path(f'/proc/{pid}/cmdline').read_bytes()[:80]!r}")
        except OSError:
            pass
    return found


@pytest.fixture(scope="module")
def grading_user():
    user = _user()
    env = _environment(user)
    probe = [sys.executable, "-c", "from coursekit.sandbox.jail import available_modes; "
                                   "print(','.join(available_modes()))"]
    result = subprocess.run(as_user(user, probe, env), capture_output=True, text=True, cwd=str(_repo()))
    if result.returncode != 0:
        pytest.fail(f"the grading user cannot run the kit's Python (is its venv readable by others?):\n"
                    f"{result.stderr[-2000:]}")
    modes = result.stdout.split()[-1].split(",")
    return user, env, modes


def _repo() -> Path:
    return Path(__file__).resolve().parents[2]


def _environment(user: pwd.struct_passwd) -> dict[str, str]:
    return {"PATH": os.path.dirname(sys.executable) + ":/usr/bin:/bin", "HOME": tempfile.gettempdir(),
            "LANG": "C.UTF-8", "PYTHONDONTWRITEBYTECODE": "1", "PYTHONPATH": str(_repo()),
            "COURSEKIT_DATASETS": os.environ.get("COURSEKIT_DATASETS", "")}


def _submissions(mode: str) -> dict[str, object]:
    chosen = {"aaa_canary": CANARIES["aaa_canary"], "zzz_canary": CANARIES["zzz_canary"]}
    by_name = {attack.name: attack for attack in ATTACKS}
    for name in (IN_NONE if mode == "none" else HOSTILE):
        chosen[name] = by_name[name]
    chosen["probe_the_walls"] = Attack("probe_the_walls", "junk", cells=[READ_PROBE if mode == "none" else PROBE])
    return chosen


@pytest.fixture(scope="module", params=MODES_BELOW_ROOT)
def graded(request, grading_user, released_course):
    mode = request.param
    user, env, modes = grading_user
    if mode not in modes:
        pytest.skip(f"isolation {mode!r} is not available to {user.pw_name} here (offered: {modes})")
    base = Path(tempfile.mkdtemp(prefix=f"coursekit-isolation-{mode}-"))
    os.chmod(base, 0o755)
    try:
        course = base / "course"
        shutil.copytree(released_course, course, symlinks=True)
        data = course / "data"
        data.mkdir()
        (data / "labels.txt").write_text("0 1 2\n")
        secret = course / "secret.txt"
        secret.write_text(SECRET)
        with open(course / "nbgrader_config.py", "a") as config:
            config.write("\nc.SandboxedExecute.cell_timeout = 5\nc.SandboxedExecute.test_timeout = 10\n"
                         f"c.SandboxedExecute.data_dirs = {{'cnn_layers': {{'datasets': {str(data)!r}}}}}\n")
        assignment = Assignment.from_source(course / "source" / "cnn_layers" / "cnn_layers.ipynb")
        release = nbformat.read(course / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
        submissions = _submissions(mode)
        notebook = Path("cnn_layers", "cnn_layers.ipynb")
        secrets = {"the gradebook": str(course / "gradebook.db"), "a 0600 secret": str(secret),
                   "the source notebook": str(course / "source" / notebook),
                   "another student's notebook": str(course / "submitted" / "aaa_canary" / notebook)}
        for student, attack in submissions.items():
            path = course / "submitted" / student / "cnn_layers" / "cnn_layers.ipynb"
            path.parent.mkdir(parents=True)
            if isinstance(attack, dict):
                nbformat.write(make_submission(release, assignment, attack), path)
                continue
            assert isinstance(attack, Attack)
            nb = make_submission(release, assignment, attack.answers)
            cells = [cell.replace("SECRETS.items()", f"{secrets!r}.items()") for cell in attack.cells]
            nb.cells += [nbformat.v4.new_code_cell(cell) for cell in cells]
            nbformat.write(nb, path)
        for path in [base, course, *course.rglob("*")]:
            os.lchown(path, user.pw_uid, user.pw_gid)
        for private in ("gradebook.db", "secret.txt", "source/cnn_layers/cnn_layers.ipynb"):
            os.chmod(course / private, 0o600)
        before = course_files(course)
        running = frozenset(pid.split()[0] for pid in user_processes(user.pw_uid))
        tmp_before = set(os.listdir(tempfile.gettempdir()))
        command = [sys.executable, "-m", "nbgrader", "autograde", "cnn_layers", f"--SandboxedExecute.isolation={mode}",
                   "--log-level=INFO"]
        started = time.monotonic()
        result = subprocess.run(as_user(user, command, env), cwd=course, capture_output=True, text=True, timeout=900)
        seconds = time.monotonic() - started
        assert result.returncode == 0, result.stderr[-4000:]
        rows = {row.student: [row.scores[f] for f in assignment.functions]
                for row in table(f"sqlite:///{course / 'gradebook.db'}", assignment)}
        notebooks = {}
        for student in submissions:
            graded_path = course / "autograded" / student / "cnn_layers" / "cnn_layers.ipynb"
            notebooks[student] = nbformat.read(graded_path, as_version=4) if graded_path.exists() else None
        deadline = time.monotonic() + 10
        while user_processes(user.pw_uid, running) and time.monotonic() < deadline:
            time.sleep(0.2)
        yield {"mode": mode, "course": course, "rows": rows, "notebooks": notebooks, "before": before,
               "log": result.stderr, "seconds": seconds, "user": user, "submissions": submissions,
               "secrets": secrets, "tmp_before": tmp_before, "data": data, "running": running}
    finally:                          # also when grading failed: no course copy left in /tmp
        shutil.rmtree(base, ignore_errors=True)


def _printed(nb) -> str:
    return "".join(output.get("text", "") for cell in nb.cells if cell.cell_type == "code"
                   for output in cell.get("outputs", []))


def test_every_submission_was_graded_in_the_mode_asked_for(graded):
    for student, nb in graded["notebooks"].items():
        assert nb is not None, f"{student} was not graded:\n{graded['log'][-3000:]}"
        meta = nb.metadata["coursekit"]
        assert meta["isolation"] == graded["mode"]
        below = graded["mode"] not in ("root", "userns")
        assert (Flag.PARTIAL_ISOLATION in meta["flags"]) == below
    assert f"isolation mode {graded['mode']!r}" in graded["log"]


def test_the_student_cannot_read_reach_or_unshare(graded):
    printed = _printed(graded["notebooks"]["probe_the_walls"])
    assert "PROBE-DONE" in printed, printed[-2000:]
    if graded["mode"] == "none":     # what the README says of it: student code reads what the grader can
        assert all(f"ESCAPED: read {name}" in printed for name in graded["secrets"]), printed
        return
    assert "ESCAPED" not in printed, printed
    for name in graded["secrets"]:
        assert f"DENIED: read {name}" in printed
    for wall in ("tcp", "udp", "unshare 0x10000000", "unshare 0x20000", "write the data set", "ptrace"):
        assert f"DENIED: {wall} " in printed
    assert (graded["data"] / "labels.txt").read_text() == "0 1 2\n"
    assert not (graded["data"] / "planted.txt").exists()


def test_no_point_is_gained_and_right_answers_keep_theirs(graded):
    rows = graded["rows"]
    for student, scores in CANARY_SCORES.items():
        assert rows[student] == scores, f"{student}'s grade changed"
    for name, attack in graded["submissions"].items():
        if not isinstance(attack, Attack):
            continue
        if attack.expect == "control" and "control_wrong_conv_forward" in rows:
            assert all(got <= wrong for got, wrong in zip(rows[name], rows["control_wrong_conv_forward"])), name
        elif attack.expect == "full":
            assert rows[name] == FULL, name


def _made_beside(name: str, user: pwd.struct_passwd) -> bool:
    """Whether a folder in /tmp was made by another test running at the same time (pytest-xdist:
    the browser tests' ``coursekit-hub-*``), by this process's user, not the grading user's run.
    Run as an ordinary user, who also grades, nothing is set aside."""
    try:
        return os.stat(os.path.join(tempfile.gettempdir(), name)).st_uid == os.geteuid() != user.pw_uid
    except FileNotFoundError:
        return True                   # already gone: not left behind


def test_nothing_is_harmed_or_left_running(graded):
    course = graded["course"]
    assert course_files(course) == graded["before"], "a course file changed"
    assert not user_processes(graded["user"].pw_uid, graded["running"]), "a student's process outlived grading"
    left = set(os.listdir(tempfile.gettempdir())) - graded["tmp_before"]
    assert not [name for name in left if name.startswith("coursekit-") and "isolation" not in name
                and not _made_beside(name, graded["user"])], "a session's folder outlived grading"
    assert len(graded["rows"]) == len(graded["submissions"]), "a submission went missing"


def test_strict_refuses_below_full_isolation():
    from coursekit.sandbox import jail
    problems = jail.mode_problems()
    full = [mode for mode in jail.FULL_ISOLATION if not problems[mode]]
    if full:
        assert jail.choose_isolation("strict") == full[0]
    else:
        with pytest.raises(jail.IsolationUnavailable):
            jail.choose_isolation("strict")
    assert jail.choose_isolation("auto") == jail.available_modes()[0]
    for mode in jail.MODES:
        if problems[mode]:
            with pytest.raises(jail.IsolationUnavailable, match=mode):
                jail.choose_isolation(mode)
        else:
            assert jail.choose_isolation(mode) == mode
