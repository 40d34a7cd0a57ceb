"""The outputs the grader builds (without nbformat's check of each) are what nbformat would build."""
from __future__ import annotations

import pytest
from nbformat.v4 import new_output
from nbformat.v4.nbbase import validate

from coursekit.runner import _error, _output

KINDS = [
    ("stream", {"name": "stdout", "text": "Z = 1.0\n"}),
    ("execute_result", {"data": {"text/plain": "42"}, "execution_count": 3}),
    ("error", {"ename": "TestFailure", "evalue": "a check failed", "traceback": ["TestFailure: a check failed"]}),
]


@pytest.mark.parametrize("kind, fields", KINDS, ids=[k for k, _ in KINDS])
def test_an_output_is_valid_and_equal_to_nbformats(kind, fields):
    built = _output(kind, **fields)
    validate(built, kind)
    assert built == new_output(kind, **fields)


def test_an_error_keeps_every_line_of_its_message_in_the_traceback():
    built = _error("Timeout", "first line\nsecond line")
    validate(built, "error")
    assert built.evalue == "first line" and built.traceback[1:] == ["second line"]
