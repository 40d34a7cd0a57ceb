"""Grade one notebook: the student's cells run in the sandbox, the tests run here.

1. Every code cell that is not a test and not tagged skip-at-grading runs in the sandbox, in notebook
   order, statement by statement. A statement that hangs or kills the process is left out: the
   sandbox is restarted, the cells before are replayed, and grading goes on without it.
2. Every test cell of the source notebook then runs in this trusted process, in a namespace
   where the graded function under test is a proxy to the student's function and every other
   graded function is the reference solution. A call reaches the sandbox with plain data; the
   helpers the reference solution would call (``zero_pad`` inside ``conv_forward``...) are
   answered by the reference versions, so a mistake costs points only where it is made.

What the student will see is built so that hidden tests cannot leak through it:
- Two sandboxes ("lanes"): the *public* lane runs the student's cells and every public line of
  the tests; the *hidden* lane serves only the hidden regions of test cells. It is a copy of the
  public sandbox forked after the student's cells and before any test (or, when there is none,
  a new sandbox with the cells replayed), given its first request only once every process of
  the public lane is killed and its socket closed. Each lane has its own restarts and skips, and
  test cells without hidden regions run before any hidden one. So nothing the public lane says
  can depend on a hidden input.
- From the hidden lane only the grader's own words come back: pass or fail, and a coarse kind
  of error (one of eight). Never a message, a printed line, a line number or a name from the
  sandbox, and nothing the hidden regions of the tests print.
- The grader's clock bounds everything: every cell, replay and call gets at most what is left
  of ``submission_timeout``. Text from the sandbox is reduced to plain text and capped per
  output, per cell and per notebook, here, whatever the sandbox claims.
"""
from __future__ import annotations

import contextlib
import copy
import io
import re
import resource
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from nbformat import from_dict

from coursekit.assignment import Assignment, TestCell, is_test_cell, nbgrader_meta
from coursekit.flags import Flag
from coursekit.memo import fingerprint
from coursekit.sandbox.cells import PreparedCell, prepare
from coursekit.sandbox.jail import Limits, SessionSpec, Zygote, choose_isolation
from coursekit.sandbox.protocol import MAX_ARRAY_ELEMENTS, MAX_RESULT_BYTES
from coursekit.sandbox.session import CellResult, SandboxError, SandboxUnavailable, Session, StudentRaised

TEXT_CAP = 20_000             # characters of one output kept
SHOWN_OF_A_LARGE_CELL = 2_000  # characters kept in the graded copy of a cell too large to run
CELL_TEXT_CAP = 40_000        # characters of student output kept per cell
HELPER_MEMORY_MB = (128, 1024)  # MiB the grader may allocate in a helper call: 16 x the call's arrays
MAX_REMEMBERED_CALLS, REMEMBERED_RESULT_BYTES = 128, 2**18   # per lane: at most 32 MiB kept
HIDDEN_LANE_ERRORS = {"TypeError", "ValueError", "IndexError", "KeyError", "AttributeError",
                      "ZeroDivisionError", "NameError"}   # with "an exception": 3 bits a hidden cell at most
_NOT_PLAIN = re.compile(r"\x1b\[[0-9;?]*[ -/]*[@-~]|[\x00-\x08\x0b-\x1f\x7f]")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_.<>]{0,59}")


@dataclass
class GradingConfig:
    """How one notebook is graded; built from ``SandboxedExecute``'s traits, the only defaults."""
    cell_timeout: float                 # seconds per cell (and per statement)
    test_timeout: float                 # seconds per test cell, all its calls together
    submission_timeout: float           # seconds for the whole notebook, everything included
    max_restarts: int                   # sandbox restarts per notebook and lane
    isolation: str                      # "auto", "strict" or one of jail.MODES
    uid_base: int
    limits: Limits
    notebook_text_cap: int              # characters of the student's output kept per notebook
    data_dirs: list[tuple[str, str]] = field(default_factory=list)  # read-only (host dir, name)

    def resolved_isolation(self) -> str:
        return choose_isolation(self.isolation)


