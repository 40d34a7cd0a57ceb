"""What a hostile sandbox can make the grader's side of the boundary do, at the unit level:
the decoder, the preparation of a cell, and the grader's account of an error from the hidden lane."""
from __future__ import annotations

import re
import time

import nbformat
import numpy as np
import pytest

from coursekit.assignment import Assignment
from coursekit.preprocessors import SandboxedExecute
from coursekit.runner import NotebookGrader
from coursekit.sandbox import cells, child
from coursekit.sandbox import protocol as wire
from coursekit.sandbox.session import StudentRaised
from tests.conftest import REPO

# -- the decoder: an array's size on the wire is not what the trusted test code makes of it


def test_an_array_with_more_elements_than_a_float64_copy_may_hold_is_refused():
    many = np.zeros(wire.MAX_ARRAY_ELEMENTS + 1, dtype=bool)     # 8 MiB on the wire, 64 MiB as float64
    with pytest.raises(wire.ProtocolError, match="more elements"):
        wire.decode(wire.encode({"op": "returned", "value": many, "output": ""}), wire.CALL_FRAME)
    assert child._too_large(many) and child._too_large([many])   # an honest sandbox sends a placeholder


def test_the_largest_array_allowed_still_arrives():
    ok = np.ones(wire.MAX_ARRAY_ELEMENTS, dtype=np.uint8)
    got = wire.decode(wire.encode(ok), wire.CALL_FRAME)
    assert got.shape == ok.shape and got.dtype == np.uint8 and int(got.sum()) == ok.size


@pytest.mark.parametrize("shape", [(0, 10**10, 10**10), (10**10, 0), (0, 10**5, 10**5), (0,) * 32])
def test_empty_arrays_with_huge_dimensions_decode_without_allocating(shape):
    body = ("<f8" + "".join(f" {n}" for n in shape)).encode()
    frame = wire.msgpack.packb(wire.msgpack.ExtType(wire.ARRAY, bytes([len(body)]) + body))
    try:
        assert wire.decode(frame, wire.CALL_FRAME).shape == shape
    except wire.ProtocolError:         # NumPy may refuse the shape: refused, nothing allocated either way
        pass


# -- the preparation of a cell: bounded by the cell's size, whatever IPython syntax it holds


def _tokenized(monkeypatch) -> list[int]:
    """Count the characters the bounded transformer tokenizes (one entry per round)."""
    rounds: list[int] = []
    kind = type(cells._transformer())
    original = kind.do_one_token_transform

    def counting(self, lines):
        rounds.append(sum(map(len, lines)))
        return original(self, lines)
    monkeypatch.setattr(kind, "do_one_token_transform", counting)
    return rounds


@pytest.mark.parametrize("source", [";" * 25_000, "!ls\n" * 600 + "x = 1\n" * 15_000, "x?\n" * 600,
                                    "%time x = 1\n" * 2_000])
def test_ipython_transforms_tokenize_a_bounded_amount_of_text(monkeypatch, source):
    rounds = _tokenized(monkeypatch)
    started = time.process_time()
    cells.prepare(source)
    assert sum(rounds) <= cells.TRANSFORM_BUDGET + max(rounds)
    assert time.process_time() - started < 30          # unbounded, the first one took ~50 s


def test_honest_ipython_syntax_is_still_turned_into_python():
    prepared = cells.prepare("%matplotlib inline\n!ls /\nfiles = !ls\nx = %pwd\nnp.pad?\n%time y = 1\n")
    assert prepared.statements == 6 and "get_ipython().system('ls /')" in prepared.code
    assert "run_cell_magic('bash'" in cells.prepare("%%bash\necho hi\n").code


def test_cells_past_the_limit_are_not_prepared_and_honest_cells_are_far_below_it():
    assert cells.prepare("x = 1\n" * (cells.MAX_CELL_CHARACTERS // 6 + 1)).too_large
    for name in ("cnn_layers", "cnn_application"):
        nb = nbformat.read(REPO / "source" / name / f"{name}.ipynb", as_version=4)
        assert max(len(c.source) for c in nb.cells) * 10 < cells.MAX_CELL_CHARACTERS


# -- the grader's own words about an error from the hidden lane


@pytest.fixture(scope="module")
def assignment() -> Assignment:
    return Assignment.from_source(REPO / "source" / "cnn_layers" / "cnn_layers.ipynb")


def _grader(assignment, **clock) -> NotebookGrader:
    config = SandboxedExecute(isolation="none", **clock).grading_config("cnn_layers")   # the traits' defaults
    return NotebookGrader(assignment, None, config)  # type: ignore[arg-type]


def test_from_the_hidden_lane_no_line_message_or_name_is_shown(assignment):
    grader = _grader(assignment)
    grader.cells[7] = cells.prepare("def zero_pad(X, pad):\n    x = 1\n    raise ValueError\n")
    grader.cell_names[7] = "your answer cell for zero_pad"
    forged = [{"cell": 7, "line": 10**9 + 123456 * k, "function": "zero_pad", "code": ""} for k in range(3)]
    real = [{"cell": 7, "line": 2, "function": "zero_pad", "code": ""},
            {"cell": 7, "line": 3, "function": "zero_pad", "code": ""}]
    report = {"type": "ValueError", "message": "secret", "frames": forged + real, "output": "", "lane": "hidden"}
    kind, text = grader._describe_raise(StudentRaised("zero_pad", report))
    assert kind == "ValueError" and "secret" not in text and "1000" not in text
    assert not re.search(r"line \d", text) and "raise ValueError" not in text and len(text.splitlines()) == 1
    report["type"] = "LEAK_2_5_3_4"                          # a type name of the student's making
    kind, text = grader._describe_raise(StudentRaised("zero_pad", report))
    assert kind == "Error" and "LEAK" not in text
    report["lane"] = "public"
    _, text = grader._describe_raise(StudentRaised("zero_pad", report))
    assert "line 2, in zero_pad: x = 1" in text and "line 3" in text and "1000" not in text


def test_a_notebook_out_of_time_prepares_nothing_and_says_so_once(assignment, monkeypatch):
    def no_prepare(source):
        raise AssertionError("a cell was prepared after the notebook's time ran out")
    monkeypatch.setattr("coursekit.runner.prepare", no_prepare)
    nb = nbformat.read(REPO / "release" / "cnn_layers" / "cnn_layers.ipynb", as_version=4)
    nb.cells += [nbformat.v4.new_code_cell("1/0") for _ in range(500)]
    report = _grader(assignment, submission_timeout=0.0).grade(nb)
    assert "submission-timeout" in report["flags"]
    stopped = [c for c in nb.cells if c.cell_type == "code" and any(
        o.get("ename") == "GradingStopped" for o in c.get("outputs", []))]
    tests = [c for c in nb.cells if c.cell_type == "code" and c.metadata.get("nbgrader", {}).get("grade")
             and not c.metadata["nbgrader"].get("solution")]
    assert len(stopped) == 1 + len(tests)     # one note for the student cells, one failure per test cell
