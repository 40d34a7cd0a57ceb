"""The one format that crosses the sandbox boundary: frames, plain values and every message type.

A frame is a 4-byte length and a msgpack document. Plain values (None, bool, int, float, str,
bytes, list, dict) are msgpack's own; arrays, NumPy scalars, tuples and complex numbers are
extension types this module decodes itself, into plain Python values and base ``numpy.ndarray``
objects of numeric or boolean dtypes: nothing the sandbox sends can run code, subclass an array
or overload a comparison in the process that reads it.

The grader trusts no byte from the sandbox. Before it decodes a frame it checks the frame
against a ``Budget`` (bytes, nesting depth, number of objects, string sizes) by walking the
msgpack structure without building anything, so a hostile frame costs at most its budget: no
recursion in C, no amplification (``[{}] * 12_000_000`` is refused after ``objects`` steps).
Then the decoded message is checked against its type's schema (``SANDBOX_MESSAGES``): the
fields it must have, their types and their bounds. A frame that fails either check raises
``ProtocolError``, which ends that sandbox session and nothing else.
"""
from __future__ import annotations

import socket
import struct
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import msgpack
import numpy as np

ALLOWED_DTYPES = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
                  "<f2", "<f4", "<f8", "<c8", "<c16"}
ARRAY, SCALAR, TUPLE, COMPLEX, UNSUPPORTED = 1, 2, 3, 4, 5
LENGTH = struct.Struct("!I")
OUTPUT_CAP = 100_000                 # characters of printed output per cell or call (both sides cap)
OUTPUT_LIMIT = OUTPUT_CAP + 100      # what the grader accepts: the cap and a truncation note
MAX_RESULT_BYTES = 64 * 2**20        # largest array data a call may return
MAX_ARRAY_ELEMENTS = MAX_RESULT_BYTES // 8   # so that no array grows past that as float64 (a test's
                                             # np.asarray(result, dtype=float) of 64 MiB of booleans)


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message within its budget."""


@dataclass(frozen=True)
class Budget:
    """What one frame may hold. The grader reads the sandbox's frames with a tight budget."""
    frame_bytes: int                   # the whole frame
    objects: int = 20_000              # values of any kind, container items included
    depth: int = 24                    # nesting of lists, maps and tuples
    string_bytes: int = 4 * OUTPUT_CAP  # one str or bin value (array data excepted)


CELL_FRAME = Budget(frame_bytes=4 * 2**20)                                  # progress, ran
CALL_FRAME = Budget(frame_bytes=MAX_RESULT_BYTES + 2**20, objects=200_000)  # returned, raised, callback
START_FRAME = Budget(frame_bytes=64 * 2**10, objects=100)                   # ready, setup_failed
TRUSTED_FRAME = Budget(frame_bytes=2**30, objects=10**7, depth=64, string_bytes=2**30)  # grader -> child


class Unsupported:
    """Stands in for a value the sandbox could not send as plain data."""

    def __init__(self, type_name: str) -> None:
        self.type_name = type_name

    def __repr__(self) -> str:
        return f"<a {self.type_name} the grader cannot read>"

    def __eq__(self, other: object) -> bool:
        return False

    __hash__ = None  # type: ignore[assignment]


# ---------------------------------------------------------------- encoding (either side)


def _default(value: Any) -> Any:
    """Extension types for what msgpack does not carry itself (subclasses included)."""
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.kind not in "biufc":
            return msgpack.ExtType(UNSUPPORTED, f"array of dtype {array.dtype}".encode()[:80])
        dtype = array.dtype.newbyteorder("<") if array.dtype.byteorder == ">" else array.dtype
        head = (dtype.str + "".join(f" {n}" for n in array.shape)).encode()
        body = bytes([len(head)]) + head + np.ascontiguousarray(array, dtype=dtype).tobytes()
        return msgpack.ExtType(SCALAR if isinstance(value, np.generic) else ARRAY, body)
    if isinstance(value, tuple):
        return msgpack.ExtType(TUPLE, _pack(list(value)))
    if isinstance(value, complex):
        return msgpack.ExtType(COMPLEX, struct.pack("<dd", value.real, value.imag))
    if isinstance(value, Unsupported):
        return msgpack.ExtType(UNSUPPORTED, value.type_name.encode()[:80])
    for plain in (bool, int, float, str, bytes):       # subclasses become their plain base
        if isinstance(value, plain):
            return plain(value)  # type: ignore[arg-type]
    if isinstance(value, list):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return msgpack.ExtType(UNSUPPORTED, type(value).__name__.encode()[:80])


