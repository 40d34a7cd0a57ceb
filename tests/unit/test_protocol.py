"""The codec carries plain data exactly and refuses everything else."""
from __future__ import annotations

import time

import msgpack
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from coursekit.sandbox import protocol as wire

dtypes = st.sampled_from([np.float64, np.float32, np.int64, np.int8, np.uint16, np.bool_, np.complex128])
arrays = dtypes.flatmap(lambda d: hnp.arrays(d, hnp.array_shapes(min_dims=0, max_dims=4, max_side=5)))
scalars = st.one_of(st.none(), st.booleans(), st.integers(-2**63, 2**63 - 1),
                    st.floats(), st.text(max_size=20), st.complex_numbers(allow_nan=False))
values = st.recursive(st.one_of(scalars, arrays),
                      lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner),
                                              st.dictionaries(st.text(max_size=5), inner, max_size=4)),
                      max_leaves=12)


def same(a, b) -> bool:
    if isinstance(a, np.ndarray):
        return (type(b) is np.ndarray and a.dtype == b.dtype and a.shape == b.shape
                and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        return type(b) is dict and a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    return type(a) is type(b) and (a == b or a != a and b != b)


@settings(max_examples=200, deadline=None)
@given(values)
def test_plain_values_make_the_round_trip_unchanged(value):
    assert same(value, wire.decode(wire.encode(value)))


def test_numpy_scalars_stay_numpy_scalars_and_arrays_stay_arrays():
    decoded = wire.decode(wire.encode([np.float64(1.5), np.array(1.5), np.ones((1, 1, 1)), 1.5]))
    assert type(decoded[0]) is np.float64 and decoded[0] == 1.5
    assert type(decoded[1]) is np.ndarray and decoded[1].shape == ()
    assert decoded[2].shape == (1, 1, 1)
    assert type(decoded[3]) is float


def test_subclasses_arrive_as_their_plain_base():
    class Liar(np.ndarray):
        def __eq__(self, other):
            return True

    class Sly(float):
        def __eq__(self, other):
            return True

    lie = np.zeros(3).view(Liar)
    decoded = wire.decode(wire.encode((lie, Sly(2.0), {"k": Sly(1.0)})))
    assert type(decoded[0]) is np.ndarray and not (decoded[0] == np.ones(3)).all()
    assert type(decoded[1]) is float and decoded[1] != 3.0
    assert type(decoded[2]["k"]) is float


def test_objects_and_object_arrays_become_unsupported_placeholders():
    decoded = wire.decode(wire.encode([object(), np.array(["a"]), np.array([None], dtype=object)]))
    assert all(isinstance(x, wire.Unsupported) for x in decoded)
    assert not (decoded[0] == decoded[0])


@pytest.mark.parametrize("data", [
    b"\xc7\x05\x01\x03<f8 3abc",             # array whose bytes do not match its shape
    b"\xc7\x04\x01\x03|O8",                  # object dtype
    b"\xc7\x03\x09abc",                      # unknown extension
    b"\x92\x01",                             # truncated list
    b"\xc7\x02\x03\x01\x02",                 # tuple that is not a list
])
def test_malformed_messages_are_refused(data):
    with pytest.raises(wire.ProtocolError):
        wire.decode(data)


def test_frames_larger_than_the_budget_are_refused_before_they_are_read():
    import socket
    a, b = socket.socketpair()
    a.sendall(wire.LENGTH.pack(wire.CELL_FRAME.frame_bytes + 1))     # and nothing after it
    with pytest.raises(wire.ProtocolError):
        wire.recv(b, time.monotonic() + 5, wire.CELL_FRAME)


# ---------------------------------------------------------------- hostile frames (issue 15, 1-2)


def nested_tuples(depth: int) -> bytes:
    """A tuple in a tuple ... ``depth`` deep: each level an extension type (the C-recursion crash)."""
    data = msgpack.packb([1])
    for _ in range(depth):
        data = msgpack.packb(msgpack.ExtType(wire.TUPLE, data))
    return data


def test_extension_types_nested_a_thousand_deep_are_refused_without_recursion():
    with pytest.raises(wire.ProtocolError, match="nested deeper"):
        wire.decode(nested_tuples(1000), wire.CALL_FRAME)


def test_plain_lists_nested_deeply_are_refused():
    with pytest.raises(wire.ProtocolError, match="nested deeper"):
        wire.decode(b"\x91" * 5000 + b"\x01", wire.CALL_FRAME)


def test_a_small_frame_that_would_decode_into_millions_of_objects_is_refused_quickly():
    data = msgpack.packb([{}] * 2_000_000)           # 2 MB on the wire, 2 million dicts decoded
    started = time.monotonic()
    with pytest.raises(wire.ProtocolError, match="values in one message"):
        wire.decode(data, wire.CALL_FRAME)
    assert time.monotonic() - started < 0.5


def test_many_small_containers_count_against_the_budget_too():
    data = msgpack.packb([[{}] * 1000] * 1000)        # each container small, a million in all
    with pytest.raises(wire.ProtocolError, match="values in one message"):
        wire.decode(data, wire.CALL_FRAME)


def test_budget_counts_the_items_inside_tuples():
    data = wire.encode(tuple(tuple(range(100)) for _ in range(3000)))
    with pytest.raises(wire.ProtocolError):
        wire.decode(data, wire.CALL_FRAME)


def test_a_map_key_that_is_a_container_is_refused():
    with pytest.raises(wire.ProtocolError):
        wire.decode(b"\x81\x91\x01\x02", wire.CALL_FRAME)


def test_long_strings_are_refused_by_the_cell_budget():
    with pytest.raises(wire.ProtocolError):
        wire.decode(msgpack.packb("x" * (wire.CELL_FRAME.string_bytes + 1)), wire.CELL_FRAME)


def test_honest_messages_pass_their_budget_and_schema():
    returned = {"op": "returned", "value": (np.zeros((10, 4, 4, 8)), (np.ones(3), {"stride": 2, "pad": 1})),
                "output": "hello\n"}
    assert wire.validate(wire.decode(wire.encode(returned), wire.CALL_FRAME), ("returned",))["output"] == "hello\n"
    ran = {"op": "ran", "cell": 3, "outputs": [{"stream": "x", "result": "1"}, {"stream": ""}],
           "error": {"type": "ValueError", "message": "m", "frames": [
               {"cell": 3, "line": 2, "function": "f", "code": "raise ValueError"}]}}
    assert wire.validate(wire.decode(wire.encode(ran), wire.CELL_FRAME), ("progress", "ran")) == ran


@pytest.mark.parametrize("message", [
    {"op": "ran", "cell": 1, "outputs": [], "error": None, "extra": 1},           # unknown field
    {"op": "ran", "cell": 1, "outputs": []},                                        # missing field
    {"op": "ran", "cell": -1, "outputs": [], "error": None},                        # out of range
    {"op": "ran", "cell": 1, "outputs": [{"stream": "x"}] * 65, "error": None},     # too many outputs
    {"op": "ran", "cell": 1, "outputs": [{"stream": "x", "data": {"text/html": "<script>"}}], "error": None},
    {"op": "progress", "cell": 1, "statement": True},                               # a bool is not an index
    {"op": "raised", "type": "E" * 81, "message": "", "frames": [], "output": ""},
    {"op": "raised", "type": "E", "message": "m" * 2001, "frames": [], "output": ""},
    {"op": "callback", "name": "zero_pad", "args": [], "kwargs": {1: 2}},
    {"op": "returned", "value": 1},
    ["not", "a", "map"],
])
def test_messages_that_do_not_match_their_schema_are_refused(message):
    with pytest.raises(wire.ProtocolError):
        wire.validate(message, ("ran", "progress", "raised", "callback", "returned"))


def test_a_message_of_a_type_not_expected_now_is_refused():
    with pytest.raises(wire.ProtocolError, match="unexpected"):
        wire.validate({"op": "returned", "value": 1, "output": ""}, ("progress", "ran"))


def valid_frames():
    values = st.recursive(st.one_of(scalars, arrays),
                          lambda inner: st.one_of(st.lists(inner, max_size=4), st.tuples(inner, inner)),
                          max_leaves=8)
    return st.builds(lambda v, out: wire.encode({"op": "returned", "value": v, "output": out}),
                     values, st.text(max_size=10))


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.binary(max_size=200), valid_frames().flatmap(
    lambda frame: st.tuples(st.just(frame), st.integers(0, max(len(frame) - 1, 0)), st.integers(0, 255)).map(
        lambda t: t[0][:t[1]] + bytes([t[2]]) + t[0][t[1] + 1:]))))
def test_fuzz_random_and_corrupted_frames_only_ever_raise_protocol_error(data):
    """The decoder and validator never crash, hang or build beyond the budget: they return a
    checked message or raise ProtocolError."""
    started = time.monotonic()
    try:
        message = wire.decode(data, wire.CALL_FRAME)
        wire.validate(message, ("returned", "raised", "callback"))
    except wire.ProtocolError:
        pass
    assert time.monotonic() - started < 1.0


@settings(max_examples=100, deadline=None)
@given(st.sampled_from([1, 23, 24, 25, 64]) | st.integers(1, 64), st.sampled_from([b"\x91", b"\x81\xa1k", b"\xdc\x00\x01"]))
def test_fuzz_nesting_of_every_container_type_is_bounded(depth, opener):
    data = opener * depth + b"\xc0"
    if depth <= wire.CALL_FRAME.depth:
        wire.decode(data, wire.CALL_FRAME)          # nesting up to the budget's depth decodes
    else:
        with pytest.raises(wire.ProtocolError, match="nested deeper"):
            wire.decode(data, wire.CALL_FRAME)
