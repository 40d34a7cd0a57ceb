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
