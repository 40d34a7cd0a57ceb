"""The two lanes on real sandboxes: the hidden lane is the public sandbox's copy from before any
test (one sandbox per right submission), it holds what the cells left and nothing the public tests
did, and a submission whose cells run threads (which a fork does not copy) gets a fresh sandbox
with its cells replayed instead. Scores are the same either way."""
from __future__ import annotations

import os
import signal
import time

import nbformat
import pytest

from coursekit.assignment import Assignment
from coursekit.course import Paths
from coursekit.pipeline import load_config
from coursekit.preprocessors import SandboxedExecute, shared_zygote
from coursekit.runner import NotebookGrader
from coursekit.samples import make_submission
from coursekit.sandbox import jail
from coursekit.sandbox import session as sandbox_session
from coursekit.sandbox.jail import DEFAULT_PRELOAD, Zygote

pytestmark = pytest.mark.slow

# zero_pad that is wrong in the first hidden test of zero_pad (its first input has the shape
# (2, 3, 5, 1)) if it was called before in the same process: if the hidden lane carried what the
# public tests did
STATEFUL_ZERO_PAD = '''
_calls = []
def zero_pad(X, pad):
    _calls.append(X.shape)
    if X.shape == (2, 3, 5, 1) and len(_calls) > 1:
        return np.zeros(1)
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))
'''

THREAD_CELL = '''
import threading, time
threading.Thread(target=time.sleep, args=(600,), daemon=True).start()
'''


@pytest.fixture(scope="module")
def setting():
    paths = Paths("cnn_layers")
    assignment = Assignment.from_source(paths.source)
    release = nbformat.read(paths.release, as_version=4)
    config = SandboxedExecute(config=load_config()).grading_config("cnn_layers")
    return assignment, release, config


def _grade(setting, nb, monkeypatch):
    assignment, _, config = setting
    starts = []
    original = sandbox_session.Session.__init__

    def counted(self, *args, **kwargs):
        starts.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(sandbox_session.Session, "__init__", counted)
    grader = NotebookGrader(assignment, shared_zygote(DEFAULT_PRELOAD), config)
    report = grader.grade(nb)
    points = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and not meta.get("solution"):
            points[meta["grade_id"]] = not any(o.get("output_type") == "error" for o in cell.outputs)
    return report, points, len(starts)


def test_a_right_submission_runs_in_one_sandbox_and_passes_everything(setting, monkeypatch):
    assignment, release, _ = setting
    report, passed, starts = _grade(setting, make_submission(release, assignment, {}), monkeypatch)
    assert all(passed.values()), [k for k, v in passed.items() if not v]
    assert starts == 1 and report["restarts"] == 0 and not report["flags"]


def test_the_hidden_lane_holds_what_the_cells_left_not_what_public_tests_did(setting, monkeypatch):
    assignment, release, _ = setting
    nb = make_submission(release, assignment, {"zero_pad": STATEFUL_ZERO_PAD})
    _, passed, starts = _grade(setting, nb, monkeypatch)
    assert starts == 1
    assert all(v for k, v in passed.items() if k.startswith("test_zero_pad")), passed


def test_cells_running_threads_get_a_fresh_hidden_sandbox_and_the_same_scores(setting, monkeypatch):
    assignment, release, _ = setting
    nb = make_submission(release, assignment, {})
    nb.cells.append(nbformat.v4.new_code_cell(THREAD_CELL))
    report, passed, starts = _grade(setting, nb, monkeypatch)
    assert starts == 2                       # the snapshot was declined: the cells were replayed
    assert all(passed.values()) and not report["flags"]


def test_the_sandbox_imports_the_assignments_modules_from_bytecode_compiled_once(setting):
    """The zygote compiles checks.py and cnn_figures.py once; a sandbox finds their .pyc (no host
    path inside) and imports without compiling."""
    from coursekit.sandbox.cells import prepare
    from coursekit.sandbox.session import Session
    assignment, _, config = setting
    grader = NotebookGrader(assignment, shared_zygote(DEFAULT_PRELOAD), config)
    session = Session(grader.zygote, grader._spec())
    try:
        code = prepare("import importlib.util, os, checks, cnn_figures\n"
                       "print([os.path.exists(m.__cached__) for m in (checks, cnn_figures)],\n"
                       "      checks.public_test.__code__.co_filename, importlib.util.MAGIC_NUMBER.hex())")
        result = session.run_cell(0, code.code, code.statements, set(), 30)
    finally:
        session.close()
    assert result.error is None, result.error
    printed = result.outputs[-1]["stream"]
    assert printed.startswith("[True, True]"), printed
    assert str(assignment.directory) not in printed and "source/" not in printed, printed


