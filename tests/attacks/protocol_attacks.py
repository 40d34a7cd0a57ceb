"""Attacks on what crosses the sandbox boundary (issue 15, items 1-8), written as a student who
has read ``coursekit/sandbox/`` would: speak the protocol, forge its messages, send frames that
crash or swamp a naive decoder, smuggle hidden inputs out through state, errors and output.

Every attack here is an ``Attack`` of ``attacks.py``; ``test_attacks.py`` grades them all with
stock ``nbgrader autograde``. The marker ``LEAK`` is what the leak attacks try to get into the
feedback; ``test_attacks`` checks that it never appears in any graded notebook.
"""
from __future__ import annotations

from tests.attacks.attacks import Attack

# Reach the sandbox's end of the session socket: the child's Server object holds it.
SOCKET = '''
import gc, struct, msgpack
_server = next(o for o in gc.get_objects() if type(o).__name__ == "Server" and hasattr(o, "sock"))
def _raw(data):
    _server.sock.sendall(struct.pack("!I", len(data)) + data)
'''

DECODER_BOMB = SOCKET + '''
_data = msgpack.packb([1])
for _ in range(1000):                      # extension types nested 1,000 deep: 6 KB
    _data = msgpack.packb(msgpack.ExtType(3, _data))
_raw(_data)
import time
time.sleep(2)
'''

FORGED_PROGRESS = SOCKET + '''
_raw(msgpack.packb({"op": "progress", "cell": 0, "statement": 999}))
while True:                               # every restart would hang here again if it were believed
    pass
'''

FORGED_OUTPUTS = '''
import gc
_server = next(o for o in gc.get_objects() if type(o).__name__ == "Server" and hasattr(o, "sock"))
def _fake_run(cell, source, skip):
    _server.send({"op": "ran", "cell": cell, "error": None,
                  "outputs": [{"stream": "F" * 99_000, "result": "R" * 99_000}] * 20})
_server.run = _fake_run
'''

FORGED_DISPLAY_DATA = '''
import gc
_server = next(o for o in gc.get_objects() if type(o).__name__ == "Server" and hasattr(o, "sock"))
_send = _server.send
def _send_with_html(message):
    if message.get("op") == "ran":
        message["outputs"] = [{"stream": "", "data": {"text/html": "<script>alert(1)</script>"}}]
    _send(message)
_server.send = _send_with_html
'''

# Functions that see the hidden inputs (the hidden tests use float32 arrays, the public ones
# never do) and try to get them out.
RECORD_AND_REPLAY = '''
_seen = []
def zero_pad(X, pad):
    for line in _seen:
        print(line)                       # the backlog, at every later call
    if X.dtype == np.float32:
        _seen.append("LE" + f"AK {X.shape} {pad} {X.ravel()[:3].tolist()}")
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))
'''

RAISE_THE_INPUT = '''
def zero_pad(X, pad):
    if X.dtype == np.float32:
        name = "LE" + "AK_" + "_".join(str(n) for n in X.shape)
        raise type(name, (ValueError,), {})("LE" + "AK " + repr(X.ravel()[:5].tolist()) + "x" * 300_000)
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))
'''

FORGE_THE_ERROR_REPORT = '''
import sys
_child = sys.modules["coursekit.sandbox.child"]
def _describe(exc):
    mark = "LE" + "AK"
    return {"type": mark + "_" + str(getattr(exc, "args", ("",))[0])[:60], "message": (mark + " ") * 400,
            "frames": [{"cell": 0, "line": 1, "function": mark, "code": (mark + " ") * 40}]}
_child._describe = _describe
'''

FORGE_THE_ERROR_REPORT_ANSWER = '''
def zero_pad(X, pad):
    if X.dtype == np.float32:
        raise ValueError(repr(X.shape))
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))
'''

