"""Plain data across the sandbox boundary: framing and a strict codec (msgpack).

A message is a 4-byte length and a msgpack document. Plain values (None, bool, int, float,
str, bytes, list, dict) are msgpack's own; arrays, NumPy scalars, tuples and complex numbers
are extension types that this module decodes itself. The decoder builds only plain Python
values and base ``numpy.ndarray`` objects of numeric or boolean dtypes: nothing a student
sends can run code, subclass an array or overload a comparison in the process that reads it.
"""
from __future__ import annotations

import socket
import struct
import time
from typing import Any

import msgpack
import numpy as np

MAX_MESSAGE = 256 * 2**20
ALLOWED_DTYPES = {"|b1", "|i1", "|u1", "<i2", "<u2", "<i4", "<u4", "<i8", "<u8",
                  "<f2", "<f4", "<f8", "<c8", "<c16"}
ARRAY, SCALAR, TUPLE, COMPLEX, UNSUPPORTED = 1, 2, 3, 4, 5
LENGTH = struct.Struct("!I")


class ProtocolError(Exception):
    """The other side sent something that is not a well-formed message."""


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


# ---------------------------------------------------------------- decoding (trust nothing)


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
    if count * np.dtype(dtype).itemsize != len(raw):
        raise ProtocolError("array bytes do not match its shape")
    array = np.frombuffer(raw, dtype=np.dtype(dtype), count=count).reshape(dims).copy()
    if scalar:
        if array.shape != ():
            raise ProtocolError("bad scalar")
        return array[()]
    return array


def decode(data: bytes) -> Any:
    """Decode what ``encode`` produced, trusting nothing in it."""
    try:
        return _unpack(data)
    except ProtocolError:
        raise
    except Exception as exc:      # malformed msgpack, unhashable keys, too deep, ...
        raise ProtocolError(f"malformed message ({type(exc).__name__})") from None


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


def recv(sock: socket.socket, deadline: float | None = None) -> Any:
    """Receive one message; raises ProtocolError for oversized or malformed ones."""
    (size,) = LENGTH.unpack(recv_exact(sock, LENGTH.size, deadline))
    if size > MAX_MESSAGE:
        raise ProtocolError("message too large")
    return decode(recv_exact(sock, size, deadline))
