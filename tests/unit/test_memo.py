"""coursekit.memo: fingerprints tell inputs apart exactly; remembered results are only those of
functions that behave as functions, handed out as copies, with what they printed."""
from __future__ import annotations

import contextlib
import io

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.memo import Remembered, fingerprint

STRUCTURED = [np.dtype([("a", "<f8")]), np.dtype([("b", "<i8")]), np.dtype([("a", "<f4"), ("b", "<f4")])]
arrays = hnp.arrays(st.sampled_from([np.float64, np.float32, np.int64, np.bool_, np.complex128, *STRUCTURED]),
                    hnp.array_shapes(max_dims=3, max_side=4))
values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=5)
                      | st.complex_numbers(allow_nan=False) | arrays,
                      lambda inner: st.lists(inner, max_size=3) | st.tuples(inner, inner)
                      | st.dictionaries(st.text(max_size=3), inner, max_size=3), max_leaves=8)


def _same(a, b) -> bool:
    if type(a) is not type(b):
        return False
    if isinstance(a, np.ndarray):
        return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return list(a) == list(b) and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, float):
        return a.hex() == b.hex()
    if isinstance(a, complex):
        return (a.real.hex(), a.imag.hex()) == (b.real.hex(), b.imag.hex())
    return a == b


@given(values, values)
def test_equal_fingerprints_mean_the_same_data(a, b):
    key_a, key_b = fingerprint(a), fingerprint(b)
    assert key_a is None or key_b is None or (key_a == key_b) == _same(a, b)
    assert key_a is not None or _unsupported(a)


def _unsupported(value) -> bool:
    """Only structured arrays, whose dtype string hides the fields, may go without a fingerprint."""
    if isinstance(value, np.ndarray):
        return value.dtype.kind == "V"
    if isinstance(value, (list, tuple)):
        return any(_unsupported(v) for v in value)
    return isinstance(value, dict) and any(_unsupported(v) for v in value.values())


def test_colliding_inputs_never_share_a_remembered_result():
    """Attack: 0j and -0j (a complex was fingerprinted by ==), or arrays of the same bytes with
    other fields (the dtype string of a structured array is only its size), got the first one's
    remembered result: sqrt(-1 - 0j) answered 1j."""
    root = Remembered(np.sqrt)
    assert root(complex(-1, 0.0)) == 1j and root(complex(-1, -0.0)) == -1j
    first, second = np.zeros(1, [("a", "<f8")]), np.zeros(1, [("b", "<i8")])
    fields = Remembered(lambda x: x.dtype.names)
    assert fields(first) == ("a",) and fields(second) == ("b",)


def test_what_cannot_be_fingerprinted_has_none():
    assert fingerprint([lambda: 1]) is None
    assert fingerprint(np.array([object()])) is None
    assert fingerprint({1: object()}) is None
    assert fingerprint(1) != fingerprint(True) != fingerprint(1.0)
    assert fingerprint(np.zeros(2, np.float32)) != fingerprint(np.zeros(2, np.float64))
    assert fingerprint(np.zeros((2, 1))) != fingerprint(np.zeros((1, 2)))


def test_a_pure_function_is_computed_once_and_gives_copies():
    calls = []

    def double(x):
        calls.append(1)
        print("doubling")
        return x * 2, {"k": [x]}

    f = Remembered(double)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        first = f(np.arange(3))
        first[0][0] = 99                      # the caller may change what it got
        second = f(np.arange(3))
    assert len(calls) == 1
    assert second[0].tolist() == [0, 2, 4]
    assert printed.getvalue() == "doubling\ndoubling\n"
    assert f(np.arange(4))[0].tolist() == [0, 2, 4, 6] and len(calls) == 2


def test_a_function_drawing_random_numbers_is_called_every_time():
    f = Remembered(lambda shape: np.random.randn(*shape))
    np.random.seed(0)
    a, b = f((2,)), f((2,))
    np.random.seed(0)
    assert np.array_equal(a, np.random.randn(2)) and np.array_equal(b, np.random.randn(2))
    assert not f.pure


def test_a_function_changing_its_arguments_is_called_every_time():
    def bump(x):
        x += 1
        return x.sum()

    f = Remembered(bump)
    x = np.zeros(3)
    assert f(x) == 3 and f(x) == 6 and not f.pure
