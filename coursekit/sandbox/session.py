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

from coursekit.flags import Flag
from coursekit.sandbox import protocol as wire
from coursekit.sandbox.jail import SandboxProcess, SessionSpec, Zygote


class SandboxError(Exception):
    """The sandbox stopped answering: it hung, died or broke the protocol."""

    def __init__(self, kind: str, detail: str = "") -> None:
        super().__init__(f"{kind}: {detail}" if detail else kind)
        self.kind = kind          # Flag.TIMEOUT, Flag.CRASHED or Flag.PROTOCOL
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
    stopped_at: int | None = None            # statement that hung or crashed it; None: unknown
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
            hello = wire.validate(wire.recv(self.process.socket, time.monotonic() + start_timeout,
                                            wire.START_FRAME), ("ready", "setup_failed"))
        except (EOFError, TimeoutError, wire.ProtocolError, OSError) as exc:
            self.process.kill()
            raise SandboxUnavailable(f"the sandbox did not start: {exc}") from exc
        if hello["op"] != "ready":
            self.process.kill()
            raise SandboxUnavailable(f"the sandbox could not be set up: {hello['message']}")
        self.alive = True
        self.snapshot_taken = False
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

    def snapshot(self, timeout: float) -> bool:
        """Have the sandbox keep a copy of itself as it is now, for the hidden lane (see
        ``child.Server.snapshot``); False when it declined. Raises SandboxError."""
        self._send({"op": "snapshot"})
        message = self._receive(time.monotonic() + timeout, wire.CELL_FRAME, ("snapshotted",))
        self.snapshot_taken = bool(message["taken"])
        return self.snapshot_taken

    def hand_over(self, timeout: float = 5.0) -> Session | None:
        """This session's snapshot as a session of its own, once every other process of the
        sandbox is gone (this session is over then); None when there is none or that failed."""
        if not (self.alive and self.snapshot_taken):
            return None
        self.snapshot_taken = False
        if not self.process.strip(timeout):
            return None
        successor = object.__new__(Session)
        successor.process, successor.alive, successor.cgroup = self.process, True, self.cgroup
        successor.snapshot_taken = False
        self.alive = False                  # the socket this session spoke on is closed
        return successor

    def close(self) -> None:
        if self.alive:
            self.alive = False
            self.process.kill()

    def _fail(self, kind: str, detail: str = "") -> SandboxError:
        self.close()
        return SandboxError(kind, detail)

    def _receive(self, deadline: float, budget: wire.Budget, expected: tuple[str, ...]) -> dict:
        """The next message, checked against its budget and its type; anything else ends the session."""
        try:
            return wire.validate(wire.recv(self.process.socket, deadline, budget), expected)
        except TimeoutError:
            raise self._fail(Flag.TIMEOUT) from None
        except (EOFError, ConnectionError, OSError):
            raise self._fail(Flag.CRASHED, "the Python process running your code stopped") from None
        except wire.ProtocolError as exc:
            raise self._fail(Flag.PROTOCOL, str(exc)[:200]) from None

    def _send(self, message: dict) -> None:
        try:
            wire.send(self.process.socket, message)
        except OSError:
            raise self._fail(Flag.CRASHED, "the Python process running your code stopped") from None

    def run_cell(self, cell: int, code: str, statements: int, skip: set[int], timeout: float) -> CellResult:
        """Run one cell of ``statements`` top-level statements (the grader counted them); a hang
        or crash is reported in the result, not raised. The sandbox reports which statement it
        is on; a report that is out of range, repeats, goes back or names a skipped statement is
        a protocol failure, and then nobody knows where it stopped (``stopped_at`` is None)."""
        deadline = time.monotonic() + timeout
        current: int | None = None
        try:
            self._send({"op": "run", "cell": cell, "source": code, "skip": sorted(skip)})
            while True:
                message = self._receive(deadline, wire.CELL_FRAME, ("progress", "ran"))
                if message["cell"] != cell:
                    raise self._fail(Flag.PROTOCOL, "a message about another cell")
                if message["op"] == "ran":
                    return CellResult(outputs=message["outputs"], error=message["error"])
                index = message["statement"]
                if index >= statements or index in skip or (current is not None and index <= current):
                    current = None
                    raise self._fail(Flag.PROTOCOL, "a progress report that does not match the cell")
                current = index
        except SandboxError as failure:
            return CellResult(stopped_at=current, failure=failure)

    def call(self, name: str, args: tuple, kwargs: dict, stubs: list[str],
             callbacks: Callbacks, timeout: float) -> CallResult:
        """Call the student's ``name``; raises StudentRaised or SandboxError."""
        deadline = time.monotonic() + timeout
        self._send({"op": "call", "name": name, "args": list(args), "kwargs": dict(kwargs), "stubs": stubs})
        while True:
            message = self._receive(deadline, wire.CALL_FRAME, ("returned", "raised", "callback"))
            op = message["op"]
            if op == "returned":
                return CallResult(message["value"], message["output"])
            if op == "raised":
                raise StudentRaised(name, message)
            if message["name"] not in callbacks:
                raise self._fail(Flag.PROTOCOL, "a call to a helper the grader does not answer now")
            self._send(self._answer(callbacks[message["name"]], message))

    @staticmethod
    def _answer(callback: Callable[[list, dict], Any], message: dict) -> dict:
        try:
            return {"op": "callback_returned", "value": callback(message["args"], message["kwargs"])}
        except Exception as exc:          # the student's arguments made the helper fail
            return {"op": "callback_failed", "message": f"{type(exc).__name__}: {exc}"[:300]}
