"""Hostile and careless submissions for the attack suite (see test_attacks.py).

Each attack is a real notebook: the reference answers with some cells replaced or added. A
*cheat* pairs a wrong conv_forward (zeros of the right shape) with a trick to get the expected
values; it must score exactly what the wrong code alone scores. *Harm* attacks try to damage the
course, the grader or other students; *junk* is harmless mess a right submission may carry and
must keep full marks with.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

# A wrong conv_forward: the right shape and cache, all zeros. {cheat} runs first and may
# return what it found instead.
WRONG_CONV_FORWARD = '''
def conv_forward(A_prev, W, b, hparameters):
    stride, pad = hparameters["stride"], hparameters["pad"]
    (m, n_H_prev, n_W_prev, n_C_prev) = A_prev.shape
    f, n_C = W.shape[0], W.shape[3]
    n_H = (n_H_prev - f + 2 * pad) // stride + 1
    n_W = (n_W_prev - f + 2 * pad) // stride + 1
    found = None
{cheat}
    Z = found if found is not None else np.zeros((m, n_H, n_W, n_C))
    return Z, (A_prev, W, b, hparameters)
'''


def cheat(code: str) -> dict:
    body = "\n".join("    " + line for line in code.strip("\n").splitlines())
    return {"conv_forward": WRONG_CONV_FORWARD.replace("{cheat}", "    try:\n" + "\n".join(
        "    " + line for line in body.splitlines()) + "\n    except BaseException:\n        pass")}


@dataclass
class Attack:
    name: str
    kind: str                                   # "cheat", "harm" or "junk"
    answers: dict = field(default_factory=dict) # function -> answer (see coursekit.samples)
    cells: list[str] = field(default_factory=list)   # extra student cells, at the end
    edit: Callable | None = None                # changes to the notebook itself
    raw: bytes | None = None                    # the submitted file's bytes, if not a notebook
    links: dict = field(default_factory=dict)   # name in the submission -> what it links to
    expect: str | list[float] | dict = "full"   # "full", "control" (same as the wrong code), "any"
                                                # (no more than full), scores, or {function: score}
    flags: set[str] = field(default_factory=set)


CONTROL = Attack("control_wrong_conv_forward", "control", cheat("pass"), expect="control")

PATCH_NUMPY = '''
import numpy, numpy.testing
numpy.allclose = lambda *a, **k: True
numpy.isclose = lambda a, b, *x, **k: numpy.ones(numpy.shape(a), bool)
numpy.array_equal = lambda *a, **k: True
numpy.testing.assert_allclose = lambda *a, **k: None
numpy.ndarray.__eq__ = lambda *a: True
'''

PATCH_BUILTINS = '''
import builtins
builtins.isinstance = lambda *a: True
builtins.AssertionError = type("AssertionError", (Exception,), {})
builtins.bool = lambda *a: True
builtins.len = lambda *a: 2
'''

PATCH_MODULES = '''
import sys
for name in list(sys.modules):
    mod = sys.modules[name]
    for attr in ("check", "check_close_quietly", "expect_close", "expect_shape", "expect_equal"):
        if hasattr(mod, attr):
            setattr(mod, attr, lambda *a, **k: None)
'''

FRAMES = '''
import sys
frame = sys._getframe()
while frame is not None:
    for key, value in list(frame.f_locals.items()):
        if "expect" in key and hasattr(value, "shape") and value.shape[:1] == A_prev.shape[:1]:
            found = value
    frame = frame.f_back
'''

GC_SCAN = '''
import gc, numpy
for obj in gc.get_objects():
    if isinstance(obj, dict):
        for key, value in list(obj.items()):
            if isinstance(key, str) and "expected" in key and isinstance(value, numpy.ndarray) \\
                    and value.ndim == 4 and value.shape[0] == A_prev.shape[0]:
                found = value
'''

READ_FILES = '''
import os, json, glob
paths = glob.glob("/work/**/source/**/*.ipynb", recursive=True) + glob.glob("../../source/*/*.ipynb") \\
    + glob.glob("/**/cnn_layers.ipynb", recursive=True) + glob.glob("/root/**/*.ipynb", recursive=True)
for path in paths:
    text = open(path).read()
    if "BEGIN SOLUTION" in text:
        namespace = {"np": np}
        for cell in json.load(open(path))["cells"]:
            source = "".join(cell["source"])
            if "def conv_forward(" in source or "def zero_pad(" in source or "def conv_single_step(" in source:
                exec(source, namespace)
        found = namespace["conv_forward"](A_prev, W, b, hparameters)[0]
        break
'''

# The grader-only files (notebooks/<a>/grading.py with the references, audit_spec.py, the source
# notebook): where the kit's own package says the course is, or the usual places; open, run, import.
READ_GRADER_FILES = '''
import os, sys, json
import coursekit
kit = os.path.dirname(os.path.dirname(os.path.abspath(coursekit.__path__[0] + "/x")))
for root in [kit, "/sandbox/kit", "../..", "../../..", "/work/main", os.path.expanduser("~")]:
    for folder in ("notebooks/cnn_layers", "source/cnn_layers"):
        where = os.path.join(root, folder)
        try:
            namespace = {"__name__": "grading"}
            exec(open(os.path.join(where, "grading.py")).read(), namespace)
            found = namespace["conv"](A_prev, W, b, stride, pad)
            break
        except Exception:
            pass
        try:
            sys.path.insert(0, where)
            import grading
            found = grading.conv(A_prev, W, b, stride, pad)
            break
        except Exception:
            pass
        try:
            namespace = {"np": np}
            for cell in json.load(open(os.path.join(where, "cnn_layers.ipynb")))["cells"]:
                source = "".join(cell["source"])
                if "def conv_forward(" in source or "def zero_pad(" in source or "def conv_single_step(" in source:
                    exec(source, namespace)
            found = namespace["conv_forward"](A_prev, W, b, hparameters)[0]
            break
        except Exception:
            pass
    if found is not None:
        break
'''

GRADER_MEMORY = '''
import os, re
for pid in os.listdir("/proc"):
    if pid.isdigit() and int(pid) != os.getpid():
        try:
            open(f"/proc/{pid}/environ").read()
            data = open(f"/proc/{pid}/mem", "rb")
            found = None
        except OSError:
            pass
with open("/proc/self/mountinfo") as handle:
    mounts = handle.read()
assert "gradebook" not in mounts
'''

FORGE_MESSAGES = '''
import os, socket, msgpack, struct
for fd in range(3, 64):
    try:
        s = socket.socket(fileno=os.dup(fd))
        payload = msgpack.packb({"op": "returned", "value": "all tests passed"})
        s.sendall(struct.pack("!I", len(payload)) + payload)
        s.sendall(b"\\xff" * 64)
    except OSError:
        pass
'''

ATTACKS: list[Attack] = [
    CONTROL,
    # -- cheats: the wrong conv_forward plus a trick; must score like the control
    Attack("monkeypatch_numpy", "cheat", cheat("pass"), cells=[PATCH_NUMPY], expect="control"),
    Attack("monkeypatch_numpy_inside_the_function", "cheat", cheat(PATCH_NUMPY), expect="control"),
    Attack("monkeypatch_builtins", "cheat", cheat("pass"), cells=[PATCH_BUILTINS], expect="control"),
    Attack("monkeypatch_loaded_modules", "cheat", cheat(PATCH_MODULES), expect="control"),
    Attack("ndarray_subclass_equal_to_everything", "cheat", cheat('''
class Liar(np.ndarray):
    def __eq__(self, other): return np.ones(np.shape(other), bool)
    def __array_ufunc__(self, *a, **k): return np.zeros(1) == np.zeros(1)
    def __float__(self): return 0.6923608807576933
found = np.zeros((m, n_H, n_W, n_C)).view(Liar)
'''), expect="control"),
    Attack("read_callers_frames", "cheat", cheat(FRAMES), expect="control"),
    Attack("scan_memory_for_expected_values", "cheat", cheat(GC_SCAN), expect="control"),
    Attack("read_instructor_files", "cheat", cheat(READ_FILES), expect="control"),
    Attack("read_the_grader_only_module", "cheat", cheat(READ_GRADER_FILES), expect="control"),
    Attack("read_grader_memory_and_environment", "cheat", cheat(GRADER_MEMORY), expect="control"),
    Attack("forge_protocol_messages", "cheat", cheat(FORGE_MESSAGES), expect="control"),
    Attack("print_a_partial_credit_score", "cheat", cheat('print(1.0); import sys; sys.stderr.write("1.0")'),
           expect="control"),
    # -- harm: damage the course, the grader or other students; must harm nothing
    Attack("write_the_gradebook", "harm", cells=['''
import sqlite3, glob
for path in glob.glob("/**/gradebook.db", recursive=True) + ["../../gradebook.db", "/work/main/gradebook.db"]:
    try:
        db = sqlite3.connect(path)
        db.execute("update grade set auto_score = 100")
        db.commit()
    except Exception as exc:
        print("no gradebook:", exc)
''']),
    Attack("delete_course_files", "harm", cells=['''
import shutil, os
for path in ["../../source", "../../release", "../../submitted", "/work/main/source", "../..", "/work", "/tmp", os.getcwd()]:
    shutil.rmtree(path, ignore_errors=True)
for name in os.listdir("."):
    try:
        os.remove(name)
    except OSError:
        pass
''']),
    Attack("fork_a_detached_child", "harm", cells=['''
import os, time
if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        time.sleep(30)
        for path in ["/work/main/gradebook.db", "../../gradebook.db"]:
            try:
                open(path, "w").write("gone")
            except OSError:
                pass
        os._exit(0)
    os._exit(0)
''']),
    Attack("signal_everything", "harm", cells=['''
import os, signal
for pid in range(1, 50000):
    if pid != os.getpid():
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
try:
    os.kill(-1, signal.SIGKILL)
except OSError:
    pass
''']),
    Attack("exhaust_memory", "harm", cells=['''
import numpy as np
blocks = []
for _ in range(64):
    blocks.append(np.ones(2**27))      # 1 GiB each, touched
''']),
    Attack("exhaust_memory_in_processes", "harm", cells=['''
import os, numpy as np
for _ in range(8):
    if os.fork() == 0:
        try:
            hog = np.ones(2**27)
        finally:
            os._exit(0)
''']),
    Attack("fork_bomb", "harm", cells=['''
import os
children = 0
while children < 10**6:
    os.fork()
    children += 1
''']),
    Attack("flood_the_output", "harm", cells=["for i in range(10**7):\n    print('flood', i)"]),
    Attack("segfault", "harm", cells=["import ctypes\nctypes.string_at(0)"], flags={"crashed"}),
    Attack("segfault_inside_a_graded_function", "harm",
           answers={"distribute_value": "def distribute_value(dz, shape):\n    import ctypes\n    ctypes.string_at(0)"},
           expect=[2, 3, 8, 5, 12, 2, 0, 8], flags={"crashed"}),
    Attack("hang_inside_a_graded_function", "harm",
           answers={"create_mask_from_window": "def create_mask_from_window(x):\n    while True:\n        pass"},
           expect=[2, 3, 8, 5, 12, 0, 2, 8], flags={"timeout"}),
    Attack("exit_inside_a_graded_function", "harm",
           answers={"zero_pad": "def zero_pad(X, pad):\n    import os\n    os._exit(0)"},
           expect=[0, 3, 8, 5, 12, 2, 2, 8], flags={"crashed"}),
    Attack("use_the_network", "harm", cells=['''
import socket, urllib.request
for target in [("1.1.1.1", 80), ("pypi.org", 443), ("127.0.0.1", 22)]:
    try:
        socket.create_connection(target, timeout=2)
        print("connected to", target)
    except OSError as exc:
        print("no network:", exc)
''']),
    Attack("not_json", "harm", raw=b"{this is not a notebook", expect=[0] * 8, flags={"unreadable"}),
    Attack("notebook_is_a_link_to_the_source_notebook", "cheat", raw=b"",
           links={"cnn_layers.ipynb": "../../../source/cnn_layers/cnn_layers.ipynb"},
           expect=[0] * 8, flags={"unreadable"}),
    Attack("links_to_instructor_files", "harm", links={
        "gradebook_copy.db": "../../../gradebook.db", "source_copy": "../../../source",
        "shadow": "/etc/shadow"}),
    # -- harmless junk next to right answers: full marks
    Attack("sys_exit_at_the_end", "junk", cells=["import sys\nsys.exit()"]),
    Attack("endless_loop_at_top_level", "junk", cells=["while True:\n    pass"], flags={"timeout"}),
    Attack("os_exit_at_the_end", "junk", cells=["import os\nos._exit(3)"], flags={"crashed"}),
    Attack("stray_threads", "junk", cells=['''
import threading, time
def spin():
    while True:
        print("still here")
        time.sleep(0.01)
for _ in range(3):
    threading.Thread(target=spin).start()
''']),
    Attack("child_processes", "junk", cells=['''
import subprocess
procs = [subprocess.Popen(["sleep", "600"]) for _ in range(3)]
''']),
    Attack("signal_handlers", "junk", cells=['''
import signal
for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGUSR1):
    signal.signal(sig, signal.SIG_IGN)
signal.signal(signal.SIGALRM, lambda *args: None)
''']),
    Attack("large_prints", "junk", cells=["print('x' * 50_000_000)"]),
    Attack("kernelspec_changed", "junk", edit=lambda nb: nb.metadata.update(
        kernelspec={"name": "ir", "display_name": "R", "language": "R"}), flags={"kernel-changed"}),
    Attack("test_cells_edited_and_deleted", "junk", edit=lambda nb: _gut_tests(nb),
           flags={"edited-locked-cells", "deleted-locked-cells"}),
    Attack("ipython_magics_and_shell_escapes", "junk", cells=["%matplotlib inline\n!ls /\n%time x = 1"]),
]


def _gut_tests(nb) -> None:
    """Delete some test cells and empty the others."""
    keep = []
    for cell in nb.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.startswith("test_conv_forward"):
            continue
        if grade_id.startswith("test_"):
            cell.source = "pass  # the tests were in my way"
        keep.append(cell)
    nb.cells = keep


from tests.attacks.protocol_attacks import ATTACKS as PROTOCOL_ATTACKS  # noqa: E402

ATTACKS += PROTOCOL_ATTACKS
from tests.attacks.adversary_attacks import ATTACKS as ADVERSARY_ATTACKS  # noqa: E402

ATTACKS += ADVERSARY_ATTACKS
import tests.attacks.notebook_attacks  # noqa: E402,F401 (adds the notebook, file and HTML attacks to ATTACKS)
