"""The grader's side of one sandbox: run cells and call functions, with deadlines.

Everything that comes back is plain data (see ``wire``). A sandbox that hangs past a deadline,
dies, or sends something malformed is killed; the caller decides what to do next (``runner``
restarts it and replays the cells that ran before).
"""
from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from coursekit.sandbox import protocol as wire
from coursekit.sandbox.jail import SandboxProcess, SessionSpec, Zygote


class SandboxError(Exception):
    """The sandbox stopped answering: it hung, died or broke the protocol."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind          # "timeout", "crashed" or "protocol"
        self.detail = detail


class SandboxUnavailable(Exception):
    """A sandbox could not be set up: a problem of the grading machine, not of the student."""


class StudentRaised(Exception):
    """The student's function raised; carries what the sandbox reported."""

    def __init__(self, name: str, report: dict) -> None:
        super().__init__(f"{name} raised {report.get('type')}")
        self.name = name
        self.report = report


@dataclass
class CellResult:
    """What running one cell gave: outputs, the error if any, and where it stopped."""
    outputs: list[dict] = field(default_factory=list)
    error: dict | None = None
    stopped_at: int | None = None            # statement that hung or crashed the sandbox
    failure: SandboxError | None = None


@dataclass
class CallResult:
    value: Any = None
    output: str = ""


Callbacks = dict[str, Callable[[list, dict], Any]]


class Session:
    """One running sandbox."""

    def __init__(self, zygote: Zygote, spec: SessionSpec, start_timeout: float = 30.0) -> None:
        try:
            self.process: SandboxProcess = zygote.open(spec)
        except (OSError, ValueError, KeyError) as exc:
            raise SandboxUnavailable(f"could not start a sandbox: {exc}") from exc
        try:
            hello = wire.recv(self.process.socket, time.monotonic() + start_timeout)
        except (EOFError, TimeoutError, wire.ProtocolError, OSError) as exc:
            self.process.kill()
            raise SandboxUnavailable(f"the sandbox did not start: {exc}") from exc
        if not isinstance(hello, dict) or hello.get("op") != "ready":
            self.process.kill()
            raise SandboxUnavailable(f"the sandbox could not be set up: {hello!r:.300}")
        self.alive = True
        self.cgroup = self._leader_says().get("cgroup", False)

    def _leader_says(self) -> dict:
        """The leader's first line on the control socket (trusted: the leader runs no student code)."""
        self.process.control.settimeout(5)
        try:
            line = b""
            while not line.endswith(b"\n"):
                chunk = self.process.control.recv(256)
                if not chunk:
                    break
                line += chunk
            return json.loads(line or b"{}")
        except (OSError, ValueError):
            return {}
        finally:
            self.process.control.settimeout(None)

    def close(self) -> None:
        if self.alive:
            self.alive = False
            self.process.kill()

    def _fail(self, kind: str, detail: str = "") -> SandboxError:
        self.close()
        return SandboxError(kind, detail)

    def _receive(self, deadline: float) -> dict:
        try:
            message = wire.recv(self.process.socket, deadline)
        except TimeoutError:
            raise self._fail("timeout") from None
        except (EOFError, ConnectionError, OSError):
            raise self._fail("crashed", "the Python process running your code stopped") from None
        except wire.ProtocolError as exc:
            raise self._fail("protocol", str(exc)) from None
        if not isinstance(message, dict) or not isinstance(message.get("op"), str):
            raise self._fail("protocol", "not a message")
        return message

    def _send(self, message: dict) -> None:
        try:
            wire.send(self.process.socket, message)
        except OSError:
            raise self._fail("crashed", "the Python process running your code stopped") from None

    def run_cell(self, cell: int, source: str, skip: set[int], timeout: float) -> CellResult:
        """Run one cell; a hang or crash is reported in the result, not raised."""
        deadline = time.monotonic() + timeout
        current: int | None = None
        try:
            self._send({"op": "run", "cell": cell, "source": source, "skip": sorted(skip)})
            while True:
                message = self._receive(deadline)
                if message["op"] == "progress" and isinstance(message.get("statement"), int):
                    current = message["statement"]
                elif message["op"] == "ran":
                    outputs = message["outputs"] if isinstance(message.get("outputs"), list) else []
                    error = message.get("error") if isinstance(message.get("error"), dict) else None
                    return CellResult(outputs=[o for o in outputs if isinstance(o, dict)], error=error)
                else:
                    raise self._fail("protocol", f"unexpected {message['op']!r} while running a cell")
        except SandboxError as failure:
            return CellResult(stopped_at=current if current is not None else 0, failure=failure)

    def call(self, name: str, args: tuple, kwargs: dict, stubs: list[str],
             callbacks: Callbacks, timeout: float) -> CallResult:
        """Call the student's ``name``; raises StudentRaised or SandboxError."""
        deadline = time.monotonic() + timeout
        self._send({"op": "call", "name": name, "args": list(args), "kwargs": dict(kwargs), "stubs": stubs})
        while True:
            message = self._receive(deadline)
            op = message["op"]
            if op == "returned":
                return CallResult(message.get("value"), str(message.get("output", "")))
            if op == "raised":
                raise StudentRaised(name, message)
            if op == "callback" and message.get("name") in callbacks:
                self._send(self._answer(callbacks[message["name"]], message))
            else:
                raise self._fail("protocol", f"unexpected {op!r} during a call")

    @staticmethod
    def _answer(callback: Callable[[list, dict], Any], message: dict) -> dict:
        args, kwargs = message.get("args"), message.get("kwargs")
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            return {"op": "callback_failed", "message": "malformed arguments"}
        try:
            return {"op": "callback_returned", "value": callback(args, kwargs)}
        except Exception as exc:          # the student's arguments made the helper fail
            return {"op": "callback_failed", "message": f"{type(exc).__name__}: {exc}"[:300]}