class YourCodeStopped(Exception):
    """The student's function hung, crashed or broke the protocol."""

    def __init__(self, name: str, failure: SandboxError, timeout: float) -> None:
        super().__init__(failure.kind)
        self.name, self.failure, self.timeout = name, failure, timeout


class GradingStopped(BaseException):
    """This submission used up its restarts or its time (a BaseException: test code that
    catches Exception around a call cannot swallow it)."""


def plain(text: Any, limit: int = TEXT_CAP) -> str:
    """Text from the sandbox as bounded plain text: no terminal escapes or control characters."""
    return _NOT_PLAIN.sub("", str(text)[:limit * 2])[:limit]


class TextBudget:
    """How much of the student's output one notebook may still show."""

    def __init__(self, total: int) -> None:
        self.left = total

    def take(self, text: str, cap: int = TEXT_CAP) -> str:
        text = plain(text, min(cap, max(self.left, 0)))
        self.left -= len(text)
        return text


@dataclass
class Lane:
    """One sandbox and what grading learnt about it: its restarts and the statements to skip."""
    name: str                                   # "public" or "hidden"
    session: Session | None = None
    restarts: int = 0
    skips: dict[int, set[int]] = field(default_factory=dict)
    isolated_limits: bool = True
    answers: dict[Any, tuple[str, Any, str]] = field(default_factory=dict)  # this session's calls, see call_student


