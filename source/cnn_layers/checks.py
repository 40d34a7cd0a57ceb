"""Checks used by the test cells of the course's notebooks.

A public test explains a failure in full: what it checked, the value it expected, the value
your code gave back and a hint on where to look. The hidden tests that run at grading use
``check`` and ``check_close_quietly`` instead: their messages name the property that failed
and never show the hidden inputs or the expected values.

Every failure raises ``TestFailure``, an ``AssertionError``. Tolerances follow the precision
of what your code returned: float32 results are compared less tightly than float64 ones.

A public test is a function decorated with ``public_test``: it runs at once, and an error raised
by your code becomes a message (what was raised, on which line of your code, where to look)
instead of a long traceback. When it fails, the public tests of the functions it relies on
(``uses``) run again quietly: a helper that fails its own test is named as the likely cause.
"""
from __future__ import annotations

from typing import Any, Callable, Iterable

import contextlib
import io
import os
import traceback

import numpy as np

__all__ = [
    "public_test",
    "TestFailure", "expect_type", "expect_shape", "expect_dtype_kind", "expect_close", "expect_equal",
    "expect_scalar", "expect_keys", "all_public_tests_passed", "check", "check_close_quietly",
    "directional_derivative",
]


class TestFailure(AssertionError):
    """A test found a mistake; the message tells the student what and where to look."""

    __test__ = False  # not a pytest test class

    def _render_traceback_(self) -> list[str]:
        """How Jupyter shows it: the message alone, without the checks' own code."""
        lines = str(self).splitlines() or [""]
        return [f"\x1b[0;31mTestFailure\x1b[0m: {lines[0]}"] + lines[1:]