_packers: list[msgpack.Packer] = []
_depth = [0]


def _pack(value: Any) -> bytes:
    """Pack with one reusable packer per nesting level (tuples pack their items separately)."""
    level = _depth[0]
    if level > 64:
        raise ValueError("nested too deeply to send")
    if level == len(_packers):
        _packers.append(msgpack.Packer(default=_default, strict_types=True, use_bin_type=True))
    _depth[0] += 1
    try:
        return _packers[level].pack(value)
    finally:
        _depth[0] -= 1


def encode(value: Any) -> bytes:
    """Encode ``value``; raises TypeError, ValueError or OverflowError for what cannot go."""
    return _pack(value)


# ---------------------------------------------------------------- the budget walk (nothing built)

_FIXED = {0xc0: 0, 0xc2: 0, 0xc3: 0, 0xca: 4, 0xcb: 8, 0xcc: 1, 0xcd: 2, 0xce: 4, 0xcf: 8,
          0xd0: 1, 0xd1: 2, 0xd2: 4, 0xd3: 8}
_SIZED = {0xc4: (1, "bin"), 0xc5: (2, "bin"), 0xc6: (4, "bin"),
          0xd9: (1, "str"), 0xda: (2, "str"), 0xdb: (4, "str")}
_EXT = {0xd4: 1, 0xd5: 2, 0xd6: 4, 0xd7: 8, 0xd8: 16}
_EXT_SIZED = {0xc7: 1, 0xc8: 2, 0xc9: 4}
_CONTAINER = {0xdc: (2, 1), 0xdd: (4, 1), 0xde: (2, 2), 0xdf: (4, 2)}   # (length bytes, items per entry)
_KEY_TYPES = set(range(0x00, 0x80)) | set(range(0xe0, 0x100)) | set(range(0xa0, 0xc0)) | \
    {0xc0, 0xc2, 0xc3, 0xcc, 0xcd, 0xce, 0xcf, 0xd0, 0xd1, 0xd2, 0xd3, 0xd9, 0xda, 0xdb}


class _Walk:
    """Counts a document's objects and depth against a budget, building nothing."""

    def __init__(self, budget: Budget) -> None:
        self.budget = budget
        self.objects = 0

    def _length(self, data: bytes, at: int, size: int) -> int:
        if at + size > len(data):
            raise ProtocolError("truncated message")
        return int.from_bytes(data[at:at + size], "big")

    def document(self, data: bytes, depth: int = 0) -> None:
        """Walk one complete document that must fill ``data`` exactly."""
        if self.walk(data, 0, depth) != len(data):
            raise ProtocolError("trailing bytes after the message")

    def walk(self, data: bytes, at: int, depth: int) -> int:
        """Walk the value at ``at``; returns where it ends."""
        remaining = [1]          # items left to walk at each open level; the root is one item
        keys = [False]           # whether the next item at that level is a map key
        budget = self.budget
        while remaining:
            if remaining[-1] == 0:
                remaining.pop()
                keys.pop()
                continue
            remaining[-1] -= 1
            is_key = keys[-1] is True and remaining[-1] % 2 == 1
            self.objects += 1
            if self.objects > budget.objects:
                raise ProtocolError(f"more than {budget.objects} values in one message")
            if at >= len(data):
                raise ProtocolError("truncated message")
            byte = data[at]
            if is_key and byte not in _KEY_TYPES:
                raise ProtocolError("a map key that is not a string or a number")
            at += 1
            if byte < 0x80 or byte >= 0xe0:
                continue
            if 0xa0 <= byte <= 0xbf:
                at += byte & 0x1f
            elif byte in _FIXED:
                at += _FIXED[byte]
            elif byte in _SIZED:
                size, _ = _SIZED[byte]
                length = self._length(data, at, size)
                if length > budget.string_bytes:
                    raise ProtocolError("a string longer than the message allows")
                at += size + length
            elif 0x80 <= byte <= 0x9f or byte in _CONTAINER:
                if byte <= 0x8f:
                    count = (byte & 0x0f) * 2
                elif byte <= 0x9f:
                    count = byte & 0x0f
                else:
                    size, per = _CONTAINER[byte]
                    count = self._length(data, at, size) * per
                    at += size
                is_map = 0x80 <= byte <= 0x8f or byte in (0xde, 0xdf)
                if depth + len(remaining) > budget.depth:
                    raise ProtocolError(f"nested deeper than {budget.depth} levels")
                if self.objects + count > budget.objects:
                    raise ProtocolError(f"more than {budget.objects} values in one message")
                remaining.append(count)
                keys.append(is_map and count % 2 == 0)
            elif byte in _EXT or byte in _EXT_SIZED:
                if byte in _EXT:
                    length = _EXT[byte]
                else:
                    length = self._length(data, at, _EXT_SIZED[byte])
                    at += _EXT_SIZED[byte]
                if at + 1 + length > len(data):
                    raise ProtocolError("truncated message")
                code = data[at]
                if code == TUPLE:
                    if depth + len(remaining) > budget.depth:
                        raise ProtocolError(f"nested deeper than {budget.depth} levels")
                    self.document(data[at + 1:at + 1 + length], depth + len(remaining))
                elif code == UNSUPPORTED and length > 200:
                    raise ProtocolError("bad placeholder")
                elif code not in (ARRAY, SCALAR, COMPLEX, UNSUPPORTED):
                    raise ProtocolError(f"unknown extension {code}")
                at += 1 + length
            else:
                raise ProtocolError(f"not a msgpack type byte: {byte:#x}")
            if at > len(data):
                raise ProtocolError("truncated message")
        return at