class StudentFunction:
    """Stands for the student's function in a test: calls it in the sandbox."""

    def __init__(self, grader: NotebookGrader, name: str) -> None:
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
        self.public, self.hidden = Lane("public"), Lane("hidden")
        self.lane = self.public
        self.flags: set[str] = set()
        self.done: list[tuple[int, PreparedCell]] = []   # cells run so far, for replays
        self.cells: dict[int, PreparedCell] = {}          # the grader's copy of each student cell
        self.cell_names: dict[int, str] = {}
        self.student_output: list[str] = []
        self.test_deadline = 0.0
        self.deadline = 0.0
        self.stubs: list[str] = []                   # helpers answered by the references now
        self.failed_functions: set[str] = set()     # functions with a failed test cell so far
        self.text = TextBudget(config.notebook_text_cap)
        self.current_test = ""                       # grade_id of the test cell running (audit hook)
        self.phases = {"sandbox starts": 0.0, "student cells": 0.0, "tests": 0.0}   # seconds, for the report

    # -- the clock

    def _left(self) -> float:
        """Seconds left for this notebook; past the end, grading stops."""
        left = self.deadline - time.monotonic()
        if left <= 0:
            self.flags.add(Flag.SUBMISSION_TIMEOUT)
            raise GradingStopped("the time for grading this notebook ran out")
        return left

    # -- the sandbox, restarted and replayed when needed

    def _spec(self) -> SessionSpec:
        return SessionSpec(workdir=self.assignment.name, files=self.assignment.support_files,
                           readonly_binds=self.assignment.data_folders + self.config.data_dirs,
                           limits=self.config.limits,
                           isolation=self.isolation, uid_base=self.config.uid_base)

    def _session(self, lane: Lane) -> Session:
        """The lane's live sandbox, restarting and replaying the cells run so far if it died.

        Only one lane is served at a time: the other one is closed first (not counted as a
        restart), so the two can never signal or time each other once a hidden input exists. The
        hidden lane starts as the public sandbox's snapshot (``_snapshot``) when there is one: the
        public lane's processes are killed and its socket closed before the snapshot gets any
        request, so nothing that saw a hidden input shares a sandbox with anything that speaks
        on the public lane."""
        other = self.hidden if lane is self.public else self.public
        if lane is self.hidden and lane.session is None and other.session is not None:
            lane.session = other.session.hand_over(min(5.0, self._left()))   # the copy from before any test
            if lane.session is not None:
                other.session = None
        if other.session is not None and other.session.alive:
            other.session.close()
            other.session = None
        if lane is self.hidden and not lane.skips:
            lane.skips = {cell: set(skip) for cell, skip in self.public.skips.items()}  # never back
        while lane.session is None or not lane.session.alive:
            self._left()
            if lane.session is not None:
                if lane.restarts >= self.config.max_restarts:
                    self.flags.add(Flag.TOO_MANY_RESTARTS)
                    raise GradingStopped("the code stopped the grader's Python process too often")
                lane.restarts += 1
            started = time.monotonic()
            lane.session = Session(self.zygote, self._spec())
            self.phases["sandbox starts"] += time.monotonic() - started
            lane.answers.clear()
            lane.isolated_limits = lane.isolated_limits and lane.session.cgroup
            for index, cell in self.done:
                result = self._run(lane, index, cell)
                if result.failure is not None:
                    break
        return lane.session

    def _run(self, lane: Lane, index: int, cell: PreparedCell) -> CellResult:
        """Run one cell in the lane's current sandbox, within the cell's and the notebook's time;
        a statement that hung or crashed is skipped from now on (all of them if nobody knows which)."""
        assert lane.session is not None
        skip = lane.skips.setdefault(index, set())
        result = lane.session.run_cell(index, cell.code, cell.statements, skip,
                                       min(self.config.cell_timeout, self._left()))
        if result.failure is not None:
            self.flags.add(result.failure.kind)
            skip.update(range(cell.statements) if result.stopped_at is None else {result.stopped_at})
        return result

    # -- phase 1: the student's cells

    def _run_student_cell(self, index: int, cell: PreparedCell) -> tuple[list[dict], dict | None, list[str]]:
        notes: list[str] = []
        while True:
            self._session(self.public)
            result = self._run(self.public, index, cell)
            if result.failure is None:
                return result.outputs, result.error, notes
            notes.append(_stopped_note(result, self.config.cell_timeout))

    def _snapshot(self) -> None:
        """Before any test: have the public sandbox keep a copy of itself as the cells left it,
        for the hidden lane (what a fresh sandbox replaying the cells would be, without the cost)."""
        session = self.public.session
        if not any(test.hidden for test in self.assignment.tests) or session is None or not session.alive:
            return
        started = time.monotonic()
        try:
            session.snapshot(min(self.config.cell_timeout, self._left()))
        except SandboxError as failure:       # that sandbox is gone; the tests start another one
            self.flags.add(failure.kind)
        self.phases["sandbox starts"] += time.monotonic() - started

    # -- phase 2: the tests

    def call_student(self, name: str, args: tuple, kwargs: dict) -> Any:
        """The student's ``name`` called in the current lane's sandbox. A call the lane's session
        answered before (same function, same inputs, same helpers: ``memo.fingerprint``) is
        answered again from what came back then, as a copy, with what it printed."""
        if self.observer is not None:                # audit hook, see ``observer``
            self.observer(self.current_test, name, args, kwargs)
        lane = self.lane
        session = self._session(lane)
        key = fingerprint((name, args, kwargs, self.stubs))
        if key is not None and key in lane.answers:
            kind, value, output = lane.answers[key]
            if lane is self.public:
                self.student_output.append(output)
            if kind == "raised":
                raise StudentRaised(name, copy.deepcopy(value))
            return copy.deepcopy(value)
        try:
            value, output = self._call(lane, session, name, args, kwargs)
        except StudentRaised as raised:
            printed = str(raised.report.get("output", ""))
            if key is not None and _small(raised.report) and len(lane.answers) < MAX_REMEMBERED_CALLS:
                lane.answers[key] = ("raised", copy.deepcopy(raised.report), printed)
            raise
        if key is not None and _small((value, output)) and len(lane.answers) < MAX_REMEMBERED_CALLS:
            lane.answers[key] = ("returned", copy.deepcopy(value), output)
        return value

    def _call(self, lane: Lane, session: Session, name: str, args: tuple, kwargs: dict) -> tuple[Any, str]:
        callbacks = {}
        if self.stubs:               # the limit on what the helpers answered here may be asked
            limit = _ArgumentLimit(args, kwargs)
            callbacks = {helper: limit.guard(self.assignment.reference[helper]) for helper in self.stubs}
        timeout = min(self.test_deadline - time.monotonic(), self._left())
        if timeout <= 0:
            self.flags.add(Flag.TIMEOUT)
            raise YourCodeStopped(name, SandboxError(Flag.TIMEOUT), self.config.test_timeout)
        try:
            result = session.call(name, args, kwargs, self.stubs, callbacks, timeout)
        except SandboxError as failure:
            self.flags.add(failure.kind)
            raise YourCodeStopped(name, failure, self.config.test_timeout) from None
        except StudentRaised as raised:
            if lane is self.public:
                self.student_output.append(str(raised.report.get("output", "")))
            raised.report["lane"] = lane.name
            raise
        if lane is self.public:
            self.student_output.append(result.output)
        return result.value, result.output

    def _run_test_safely(self, test: TestCell, ns: dict) -> list:
        """A test cell's outputs; a fault of the grader's own shows as one, and grading goes on."""
        try:
            return self._run_test(test, ns)
        except SandboxUnavailable:
            raise
        except Exception as exc:
            self.flags.add(Flag.GRADER_ERROR)
            self.failed_functions.add(test.function)
            return [_error("GraderError", f"The grader failed while running this test ({type(exc).__name__}); "
                                          "your instructor will look at it.")]

    def _run_test(self, test: TestCell, ns: dict) -> list:
        """Run one test cell; outputs for the notebook.

        A test of ``f`` runs first with the student's own helpers when all their tests passed
        (the common, fast case); if it fails, or a helper failed its tests, it runs with the
        reference helpers in their place, and that run decides. So a helper's mistake never
        costs points in ``f``, and a right ``f`` never loses points to its own helpers.
        """
        helpers = self.assignment.dependencies.get(test.function, [])
        attempts: list[list[str]] = [[]] if helpers and not set(helpers) & self.failed_functions else []
        for stubs in attempts + [helpers]:
            outputs, failed = self._attempt(test, ns, stubs)
            if not failed:
                break
        if failed:
            self.failed_functions.add(test.function)
        return outputs

    def _attempt(self, test: TestCell, ns: dict, stubs: list[str]) -> tuple[list, bool]:
        for function in self.assignment.functions:
            ns[function] = self.assignment.remembered[function]
        ns[test.function] = StudentFunction(self, test.function)
        self.stubs = stubs
        self.current_test = test.grade_id
        self.student_output = []
        self.test_deadline = time.monotonic() + self.config.test_timeout
        printed = io.StringIO()
        error = None
        try:
            for hidden, code in test.regions:
                self.lane = self.hidden if hidden else self.public
                with contextlib.redirect_stdout(io.StringIO() if hidden else printed):  # hidden: never shown
                    exec(code, ns)
        except SandboxUnavailable:        # the grading machine's problem: fail loudly
            raise
        except (Exception, GradingStopped) as exc:   # every other failure becomes a message
            error = self._explain(exc, test)
        finally:
            self.lane = self.public
        outputs = []
        text = printed.getvalue()[:TEXT_CAP]
        echoed = "".join(self.student_output)
        if echoed and not test.hidden:
            text += "\n[printed by your code]\n" + self.text.take(echoed)
        if text:
            outputs.append(_output("stream", name="stdout", text=text))
        if error is not None:
            outputs.append(error)
        return outputs, error is not None

    def _explain(self, exc: BaseException, test: TestCell) -> Any:
        function = test.function
        if isinstance(exc, AssertionError):
            return _error("TestFailure", str(exc)[:TEXT_CAP] or f"a check of {function} failed")
        if isinstance(exc, StudentRaised):
            return _error(*self._describe_raise(exc))
        if isinstance(exc, YourCodeStopped):
            kind = exc.failure.kind
            if kind == Flag.TIMEOUT:
                return _error("Timeout", f"Your {exc.name} did not finish in time (a test cell may spend "
                                         f"{exc.timeout:.0f} s in your code) and was stopped. Look for a "
                                         "loop that never ends, or one that does far more work than needed.")
            if kind == Flag.CRASHED:
                return _error("Crashed", f"Your {exc.name} stopped the Python process running it "
                                         "(it exited or crashed), so the test could not finish.")
            return _error("Interference", f"Your {exc.name} interfered with the grader "
                                          "(the sandbox sent something the grader does not accept); "
                                          "the call was stopped.")
        if isinstance(exc, GradingStopped):
            return _error("GradingStopped", f"Grading of this notebook stopped early: {exc}.")
        if test.hidden:
            return _error("TestFailure", f"The hidden test could not use what your {function} returned "
                                         f"({type(exc).__name__}). Check the types and shapes you return.")
        return _error("TestFailure", f"The test could not use what your {function} returned: "
                                     f"{type(exc).__name__}: {exc}"[:1000])

    def _describe_raise(self, exc: StudentRaised) -> tuple[str, str]:
        """What the student's exception was, in the grader's words; from the hidden lane only a
        coarse kind of error (one of eight), never a message, a name or a line."""
        report, name = exc.report, exc.name
        hidden = report.get("lane") != "public"
        kind = str(report.get("type", ""))
        if report.get("missing"):
            return "NameError", (f"Your notebook does not define {name}. Did its answer cell run "
                                 "without errors, and does it keep the name of the function?")
        if kind == "NotImplementedError":
            return kind, (f"Your {name} is not written yet: replace the `raise NotImplementedError(...)` "
                          "line between START CODE HERE and END CODE HERE with your code.")
        if hidden:          # a few bits at most: a coarse kind of error, no line, no message
            kind = kind if kind in HIDDEN_LANE_ERRORS else "an exception"
            return ("Error" if kind == "an exception" else kind), (
                f"Your {name} raised {kind} in a hidden test (on inputs of other shapes, sizes or types "
                "than the public test's). Try your function on such inputs yourself; the grader shows "
                "no line of a hidden test's error, so that nothing of its inputs can come back.")
        kind = kind if _IDENTIFIER.fullmatch(kind) else "an exception"
        message = plain(report.get("message", ""), 600)
        lines = [f"Your {name} raised {kind}" + (f": {message}" if message else "")]
        frames = [frame for frame in report.get("frames", [])
                  if frame["cell"] in self.cells and 1 <= frame["line"] <= self.cells[frame["cell"]].lines]
        for frame in frames[-4:]:
            cell = self.cells[frame["cell"]]
            where = self.cell_names.get(frame["cell"], f"cell {frame['cell']}")
            function = frame["function"]
            inside = f", in {function}" if _IDENTIFIER.fullmatch(function) else ""
            lines.append(f"    {where}, line {frame['line']}{inside}: {cell.line(frame['line'])}")
        return kind, "\n".join(lines)

    # -- the whole notebook

    def grade(self, nb: Any) -> dict:
        """Run ``nb`` (modified in place) and return a report: flags, restarts, seconds."""
        started = time.monotonic()
        self.deadline = started + self.config.submission_timeout
        tests = {t.grade_id for t in self.assignment.tests}
        test_cells, student_cells = {}, []
        for index, cell in enumerate(nb.cells):
            if cell.cell_type != "code":
                continue
            cell.outputs, cell.execution_count = [], None
            grade_id = nbgrader_meta(cell).get("grade_id")
            if grade_id in tests and is_test_cell(cell):
                test_cells[grade_id] = cell
            elif grade_id not in self.assignment.skip_at_grading or not grade_id:
                student_cells.append((index, cell))
                if grade_id in self.assignment.functions:
                    self.cell_names[index] = f"your answer cell for {grade_id}"
        count, stopped = 0, False
        try:
            for index, cell in student_cells:
                count += 1
                try:
                    self._left()                  # preparing a cell is work on the notebook's clock too
                    prepared = self.cells[index] = prepare(cell.source)
                    if prepared.too_large:          # not run, and not copied whole into what grading writes
                        size = len(cell.source)
                        cell.source = (cell.source[:SHOWN_OF_A_LARGE_CELL] + f"\n# [... {size:,} characters in "
                                       "all: the rest is in the submitted notebook, not in this copy ...]")
                        cell.outputs = [_error("CellTooLarge", f"This cell ({size:,} characters) is too large to "
                                                               "run at grading; it was not run.")]
                        continue
                    outputs, error, notes = self._run_student_cell(index, prepared)
                except GradingStopped as exc:     # said once: one output per cell would let a
                    if not stopped:               # notebook of empty cells grow its graded copy
                        cell.outputs = [_error("GradingStopped", f"This cell and the ones after it "
                                                                 f"were not run: {exc}.")]
                    stopped = True
                    continue
                self.done.append((index, prepared))
                cell.outputs = self._student_outputs(outputs, error, notes, count)
                cell.execution_count = count
            self.phases["student cells"] = time.monotonic() - started - self.phases["sandbox starts"]
            self._snapshot()
            ns = dict(self.assignment.reference)
            for test in self._test_order():
                if test.grade_id in test_cells:
                    count += 1
                    test_cells[test.grade_id].outputs = self._run_test_safely(test, ns)
                    test_cells[test.grade_id].execution_count = count
        finally:
            for lane in (self.public, self.hidden):
                if lane.session is not None:
                    lane.session.close()
        started_lanes = [lane for lane in (self.public, self.hidden) if lane.session is not None]
        limits = "cgroup" if started_lanes and all(lane.isolated_limits for lane in started_lanes) else "rlimits"
        seconds = time.monotonic() - started
        self.phases["tests"] = seconds - sum(self.phases.values())
        return {"flags": sorted(self.flags), "restarts": self.public.restarts + self.hidden.restarts,
                "isolation": self.isolation, "limits": limits, "seconds": round(seconds, 3),
                "phases": {phase: round(value, 4) for phase, value in self.phases.items()}}

    def _test_order(self) -> Iterator[TestCell]:
        """Test cells without hidden regions first, then the others, each in notebook order."""
        yield from (test for test in self.assignment.tests if not test.hidden)
        yield from (test for test in self.assignment.tests if test.hidden)

    def _student_outputs(self, outputs: list[dict], error: dict | None, notes: list[str], count: int) -> list:
        """A student cell's outputs as the notebook shows them: plain text, within the caps."""
        result, cap = [], CELL_TEXT_CAP
        for item in outputs:
            text = self.text.take(item.get("stream", ""), cap)
            cap -= len(text)
            if text:
                result.append(_output("stream", name="stdout", text=text))
            if isinstance(item.get("result"), str):
                value = self.text.take(item["result"], cap)
                cap -= len(value)
                result.append(_output("execute_result", data={"text/plain": value}, execution_count=count))
        if notes:
            result.append(_output("stream", name="stdout", text="\n".join(notes) + "\n"))
        if error is not None:
            kind = error["type"] if _IDENTIFIER.fullmatch(error["type"]) else "Error"
            lines = [self.text.take(error["message"], 2000)]
            lines += [f"    line {f['line']}: {self.text.take(f['code'], 160)}" for f in error["frames"][-4:]]
            result.append(_error(kind, "\n".join(lines)))
        return result