def _show(value: Any) -> str:
    """A short, readable rendering of a value for a failure message."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        return repr(value.item())
    if isinstance(value, np.ndarray):
        text = np.array2string(value, precision=8, threshold=40, edgeitems=3)
        text = text.replace("\n", "\n" + " " * 14)
        return f"{text}  (array of shape {value.shape})"
    return repr(value)


def _fail(function: str, what: str, expected: Any, got: Any, hint: str) -> None:
    lines = [f"{function}: {what} is not right.",
             f"    expected: {_show(expected)}",
             f"    you gave: {_show(got)}"]
    if hint:
        lines.append(f"Where to look: {hint}")
    raise TestFailure("\n".join(lines))


def _where(hint: str) -> str:
    return f"\nWhere to look: {hint}" if hint else ""


def _tolerances(got: Any, rtol: float | None, atol: float | None) -> tuple[float, float]:
    """Looser defaults for float32 results (their last digits differ between machines)."""
    single = np.asarray(got).dtype.itemsize <= 4 and np.asarray(got).dtype.kind == "f"
    return (rtol if rtol is not None else (1e-5 if single else 1e-6),
            atol if atol is not None else (1e-7 if single else 1e-8))


def expect_type(function: str, what: str, got: Any, kind: type | tuple, hint: str = "") -> None:
    """Check that ``got`` is an instance of ``kind`` (e.g. a tuple of two)."""
    if not isinstance(got, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise TestFailure(f"{function}: {what} should be a {names}, but your code gave a "
                          f"{type(got).__name__}." + _where(hint))


def expect_shape(function: str, what: str, got: Any, shape: Iterable[int], hint: str = "") -> None:
    """Check that ``got`` is an array of exactly ``shape``."""
    shape = tuple(shape)
    if not isinstance(got, np.ndarray):
        raise TestFailure(
            f"{function}: {what} should be a NumPy array of shape {shape}, but your code "
            f"gave a {type(got).__name__}. Did a `None` placeholder or a missing return stay behind?")
    if got.shape != shape:
        _fail(function, f"the shape of {what}", shape, got.shape, hint)


def expect_dtype_kind(function: str, what: str, got: Any, kinds: str, hint: str = "") -> None:
    """Check the kind of numbers ``got`` holds ('f' floats, 'i'/'u' integers, 'b' booleans)."""
    dtype = np.asarray(got).dtype
    if dtype.kind not in kinds:
        names = {"f": "floating point", "i": "integer", "u": "integer", "b": "boolean"}
        wanted = " or ".join(sorted({names.get(k, k) for k in kinds}))
        raise TestFailure(f"{function}: {what} should hold {wanted} numbers, but your code gave "
                          f"dtype {dtype}." + _where(hint))


def expect_close(function: str, what: str, got: Any, expected: Any, hint: str = "",
                 rtol: float | None = None, atol: float | None = None) -> None:
    """Check values with a tolerance (the last digits differ between NumPy builds)."""
    expected = np.asarray(expected)
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        _fail(function, what, expected, got, hint)
    if got_array.shape != expected.shape:
        _fail(function, f"the shape of {what}", expected.shape, got_array.shape, hint)
    rtol, atol = _tolerances(got, rtol, atol)
    if not np.allclose(got_array, expected, rtol=rtol, atol=atol):
        _fail(function, what, expected, got_array, hint)


def expect_equal(function: str, what: str, got: Any, expected: Any, hint: str = "") -> None:
    """Check exact equality (for booleans, shapes, labels and integers)."""
    expected = np.asarray(expected)
    got_array = np.asarray(got)
    if got_array.shape != expected.shape or not np.array_equal(got_array, expected):
        _fail(function, what, expected, got, hint)


def expect_scalar(function: str, what: str, got: Any, hint: str = "") -> None:
    """Check that ``got`` is a single real number, not an array of shape (1, 1, 1)."""
    if isinstance(got, (bool, np.bool_)) or np.ndim(got) != 0 or not np.isrealobj(got):
        shape = getattr(got, "shape", None)
        raise TestFailure(
            f"{function}: {what} should be a single real number, but your code gave "
            f"{type(got).__name__}" + (f" of shape {shape}" if shape is not None else "") + "."
            + _where(hint))


def expect_keys(function: str, what: str, got: Any, keys: Iterable[str], hint: str = "") -> None:
    """Check that ``got`` is a dictionary with exactly these keys."""
    keys = sorted(keys)
    if not isinstance(got, dict):
        raise TestFailure(f"{function}: {what} should be a dictionary with the keys {keys}, but your "
                          f"code gave a {type(got).__name__}." + _where(hint))
    if sorted(got) != keys:
        _fail(function, f"the keys of {what}", keys, sorted(got), hint)


def all_public_tests_passed(function: str) -> None:
    """Tell the student the public tests passed, and that hidden tests come at grading."""
    print(f"\N{CHECK MARK} {function}: all public tests passed. "
          "Hidden tests with new inputs run when your notebook is graded.")


_REGISTRY = "__public_tests__"       # kept in the notebook's namespace: {(function, part): [test, passed]}
_LIBRARIES = (os.sep + "numpy" + os.sep, "site-packages", os.sep + "lib" + os.sep + "python")


def public_test(function: str, part: str = "", uses: Iterable[str] = (), last: bool = True,
                on_error: str = "") -> Callable:
    """Run the decorated public test of ``function`` now, and explain what goes wrong.

    ``part`` names what this test checks when a function has several public tests (one per
    output it returns), ``last`` is False for all but the last of them, and ``uses`` lists the
    other functions the test relies on: the graded helpers ``function`` calls, and the functions
    the test calls to build its inputs. ``on_error`` is a hint added when the code raises.
    """
    def run(test: Callable[[], None]) -> Callable[[], None]:
        registry = test.__globals__.setdefault(_REGISTRY, {})
        entry = registry.setdefault((function, part), [test, False])
        entry[:] = [test, False]
        try:
            test()
        except TestFailure as failure:
            raise TestFailure(str(failure) + _helper_note(function, uses, registry)) from None
        except Exception as exc:
            if type(exc).__module__.split(".")[0] == "coursekit":
                raise                           # the grader's own report of the student's code
            frames = _user_frames(exc)
            unwritten = isinstance(exc, NotImplementedError) and bool(frames) and frames[-1].name == function
            raise TestFailure(_explain_exception(function, exc, test.__name__, on_error)
                              + ("" if unwritten else _helper_note(function, uses, registry))) from None
        entry[1] = True
        failed = [p for (f, p), (_, ok) in registry.items() if f == function and p != part and not ok]
        if failed:
            others = ", ".join(p or "its result" for p in failed)
            print(f"\N{CHECK MARK} {function}: the public test of {part or 'its result'} passed; "
                  f"the one of {others} did not when it last ran (see its cell).")
        elif not last:
            print(f"\N{CHECK MARK} {function}: the public test of {part} passed.")
        else:
            all_public_tests_passed(function)
        return test
    return run


def _user_frames(exc: BaseException) -> list[traceback.FrameSummary]:
    """The frames of the notebook's own code: not the checks, not NumPy or other libraries."""
    here = os.path.abspath(__file__)
    return [frame for frame in traceback.extract_tb(exc.__traceback__)
            if os.path.abspath(frame.filename) != here and not any(lib in frame.filename for lib in _LIBRARIES)]


