"""Grade one notebook: the student's cells run in the sandbox, the tests run here.

1. Every code cell that is not a test and not an illustration runs in the sandbox, in notebook
   order, statement by statement. A statement that hangs or kills the process is left out: the
   sandbox is restarted, the cells before are replayed, and grading goes on without it.
2. Every test cell of the source notebook then runs in this trusted process, in a namespace
   where the graded function under test is a proxy to the student's function and every other
   graded function is the reference solution. A call reaches the sandbox with plain data; the
   helpers the reference solution would call (``zero_pad`` inside ``conv_forward``...) are
   answered by the reference versions, so a mistake costs points only where it is made.
"""
from __future__ import annotations

import contextlib
import io
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import numpy as np
from nbformat.v4 import new_output

from coursekit.assignment import Assignment, is_test_cell, nbgrader_meta
from coursekit.flags import Flag
from coursekit.sandbox.jail import Limits, SessionSpec, Zygote, isolation_available
from coursekit.sandbox.session import Session, SandboxError, SandboxUnavailable, StudentRaised

TEXT_CAP = 20_000             # characters of a student's output kept per cell


@dataclass
class GradingConfig:
    cell_timeout: float = 30.0          # seconds per cell (and per statement)
    test_timeout: float = 60.0          # seconds per test cell, all its calls together
    submission_timeout: float = 600.0   # seconds for the whole notebook
    max_restarts: int = 20              # sandbox restarts per notebook
    isolation: str = "auto"             # "auto", "namespaces" or "none"
    uid_base: int = 200_000
    limits: Limits = field(default_factory=Limits)
    data_dirs: list[tuple[str, str]] = field(default_factory=list)  # read-only (host dir, name)

    def resolved_isolation(self) -> str:
        if self.isolation == "auto":
            return "namespaces" if isolation_available() else "none"
        return self.isolation


class YourCodeStopped(Exception):
    """The student's function hung, crashed or broke the protocol."""

    def __init__(self, name: str, failure: SandboxError, timeout: float) -> None:
        super().__init__(failure.kind)
        self.name, self.failure, self.timeout = name, failure, timeout


class GradingStopped(Exception):
    """This submission used up its restarts or its time."""


class StudentFunction:
    """Stands for the student's function in a test: calls it in the sandbox."""

    def __init__(self, grader: "NotebookGrader", name: str) -> None:
        self.grader, self.name = grader, name
        self.__name__ = name

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self.grader.call_student(self.name, args, kwargs)