# A right conv_forward whose cache carries 5.6 MB of text (15 strings of 390 kB, what a frame
# allows): every hidden test passes its checks, so each of its ~15 calls is one more answer kept.
BULKY_CACHE = [("    cache = (A_prev, W, b, hparameters)\n",
                "    cache = (A_prev, W, b, {**hparameters, **{f'k{i}': chr(97 + i) * 390_000 for i in range(15)}})\n")]


def _kept_bytes(value) -> int:
    from coursekit.runner import _leaves
    return sum(leaf.nbytes if hasattr(leaf, "nbytes") else len(leaf) if isinstance(leaf, (str, bytes)) else 8
               for leaf in _leaves(value))


def test_a_lanes_remembered_answers_stay_within_their_cap_whatever_they_hold(setting):
    """Attack on the lane's answer memo: text weighs as much as arrays (the cap counted only
    arrays: ~100 MB of strings were kept per submission against a claimed 32 MiB)."""
    from coursekit.runner import MAX_REMEMBERED_CALLS, REMEMBERED_RESULT_BYTES
    assignment, release, config = setting
    nb = make_submission(release, assignment, {"conv_forward": BULKY_CACHE})
    grader = NotebookGrader(assignment, shared_zygote(DEFAULT_PRELOAD), config)
    grader.grade(nb)
    kept = {lane.name: [_kept_bytes(answer) for answer in lane.answers.values()]
            for lane in (grader.public, grader.hidden)}
    assert kept["hidden"], "the hidden lane answered nothing: the attack did not run"
    totals = {name: round(sum(sizes) / 2**20, 1) for name, sizes in kept.items()}   # MiB
    assert max(totals.values()) <= MAX_REMEMBERED_CALLS * REMEMBERED_RESULT_BYTES / 2**20, totals
    assert max(max(sizes) for sizes in kept.values()) <= REMEMBERED_RESULT_BYTES, totals


# Against the hand-over: once the cells are run, every fork starts a storm of forks in the
# process that forked (the hidden lane's copy after the single-thread check, and the public lane
# after its first fork), and the public lane leaves a double-forked sleeper in a session of its
# own; the leader's strip can then not finish.
FORK_STORM = '''
import os, threading, time
_armed = {"copy": True, "public": True}
def _storm():
    for _ in range(20_000):
        try:
            if os.fork() == 0:
                time.sleep(30)
                os._exit(0)
        except OSError:
            time.sleep(0.001)
def _in_the_copy():
    if _armed.pop("copy", None):
        threading.Thread(target=_storm, daemon=True).start()
def _in_the_public_lane():
    if _armed.pop("public", None) and os.fork() == 0:
        os.setsid()
        if os.fork() == 0:
            time.sleep(600)
        os._exit(0)
os.register_at_fork(after_in_parent=_in_the_copy, after_in_child=_in_the_public_lane)
'''