class _ArgumentLimit:
    """Helpers answered by the grader get no bigger arguments than the call under test got.

    This stops a student's code from making the trusted process allocate or compute far more
    than the test itself asked for (``zero_pad(x, 10**6)``, ``zero_pad(x, np.array(2500))``).
    """

    def __init__(self, args: tuple, kwargs: dict) -> None:
        ints, sizes, leaves = [64], [4096], 0
        for value in _leaves((args, kwargs)):
            leaves += 1
            if isinstance(value, np.ndarray):
                sizes.append(value.size)
                ints.extend(value.shape)
            ints.extend(_integers(value))
        self.max_int, self.max_size = max(ints), sum(sizes)
        received = sum(v.nbytes for v in _leaves((args, kwargs)) if isinstance(v, np.ndarray)) / 2**20
        self.memory_mb = int(min(HELPER_MEMORY_MB[1], max(HELPER_MEMORY_MB[0], 16 * received)))
        self.max_leaves = leaves + 4096        # long lists of small numbers (a seed list, labels) count too

    def guard(self, function: Any) -> Any:
        def guarded(args: list, kwargs: dict) -> Any:
            for count, value in enumerate(_leaves((args, kwargs))):
                if count >= self.max_leaves:
                    raise ValueError("more values than the function under test received")
                if isinstance(value, np.ndarray) and (value.size > self.max_size or
                                                      value.size > MAX_ARRAY_ELEMENTS):
                    raise ValueError("an array larger than the function under test received")
                if any(n > self.max_int for n in _integers(value)):
                    raise ValueError("an integer larger than any the function under test received")
            with memory_budget(self.memory_mb):
                result = function(*args, **kwargs)
            arrays = [v for v in _leaves(result) if isinstance(v, np.ndarray)]
            if sum(v.nbytes for v in arrays) > MAX_RESULT_BYTES or any(v.size > MAX_ARRAY_ELEMENTS for v in arrays):
                raise ValueError("a result larger than the grader sends")
            return result
        return guarded


