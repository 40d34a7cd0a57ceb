"""Equivalent mutants: those that behave as the reference on every input the contract allows.

Each mutant runs in this process (it is the instructor's own code, changed by us) on the same
random calls as the reference; it is kept for grading as soon as one call differs in its
result, in what it does to its arguments, or by raising. One that matches on all of them is
dropped: no test could tell it from the reference.
"""
from __future__ import annotations

import contextlib
import copy
import io
import signal
import warnings
from collections.abc import Callable
from contextlib import contextmanager
from typing import Any

import numpy as np

from coursekit.audit.mutate import Mutant
from coursekit.audit.spec import Call, Contract

SECONDS_PER_CALL = 5.0


class _TooSlow(Exception):
    pass


@contextmanager
def _deadline(seconds: float):
    def stop(*_: Any) -> None:
        raise _TooSlow()
    previous = signal.signal(signal.SIGALRM, stop)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def behaviour(function: Callable, call: Call) -> tuple[str, Any]:
    """What one call does: ("returned", (result, arguments after)) or ("raised", type name)."""
    args, kwargs = copy.deepcopy(call)
    try:
        with _deadline(SECONDS_PER_CALL), np.errstate(all="ignore"), warnings.catch_warnings(), \
                contextlib.redirect_stdout(io.StringIO()):
            warnings.simplefilter("ignore")
            result = function(*args, **kwargs)
    except Exception as exc:       # any failure is behaviour too
        return "raised", type(exc).__name__
    return "returned", (result, (args, kwargs))


def same(a: Any, b: Any, contract: Contract) -> bool:
    """Whether a mutant's value ``b`` is indistinguishable from the reference's ``a``."""
    if isinstance(a, dict) or isinstance(b, dict):
        return (isinstance(a, dict) and isinstance(b, dict) and a.keys() == b.keys()
                and all(same(a[k], b[k], contract) for k in a))
    if isinstance(a, (tuple, list)) or isinstance(b, (tuple, list)):
        return (isinstance(a, (tuple, list)) and isinstance(b, (tuple, list)) and len(a) == len(b)
                and all(same(x, y, contract) for x, y in zip(a, b, strict=True)))
    if a is None or b is None or isinstance(a, str) or isinstance(b, str):
        return type(a) is type(b) and a == b
    try:
        x, y = np.asarray(a), np.asarray(b)
    except Exception:
        return False
    if x.shape != y.shape or x.dtype.kind != y.dtype.kind or (contract.exact_dtype and x.dtype != y.dtype):
        return False
    if x.dtype.kind not in "fc":
        return bool(np.array_equal(x, y))
    return bool(np.allclose(x, y, rtol=contract.rtol, atol=contract.atol, equal_nan=True))


def calls(contract: Contract, reference: dict, seed: int = 20) -> list[Call]:
    """The contract's random calls (the same ones on every run)."""
    rng = np.random.default_rng(seed)
    return [contract.inputs(rng, reference) for _ in range(contract.samples)]


def reference_behaviour(reference: Callable, inputs: list[Call]) -> list[tuple[str, Any]]:
    outcomes = [behaviour(reference, call) for call in inputs]
    for call, (kind, value) in zip(inputs, outcomes, strict=True):
        if kind == "raised":
            raise ValueError(f"the reference raised {value} on an input of the contract: {call!r:.300}")
    return outcomes


def is_equivalent(mutant: Mutant, namespace: dict, inputs: list[Call], expected: list[tuple[str, Any]],
                  contract: Contract) -> bool:
    """Run the mutant's answer cell in a copy of the reference namespace and compare."""
    ns = dict(namespace)
    try:
        exec(compile(mutant.cell, f"<mutant {mutant.id}>", "exec"), ns)
    except Exception:
        return False
    function = ns[mutant.function]
    for call, (_, want) in zip(inputs, expected, strict=True):
        kind, got = behaviour(function, call)
        if kind == "raised" or not same(want, got, contract):
            return False
    return True