class NotebookGrader:
    """Runs one submitted notebook (already sanitized by nbgrader) and fills in its outputs."""

    # Audit hook (coursekit/audit): when set, called as observer(test grade_id, function, args,
    # kwargs) before every call a test makes to the student's function. None when grading.
    observer: Callable[[str, str, tuple, dict], None] | None = None

    def __init__(self, assignment: Assignment, zygote: Zygote, config: GradingConfig) -> None:
        self.assignment, self.zygote, self.config = assignment, zygote, config
        self.isolation = config.resolved_isolation()
        self.session: Session | None = None
        self.cgroup = True
        self.restarts = 0
        self.flags: set[str] = set()
        self.skips: dict[int, set[int]] = {}
        self.done: list[tuple[int, str]] = []       # cells run so far, for replays
        self.student_output: list[str] = []
        self.test_deadline = 0.0
        self.stubs: list[str] = []                   # helpers answered by the references now
        self.failed_functions: set[str] = set()     # functions with a failed test cell so far
        self.current_test = ""                       # grade_id of the test cell running (audit hook)

    # -- the sandbox, restarted and replayed when needed

    def _spec(self) -> SessionSpec:
        return SessionSpec(workdir=self.assignment.name, files=self.assignment.support_files,
                           readonly_binds=self.assignment.data_folders + self.config.data_dirs,
                           limits=self.config.limits,
                           isolation=self.isolation, uid_base=self.config.uid_base)

    def _session(self) -> Session:
        """The live sandbox, restarting and replaying the cells run so far if it died."""
        while self.session is None or not self.session.alive:
            if time.monotonic() > self.deadline:
                self.flags.add(Flag.SUBMISSION_TIMEOUT)
                raise GradingStopped("the time for grading this notebook ran out")
            if self.session is not None:
                if self.restarts >= self.config.max_restarts:
                    self.flags.add(Flag.TOO_MANY_RESTARTS)
                    raise GradingStopped("the code stopped the grader's Python process too often")
                self.restarts += 1
            self.session = Session(self.zygote, self._spec())
            self.cgroup = self.cgroup and self.session.cgroup
            for cell, source in self.done:
                skip = self.skips.setdefault(cell, set())
                result = self.session.run_cell(cell, source, skip, self.config.cell_timeout)
                if result.failure is not None:
                    skip.add(result.stopped_at)
                    self.flags.add(result.failure.kind)
                    break
        return self.session

    # -- phase 1: the student's cells

    def _run_student_cell(self, index: int, source: str) -> tuple[list[dict], dict | None, list[str]]:
        notes: list[str] = []
        skip = self.skips.setdefault(index, set())
        while True:
            result = self._session().run_cell(index, source, skip, self.config.cell_timeout)
            if result.failure is None:
                return result.outputs, result.error, notes
            skip.add(result.stopped_at)
            self.flags.add(result.failure.kind)
            notes.append(_stopped_note(result.failure, result.stopped_at, self.config.cell_timeout))

    # -- phase 2: the tests

    def call_student(self, name: str, args: tuple, kwargs: dict) -> Any:
        if self.observer is not None:                # audit hook, see ``observer``
            self.observer(self.current_test, name, args, kwargs)
        session = self._session()
        stubs = self.stubs
        limit = _ArgumentLimit(args, kwargs)
        reference = self.assignment.reference
        callbacks = {helper: limit.guard(reference[helper]) for helper in stubs}
        timeout = max(0.1, min(self.test_deadline, self.deadline) - time.monotonic())
        try:
            result = session.call(name, args, kwargs, stubs, callbacks, timeout)
        except SandboxError as failure:
            self.flags.add(failure.kind)
            raise YourCodeStopped(name, failure, timeout) from None
        except StudentRaised as raised:
            self.student_output.append(str(raised.report.get("output", "")))
            raise
        self.student_output.append(result.output)
        return result.value

    def _run_test(self, test: Any, ns: dict) -> list:
        """Run one test cell; outputs for the notebook.

        A test of ``f`` runs first with the student's own helpers when all their tests passed
        (the common, fast case); if it fails, or a helper failed its tests, it runs with the
        reference helpers in their place, and that run decides. So a helper's mistake never
        costs points in ``f``, and a right ``f`` never loses points to its own helpers.
        """
        helpers = self.assignment.dependencies.get(test.function, [])
        attempts = [[]] if helpers and not set(helpers) & self.failed_functions else []
        for stubs in attempts + [helpers]:
            outputs, failed = self._attempt(test, ns, stubs)
            if not failed:
                break
        if failed:
            self.failed_functions.add(test.function)
        return outputs

    def _attempt(self, test: Any, ns: dict, stubs: list[str]) -> tuple[list, bool]:
        for function in self.assignment.functions:
            ns[function] = self.assignment.reference[function]
        ns[test.function] = StudentFunction(self, test.function)
        self.stubs = stubs
        self.current_test = test.grade_id
        self.student_output = []
        self.test_deadline = time.monotonic() + self.config.test_timeout
        printed = io.StringIO()
        error = None
        try:
            with contextlib.redirect_stdout(printed):
                exec(test.code, ns)
        except SandboxUnavailable:        # the grading machine's problem: fail loudly
            raise
        except Exception as exc:          # every other failure becomes a message for the student
            error = self._explain(exc, test)
        outputs = []
        text = printed.getvalue()
        echoed = "".join(self.student_output)
        if echoed and not test.hidden:
            text += "\n[printed by your code]\n" + echoed
        if text:
            outputs.append(new_output("stream", name="stdout", text=text[:TEXT_CAP]))
        if error is not None:
            outputs.append(error)
        return outputs, error is not None

    def _explain(self, exc: Exception, test: Any) -> Any:
        function = test.function
        if isinstance(exc, AssertionError):
            return _error("TestFailure", str(exc) or f"a check of {function} failed")
        if isinstance(exc, StudentRaised):
            return _error(*self._describe_raise(exc, hidden=test.hidden))
        if isinstance(exc, YourCodeStopped):
            kind = exc.failure.kind
            if kind == "timeout":
                return _error("Timeout", f"Your {exc.name} did not finish within {exc.timeout:.0f} s and "
                                         "was stopped. Look for a loop that never ends.")
            if kind == "crashed":
                return _error("Crashed", f"Your {exc.name} stopped the Python process running it "
                                         "(it exited or crashed), so the test could not finish.")
            return _error("Interference", f"Your {exc.name} interfered with the grader "
                                          f"({exc.failure.detail}); the call was stopped.")
        if isinstance(exc, GradingStopped):
            return _error("GradingStopped", f"Grading of this notebook stopped early: {exc}.")
        if test.hidden:
            return _error("TestFailure", f"The hidden test could not use what your {function} returned "
                                         f"({type(exc).__name__}). Check the types and shapes you return.")
        return _error("TestFailure", f"The test could not use what your {function} returned: "
                                     f"{type(exc).__name__}: {exc}"[:1000])

    def _describe_raise(self, exc: StudentRaised, hidden: bool) -> tuple[str, str]:
        report, name = exc.report, exc.name
        kind, message = str(report.get("type", "Exception")), str(report.get("message", ""))
        if report.get("missing"):
            return "NameError", (f"Your notebook does not define {name}. Did its answer cell run "
                                 "without errors, and does it keep the name of the function?")
        if kind == "NotImplementedError":
            return kind, (f"Your {name} is not written yet: replace the `raise NotImplementedError(...)` "
                          "line between START CODE HERE and END CODE HERE with your code.")
        head = f"Your {name} raised {kind}" + ("" if hidden else f": {message}"[:600])
        lines = [head]
        for frame in report.get("frames", [])[-4:]:
            if isinstance(frame, dict):
                lines.append(f"    {self._where(frame.get('cell'))}, line {frame.get('line')}, in "
                             f"{str(frame.get('function'))[:60]}: {str(frame.get('code'))[:160]}")
        return kind, "\n".join(lines)

    def _where(self, cell: Any) -> str:
        return self.cell_names.get(cell, f"cell {cell}") if isinstance(cell, int) else "your code"

    # -- the whole notebook

    def grade(self, nb: Any) -> dict:
        """Run ``nb`` (modified in place) and return a report: flags, restarts, seconds."""
        started = time.monotonic()
        self.deadline = started + self.config.submission_timeout
        tests = {t.grade_id for t in self.assignment.tests}
        test_cells, student_cells = {}, []
        self.cell_names = {}
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = [], None
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id in tests and is_test_cell(cell):
                test_cells[grade_id] = cell
            elif grade_id not in self.assignment.illustrations or not grade_id:
                student_cells.append((index, cell))
                if grade_id in self.assignment.functions:
                    self.cell_names[index] = f"your answer cell for {grade_id}"
        count = 0
        try:
            for index, cell in student_cells:
                count += 1
                try:
                    outputs, error, notes = self._run_student_cell(index, cell.source)
                except GradingStopped as exc:
                    cell.outputs = [_error("GradingStopped", f"This cell was not run: {exc}.")]
                    continue
                self.done.append((index, cell.source))
                cell.outputs = _student_outputs(outputs, error, notes, count)
                cell.execution_count = count
            ns = dict(self.assignment.reference)
            for test in self.assignment.tests:
                if test.grade_id in test_cells:
                    count += 1
                    test_cells[test.grade_id].outputs = self._run_test(test, ns)
                    test_cells[test.grade_id].execution_count = count
        finally:
            if self.session is not None:
                self.session.close()
        limits = "cgroup" if self.cgroup and self.session is not None else "rlimits"
        return {"flags": sorted(self.flags), "restarts": self.restarts, "isolation": self.isolation,
                "limits": limits, "seconds": round(time.monotonic() - started, 3)}