@contextlib.contextmanager
def memory_budget(megabytes: int) -> Iterator[None]:
    """While the grader computes on a student's behalf, it may allocate at most ``megabytes``
    more: the address-space limit of this process is lowered for that time (an allocation past
    it raises MemoryError, which fails the helper call, not the grader)."""
    try:
        with open("/proc/self/status") as status:
            size = next(int(line.split()[1]) for line in status if line.startswith("VmSize:")) * 1024
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = size + megabytes * 2**20
        if hard != resource.RLIM_INFINITY and limit > hard:
            limit = hard
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (OSError, ValueError, StopIteration):
        yield
        return
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def _integers(value: Any) -> list[int]:
    """The magnitudes of the integers a value holds: an int, a NumPy integer or integer array."""
    if isinstance(value, bool) or isinstance(value, np.bool_):
        return []
    if isinstance(value, (int, np.integer)):
        return [abs(int(value))]
    if isinstance(value, np.ndarray) and value.dtype.kind in "iu" and value.size:
        return [max(abs(int(value.max())), abs(int(value.min())))]
    return []


def _leaves(value: Any, depth: int = 0) -> Iterator[Any]:
    """Every value inside lists, tuples and dicts (keys too); deeper than 32 levels is refused."""
    if depth > 32:
        raise ValueError("arguments nested too deeply")
    if isinstance(value, (list, tuple)):
        for item in value:
            yield from _leaves(item, depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(key, depth + 1)
            yield from _leaves(item, depth + 1)
    else:
        yield value


def _small(value: Any) -> bool:
    """Small enough to keep for a repeated call (test-sized results; never what a hostile
    function sends to fill the grader's memory: text and bytes weigh as much as arrays)."""
    count, size = 0, 0
    for leaf in _leaves(value):
        count += 1
        size += leaf.nbytes if isinstance(leaf, np.ndarray) else len(leaf) if isinstance(leaf, (str, bytes)) else 8
        if count > 10_000 or size > REMEMBERED_RESULT_BYTES:
            return False
    return True


_DEFAULTS: dict[str, dict[str, Any]] = {       # as nbformat.v4.new_output fills them in
    "stream": {"name": "stdout", "text": ""},
    "execute_result": {"metadata": {}, "data": {}, "execution_count": None},
    "error": {"ename": "NotImplementedError", "evalue": "", "traceback": []},
}


def _output(output_type: str, **fields: Any) -> Any:
    """An output as ``nbformat.v4.new_output`` makes it, without its schema check of each one
    (0.3 ms, ~40 a notebook): the graded notebook is validated whole when it is written."""
    return from_dict({"output_type": output_type, **_DEFAULTS[output_type], **fields})


def _error(ename: str, message: str) -> Any:
    lines = message.splitlines() or [""]
    return _output("error", ename=ename, evalue=lines[0],
                      traceback=[f"\x1b[0;31m{ename}\x1b[0m: {lines[0]}"] + lines[1:])


def _stopped_note(result: CellResult, timeout: float) -> str:
    failure = result.failure
    assert failure is not None
    where = f"statement {result.stopped_at + 1}" if result.stopped_at is not None else "the rest"
    if failure.kind == Flag.TIMEOUT:
        return f"[grader: {where} of this cell ran out of time (at most {timeout:.0f} s); it was stopped and skipped]"
    if failure.kind == Flag.PROTOCOL:
        return f"[grader: {where} of this cell interfered with the grader; it was skipped]"
    return f"[grader: {where} of this cell stopped the Python process ({plain(failure.detail, 200)}); it was skipped]"