# ---------------------------------------------------------------- decoding (after the walk)


def _ext(code: int, data: bytes) -> Any:
    if code in (ARRAY, SCALAR):
        return _array(data, scalar=(code == SCALAR))
    if code == TUPLE:
        items = _unpack(data)
        if not isinstance(items, list):
            raise ProtocolError("bad tuple")
        return tuple(items)
    if code == COMPLEX:
        if len(data) != 16:
            raise ProtocolError("bad complex")
        return complex(*struct.unpack("<dd", data))
    if code == UNSUPPORTED:
        return Unsupported(data.decode("utf-8", "replace")[:80])
    raise ProtocolError(f"unknown extension {code}")


def _unpack(data: bytes) -> Any:
    return msgpack.unpackb(data, ext_hook=_ext, raw=False, strict_map_key=False)


def _array(data: bytes, scalar: bool) -> Any:
    """An array from ``<head length><dtype shape...><raw bytes>``, checked field by field."""
    if not data or len(data) < 1 + data[0]:
        raise ProtocolError("bad array")
    fields = data[1:1 + data[0]].decode("ascii", "replace").split(" ")
    dtype, shape = fields[0], fields[1:]
    if dtype not in ALLOWED_DTYPES or len(shape) > 32 or not all(s.isdigit() and len(s) < 12 for s in shape):
        raise ProtocolError("bad array")
    dims = [int(s) for s in shape]
    count = 1
    for s in dims:
        count *= s
    raw = data[1 + data[0]:]
    if count > MAX_ARRAY_ELEMENTS:
        raise ProtocolError("an array with more elements than a message may carry")
    if count * np.dtype(dtype).itemsize != len(raw):
        raise ProtocolError("array bytes do not match its shape")
    array = np.frombuffer(raw, dtype=np.dtype(dtype), count=count).reshape(dims).copy()
    if scalar:
        if array.shape != ():
            raise ProtocolError("bad scalar")
        return array[()]
    return array


def decode(data: bytes, budget: Budget = TRUSTED_FRAME) -> Any:
    """Decode what ``encode`` produced, trusting nothing in it: the budget is walked first."""
    if len(data) > budget.frame_bytes:
        raise ProtocolError("message too large")
    _Walk(budget).document(data)
    try:
        return _unpack(data)
    except ProtocolError:
        raise
    except Exception as exc:      # malformed msgpack, unhashable keys, ...
        raise ProtocolError(f"malformed message ({type(exc).__name__})") from None


# ---------------------------------------------------------------- message types and their bounds

Check = Callable[[Any], Any]


def text(limit: int) -> Check:
    def check(value: Any) -> str:
        if not isinstance(value, str) or len(value) > limit:
            raise ProtocolError(f"expected text of at most {limit} characters")
        return value
    return check


def integer(low: int = 0, high: int = 2**31) -> Check:
    def check(value: Any) -> int:
        if type(value) is not int or not low <= value <= high:
            raise ProtocolError(f"expected an integer in [{low}, {high}]")
        return value
    return check


def boolean(value: Any) -> bool:
    if type(value) is not bool:
        raise ProtocolError("expected true or false")
    return value