def _explain_exception(function: str, exc: Exception, test_name: str, on_error: str = "") -> str:
    """What a student needs from a traceback: what was raised, where, and where to look."""
    raised = f"{type(exc).__name__}: {exc}".strip().rstrip(":")
    frames = _user_frames(exc)
    inner = frames[-1] if frames else None
    if inner is None or inner.name == test_name:
        where = f"    at: {inner.line}" if inner is not None and inner.line else ""
        return (f"{function}: the test could not use what your {function} returned ({raised})."
                + ("\n" + where if where else "")
                + "\nWhere to look: the types and shapes your function returns (see its docstring); "
                  "print them in a new cell.")
    culprit = inner.name
    lines = [f"{function}: your code raised {raised}",
             f"    in {culprit}, line {inner.lineno} of its cell" + (f": {inner.line}" if inner.line else "")]
    if culprit != function and culprit != "<module>":
        lines.append(f"    (the error is inside {culprit}, which {function} or this test calls)")
    if isinstance(exc, NotImplementedError):
        lines.append(f"Where to look: {culprit} is not written yet: replace the `raise NotImplementedError(...)` "
                     "line between START CODE HERE and END CODE HERE with your code.")
    elif isinstance(exc, NameError):
        lines.append(f"Where to look: {getattr(exc, 'name', None) or 'that name'} is not defined where {culprit} "
                     "uses it: check its spelling, or use a variable the function already has (its arguments, "
                     "the lines above, the loop variables).")
    elif "0-dimensional" in str(exc) or "length-1" in str(exc):
        lines.append("Where to look: float() and int() take a single number, not an array: read the value "
                     "of an array of shape (1, 1, 1) with b.item().")
    elif "setting an array element with a sequence" in str(exc):
        lines.append("Where to look: an array was stored where one number belongs: check that what you store "
                     "there (a helper's result?) is a single number.")
    else:
        lines.append(f"Where to look: {on_error + '; otherwise, ' if on_error else ''}that line of {culprit}: "
                     "run it on the test's inputs in a new cell and print the shapes of the arrays it uses.")
    return "\n".join(lines)


def _helper_note(function: str, uses: Iterable[str], registry: dict) -> str:
    """Name the helpers that fail their own public test now (they are likely the cause)."""
    broken = []
    for helper in uses:
        tests = [test for (f, _), (test, _) in registry.items() if f == helper]
        for test in tests:
            try:
                with contextlib.redirect_stdout(io.StringIO()):
                    test()
            except Exception:                   # any failure of the helper's test counts
                broken.append(helper)
                break
    if not broken:
        return ""
    names = broken[0] if len(broken) == 1 else ", ".join(broken[:-1]) + " and " + broken[-1]
    one = len(broken) == 1
    return (f"\nLikely cause: {names} {'fails its own public test' if one else 'fail their own public tests'} "
            f"right now, and {function} relies on {'it' if one else 'them'}: fix {names} first (run "
            f"{'its test cell' if one else 'their test cells'} to see why), then run this test again.")


def check(condition: Any, message: str) -> None:
    """Hidden-test assertion: fail with ``message`` only, never with data."""
    if not bool(condition):
        raise TestFailure(message)


def check_close_quietly(got: Any, expected: Any, message: str,
                        rtol: float = 1e-6, atol: float = 1e-8) -> None:
    """Hidden-test comparison: shape and values, failing with ``message`` only."""
    try:
        got_array = np.asarray(got, dtype=float)
    except (TypeError, ValueError):
        raise TestFailure(f"{message} (the result is not a numeric array)") from None
    if got_array.shape != np.shape(expected):
        raise TestFailure(f"{message} (the shape is wrong)")
    if not np.all(np.isfinite(got_array)):
        raise TestFailure(f"{message} (the result holds inf or nan)")
    if not np.allclose(got_array, expected, rtol=rtol, atol=atol):
        raise TestFailure(f"{message} (values wrong at some positions)")


def directional_derivative(loss: Callable[[np.ndarray], float], x: np.ndarray,
                           direction: np.ndarray, eps: float = 1e-6) -> float:
    """Central finite difference of ``loss`` at ``x`` along ``direction``.

    For a correct gradient ``g`` of ``loss`` at ``x``, the result is close to
    ``np.sum(g * direction)``. Use float64: in float32 the difference drowns in rounding.
    """
    x = np.asarray(x, dtype=np.float64)
    direction = np.asarray(direction, dtype=np.float64)
    return (loss(x + eps * direction) - loss(x - eps * direction)) / (2 * eps)