# A wrong zero_pad (so conv_forward is graded with the grader's own) and a right conv_forward that
# first asks the grader's zero_pad for far more than the test asked for.
HELPER_ARGUMENT_TRICKS = [
    ("    A_prev_pad = zero_pad(A_prev, pad)\n",
     "    for trick in (lambda: zero_pad(A_prev, np.array(2500)),\n"
     "                  lambda: zero_pad([[[[[[[[[[A_prev]]]]]]]]]], 2),\n"
     "                  lambda: zero_pad(A_prev, np.array([2500, 2500]))):\n"
     "        try:\n"
     "            trick()\n"
     "        except Exception:\n"
     "            pass\n"
     "    A_prev_pad = zero_pad(A_prev, pad)\n")]
WRONG_ZERO_PAD = "def zero_pad(X, pad):\n    return X"

# Against the hidden lane's snapshot (a fork of the public sandbox after the cells): keep a copy
# of the public lane's socket and processes across the fork, then send the hidden inputs out
# through them, through files of the sandbox, and through what the next calls print.
SNAPSHOT_CROSSING = '''
import os, gc
_server = next(o for o in gc.get_objects() if type(o).__name__ == "Server" and hasattr(o, "sock"))
_public = []
def _keep_the_public_socket():
    _public.append(os.dup(_server.sock.fileno()))
def _watcher():
    if os.fork() == 0:                        # a process of the public lane that waits for a leak
        import time
        for _ in range(600):
            time.sleep(0.1)
            for path in ("/tmp/hidden.txt", os.path.expanduser("~/hidden.txt")):
                if os.path.exists(path):
                    for fd in _public:
                        try:
                            os.write(fd, open(path, "rb").read())
                        except OSError:
                            pass
        os._exit(0)
os.register_at_fork(before=_keep_the_public_socket, after_in_child=_watcher)
'''

SNAPSHOT_CROSSING_ANSWER = '''
def zero_pad(X, pad):
    import os, struct, msgpack
    if X.dtype == np.float32:
        mark = "LE" + "AK " + repr(X.shape) + " " + repr(X.ravel()[:3].tolist())
        frame = msgpack.packb({"op": "returned", "value": mark, "output": mark})
        for fd in globals().get("_public", []):
            try:
                os.write(fd, struct.pack("!I", len(frame)) + frame)
            except OSError:
                pass
        for path in ("/tmp/hidden.txt", os.path.expanduser("~/hidden.txt")):
            with open(path, "a") as out:
                out.write(mark + "\\n")
    for path in ("/tmp/hidden.txt", os.path.expanduser("~/hidden.txt")):
        if os.path.exists(path):
            print(open(path).read())
    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode="constant", constant_values=(0, 0))
'''

ATTACKS: list[Attack] = [
    Attack("decoder_bomb_nested_extension_types", "harm", cells=[DECODER_BOMB], flags={"protocol"}),
    Attack("decoding_amplification", "harm",
           answers={"zero_pad": "def zero_pad(X, pad):\n    return [{}] * 12_000_000"},
           expect={"zero_pad": 0}, flags={"protocol"}),
    Attack("helper_argument_tricks", "harm",
           answers={"zero_pad": WRONG_ZERO_PAD, "conv_forward": HELPER_ARGUMENT_TRICKS},
           expect={"zero_pad": 0}),
    Attack("forged_progress_report", "harm", cells=[FORGED_PROGRESS], flags={"protocol"}),
    Attack("forged_huge_outputs", "harm", cells=[FORGED_OUTPUTS, "print('after')"] + ["1 + 1"] * 30),
    Attack("forged_display_data", "harm", cells=[FORGED_DISPLAY_DATA, "print('x')"], flags={"protocol"}),
    Attack("hidden_inputs_recorded_and_replayed", "cheat", answers={"zero_pad": RECORD_AND_REPLAY}),
    Attack("hidden_inputs_in_the_exception", "cheat", answers={"zero_pad": RAISE_THE_INPUT},
           expect="any"),
    Attack("forged_error_report", "cheat", answers={"zero_pad": FORGE_THE_ERROR_REPORT_ANSWER},
           cells=[FORGE_THE_ERROR_REPORT], expect="any"),
    Attack("hidden_lane_snapshot_crossing", "cheat", answers={"zero_pad": SNAPSHOT_CROSSING_ANSWER},
           cells=[SNAPSHOT_CROSSING], expect="any"),
]
