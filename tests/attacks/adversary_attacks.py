"""Attacks by a student who has read the rebuilt boundary (issue 15, items 1-8) and aims at what
it still trusts: the grader's own preparation of the student's source (IPython's transformer and
``ast.parse`` run in the trusted process, before any clock), the frames of an error report from
the hidden lane, the dtype of a returned array, the helper budget, and the number of cells.

Every attack is an ``Attack`` of ``attacks.py``. The leak attacks encode hidden inputs in line
numbers (``LINE_LEAK_BASE`` + value * 10**6) or in the choice of the line that raises, not with the
marker ``LEAK``; ``hidden_values_in_feedback`` below finds them in a feedback page.
"""
from __future__ import annotations

import re
import struct

import nbformat
import numpy as np

from tests.attacks.attacks import Attack

ZERO_PAD_BODY = "    return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)), mode=\"constant\", constant_values=(0, 0))\n"

# -- the trusted side's preparation of a cell (coursekit/sandbox/cells.py): no clock around it

# IPython's TransformerManager re-tokenizes the whole cell once per special-syntax transform, up to
# 500 times; a line of semicolons is an "escaped command" it keeps trying. 25,000 characters cost
# ~50 s of the grading process's CPU per cell (1 MB: ~30 min), before the notebook's clock starts.
TRANSFORM_LOOP = ";" * 25_000
# The same with shell escapes: 600 `!ls` lines in a 100 KB cell cost 150 s.
SHELL_ESCAPES = "!ls\n" * 600 + "x = 1\n" * 16_000
# One cell just under MAX_CELL_CHARACTERS: the tokens and the AST of a million-character tuple
# take ~720 MB in the grading process (plain code, nothing else needed).
PARSE_MEMORY = "x = (" + "a," * 499_990 + ")"

# -- the hidden lane's error report: the grader prints each frame's line number as sent

FORGED_FRAME_LINES = '''
import sys
_child = sys.modules["coursekit.sandbox.child"]
_real_describe = _child._describe
def _describe(exc):
    report = _real_describe(exc)
    values = getattr(exc, "leak", None)
    if values and report["frames"]:
        frame = report["frames"][-1]          # a real frame of the answer cell: the grader knows that cell
        report["frames"] = [dict(frame, line=LINE_LEAK_BASE + int(round(v * 10**6))) for v in values[:4]]
    return report
_child._describe = _describe
'''
LINE_LEAK_BASE = 10**9
FORGED_FRAME_LINES = FORGED_FRAME_LINES.replace("LINE_LEAK_BASE", str(LINE_LEAK_BASE))

ZERO_PAD_RAISING_ITS_INPUT = '''
def zero_pad(X, pad):
    if X.dtype == np.float32:              # only the hidden test uses float32
        error = ValueError("nothing to see")
        error.leak = [float(v) for v in X.ravel()[:4]]
        raise error
''' + ZERO_PAD_BODY


def _branching(name: str, callee: str | None) -> str:
    """A function whose line of exit is chosen by its first argument (0..255)."""
    lines = [f"def {name}(values):"]
    for k in range(256):
        action = f"return {callee}(values[1:])" if callee else "raise IndexError"
        lines.append(f"    if values[0] == {k}: {action}")
    return "\n".join(lines) + "\n"


# No forging at all: an honest traceback through three functions that each take the line of their
# next call from one byte of the hidden input; the grader shows those lines, with their text.
ZERO_PAD_HONEST_LINES = "import struct\n" + _branching("_leak_1", "_leak_2") + _branching("_leak_2", "_leak_3") + \
    _branching("_leak_3", None) + '''
def zero_pad(X, pad):
    if X.dtype == np.float32:
        _leak_1(list(struct.pack(">f", float(X.ravel()[0]))))
''' + ZERO_PAD_BODY

# -- results that cost the trusted test code far more than their size on the wire

# 64 MiB of booleans pass every size check; the hidden test's np.asarray(_out, dtype=float) makes
# 512 MiB of them in the grading process.
ZERO_PAD_NARROW_RESULT = '''
def zero_pad(X, pad):
    if X.dtype == np.float32:
        return np.zeros(2**26, dtype=bool)
''' + ZERO_PAD_BODY

# A wrong zero_pad, so conv_forward is tested with the grader's; conv_forward first asks it for
# a pad that fits the argument limit (3,500 values, pad 64) and the 512 MB helper budget: 466 MB.
HELPER_BUDGET = [("    A_prev_pad = zero_pad(A_prev, pad)\n",
                  ("    for _ in range(3):\n"
                   "        try:\n"
                   "            zero_pad(np.zeros((1, 1, 1, 3500)), 64)\n"
                   "        except Exception:\n"
                   "            pass\n"
                   "    A_prev_pad = zero_pad(A_prev, pad)\n"))]
