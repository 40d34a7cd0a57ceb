"""The student side of the sandbox: run cells and call functions when the grader asks.

This module runs in the same process as the student's code, so the grader trusts nothing it
says: it only ever sends plain data (see ``wire``), and every decision about a grade is taken
on the other side of the socket.

Requests and replies (all dictionaries with an ``op``):
- ``run``: execute one cell, statement by statement (``skip`` lists statements to leave out,
  after one of them hung or crashed); replies ``progress`` before each statement, then ``ran``.
- ``call``: call a function defined by the cells, with some helper names temporarily bound to
  the grader's own versions (``stubs``); the helpers reach back with ``callback`` requests.
  Replies ``returned`` or ``raised``.
- ``snapshot``: fork. The child goes on serving this socket (the public lane) and replies
  ``snapshotted``; this process, as the cells left it, waits on the spare socket, which the
  grader uses for the hidden lane once the public one is gone (``runner``). Declined (``taken``
  false) when the process runs threads, which a fork would not copy.
"""
from __future__ import annotations

import ast
import builtins
import io
import linecache
import os
import socket
import sys
import traceback
import types
from typing import Any

from coursekit.sandbox import protocol as wire

OUTPUT_CAP, MAX_RESULT_BYTES = wire.OUTPUT_CAP, wire.MAX_RESULT_BYTES


class CappedOutput(io.TextIOBase):
    """Collects what is printed, up to a cap, and drops the rest."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.size = 0
        self.dropped = False

    def writable(self) -> bool:
        return True

    def write(self, text: Any) -> int:
        text = str(text)
        room = OUTPUT_CAP - self.size
        if room > 0:
            self.parts.append(text[:room])
            self.size += min(len(text), room)
        if len(text) > room:
            self.dropped = True
        return len(text)

    def take(self) -> str:
        text = "".join(self.parts) + ("\n[... output truncated ...]\n" if self.dropped else "")
        self.parts, self.size, self.dropped = [], 0, False
        return text


class _MagicShim:
    """Stands in for IPython at grading: magics and shell escapes do nothing."""

    def run_line_magic(self, name: str, line: str = "", *args: Any, **kwargs: Any) -> None:
        print(f"[grader: %{name} is ignored during grading]")

    def run_cell_magic(self, name: str, line: str = "", cell: str = "", *args: Any, **kwargs: Any) -> None:
        print(f"[grader: %%{name} is ignored during grading]")

    def system(self, command: str = "", *args: Any, **kwargs: Any) -> None:
        print("[grader: shell commands are ignored during grading]")

    getoutput = system

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _student_frames(exc: BaseException) -> list[dict]:
    """The traceback entries that point into the student's cells."""
    frames = []
    for entry in traceback.extract_tb(exc.__traceback__):
        if entry.filename.startswith("<cell "):
            frames.append({"cell": int(entry.filename[6:-1]), "line": entry.lineno or 0,
                           "function": entry.name[:80], "code": (entry.line or "")[:200]})
    return frames[-8:]


def _describe(exc: BaseException) -> dict:
    try:
        message = str(exc)
    except Exception:
        message = "<message unavailable>"
    return {"type": type(exc).__name__[:80], "message": message[:2000], "frames": _student_frames(exc)}