class _ArgumentLimit:
    """Helpers answered by the grader get no bigger arguments than the call under test got.

    This stops a student's code from making the trusted process allocate or compute far more
    than the test itself asked for (``zero_pad(x, 10**6)``).
    """

    def __init__(self, args: tuple, kwargs: dict) -> None:
        ints, sizes, leaves = [64], [4096], 0
        for value in _leaves((args, kwargs)):
            leaves += 1
            if isinstance(value, np.ndarray):
                sizes.append(value.size)
                ints.extend(value.shape)
            elif isinstance(value, (int, np.integer)) and not isinstance(value, bool):
                ints.append(abs(int(value)))
        self.max_int, self.max_size = max(ints), sum(sizes)
        self.max_leaves = leaves + 4096        # long lists of small numbers (a seed list, labels) count too

    def guard(self, function: Any) -> Any:
        def guarded(args: list, kwargs: dict) -> Any:
            for count, value in enumerate(_leaves((args, kwargs))):
                if count >= self.max_leaves:
                    raise ValueError("more values than the function under test received")
                if isinstance(value, np.ndarray) and value.size > self.max_size:
                    raise ValueError("an array larger than the function under test received")
                if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and abs(int(value)) > self.max_int:
                    raise ValueError("an integer larger than any the function under test received")
            return function(*args, **kwargs)
        return guarded