WRONG_ZERO_PAD = "def zero_pad(X, pad):\n    return X"

# -- many small cells: every cell gets outputs, and the frames of an error are not in the budget

FORGED_FRAME_TEXT = '''
import sys
_child = sys.modules["coursekit.sandbox.child"]
def _describe(exc):
    return {"type": "E" * 60, "message": "M" * 2000,
            "frames": [{"cell": 0, "line": n, "function": "f", "code": "C" * 200} for n in range(8)]}
_child._describe = _describe
'''
MANY_CELLS = 6000


def _many_cells(nb) -> None:
    nb.cells += [nbformat.v4.new_code_cell("1/0") for _ in range(MANY_CELLS)]


# -- nbgrader metadata tricks (held: nbgrader restores what it owns)

def _bonus_cell(nb) -> None:
    cell = nbformat.v4.new_code_cell("print('free points')")
    cell.metadata["nbgrader"] = {"grade": True, "solution": False, "locked": True, "points": 50,
                                 "grade_id": "test_bonus_points", "schema_version": 3}
    nb.cells.append(cell)


def _shadow_tests(nb) -> None:
    """A copy of each zero_pad test cell, emptied, just before the real one; the real hidden one
    is turned into a solution cell."""
    out = []
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade_id", "").startswith("test_zero_pad"):
            shadow = nbformat.v4.new_code_cell("pass")
            shadow.metadata["nbgrader"] = dict(meta)
            out.append(shadow)
            if meta["grade_id"] == "test_zero_pad_fresh_inputs":
                cell.metadata["nbgrader"] = dict(meta, solution=True)
        out.append(cell)
    nb.cells = out


ATTACKS: list[Attack] = [
    Attack("ipython_transform_loop_in_the_grader", "harm", cells=[TRANSFORM_LOOP, TRANSFORM_LOOP]),
    Attack("ipython_shell_escapes_in_a_large_cell", "harm", cells=[SHELL_ESCAPES]),
    Attack("million_character_cell_parsed_by_the_grader", "harm", cells=[PARSE_MEMORY]),
    Attack("hidden_inputs_in_forged_frame_lines", "cheat", answers={"zero_pad": ZERO_PAD_RAISING_ITS_INPUT},
           cells=[FORGED_FRAME_LINES], expect={"zero_pad": 1}),
    Attack("hidden_inputs_in_the_line_that_raises", "cheat", answers={"zero_pad": ZERO_PAD_HONEST_LINES},
           expect={"zero_pad": 1}),
    Attack("narrow_dtype_result_amplified_by_the_test", "harm", answers={"zero_pad": ZERO_PAD_NARROW_RESULT},
           expect={"zero_pad": 1}),
    Attack("helper_memory_budget_used_to_the_full", "harm",
           answers={"zero_pad": WRONG_ZERO_PAD, "conv_forward": HELPER_BUDGET}, expect="any"),
    Attack("many_cells_with_uncounted_error_frames", "harm", cells=[FORGED_FRAME_TEXT], edit=_many_cells,
           expect="any"),
    Attack("extra_graded_cell_with_points", "cheat", edit=_bonus_cell),
    Attack("shadow_copies_of_test_cells", "cheat", answers={"zero_pad": WRONG_ZERO_PAD}, edit=_shadow_tests,
           expect={"zero_pad": 0}),
]


# -- what the checks look for


def hidden_zero_pad_input() -> np.ndarray:
    """The float32 input of the hidden zero_pad test, drawn as its cell draws it (cnn_layers)."""
    rng = np.random.default_rng(70521)
    for shape, dtype in [((2, 3, 5, 1), np.float64), ((1, 4, 2, 3), np.float64),
                         ((3, 2, 2, 2), np.float64), ((2, 5, 3, 4), np.float32)]:
        X = rng.standard_normal(shape).astype(dtype)
    return X


def hidden_values_in_feedback(text: str) -> list[str]:
    """Hidden input values a page gives away through frame lines (either encoding above)."""
    X = hidden_zero_pad_input().ravel()
    found = []
    for number in map(int, re.findall(r"line (\d{7,})", text)):
        value = (number - LINE_LEAK_BASE) / 10**6
        if any(abs(value - float(x)) < 2e-6 for x in X[:4]):
            found.append(f"forged line {number} = X[...] {value:.6f}")
    leaked = [int(k) for k in re.findall(r"line \d+: if values\[0\] == (\d+):", text)]
    if leaked[:3] == list(struct.pack(">f", float(X[0])))[:3]:
        found.append(f"lines chosen by the bytes of X[0]: {leaked[:3]}")
    return found