def test_a_fork_storm_at_the_hand_over_costs_seconds_and_leaves_no_process(setting, monkeypatch):
    """Attack (held): the leader's strip met ~48 processes and still left only the copy (or, if it
    cannot, the hidden lane is a fresh sandbox); the scores are those of a right submission, grading
    takes ~2 s and no process of the sandbox survives it."""
    assignment, release, _ = setting
    nb = make_submission(release, assignment, {})
    nb.cells.append(nbformat.v4.new_code_cell(FORK_STORM))
    zygote = shared_zygote(DEFAULT_PRELOAD)
    seen, hand_over = [], sandbox_session.Session.hand_over

    def observed(self, timeout=5.0):
        seen.append(len(jail._descendants(zygote.process.pid)))     # the storm, as the strip meets it
        successor = hand_over(self, timeout)
        seen.append(successor is not None)
        return successor

    monkeypatch.setattr(sandbox_session.Session, "hand_over", observed)
    report, passed, starts = _grade(setting, nb, monkeypatch)
    assert report["seconds"] < 30, report
    assert all(passed.values()), [k for k, v in passed.items() if not v]
    deadline = time.monotonic() + 5
    while _left_over(zygote.process.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not _left_over(zygote.process.pid), "processes of the sandbox outlived grading"


def _left_over(zygote: int) -> list[int]:
    """The zygote's living descendants but its standby (one leader prepared for the next
    session, whose one process waits for its request)."""
    found = jail._descendants(zygote)
    standby = len(jail._children(zygote)) == 1 and len(found) == 2
    return [] if standby else found


# Against the hand-over again: the sandbox says "snapshotted" without forking, so one process
# serves both lanes; it keeps a copy of the public socket and, when the grader closes that, goes
# on with its copy of the spare one. In the hidden lane it writes forged replies with the hidden
# inputs into the public socket, and prints every input it saw at every later call.
FORGED_SNAPSHOT = '''
import gc, os, socket, sys
_server = next(o for o in gc.get_objects() if type(o).__name__ == "Server" and hasattr(o, "sock"))
_wire = sys.modules["coursekit.sandbox.protocol"]
_public_fd, _spare_fd = os.dup(_server.sock.fileno()), os.dup(_server.spare.fileno())
def _snapshot_without_a_copy():
    _server.spare.close()
    _server.spare = None
    _server.send({"op": "snapshotted", "taken": True})
_server.snapshot = _snapshot_without_a_copy
_recv = _wire.recv
def _recv_then_the_spare(sock, *args, **kwargs):
    try:
        return _recv(sock, *args, **kwargs)
    except EOFError:
        if sock is _server.sock and sock.fileno() != _spare_fd:
            _server.sock = socket.socket(fileno=_spare_fd)
            return _recv(_server.sock, *args, **kwargs)
        raise
_wire.recv = _recv_then_the_spare
'''

FORGED_SNAPSHOT_ANSWER = '''
_seen = []
def zero_pad(X, pad):
    import os, struct, msgpack
    for line in _seen:
        print(line)
    if X.dtype == np.float32:
        mark = "LE" + "AK " + repr(X.shape) + " " + repr(X.ravel()[:3].tolist())
        _seen.append(mark)
        frame = msgpack.packb({"op": "returned", "value": mark, "output": mark})
        try:
            os.write(globals()["_public_fd"], struct.pack("!I", len(frame)) + frame)
        except OSError:
            pass
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))
'''


def test_a_forged_snapshot_serving_both_lanes_gets_no_hidden_input_out(setting, monkeypatch):
    """Attack (held): the forged snapshot is believed (one sandbox, the hidden lane served by the
    process that ran the public tests), yet the grader closed the public socket before the first
    hidden request, so nothing of the hidden inputs reaches the graded notebook."""
    assignment, release, _ = setting
    nb = make_submission(release, assignment, {"zero_pad": FORGED_SNAPSHOT_ANSWER})
    nb.cells.append(nbformat.v4.new_code_cell(FORGED_SNAPSHOT))
    report, passed, starts = _grade(setting, nb, monkeypatch)
    assert starts == 1, "the forged snapshot was not used: the attack did not run"
    assert passed["test_zero_pad_published"] and passed["test_zero_pad_fresh_inputs"], report
    assert "LEAK" not in nbformat.writes(nb)


# The zygote kept every .pyc it compiled, by host path, in rootfs._bytecode, and each sandbox it
# forks inherits that dict: a cnn_layers answer can load cnn_application's fast_layers.py (a
# vectorised conv_forward, pool_forward and their backward passes) from it when the same grading
# process has run a sandbox for cnn_application before, and it reads the course's host paths.
BORROWED_CONV_FORWARD = '''
import marshal, sys, types
_fast = types.ModuleType("borrowed")
for _key, _pyc in getattr(sys.modules["coursekit.sandbox.rootfs"], "_bytecode", {}).items():
    if _key[0].endswith("fast_layers.py"):
        exec(marshal.loads(_pyc[16:]), _fast.__dict__)
def conv_forward(A_prev, W, b, hparameters):
    return _fast.conv_forward(A_prev, W, b, hparameters)
'''

HOST_PATHS_SEEN = '''
import gc
_needle = "".join(["/source", "/cnn_"])          # not in this cell's own text
print(sorted({s for o in gc.get_objects() if isinstance(o, (dict, list, tuple, set))
              for s in o if isinstance(s, str) and _needle in s}))
'''


def test_a_sandbox_holds_no_bytecode_or_host_path_of_the_course(setting, monkeypatch):
    """Attack: another assignment's module, and the course's host paths, from the zygote's memory."""
    from coursekit.sandbox.cells import prepare
    from coursekit.sandbox.session import Session
    assignment, release, config = setting
    zygote = shared_zygote(DEFAULT_PRELOAD)
    other = Assignment.from_source(Paths("cnn_application").source)
    Session(zygote, NotebookGrader(other, zygote, config)._spec()).close()   # the zygote compiles its modules
    nb = make_submission(release, assignment, {"conv_forward": BORROWED_CONV_FORWARD})
    _, passed, _ = _grade(setting, nb, monkeypatch)
    assert not passed["test_conv_forward_published"], "conv_forward was taken from fast_layers.py"
    fresh = Zygote(DEFAULT_PRELOAD)     # its first leader is forked while it reads the request
    try:
        for source in (zygote, fresh):      # a later session's leader was forked before it (a standby)
            session = Session(source, NotebookGrader(assignment, source, config)._spec())
            try:
                code = prepare(HOST_PATHS_SEEN)
                printed = session.run_cell(0, code.code, code.statements, set(), 30).outputs[-1]["stream"]
            finally:
                session.close()
            assert printed.strip() == "[]", printed
    finally:
        fresh.stop()


def test_a_standby_leader_whose_student_process_died_is_not_given_the_next_session(setting):
    """The zygote prepares the next session's leader ahead (a standby). If its waiting student
    process dies first (without a PID namespace, a process of the grading user's can kill it),
    the next session gets a new leader and runs: it is not handed to one that cannot serve it."""
    from coursekit.sandbox.cells import prepare
    from coursekit.sandbox.session import Session
    assignment, _, config = setting
    zygote = Zygote(DEFAULT_PRELOAD)
    try:
        spec = NotebookGrader(assignment, zygote, config)._spec()
        first = Session(zygote, spec)
        deadline, standby = time.monotonic() + 10, []
        while not standby and time.monotonic() < deadline:
            leaders = [p for p in jail._children(zygote.process.pid) if p != first.process.leader_pid]
            standby = [child for leader in leaders for child in jail._children(leader)]
            time.sleep(0.01)
        assert standby, "no standby leader with a waiting student process"
        os.kill(standby[-1], signal.SIGKILL)
        while not _dead(standby[-1]) and time.monotonic() < deadline:
            time.sleep(0.01)
        first.close()
        second = Session(zygote, spec)
        code = prepare("print(6 * 7)")
        try:
            printed = second.run_cell(0, code.code, code.statements, set(), 30).outputs[-1]["stream"]
        finally:
            second.close()
        assert printed.strip() == "42"
    finally:
        zygote.stop()


def _dead(pid: int) -> bool:
    try:
        stat = open(f"/proc/{pid}/stat").read()
    except OSError:
        return True
    return stat[stat.rindex(")") + 2] in "ZX"


def _standby_of(zygote: Zygote, busy: set[int]) -> int:
    """The pid of the zygote's standby leader (the one not holding a session in ``busy``), once
    its student process is waiting."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        for leader in set(jail._children(zygote.process.pid)) - busy:
            if jail._children(leader):
                return leader
        time.sleep(0.01)
    raise AssertionError("no standby leader")


def test_a_standby_is_given_the_next_session_of_its_assignment_only(setting):
    """A standby inherits the zygote's memory, with the bytecode of the modules it compiled so
    far: it serves the next session of the same assignment, never another assignment's."""
    from coursekit.sandbox.session import Session
    assignment, _, config = setting
    other = Assignment.from_source(Paths("cnn_application").source)
    zygote = Zygote(DEFAULT_PRELOAD)
    try:
        first = Session(zygote, NotebookGrader(other, zygote, config)._spec())
        standby = _standby_of(zygote, {first.process.leader_pid})
        first.close()
        second = Session(zygote, NotebookGrader(assignment, zygote, config)._spec())
        assert second.process.leader_pid != standby, "cnn_application's standby served cnn_layers"
        standby = _standby_of(zygote, {second.process.leader_pid})
        second.close()
        third = Session(zygote, NotebookGrader(assignment, zygote, config)._spec())
        assert third.process.leader_pid == standby, "the standby was not used"
        third.close()
    finally:
        zygote.stop()
