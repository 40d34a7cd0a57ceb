"""What an instructor declares for the audit, in ``notebooks/<a>/audit_spec.py`` (never released).

The module defines ``FUNCTIONS = {name: Contract(...)}``, one per graded function:
``inputs(rng, ref)`` draws one valid call ``(args, kwargs)`` from the space the function's
docstring allows (``ref``: the reference namespace, to build caches with; the audit compares
each mutant with the reference on many such calls), and
``cases`` names the edge cases of that space, each a predicate on a call's arguments by name
(``lambda c: c.W.shape[0] == 1``), which some hidden test should exercise.
"""
from __future__ import annotations

import importlib.util
import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np

from coursekit.course import ROOT, SPEC_FILE

Call = tuple[tuple, dict]


@dataclass
class Contract:
    inputs: Callable[[np.random.Generator, dict], Call]
    cases: dict[str, Callable[[Any], bool]] = field(default_factory=dict)
    samples: int = 60                  # random calls compared per mutant
    rtol: float = 1e-6
    atol: float = 1e-9
    exact_dtype: bool = False          # the dtype itself is part of the contract, not only its kind


def spec_path(assignment: str, root: Path = ROOT) -> Path:
    return root / "notebooks" / assignment / SPEC_FILE


def load_spec(assignment: str, root: Path = ROOT) -> dict[str, Contract]:
    path = spec_path(assignment, root)
    if not path.exists():
        raise SystemExit(f"no audit contract for {assignment}: write {path} (see coursekit/audit/spec.py)")
    module_spec = importlib.util.spec_from_file_location(f"audit_spec_{assignment}", path)
    assert module_spec is not None and module_spec.loader is not None
    module = importlib.util.module_from_spec(module_spec)
    module_spec.loader.exec_module(module)
    return dict(module.FUNCTIONS)


def bound(function: Callable, args: tuple, kwargs: dict) -> SimpleNamespace | None:
    """A call's arguments by parameter name, defaults filled in (None if they do not bind)."""
    try:
        binding = inspect.signature(function).bind(*args, **kwargs)
    except TypeError:
        return None
    binding.apply_defaults()
    return SimpleNamespace(**binding.arguments)


def cases_hit(contract: Contract, function: Callable, args: tuple, kwargs: dict) -> set[str]:
    """The declared edge cases one call falls into."""
    call = bound(function, args, kwargs)
    hit = set()
    for name, predicate in contract.cases.items():
        try:
            if call is not None and predicate(call):
                hit.add(name)
        except Exception:          # a test's odd input is simply not that case
            pass
    return hit