class Server:
    """Serves one grading session on ``sock``."""

    def __init__(self, sock: socket.socket, spare: socket.socket | None = None) -> None:
        self.sock = sock
        self.spare = spare
        module = types.ModuleType("__main__")
        sys.modules["__main__"] = module
        self.ns = module.__dict__
        self.ns["__builtins__"] = builtins
        self.ns["get_ipython"] = lambda: _MagicShim()
        self.output = CappedOutput()
        sys.stdout = sys.stderr = self.output
        self.pid = os.getpid()

    def _only_the_server_speaks(self) -> None:
        """A process forked by student code that finds its way back here just ends."""
        if os.getpid() != self.pid:
            os._exit(0)

    def send(self, message: dict) -> None:
        self._only_the_server_speaks()
        try:
            wire.send(self.sock, message)
        except (TypeError, ValueError, OverflowError, RecursionError) as exc:
            if message.get("op") != "returned":      # only a returned value can fail to encode
                raise
            wire.send(self.sock, {**message, "value": wire.Unsupported(type(exc).__name__)})

    def loop(self) -> None:
        while True:
            self._only_the_server_speaks()
            try:
                request = wire.recv(self.sock)
            except EOFError:
                return
            op = request.get("op")
            if op == "run":
                self.run(request["cell"], request["source"], set(request.get("skip", [])))
            elif op == "call":
                self.call(request["name"], request["args"], request["kwargs"], request.get("stubs", []))
            elif op == "snapshot":
                self.snapshot()
            elif op == "bye":
                return

    # -- cells

    def run(self, cell: int, source: str, skip: set[int]) -> None:
        filename = f"<cell {cell}>"
        code = source                      # the grader has turned IPython syntax into Python
        linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)
        outputs: list[dict] = []
        error = None
        try:
            statements = ast.parse(code, filename).body
        except (SyntaxError, ValueError, RecursionError, MemoryError) as exc:
            statements, error = [], _describe(exc)
        for index, statement in enumerate(statements):
            if index in skip:
                continue
            self.send({"op": "progress", "cell": cell, "statement": index})
            try:
                if index == len(statements) - 1 and isinstance(statement, ast.Expr):
                    value = eval(compile(ast.Expression(statement.value), filename, "eval"), self.ns)
                    if value is not None:
                        outputs.append({"stream": self.output.take(), "result": repr(value)[:OUTPUT_CAP]})
                else:
                    exec(compile(ast.Module([statement], []), filename, "exec"), self.ns)
            except BaseException as exc:   # SystemExit and KeyboardInterrupt end the cell too
                error = _describe(exc)
                break
        outputs.append({"stream": self.output.take()})
        self.send({"op": "ran", "cell": cell, "outputs": outputs, "error": error})

    # -- the hidden lane's copy

    def snapshot(self) -> None:
        pid = -1
        if self.spare is not None and _single_threaded():
            try:
                pid = os.fork()
            except OSError:
                pid = -1
        if pid == 0:                       # the public lane goes on here
            self.pid = os.getpid()
            assert self.spare is not None
            self.spare.close()
            self.spare = None
            self.send({"op": "snapshotted", "taken": True})
        elif pid > 0:                      # this copy waits for the hidden lane's requests
            self.sock.close()
            assert self.spare is not None
            self.sock, self.spare = self.spare, None
        else:
            self.send({"op": "snapshotted", "taken": False})

    # -- calls

    def _stub(self, name: str) -> Any:
        """A stand-in for a helper: the grader runs its own version and sends the result."""
        def helper(*args: Any, **kwargs: Any) -> Any:
            self.send({"op": "callback", "name": name, "args": list(args), "kwargs": kwargs})
            reply = wire.recv(self.sock)
            if reply.get("op") == "callback_returned":
                return reply.get("value")
            raise RuntimeError(f"{name} (the grader's correct version) failed on these arguments: "
                               f"{reply.get('message', '')}")
        helper.__name__ = helper.__qualname__ = name
        return helper

    def call(self, name: str, args: list, kwargs: dict, stubs: list[str]) -> None:
        function = self.ns.get(name)
        if not callable(function):
            self.send({"op": "raised", "missing": True, "type": "NameError",
                       "message": f"{name} is not defined (did its answer cell run without errors?)",
                       "frames": [], "output": self.output.take()})
            return
        saved = {stub: self.ns[stub] for stub in stubs if stub in self.ns}
        for stub in stubs:
            self.ns[stub] = self._stub(stub)
        try:
            value = function(*args, **kwargs)
        except BaseException as exc:
            self.send({"op": "raised", **_describe(exc), "output": self.output.take()})
            return
        finally:
            for stub in stubs:
                self.ns.pop(stub, None)
            self.ns.update(saved)
        if _too_large(value):
            value = wire.Unsupported("result larger than the grader accepts")
        self.send({"op": "returned", "value": value, "output": self.output.take()})


def _too_large(value: Any, depth: int = 0) -> bool:
    import numpy as np
    if isinstance(value, np.ndarray):
        return value.nbytes > MAX_RESULT_BYTES or value.size > wire.MAX_ARRAY_ELEMENTS
    if isinstance(value, (tuple, list)) and depth < 4:
        return sum(_too_large(v, depth + 1) for v in value[:1000]) > 0
    return False


def _single_threaded() -> bool:
    import threading
    try:
        tasks = len(os.listdir("/proc/self/task"))
    except OSError:
        tasks = 1
    return threading.active_count() == 1 and tasks == 1


def serve(sock: socket.socket, spare: socket.socket | None = None) -> None:
    """Entry point inside the sandbox."""
    server = Server(sock, spare)
    server.send({"op": "ready"})
    server.loop()
