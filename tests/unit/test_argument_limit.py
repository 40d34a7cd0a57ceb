"""The grader's stand-in functions get no bigger arguments than the call under test got."""
from __future__ import annotations

import numpy as np
import pytest

from coursekit.runner import _ArgumentLimit


def echo(*args, **kwargs):
    return "ran"


def test_arguments_like_the_call_under_tests_are_answered():
    limit = _ArgumentLimit((np.zeros((4, 8, 8, 3)), {"pool1": 2}, [0, 3, 5]), {})
    guarded = limit.guard(echo)
    assert guarded([np.ones((4, 8, 8, 3)), {"pool1": 2}], {"dropout_seed": [1, 2, 3]}) == "ran"


@pytest.mark.parametrize("args, why", [
    ([np.zeros(10**6)], "an array larger"),
    ([10**9], "an integer larger"),
    ([list(range(50)) * 200], "more values"),                 # 10000 small numbers
    ([[[1, 2]] * 6000], "more values"),                       # nested lists count every number
])
def test_bigger_arguments_are_refused_before_the_function_runs(args, why):
    ran = []
    guarded = _ArgumentLimit((np.zeros((4, 8, 8, 3)), [0, 3, 5]), {}).guard(lambda *a, **k: ran.append(1))
    with pytest.raises(ValueError, match=why):
        guarded(args, {})
    assert ran == []


def _nested(value, depth):
    for _ in range(depth):
        value = [value]
    return value


@pytest.mark.parametrize("args, why", [
    ([np.zeros((1, 4, 4, 3)), np.array(2500)], "an integer larger"),          # a 0-d integer array
    ([np.zeros((1, 4, 4, 3)), np.array([7, 2500])], "an integer larger"),     # an integer array
    ([np.zeros((1, 4, 4, 3)), np.array(2**64 - 1, dtype=np.uint64)], "an integer larger"),
    ([_nested(np.zeros(10**6), 40)], "nested too deeply"),
    ([_nested(np.zeros(10**6), 9)], "an array larger"),                       # nested 9 deep: still seen
])
def test_integers_hidden_in_arrays_and_deep_nesting_are_refused(args, why):
    guarded = _ArgumentLimit((np.zeros((4, 8, 8, 3)), 2), {}).guard(echo)
    with pytest.raises(ValueError, match=why):
        guarded(args, {})


def test_a_helper_that_would_allocate_too_much_for_a_student_fails_instead_of_the_grader():
    """Allowed arguments can still ask for a huge result (zero_pad of a thin array with a wide
    pad): the grader's memory for one helper call is capped."""
    def zero_pad(X, pad):
        return np.pad(X, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    call = (np.zeros((2, 64, 64, 3)), 64)
    guarded = _ArgumentLimit(call, {}).guard(zero_pad)
    assert guarded(list(call), {}).shape == (2, 192, 192, 3)          # the honest call is answered
    with pytest.raises((MemoryError, ValueError)):
        guarded([np.ones((1, 1, 1, 24_000)), 64], {})                 # 129 * 129 * 24000 * 8 = 3.2 GB