def anything(value: Any) -> Any:
    return value          # bounded by the frame's budget; the caller decides what it may be


def optional(inner: Check) -> Check:
    def check(value: Any) -> Any:
        return None if value is None else inner(value)
    return check


def list_of(inner: Check, limit: int) -> Check:
    def check(value: Any) -> list:
        if not isinstance(value, list) or len(value) > limit:
            raise ProtocolError(f"expected a list of at most {limit} items")
        return [inner(item) for item in value]
    return check


def record(required: dict[str, Check], optional_fields: dict[str, Check] | None = None) -> Check:
    """A map with exactly these fields (the optional ones may be missing)."""
    extra = optional_fields or {}

    def check(value: Any) -> dict:
        if not isinstance(value, dict):
            raise ProtocolError("expected a map")
        unknown = set(value) - set(required) - set(extra)
        missing = set(required) - set(value)
        if unknown or missing:
            raise ProtocolError(f"fields {sorted(map(str, unknown | missing))[:4]} unexpected or missing")
        out = {name: field(value[name]) for name, field in required.items()}
        out.update({name: field(value[name]) for name, field in extra.items() if name in value})
        return out
    return check


FRAME = record({"cell": integer(), "line": integer(), "function": text(80), "code": text(200)})
ERROR = record({"type": text(80), "message": text(2000), "frames": list_of(FRAME, 8)})
OUTPUT = record({"stream": text(OUTPUT_LIMIT)}, {"result": text(OUTPUT_LIMIT)})

SANDBOX_MESSAGES: dict[str, Check] = {     # everything the sandbox may say, and nothing else
    "ready": record({"op": text(20)}),
    "setup_failed": record({"op": text(20), "message": text(500)}),
    "progress": record({"op": text(20), "cell": integer(), "statement": integer()}),
    "ran": record({"op": text(20), "cell": integer(), "outputs": list_of(OUTPUT, 64),
                   "error": optional(ERROR)}),
    "returned": record({"op": text(20), "value": anything, "output": text(OUTPUT_LIMIT)}),
    "raised": record({"op": text(20), "type": text(80), "message": text(2000),
                      "frames": list_of(FRAME, 8), "output": text(OUTPUT_LIMIT)}, {"missing": boolean}),
    "callback": record({"op": text(20), "name": text(80), "args": list_of(anything, 64),
                        "kwargs": anything}),
    "snapshotted": record({"op": text(20), "taken": boolean}),
}


def validate(message: Any, expected: tuple[str, ...]) -> dict:
    """``message`` as one of the ``expected`` sandbox message types, checked field by field."""
    if not isinstance(message, dict) or message.get("op") not in expected:
        op = message.get("op") if isinstance(message, dict) else None
        raise ProtocolError(f"unexpected message {str(op)[:40]!r} (expected {' or '.join(expected)})")
    checked = SANDBOX_MESSAGES[message["op"]](message)
    if checked["op"] == "callback" and not (isinstance(checked["kwargs"], dict)
                                            and all(isinstance(k, str) for k in checked["kwargs"])):
        raise ProtocolError("callback keywords must be a map of names")
    return checked


# ---------------------------------------------------------------- framing


def send(sock: socket.socket, message: Any) -> None:
    """Send one message (any encodable value)."""
    data = encode(message)
    sock.sendall(LENGTH.pack(len(data)) + data)


def recv_exact(sock: socket.socket, n: int, deadline: float | None = None) -> bytes:
    """Read exactly ``n`` bytes; with a ``deadline`` (time.monotonic), raise TimeoutError after it."""
    buf = bytearray()
    while len(buf) < n:
        if deadline is not None:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise TimeoutError("no complete message before the deadline")
            sock.settimeout(remaining)
        try:
            chunk = sock.recv(min(n - len(buf), 1 << 20))
        except TimeoutError:
            raise TimeoutError("no complete message before the deadline") from None
        if not chunk:
            raise EOFError("the other side closed the connection")
        buf += chunk
    return bytes(buf)


def recv(sock: socket.socket, deadline: float | None = None, budget: Budget = TRUSTED_FRAME) -> Any:
    """Receive one message within ``budget``; raises ProtocolError before reading an oversized
    frame, and for malformed or over-budget ones."""
    (size,) = LENGTH.unpack(recv_exact(sock, LENGTH.size, deadline))
    if size > budget.frame_bytes:
        raise ProtocolError("message too large")
    return decode(recv_exact(sock, size, deadline), budget)