def _leaves(value: Any, depth: int = 0):
    if isinstance(value, (list, tuple)) and depth < 8:
        for item in value:
            yield from _leaves(item, depth + 1)
    elif isinstance(value, dict) and depth < 8:
        for item in value.values():
            yield from _leaves(item, depth + 1)
    else:
        yield value


def _error(ename: str, message: str) -> Any:
    lines = message.splitlines() or [""]
    return new_output("error", ename=ename, evalue=lines[0],
                      traceback=[f"\x1b[0;31m{ename}\x1b[0m: {lines[0]}"] + lines[1:])


def _stopped_note(failure: SandboxError, statement: int | None, timeout: float) -> str:
    where = f"statement {statement + 1}" if statement is not None else "a statement"
    if failure.kind == "timeout":
        return f"[grader: {where} of this cell ran longer than {timeout:.0f} s; it was stopped and skipped]"
    return f"[grader: {where} of this cell stopped the Python process ({failure.detail}); it was skipped]"


def _student_outputs(outputs: list[dict], error: dict | None, notes: list[str], count: int) -> list:
    result = []
    for item in outputs:
        text = item.get("stream")
        if isinstance(text, str) and text:
            result.append(new_output("stream", name="stdout", text=text[:TEXT_CAP]))
        value = item.get("result")
        if isinstance(value, str):
            result.append(new_output("execute_result", data={"text/plain": value[:TEXT_CAP]},
                                     execution_count=count))
    if notes:
        result.append(new_output("stream", name="stdout", text="\n".join(notes) + "\n"))
    if error is not None:
        frames = error.get("frames") if isinstance(error.get("frames"), list) else []
        lines = [str(error.get("message"))[:2000]]
        lines += [f"    line {f.get('line')}: {str(f.get('code'))[:160]}" for f in frames[-4:] if isinstance(f, dict)]
        result.append(_error(str(error.get("type"))[:80], "\n".join(lines)))
    return result
